"""Checks run before settings are saved: is the folder usable, can ports bind.

Each check returns a translation key for the form error, or ``None``. They
block (file system, sockets, the resolver for a host name), so flows run them
in the executor.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
import socket
from typing import Any

from .provisioning.settings.checks import may_resolve

BIND_ERRORS = {
    errno.EADDRINUSE: "port_in_use",
    errno.EACCES: "port_permission",
    errno.EPERM: "port_permission",
    errno.EADDRNOTAVAIL: "address_unavailable",
}


def check_folder(path: Path) -> str | None:
    """Create the folder if missing; return an error key if it is unusable."""
    if not path.is_absolute():
        return "folder_not_absolute"
    if path.exists() and not path.is_dir():
        return "folder_not_directory"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return "folder_create_failed"
    if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        return "folder_not_writable"
    return None


def check_bind(host: str, port: int, kind: socket.SocketKind) -> str | None:
    """Bind ``port`` once the way the server will; return an error key or None."""
    if not may_resolve(host):
        return "invalid_host"
    try:
        infos = _lookup(host, port, kind)
    except (socket.gaierror, UnicodeError):
        return "invalid_host"
    family, sock_type, proto, _, sockaddr = infos[0]
    address = (str(sockaddr[0]), int(sockaddr[1]))
    with socket.socket(family, sock_type, proto) as sock:
        if kind == socket.SOCK_STREAM:
            # Servers set this too, so a port in TIME_WAIT is not "in use".
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            _bind(sock, address)
        except OSError as err:
            return BIND_ERRORS.get(err.errno or 0, "cannot_bind")
    return None


def _lookup(host: str, port: int, kind: socket.SocketKind) -> list[tuple[Any, ...]]:
    """Resolve the bind address (a seam: tests answer for the resolver)."""
    return socket.getaddrinfo(host, port, socket.AF_INET, kind)


def _bind(sock: socket.socket, address: tuple[str, int]) -> None:
    """Bind (a seam: tests make it fail the way a non-root user's bind fails)."""
    sock.bind(address)
