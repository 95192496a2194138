"""The 79x0 (7940/7960) SIP files: ``SIPDefault.cnf`` and ``SIP<MAC>.cnf``.

Server-wide values go in ``SIPDefault.cnf``; the phone file carries the lines,
the label, the values the phone overrides, its ``image_version`` (which may be
a firmware hop) and its ``sync`` value (remote resync, reference §4.1).

Unused line keys are written with the ``UNPROVISIONED`` convention
(reference §2.2) rather than left out: a value missing from the files keeps
whatever the phone has in flash, so a deleted line would otherwise stay
registered.
"""

from __future__ import annotations

from ..settings.identity import Family
from ..settings.models import (
    MONTHS,
    UNPROVISIONED,
    WEEKDAYS,
    DstRule,
    PhoneConfig,
    ServerSettings,
    check_image,
    check_sync,
)
from ..settings.table import SERVER, SERVER_ROWS
from .cnf_syntax import CnfValue, format_time, write_cnf

DIAL_TEMPLATE = "dialplan"


def _dst_pairs(which: str, rule: DstRule) -> list[tuple[str, CnfValue]]:
    return [
        (f"dst_{which}_month", MONTHS[rule.month - 1]),
        (f"dst_{which}_day", rule.day),
        (f"dst_{which}_day_of_week", WEEKDAYS[rule.day_of_week - 1]),
        (f"dst_{which}_week_of_month", rule.week_of_month),
        (f"dst_{which}_time", format_time(rule.hour, rule.minute)),
    ]


def sip_default_pairs(settings: ServerSettings) -> list[tuple[str, CnfValue]]:
    """Return the ``SIPDefault.cnf`` entries, in the order Cisco's sample uses."""
    s = settings
    pairs: list[tuple[str, CnfValue]] = [
        ("image_version", s.image_79x0),
        ("proxy1_address", s.sip_proxy),
        ("proxy1_port", s.sip_port),
        ("proxy_register", s.proxy_register),
        ("timer_register_expires", s.timer_register_expires),
        ("preferred_codec", s.preferred_codec.value),
        ("outbound_proxy", s.outbound_proxy),
        ("outbound_proxy_port", s.outbound_proxy_port),
        ("messages_uri", s.messages_uri),
        ("dial_template", DIAL_TEMPLATE if s.dial_plan else ""),
        ("tftp_cfg_dir", ""),
        ("sntp_server", s.ntp_server),
        ("sntp_mode", s.ntp_mode.value),
        ("time_zone", s.time_zone),
        ("dst_offset", s.dst_offset),
        ("dst_auto_adjust", s.dst_auto_adjust),
        *_dst_pairs("start", s.dst_start),
        *_dst_pairs("stop", s.dst_stop),
        ("time_format_24hr", s.time_format_24hr),
        ("date_format", s.date_format),
        ("nat_enable", s.nat_enable),
        ("nat_address", s.nat_address),
        ("nat_received_processing", s.nat_received_processing),
        ("voip_control_port", s.voip_control_port),
        ("start_media_port", s.start_media_port),
        ("end_media_port", s.end_media_port),
        ("telnet_level", s.telnet_level),
        ("phone_password", s.phone_password),
        ("directory_url", s.directory_url),
        ("services_url", s.services_url),
        ("logo_url", s.logo_url),
    ]
    # Settings added after the first release follow, in table order, so a
    # file written before them keeps its lines. Always written: a value left
    # out keeps whatever the phone has in flash.
    pairs += [
        (row.cnf_key, getattr(s, row.key))
        for row in SERVER_ROWS[SERVER_ROWS.index(SERVER["logo_url"]) + 1 :]
        if row.cnf_key and Family.F79X0 in row.families
    ]
    return pairs


def sip_mac_pairs(
    settings: ServerSettings,
    phone: PhoneConfig,
    *,
    image: str,
    sync: str,
    effective: ServerSettings | None = None,
) -> list[tuple[str, CnfValue]]:
    """Return the ``SIP<MAC>.cnf`` entries for one 79x0 phone.

    ``effective`` is ``settings`` with this phone's overrides applied
    (``ServerSettings.for_phone``); each value that differs from
    ``SIPDefault.cnf`` is written here, where the phone lets it win.
    """
    check_image(image, "image", required=True)
    check_sync(sync)
    address, port = settings.proxy_for(phone)
    first = phone.lines[0] if phone.lines else None
    pairs: list[tuple[str, CnfValue]] = [
        ("image_version", image),
        ("sync", sync),
        ("phone_label", phone.label),
    ]
    if phone.proxy_address or (first and first.proxy_address):
        pairs.append(("proxy1_address", (first and first.proxy_address) or address))
    if phone.proxy_port is not None or (first and first.proxy_port is not None):
        own = first.proxy_port if first else None
        pairs.append(("proxy1_port", own if own is not None else port))
    if phone.phone_password is not None:
        pairs.append(("phone_password", phone.phone_password))
    if not phone.dial_plan:
        pairs.append(("dial_template", ""))
    if effective is not None:
        pairs += _override_pairs(settings, effective)
    for number in range(1, phone.phone_model.line_keys + 1):
        pairs.extend(_line_pairs(phone, number, address, port))
    return pairs


def _override_pairs(
    settings: ServerSettings, effective: ServerSettings
) -> list[tuple[str, CnfValue]]:
    """Return the entries whose per-phone value differs from SIPDefault.cnf."""
    default_pairs = dict(sip_default_pairs(settings))
    return [
        (key, value)
        for key, value in sip_default_pairs(effective)
        if default_pairs.get(key) != value
    ]


def _line_pairs(
    phone: PhoneConfig, number: int, address: str, port: int
) -> list[tuple[str, CnfValue]]:
    n = number
    if n > len(phone.lines):
        return [
            (f"line{n}_name", UNPROVISIONED),
            (f"line{n}_authname", UNPROVISIONED),
            (f"line{n}_password", UNPROVISIONED),
            (f"line{n}_displayname", ""),
            (f"line{n}_shortname", ""),
        ]
    line = phone.lines[n - 1]
    pairs: list[tuple[str, CnfValue]] = [
        (f"line{n}_name", line.name),
        (f"line{n}_authname", line.effective_auth_name),
        (f"line{n}_password", line.password),
        (f"line{n}_displayname", line.display_name),
        (f"line{n}_shortname", line.short_name),
    ]
    if n > 1:
        own_port = line.proxy_port if line.proxy_port is not None else port
        pairs += [
            (f"proxy{n}_address", line.proxy_address or address),
            (f"proxy{n}_port", own_port),
        ]
    return pairs


def render_sip_default(settings: ServerSettings) -> bytes:
    """Return ``SIPDefault.cnf``."""
    return write_cnf(sip_default_pairs(settings))


def render_sip_mac(
    settings: ServerSettings,
    phone: PhoneConfig,
    *,
    image: str,
    sync: str,
    effective: ServerSettings | None = None,
) -> bytes:
    """Return ``SIP<MAC>.cnf`` for a 79x0 phone."""
    return write_cnf(
        sip_mac_pairs(settings, phone, image=image, sync=sync, effective=effective)
    )
