"""FTP settings validation, the lockout guard and the jailed filesystem."""

from __future__ import annotations

import os
from pathlib import Path
import stat
from typing import Any

import pytest

from custom_components.cisco_ip_phone.provisioning.ftp.fs import (
    JailedFS,
    PartialUpload,
    is_partial_name,
)
from custom_components.cisco_ip_phone.provisioning.ftp.lockout import (
    MAX_TRACKED_ADDRESSES,
    LoginGuard,
)
from custom_components.cisco_ip_phone.provisioning.ftp.settings import (
    FtpSettings,
    FtpSettingsError,
    TlsMode,
)
from custom_components.cisco_ip_phone.provisioning.settings.models import (
    ProvisioningError,
)

USERS = {"admin": "pw"}


def test_defaults_are_safe() -> None:
    settings = FtpSettings(users=USERS)
    assert settings.tls is TlsMode.OFF
    assert not settings.allow_delete
    assert not settings.allow_active
    assert settings.max_login_attempts == 3


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"users": {}}, "users"),
        ({"users": {"anonymous": "x"}}, "users"),
        ({"users": {"FTP": "x"}}, "users"),
        ({"users": {"admin": ""}}, "users"),
        ({"users": {"": "pw"}}, "users"),
        ({"users": {"a b": "pw"}}, "users"),
        ({"users": {"x" * 65: "pw"}}, "users"),
        ({"users": {"admin": "pw\r\nSITE"}}, "users"),
        ({"host": ""}, "host"),
        ({"port": 70000}, "port"),
        ({"port": True}, "port"),
        ({"port": "21"}, "port"),
        ({"passive_ports": (50000, 40000)}, "passive_ports"),
        ({"passive_ports": (0, 10)}, "passive_ports"),
        ({"masquerade_address": "fe80::1"}, "masquerade_address"),
        ({"masquerade_address": "router.lan"}, "masquerade_address"),
        ({"tls": "sometimes"}, "tls"),
        ({"keyfile": "/k.pem"}, "certfile"),
        ({"max_login_attempts": 0}, "max_login_attempts"),
        ({"lockout_seconds": 0}, "lockout_seconds"),
        ({"lockout_seconds": 10, "max_lockout_seconds": 5}, "max_lockout_seconds"),
        ({"idle_timeout": -1}, "idle_timeout"),
        ({"auth_failed_delay": -1}, "auth_failed_delay"),
        ({"max_connections": 0}, "max_connections"),
    ],
)
def test_bad_settings_name_the_field(overrides: dict[str, Any], field: str) -> None:
    values: dict[str, Any] = {"users": USERS, **overrides}
    with pytest.raises(FtpSettingsError) as err:
        FtpSettings(**values)
    assert err.value.field == field
    assert isinstance(err.value, ProvisioningError)
    assert str(err.value)


def test_round_trip_and_repr_hides_passwords() -> None:
    settings = FtpSettings(
        host="192.168.1.2",
        port=2121,
        users={"admin": "very-secret"},
        passive_ports=(40000, 40010),
        masquerade_address="203.0.113.5",
        allow_delete=True,
        tls="required",  # type: ignore[arg-type]
        certfile="/c.pem",
    )
    assert settings.tls is TlsMode.REQUIRED
    data = settings.as_dict()
    assert data["passive_ports"] == [40000, 40010]
    assert FtpSettings.from_dict(data) == settings
    assert "very-secret" not in repr(settings)
    assert "admin" in repr(settings)
    with pytest.raises(TypeError):
        settings.users["x"] = "y"  # type: ignore[index]


def test_from_dict_rejects_unknown_and_malformed() -> None:
    with pytest.raises(FtpSettingsError) as err:
        FtpSettings.from_dict({"users": USERS, "colour": "red"})
    assert err.value.field == "colour"
    with pytest.raises(FtpSettingsError) as err:
        FtpSettings.from_dict({"users": USERS, "passive_ports": [1]})
    assert err.value.field == "passive_ports"
    assert FtpSettings.from_dict({"users": USERS}).passive_ports is None


# --- lockout guard -------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lockout_grows_and_is_capped() -> None:
    clock = Clock()
    guard = LoginGuard(max_attempts=3, base_seconds=10, max_seconds=25, clock=clock)
    assert guard.record_failure("10.0.0.9") is None
    assert guard.record_failure("10.0.0.9") is None
    assert guard.record_failure("10.0.0.9") == 10
    assert guard.refused_for("10.0.0.9") == 10
    assert guard.refused_for("10.0.0.8") == 0
    clock.now += 10
    assert guard.refused_for("10.0.0.9") == 0
    for _ in range(2):
        assert guard.record_failure("10.0.0.9") is None
    assert guard.record_failure("10.0.0.9") == 20
    clock.now += 20
    for _ in range(2):
        guard.record_failure("10.0.0.9")
    assert guard.record_failure("10.0.0.9") == 25  # capped


def test_success_and_quiet_time_forget_failures() -> None:
    clock = Clock()
    guard = LoginGuard(max_attempts=2, base_seconds=5, max_seconds=60, clock=clock)
    guard.record_failure("a")
    guard.record_success("a")
    assert guard.record_failure("a") is None  # counter was reset
    assert guard.record_failure("a") == 5
    clock.now += 1000  # quiet for longer than the cap
    assert guard.record_failure("a") is None
    assert guard.record_failure("a") == 5  # strikes forgotten too


def test_guard_memory_is_bounded() -> None:
    clock = Clock()
    guard = LoginGuard(max_attempts=1, base_seconds=5, max_seconds=60, clock=clock)
    for n in range(MAX_TRACKED_ADDRESSES + 10):
        guard.record_failure(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
    assert guard.tracked() <= MAX_TRACKED_ADDRESSES
    clock.now += 100  # all expired: pruned on the next new address
    for n in range(MAX_TRACKED_ADDRESSES):
        guard.record_failure(f"11.0.{n // 256}.{n % 256}")
    assert guard.tracked() <= MAX_TRACKED_ADDRESSES


# --- filesystem ---------------------------------------------------------------


def test_partial_upload_commit_and_discard(tmp_path: Path) -> None:
    final = tmp_path / "fw.bin"
    final.write_bytes(b"old")
    upload = PartialUpload(str(final), fsync=True)
    assert is_partial_name(Path(upload.temp_path).name)
    upload.write(b"new ")
    upload.write(memoryview(b"data"))
    assert final.read_bytes() == b"old"
    assert upload.fileno() >= 0
    assert upload.commit() == 8
    assert final.read_bytes() == b"new data"
    assert stat.S_IMODE(final.stat().st_mode) == 0o644
    assert upload.discard() is False  # nothing to throw away any more
    assert final.exists()

    dropped = PartialUpload(str(final), fsync=False)
    dropped.write(b"half")
    dropped.close()
    assert dropped.closed
    assert dropped.discard() is True
    assert dropped.discard() is False
    assert [p.name for p in tmp_path.iterdir()] == ["fw.bin"]
    assert final.read_bytes() == b"new data"


def test_partial_upload_temp_vanished(tmp_path: Path) -> None:
    upload = PartialUpload(str(tmp_path / "x"), fsync=False)
    Path(upload.temp_path).unlink()
    assert upload.discard() is True


def test_jail_refuses_links_out_and_odd_modes(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret").write_text("s")
    (root / "out").symlink_to(tmp_path / "secret")
    (root / "sub").mkdir()
    fs = JailedFS(str(root), None)
    assert fs.validpath(str(root))
    assert fs.validpath(str(root / "sub"))
    assert not fs.validpath(str(root / "out"))
    assert not fs.validpath(str(tmp_path))
    assert not fs.validpath(str(root) + "-sibling")
    assert not fs.validpath(str(root / "a\x00b"))
    with pytest.raises(FileNotFoundError):
        fs.open(str(root / "out"), "rb")
    with pytest.raises(PermissionError):
        fs.open(str(root / "sub"), "rb")
    with pytest.raises(PermissionError):
        fs.open(str(root / "sub" / "f"), "ab")
    with pytest.raises(PermissionError):
        fs.mkstemp()
    with pytest.raises(NotADirectoryError):
        (root / "file").write_text("f")
        fs.chdir(str(root / "file"))
    with pytest.raises(FileNotFoundError):
        fs.lstat(str(root / ".x.partial-1"))
    assert fs.lstat(str(root / "out")).st_size >= 0
    assert fs.isfile(str(root / "file"))
    assert not fs.isfile(str(root / ".x.partial-1"))
    assert fs.getmtime(str(root / "file")) > 0
    assert os.path.realpath(fs.root) == str(root)
