"""Settings -> the bytes of every generated file, keyed by canonical name.

Pure functions: no I/O, no clock. The same settings always give the same bytes,
so a content digest tells whether a phone has fetched the current version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
import hashlib
from typing import Any

from ..firmware.names import os79xx_name
from ..settings.models import (
    ConfigStyle,
    PhoneConfig,
    RingTone,
    ServerSettings,
    SettingsError,
    check_image,
    normalize_mac,
)
from .render_cnf import render_sip_default, render_sip_mac
from .render_xml import (
    DIALPLAN_FILE,
    render_dialplan,
    render_ringlist_xml,
    render_sep_79x0,
    render_sep_xml,
    render_syncinfo,
    render_xml_default,
)

__all__ = [
    "DEFAULT_SYNC",
    "GeneratedFile",
    "render_files",
    "render_os79xx",
    "render_phone",
    "render_ringlist_dat",
    "render_shared",
    "render_syncinfo",
    "render_syncinfo_file",
]

DEFAULT_SYNC = "1"
SIP_DEFAULT = "SIPDefault.cnf"
XML_DEFAULT = "XMLDefault.cnf.xml"
OS79XX = "OS79XX.TXT"
RINGLIST_DAT = "RINGLIST.DAT"
RINGLIST_XML = "Ringlist.xml"
SYNCINFO = "syncinfo.xml"


@dataclass(frozen=True, slots=True)
class GeneratedFile:
    """A file made in memory; ``mac`` is set for phone-specific files."""

    name: str
    content: bytes
    mac: str | None = None
    digest: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", hashlib.sha256(self.content).hexdigest())


def render_os79xx(image: str) -> bytes:
    """Return ``OS79XX.TXT``: the bare image name and a newline, nothing else.

    A trailing space makes old images ask for a file that does not exist
    (reference §2.1), so the name is validated, never padded.
    """
    return check_image(image, "image", required=True).encode("ascii") + b"\n"


def render_ringlist_dat(tones: Iterable[RingTone]) -> bytes:
    """Return ``RINGLIST.DAT``: ``name<TAB>file`` per ring, CR LF as Cisco ships."""
    return "".join(
        f"{tone.display_name}\t{tone.file_name}\r\n" for tone in tones
    ).encode("ascii")


def _per_phone(values: Mapping[str, str], what: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for mac, value in values.items():
        result[normalize_mac(mac)] = value
        if what == "images":
            check_image(value, "images", required=True)
    return result


def render_files(
    settings: ServerSettings,
    phones: Iterable[PhoneConfig],
    *,
    images: Mapping[str, str] | None = None,
    syncs: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, GeneratedFile]:
    """Return every generated file, keyed by the canonical name phones request.

    ``images[mac]`` replaces the image a phone is told to run (a firmware hop);
    ``syncs[mac]`` is the ``sync`` value written for it (default ``"1"``).
    The shared ``syncinfo.xml`` lists each 79x0 image in use with the sync of
    the first phone (by MAC) running it; per-phone answers during a resync
    come from ``render_syncinfo`` through the TFTP client hook.
    ``overrides[mac]`` maps server-setting keys to the value this phone gets
    on top of its own stored overrides: the hook through which the
    integration fills per-phone values such as ``services_url``,
    ``directory_url``, ``authentication_url`` (checked like any setting).
    """
    extra = {normalize_mac(mac): values for mac, values in (overrides or {}).items()}
    image_of = _per_phone(images or {}, "images")
    sync_of = _per_phone(syncs or {}, "syncs")
    files = render_shared(settings)
    sync_entries: dict[str, str] = {}
    seen: set[str] = set()
    for phone in sorted(phones, key=lambda p: p.mac):
        if phone.mac in seen:
            raise SettingsError(f"phone {phone.mac} is listed twice", field="mac")
        seen.add(phone.mac)
        image = image_of.get(phone.mac) or settings.image_for(phone)
        sync = sync_of.get(phone.mac, DEFAULT_SYNC)
        if phone.phone_model.config_style is ConfigStyle.CNF:
            sync_entries.setdefault(image, sync)
        files += render_phone(
            settings, phone, image=image, sync=sync, extra=extra.get(phone.mac)
        )
    files.append(render_syncinfo_file(sync_entries))
    return {file.name: file for file in files}


def render_shared(settings: ServerSettings) -> list[GeneratedFile]:
    """Return the files every phone shares, except ``syncinfo.xml``."""
    files = [
        GeneratedFile(SIP_DEFAULT, render_sip_default(settings)),
        GeneratedFile(XML_DEFAULT, render_xml_default(settings)),
        GeneratedFile(OS79XX, render_os79xx(os79xx_name(settings.image_79x0))),
        GeneratedFile(RINGLIST_DAT, render_ringlist_dat(settings.ring_tones)),
        GeneratedFile(RINGLIST_XML, render_ringlist_xml(settings.ring_tones)),
    ]
    if settings.dial_plan:
        files.append(GeneratedFile(DIALPLAN_FILE, render_dialplan(settings.dial_plan)))
    return files


def render_phone(
    settings: ServerSettings,
    phone: PhoneConfig,
    *,
    image: str,
    sync: str,
    extra: Mapping[str, Any] | None,
) -> list[GeneratedFile]:
    """Return one phone's own files; they depend on nothing of other phones."""
    effective = settings.for_phone(phone, extra)
    sep = f"SEP{phone.mac}.cnf.xml"
    if phone.phone_model.config_style is ConfigStyle.CNF:
        return [
            GeneratedFile(sep, render_sep_79x0(phone, image), phone.mac),
            GeneratedFile(
                f"SIP{phone.mac}.cnf",
                render_sip_mac(
                    settings, phone, image=image, sync=sync, effective=effective
                ),
                phone.mac,
            ),
        ]
    content = render_sep_xml(effective, phone, image=image)
    return [GeneratedFile(sep, content, phone.mac)]


def render_syncinfo_file(sync_entries: Mapping[str, str]) -> GeneratedFile:
    """Return ``syncinfo.xml`` for ``image -> sync`` (first 79x0 phone by MAC)."""
    return GeneratedFile(SYNCINFO, render_syncinfo(sync_entries or {"*": DEFAULT_SYNC}))
