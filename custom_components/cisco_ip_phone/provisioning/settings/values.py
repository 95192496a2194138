"""Small value types inside the server settings: DST rules, dial rules, rings."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
import re
from typing import Any, Self

from .checks import (
    SettingsError,
    check_enum,
    check_int,
    check_pattern,
    check_text,
    plain_dict,
    reject_unknown,
    require_mapping,
)

_DIAL_MATCH = re.compile(r"^[0-9*#.,+\\]{1,64}$")
_DIAL_REWRITE = re.compile(r"^[A-Za-z0-9*#+%.,@_\\-]{0,64}$")
_RING_FILE = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.(?:raw|pcm)$", re.IGNORECASE
)


# ---------------------------------------------------------------- value classes


class NtpMode(StrEnum):
    """How the phone finds its time server (``sntp_mode``)."""

    UNICAST = "unicast"
    MULTICAST = "multicast"
    ANYCAST = "anycast"
    DIRECTED_BROADCAST = "directedbroadcast"


class Codec(StrEnum):
    """Codec the phone offers first (``preferred_codec``)."""

    G711ULAW = "g711ulaw"
    G711ALAW = "g711alaw"
    G729A = "g729a"


class DialUser(StrEnum):
    """``User`` attribute of a dial-plan rule: adds ``;user=`` to the URI."""

    NONE = ""
    IP = "IP"
    PHONE = "Phone"


MONTHS: tuple[str, ...] = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
WEEKDAYS: tuple[str, ...] = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
LAST_WEEK = 8


@dataclass(frozen=True, slots=True)
class DstRule:
    """When daylight saving time starts or stops (the ``dst_start_*`` keys).

    ``day`` 1-31 selects a fixed date; 0 means "use ``week_of_month`` and
    ``day_of_week``" (week 1-6, or 8 for the last week of the month).
    ``day_of_week`` is 1-7 with 1 = Sunday, as the phone counts.
    """

    month: int
    day: int = 0
    day_of_week: int = 1
    week_of_month: int = LAST_WEEK
    hour: int = 2
    minute: int = 0
    field_prefix: str = field(default="dst", compare=False, repr=False)

    def __post_init__(self) -> None:
        prefix = self.field_prefix
        check_int(self.month, f"{prefix}.month", 1, 12)
        check_int(self.day, f"{prefix}.day", 0, 31)
        check_int(self.day_of_week, f"{prefix}.day_of_week", 1, 7)
        if self.week_of_month != LAST_WEEK:
            check_int(self.week_of_month, f"{prefix}.week_of_month", 1, 6)
        check_int(self.hour, f"{prefix}.hour", 0, 23)
        check_int(self.minute, f"{prefix}.minute", 0, 59)

    @classmethod
    def from_dict(cls, data: object, prefix: str = "dst") -> Self:
        mapping = require_mapping(data, prefix)
        known = {"month", "day", "day_of_week", "week_of_month", "hour", "minute"}
        unknown = sorted(str(key) for key in mapping if key not in known)
        if unknown:
            raise SettingsError(
                f"unknown setting(s) in {prefix}: {', '.join(unknown)}",
                field=f"{prefix}.{unknown[0]}",
            )
        if "month" not in mapping:
            raise SettingsError(f"{prefix}.month is required", field=f"{prefix}.month")
        return cls(
            month=mapping["month"],
            day=mapping.get("day", 0),
            day_of_week=mapping.get("day_of_week", 1),
            week_of_month=mapping.get("week_of_month", LAST_WEEK),
            hour=mapping.get("hour", 2),
            minute=mapping.get("minute", 0),
            field_prefix=prefix,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "month": self.month,
            "day": self.day,
            "day_of_week": self.day_of_week,
            "week_of_month": self.week_of_month,
            "hour": self.hour,
            "minute": self.minute,
        }


@dataclass(frozen=True, slots=True)
class DialRule:
    """One ``<TEMPLATE>`` of the dial plan (reference §2.7)."""

    match: str
    timeout: int = 0
    user: DialUser = DialUser.NONE
    rewrite: str = ""

    def __post_init__(self) -> None:
        check_pattern(
            self.match,
            "dial_plan.match",
            _DIAL_MATCH,
            "a dial pattern (digits, '*', '#', '.', ',', '+', '\\')",
        )
        check_int(self.timeout, "dial_plan.timeout", 0, 60)
        object.__setattr__(
            self, "user", check_enum(self.user, "dial_plan.user", DialUser)
        )
        check_pattern(
            self.rewrite,
            "dial_plan.rewrite",
            _DIAL_REWRITE,
            "a rewrite string (digits, letters, '%1'-'%5', '%s', '*', '#', '+')",
        )

    @classmethod
    def from_dict(cls, data: object) -> Self:
        mapping = require_mapping(data, "dial_plan")
        reject_unknown(mapping, cls, "dial_plan")
        if "match" not in mapping:
            raise SettingsError("dial_plan.match is required", field="dial_plan.match")
        return cls(
            match=mapping["match"],
            timeout=mapping.get("timeout", 0),
            user=mapping.get("user", ""),
            rewrite=mapping.get("rewrite", ""),
        )

    def as_dict(self) -> dict[str, Any]:
        return plain_dict(self)


RING_NAME_MAX = 25
RING_TONES_MAX = 50


@dataclass(frozen=True, slots=True)
class RingTone:
    """A custom ring: the name shown on the phone and a raw µ-law file."""

    display_name: str
    file_name: str

    def __post_init__(self) -> None:
        check_text(
            self.display_name,
            "ring_tones.display_name",
            max_len=RING_NAME_MAX,
            required=True,
        )
        if self.display_name != self.display_name.strip():
            raise SettingsError(
                "ring_tones.display_name may not start or end with a space",
                field="ring_tones.display_name",
            )
        check_pattern(
            self.file_name,
            "ring_tones.file_name",
            _RING_FILE,
            "a ring file name ending in .raw or .pcm (letters, digits, '.', '-', '_')",
        )
        if len(self.file_name) > RING_NAME_MAX:
            raise SettingsError(
                f"ring_tones.file_name is longer than {RING_NAME_MAX} characters",
                field="ring_tones.file_name",
            )

    @classmethod
    def from_dict(cls, data: object) -> Self:
        mapping = require_mapping(data, "ring_tones")
        reject_unknown(mapping, cls, "ring_tones")
        return cls(
            display_name=mapping.get("display_name", ""),
            file_name=mapping.get("file_name", ""),
        )

    def as_dict(self) -> dict[str, Any]:
        return plain_dict(self)


_SPEED_NUMBER = re.compile(r"^[0-9*#+]{1,32}$")
SPEED_LABEL_MAX = 30  # featureLabel of the XML phones (usecallmanager.nz)


@dataclass(frozen=True, slots=True)
class SpeedDial:
    """A button after the lines that dials ``number`` (``featureID`` 21)."""

    label: str
    number: str

    def __post_init__(self) -> None:
        check_text(self.label, "speed_dials.label", max_len=SPEED_LABEL_MAX)
        check_pattern(
            self.number,
            "speed_dials.number",
            _SPEED_NUMBER,
            "a number to dial (1-32 digits, * # +)",
        )

    @classmethod
    def from_dict(cls, data: object) -> Self:
        mapping = require_mapping(data, "speed_dials")
        reject_unknown(mapping, cls, "speed_dials")
        return cls(label=mapping.get("label", ""), number=mapping.get("number", ""))

    def as_dict(self) -> dict[str, Any]:
        return plain_dict(self)
