"""Cisco 79xx firmware file names: what protocol, version and role each one has.

Phones ask for firmware by exact name, and Cisco spelled the same release in
several ways (``P0S3-08-12-00`` and ``P0S3-8-12-00``; ``P00308010200``;
8.3-style ``P0S30603.bin``; ``SIP41.8-5-4S`` for the Java phones). Planning
an upgrade needs the meaning behind the spelling, so every spelling is parsed
into a :class:`FirmwareImage` whose :class:`FirmwareVersion` orders correctly
while ``name`` keeps the exact spelling the phone must be given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
import re
from types import MappingProxyType
from typing import Final

from ..settings.models import Family, ProvisioningError


class FirmwareNameError(ProvisioningError):
    """A file name that is not a Cisco 79xx firmware name we understand."""


class Protocol(StrEnum):
    """Call-control protocol of an image (third character of 79x0 names)."""

    SCCP = "sccp"
    SIP = "sip"
    MGCP = "mgcp"
    UNIVERSAL = "universal"  # universal application loader, protocol-neutral parts


class Role(StrEnum):
    """What a firmware file does during an upgrade."""

    MANIFEST = "manifest"  # .loads: names the loader and application files
    LOADER = "loader"  # universal application loader (P003-….sbn / .bin)
    APPLICATION = "application"  # .sb2, or an image name without extension
    IMAGE = "image"  # old single-file image: .bin (unsigned) or .sbn (signed)
    PART = "part"  # Java phones: jar/cnu/apps/dsp/cvm .sbn pieces


EXTENSIONS: Final = (".loads", ".sbn", ".sb2", ".bin")

# The service-release names of 79x0 SCCP (P0030801SR02 = 8.1(2)SR2) do not
# encode the maintenance number; Cisco only issued SRs of the last maintenance
# of a train, so such a version ranks after every plain release of it.
_UNKNOWN_MAINTENANCE: Final = 1_000_000
# Names whose meaning is remembered (most recently asked first): a site's
# images and files many times over, small against what a flood could send.
PARSED_NAMES_KEPT: Final = 2048


@dataclass(frozen=True, slots=True)
class FirmwareVersion:
    """A release number that orders like Cisco's releases do.

    ``maintenance`` is None only when the name does not carry it (79x0 SCCP
    service releases). ``tag`` keeps build letters (``S``, ``TH1``, ``ES26``)
    for display; it takes no part in comparisons, so spellings of one release
    compare equal.
    """

    major: int
    minor: int
    maintenance: int | None = 0
    service_release: int = 0
    extra: int = 0
    tag: str = field(default="", compare=False)

    @property
    def sort_key(self) -> tuple[int, int, int, int, int]:
        """Return the tuple releases are ordered by."""
        maintenance = (
            _UNKNOWN_MAINTENANCE if self.maintenance is None else self.maintenance
        )
        return (self.major, self.minor, maintenance, self.service_release, self.extra)

    def __lt__(self, other: FirmwareVersion) -> bool:
        return self.sort_key < other.sort_key

    def __le__(self, other: FirmwareVersion) -> bool:
        return self.sort_key <= other.sort_key

    def __gt__(self, other: FirmwareVersion) -> bool:
        return self.sort_key > other.sort_key

    def __ge__(self, other: FirmwareVersion) -> bool:
        return self.sort_key >= other.sort_key

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}"
        if self.maintenance is not None:
            text += f".{self.maintenance}"
        if self.service_release:
            text += f" SR{self.service_release}"
        if self.extra:
            text += f"-{self.extra}"
        return text


@dataclass(frozen=True, slots=True)
class FirmwareImage:
    """One firmware file name, understood.

    ``name`` is the exact spelling (with extension when one was given) and
    ``base`` the image name phones are told (``image_version``,
    ``loadInformation``, ``OS79XX.TXT``). ``load_prefix`` is the Java phones'
    load number (``41`` for 7941/7961, …), empty for 7940/7960 images.
    ``factory_default`` marks ``termNN.default.loads``, whose name carries no
    version (its version is then 0.0).
    """

    name: str
    protocol: Protocol
    version: FirmwareVersion
    role: Role
    family: Family
    base: str
    extension: str = ""
    load_prefix: str = ""
    factory_default: bool = False

    @property
    def signed(self) -> bool | None:
        """Return whether the file is signed (None for a bare image name)."""
        if not self.extension:
            return None
        return self.extension != ".bin"

    @property
    def identity(self) -> tuple[Family, str, Protocol, bool, FirmwareVersion]:
        """Return what two spellings of one release have in common."""
        is_loader = self.protocol is Protocol.UNIVERSAL
        return (self.family, self.load_prefix, self.protocol, is_loader, self.version)

    def same_release(self, other: FirmwareImage) -> bool:
        """Tell whether ``other`` is the same release, whatever its spelling."""
        return self.identity == other.identity


# -------------------------------------------------------------- 79x0 patterns

_DASHED = re.compile(r"^P0([0SM])3-(\d{1,2})-(\d{1,2})-(\d{1,2})$", re.IGNORECASE)
_SCCP_LONG = re.compile(
    r"^P003(\d{2})(\d{2})(?:(\d{2})(\d{2})|SR(\d{2}))$", re.IGNORECASE
)
_EIGHT_THREE = re.compile(r"^P0([0SM])3(\d{2})(\d{2})$", re.IGNORECASE)
_PROTOCOL_CHAR = MappingProxyType(
    {"0": Protocol.SCCP, "s": Protocol.SIP, "m": Protocol.MGCP}
)

# From which release a protocol's images boot through the universal
# application loader (reference §1.3): there a .sbn/.bin with an image's own
# name is its loader, before it a whole signed/unsigned image.
UNIVERSAL_LOADER_SINCE: Final = MappingProxyType(
    {Protocol.SCCP: 6, Protocol.SIP: 7, Protocol.MGCP: 7}
)

# ------------------------------------------------------------ Java patterns

_JAVA_VERSION = r"(\d+)-(\d+)-(\d+)(?:SR(\d+))?([A-Z]+\d*)?(?:-(\d+))?([A-Z]*)"
_JAVA_LOAD = re.compile(rf"^(SIP|SCCP)(\d\d)\.{_JAVA_VERSION}$", re.IGNORECASE)
_JAVA_PART = re.compile(
    rf"^(jar|cnu|apps|dsp|cvm)(\d\d)(sip|sccp)?\.{_JAVA_VERSION}$", re.IGNORECASE
)
_JAVA_DEFAULT = re.compile(r"^term(\d\d)\.default$", re.IGNORECASE)

# termNN numbers follow the model (term61 for a 7961); loads follow the
# firmware line the model shares (SIP41 for 7941 and 7961).
_JAVA_PREFIX = MappingProxyType(
    {
        "41": "41",
        "61": "41",
        "42": "42",
        "62": "42",
        "45": "45",
        "65": "45",
        "70": "70",
        "71": "70",
        "75": "75",
    }
)
_JAVA_FAMILY = MappingProxyType(
    {
        "41": Family.F79X1,
        "42": Family.F79X2,
        "45": Family.F79X5,
        "70": Family.F797X,
        "75": Family.F797X,
    }
)


def _split_extension(name: str) -> tuple[str, str]:
    lower = name.lower()
    for extension in EXTENSIONS:
        if lower.endswith(extension) and len(name) > len(extension):
            return name[: -len(extension)], extension
    return name, ""


def _java_version(groups: tuple[str | None, ...]) -> FirmwareVersion:
    major, minor, maintenance, sr, tag, extra, trailer = groups
    return FirmwareVersion(
        int(major or 0),
        int(minor or 0),
        int(maintenance or 0),
        int(sr or 0),
        int(extra or 0),
        tag=((tag or "") + (trailer or "")).upper(),
    )


def _java_prefix(number: str, name: str) -> tuple[str, Family]:
    prefix = _JAVA_PREFIX.get(number)
    if prefix is None:
        raise FirmwareNameError(
            f"{name!r}: no supported phone uses firmware number {number} "
            f"(supported: {', '.join(sorted(set(_JAVA_PREFIX.values())))})",
            field="image",
        )
    return prefix, _JAVA_FAMILY[prefix]


def _loader_era(protocol: Protocol, version: FirmwareVersion) -> bool:
    return version.major >= UNIVERSAL_LOADER_SINCE[protocol]


def _legacy_role(
    protocol: Protocol, version: FirmwareVersion, extension: str, *, long_name: bool
) -> Role:
    """Role of a 7940/7960 file from its extension and release era."""
    if extension == ".loads":
        return Role.MANIFEST
    if extension == ".sb2":
        return Role.APPLICATION
    if protocol is Protocol.UNIVERSAL:
        return Role.LOADER
    if extension == "":
        return Role.APPLICATION
    # SCCP packages of the loader era ship their loader under the image's
    # own name (P00308010200.sbn, 130 956 bytes like P003-8-12-00.sbn).
    if long_name and _loader_era(protocol, version):
        return Role.LOADER
    return Role.IMAGE


def _parse_legacy(name: str, base: str, extension: str) -> FirmwareImage | None:
    """Parse a 7940/7960 name (P0x3…), or return None when it is not one."""
    if match := _DASHED.match(base):
        char, major, minor, sub = match.groups()
        protocol = _PROTOCOL_CHAR[char.lower()]
        if protocol is Protocol.SCCP:  # P003-… with dashes: the universal loader
            protocol = Protocol.UNIVERSAL
        version = FirmwareVersion(int(major), int(minor), int(sub))
        long_name = False
    elif match := _SCCP_LONG.match(base):
        major, minor, maintenance, extra, sr = match.groups()
        protocol = Protocol.SCCP
        version = FirmwareVersion(
            int(major),
            int(minor),
            None if sr else int(maintenance),
            int(sr or 0),
            int(extra or 0),
        )
        long_name = True
    elif match := _EIGHT_THREE.match(base):
        char, major, minor = match.groups()
        protocol = _PROTOCOL_CHAR[char.lower()]
        version = FirmwareVersion(int(major), int(minor))
        long_name = False
    else:
        return None
    role = _legacy_role(protocol, version, extension, long_name=long_name)
    return FirmwareImage(name, protocol, version, role, Family.F79X0, base, extension)


def _parse_java(name: str, base: str, extension: str) -> FirmwareImage | None:
    """Parse a 79x1/79x2/79x5/797x name, or return None when it is not one."""
    if match := _JAVA_LOAD.match(base):
        protocol = Protocol(match.group(1).lower())
        prefix, family = _java_prefix(match.group(2), name)
        version = _java_version(match.groups()[2:])
        role = Role.MANIFEST if extension == ".loads" else Role.APPLICATION
        if extension not in {"", ".loads"}:
            raise FirmwareNameError(
                f"{name!r}: a Java phone load is a .loads manifest, not {extension}",
                field="image",
            )
        return FirmwareImage(
            name, protocol, version, role, family, base, extension, prefix
        )
    if match := _JAVA_PART.match(base):
        if extension != ".sbn":
            raise FirmwareNameError(
                f"{name!r}: Java phone firmware parts are .sbn files", field="image"
            )
        protocol = (
            Protocol(match.group(3).lower()) if match.group(3) else Protocol.UNIVERSAL
        )
        prefix, family = _java_prefix(match.group(2), name)
        version = _java_version(match.groups()[3:])
        return FirmwareImage(
            name, protocol, version, Role.PART, family, base, extension, prefix
        )
    if match := _JAVA_DEFAULT.match(base):
        if extension != ".loads":
            raise FirmwareNameError(
                f"{name!r}: factory-default loads are .loads files", field="image"
            )
        prefix, family = _java_prefix(match.group(1), name)
        return FirmwareImage(
            name,
            Protocol.UNIVERSAL,
            FirmwareVersion(0, 0),
            Role.MANIFEST,
            family,
            base,
            extension,
            prefix,
            factory_default=True,
        )
    return None


def parse_image_name(name: str) -> FirmwareImage:
    """Return what a firmware file or image name means.

    Accepts any case, with or without one of the extensions ``.loads``,
    ``.sbn``, ``.sb2``, ``.bin``, and ignores a directory prefix (phones and
    uploads may carry one). Raises :class:`FirmwareNameError` otherwise.
    """
    if not isinstance(name, str):
        raise FirmwareNameError(
            f"a firmware name must be text, not {type(name).__name__}", field="image"
        )
    parsed = _parse_remembered(name)
    if isinstance(parsed, str):
        raise FirmwareNameError(parsed, field="image")
    return parsed


@lru_cache(maxsize=PARSED_NAMES_KEPT)
def _parse_remembered(name: str) -> FirmwareImage | str:
    """Parse a name once: the image, or why it is not one (the message).

    Every transfer, state refresh and firmware check asks what a name means
    (a boot storm of 1,000 phones asked about 60,000 times, 0.7 s of the
    event loop in issue #16); the answer never changes. The failure is kept
    as its message, not as an exception object, so raising it again does
    not chain tracebacks. Names come from phones too: the cache is bounded.
    """
    bare = name.replace("\\", "/").rsplit("/", 1)[-1]
    if any(char.isspace() for char in bare):
        return (
            f"{name!r} contains whitespace: a phone would ask for a file that does "
            "not exist (write the bare image name)"
        )
    if not bare or len(bare) > 128 or not bare.isascii() or not bare.isprintable():
        return (
            f"{name!r} is not a firmware name: expected something like "
            "P0S3-8-12-00, P00308010200 or SIP41.8-5-4S"
        )
    base, extension = _split_extension(bare)
    try:
        image = _parse_legacy(bare, base, extension) or _parse_java(
            bare, base, extension
        )
    except FirmwareNameError as err:
        return str(err)
    if image is not None:
        return image
    hint = ""
    if bare[:2].upper() == "PO":
        hint = "; Cisco names start with P and the digit zero (P0…), not the letter O"
    return (
        f"{name!r} is not a Cisco 79xx firmware name: expected something like "
        f"P0S3-8-12-00, P003-8-12-00.sbn, P00308010200 or SIP41.8-5-4S{hint}"
    )


def is_firmware_name(name: str) -> bool:
    """Tell whether ``name`` parses as a firmware name (for filtering listings)."""
    return isinstance(name, str) and not isinstance(_parse_remembered(name), str)


def boots_universal_loader(image: FirmwareImage) -> bool:
    """Tell whether an image belongs to the universal-loader era.

    Such images are told through the configuration and come as a ``.loads``
    set; older ones (and every 8.3-style name) are single files named in
    ``OS79XX.TXT``. Java phone images and the loader itself always count.
    """
    if image.family is not Family.F79X0 or image.protocol is Protocol.UNIVERSAL:
        return True
    if _EIGHT_THREE.match(image.base):
        return False
    return _loader_era(image.protocol, image.version)


def expected_loader_name(image: FirmwareImage) -> str:
    """Return the loader name Cisco ships with a 79x0 image of this spelling.

    ``P0S3-8-12-00`` comes with ``P003-8-12-00``; SCCP images in the loader
    era carry their loader under their own name. Used to tell a user what to
    upload when a manifest is missing; the manifest itself is authoritative.
    """
    if image.protocol is Protocol.UNIVERSAL:
        return image.base
    if image.protocol is Protocol.SCCP and _SCCP_LONG.match(image.base):
        return image.base
    if image.protocol is not Protocol.SCCP and _DASHED.match(image.base):
        return "P003" + image.base[4:]
    raise FirmwareNameError(
        f"{image.name!r}: no universal loader belongs to this image "
        "(only 7940/7960 images named P0S3-x-y-z, P0M3-x-y-z or P003xxyyzzww have one)",
        field="image",
    )


def os79xx_name(image: str) -> str:
    """Return what the static ``OS79XX.TXT`` names for a configured 79x0 image.

    An old image reads ``OS79XX.TXT`` and ignores it when its first four
    characters match its own (``P0S3`` on SIP), and Cisco's 8.x packages
    ship no ``P0S3-8-12-00.bin``/``.sbn``: naming the application makes the
    file a no-op or a missing download. Cisco's own 8.12 package names the
    universal loader (``P003-8-12-00``, research/13 c.2, CPROV; the 7.4
    package ``P003-07-4-00``, BLOG2005), which then takes ``image_version``.
    Older images (no loader) and SCCP loads (``P00308010200``, whose own
    ``.sbn`` is the loader, CSC-SCCP) are named as they are.
    """
    try:
        parsed = parse_image_name(image)
    except FirmwareNameError:
        return image  # a name the settings accept but we cannot read: as is
    if (
        parsed.family is Family.F79X0
        and parsed.protocol in (Protocol.SIP, Protocol.MGCP)
        and boots_universal_loader(parsed)
    ):
        return expected_loader_name(parse_image_name(parsed.base))
    return parsed.base if parsed.extension else image
