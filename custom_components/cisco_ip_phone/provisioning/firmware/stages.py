"""Which TFTP requests prove that a phone is progressing through a hop.

A hop is invisible except through the files the phone fetches: the manifest
(it was told the image), the loader ``.sbn`` (first reboot coming), the
application ``.sb2`` (second reboot), and finally the phone booting on the
new image. The tracker and the update entity map completed transfers to
these stages with :func:`stage_for_request`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .hops import Hop
from .names import FirmwareNameError, Role, parse_image_name


class StageKind(StrEnum):
    """A step of a hop, in the order a phone goes through them."""

    MANIFEST = "manifest"  # <image>.loads fetched: the phone was told the image
    LOADER = "loader"  # loader .sbn/.bin fetched: it reboots into the loader
    APPLICATION = "application"  # .sb2 (or Java parts) fetched: app written
    IMAGE = "image"  # old single-file image fetched: it reboots into it
    RUNNING = "running"  # the phone reports the hop's image


_ORDER = (
    StageKind.MANIFEST,
    StageKind.LOADER,
    StageKind.APPLICATION,
    StageKind.IMAGE,
)
_ROLE_STAGE = {
    Role.MANIFEST: StageKind.MANIFEST,
    Role.LOADER: StageKind.LOADER,
    Role.APPLICATION: StageKind.APPLICATION,
    Role.PART: StageKind.APPLICATION,
    Role.IMAGE: StageKind.IMAGE,
}
_DESCRIPTIONS = {
    StageKind.MANIFEST: "the phone asked for {files}: it was told {image}",
    StageKind.LOADER: "the phone fetched the loader {files} and will reboot into it",
    StageKind.APPLICATION: "the phone fetched {files} and will reboot on {image}",
    StageKind.IMAGE: "the phone fetched {files} and will reboot on {image}",
    StageKind.RUNNING: "the phone boots and reports {image}",
}


@dataclass(frozen=True, slots=True)
class HopStage:
    """One provable stage of a hop.

    ``files`` are lower-case bare names; a completed transfer of any of them
    proves the stage. The RUNNING stage has none: it is proven by
    :func:`runs_hop_image` on the firmware the phone reports.
    """

    kind: StageKind
    files: frozenset[str]
    description: str


def _bare(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1].lower()


def _stage_of_file(name: str) -> StageKind:
    try:
        role = parse_image_name(name).role
    except FirmwareNameError:
        return StageKind.APPLICATION
    return _ROLE_STAGE[role]


def hop_stages(hop: Hop) -> tuple[HopStage, ...]:
    """Return the stages of ``hop`` in order, each with the requests proving it."""
    grouped: dict[StageKind, list[str]] = {}
    for name in hop.files:
        grouped.setdefault(_stage_of_file(name), []).append(name)
    stages = [
        HopStage(
            kind,
            frozenset(_bare(name) for name in grouped[kind]),
            _DESCRIPTIONS[kind].format(files=", ".join(grouped[kind]), image=hop.image),
        )
        for kind in _ORDER
        if kind in grouped
    ]
    running = _DESCRIPTIONS[StageKind.RUNNING].format(image=hop.image)
    stages.append(HopStage(StageKind.RUNNING, frozenset(), running))
    return tuple(stages)


def stage_for_request(hop: Hop, requested: str) -> HopStage | None:
    """Return the stage a completed transfer of ``requested`` proves, if any."""
    name = _bare(requested)
    for stage in hop_stages(hop):
        if name in stage.files:
            return stage
    return None


def runs_hop_image(hop: Hop, firmware: str | None) -> bool:
    """Tell whether a phone reporting ``firmware`` has finished ``hop``.

    Spellings of one release count as the same image (a phone told
    ``P0S3-08-12-00`` may report ``P0S3-8-12-00``).
    """
    if not firmware:
        return False
    try:
        reported = parse_image_name(firmware)
    except FirmwareNameError:
        return False
    return reported.same_release(hop.firmware)
