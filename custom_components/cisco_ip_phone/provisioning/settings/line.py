"""One line key of a phone: the SIP account it registers and how it shows.

Its own module so ``models.py`` stays one job (phone and server settings);
``models`` re-exports ``Line``, so callers keep importing it from there.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Any, Self

from . import table
from .checks import (
    SettingsError,
    check_pattern,
    plain_dict,
    reject_unknown,
    require_mapping,
)

_LINE_NAME = re.compile(r"^[A-Za-z0-9._+~!*'()#-]{1,64}$")
_AUTH_NAME = re.compile(r"^[A-Za-z0-9._+~!*'()#@$%&=,-]{1,64}$")

UNPROVISIONED = "UNPROVISIONED"


@dataclass(frozen=True, slots=True)
class Line:
    """One line key: the SIP account it registers and how it is labelled.

    ``auth_name`` defaults to ``name`` when empty; one equal to ``name`` is
    stored empty, so a setting has one spelling and imports round-trip.
    """

    name: str
    auth_name: str = ""
    password: str = ""
    display_name: str = ""
    short_name: str = ""
    proxy_address: str = ""
    proxy_port: int | None = None
    auto_answer: bool = False
    contact: str = ""

    def __post_init__(self) -> None:
        check_pattern(
            self.name,
            "line.name",
            _LINE_NAME,
            "a SIP user name (1-64 letters, digits or . _ + ~ ! * ' ( ) # -)",
        )
        if self.name.upper() == UNPROVISIONED:
            raise SettingsError(
                "line.name UNPROVISIONED marks an unused line; remove the line instead",
                field="line.name",
            )
        if self.auth_name == self.name:
            object.__setattr__(self, "auth_name", "")
        if self.auth_name:
            check_pattern(
                self.auth_name,
                "line.auth_name",
                _AUTH_NAME,
                "an authentication name (1-64 characters, no spaces, quotes or ';')",
            )
        for key in ("password", "display_name", "short_name", "proxy_address"):
            table.LINE[key].check(getattr(self, key), f"line.{key}")
        for key in ("auto_answer", "contact"):
            table.LINE[key].check(getattr(self, key), f"line.{key}")
        if self.proxy_port is not None:
            table.LINE["proxy_port"].check(self.proxy_port, "line.proxy_port")

    @property
    def effective_auth_name(self) -> str:
        """Return the name used for digest authentication."""
        return self.auth_name or self.name

    @classmethod
    def from_dict(cls, data: object) -> Self:
        mapping = require_mapping(data, "line")
        reject_unknown(mapping, cls, "line")
        if "name" not in mapping:
            raise SettingsError("line.name is required", field="line.name")
        return cls(
            name=mapping["name"],
            auth_name=mapping.get("auth_name", ""),
            password=mapping.get("password", ""),
            display_name=mapping.get("display_name", ""),
            short_name=mapping.get("short_name", ""),
            proxy_address=mapping.get("proxy_address", ""),
            proxy_port=mapping.get("proxy_port"),
            auto_answer=mapping.get("auto_answer", False),
            contact=mapping.get("contact", ""),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form; unset later additions are left out."""
        data = plain_dict(self)
        for key in ("proxy_address", "proxy_port", "auto_answer", "contact"):
            if data[key] in ("", None, False):
                del data[key]
        return data
