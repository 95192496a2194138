"""THE table of settings: one row per setting, everything else derives from it.

A row says what a setting is (key, scope, kind, range or choices, default),
where it goes (which model families read it, its ``.cnf`` key, its XML path),
how an imported file may spell it, which form section shows it, and one line
of help. The models validate with it, the importer maps ``.cnf`` keys with it,
the options form is built from it and ``docs/configuration.md``'s tables are
generated from it (``python -m custom_components.cisco_ip_phone.provisioning
docs``). Adding a setting is one row here, a field on the model, its rendering
where the file needs more than a key and a value, and its translation strings;
``tests/provisioning/test_settings_table.py`` fails until all of those exist.

Two levels of checking: ``check`` refuses what would break a file (always,
also for stored data); ``limits`` refuse what the phone would ignore
(``choices``, ``family_max_len``). Limits are applied where a person enters
a value (forms, imports report them) but not when stored data loads, so an
entry saved by an older version still loads unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import re
from types import MappingProxyType
from typing import Any

from .checks import (
    SettingsError,
    check_bool,
    check_host,
    check_image,
    check_int,
    check_pattern,
    check_port,
    check_text,
    check_url,
)
from .identity import Family


class Scope(StrEnum):
    """Where a setting lives: every phone, one phone, or one line key."""

    SERVER = "server"
    LOCALE = "locale"
    PHONE = "phone"
    LINE = "line"


class Kind(StrEnum):
    """The value type of a setting; decides its check, form field and codec."""

    BOOL = "bool"
    INT = "int"
    PORT = "port"
    HOST = "host"
    URL = "url"
    TEXT = "text"
    PASSWORD = "password"  # noqa: S105 - a kind name, not a secret
    CHOICE = "choice"
    IMAGE = "image"
    STRUCT = "struct"  # a nested value (DST rule, dial plan, ...): own model


class Section(StrEnum):
    """Form section (collapsed except ``basic``) and docs table of a setting."""

    BASIC = "basic"
    TIME = "time"
    PROXIES = "proxies"
    NAT = "nat"
    AUDIO = "audio"
    FEATURES = "features"
    SIP_TIMERS = "sip_timers"
    URLS = "urls"
    FIRMWARE = "firmware"
    ADVANCED = "advanced"
    LOCALE = "locale"
    PHONE = "phone"
    LINE = "line"


ALL: frozenset[Family] = frozenset(Family)
CNF_ONLY: frozenset[Family] = frozenset({Family.F79X0})
XML_ONLY = ALL - CNF_ONLY

# The 79x0 firmware's time-zone abbreviations, west to east (sipXconfig's
# ciscoIp phone.xml enum; every value seen in public working configs is in it).
TIME_ZONES: tuple[str, ...] = (
    "IDL", "NT", "AHST", "IMT", "YST", "PST", "MST", "CST", "EST", "AST",
    "NST", "BST", "AT", "WAT", "GMT", "CET", "EET", "BT", "IT", "ZP4", "AFG",
    "ZP5", "IST", "ZP6", "SUM", "WAST", "HST", "JST", "CAST", "EAST", "EADT",
    "NZST",
)  # fmt: skip
# sipXconfig's date_format enum plus D-M-YY (a working public config).
DATE_FORMATS: tuple[str, ...] = (
    "M/D/Y", "D/M/Y", "Y/M/D", "Y/D/M", "Y-M-D", "YY-M-D", "D-M-YY",
)  # fmt: skip
_TIME_ZONE = re.compile(r"^[A-Za-z0-9+-]{1,10}$")
_XML_TIME_ZONE = re.compile(r"^[A-Za-z0-9 /().+,-]{1,64}$")
_DATE_FORMAT = re.compile(r"^(?:M|D|YY?)([/.-])(?:M|D|YY?)\1(?:M|D|YY?)$")
_MESSAGES_URI = re.compile(r"^[A-Za-z0-9*#+.@_-]{0,64}$")
# A locale is a folder on the TFTP server: letters, digits, '_', '.', '-'.
_LOCALE = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,63})?$")
_CONTACT = re.compile(r"^[A-Za-z0-9._+~!*'()#-]{0,64}$")


@dataclass(frozen=True, slots=True)
class Setting:
    """One row of the table (see the module docstring)."""

    key: str
    scope: Scope
    kind: Kind
    default: Any
    help: str
    section: Section = Section.ADVANCED
    low: int | None = None
    high: int | None = None
    max_len: int | None = None
    pattern: re.Pattern[str] | None = None
    what: str = ""
    choices: tuple[str, ...] = ()
    families: frozenset[Family] = ALL
    cnf_key: str | None = None
    xml_path: str | None = None
    aliases: tuple[str, ...] = ()
    form: bool = True
    translated: bool = False  # choices have labels in strings.json "selector"
    family_max_len: Mapping[Family, int] = field(default_factory=dict)

    def check(self, value: object, field_name: str | None = None) -> Any:
        """Return ``value`` if it cannot break a file; raise SettingsError."""
        name = field_name or self.key
        kind = self.kind
        if kind is Kind.BOOL:
            return check_bool(value, name)
        if kind is Kind.INT:
            return check_int(value, name, self.low or 0, self.high or 0)
        if kind is Kind.PORT:
            return check_port(value, name)
        if kind is Kind.HOST:
            return check_host(value, name)
        if kind is Kind.URL:
            return check_url(value, name)
        if kind is Kind.IMAGE:
            return check_image(value, name)
        if kind is Kind.CHOICE and self.pattern is None:
            return self._check_choice(value, name)
        if self.pattern is not None:
            return check_pattern(value, name, self.pattern, self.what)
        if kind in (Kind.TEXT, Kind.PASSWORD):
            return check_text(value, name, max_len=self.max_len or 255)
        return value  # STRUCT: checked by its own model

    def _check_choice(self, value: object, name: str) -> str:
        text = getattr(value, "value", value)
        if isinstance(text, str) and text in self.choices:
            return text
        allowed = ", ".join(self.choices)
        raise SettingsError(f"{name}: {value!r} is not one of {allowed}", field=name)

    def check_limits(self, value: object, family: Family | None = None) -> None:
        """Raise SettingsError if the phone would ignore or cut ``value``."""
        if self.choices and self.kind is not Kind.CHOICE:
            self._check_choice(value, self.key)
        limit = self.family_max_len.get(family) if family is not None else None
        if limit is not None and isinstance(value, str) and len(value) > limit:
            raise SettingsError(
                f"{self.key} is {len(value)} characters long; a {family} phone "
                f"shows at most {limit}",
                field=self.key,
            )


def _row(key: str, kind: Kind, default: Any, help_: str, **kw: Any) -> Setting:
    if kind is Kind.STRUCT:
        kw.setdefault("form", False)  # nested values have their own editors
    return Setting(key, kw.pop("scope", Scope.SERVER), kind, default, help_, **kw)


def _flag(key: str, default: bool, help_: str, **kw: Any) -> Setting:
    return _row(key, Kind.BOOL, default, help_, cnf_key=kw.pop("cnf_key", key), **kw)


def _feature(key: str, default: int, help_: str) -> Setting:
    """Return a 79x0 call feature: 0 off, 1 on, 2 off and locked, 3 on and locked."""
    return _row(
        key, Kind.INT, default, help_, low=0, high=3, cnf_key=key,
        families=CNF_ONLY, section=Section.FEATURES,
    )  # fmt: skip


def _timer(key: str, default: int, low: int, high: int, help_: str) -> Setting:
    return _row(
        key, Kind.INT, default, help_, low=low, high=high, cnf_key=key,
        families=CNF_ONLY, section=Section.SIP_TIMERS,
    )  # fmt: skip


S, B, P, T, X = Section, Kind.BOOL, Kind.PORT, Kind.TEXT, Kind.STRUCT

SERVER_ROWS: tuple[Setting, ...] = (
    # --- the common case: where the phones register
    _row("sip_proxy", Kind.HOST, "", "SIP server every line registers with.",
         section=S.BASIC, cnf_key="proxy1_address",
         xml_path="…/callManager/processNodeName; sipLines/line/proxy"),
    _row("sip_port", P, 5060, "Port of the SIP server.", section=S.BASIC,
         cnf_key="proxy1_port", xml_path="…/ports/sipPort; sipLines/line/port"),
    _flag("proxy_register", True, "Register the lines (needed to receive calls).",
          section=S.PROXIES, xml_path="sipProfile/sipProxies/registerWithProxy"),
    _row("outbound_proxy", Kind.HOST, "", "Proxy every SIP request goes through.",
         section=S.PROXIES, cnf_key="outbound_proxy",
         xml_path="sipProfile/sipProxies/outboundProxy"),
    _row("outbound_proxy_port", P, 5060, "Port of the outbound proxy.",
         section=S.PROXIES, cnf_key="outbound_proxy_port",
         xml_path="sipProfile/sipProxies/outboundProxyPort"),
    # --- time
    _row("ntp_server", Kind.HOST, "", "NTP server for the phones' clock.",
         section=S.TIME, cnf_key="sntp_server",
         xml_path="devicePool/dateTimeSetting/ntps/ntp/name"),
    _row("ntp_mode", Kind.CHOICE, "unicast", "How the phone finds the time server.",
         section=S.TIME, cnf_key="sntp_mode",
         choices=("unicast", "multicast", "anycast", "directedbroadcast"),
         xml_path="devicePool/dateTimeSetting/ntps/ntp/ntpMode"),
    _row("time_zone", T, "GMT", "Time-zone abbreviation of the 7940/7960.",
         section=S.TIME, cnf_key="time_zone", families=CNF_ONLY,
         pattern=_TIME_ZONE, what="a time-zone abbreviation such as GMT, CET or EST",
         choices=TIME_ZONES),
    _row("xml_time_zone", T, "GMT Standard/Daylight Time",
         "Cisco time-zone name of the XML phones.", section=S.TIME,
         families=XML_ONLY, pattern=_XML_TIME_ZONE,
         what="a Cisco time-zone name such as 'GMT Standard/Daylight Time'",
         xml_path="devicePool/dateTimeSetting/timeZone"),
    _flag("dst_auto_adjust", True, "Adjust the clock for daylight saving time.",
          section=S.TIME),
    _row("dst_offset", Kind.INT, 1, "Hours added during daylight saving time.",
         section=S.TIME, low=0, high=12, cnf_key="dst_offset"),
    _row("dst_start", X, None, "When daylight saving time starts.", section=S.TIME,
         cnf_key="dst_start_*"),
    _row("dst_stop", X, None, "When daylight saving time ends.", section=S.TIME,
         cnf_key="dst_stop_*"),
    _flag("time_format_24hr", True, "Show a 24-hour clock.", section=S.TIME,
          xml_path="devicePool/dateTimeSetting/dateTemplate (no A suffix)"),
    _row("date_format", T, "M/D/Y", "How the date is shown.", section=S.TIME,
         cnf_key="date_format", pattern=_DATE_FORMAT,
         what="a date format such as M/D/Y, D/M/Y or Y-M-D", choices=DATE_FORMATS,
         xml_path="devicePool/dateTimeSetting/dateTemplate"),
    # --- NAT and ports
    _flag("nat_enable", False, "Phones are behind NAT.", section=S.NAT,
          xml_path="sipProfile/natEnabled"),
    _row("nat_address", Kind.HOST, "", "Public address of the NAT router.",
         section=S.NAT, cnf_key="nat_address", xml_path="sipProfile/natAddress"),
    _flag("nat_received_processing", False, "Use the received= address of replies.",
          section=S.NAT, families=CNF_ONLY),
    _row("voip_control_port", P, 5060, "Local UDP port for SIP.", section=S.NAT,
         cnf_key="voip_control_port", xml_path="sipProfile/voipControlPort",
         ),
    _row("start_media_port", Kind.INT, 16384, "First RTP port.", section=S.NAT,
         low=1024, high=65535, cnf_key="start_media_port",
         xml_path="sipProfile/startMediaPort"),
    _row("end_media_port", Kind.INT, 32766, "Last RTP port.", section=S.NAT,
         low=1024, high=65535, cnf_key="end_media_port",
         xml_path="sipProfile/stopMediaPort"),
    # --- audio
    _row("preferred_codec", Kind.CHOICE, "g711ulaw", "Codec the phones offer first.",
         section=S.AUDIO, cnf_key="preferred_codec",
         choices=("g711ulaw", "g711alaw", "g729a"), translated=True,
         xml_path="sipProfile/preferredCodec"),
    _row("timer_register_expires", Kind.INT, 3600, "Registration lifetime (s).",
         section=S.SIP_TIMERS, low=1, high=3932100, cnf_key="timer_register_expires",
         xml_path="sipProfile/sipStack/timerRegisterExpires"),
    _row("dial_plan", X, (), "Dial-plan rules (dialplan.xml).",
         cnf_key="dial_template", xml_path="sipProfile/dialTemplate"),
    _row("ring_tones", X, (), "Custom rings (RINGLIST.DAT, Ringlist.xml).",
         ),
    # --- firmware and access
    _row("image_79x0", Kind.IMAGE, "P0S3-8-12-00", "Image every 7940/7960 runs.",
         section=S.FIRMWARE, cnf_key="image_version", families=CNF_ONLY),
    _row("xml_images", X, None, "Load each XML family runs, by load prefix.",
         section=S.FIRMWARE, families=XML_ONLY,
         xml_path="loadInformation"),
    _row("phone_password", Kind.PASSWORD, "cisco",
         "Password of the phone's settings menu.", section=S.ADVANCED, max_len=31,
         cnf_key="phone_password", xml_path="commonProfile/phonePassword"),
    _row("telnet_level", Kind.INT, 0, "Telnet: 0 off, 1 on, 2 privileged.",
         low=0, high=2, cnf_key="telnet_level", families=CNF_ONLY),
    _row("messages_uri", T, "", "Number the Messages button dials.",
         section=S.FEATURES, cnf_key="messages_uri", pattern=_MESSAGES_URI,
         what="a number or SIP user to dial for voicemail",
         xml_path="sipLines/line/messagesNumber"),
    # --- phone services
    _row("directory_url", Kind.URL, "", "URL of the Directories button.",
         section=S.URLS, cnf_key="directory_url", xml_path="directoryURL"),
    _row("services_url", Kind.URL, "", "URL of the Services button.",
         section=S.URLS, cnf_key="services_url", xml_path="servicesURL"),
    _row("logo_url", Kind.URL, "", "Idle-screen logo (BMP) of the 7940/7960.",
         section=S.URLS, cnf_key="logo_url", families=CNF_ONLY),
    # --- added for real deployments (issue #13); appended so older files keep
    # their lines. Defaults are the phone's own (Cisco's sample SIPDefault.cnf).
    _row("transport", Kind.CHOICE, "udp", "SIP transport of the XML phones.",
         section=S.PROXIES, choices=("udp", "tcp"), families=XML_ONLY,
         xml_path="transportLayerProtocol"),
    _row("proxy_backup", Kind.HOST, "", "Backup proxy when the SIP server fails.",
         section=S.PROXIES, cnf_key="proxy_backup",
         xml_path="sipProfile/sipProxies/backupProxy"),
    _row("proxy_backup_port", P, 5060, "Port of the backup proxy.",
         section=S.PROXIES, cnf_key="proxy_backup_port",
         xml_path="sipProfile/sipProxies/backupProxyPort"),
    _row("proxy_emergency", Kind.HOST, "", "Proxy for emergency calls.",
         section=S.PROXIES, cnf_key="proxy_emergency",
         xml_path="sipProfile/sipProxies/emergencyProxy"),
    _row("proxy_emergency_port", P, 5060, "Port of the emergency proxy.",
         section=S.PROXIES, cnf_key="proxy_emergency_port",
         xml_path="sipProfile/sipProxies/emergencyProxyPort"),
    _flag("dtmf_inband", True, "Send DTMF tones in the audio.", section=S.AUDIO,
          families=CNF_ONLY),
    _row("dtmf_outofband", Kind.CHOICE, "avt", "Send DTMF as RFC 2833 events.",
         section=S.AUDIO, choices=("none", "avt", "avt_always"),
         cnf_key="dtmf_outofband", xml_path="sipProfile/dtmfOutofBand"),
    _row("dtmf_avt_payload", Kind.INT, 101, "RTP payload type of DTMF events.",
         section=S.AUDIO, low=96, high=127, cnf_key="dtmf_avt_payload",
         xml_path="sipProfile/dtmfAvtPayload"),
    _row("dtmf_db_level", Kind.INT, 3, "DTMF tone level: 1 (-6 dB) to 5 (+6 dB).",
         section=S.AUDIO, low=1, high=5, cnf_key="dtmf_db_level",
         xml_path="sipProfile/dtmfDbLevel"),
    _flag("enable_vad", False, "Voice activity detection (silence suppression).",
          section=S.AUDIO, xml_path="sipProfile/enableVad"),
    _row("tos_media", Kind.INT, 5, "IP precedence of RTP packets.",
         section=S.AUDIO, low=0, high=5, cnf_key="tos_media", families=CNF_ONLY,
         ),
    _flag("remote_party_id", False, "Send a Remote-Party-ID header.",
          section=S.FEATURES, families=CNF_ONLY),
    _row("user_info", Kind.CHOICE, "none", "user= parameter of the REGISTER.",
         section=S.FEATURES, choices=("none", "phone", "ip"), cnf_key="user_info",
         families=CNF_ONLY),
    _feature("call_waiting", 1, "Call waiting (2/3: locked off/on)."),
    _feature("callerid_blocking", 0, "Hide caller ID (2/3: locked off/on)."),
    _feature("anonymous_call_block", 0, "Refuse anonymous calls (2/3: locked)."),
    _feature("dnd_control", 0, "Do not disturb (2/3: locked off/on)."),
    _flag("cnf_join_enable", True, "Join the parties when the conference host "
          "hangs up.", section=S.FEATURES, families=CNF_ONLY),
    _flag("semi_attended_transfer", True, "Transfer while the target rings.",
          section=S.FEATURES, families=CNF_ONLY),
    _flag("autocomplete", True, "Complete numbers while dialling.",
          section=S.FEATURES, families=CNF_ONLY),
    _feature("call_hold_ringback", 0, "Ring back a call left on hold (2/3: locked)."),
    _flag("stutter_msg_waiting", False, "Stutter dial tone for waiting messages.",
          section=S.FEATURES, families=CNF_ONLY),
    _flag("call_stats", False, "Send call statistics in the BYE.",
          section=S.FEATURES, families=CNF_ONLY),
    _timer("timer_invite_expires", 180, 1, 3600, "Lifetime of an INVITE (s)."),
    _timer("timer_t1", 500, 100, 60000, "SIP T1 timer (ms)."),
    _timer("timer_t2", 4000, 100, 60000, "SIP T2 timer (ms)."),
    _timer("sip_retx", 10, 0, 10, "Retransmissions of other SIP requests."),
    _timer("sip_invite_retx", 6, 0, 6, "Retransmissions of an INVITE."),
    _row("phone_prompt", T, "SIP Phone", "Prompt of the phone's telnet console.",
         max_len=15, cnf_key="phone_prompt", families=CNF_ONLY),
    _row("authentication_url", Kind.URL, "", "URL the phone asks whether a "
         "push to it is allowed.", section=S.URLS, families=XML_ONLY,
         xml_path="authenticationURL"),
    _row("idle_url", Kind.URL, "", "Page shown when the phone is idle.",
         section=S.URLS, families=XML_ONLY, xml_path="idleURL"),
    _flag("web_access", True, "The phone's web server (XML phones).",
          section=S.ADVANCED, families=XML_ONLY, cnf_key=None,
          xml_path="vendorConfig/webAccess"),
    _flag("ssh_access", False, "SSH access to the phone (XML phones).",
          section=S.ADVANCED, families=XML_ONLY, cnf_key=None,
          xml_path="vendorConfig/sshAccess"),
    _flag("pc_port", True, "The phone's PC port (XML phones).",
          section=S.ADVANCED, families=XML_ONLY, cnf_key=None,
          xml_path="vendorConfig/pcPort"),
    _row("message_waiting_lamp_policy", Kind.INT, 1, "Waiting messages: 0 lamp "
         "and prompt, 1 prompt, 2 lamp (primary line); 3-5 the same for all "
         "lines; 6 none.", section=S.FEATURES, low=0, high=6, families=XML_ONLY,
         xml_path="sipLines/line/messageWaitingLampPolicy"),
    _row("http_proxy_addr", Kind.HOST, "", "HTTP proxy for the URLs above.",
         section=S.URLS, cnf_key="http_proxy_addr", families=CNF_ONLY),
    _row("http_proxy_port", P, 80, "Port of the HTTP proxy.", section=S.URLS,
         cnf_key="http_proxy_port", families=CNF_ONLY),
    _row("user_locale", T, "", "Language folder (e.g. German_Germany); empty: "
         "English.", section=S.LOCALE, families=XML_ONLY, pattern=_LOCALE,
         what="a locale folder name such as German_Germany",
         xml_path="userLocale/name"),
    _row("network_locale", T, "", "Tones folder (e.g. Germany); empty: United "
         "States.", section=S.LOCALE, families=XML_ONLY, pattern=_LOCALE,
         what="a network locale folder name such as United_Kingdom",
         xml_path="networkLocale"),
)  # fmt: skip

PHONE_ROWS: tuple[Setting, ...] = (
    _row("label", T, "", "Name on the phone's screen and in Home Assistant.",
         scope=Scope.PHONE, section=S.PHONE, max_len=32, cnf_key="phone_label",
         xml_path="sipProfile/phoneLabel", family_max_len={Family.F79X0: 11}),
    _row("image", Kind.IMAGE, "", "Image this phone runs (empty: server-wide).",
         scope=Scope.PHONE, section=S.PHONE, cnf_key="image_version",
         xml_path="loadInformation"),
    _row("proxy_address", Kind.HOST, "", "SIP server of this phone's lines.",
         scope=Scope.PHONE, section=S.PHONE, cnf_key="proxy1_address",
         xml_path="sipLines/line/proxy"),
    _row("proxy_port", P, None, "Port of that SIP server.", scope=Scope.PHONE,
         section=S.PHONE, cnf_key="proxy1_port", xml_path="sipLines/line/port"),
    _row("dial_plan", B, True, "Use the server's dial plan.", scope=Scope.PHONE,
         section=S.PHONE, form=False, cnf_key="dial_template",
         xml_path="sipProfile/dialTemplate"),
    _row("phone_password", Kind.PASSWORD, None, "Settings-menu password override.",
         scope=Scope.PHONE, section=S.PHONE, max_len=31, form=False,
         cnf_key="phone_password", xml_path="commonProfile/phonePassword"),
    _row("speed_dials", X, (), "Speed-dial buttons after the lines: label and "
         "number.", scope=Scope.PHONE, section=S.PHONE, families=XML_ONLY,
         xml_path="sipLines/line (featureID 21)"),
)  # fmt: skip

LINE_ROWS: tuple[Setting, ...] = (
    _row("name", T, "", "SIP user of the line.", scope=Scope.LINE, section=S.LINE,
         cnf_key="lineN_name", xml_path="sipLines/line/name"),
    _row("auth_name", T, "", "Digest user (empty: the SIP user).", scope=Scope.LINE,
         section=S.LINE, cnf_key="lineN_authname", xml_path="sipLines/line/authName"),
    _row("password", Kind.PASSWORD, "", "Password of the SIP account.",
         scope=Scope.LINE, section=S.LINE, max_len=64, cnf_key="lineN_password",
         xml_path="sipLines/line/authPassword"),
    _row("display_name", T, "", "Caller name sent with calls.", scope=Scope.LINE,
         section=S.LINE, max_len=32, cnf_key="lineN_displayname",
         xml_path="sipLines/line/displayName"),
    _row("short_name", T, "", "Label next to the line key.", scope=Scope.LINE,
         section=S.LINE, max_len=32, cnf_key="lineN_shortname",
         xml_path="sipLines/line/featureLabel"),
    _row("proxy_address", Kind.HOST, "", "SIP server of this line (empty: the "
         "phone's).", scope=Scope.LINE, section=S.LINE, cnf_key="proxyN_address",
         xml_path="sipLines/line/proxy", form=False),
    _row("proxy_port", P, None, "Port of that SIP server.", scope=Scope.LINE,
         section=S.LINE, cnf_key="proxyN_port", xml_path="sipLines/line/port",
         form=False),
    _row("auto_answer", B, False, "Answer calls on the speaker by itself.",
         scope=Scope.LINE, section=S.LINE, families=XML_ONLY,
         xml_path="sipLines/line/autoAnswer/autoAnswerEnabled"),
    _row("contact", T, "", "Contact user of the registration (empty: the SIP "
         "user).", scope=Scope.LINE, section=S.LINE, families=XML_ONLY,
         pattern=_CONTACT, what="a SIP user name (letters, digits, . _ + ~ ! * "
         "' ( ) # -)", xml_path="sipLines/line/contact"),
)  # fmt: skip

ROWS: tuple[Setting, ...] = SERVER_ROWS + PHONE_ROWS + LINE_ROWS

SERVER: Mapping[str, Setting] = MappingProxyType({r.key: r for r in SERVER_ROWS})
PHONE: Mapping[str, Setting] = MappingProxyType({r.key: r for r in PHONE_ROWS})
LINE: Mapping[str, Setting] = MappingProxyType({r.key: r for r in LINE_ROWS})


def server_rows(*, form_only: bool = False) -> Iterator[Setting]:
    """Yield the server rows (only those the options form shows if asked)."""
    return (
        row
        for row in SERVER_ROWS
        if not form_only or (row.form and row.kind is not Kind.STRUCT)
    )


def cnf_server_keys() -> dict[str, Setting]:
    """Return ``.cnf`` key (and alias) -> server row, for plain key/value rows."""
    found: dict[str, Setting] = {}
    for row in SERVER_ROWS:
        if row.cnf_key and row.kind is not Kind.STRUCT:
            for name in (row.cnf_key, *row.aliases):
                found[name] = row
    return found
