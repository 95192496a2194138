"""Certificate for explicit FTPS: the user's own, or one we make once.

A self-signed certificate is generated on first start into the
integration's storage (never the TFTP root, which anyone may download
from) and reused afterwards, so clients that pinned it keep working.
Blocking (key generation, file I/O): call it from an executor.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path
import secrets
import socket

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERT_NAME = "ftps-cert.pem"
KEY_NAME = "ftps-key.pem"
VALID_DAYS = 3650


def _write_private(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` atomically with ``mode`` from the start."""
    temp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        temp.chmod(mode)
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _usable(cert: Path, key: Path) -> bool:
    try:
        x509.load_pem_x509_certificate(cert.read_bytes())
        serialization.load_pem_private_key(key.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return False
    return True


def ensure_self_signed_cert(storage_dir: Path) -> tuple[Path, Path]:
    """Return ``(certfile, keyfile)`` in ``storage_dir``, creating them once."""
    storage_dir.mkdir(parents=True, exist_ok=True)
    cert_path = storage_dir / CERT_NAME
    key_path = storage_dir / KEY_NAME
    if _usable(cert_path, key_path):
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, socket.gethostname()[:64] or "ha"),
            x509.NameAttribute(
                NameOID.ORGANIZATION_NAME, "Cisco IP Phone Provisioning"
            ),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(key_path, key_pem, 0o600)
    _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert_path, key_path
