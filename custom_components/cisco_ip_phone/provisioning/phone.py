"""Phone identity (MAC, model) and the validated settings every file is made from.

Validation happens once, here, when a setting is built: renderers can then
trust every value. A value that could break a generated file (a quote, a
``;``, a newline, a control character) is rejected, never escaped, because the
79x0 ``.cnf`` format has no escape syntax.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
import ipaddress
import re
from types import MappingProxyType
from typing import Any, Self


class ProvisioningError(ValueError):
    """A setting or input the engine cannot use; says which one and why."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidMacError(ProvisioningError):
    """A MAC address that is not 12 hexadecimal digits in a known spelling."""


class SettingsError(ProvisioningError):
    """A setting value outside what the phones accept."""


# --------------------------------------------------------------------------- MAC

_MAC_FORMS = (
    re.compile(r"^[0-9A-Fa-f]{12}$"),
    re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$"),
    re.compile(r"^[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){5}$"),
    re.compile(r"^[0-9A-Fa-f]{4}(\.[0-9A-Fa-f]{4}){2}$"),
)


def normalize_mac(value: str) -> str:
    """Return the MAC as 12 upper-case hex digits, the spelling phones request."""
    text = value.strip(" ") if isinstance(value, str) else ""
    if not any(form.fullmatch(text) for form in _MAC_FORMS):
        raise InvalidMacError(
            f"{value!r} is not a MAC address; use 12 hex digits such as "
            "00:11:22:33:44:55, 0011.2233.4455 or 001122334455",
            field="mac",
        )
    return re.sub(r"[^0-9A-Fa-f]", "", text).upper()


_MAC_FILE = re.compile(
    r"^(?:ctlsep|itlsep|sep|sip|mgc)([0-9a-f]{12})\.(?:tlv|cnf\.xml|cnf)$",
    re.IGNORECASE,
)


def mac_from_filename(name: str) -> str | None:
    """Return the MAC a phone put in a requested file name, or None.

    Phones prefix the phone-specific file with ``./`` or a directory taken from
    ``tftp_cfg_dir``, and some models request lower-case names.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    match = _MAC_FILE.fullmatch(base)
    return match.group(1).upper() if match else None


# ------------------------------------------------------------------------ models


class ConfigStyle(StrEnum):
    """Which configuration files a model reads."""

    CNF = "cnf"  # SIPDefault.cnf + SIP<MAC>.cnf (plus a small SEP<MAC>.cnf.xml)
    XML = "xml"  # one full SEP<MAC>.cnf.xml


class Family(StrEnum):
    """Hardware family; phones in one family share firmware and file formats."""

    F79X0 = "79x0"
    F79X1 = "79x1"
    F79X2 = "79x2"
    F79X5 = "79x5"
    F797X = "797x"


@dataclass(frozen=True, slots=True)
class PhoneModel:
    """Fixed facts about one phone model.

    ``model_id`` is Cisco's number used in ``loadInformationNNN`` of
    ``XMLDefault.cnf.xml``. ``load_prefix`` is the number in the Java phones'
    load names (``SIP41.…``, ``term41.default.loads``); the 79x0 images are
    named ``P0S3-…``/``P003…`` instead, so their prefix is empty.
    """

    name: str
    family: Family
    line_keys: int
    model_id: int
    config_style: ConfigStyle
    load_prefix: str

    @property
    def xml_model_name(self) -> str:
        """Return the ``model`` attribute used in loadInformation elements."""
        return f"IP Phone {self.name}"


def _model(
    name: str, family: Family, keys: int, model_id: int, prefix: str
) -> PhoneModel:
    style = ConfigStyle.CNF if family is Family.F79X0 else ConfigStyle.XML
    return PhoneModel(name, family, keys, model_id, style, prefix)


MODELS: Mapping[str, PhoneModel] = MappingProxyType(
    {
        "7940": _model("7940", Family.F79X0, 2, 8, ""),
        "7960": _model("7960", Family.F79X0, 6, 7, ""),
        "7941": _model("7941", Family.F79X1, 2, 115, "41"),
        "7961": _model("7961", Family.F79X1, 6, 30018, "41"),
        "7942": _model("7942", Family.F79X2, 2, 434, "42"),
        "7962": _model("7962", Family.F79X2, 6, 404, "42"),
        "7945": _model("7945", Family.F79X5, 2, 435, "45"),
        "7965": _model("7965", Family.F79X5, 6, 436, "45"),
        "7970": _model("7970", Family.F797X, 8, 30006, "70"),
        "7975": _model("7975", Family.F797X, 8, 437, "75"),
    }
)

LOAD_PREFIXES: tuple[str, ...] = ("41", "42", "45", "70", "75")


def get_model(name: str, *, field: str = "model") -> PhoneModel:
    """Return the model called ``name`` or raise a SettingsError listing models."""
    model = MODELS.get(str(name).strip()) if isinstance(name, str) else None
    if model is None:
        raise SettingsError(
            f"unknown phone model {name!r}; supported: {', '.join(MODELS)}",
            field=field,
        )
    return model


# -------------------------------------------------------------------- validators

_SAFE_TEXT = re.compile(r"[\x20-\x7e]*")
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?$")
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LINE_NAME = re.compile(r"^[A-Za-z0-9._+~!*'()#-]{1,64}$")
_AUTH_NAME = re.compile(r"^[A-Za-z0-9._+~!*'()#@$%&=,-]{1,64}$")
_TIME_ZONE = re.compile(r"^[A-Za-z0-9+-]{1,10}$")
_XML_TIME_ZONE = re.compile(r"^[A-Za-z0-9 /().+,-]{1,64}$")
_DATE_FORMAT = re.compile(r"^(?:M|D|YY?)([/.-])(?:M|D|YY?)\1(?:M|D|YY?)$")
_MESSAGES_URI = re.compile(r"^[A-Za-z0-9*#+.@_-]{0,64}$")
_URL = re.compile(r"^https?://[\x21-\x7e]{1,248}$")
_DIAL_MATCH = re.compile(r"^[0-9*#.,+\\]{1,64}$")
_DIAL_REWRITE = re.compile(r"^[A-Za-z0-9*#+%.,@_\\-]{0,64}$")
_RING_FILE = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.(?:raw|pcm)$", re.IGNORECASE
)
_SYNC = re.compile(r"^[A-Za-z0-9._-]{1,32}$")

UNPROVISIONED = "UNPROVISIONED"


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


def _check_pattern(
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
    return _check_pattern(
        value,
        field,
        _IMAGE,
        "a firmware image name (letters, digits, '.', '-', '_', such as P0S3-8-12-00)",
    )


def check_url(value: object, field: str) -> str:
    """Return an http(s) URL without spaces, quotes or ``;`` ("" allowed)."""
    if isinstance(value, str) and value == "":
        return value
    _check_pattern(value, field, _URL, "an http:// or https:// URL without spaces")
    return check_text(value, field, max_len=255)


def check_sync(value: object, field: str = "sync") -> str:
    """Return a resync value (up to 32 letters, digits, '.', '-', '_')."""
    return _check_pattern(
        value, field, _SYNC, "a sync value (1-32 letters, digits, '.', '-' or '_')"
    )


def _check_enum[E: StrEnum](value: object, field: str, enum: type[E]) -> E:
    if isinstance(value, str) and value in enum._value2member_map_:
        return enum(value)
    allowed = ", ".join(repr(member.value) for member in enum)
    raise SettingsError(f"{field}: {value!r} is not one of {allowed}", field=field)


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


def _mapping(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise SettingsError(f"{what} must be an object", field=what)
    return data


def _reject_unknown(data: Mapping[str, Any], cls: type[Any], what: str) -> None:
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
    if isinstance(value, DstRule | DialRule | RingTone | Line):
        return value.as_dict()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def _as_dict(obj: object) -> dict[str, Any]:
    return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}  # type: ignore[arg-type]


def _list_of[T](
    data: object, what: str, build: Callable[[Any], T], *, max_items: int
) -> tuple[T, ...]:
    if isinstance(data, tuple):
        data = list(data)
    if not isinstance(data, list):
        raise SettingsError(f"{what} must be a list", field=what)
    if len(data) > max_items:
        raise SettingsError(
            f"{what} has {len(data)} entries; the maximum is {max_items}", field=what
        )
    return tuple(build(item) for item in data)


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
        mapping = _mapping(data, prefix)
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
        _check_pattern(
            self.match,
            "dial_plan.match",
            _DIAL_MATCH,
            "a dial pattern (digits, '*', '#', '.', ',', '+', '\\')",
        )
        check_int(self.timeout, "dial_plan.timeout", 0, 60)
        object.__setattr__(
            self, "user", _check_enum(self.user, "dial_plan.user", DialUser)
        )
        _check_pattern(
            self.rewrite,
            "dial_plan.rewrite",
            _DIAL_REWRITE,
            "a rewrite string (digits, letters, '%1'-'%5', '%s', '*', '#', '+')",
        )

    @classmethod
    def from_dict(cls, data: object) -> Self:
        mapping = _mapping(data, "dial_plan")
        _reject_unknown(mapping, cls, "dial_plan")
        if "match" not in mapping:
            raise SettingsError("dial_plan.match is required", field="dial_plan.match")
        return cls(
            match=mapping["match"],
            timeout=mapping.get("timeout", 0),
            user=mapping.get("user", ""),
            rewrite=mapping.get("rewrite", ""),
        )

    def as_dict(self) -> dict[str, Any]:
        return _as_dict(self)


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
        _check_pattern(
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
        mapping = _mapping(data, "ring_tones")
        _reject_unknown(mapping, cls, "ring_tones")
        return cls(
            display_name=mapping.get("display_name", ""),
            file_name=mapping.get("file_name", ""),
        )

    def as_dict(self) -> dict[str, Any]:
        return _as_dict(self)


SHORT_NAME_MAX = 16
DISPLAY_NAME_MAX = 32
PASSWORD_MAX = 64
LABEL_MAX = 32
PHONE_PASSWORD_MAX = 31


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

    def __post_init__(self) -> None:
        _check_pattern(
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
            _check_pattern(
                self.auth_name,
                "line.auth_name",
                _AUTH_NAME,
                "an authentication name (1-64 characters, no spaces, quotes or ';')",
            )
        check_text(self.password, "line.password", max_len=PASSWORD_MAX)
        check_text(self.display_name, "line.display_name", max_len=DISPLAY_NAME_MAX)
        check_text(self.short_name, "line.short_name", max_len=SHORT_NAME_MAX)

    @property
    def effective_auth_name(self) -> str:
        """Return the name used for digest authentication."""
        return self.auth_name or self.name

    @classmethod
    def from_dict(cls, data: object) -> Self:
        mapping = _mapping(data, "line")
        _reject_unknown(mapping, cls, "line")
        if "name" not in mapping:
            raise SettingsError("line.name is required", field="line.name")
        return cls(
            name=mapping["name"],
            auth_name=mapping.get("auth_name", ""),
            password=mapping.get("password", ""),
            display_name=mapping.get("display_name", ""),
            short_name=mapping.get("short_name", ""),
        )

    def as_dict(self) -> dict[str, Any]:
        return _as_dict(self)


DEFAULT_IMAGE_79X0 = "P0S3-8-12-00"


@dataclass(frozen=True)
class PhoneConfig:
    """One phone: identity, lines and the settings it overrides.

    Empty overrides (``""`` / ``None``) mean "use the server-wide value".
    """

    mac: str
    model: str = "7960"
    label: str = ""
    lines: tuple[Line, ...] = ()
    proxy_address: str = ""
    proxy_port: int | None = None
    image: str = ""
    dial_plan: bool = True
    phone_password: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "mac", normalize_mac(self.mac))
        model = get_model(self.model)
        check_text(self.label, "label", max_len=LABEL_MAX)
        lines: object = self.lines
        if isinstance(lines, list):
            lines = tuple(lines)
            object.__setattr__(self, "lines", lines)
        if not isinstance(lines, tuple) or not all(
            isinstance(line, Line) for line in lines
        ):
            raise SettingsError("lines must be a list of lines", field="lines")
        if len(self.lines) > model.line_keys:
            raise SettingsError(
                f"a {model.name} has {model.line_keys} line keys; "
                f"{len(self.lines)} lines were given",
                field="lines",
            )
        check_host(self.proxy_address, "proxy_address")
        if self.proxy_port is not None:
            check_port(self.proxy_port, "proxy_port")
        check_image(self.image, "image")
        check_bool(self.dial_plan, "dial_plan")
        if self.phone_password is not None:
            check_text(
                self.phone_password, "phone_password", max_len=PHONE_PASSWORD_MAX
            )

    @property
    def phone_model(self) -> PhoneModel:
        """Return the model facts for this phone."""
        return MODELS[self.model]

    @classmethod
    def from_dict(cls, data: object) -> Self:
        mapping = _mapping(data, "phone")
        _reject_unknown(mapping, cls, "phone")
        if "mac" not in mapping:
            raise SettingsError("mac is required", field="mac")
        lines = _list_of(mapping.get("lines", []), "lines", Line.from_dict, max_items=8)
        return cls(
            mac=mapping["mac"],
            model=mapping.get("model", "7960"),
            label=mapping.get("label", ""),
            lines=lines,
            proxy_address=mapping.get("proxy_address", ""),
            proxy_port=mapping.get("proxy_port"),
            image=mapping.get("image", ""),
            dial_plan=mapping.get("dial_plan", True),
            phone_password=mapping.get("phone_password"),
        )

    def as_dict(self) -> dict[str, Any]:
        return _as_dict(self)


def _default_dst_start() -> DstRule:
    return DstRule(month=3, week_of_month=LAST_WEEK, day_of_week=1, hour=1)


def _default_dst_stop() -> DstRule:
    return DstRule(month=10, week_of_month=LAST_WEEK, day_of_week=1, hour=2)


@dataclass(frozen=True)
class ServerSettings:
    """Settings shared by every phone served from one TFTP root.

    Defaults follow Cisco's sample ``SIPDefault.cnf`` except where noted:
    registration is on (a provisioning server exists to make phones
    register), and DST defaults to the EU rule (last Sunday of March/October).
    ``xml_images`` maps a Java load prefix (``"41"``, ``"42"``, ``"45"``,
    ``"70"``, ``"75"``) to the load those phones should run.
    """

    sip_proxy: str = ""
    sip_port: int = 5060
    proxy_register: bool = True
    outbound_proxy: str = ""
    outbound_proxy_port: int = 5060
    ntp_server: str = ""
    ntp_mode: NtpMode = NtpMode.UNICAST
    time_zone: str = "GMT"
    xml_time_zone: str = "GMT Standard/Daylight Time"
    dst_auto_adjust: bool = True
    dst_offset: int = 1
    dst_start: DstRule = field(default_factory=_default_dst_start)
    dst_stop: DstRule = field(default_factory=_default_dst_stop)
    time_format_24hr: bool = True
    date_format: str = "M/D/Y"
    nat_enable: bool = False
    nat_address: str = ""
    nat_received_processing: bool = False
    voip_control_port: int = 5060
    start_media_port: int = 16384
    end_media_port: int = 32766
    preferred_codec: Codec = Codec.G711ULAW
    timer_register_expires: int = 3600
    dial_plan: tuple[DialRule, ...] = ()
    ring_tones: tuple[RingTone, ...] = ()
    image_79x0: str = DEFAULT_IMAGE_79X0
    xml_images: Mapping[str, str] = field(default_factory=dict, hash=False)
    phone_password: str = "cisco"  # noqa: S105 - Cisco's documented default
    telnet_level: int = 0
    messages_uri: str = ""
    directory_url: str = ""
    services_url: str = ""
    logo_url: str = ""

    def __post_init__(self) -> None:
        check_host(self.sip_proxy, "sip_proxy")
        check_port(self.sip_port, "sip_port")
        check_bool(self.proxy_register, "proxy_register")
        check_host(self.outbound_proxy, "outbound_proxy")
        check_port(self.outbound_proxy_port, "outbound_proxy_port")
        check_host(self.ntp_server, "ntp_server")
        object.__setattr__(
            self, "ntp_mode", _check_enum(self.ntp_mode, "ntp_mode", NtpMode)
        )
        _check_pattern(
            self.time_zone,
            "time_zone",
            _TIME_ZONE,
            "a time-zone abbreviation such as GMT, CET or EST",
        )
        _check_pattern(
            self.xml_time_zone,
            "xml_time_zone",
            _XML_TIME_ZONE,
            "a Cisco time-zone name such as 'GMT Standard/Daylight Time'",
        )
        check_bool(self.dst_auto_adjust, "dst_auto_adjust")
        check_int(self.dst_offset, "dst_offset", 0, 12)
        for name in ("dst_start", "dst_stop"):
            if not isinstance(getattr(self, name), DstRule):
                raise SettingsError(f"{name} must be a DST rule", field=name)
        check_bool(self.time_format_24hr, "time_format_24hr")
        _check_pattern(
            self.date_format,
            "date_format",
            _DATE_FORMAT,
            "a date format such as M/D/Y, D/M/Y or Y-M-D",
        )
        if sorted(set(self.date_format) - set("/.-")) != ["D", "M", "Y"]:
            raise SettingsError(
                f"date_format: {self.date_format!r} must name D, M and Y once each",
                field="date_format",
            )
        check_bool(self.nat_enable, "nat_enable")
        check_host(self.nat_address, "nat_address")
        check_bool(self.nat_received_processing, "nat_received_processing")
        check_port(self.voip_control_port, "voip_control_port")
        check_int(self.start_media_port, "start_media_port", 1024, 65535)
        check_int(self.end_media_port, "end_media_port", 1024, 65535)
        if self.start_media_port > self.end_media_port:
            raise SettingsError(
                "start_media_port must not be above end_media_port",
                field="start_media_port",
            )
        object.__setattr__(
            self,
            "preferred_codec",
            _check_enum(self.preferred_codec, "preferred_codec", Codec),
        )
        check_int(self.timer_register_expires, "timer_register_expires", 1, 3932100)
        self._check_sequences()
        check_image(self.image_79x0, "image_79x0", required=True)
        self._check_xml_images()
        check_text(self.phone_password, "phone_password", max_len=PHONE_PASSWORD_MAX)
        check_int(self.telnet_level, "telnet_level", 0, 2)
        _check_pattern(
            self.messages_uri,
            "messages_uri",
            _MESSAGES_URI,
            "a number or SIP user to dial for voicemail",
        )
        for name in ("directory_url", "services_url", "logo_url"):
            check_url(getattr(self, name), name)

    def _check_sequences(self) -> None:
        for name, kind, limit in (
            ("dial_plan", DialRule, 100),
            ("ring_tones", RingTone, RING_TONES_MAX),
        ):
            value = getattr(self, name)
            if isinstance(value, list):
                value = tuple(value)
                object.__setattr__(self, name, value)
            if not isinstance(value, tuple) or not all(
                isinstance(item, kind) for item in value
            ):
                raise SettingsError(f"{name} must be a list", field=name)
            if len(value) > limit:
                raise SettingsError(
                    f"{name} has {len(value)} entries; the maximum is {limit}",
                    field=name,
                )

    def _check_xml_images(self) -> None:
        if not isinstance(self.xml_images, Mapping):
            raise SettingsError("xml_images must be an object", field="xml_images")
        for prefix, image in self.xml_images.items():
            if prefix not in LOAD_PREFIXES:
                raise SettingsError(
                    f"xml_images: {prefix!r} is not a load prefix; use one of "
                    f"{', '.join(LOAD_PREFIXES)}",
                    field="xml_images",
                )
            check_image(image, f"xml_images.{prefix}")
        object.__setattr__(
            self, "xml_images", MappingProxyType(dict(sorted(self.xml_images.items())))
        )

    def image_for(self, phone: PhoneConfig) -> str:
        """Return the firmware a phone should run ("" if none is configured)."""
        if phone.image:
            return phone.image
        model = phone.phone_model
        if model.config_style is ConfigStyle.CNF:
            return self.image_79x0
        return self.xml_images.get(model.load_prefix, "")

    def proxy_for(self, phone: PhoneConfig) -> tuple[str, int]:
        """Return the SIP proxy address and port a phone registers with."""
        address = phone.proxy_address or self.sip_proxy
        port = phone.proxy_port if phone.proxy_port is not None else self.sip_port
        return address, port

    @classmethod
    def from_dict(cls, data: object) -> Self:
        mapping = dict(_mapping(data, "server"))
        _reject_unknown(mapping, cls, "server")
        builders: dict[str, Callable[[Any], Any]] = {
            "dst_start": lambda v: DstRule.from_dict(v, "dst_start"),
            "dst_stop": lambda v: DstRule.from_dict(v, "dst_stop"),
            "dial_plan": lambda v: _list_of(
                v, "dial_plan", DialRule.from_dict, max_items=100
            ),
            "ring_tones": lambda v: _list_of(
                v, "ring_tones", RingTone.from_dict, max_items=RING_TONES_MAX
            ),
            "xml_images": lambda v: dict(_mapping(v, "xml_images")),
        }
        for name, build in builders.items():
            if name in mapping:
                mapping[name] = build(mapping[name])
        return cls(**mapping)

    def as_dict(self) -> dict[str, Any]:
        return _as_dict(self)


def phones_from_list(data: Sequence[object]) -> list[PhoneConfig]:
    """Build phones from their dict forms, rejecting a MAC listed twice."""
    phones: list[PhoneConfig] = []
    seen: set[str] = set()
    for item in data:
        phone = PhoneConfig.from_dict(item)
        if phone.mac in seen:
            raise SettingsError(f"phone {phone.mac} is listed twice", field="mac")
        seen.add(phone.mac)
        phones.append(phone)
    return phones
