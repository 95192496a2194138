"""Every XML file the phones read, built with ElementTree so values are escaped.

``SEP<MAC>.cnf.xml`` has two shapes: for a 79x0 it only tells the universal
loader to run SIP and which image (reference §2.4, the SIP firmware then reads
the ``.cnf`` files); for the Java phones it is the whole configuration
(reference §2.5).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import hashlib
import xml.etree.ElementTree as ET

from ..settings.models import (
    MODELS,
    ConfigStyle,
    DialRule,
    PhoneConfig,
    RingTone,
    ServerSettings,
    SettingsError,
    check_image,
    check_sync,
)

DIALPLAN_FILE = "dialplan.xml"
SECURED_SIP_PORT = 5061  # TLS port; TLS itself is not configured here
TRANSPORTS = {"tcp": 1, "udp": 2}  # transportLayerProtocol codes (UCM)
SPEED_DIAL = 21  # featureID of a speed-dial button (usecallmanager.nz line-keys)
AUTO_ANSWER_ON = 1  # autoAnswerEnabled: 0 off, 1 on (usecallmanager.nz)


def _to_bytes(root: ET.Element) -> bytes:
    """Return indented XML text; no declaration, as Cisco's own samples."""
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode").encode("ascii") + b"\n"


def _add(
    parent: ET.Element, tag: str, text: str | int | bool | None = None
) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if isinstance(text, bool):
        element.text = "true" if text else "false"
    elif text is not None:
        element.text = str(text)
    return element


def _add_all(parent: ET.Element, items: Iterable[tuple[str, str | int | bool]]) -> None:
    for tag, text in items:
        _add(parent, tag, text)


def _call_manager_group(
    parent: ET.Element, host: str, ports: Mapping[str, int]
) -> None:
    members = _add(_add(parent, "callManagerGroup"), "members")
    member = _add(members, "member")
    member.set("priority", "0")
    manager = _add(member, "callManager")
    _add_all(_add(manager, "ports"), ports.items())
    _add(manager, "processNodeName", host)


def render_sep_79x0(phone: PhoneConfig, image: str) -> bytes:
    """Return the loader-only ``SEP<MAC>.cnf.xml`` of a 7940/7960."""
    check_image(image, "image", required=True)
    root = ET.Element("device")
    _add(root, "deviceProtocol", "SIP")
    _add(root, "loadInformation", image).set("model", phone.phone_model.xml_model_name)
    return _to_bytes(root)


def render_xml_default(settings: ServerSettings) -> bytes:
    """Return ``XMLDefault.cnf.xml``: one ``loadInformationNNN`` per model."""
    root = ET.Element("Default")
    _call_manager_group(
        root,
        settings.sip_proxy,
        {"ethernetPhonePort": 2000, "sipPort": settings.sip_port},
    )
    for model in MODELS.values():
        image = (
            settings.image_79x0
            if model.config_style is ConfigStyle.CNF
            else settings.xml_images.get(model.load_prefix, "")
        )
        _add(root, f"loadInformation{model.model_id}", image).set(
            "model", model.xml_model_name
        )
    return _to_bytes(root)


def render_sep_xml(
    settings: ServerSettings, phone: PhoneConfig, *, image: str
) -> bytes:
    """Return the full ``SEP<MAC>.cnf.xml`` of a 79x1/79x2/79x5/797x phone."""
    check_image(image, "image")
    s = settings
    address, port = s.proxy_for(phone)
    root = ET.Element("device")
    _add_all(root, [("fullConfig", True), ("deviceProtocol", "SIP")])
    pool = _add(root, "devicePool")
    when = _add(pool, "dateTimeSetting")
    template = s.date_format + ("" if s.time_format_24hr else "A")
    _add_all(when, [("dateTemplate", template), ("timeZone", s.xml_time_zone)])
    if s.ntp_server:
        ntp = _add(_add(when, "ntps"), "ntp")
        _add_all(ntp, [("name", s.ntp_server), ("ntpMode", s.ntp_mode.value)])
    _call_manager_group(
        pool,
        address,
        {"sipPort": port, "securedSipPort": SECURED_SIP_PORT},
    )
    profile = _add(root, "sipProfile")
    proxies = _add(profile, "sipProxies")
    _add_all(
        proxies,
        [
            ("backupProxy", s.proxy_backup),
            ("backupProxyPort", s.proxy_backup_port),
            ("emergencyProxy", s.proxy_emergency),
            ("emergencyProxyPort", s.proxy_emergency_port),
        ],
    )
    if s.outbound_proxy:
        _add_all(
            proxies,
            [
                ("outboundProxy", s.outbound_proxy),
                ("outboundProxyPort", s.outbound_proxy_port),
            ],
        )
    _add(proxies, "registerWithProxy", s.proxy_register)
    stack = _add(profile, "sipStack")
    _add(stack, "timerRegisterExpires", s.timer_register_expires)
    _add_all(
        profile,
        [
            ("enableVad", s.enable_vad),
            ("preferredCodec", s.preferred_codec.value),
            ("dtmfAvtPayload", s.dtmf_avt_payload),
            ("dtmfDbLevel", s.dtmf_db_level),
            ("dtmfOutofBand", s.dtmf_outofband),
            ("phoneLabel", phone.label),
            ("natEnabled", s.nat_enable),
            ("natAddress", s.nat_address),
            ("voipControlPort", s.voip_control_port),
            ("startMediaPort", s.start_media_port),
            ("stopMediaPort", s.end_media_port),
        ],
    )
    if s.dial_plan and phone.dial_plan:
        _add(profile, "dialTemplate", DIALPLAN_FILE)
    lines = _add(profile, "sipLines")
    for number, line in enumerate(phone.lines, start=1):
        element = _add(lines, "line")
        element.set("button", str(number))
        _add_all(
            element,
            [
                ("featureID", 9),
                ("featureLabel", line.short_name or line.name),
                ("proxy", line.proxy_address or address),
                ("port", line.proxy_port if line.proxy_port is not None else port),
                ("name", line.name),
                ("displayName", line.display_name),
                ("authName", line.effective_auth_name),
                ("authPassword", line.password),
                ("messagesNumber", s.messages_uri),
                ("messageWaitingLampPolicy", s.message_waiting_lamp_policy),
            ],
        )
        if line.contact:
            _add(element, "contact", line.contact)
        if line.auto_answer:
            _add(_add(element, "autoAnswer"), "autoAnswerEnabled", AUTO_ANSWER_ON)
    for number, dial in enumerate(phone.speed_dials, start=len(phone.lines) + 1):
        element = _add(lines, "line")
        element.set("button", str(number))
        _add_all(
            element,
            [
                ("featureID", SPEED_DIAL),
                ("featureLabel", dial.label or dial.number),
                ("speedDialNumber", dial.number),
                ("featureOptionMask", 0),
            ],
        )
    password = (
        phone.phone_password if phone.phone_password is not None else s.phone_password
    )
    _add(_add(root, "commonProfile"), "phonePassword", password)
    _add(root, "loadInformation", image)
    _locales(root, s)
    vendor = _add(root, "vendorConfig")  # 0 enables, 1 disables (Cisco's way)
    _add_all(
        vendor,
        [
            ("webAccess", int(not s.web_access)),
            ("sshAccess", int(not s.ssh_access)),
            ("pcPort", int(not s.pc_port)),
        ],
    )
    # Every public template writes it (Asterisk needs UDP); without it the
    # phone's own default applies, which one of them documents as TCP.
    _add(root, "transportLayerProtocol", TRANSPORTS[s.transport])
    for tag, url in (
        ("directoryURL", s.directory_url),
        ("servicesURL", s.services_url),
        ("authenticationURL", s.authentication_url),
        ("idleURL", s.idle_url),
    ):
        if url:
            _add(root, tag, url)
    return _stamped(root)


def _locales(root: ET.Element, settings: ServerSettings) -> None:
    """Write the language and tones folders when not the phone's own (US)."""
    if settings.user_locale:
        _add(_add(root, "userLocale"), "name", settings.user_locale)
    if settings.network_locale:
        _add(root, "networkLocale", settings.network_locale)
        _add(_add(root, "networkLocaleInfo"), "name", settings.network_locale)


def _stamped(root: ET.Element) -> bytes:
    """Return the file with ``<versionStamp>``: a digest of everything else.

    It changes exactly when the file's content does, so the phone (which
    compares it with the stamp of the file it runs) notices new settings.
    """
    digest = hashlib.sha256(_to_bytes(root)).hexdigest()[:32]
    stamp = ET.Element("versionStamp")
    stamp.text = digest
    root.insert(2, stamp)  # after fullConfig and deviceProtocol, as UCM's sample
    return _to_bytes(root)


def render_dialplan(rules: Iterable[DialRule]) -> bytes:
    """Return ``dialplan.xml`` (reference §2.7)."""
    root = ET.Element("DIALTEMPLATE")
    for rule in rules:
        element = _add(root, "TEMPLATE")
        element.set("MATCH", rule.match)
        element.set("Timeout", str(rule.timeout))
        if rule.user:
            element.set("User", rule.user.value)
        if rule.rewrite:
            element.set("Rewrite", rule.rewrite)
    return _to_bytes(root)


def render_ringlist_xml(tones: Iterable[RingTone]) -> bytes:
    """Return ``Ringlist.xml`` for the Java phones (reference §2.6)."""
    root = ET.Element("CiscoIPPhoneRingList")
    for tone in tones:
        ring = _add(root, "Ring")
        _add_all(
            ring, [("DisplayName", tone.display_name), ("FileName", tone.file_name)]
        )
    return _to_bytes(root)


def render_syncinfo(entries: Mapping[str, str]) -> bytes:
    """Return ``syncinfo.xml``: image (or ``*``) -> SYNC value (reference §2.8)."""
    root = ET.Element("SYNCINFO")
    for image, sync in entries.items():
        if image != "*":
            check_image(image, "syncinfo.image", required=True)
        check_sync(sync, "syncinfo.sync")
        element = _add(root, "IMAGE")
        element.set("VERSION", image)
        element.set("SYNC", sync)
    if not len(root):
        raise SettingsError("syncinfo needs at least one entry", field="syncinfo")
    return _to_bytes(root)
