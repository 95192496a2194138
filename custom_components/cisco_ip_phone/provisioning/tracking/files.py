"""What a requested TFTP file name says about the phone asking for it.

The tracker never sees file contents, only names; this module turns a name
as the phone sent it (any case, ``./`` or ``/`` prefix, sub-directory) into
the role that file plays in the boot sequences of reference §1.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
import re
from typing import Final

from ..firmware import EXTENSIONS, FirmwareNameError, Role, parse_image_name
from ..settings.models import mac_from_filename


class FileKind(StrEnum):
    """Role of a requested file in a Cisco 79xx boot."""

    TRUST_LIST = "trust_list"  # CTLSEP<MAC>.tlv / ITLSEP<MAC>.tlv: first of a hunt
    SEP_CONFIG = "sep_config"  # SEP<MAC>.cnf.xml
    SIP_CONFIG = "sip_config"  # [dir/]SIP<MAC>.cnf
    MGCP_CONFIG = "mgcp_config"  # MGC<MAC>.cnf
    XML_DEFAULT = "xml_default"  # XMLDefault.cnf.xml
    SIP_DEFAULT = "sip_default"  # SIPDefault.cnf: the SIP application starts
    OS79XX = "os79xx"  # OS79XX.TXT: first request of an old image
    RING_LIST = "ring_list"  # RINGLIST.DAT
    DIAL_TEMPLATE = "dial_template"  # <dial_template>.xml, e.g. dialplan.xml
    SYNC_INFO = "sync_info"  # syncinfo.xml: answer to a check-sync NOTIFY
    LOCALE = "locale"  # US/7960-tones.xml, /7960-font.xml: SCCP firmware
    IMAGE_MANIFEST = "image_manifest"  # <image>.loads
    LOADER_IMAGE = "loader_image"  # P003-…sbn (universal application loader)
    APP_IMAGE = "app_image"  # …sb2, old single-file .bin images
    OTHER = "other"  # ring files, ITLFile.tlv, anything else


IMAGE_KINDS = frozenset(
    {FileKind.IMAGE_MANIFEST, FileKind.LOADER_IMAGE, FileKind.APP_IMAGE}
)

# Files a phone asks for on every boot whether or not they exist: security
# trust lists, the SCCP/MGCP configs of other protocols, locale files and
# dial templates. Their absence is normal, so it is not a transfer error.
OPTIONAL_KINDS = frozenset(
    {
        FileKind.TRUST_LIST,
        FileKind.SEP_CONFIG,
        FileKind.MGCP_CONFIG,
        FileKind.LOCALE,
        FileKind.DIAL_TEMPLATE,
    }
)
_OPTIONAL_NAMES = frozenset({"itlfile.tlv", "ctlfile.tlv", "itlsep.tlv"})

# Prefix of a MAC-bearing name -> its role (longest prefixes first).
_MAC_PREFIXES = (
    ("ctlsep", FileKind.TRUST_LIST),
    ("itlsep", FileKind.TRUST_LIST),
    ("sep", FileKind.SEP_CONFIG),
    ("sip", FileKind.SIP_CONFIG),
    ("mgc", FileKind.MGCP_CONFIG),
)
# Request names whose classification is remembered: every configured
# phone's own files a few times over, bounded against a flood of names.
CLASSIFIED_NAMES_KEPT: Final = 8192
_FIXED_NAMES = {
    "xmldefault.cnf.xml": FileKind.XML_DEFAULT,
    "sipdefault.cnf": FileKind.SIP_DEFAULT,
    "os79xx.txt": FileKind.OS79XX,
    "ringlist.dat": FileKind.RING_LIST,
    "syncinfo.xml": FileKind.SYNC_INFO,
}
# SCCP locale files carry the model: "7960-tones.xml", "7940-font.xml".
_LOCALE = re.compile(r"^(?P<model>79\d\d)-[a-z0-9_]+\.xml$")
_IMAGE_ROLES = {
    Role.MANIFEST: FileKind.IMAGE_MANIFEST,
    Role.LOADER: FileKind.LOADER_IMAGE,
    Role.APPLICATION: FileKind.APP_IMAGE,
    Role.IMAGE: FileKind.APP_IMAGE,
    Role.PART: FileKind.APP_IMAGE,
}


@dataclass(frozen=True, slots=True)
class FileRequest:
    """A requested name, classified.

    ``key`` is the case- and prefix-insensitive identity used to spot
    identical requests; ``image`` is the image name (file stem, as sent) for
    firmware files; ``model`` is a model the name reveals, if any.
    """

    name: str
    key: str
    kind: FileKind
    mac: str | None = None
    image: str | None = None
    model: str | None = None


def normalize_request_name(name: str) -> str:
    """Drop the ``./`` and ``/`` prefixes phones add (``tftp_cfg_dir``)."""
    text = name.strip()
    while True:
        if text.startswith("./"):
            text = text[2:]
        elif text.startswith("/"):
            text = text[1:]
        else:
            return text


@lru_cache(maxsize=CLASSIFIED_NAMES_KEPT)
def classify_request(name: str) -> FileRequest:
    """Classify a requested file name; never raises, unknown names are OTHER.

    Remembered: the tracker, the firmware walk and the optional-probe test
    each classify every transfer's name, and the answer never changes.
    """
    path = normalize_request_name(name)
    key = path.lower()
    base = key.rsplit("/", 1)[-1]

    if mac := mac_from_filename(path):
        kind = next(kind for prefix, kind in _MAC_PREFIXES if base.startswith(prefix))
        return FileRequest(name, key, kind, mac=mac)
    if fixed := _FIXED_NAMES.get(base):
        return FileRequest(name, key, fixed)
    if locale := _LOCALE.match(base):
        return FileRequest(name, key, FileKind.LOCALE, model=locale["model"])
    if base.endswith(EXTENSIONS):
        try:
            image = parse_image_name(path)
        except FirmwareNameError:
            return FileRequest(name, key, FileKind.OTHER)
        return FileRequest(name, key, _IMAGE_ROLES[image.role], image=image.base)
    if base.endswith(".xml") and "/" not in key:
        return FileRequest(name, key, FileKind.DIAL_TEMPLATE)
    return FileRequest(name, key, FileKind.OTHER)


def is_optional_probe(name: str) -> bool:
    """Return whether a phone asks for this file even where none exists."""
    request = classify_request(name)
    return request.kind in OPTIONAL_KINDS or request.key in _OPTIONAL_NAMES
