"""Validation shared by every engine setting: errors, checks, dict helpers.

Each check returns the value or raises a ``SettingsError`` whose ``field``
names the setting and whose message says what is allowed, so the Home
Assistant forms can show it as is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from enum import StrEnum
import ipaddress
import re
from typing import Any

from ..errors import InvalidMacError, ProvisioningError, SettingsError

__all__ = ["InvalidMacError", "ProvisioningError", "SettingsError"]

_SAFE_TEXT = re.compile(r"[\x20-\x7e]*")
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?$")
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_URL = re.compile(r"^https?://[\x21-\x7e]{1,248}$")
_SYNC = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


def check_text(
    value: object, field: str, *, max_len: int, required: bool = False
) -> str:
    """Return ``value`` if it is printable ASCII safe in every file format.

    Double quotes, ``;`` and control characters (newlines included) are
    rejected: the ``.cnf`` format quotes strings with ``"``, starts comments
    with ``;`` and has no escape syntax.
    """
    if not isinstance(value, str):
        raise SettingsError(f"{field} must be text", field=field)
    if required and not value.strip():
        raise SettingsError(f"{field} is required", field=field)
    if len(value) > max_len:
        raise SettingsError(
            f"{field} is {len(value)} characters long; the maximum is {max_len}",
            field=field,
        )
    if not _SAFE_TEXT.fullmatch(value):
        raise SettingsError(
            f"{field} may only contain plain printable ASCII characters "
            "(no accents, tabs or line breaks)",
            field=field,
        )
    for bad in ('"', ";"):
        if bad in value:
            raise SettingsError(
                f"{field} may not contain {bad}: the phone's config format "
                "cannot escape it",
                field=field,
            )
    return value


def check_pattern(
    value: object, field: str, pattern: re.Pattern[str], what: str
) -> str:
    if not isinstance(value, str):
        raise SettingsError(f"{field} must be text", field=field)
    if not pattern.fullmatch(value):
        raise SettingsError(f"{field}: {value!r} is not {what}", field=field)
    return value


def check_host(value: object, field: str, *, required: bool = False) -> str:
    """Return a host name or IPv4 address ("" allowed unless required)."""
    if isinstance(value, str) and value == "" and not required:
        return value
    if isinstance(value, str):
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            pass
        else:
            return value
        if len(value) <= 253 and _HOSTNAME.fullmatch(value) and not value.isdigit():
            return value
    raise SettingsError(
        f"{field}: {value!r} is not a host name or IPv4 address", field=field
    )


def may_resolve(host: str) -> bool:
    """Return whether ``host`` is an IP literal or a name a resolver could answer.

    Decided without DNS, so it is quick and never blocks: text that is not a
    host name (RFC 1123 labels; the last one not all digits, so a mistyped
    address such as ``192.168.1.300`` is not sent to DNS) and names in the
    special-use ``invalid`` domain, which no resolver answers (RFC 2606,
    RFC 6761 section 6.4), are refused before any look-up.
    """
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return True
    if len(host) > 253 or not _HOSTNAME.fullmatch(host):
        return False
    last = host.rstrip(".").rsplit(".", 1)[-1].lower()
    return not last.isdigit() and last != "invalid"


def check_int(value: object, field: str, low: int, high: int) -> int:
    """Return ``value`` if it is an integer within ``low..high``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise SettingsError(f"{field} must be a whole number", field=field)
    if not low <= value <= high:
        raise SettingsError(
            f"{field} is {value}; it must be between {low} and {high}", field=field
        )
    return value


def check_port(value: object, field: str) -> int:
    """Return a UDP/TCP port number."""
    return check_int(value, field, 1, 65535)


def check_bool(value: object, field: str) -> bool:
    """Return ``value`` if it is a real boolean (not 0/1 or text)."""
    if not isinstance(value, bool):
        raise SettingsError(f"{field} must be true or false", field=field)
    return value


def check_image(value: object, field: str, *, required: bool = False) -> str:
    """Return a firmware image name without extension ("" allowed unless required)."""
    if isinstance(value, str) and value == "" and not required:
        return value
    return check_pattern(
        value,
        field,
        _IMAGE,
        "a firmware image name (letters, digits, '.', '-', '_', such as P0S3-8-12-00)",
    )


def check_url(value: object, field: str) -> str:
    """Return an http(s) URL without spaces, quotes or ``;`` ("" allowed)."""
    if isinstance(value, str) and value == "":
        return value
    check_pattern(value, field, _URL, "an http:// or https:// URL without spaces")
    return check_text(value, field, max_len=255)


def check_sync(value: object, field: str = "sync") -> str:
    """Return a resync value (up to 32 letters, digits, '.', '-', '_')."""
    return check_pattern(
        value, field, _SYNC, "a sync value (1-32 letters, digits, '.', '-' or '_')"
    )


def check_enum[E: StrEnum](value: object, field: str, enum: type[E]) -> E:
    """Return the enum member named by ``value``, listing the choices if none."""
    if isinstance(value, str) and value in enum._value2member_map_:
        return enum(value)
    allowed = ", ".join(repr(member.value) for member in enum)
    raise SettingsError(f"{field}: {value!r} is not one of {allowed}", field=field)


def require_mapping(data: object, what: str) -> Mapping[str, Any]:
    """Return ``data`` if it is a JSON object (a mapping)."""
    if not isinstance(data, Mapping):
        raise SettingsError(f"{what} must be an object", field=what)
    return data


def reject_unknown(data: Mapping[str, Any], cls: type[Any], what: str) -> None:
    """Refuse keys that are not fields of ``cls``: a typo must not pass silently."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(str(key) for key in data if key not in known)
    if unknown:
        raise SettingsError(
            f"unknown setting(s) in {what}: {', '.join(unknown)}", field=unknown[0]
        )


def _plain(value: object) -> Any:
    """Return a JSON-safe copy of a dataclass field value."""
    if isinstance(value, StrEnum):
        return value.value
    as_dict = getattr(value, "as_dict", None)
    if callable(as_dict):
        return as_dict()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def plain_dict(obj: object) -> dict[str, Any]:
    """Return a dataclass as a JSON-safe dict (what config entries store)."""
    return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}  # type: ignore[arg-type]


def list_of[T](
    data: object, what: str, build: Callable[[Any], T], *, max_items: int
) -> tuple[T, ...]:
    """Build each item of a JSON list, refusing non-lists and too many items."""
    if isinstance(data, tuple):
        data = list(data)
    if not isinstance(data, list):
        raise SettingsError(f"{what} must be a list", field=what)
    if len(data) > max_items:
        raise SettingsError(
            f"{what} has {len(data)} entries; the maximum is {max_items}", field=what
        )
    return tuple(build(item) for item in data)
