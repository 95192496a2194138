"""The hop table: which image a phone may be told next, how, and why.

Every row names its source (research/13 resync_and_hops.md §c, reference
§3.4); a rule without one stays a switch that is off (``enabled=False``).
First enabled match wins; pass ``rules=`` to the planner to change them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from ..settings.models import Family
from .names import FirmwareImage, FirmwareVersion, Protocol


class Mechanism(StrEnum):
    """How a phone is told the image of a hop."""

    # Old images (SCCP <= 5.x, SIP <= 6.x) read OS79XX.TXT first.
    OS79XX = "os79xx"
    # Universal-loader era images read image_version (SIP<MAC>.cnf /
    # SIPDefault.cnf) or loadInformation (SEP<MAC>.cnf.xml).
    CONFIG = "config"


class StepKind(StrEnum):
    """What the next image of a rule is."""

    RELEASE = "release"  # a given protocol and major.minor, any spelling
    LOADER = "loader"  # the universal application loader
    TARGET = "target"  # the requested target itself


_79X0: Final = frozenset({Family.F79X0})
_JAVA: Final = frozenset({Family.F79X1, Family.F79X2, Family.F79X5, Family.F797X})


@dataclass(frozen=True, slots=True)
class HopRule:
    """One row of the hop table: from which images, to what, told how, and why.

    The version range is ``from_version <= v < below_version`` (None = open).
    ``release`` is the (protocol, major, minor) of a RELEASE step.
    """

    rule_id: str
    protocols: frozenset[Protocol]
    from_version: FirmwareVersion | None
    below_version: FirmwareVersion | None
    step: StepKind
    mechanism: Mechanism
    source: str
    release: tuple[Protocol, int, int] | None = None
    families: frozenset[Family] = _79X0
    enabled: bool = True

    def __post_init__(self) -> None:
        if (self.step is StepKind.RELEASE) != (self.release is not None):
            raise ValueError(
                f"hop rule {self.rule_id}: a release step needs release=, "
                "other steps must not have one"
            )

    def matches(self, current: FirmwareImage) -> bool:
        """Tell whether this rule applies to a phone running ``current``."""
        version = current.version
        return (
            self.enabled
            and current.protocol in self.protocols
            and current.family in self.families
            and (self.from_version is None or version >= self.from_version)
            and (self.below_version is None or version < self.below_version)
        )


_V = FirmwareVersion
_SIP: Final = frozenset({Protocol.SIP})
_SCCP: Final = frozenset({Protocol.SCCP})

HOP_RULES: Final[tuple[HopRule, ...]] = (
    HopRule(
        "sip-below-4.4",
        _SIP,
        None,
        _V(4, 4),
        StepKind.RELEASE,
        Mechanism.OS79XX,
        "Cisco's SIP upgrade path goes 2.x/3.x/4.x → 4.4 → 5.3 → 6.x → 7.x "
        "(CME install guide)",
        release=(Protocol.SIP, 4, 4),
    ),
    HopRule(
        "sip-4.4-to-5.3",
        _SIP,
        _V(4, 4),
        _V(5, 0),
        StepKind.RELEASE,
        Mechanism.OS79XX,
        "Cisco's SIP upgrade path continues 4.4 → 5.3 (CME install guide)",
        release=(Protocol.SIP, 5, 3),
    ),
    HopRule(
        "sip-6-direct",
        _SIP,
        _V(6, 0),
        _V(7, 0),
        StepKind.TARGET,
        Mechanism.OS79XX,
        "unconfirmed: SIP 6.x told the target image directly",
        enabled=False,
    ),
    HopRule(
        "sip-5-to-6.3",
        _SIP,
        _V(5, 0),
        _V(6, 0),
        StepKind.RELEASE,
        Mechanism.OS79XX,
        "Cisco's SIP upgrade path continues 5.3 → 6.x → 7.x (CME-INST, example "
        "5.3 → 6.0 → 7.4); 6.3 is the 6.x every loader walk starts from "
        "(BLOG2005, VI-FW, SIPX-WIKI). A SIP phone takes a P0S3 name from "
        "image_version (it ignores OS79XX.TXT with its own prefix, MATRIX)",
        release=(Protocol.SIP, 6, 3),
    ),
    HopRule(
        "sip-6-loader",
        _SIP,
        _V(6, 0),
        _V(7, 0),
        StepKind.LOADER,
        Mechanism.OS79XX,
        "SIP 6.x cannot read .loads manifests; OS79XX.TXT naming the universal "
        "loader (P003…, another prefix, so the phone follows it) boots it, and "
        "the loader fetches the target (BLOG2005 6.3 → P003-07-4-00 → 7.4; "
        "VI-FW 6.3 → 7.2; user's notes 6.3 → P003-08-2-00 → 8.2)",
    ),
    HopRule(
        "loader-to-target",
        frozenset({Protocol.UNIVERSAL}),
        None,
        None,
        StepKind.TARGET,
        Mechanism.CONFIG,
        "the universal loader hunts SEP<MAC>.cnf.xml / XMLDefault.cnf.xml and "
        "fetches the .loads they name (observed in real TFTP logs)",
    ),
    HopRule(
        "sip-7-plus",
        _SIP,
        _V(7, 0),
        None,
        StepKind.TARGET,
        Mechanism.CONFIG,
        "SIP 7.x/8.x phones go straight to the target through the universal "
        "loader (observed: SIP 7.x/8.x → 8.12)",
    ),
    HopRule(
        "sccp-below-5",
        _SCCP,
        None,
        _V(5, 0),
        StepKind.RELEASE,
        Mechanism.OS79XX,
        "SCCP 3.x/4.x boot code cannot load newer images (7.x failed with "
        "'Load ID Incorrect'); SIP 6.3 is the newest it accepts (user's notes)",
        release=(Protocol.SIP, 6, 3),
    ),
    HopRule(
        "sccp-5",
        _SCCP,
        _V(5, 0),
        _V(6, 0),
        StepKind.TARGET,
        Mechanism.OS79XX,
        "no source: an SCCP phone ignores an OS79XX.TXT naming P003… (its own "
        "prefix, MATRIX), and no 8.x package ships the P0S3-….bin/.sbn it "
        "would fetch (CPROV INFO, research/13 c.6); kept off",
        enabled=False,
    ),
    HopRule(
        "sccp-5-loader",
        _SCCP,
        _V(5, 0),
        _V(6, 0),
        StepKind.LOADER,
        Mechanism.CONFIG,
        "SCCP must be 5.x before converting to SIP (CME-INST); SCCP phones take "
        "their image from loadInformation, and naming the universal loader "
        "there moves them to it (BLOG2005: loadInformation7/8 = P003-07-4-00), "
        "a single signed .sbn a 5.x image can load (no .loads needed)",
    ),
    HopRule(
        "sccp-6-plus",
        _SCCP,
        _V(6, 0),
        None,
        StepKind.TARGET,
        Mechanism.CONFIG,
        "SCCP 6.x+ phones boot the universal loader and go straight to the "
        "target (observed: SCCP 8.x → SIP 8.12)",
    ),
    HopRule(
        "java-direct",
        frozenset({Protocol.SIP, Protocol.SCCP}),
        None,
        None,
        StepKind.TARGET,
        Mechanism.CONFIG,
        "79x1/79x2/79x5/797x phones fetch the .loads named by loadInformation "
        "and its parts (observed)",
        families=_JAVA,
    ),
)
