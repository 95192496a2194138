"""Advice for an update entity: newest image, version order, release summary.

This is firmware knowledge, so it lives in the engine (issue #10): the Home
Assistant layer only asks these functions and shows their answers. Every
function is pure; the catalog and the phone's walk are passed in.
"""

from __future__ import annotations

from typing import Final

from ..errors import ProvisioningError
from .catalog import FirmwareCatalog
from .hop_rules import Mechanism
from .hops import Hop, PlanError, next_hop, plan_hops
from .names import FirmwareNameError, Protocol, Role, parse_image_name
from .upgrade import UpgradeJob, UpgradeStatus

MAX_SUMMARY: Final = 255
# Only old images read OS79XX.TXT (SCCP <= 5.x, SIP <= 6.x); the oldest of
# them, SCCP 3.x, bounds what may be named to a phone we cannot identify yet.
OLDEST_OS79XX_READER: Final = "P00303020214"


def newest_image(catalog: FirmwareCatalog | None, installed: str | None) -> str | None:
    """Return the newest complete SIP image in the root for the phone's kind."""
    if catalog is None or installed is None:
        return None
    try:
        running = parse_image_name(installed)
    except FirmwareNameError:
        return None
    candidates = [
        entry.image
        for entry in catalog.images
        if entry.reachable
        and entry.complete
        and entry.image.role is Role.APPLICATION
        and entry.image.protocol is Protocol.SIP
        and entry.image.family is running.family
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda image: image.version).base


def is_newer(latest: str, installed: str) -> bool:
    """Compare images by protocol and version, any spelling."""
    try:
        new, old = parse_image_name(latest), parse_image_name(installed)
    except FirmwareNameError:
        return latest != installed
    if new.same_release(old):
        return False
    return new.protocol is not old.protocol or new.version > old.version


def same_image(one: str, other: str) -> bool:
    """Tell whether two names are the same release (any spelling)."""
    try:
        return parse_image_name(one).same_release(parse_image_name(other))
    except FirmwareNameError:
        return one.lower() == other.lower()


def runs_sip(firmware: str | None) -> bool:
    """Tell whether an image is a SIP one (it can be asked to reboot)."""
    try:
        return parse_image_name(firmware or "").protocol is Protocol.SIP
    except FirmwareNameError:
        return False


def _hops(
    job: UpgradeJob | None,
    latest: str | None,
    installed: str | None,
    catalog: FirmwareCatalog | None,
) -> list[Hop]:
    if job is not None and job.status is not UpgradeStatus.DONE:
        return list(job.hops_ahead)
    if latest is None or installed is None or catalog is None:
        return []
    try:
        return plan_hops(installed, latest, catalog)
    except ProvisioningError:
        return []


def release_summary(
    job: UpgradeJob | None,
    latest: str | None,
    installed: str | None,
    catalog: FirmwareCatalog | None,
) -> str | None:
    """Return the hops still ahead, the one being served first."""
    if job is not None and job.status is UpgradeStatus.FAILED:
        files = ", ".join(job.files) or job.detail or ""
        text = f"Stopped ({job.failure}): {files}. Then: " + " → ".join(
            hop.image for hop in job.hops_ahead
        )
        return text[:MAX_SUMMARY]
    hops = [hop.image for hop in _hops(job, latest, installed, catalog)]
    if not hops:
        return None
    return f"Hops ahead: {' → '.join(hops)}"[:MAX_SUMMARY]


def release_notes(
    job: UpgradeJob | None,
    latest: str | None,
    installed: str | None,
    catalog: FirmwareCatalog | None,
) -> str | None:
    """Return why each hop ahead is needed and what it still lacks."""
    if job is not None and job.status is not UpgradeStatus.DONE:
        hops = list(job.hops_ahead)
    else:
        if latest is None or catalog is None:
            return None
        try:
            hops = plan_hops(installed, latest, catalog)
        except ProvisioningError as err:
            return str(err)
    return "\n".join(f"- **{hop.image}**: {hop.reason}" for hop in hops) or None


def first_step(catalog: FirmwareCatalog | None, target: str) -> str | None:
    """Return the image to name in OS79XX.TXT to a phone we cannot identify.

    An SCCP 3.x phone told the target (SIP 8.12) asks for a ``.bin`` that
    does not exist and stays on SCCP without ever naming its MAC. Naming the
    first hop the planner gives from SCCP 3.x (SIP 6.3) when its files are
    here moves it to SIP, where it asks for ``SIP<MAC>.cnf`` and is
    discovered; a phone already on SIP sees the same first four characters
    and ignores the file (reference §1.2).
    """
    if catalog is None:
        return None
    try:
        hop = next_hop(OLDEST_OS79XX_READER, target, catalog)
    except (PlanError, FirmwareNameError):
        return None
    if hop is None or not hop.ready or hop.mechanism is not Mechanism.OS79XX:
        return None
    return hop.image
