"""Plan the firmware hops that take a phone from its current image to a target.

A 7940/7960 cannot always jump straight to the newest image: its boot code
must first be new enough to understand the next format (reference §3.4; the
user's own phone came with SCCP 3.x, failed going straight to 7.x with "Load
ID Incorrect", and needed SIP 6.3, then the universal loader, then 8.x).
Which jumps work is only partly documented, so the rules are data:
:data:`HOP_RULES`, ordered, first enabled match wins, each with its source.
Flip ``enabled`` (``dataclasses.replace``) or pass ``rules=`` to change them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ..settings.models import Family, ProvisioningError
from .catalog import CatalogImage, FirmwareCatalog
from .hop_rules import HOP_RULES, HopRule, Mechanism, StepKind
from .names import (
    FirmwareImage,
    FirmwareNameError,
    FirmwareVersion,
    Protocol,
    Role,
    boots_universal_loader,
    expected_loader_name,
    parse_image_name,
)

# Since 5.x the 7940/7960 only load signed images (.sbn/.sb2) and never go
# back to unsigned .bin ones; older images only load .bin (CCME-UPG [doc]).
SIGNED_ONLY_SINCE: Final = 5
# A phone walks at most this many hops; more means the rules loop.
MAX_HOPS: Final = 8


class PlanError(ProvisioningError):
    """No safe way to plan the upgrade (unknown current image, no rule, …)."""


_V = FirmwareVersion


@dataclass(frozen=True, slots=True)
class Hop:
    """One firmware step: the image to tell the phone, how, and what it needs.

    ``image`` is the exact name for OS79XX.TXT / image_version /
    loadInformation; ``files`` must be on the server and ``missing`` are
    those that are not (upload them before starting the hop).
    """

    image: str
    mechanism: Mechanism
    files: tuple[str, ...]
    reason: str
    missing: tuple[str, ...] = ()
    rule: str = ""

    @property
    def ready(self) -> bool:
        """Tell whether every file of the hop is on the server."""
        return not self.missing

    @property
    def firmware(self) -> FirmwareImage:
        """Return the hop's image, parsed."""
        return parse_image_name(self.image)


# ---------------------------------------------------------------- file sets


def _signed_only(running: FirmwareImage) -> bool:
    return (
        running.protocol is Protocol.UNIVERSAL
        or running.version.major >= SIGNED_ONLY_SINCE
    )


def _expected_manifest_set(image: FirmwareImage) -> tuple[str, ...]:
    """Files Cisco's packages ship for an image (used when it is missing)."""
    if image.family is not Family.F79X0:
        return (f"{image.base}.loads",)
    if not boots_universal_loader(image):
        return (f"{image.base}.sbn",)
    loader = expected_loader_name(image)
    return (f"{image.base}.loads", f"{loader}.sbn", f"{image.base}.sb2")


def _has_manifest_form(entry: CatalogImage) -> bool:
    return any(name.lower().endswith(".loads") for name in entry.needed)


def _manifest_files(entry: CatalogImage) -> tuple[tuple[str, ...], tuple[str, ...]]:
    missing = entry.missing
    if entry.error is not None:
        missing = tuple(dict.fromkeys((entry.needed[0], *missing)))
    return entry.needed, missing


def _files_for(
    image: FirmwareImage,
    entry: CatalogImage | None,
    mechanism: Mechanism,
    running: FirmwareImage,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (files, missing) a phone on ``running`` needs to load ``image``."""
    if mechanism is Mechanism.OS79XX:
        signed = _signed_only(running)
        if entry is not None:
            single = entry.single_file(signed=signed)
            if single is not None:
                return (single.name,), ()
            if _has_manifest_form(entry):
                return _manifest_files(entry)
        if boots_universal_loader(image):
            expected = _expected_manifest_set(image)
            return expected, expected
        name = f"{image.base}{'.sbn' if signed else '.bin'}"
        return (name,), (name,)
    if entry is not None:
        if _has_manifest_form(entry):
            return _manifest_files(entry)
        single = entry.single_file(signed=True)
        if single is not None:
            return (single.name,), ()
    expected = _expected_manifest_set(image)
    return expected, expected


# ------------------------------------------------------------------ choosing


def _ranked(
    entries: Sequence[CatalogImage],
    mechanism: Mechanism,
    running: FirmwareImage,
) -> CatalogImage | None:
    """Return the best entry: usable for the hop first, then newest, then name."""

    def rank(entry: CatalogImage) -> tuple[bool, tuple[int, ...]]:
        _files, missing = _files_for(entry.image, entry, mechanism, running)
        return not missing, entry.image.version.sort_key

    if not entries:
        return None
    # max() keeps the first of equals, so sorting by name breaks ties.
    return max(sorted(entries, key=lambda item: item.name), key=rank)


def _release_name(protocol: Protocol, major: int, minor: int) -> str:
    """Return Cisco's spelling of a release (``P0S3-06-3-00``, ``P00305000000``)."""
    if protocol is Protocol.SCCP:
        return f"P003{major:02d}{minor:02d}0000"
    char = "M" if protocol is Protocol.MGCP else "S"
    return f"P0{char}3-{major:02d}-{minor}-00"


def _pick_release(
    release: tuple[Protocol, int, int],
    mechanism: Mechanism,
    running: FirmwareImage,
    catalog: FirmwareCatalog,
) -> tuple[FirmwareImage, CatalogImage | None]:
    protocol, major, minor = release
    entries = [
        entry
        for entry in catalog.images
        if entry.reachable
        and entry.image.family is Family.F79X0
        and entry.image.protocol is protocol
        and entry.image.role is Role.APPLICATION
        and (entry.image.version.major, entry.image.version.minor) == (major, minor)
    ]
    best = _ranked(entries, mechanism, running)
    if best is not None:
        return best.image, best
    return parse_image_name(_release_name(protocol, major, minor)), None


def _pick_target(
    target: FirmwareImage, catalog: FirmwareCatalog
) -> tuple[FirmwareImage, CatalogImage | None]:
    entry = catalog.image(target.base)
    if entry is None:
        spelling = catalog.spelling_of(target.base)
        if spelling is not None:
            entry = catalog.image(spelling)
    if entry is None:
        return target, None
    return entry.image, entry


def _pick_loader(
    target: FirmwareImage, running: FirmwareImage, catalog: FirmwareCatalog
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Return (image, files, missing) of the universal loader to boot.

    The loader the target's own manifest lists is preferred (it is the one
    that will run next anyway), then the newest loader on the server.
    """
    extension = ".sbn" if _signed_only(running) else ".bin"
    names: list[str] = []
    _image, entry = _pick_target(target, catalog)
    if entry is not None and entry.manifest is not None:
        names += [
            listed.base
            for listed in entry.manifest.images
            if listed.role is Role.LOADER
        ]
    loaders = [
        item
        for item in catalog.images
        if item.reachable
        and item.image.protocol is Protocol.UNIVERSAL
        and item.image.family is Family.F79X0
    ]
    names += [
        item.name for item in sorted(loaders, key=lambda item: item.image.version)[::-1]
    ]
    for name in names:
        found = catalog.file(f"{name}{extension}")
        if found is not None:
            return name, (found.name,), ()
    # Only loader-era 79x0 targets get here, and those all have a loader name.
    name = names[0] if names else expected_loader_name(target)
    file_name = f"{name}{extension}"
    return name, (file_name,), (file_name,)


# ------------------------------------------------------------------ planning


def _parse_current(current: str | None) -> FirmwareImage:
    if current is None or not str(current).strip():
        raise PlanError(
            "the phone's current firmware is unknown: let it boot once against "
            "this server (its requests reveal the image) or enter it by hand",
            field="current",
        )
    try:
        image = parse_image_name(current)
    except FirmwareNameError as err:
        raise PlanError(f"current firmware: {err}", field="current") from err
    if image.role is Role.PART or image.factory_default:
        raise PlanError(
            f"{current!r} is a firmware file, not an image a phone runs",
            field="current",
        )
    return parse_image_name(image.base) if image.extension else image


def _parse_target(target: str) -> FirmwareImage:
    try:
        image = parse_image_name(target)
    except FirmwareNameError as err:
        raise PlanError(f"target firmware: {err}", field="target") from err
    if image.protocol is Protocol.UNIVERSAL or image.role is Role.PART:
        raise PlanError(
            f"{target!r} is not an application image a phone can run; choose a "
            "P0S3-…, P003xxyyzzww or SIPnn.… image",
            field="target",
        )
    if image.extension:  # the base is what phones are told
        image = parse_image_name(image.base)
    return image


def _compatible(current: FirmwareImage, target: FirmwareImage) -> None:
    if (current.family, current.load_prefix) != (target.family, target.load_prefix):
        raise PlanError(
            f"{target.base} is firmware for {target.family} phones but the phone "
            f"runs {current.base} ({current.family})",
            field="target",
        )


def _done(current: FirmwareImage, target: FirmwareImage) -> bool:
    return current.protocol is target.protocol and current.version >= target.version


def _rule_for(current: FirmwareImage, rules: Sequence[HopRule]) -> HopRule:
    for rule in rules:
        if rule.matches(current):
            return rule
    raise PlanError(
        f"no hop rule covers a phone running {current.base} "
        f"({current.protocol} {current.version}); see HOP_RULES",
        field="current",
    )


def _step(
    rule: HopRule,
    running: FirmwareImage,
    target: FirmwareImage,
    catalog: FirmwareCatalog,
) -> Hop:
    """Turn the matching rule into a concrete hop with files from the catalog."""
    kind = rule.step
    release = rule.release
    if kind is StepKind.RELEASE:
        assert release is not None  # checked when the rule was made
        protocol, major, minor = release
        if target.protocol is protocol and target.version < _V(major, minor + 1):
            kind = StepKind.TARGET  # the step would reach or pass the target
    if kind is StepKind.LOADER and not boots_universal_loader(target):
        kind = StepKind.TARGET  # old targets load without the loader
    if kind is StepKind.LOADER:
        image, files, missing = _pick_loader(target, running, catalog)
        what = f"boot the universal loader {image}"
        if parse_image_name(image).same_release(target):
            # SCCP packages ship their loader under the image's own name: the
            # one name boots the loader, which then fetches the manifest set.
            chosen, entry = _pick_target(target, catalog)
            more, more_missing = _files_for(chosen, entry, Mechanism.CONFIG, running)
            files = tuple(dict.fromkeys((*files, *more)))
            missing = tuple(dict.fromkeys((*missing, *more_missing)))
            what = f"go to {image}, whose own .sbn is the universal loader"
    else:
        if kind is StepKind.RELEASE:
            assert release is not None
            chosen, entry = _pick_release(release, rule.mechanism, running, catalog)
            what = f"go to {chosen.protocol.upper()} {chosen.version} first"
        else:
            chosen, entry = _pick_target(target, catalog)
            what = f"go to {chosen.base}"
        files, missing = _files_for(chosen, entry, rule.mechanism, running)
        image = chosen.base
    if rule.mechanism is not Mechanism.OS79XX:
        told = "named in the phone's configuration"
    elif image[:4].upper() == running.base[:4].upper():
        # MATRIX: OS79XX.TXT with the phone's own first four characters is
        # ignored; a SIP phone takes such a name from image_version.
        told = "named in image_version (OS79XX.TXT with its own prefix is ignored)"
    else:
        told = "named in OS79XX.TXT"
    reason = f"{running.base} → {image}: {what}, {told}, because {rule.source}."
    if missing:
        reason += f" Upload first: {', '.join(missing)}."
    return Hop(image, rule.mechanism, files, reason, missing, rule.rule_id)


def plan_hops(
    current: str | None,
    target: str,
    catalog: FirmwareCatalog,
    *,
    rules: Sequence[HopRule] = HOP_RULES,
) -> list[Hop]:
    """Return the hops from ``current`` to ``target`` ([] when already there).

    Each hop names the best image present for its step (any spelling of the
    release); a step whose files are not on the server is still returned,
    with ``missing`` saying what to upload, rather than failing the plan.
    Raises :class:`PlanError` for an unknown current image or when no rule
    applies. Start a walk only when every hop is ready: once the universal
    loader boots it fetches the next hop's files without being asked.
    """
    running = _parse_current(current)
    goal = _parse_target(target)
    _compatible(running, goal)
    hops: list[Hop] = []
    seen = {running.base.lower()}
    while not _done(running, goal):
        rule = _rule_for(running, rules)
        hop = _step(rule, running, goal, catalog)
        hops.append(hop)
        if hop.firmware.same_release(goal):
            break
        if hop.image.lower() in seen or len(hops) >= MAX_HOPS:
            raise PlanError(
                f"the hop rules loop at {hop.image} going from {current} to "
                f"{target}; check HOP_RULES",
                field="target",
            )
        seen.add(hop.image.lower())
        running = hop.firmware
    return hops


def next_hop(
    current: str | None,
    target: str,
    catalog: FirmwareCatalog,
    *,
    rules: Sequence[HopRule] = HOP_RULES,
) -> Hop | None:
    """Return the first hop towards ``target``, or None when already there."""
    hops = plan_hops(current, target, catalog, rules=rules)
    return hops[0] if hops else None
