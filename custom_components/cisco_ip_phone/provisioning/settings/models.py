"""Phone identity (MAC, model) and the validated settings every file is made from.

Validation happens once, when a setting is built: renderers can then
trust every value. A value that could break a generated file (a quote, a
``;``, a newline, a control character) is rejected, never escaped, because the
79x0 ``.cnf`` format has no escape syntax.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Self

from . import table
from .checks import (
    InvalidMacError,
    ProvisioningError,
    SettingsError,
    check_enum,
    check_host,
    check_image,
    check_sync,
    check_text,
    list_of,
    plain_dict,
    reject_unknown,
    require_mapping,
)
from .identity import (
    LOAD_PREFIXES,
    MODELS,
    ConfigStyle,
    Family,
    PhoneModel,
    get_model,
    mac_from_filename,
    normalize_mac,
)
from .line import UNPROVISIONED, Line
from .values import (
    LAST_WEEK,
    MONTHS,
    RING_TONES_MAX,
    WEEKDAYS,
    Codec,
    DialRule,
    DialUser,
    DstRule,
    NtpMode,
    RingTone,
    SpeedDial,
)

__all__ = [
    "DEFAULT_IMAGE_79X0",
    "LAST_WEEK",
    "LOAD_PREFIXES",
    "MODELS",
    "MONTHS",
    "UNPROVISIONED",
    "WEEKDAYS",
    "Codec",
    "ConfigStyle",
    "DialRule",
    "DialUser",
    "DstRule",
    "Family",
    "InvalidMacError",
    "Line",
    "NtpMode",
    "PhoneConfig",
    "PhoneModel",
    "ProvisioningError",
    "RingTone",
    "ServerSettings",
    "SettingsError",
    "SpeedDial",
    "check_host",
    "check_image",
    "check_sync",
    "check_text",
    "get_model",
    "mac_from_filename",
    "normalize_mac",
    "phones_from_list",
]


_ENUMS = {"ntp_mode": NtpMode, "preferred_codec": Codec}


SHORT_NAME_MAX = 16
DISPLAY_NAME_MAX = 32
PASSWORD_MAX = 64
LABEL_MAX = 32
PHONE_PASSWORD_MAX = 31


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
    speed_dials: tuple[SpeedDial, ...] = ()
    overrides: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mac", normalize_mac(self.mac))
        object.__setattr__(self, "overrides", check_overrides(self.overrides))
        model = get_model(self.model)
        table.PHONE["label"].check(self.label)
        lines: object = self.lines
        if isinstance(lines, list):
            lines = tuple(lines)
            object.__setattr__(self, "lines", lines)
        if not isinstance(lines, tuple) or not all(
            isinstance(line, Line) for line in lines
        ):
            raise SettingsError("lines must be a list of lines", field="lines")
        dials = tuple(self.speed_dials)
        object.__setattr__(self, "speed_dials", dials)
        if not all(isinstance(dial, SpeedDial) for dial in dials):
            raise SettingsError("speed_dials must be speed dials", field="speed_dials")
        if len(self.lines) + len(dials) > model.line_keys:
            raise SettingsError(
                f"a {model.name} has {model.line_keys} line keys; "
                f"{len(self.lines)} lines and {len(dials)} speed dials were given",
                field="speed_dials" if dials else "lines",
            )
        for row in table.PHONE_ROWS:
            value = getattr(self, row.key)
            if row.key != "label" and (value is not None or row.default is not None):
                row.check(value)

    def limit_errors(self) -> list[SettingsError]:
        """Return what this phone would ignore or cut (forms refuse it)."""
        errors: list[SettingsError] = []
        family = self.phone_model.family
        for row in table.PHONE_ROWS:
            try:
                row.check_limits(getattr(self, row.key), family)
            except SettingsError as err:
                errors.append(err)
        return errors

    @property
    def phone_model(self) -> PhoneModel:
        """Return the model facts for this phone."""
        return MODELS[self.model]

    @classmethod
    def from_dict(cls, data: object) -> Self:
        mapping = require_mapping(data, "phone")
        reject_unknown(mapping, cls, "phone")
        if "mac" not in mapping:
            raise SettingsError("mac is required", field="mac")
        lines = list_of(mapping.get("lines", []), "lines", Line.from_dict, max_items=8)
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
            speed_dials=list_of(
                mapping.get("speed_dials", []),
                "speed_dials",
                SpeedDial.from_dict,
                max_items=8,
            ),
            overrides=require_mapping(mapping.get("overrides", {}), "overrides"),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form; later additions only when set."""
        data = plain_dict(self)
        for key in ("overrides", "speed_dials"):
            if not data[key]:
                del data[key]
        return data


# Server settings a phone may not override: it has its own field for them
# (``image``) or they are files shared by every phone.
NOT_OVERRIDABLE = frozenset({"image_79x0", "xml_images", "dial_plan", "ring_tones"})


def check_overrides(values: object) -> Mapping[str, Any]:
    """Return a phone's overrides of server settings, each checked by its row."""
    mapping = require_mapping(values, "overrides")
    checked: dict[str, Any] = {}
    for key, value in sorted(mapping.items()):
        row = table.SERVER.get(key)
        if row is None or key in NOT_OVERRIDABLE or row.kind is table.Kind.STRUCT:
            raise SettingsError(
                f"overrides: {key!r} is not a setting a phone can override",
                field=f"overrides.{key}",
            )
        checked[key] = row.check(value, key)
    return MappingProxyType(checked)


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
    transport: str = "udp"
    proxy_backup: str = ""
    proxy_backup_port: int = 5060
    proxy_emergency: str = ""
    proxy_emergency_port: int = 5060
    dtmf_inband: bool = True
    dtmf_outofband: str = "avt"
    dtmf_avt_payload: int = 101
    dtmf_db_level: int = 3
    enable_vad: bool = False
    tos_media: int = 5
    remote_party_id: bool = False
    user_info: str = "none"
    call_waiting: int = 1
    callerid_blocking: int = 0
    anonymous_call_block: int = 0
    dnd_control: int = 0
    cnf_join_enable: bool = True
    semi_attended_transfer: bool = True
    autocomplete: bool = True
    call_hold_ringback: int = 0
    stutter_msg_waiting: bool = False
    call_stats: bool = False
    timer_invite_expires: int = 180
    timer_t1: int = 500
    timer_t2: int = 4000
    sip_retx: int = 10
    sip_invite_retx: int = 6
    phone_prompt: str = "SIP Phone"
    authentication_url: str = ""
    idle_url: str = ""
    web_access: bool = True
    ssh_access: bool = False
    pc_port: bool = True
    message_waiting_lamp_policy: int = 1
    http_proxy_addr: str = ""
    http_proxy_port: int = 80
    user_locale: str = ""
    network_locale: str = ""

    def __post_init__(self) -> None:
        for row in table.SERVER_ROWS:
            if row.kind is not table.Kind.STRUCT and row.key not in _ENUMS:
                row.check(getattr(self, row.key))
        for name, enum in _ENUMS.items():
            object.__setattr__(self, name, check_enum(getattr(self, name), name, enum))
        for name in ("dst_start", "dst_stop"):
            if not isinstance(getattr(self, name), DstRule):
                raise SettingsError(f"{name} must be a DST rule", field=name)
        if sorted(set(self.date_format) - set("/.-")) != ["D", "M", "Y"]:
            raise SettingsError(
                f"date_format: {self.date_format!r} must name D, M and Y once each",
                field="date_format",
            )
        if self.start_media_port > self.end_media_port:
            raise SettingsError(
                "start_media_port must not be above end_media_port",
                field="start_media_port",
            )
        self._check_sequences()
        check_image(self.image_79x0, "image_79x0", required=True)
        self._check_xml_images()

    def limit_errors(self) -> list[SettingsError]:
        """Return what the phones would ignore (forms refuse it, imports warn)."""
        errors: list[SettingsError] = []
        for row in table.SERVER_ROWS:
            try:
                row.check_limits(getattr(self, row.key))
            except SettingsError as err:
                errors.append(err)
        return errors

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

    def for_phone(
        self, phone: PhoneConfig, extra: Mapping[str, Any] | None = None
    ) -> ServerSettings:
        """Return the settings one phone gets: its overrides, then ``extra``.

        ``extra`` is what the integration fills in per phone (for example
        the phone-services URLs); it is checked like a stored override.
        """
        changes = {**phone.overrides, **check_overrides(extra or {})}
        return dataclasses.replace(self, **changes) if changes else self

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
        mapping = dict(require_mapping(data, "server"))
        reject_unknown(mapping, cls, "server")
        builders: dict[str, Callable[[Any], Any]] = {
            "dst_start": lambda v: DstRule.from_dict(v, "dst_start"),
            "dst_stop": lambda v: DstRule.from_dict(v, "dst_stop"),
            "dial_plan": lambda v: list_of(
                v, "dial_plan", DialRule.from_dict, max_items=100
            ),
            "ring_tones": lambda v: list_of(
                v, "ring_tones", RingTone.from_dict, max_items=RING_TONES_MAX
            ),
            "xml_images": lambda v: dict(require_mapping(v, "xml_images")),
        }
        for name, build in builders.items():
            if name in mapping:
                mapping[name] = build(mapping[name])
        return cls(**mapping)

    def as_dict(self) -> dict[str, Any]:
        return plain_dict(self)


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
