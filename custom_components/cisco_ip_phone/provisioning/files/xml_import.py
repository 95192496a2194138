"""Import a 79x1/79x2/79x5/797x phone from its ``SEP<MAC>.cnf.xml``.

The element paths come from the settings table (``Setting.xml_path``), so a
setting added there is imported here too. Every element is either imported
or named in a warning; nothing is dropped silently. The file is parsed with
ElementTree without DTDs or entities, and a file that is not well-formed XML
fails with the parser's line and column (real files often are not: the
research fixtures include one with an undeclared ``xsi:`` prefix).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
import re
from typing import Any
import xml.etree.ElementTree as ET

from ..settings.models import (
    MODELS,
    PhoneConfig,
    ProvisioningError,
    ServerSettings,
    SettingsError,
    get_model,
    mac_from_filename,
    normalize_mac,
)
from ..settings.table import LINE, SERVER_ROWS, Kind, Setting
from .cnf_syntax import decode_cnf

MAX_XML_BYTES = 256 * 1024
_PLAIN_PATH = re.compile(r"^[A-Za-z]+(?:/[A-Za-z]+)*$")
# Element paths (below <device>) read by the special cases below.
_LINE_PATH = "sipProfile/sipLines/line"
_HANDLED = {
    "devicePool/dateTimeSetting/dateTemplate",
    "devicePool/callManagerGroup/members/member/callManager/ports/sipPort",
    "devicePool/callManagerGroup/members/member/callManager/processNodeName",
    "transportLayerProtocol",
    "loadInformation",
    "sipProfile/phoneLabel",
}
_LINE_FIELDS = {
    "name": "name",
    "authName": "auth_name",
    "authPassword": "password",
    "displayName": "display_name",
    "featureLabel": "short_name",
}
_TRANSPORTS = {"1": "tcp", "2": "udp", "4": "tcp"}
# Written by us from other settings: the digest of the file, and the
# tones folder again (``networkLocale`` is imported).
_IGNORED = {"fullConfig", "versionStamp", "networkLocaleInfo/name"}
_SPEED_DIAL = "21"
# The phone's built-in language and tones: imported as "not set", so no
# locale files are expected for them.
_BUILT_IN_LOCALES = {"english_united_states", "united_states"}


@dataclass(frozen=True, slots=True)
class XmlImportResult:
    """Settings and phone read from one file, and what was not imported."""

    settings: ServerSettings
    phone: PhoneConfig
    warnings: list[str] = field(default_factory=list)


def _xml_rows() -> dict[str, Setting]:
    """Return element path -> server row, for rows with one plain path."""
    return {
        row.xml_path: row
        for row in SERVER_ROWS
        if row.xml_path and _PLAIN_PATH.fullmatch(row.xml_path)
        if row.kind is not Kind.STRUCT
    }


def _value(row: Setting, text: str) -> Any:
    if row.kind is Kind.BOOL and (row.xml_path or "").startswith("vendorConfig/"):
        return text.strip() == "0"  # vendorConfig: 0 enables, 1 disables
    if row.kind is Kind.BOOL:
        return text.strip().lower() in ("true", "1")
    if row.kind in (Kind.INT, Kind.PORT):
        return int(text)
    if row.kind is Kind.CHOICE:
        return text.strip().lower()
    return text.strip()


def _parse(data: str | bytes, source: str) -> ET.Element:
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_XML_BYTES:
        raise SettingsError(
            f"{source} is {len(raw)} bytes; at most {MAX_XML_BYTES}", field="path"
        )
    text = decode_cnf(raw)
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise SettingsError(f"{source}: DTDs are not accepted", field="path")
    try:
        return ET.fromstring(text)  # noqa: S314 - no DTD (refused above)
    except ET.ParseError as err:
        raise SettingsError(
            f"{source} is not well-formed XML ({err}); fix the file and import again",
            field="path",
        ) from None


def _walk(element: ET.Element, path: str) -> list[tuple[str, ET.Element]]:
    """Return (path, element) for every leaf element below ``element``."""
    found: list[tuple[str, ET.Element]] = []
    for child in element:
        child_path = f"{path}/{child.tag}" if path else child.tag
        if child_path == _LINE_PATH:
            found.append((child_path, child))
        elif len(child):
            found += _walk(child, child_path)
        else:
            found.append((child_path, child))
    return found


def import_sep_xml(
    data: str | bytes, *, mac: str, model: str | None = None, source: str = ""
) -> XmlImportResult:
    """Import one Java phone's file; ``model`` defaults to a 7961."""
    mac = normalize_mac(mac)
    source = source or f"SEP{mac}.cnf.xml"
    root = _parse(data, source)
    if root.tag != "device":
        raise SettingsError(
            f"{source} starts with <{root.tag}>, expected <device>", field="path"
        )
    rows = _xml_rows()
    values: dict[str, Any] = {}
    phone: dict[str, Any] = {"mac": mac, "model": get_model(model or "7961").name}
    lines: list[dict[str, Any]] = []
    dials: list[dict[str, str]] = []
    warnings: list[str] = []
    by_path: dict[str, str] = {}
    for path, element in _walk(root, ""):
        text = (element.text or "").strip()
        if path == _LINE_PATH and _feature(element) == _SPEED_DIAL:
            dial = _speed_dial(element)
            if dial["number"]:
                dials.append(dial)
            else:
                warnings.append(f"{source}: a speed dial without a number is skipped")
        elif path == _LINE_PATH:
            line = _line(element, warnings, source)
            if line:
                lines.append(line)
        elif path in _HANDLED:
            if text:
                by_path[path] = text
        elif path == "sipProfile/preferredCodec" and text.lower() == "none":
            warnings.append(
                f"{source}: <{path}> none is not imported; the phones offer "
                "G.711 µ-law first unless you choose another codec"
            )
        elif path in rows and text:
            try:
                values[rows[path].key] = _value(rows[path], text)
            except ValueError:
                raise SettingsError(
                    f"{source} <{path}>: {text!r} is not a number",
                    field=rows[path].key,
                ) from None
        elif path in rows or path in _IGNORED:
            continue
        elif path != "deviceProtocol":
            warnings.append(f"{source}: <{path}> is not imported")
    _special(by_path, values, phone)
    for key in ("user_locale", "network_locale"):
        if str(values.get(key, "")).lower() in _BUILT_IN_LOCALES:
            del values[key]
    policy = root.findtext(f"{_LINE_PATH}/messageWaitingLampPolicy", "").strip()
    if policy.isdigit():
        values["message_waiting_lamp_policy"] = int(policy)
    _shared_proxy(values, lines)
    phone["lines"] = lines
    phone["speed_dials"] = dials
    try:
        settings = ServerSettings.from_dict(values)
        result_phone = PhoneConfig.from_dict(phone)
    except ProvisioningError as err:
        raise SettingsError(f"{source}: {err}", field=err.field) from None
    for limit in [*settings.limit_errors(), *result_phone.limit_errors()]:
        warnings.append(f"{source}: {limit} (imported as is; check it)")
    return XmlImportResult(settings, result_phone, warnings)


def _special(
    by_path: dict[str, str], values: dict[str, Any], phone: dict[str, Any]
) -> None:
    """Read the elements that need more than a plain value."""
    template = by_path.get("devicePool/dateTimeSetting/dateTemplate", "")
    if template:
        values["time_format_24hr"] = not template.upper().endswith("A")
        values["date_format"] = template.rstrip("Aa")
    host = by_path.get(
        "devicePool/callManagerGroup/members/member/callManager/processNodeName"
    )
    if host:
        values["sip_proxy"] = host
    port = by_path.get(
        "devicePool/callManagerGroup/members/member/callManager/ports/sipPort"
    )
    if port and port.isdigit():
        values["sip_port"] = int(port)
    transport = _TRANSPORTS.get(by_path.get("transportLayerProtocol", ""))
    if transport:
        values["transport"] = transport
    image = by_path.get("loadInformation", "")
    if image:
        phone["image"] = image
    label = by_path.get("sipProfile/phoneLabel")
    if label:
        phone["label"] = label


def _shared_proxy(values: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    """Make the lines' common proxy the SIP proxy; keep only lines' own ones."""
    proxies = {line.get("proxy_address") for line in lines} - {None}
    if "sip_proxy" not in values and len(proxies) == 1:
        values["sip_proxy"] = proxies.pop()
    ports = {line.get("proxy_port") for line in lines} - {None}
    if "sip_port" not in values and len(ports) == 1:
        values["sip_port"] = ports.pop()
    for line in lines:
        if line.get("proxy_address") == values.get("sip_proxy"):
            line.pop("proxy_address", None)
        if line.get("proxy_port") == values.get("sip_port", 5060):
            line.pop("proxy_port", None)


def _feature(element: ET.Element) -> str:
    return (element.findtext("featureID") or "9").strip()


def _speed_dial(element: ET.Element) -> dict[str, str]:
    """Return a speed-dial button (``featureID`` 21) as the phone stores it."""
    return {
        "label": (element.findtext("featureLabel") or "").strip(),
        "number": (element.findtext("speedDialNumber") or "").strip(),
    }


def _line(element: ET.Element, warnings: list[str], source: str) -> dict[str, Any]:
    """Return one line key's settings ({} for a feature key)."""
    if _feature(element) != "9":
        warnings.append(
            f"{source}: button {element.get('button', '?')} is a feature key "
            f"(featureID {_feature(element)}); not imported"
        )
        return {}
    line: dict[str, Any] = {}
    for tag, name in _LINE_FIELDS.items():
        text = (element.findtext(tag) or "").strip()
        if text:
            line[name] = text
    proxy = (element.findtext("proxy") or "").strip()
    if proxy and proxy.upper() != "USECALLMANAGER":
        line["proxy_address"] = proxy
    port = (element.findtext("port") or "").strip()
    if port.isdigit() and proxy.upper() != "USECALLMANAGER":
        line["proxy_port"] = int(port)
    contact = (element.findtext("contact") or "").strip()
    if contact and contact != line.get("name"):
        try:
            line["contact"] = LINE["contact"].check(contact, "line.contact")
        except SettingsError as err:
            warnings.append(f"{source}: <line><contact> not imported: {err}")
    answer = (element.findtext("autoAnswer/autoAnswerEnabled") or "0").strip()
    if answer not in ("", "0"):
        line["auto_answer"] = True  # 1 in Cisco's docs, 2 in templates
    known = {*_LINE_FIELDS, "featureID", "proxy", "port", "messagesNumber"}
    known |= {"contact", "autoAnswer"}
    known.add("messageWaitingLampPolicy")  # read once for all lines
    for child in element:
        if child.tag not in known and (child.text or "").strip():
            warnings.append(f"{source}: <line><{child.tag}> is not imported")
    return line if "name" in line else {}


_LOAD_PREFIX = re.compile(r"^SIP(\d\d)\.", re.IGNORECASE)


def guess_model(data: bytes) -> tuple[str, bool]:
    """Return the model a full ``SEP<MAC>.cnf.xml`` is for, and whether it is sure.

    ``loadInformation@model`` names it when present; else the load's prefix
    (``SIP45.…`` is a 79x5) and the number of buttons pick the smallest model
    of that family with enough keys; else a 7961 is assumed.
    """
    try:
        root = _parse(data, "SEP")
    except SettingsError:
        return "7961", False
    load = root.find("loadInformation")
    named = (load.get("model", "") if load is not None else "").removeprefix(
        "IP Phone "
    )
    if named in MODELS:
        return named, True
    match = _LOAD_PREFIX.match((load.text or "") if load is not None else "")
    buttons = len(root.findall(_LINE_PATH))
    family = [m for m in MODELS.values() if match and m.load_prefix == match[1]]
    for model in sorted(family, key=lambda m: (m.line_keys, len(m.name))):
        if model.line_keys >= buttons:
            return model.name, False
    return "7961", False


def import_xml_folder(
    folder: Path, skip: set[str], paths: Iterable[Path] | None = None
) -> list[XmlImportResult]:
    """Import each full ``SEP<MAC>.cnf.xml`` of ``folder`` whose MAC is not in ``skip``.

    ``skip`` holds the MACs imported from ``SIP<MAC>.cnf`` (a 79x0's
    ``SEP`` file only names its loader). ``paths`` is the folder's sorted
    listing when the caller already has one (one listing per import).
    Blocking: run in an executor.
    """
    results: list[XmlImportResult] = []
    for file in sorted(folder.iterdir()) if paths is None else paths:
        mac = mac_from_filename(file.name)
        name = file.name.lower()
        if mac is None or mac in skip or not name.startswith("sep"):
            continue
        if not name.endswith(".cnf.xml") or not file.is_file():
            continue
        if file.stat().st_size > MAX_XML_BYTES:
            raise SettingsError(
                f"{file.name} is {file.stat().st_size} bytes; at most {MAX_XML_BYTES}",
                field="path",
            )
        data = file.read_bytes()
        if b"sipProfile" not in data:
            continue  # a 79x0 loader file without its SIP<MAC>.cnf: no phone
        model, sure = guess_model(data)
        result = import_sep_xml(data, mac=mac, model=model, source=file.name)
        if not sure:
            result.warnings.append(
                f"{file.name}: the file does not name the model; {model} assumed "
                "from its firmware and buttons (check it)"
            )
        results.append(result)
    return results


__all__ = ["XmlImportResult", "guess_model", "import_sep_xml", "import_xml_folder"]
