"""The 79x0 ``.cnf`` files: import the ones a user already has.

The line syntax itself (parse, write, value codecs) is in ``cnf_syntax``;
its public names are re-exported here.

``SIPDefault.cnf`` gives the server-wide settings; ``SIP<MAC>.cnf`` gives the
phone and wins where both set a value (as on the phone). Line keys and
``phone_label`` found in ``SIPDefault.cnf`` apply to the phone unless its own
file sets them. A value that the
phone file sets for a key the server file lacks becomes server-wide; one that
differs from the server file's becomes a per-phone override. Unknown keys are
reported as warnings, never failures; a value that cannot be used fails with
the file name, the line number and the setting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
import re
from typing import Any
import xml.etree.ElementTree as ET

from ..settings.models import (
    MODELS,
    UNPROVISIONED,
    Line,
    PhoneConfig,
    ProvisioningError,
    ServerSettings,
    SettingsError,
    get_model,
    mac_from_filename,
    normalize_mac,
)
from ..settings.table import Kind, cnf_server_keys
from .cnf_syntax import (
    CnfDocument,
    CnfEntry,
    CnfSyntaxError,
    CnfValue,
    format_line,
    parse_cnf,
    parse_flag,
    parse_int,
    parse_month,
    parse_time,
    parse_weekday,
    write_cnf,
)
from .shared_import import parse_dialplan, parse_ringlist_dat
from .xml_import import XmlImportResult, import_xml_folder

type Reader = Callable[[CnfEntry, str], Any]


def _text(entry: CnfEntry, _source: str) -> str:
    return entry.value


def _dst(which: str) -> dict[str, tuple[str, Reader]]:
    return {
        f"dst_{which}_month": (f"dst_{which}.month", parse_month),
        f"dst_{which}_day": (f"dst_{which}.day", _dst_day),
        f"dst_{which}_day_of_week": (f"dst_{which}.day_of_week", parse_weekday),
        f"dst_{which}_week_of_month": (f"dst_{which}.week_of_month", parse_int),
        f"dst_{which}_time": (f"dst_{which}.time", parse_time),
    }


def _dst_day(entry: CnfEntry, source: str) -> int:
    return 0 if entry.value.strip() == "" else parse_int(entry, source)


_READERS: dict[Kind, Reader] = {
    Kind.BOOL: parse_flag,
    Kind.INT: parse_int,
    Kind.PORT: parse_int,
}

# cnf key -> (ServerSettings field, reader), derived from the settings table.
SERVER_KEYS: dict[str, tuple[str, Reader]] = {
    **{
        key: (row.key, _READERS.get(row.kind, _text))
        for key, row in cnf_server_keys().items()
    },
    **_dst("start"),
    **_dst("stop"),
}
# Keys the phone file may set for itself instead of for every phone.
OVERRIDABLE = {"image_version", "proxy1_address", "proxy1_port", "phone_password"}
# Keys this integration manages itself: read and ignored without a warning.
MANAGED = {"sync", "tftp_cfg_dir", "dial_template"}
# Keys read per phone (besides the line keys); SIPDefault may set them too.
PHONE_KEYS = MANAGED | {"phone_label"}
_LINE_KEY = re.compile(
    r"(line|proxy)([1-9])_(name|authname|password|displayname|shortname|address|port)"
)
_LINE_FIELDS = {
    "name": "name",
    "authname": "auth_name",
    "password": "password",
    "displayname": "display_name",
    "shortname": "short_name",
}


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import produced: settings, the phone, and what was skipped."""

    settings: ServerSettings
    phone: PhoneConfig
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Origin:
    """Where a value came from, so a validation error can name the line."""

    by_field: dict[str, tuple[str, CnfEntry]] = field(default_factory=dict)

    def remember(self, name: str, source: str, entry: CnfEntry) -> None:
        self.by_field[name] = (source, entry)

    def wrap(self, err: ProvisioningError) -> SettingsError:
        name = err.field or ""
        origin = self.by_field.get(name) or self.by_field.get(name.split(".")[0])
        if origin is None:
            return SettingsError(str(err), field=err.field)
        source, entry = origin
        return SettingsError(
            f"{source} line {entry.line} ({entry.key}): {err}", field=err.field
        )


def _server_values(
    doc: CnfDocument, origin: _Origin, warnings: list[str]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, entry in doc.last().items():
        if key not in SERVER_KEYS:
            known = key in PHONE_KEYS or _LINE_KEY.fullmatch(key) is not None
            if not known:
                warnings.append(
                    f"{doc.source} line {entry.line}: unknown setting {key} ignored"
                )
            continue
        name, reader = SERVER_KEYS[key]
        values[key] = reader(entry, doc.source)
        origin.remember(name.split(".")[0], doc.source, entry)
    return values


def _build_settings(values: dict[str, Any], dial_plan: list[Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    dst: dict[str, dict[str, int]] = {}
    for key, value in values.items():
        name = SERVER_KEYS[key][0]
        if "." in name:
            rule, part = name.split(".")
            target = dst.setdefault(rule, {})
            if part == "time":
                target["hour"], target["minute"] = value
            else:
                target[part] = value
        else:
            data[name] = value
    defaults = ServerSettings().as_dict()
    for rule, parts in dst.items():
        data[rule] = {**defaults[rule], **parts}
    if dial_plan:
        data["dial_plan"] = dial_plan
    return data


def import_cnf(
    sip_default: str | bytes | None,
    sip_mac: str | bytes,
    *,
    mac: str | None,
    model: str = "7960",
    dialplan: str | bytes | None = None,
    ringlist: str | bytes | None = None,
    mac_source: str | None = None,
) -> ImportResult:
    """Import one phone from its ``SIP<MAC>.cnf`` and the shared files."""
    if mac is None:
        raise SettingsError(
            "the phone's MAC address is needed to import its file", field="mac"
        )
    mac = normalize_mac(mac)
    phone_model = get_model(model)
    warnings: list[str] = []
    origin = _Origin()
    default_doc = (
        parse_cnf(sip_default, source="SIPDefault.cnf")
        if sip_default is not None
        else None
    )
    mac_doc = parse_cnf(sip_mac, source=mac_source or f"SIP{mac}.cnf")
    server: dict[str, Any] = {}
    if default_doc is not None:
        warnings += default_doc.warnings
        server = _server_values(default_doc, origin, warnings)
    warnings += mac_doc.warnings
    phone_values = _server_values(mac_doc, origin, warnings)
    overrides: dict[str, Any] = {}
    phone_overrides: dict[str, Any] = {}
    for key, value in phone_values.items():
        if key in OVERRIDABLE and key in server:
            if value != server[key]:
                overrides[key] = value
        elif key in server and "." not in SERVER_KEYS[key][0]:
            if value != server[key]:  # this phone's own value of a shared setting
                phone_overrides[SERVER_KEYS[key][0]] = value
                origin.remember(
                    f"overrides.{SERVER_KEYS[key][0]}",
                    mac_doc.source,
                    mac_doc.last()[key],
                )
        else:
            if key not in OVERRIDABLE and default_doc is not None:
                entry = mac_doc.last()[key]
                warnings.append(
                    f"{mac_doc.source} line {entry.line}: {key} is a setting "
                    "for every phone here; imported as such"
                )
            server[key] = value
    template = _dial_template(default_doc, mac_doc)
    rules: list[Any] = []
    if template:
        if dialplan is None:
            warnings.append(
                f"dial_template {template} is set but {template}.xml was not "
                "imported; the dial plan starts empty"
            )
        else:
            rules = parse_dialplan(dialplan)
    data = _build_settings(server, rules)
    if ringlist is not None:
        data["ring_tones"] = parse_ringlist_dat(ringlist)
    try:
        settings = ServerSettings.from_dict(data)
    except ProvisioningError as err:
        raise origin.wrap(err) from None
    proxy = overrides.get("proxy1_address") or settings.sip_proxy
    docs = [mac_doc] if default_doc is None else [default_doc, mac_doc]
    proxy_port = overrides.get("proxy1_port") or settings.sip_port
    lines = _lines(docs, phone_model.line_keys, warnings, origin, proxy, proxy_port)
    mac_entries = mac_doc.last()
    dial_entry = mac_entries.get("dial_template")
    phone_data: dict[str, Any] = {
        "mac": mac,
        "model": phone_model.name,
        "lines": lines,
        "dial_plan": not (
            dial_entry is not None and dial_entry.value == "" and settings.dial_plan
        ),
        "overrides": phone_overrides,
    }
    for doc in docs:
        label = doc.last().get("phone_label")
        if label is not None:
            phone_data["label"] = label.value
            origin.remember("label", doc.source, label)
    for key, name in (
        ("image_version", "image"),
        ("proxy1_address", "proxy_address"),
        ("proxy1_port", "proxy_port"),
        ("phone_password", "phone_password"),
    ):
        if key in overrides:
            phone_data[name] = overrides[key]
            origin.remember(name, mac_doc.source, mac_entries[key])
    try:
        phone = PhoneConfig.from_dict(phone_data)
    except ProvisioningError as err:
        raise origin.wrap(err) from None
    for limit in [*settings.limit_errors(), *phone.limit_errors()]:
        warnings.append(f"{origin.wrap(limit)} (imported as is; check it)")
    return ImportResult(settings, phone, warnings)


def _dial_template(default_doc: CnfDocument | None, mac_doc: CnfDocument) -> str:
    for doc in (default_doc, mac_doc):
        if doc is not None and "dial_template" in doc.last():
            return doc.last()["dial_template"].value
    return ""


def _lines(
    docs: list[CnfDocument],
    keys: int,
    warnings: list[str],
    origin: _Origin,
    proxy: str,
    proxy_port: int,
) -> list[dict[str, Any]]:
    """Return the used lines; the phone file's values win over SIPDefault's."""
    found: dict[int, dict[str, tuple[str, CnfEntry]]] = {}
    proxies: dict[int, tuple[str, CnfEntry]] = {}
    ports: dict[int, tuple[str, CnfEntry]] = {}
    for doc in docs:
        for key, entry in doc.last().items():
            match = _LINE_KEY.fullmatch(key)
            if match is None:
                continue
            kind, number, part = match.group(1), int(match.group(2)), match.group(3)
            if kind == "proxy":
                if part == "address" and number > 1:
                    proxies[number] = (doc.source, entry)
                elif part == "port" and number > 1:
                    ports[number] = (doc.source, entry)
            elif part in _LINE_FIELDS:
                found.setdefault(number, {})[part] = (doc.source, entry)
            else:
                warnings.append(
                    f"{doc.source} line {entry.line}: unknown setting {key} ignored"
                )
    used = [
        n
        for n in sorted(found)
        if "name" in found[n]
        and found[n]["name"][1].value.strip().upper() not in ("", UNPROVISIONED)
    ]
    for position, number in enumerate(used, start=1):
        if number != position:
            source, entry = found[number]["name"]
            raise SettingsError(
                f"{source} line {entry.line}: line{number} is configured but "
                f"line{position} is not; lines must be filled from line 1 up",
                field="lines",
            )
    if len(used) > keys:
        source, entry = found[used[keys]]["name"]
        raise SettingsError(
            f"{source} line {entry.line}: this phone model has {keys} line "
            f"keys but line{used[keys]} is configured",
            field="lines",
        )
    lines: list[dict[str, Any]] = []
    for number in used:
        parts = found[number]
        line: dict[str, Any] = {
            _LINE_FIELDS[part]: entry.value for part, (_, entry) in parts.items()
        }
        for part, (source, entry) in parts.items():
            origin.remember(f"line.{_LINE_FIELDS[part]}", source, entry)
        lines.append(line)
        own = proxies.get(number)
        if own is not None and own[1].value not in ("", proxy):
            line["proxy_address"] = own[1].value  # this line's own proxy
            origin.remember("line.proxy_address", *own)
        port = ports.get(number)
        if port is not None and port[1].value.strip() not in ("", str(proxy_port)):
            line["proxy_port"] = parse_int(port[1], port[0])
            origin.remember("line.proxy_port", *port)
        try:
            Line.from_dict(line)
        except ProvisioningError as err:
            raise origin.wrap(err) from None
    return lines


MAX_FILE_BYTES = 256 * 1024  # real config files are a few KB


def _read(path: Path) -> bytes:
    """Return a file's bytes, refusing anything too big to be a config file."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SettingsError(
            f"{path.name} is {size} bytes; a config file is at most "
            f"{MAX_FILE_BYTES} bytes",
            field="path",
        )
    return path.read_bytes()


class _Listing:
    """One sorted listing of a folder, looked up by case-insensitive name.

    A folder of 1,000 phones has some 3,000 files: listing and sorting it
    again for every phone's ``SEP<MAC>.cnf.xml`` made the import quadratic
    (13.9 s for 1,000 phones), so the folder is listed once.
    """

    def __init__(self, folder: Path) -> None:
        self.paths = sorted(folder.iterdir())
        self._by_name: dict[str, list[Path]] = {}
        for path in self.paths:
            self._by_name.setdefault(path.name.lower(), []).append(path)

    def find(self, name: str) -> Path | None:
        """Return the first regular file named ``name``, in any case."""
        return next(
            (p for p in self._by_name.get(name.lower(), ()) if p.is_file()), None
        )


def _model_from_sep(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        root = ET.fromstring(_read(path))  # noqa: S314 - local file, no DTD
    except (ET.ParseError, SettingsError):
        return None
    for element in root.iter():
        if element.tag.startswith("loadInformation"):
            model = element.get("model", "").removeprefix("IP Phone ").strip()
            if model in MODELS:
                return model
    return None


def import_folder(path: Path | str) -> list[ImportResult | XmlImportResult]:
    """Import every phone of a folder (blocking: run in an executor).

    Each ``SIP<MAC>.cnf`` is a 79x0: ``SIPDefault.cnf``, ``dialplan.xml`` and
    ``RINGLIST.DAT`` are read once when present, and the model comes from the
    phone's ``SEP<MAC>.cnf.xml`` when there is one, otherwise 7960 is assumed
    (with a warning). Then every full ``SEP<MAC>.cnf.xml`` of another MAC is
    a 79x1/79x2/79x5/797x phone (``xml_import.import_xml_folder``).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise SettingsError(f"{folder} is not a folder", field="path")
    listing = _Listing(folder)
    shared: dict[str, bytes | None] = {}
    for name in ("SIPDefault.cnf", "dialplan.xml", "RINGLIST.DAT"):
        found = listing.find(name)
        shared[name] = _read(found) if found else None
    results: list[ImportResult] = []
    for file in listing.paths:
        mac = mac_from_filename(file.name)
        if mac is None or not file.name.lower().startswith("sip") or not file.is_file():
            continue
        model = _model_from_sep(listing.find(f"SEP{mac}.cnf.xml"))
        result = import_cnf(
            shared["SIPDefault.cnf"],
            _read(file),
            mac=mac,
            model=model or "7960",
            dialplan=shared["dialplan.xml"],
            ringlist=shared["RINGLIST.DAT"],
            mac_source=file.name,
        )
        if model is None:
            result.warnings.append(
                f"{file.name}: no SEP{mac}.cnf.xml names the model; 7960 assumed"
            )
        results.append(result)
    done = {result.phone.mac for result in results}
    return [*results, *import_xml_folder(folder, done, listing.paths)]


__all__ = [
    "CnfDocument",
    "CnfEntry",
    "CnfSyntaxError",
    "CnfValue",
    "ImportResult",
    "format_line",
    "import_cnf",
    "import_folder",
    "parse_cnf",
    "parse_dialplan",
    "parse_ringlist_dat",
    "write_cnf",
]
