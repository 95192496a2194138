"""Walk one phone through its firmware hops, proven only by what it downloads.

A 7940 on SCCP 3.x reaches SIP 8.12 through SIP 6.3 and the universal loader
(reference §3.4): each hop is one image the phone must be told, and the only
evidence that it moved on is the files it fetches. An :class:`UpgradeJob`
holds the planned hops, which one is being served, and the last proven stage;
the Home Assistant layer feeds it transfers and reported firmware, and reads
back the image to serve and a percentage. Pure logic: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Final, Self

from ..settings.models import ProvisioningError
from . import (
    HOP_RULES,
    FirmwareCatalog,
    Hop,
    HopRule,
    Mechanism,
    PlanError,
    StageKind,
    hop_stages,
    plan_hops,
    runs_hop_image,
    stage_for_request,
)
from .names import Role

# A phone on an old image must be power-cycled by hand before the first hop
# starts, so the first wait is long; after that the phone reboots by itself.
FIRST_STEP_TIMEOUT: Final = 3600.0
STEP_TIMEOUT: Final = 900.0
SAVED_VERSION: Final = 1


class UpgradeErrorCode(StrEnum):
    """Why an upgrade cannot start; the HA layer turns these into messages."""

    UNKNOWN_FIRMWARE = "unknown_firmware"
    NO_UPGRADE_PATH = "no_upgrade_path"
    FILES_MISSING = "firmware_files_missing"
    ALREADY_CURRENT = "already_current"


class UpgradeError(ValueError):
    """An upgrade that cannot start, with the files or reason that block it."""

    def __init__(
        self, code: UpgradeErrorCode, message: str, files: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.code = code
        self.files = tuple(files)


class SavedUpgradeError(ValueError):
    """Stored upgrade data that cannot be restored (corrupt or foreign)."""


class UpgradeStatus(StrEnum):
    """Where a job is: serving a hop, finished, or stopped on a problem."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class FailureReason(StrEnum):
    """Why a job stopped before the target."""

    FILES_MISSING = "files_missing"
    TIMEOUT = "timeout"
    LOOP = "loop"


class JobChange(StrEnum):
    """What an input did to a job, so callers know what to refresh."""

    NONE = "none"
    PROGRESS = "progress"  # a stage of the current hop was proven
    ADVANCED = "advanced"  # the next hop is now served
    DONE = "done"
    FAILED = "failed"
    RESUMED = "resumed"


def _download_stages(hop: Hop) -> list[StageKind]:
    return [
        stage.kind for stage in hop_stages(hop) if stage.kind is not StageKind.RUNNING
    ]


def _hop_as_dict(hop: Hop) -> dict[str, Any]:
    return {
        "image": hop.image,
        "mechanism": hop.mechanism.value,
        "files": list(hop.files),
        "reason": hop.reason,
        "missing": list(hop.missing),
        "rule": hop.rule,
    }


def _strings(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SavedUpgradeError(f"{what} must be a list of names")
    return tuple(value)


def _hop_from_dict(data: object) -> Hop:
    if not isinstance(data, Mapping):
        raise SavedUpgradeError("a hop must be an object")
    image, reason, rule = (
        data.get("image"),
        data.get("reason", ""),
        data.get("rule", ""),
    )
    if not isinstance(image, str) or not image:
        raise SavedUpgradeError(f"hop image {image!r} is not a name")
    if not isinstance(reason, str) or not isinstance(rule, str):
        raise SavedUpgradeError(f"hop {image}: reason and rule must be text")
    try:
        mechanism = Mechanism(str(data.get("mechanism")))
    except ValueError as err:
        raise SavedUpgradeError(f"hop {image}: unknown mechanism") from err
    hop = Hop(
        image,
        mechanism,
        _strings(data.get("files"), "files"),
        reason,
        _strings(data.get("missing", []), "missing"),
        rule,
    )
    try:
        _ = hop.firmware
    except ProvisioningError as err:
        raise SavedUpgradeError(f"hop {image}: {err}") from err
    return hop


@dataclass(slots=True)
class UpgradeJob:
    """One phone's walk to ``target``: the hops and how far it got.

    ``index`` is the hop being served; ``stage`` the last stage of that hop
    proven by a completed download (None before the first one).
    """

    mac: str
    target: str
    hops: tuple[Hop, ...]
    started_at: float
    updated_at: float
    index: int = 0
    stage: StageKind | None = None
    status: UpgradeStatus = UpgradeStatus.RUNNING
    failure: FailureReason | None = None
    detail: str | None = None
    files: tuple[str, ...] = field(default=())

    # -- what to serve and show ------------------------------------------------

    @property
    def hop(self) -> Hop:
        """Return the hop being served (the last one once the job is done)."""
        return self.hops[min(self.index, len(self.hops) - 1)]

    @property
    def in_progress(self) -> bool:
        """Tell whether the phone is still being walked through hops."""
        return self.status is UpgradeStatus.RUNNING

    @property
    def image(self) -> str:
        """Return the image the phone must be told now (its hop's image)."""
        return self.hop.image

    @property
    def config_image(self) -> str:
        """Return the image the phone's configuration files name now.

        During an OS79XX.TXT hop to the universal loader, the phone reads
        its configuration only once it runs that loader, which then fetches
        the ``.loads`` of the image named there. Naming the loader itself
        would send it after ``<loader>.loads``, which does not exist, on
        every boot (issue #11): the configuration names the next hop.
        """
        hop = self.hop
        if (
            hop.mechanism is Mechanism.OS79XX
            and hop.firmware.role is Role.LOADER
            and self.index + 1 < len(self.hops)
        ):
            return self.hops[self.index + 1].image
        return hop.image

    @property
    def mechanism(self) -> Mechanism:
        """Return how the current hop's image is told (OS79XX.TXT or config)."""
        return self.hop.mechanism

    @property
    def hops_ahead(self) -> tuple[Hop, ...]:
        """Return the hops not finished yet, the current one first."""
        if self.status is UpgradeStatus.DONE:
            return ()
        return self.hops[self.index :]

    @property
    def missing(self) -> tuple[str, ...]:
        """Return every file still missing for the hops ahead, once each."""
        names = (name for hop in self.hops_ahead for name in hop.missing)
        return tuple(dict.fromkeys(names))

    @property
    def percentage(self) -> int:
        """Return progress: hops done plus the proven stages of the current one.

        Each hop counts its download stages plus the reboot onto it, so the
        two-stage loader/application hops move twice before the reboot.
        """
        if self.status is UpgradeStatus.DONE:
            return 100
        stages = _download_stages(self.hop)
        done = stages.index(self.stage) + 1 if self.stage in stages else 0
        fraction = (self.index + done / (len(stages) + 1)) / len(self.hops)
        return max(0, min(99, int(fraction * 100)))

    # -- inputs ----------------------------------------------------------------

    def handle_transfer(self, name: str, *, ok: bool, now: float) -> JobChange:
        """Fold a finished transfer of ``name`` (ok, or not found) into the job."""
        if self.status is not UpgradeStatus.RUNNING:
            return JobChange.NONE
        stage = stage_for_request(self.hop, name)
        if stage is None:
            return JobChange.NONE
        if not ok:
            return self._fail(FailureReason.FILES_MISSING, name, (name,), now)
        self.updated_at = now
        stages = _download_stages(self.hop)
        if stage.kind is not stages[-1]:
            if self.stage not in stages or stages.index(stage.kind) > stages.index(
                self.stage
            ):
                self.stage = stage.kind
            return JobChange.PROGRESS
        self.stage = stage.kind
        if self.index == len(self.hops) - 1:
            return JobChange.PROGRESS  # the reboot onto the target proves the rest
        return self._advance(self.index + 1, now)

    def handle_firmware(self, firmware: str | None, now: float) -> JobChange:
        """Take the image the phone reports; it may finish one or more hops."""
        if self.status is not UpgradeStatus.RUNNING or not firmware:
            return JobChange.NONE
        for position in range(len(self.hops) - 1, self.index - 1, -1):
            if runs_hop_image(self.hops[position], firmware):
                if position == len(self.hops) - 1:
                    self.status, self.updated_at = UpgradeStatus.DONE, now
                    self.index = len(self.hops) - 1
                    return JobChange.DONE
                return self._advance(position + 1, now)
        return JobChange.NONE

    def handle_loop(self, file: str | None, now: float) -> JobChange:
        """Stop: the phone asks for the same file again and again."""
        if self.status is not UpgradeStatus.RUNNING:
            return JobChange.NONE
        return self._fail(FailureReason.LOOP, file, (file,) if file else (), now)

    def tick(
        self,
        now: float,
        *,
        first_timeout: float = FIRST_STEP_TIMEOUT,
        step_timeout: float = STEP_TIMEOUT,
    ) -> JobChange:
        """Fail a job whose phone stopped making progress."""
        if self.status is not UpgradeStatus.RUNNING:
            return JobChange.NONE
        waiting_for_start = self.index == 0 and self.stage is None
        limit = first_timeout if waiting_for_start else step_timeout
        if now - self.updated_at < limit:
            return JobChange.NONE
        return self._fail(FailureReason.TIMEOUT, self.image, (), now)

    def refresh(self, catalog: FirmwareCatalog, now: float) -> JobChange:
        """Re-check which hop files are on the server (after an upload).

        A job stopped because files were missing resumes once they are all
        there, since the phone is still waiting on the hop it was given.
        """
        self.hops = tuple(
            replace(
                hop,
                missing=tuple(name for name in hop.files if catalog.file(name) is None),
            )
            for hop in self.hops
        )
        if (
            self.status is UpgradeStatus.FAILED
            and self.failure is FailureReason.FILES_MISSING
            and self.hop.ready
        ):
            self.status, self.failure, self.detail = UpgradeStatus.RUNNING, None, None
            self.files, self.updated_at = (), now
            return JobChange.RESUMED
        return JobChange.NONE

    # -- internals -------------------------------------------------------------

    def _advance(self, index: int, now: float) -> JobChange:
        self.index, self.stage, self.updated_at = index, None, now
        if not self.hop.ready:
            return self._fail(
                FailureReason.FILES_MISSING, self.image, self.hop.missing, now
            )
        return JobChange.ADVANCED

    def _fail(
        self,
        reason: FailureReason,
        detail: str | None,
        files: tuple[str, ...],
        now: float,
    ) -> JobChange:
        self.status, self.failure, self.detail = UpgradeStatus.FAILED, reason, detail
        self.files, self.updated_at = files, now
        return JobChange.FAILED

    # -- persistence -----------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe copy for the Home Assistant Store."""
        return {
            "version": SAVED_VERSION,
            "mac": self.mac,
            "target": self.target,
            "hops": [_hop_as_dict(hop) for hop in self.hops],
            "started_at": self.started_at,
            "updated_at": self.updated_at,
            "index": self.index,
            "stage": None if self.stage is None else self.stage.value,
            "status": self.status.value,
            "failure": None if self.failure is None else self.failure.value,
            "detail": self.detail,
            "files": list(self.files),
        }

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Rebuild a job saved by ``as_dict``; SavedUpgradeError if it is bad."""
        if not isinstance(data, Mapping) or data.get("version") != SAVED_VERSION:
            raise SavedUpgradeError("not a saved upgrade of a known version")
        mac, target = data.get("mac"), data.get("target")
        if not isinstance(mac, str) or len(mac) != 12 or not isinstance(target, str):
            raise SavedUpgradeError("a saved upgrade needs a MAC and a target")
        hops = data.get("hops")
        if not isinstance(hops, list) or not hops:
            raise SavedUpgradeError(f"{mac}: a saved upgrade needs hops")
        index = data.get("index")
        if not isinstance(index, int) or not 0 <= index < len(hops):
            raise SavedUpgradeError(f"{mac}: hop index {index!r} is out of range")
        started, updated = data.get("started_at"), data.get("updated_at")
        if not all(
            isinstance(value, int | float) and not isinstance(value, bool)
            for value in (started, updated)
        ):
            raise SavedUpgradeError(f"{mac}: times must be numbers")
        detail = data.get("detail")
        if detail is not None and not isinstance(detail, str):
            raise SavedUpgradeError(f"{mac}: detail must be text")
        try:
            stage = None if data.get("stage") is None else StageKind(data["stage"])
            status = UpgradeStatus(str(data.get("status")))
            failure = (
                None if data.get("failure") is None else FailureReason(data["failure"])
            )
        except ValueError as err:
            raise SavedUpgradeError(f"{mac}: {err}") from err
        assert isinstance(started, int | float)
        assert isinstance(updated, int | float)
        return cls(
            mac=mac.upper(),
            target=target,
            hops=tuple(_hop_from_dict(hop) for hop in hops),
            started_at=float(started),
            updated_at=float(updated),
            index=index,
            stage=stage,
            status=status,
            failure=failure,
            detail=detail,
            files=_strings(data.get("files", []), "files"),
        )


def plan_upgrade(
    mac: str,
    current: str | None,
    target: str,
    catalog: FirmwareCatalog,
    *,
    now: float,
    next_hop_only: bool = False,
    rules: Sequence[HopRule] = HOP_RULES,
) -> UpgradeJob:
    """Plan the hops from ``current`` to ``target`` and return a started job.

    Raises :class:`UpgradeError` when the upgrade cannot start: the phone's
    image is unknown, no rule covers it, it already runs the target, or the
    first hop's files are not on the server. Later hops may still miss files
    (``job.missing``): the job stops there unless they are uploaded first.
    """
    try:
        hops = plan_hops(current, target, catalog, rules=rules)
    except PlanError as err:
        code = (
            UpgradeErrorCode.UNKNOWN_FIRMWARE
            if err.field == "current"
            else UpgradeErrorCode.NO_UPGRADE_PATH
        )
        raise UpgradeError(code, str(err)) from err
    if not hops:
        raise UpgradeError(
            UpgradeErrorCode.ALREADY_CURRENT, f"the phone already runs {target}"
        )
    if next_hop_only:
        hops = hops[:1]
    first = hops[0]
    if first.missing:
        raise UpgradeError(
            UpgradeErrorCode.FILES_MISSING,
            f"upload {', '.join(first.missing)} before going to {first.image}",
            first.missing,
        )
    return UpgradeJob(
        mac=mac,
        target=hops[-1].image,
        hops=tuple(hops),
        started_at=now,
        updated_at=now,
    )
