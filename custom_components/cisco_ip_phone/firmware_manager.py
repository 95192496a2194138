"""Firmware walks and resyncs of one server, driven by the hub's updates.

The engine decides (``provisioning.firmware``: upgrade walks and advice;
``provisioning.sip.resync``); this module only wires it to Home Assistant:
it keeps the catalog of the TFTP root current, tells each phone its hop's
image through the hub's per-phone overrides and the resolver's client hook,
takes each engine update from the hub (never subscribing on its own), raises
and clears repair issues, and hands its jobs to the hub's one Store.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN, LOGGER
from .firmware_issues import (
    ISSUE_IMAGE_NOT_FOUND,
    ISSUE_LOOP,
    async_delete_phone_issue,
    async_report_image_not_found,
    async_report_loop,
    async_sync_hop_issue,
)
from .firmware_views import FirmwareViews
from .provisioning.files.render import GeneratedFile, render_os79xx
from .provisioning.firmware import (
    FirmwareCatalog,
    advice,
    is_firmware_name,
    scan_catalog,
)
from .provisioning.firmware.upgrade import (
    FIRST_STEP_TIMEOUT,
    STEP_TIMEOUT,
    FailureReason,
    JobChange,
    SavedUpgradeError,
    UpgradeError,
    UpgradeJob,
    UpgradeStatus,
    plan_upgrade,
)
from .provisioning.ftp.server import FtpEvent
from .provisioning.server import EngineUpdate
from .provisioning.settings.models import ProvisioningError, SettingsError
from .provisioning.sip.restart import RestartOutcome, RestartResult, restart_phone
from .provisioning.sip.resync import SYNC_TIMEOUT, ResyncBook, syncinfo_for
from .provisioning.tftp import TransferEvent
from .provisioning.tracking.files import FileKind, classify_request
from .provisioning.tracking.tracker import ProvisioningState, TrackerEvent

if TYPE_CHECKING:
    from .hub import CiscoPhoneConfigEntry, CiscoPhoneHub, PhoneEntry

# The first request of a boot: a resync that reached syncinfo.xml succeeded.
BOOT_FILES: Final = frozenset({FileKind.TRUST_LIST, FileKind.OS79XX})


def async_get_manager(hass: HomeAssistant, entry_id: str) -> FirmwareManager | None:
    """Return the firmware manager of a loaded server entry, if any."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        return None
    hub = getattr(entry, "runtime_data", None)
    return getattr(hub, "firmware", None)


class FirmwareManager(FirmwareViews):
    """Upgrade jobs, resyncs and the firmware catalog of one server entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: CiscoPhoneConfigEntry,
        hub: CiscoPhoneHub,
        *,
        first_timeout: float = FIRST_STEP_TIMEOUT,
        step_timeout: float = STEP_TIMEOUT,
        sync_timeout: float = SYNC_TIMEOUT,
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.hub = hub
        self.catalog: FirmwareCatalog | None = None
        self.jobs: dict[str, UpgradeJob] = {}
        self.resyncs = ResyncBook(sync_timeout)
        self.first_timeout = first_timeout
        self.step_timeout = step_timeout
        self._absent: dict[str, str] = {}  # MAC -> image file it asked for in vain

    # Lifecycle --------

    def restore(self, saved_jobs: list[Any]) -> list[str]:
        """Rebuild the saved walks; return what had to be dropped."""
        dropped: list[str] = []
        for saved in saved_jobs:
            try:
                job = UpgradeJob.from_dict(saved)
            except SavedUpgradeError as err:
                LOGGER.warning("Skipping a saved firmware upgrade: %s", err)
                dropped.append("a firmware walk")
                continue
            if job.mac in self.hub.phones:
                self.jobs[job.mac] = job
        self.hub.images.update(
            {mac: image for mac in self.jobs if (image := self._wanted_image(mac))}
        )
        return dropped

    async def async_start(self) -> None:
        """Scan the root and serve per-phone OS79XX.TXT and syncinfo.xml."""
        await self.async_rescan()
        self.hub.resolver.set_client_hook(self._client_hook)

    @callback
    def async_stop(self) -> None:
        """Stop serving per-phone files (the hub saves the jobs)."""
        self.hub.resolver.set_client_hook(None)

    @callback
    def phone_added(self, mac: str) -> None:
        """Show the hop issue of a phone added at runtime, if it has one."""
        self._sync_hop_issue(mac)

    def jobs_as_list(self) -> list[dict[str, Any]]:
        """Return the walks as stored in the hub's Store."""
        return [job.as_dict() for job in self.jobs.values()]

    @callback
    def _notify(self, mac: str | None = None) -> None:
        """Refresh one phone's entities, or every phone's (catalog change)."""
        if mac is not None:
            self.hub.async_refresh_phone(mac)
            return
        for phone in list(self.hub.phones):
            self.hub.async_refresh_phone(phone)

    # Catalog --------

    async def async_rescan(self) -> FirmwareCatalog:
        """Read the firmware in the TFTP root again (off the event loop)."""
        catalog = await self.hass.async_add_executor_job(scan_catalog, self.hub.root)
        self.catalog = catalog
        self.hub.resolver.invalidate()  # serve what the scan found, at once
        now = time.time()
        for job in self.jobs.values():
            self._after(job, job.refresh(catalog, now))
        for mac in self.hub.phones:
            self._sync_hop_issue(mac)
        for mac, file in list(self._absent.items()):
            if catalog.file(file) is not None:
                self._clear_image_not_found(mac)
        self._notify()
        return catalog

    @callback
    def _on_ftp(self, event: FtpEvent) -> None:
        if event.kind == "upload_completed":
            self.entry.async_create_background_task(
                self.hass, self.async_rescan(), f"{DOMAIN} firmware rescan"
            )

    # What the phones are told --------

    def _wanted_image(self, mac: str) -> str | None:
        """Return the image a phone's configuration must name now, if any.

        A walk, running or stopped, names its hop's ``config_image``: never
        a loader, whose ``.loads`` does not exist.
        """
        job = self.jobs.get(mac)
        phone = self.hub.phones.get(mac)
        if job is None or phone is None:
            return None
        if job.status is not UpgradeStatus.DONE:
            return job.config_image
        # Keep what the user chose over the configured image, and the spelling
        # that exists in the root over another spelling of the same release.
        configured = self.hub.server_config.settings.image_for(phone.config)
        return None if configured.lower() == job.target.lower() else job.target

    def _told_image(self, mac: str) -> str | None:
        """Return the image OS79XX.TXT names to a phone (its hop's, in a walk)."""
        job = self.jobs.get(mac)
        wanted = self.hub.images.get(mac)
        if (
            job is not None
            and job.status is not UpgradeStatus.DONE
            and wanted == job.config_image
        ):
            return job.image
        return wanted

    @callback
    def _apply_image(self, mac: str) -> None:
        wanted = self._wanted_image(mac)
        if self.hub.images.get(mac) != wanted:
            self.hub.set_image_override(mac, wanted)

    def _client_hook(self, name: str, client_ip: str) -> GeneratedFile | None:
        """Serve OS79XX.TXT and syncinfo.xml per requesting phone."""
        if name not in ("os79xx.txt", "syncinfo.xml"):
            return None
        mac = self.hub.tracker.mac_for_ip(client_ip)
        if mac is None or mac not in self.hub.phones:
            return self._first_step() if name == "os79xx.txt" else None
        try:
            if name == "os79xx.txt":
                image = self._told_image(mac)
                if image is None:
                    return self._first_step()
                return GeneratedFile("OS79XX.TXT", render_os79xx(image), mac)
            sync = self.hub.syncs.get(mac)
            if sync is None:
                return None
            return GeneratedFile("syncinfo.xml", syncinfo_for(sync), mac)
        except ProvisioningError as err:  # pragma: no cover - values are validated
            LOGGER.warning("Cannot serve %s to %s: %s", name, mac, err)
            return None

    def _first_step(self) -> GeneratedFile | None:
        """OS79XX.TXT for an old image we cannot name: its first reachable hop."""
        target = self.hub.server_config.settings.image_79x0
        image = advice.first_step(self.catalog, target)
        if image is None:
            return None
        return GeneratedFile("OS79XX.TXT", render_os79xx(image), None)

    # Engine events --------

    @callback
    def handle_update(self, update: EngineUpdate) -> None:
        """Take one engine update: tracker events first, then the transfer."""
        for event in update.events:
            if event.mac in self.hub.phones:
                self._on_tracker_event(event)
        if update.transfer is not None:
            self._on_transfer(update.transfer, update.mac)
        if update.ftp is not None:
            self._on_ftp(update.ftp)

    @callback
    def _on_transfer(self, event: TransferEvent, mac: str | None) -> None:
        ip = event.client[0]
        name = event.requested_name
        ok = event.kind == "completed" and event.outcome == "ok"
        missing = event.kind == "failed" and event.outcome == "not_found"
        if is_firmware_name(name):
            # Phones not configured yet are named by MAC, or by IP before
            # they asked for a file with their MAC (old SCCP images never do).
            if missing:
                self._report_image_not_found(mac or ip, name)
            elif ok:
                self._clear_image_not_found(mac or ip)
        if mac is None or mac not in self.hub.phones:
            return
        if event.kind == "request":
            if classify_request(name).kind in BOOT_FILES:
                self._resync_booted(mac)
            return
        job = self.jobs.get(mac)
        if job is not None and (ok or missing):
            self._after(job, job.handle_transfer(name, ok=ok, now=time.time()))

    @callback
    def _on_tracker_event(self, event: TrackerEvent) -> None:
        mac = event.mac
        now = time.time()
        job = self.jobs.get(mac)
        if job is not None:
            self._after(job, job.handle_firmware(event.observation.firmware, now))
        if event.kind == "state_changed":
            if event.observation.state is ProvisioningState.STUCK_IN_LOOP:
                async_report_loop(self.hass, mac, self._title(mac), event.file)
                if job is not None:
                    self._after(job, job.handle_loop(event.file, now))
            else:
                async_delete_phone_issue(self.hass, ISSUE_LOOP, mac)
        elif event.kind == "sync_requested":
            self.resyncs.sync_requested(mac, now)
        elif event.kind == "booted":
            self._resync_booted(mac)

    @callback
    def _resync_booted(self, mac: str) -> None:
        if self.resyncs.booted(mac) is not None:
            LOGGER.debug("Phone %s rebooted after the resync", mac)
            self._notify(mac)

    @callback
    def async_tick(self, now: float) -> None:
        """Fail walks that stopped moving and resyncs the phone did not follow."""
        for job in list(self.jobs.values()):
            self._after(
                job,
                job.tick(
                    now,
                    first_timeout=self.first_timeout,
                    step_timeout=self.step_timeout,
                ),
            )
        for attempt in self.resyncs.tick(now):
            LOGGER.warning(
                "Phone %s did not follow the resync: %s", attempt.mac, attempt.reason
            )
            self._notify(attempt.mac)

    @callback
    def _after(self, job: UpgradeJob, change: JobChange) -> None:
        """Apply what a job change means: images, issues, storage, entities."""
        if change is JobChange.NONE:
            return
        if change is not JobChange.PROGRESS:
            self._apply_image(job.mac)
            self._sync_hop_issue(job.mac)
        if change is JobChange.FAILED and job.failure is FailureReason.TIMEOUT:
            LOGGER.warning(
                "Firmware upgrade of %s stopped: no progress on %s", job.mac, job.image
            )
        self.hub.async_schedule_save()
        self._notify(job.mac)

    # Repair issues --------

    def _title(self, mac: str) -> str:
        return self.hub.title(mac)

    @callback
    def _clear_image_not_found(self, who: str) -> None:
        if self._absent.pop(who, None) is not None:
            async_delete_phone_issue(self.hass, ISSUE_IMAGE_NOT_FOUND, who)

    @callback
    def _report_image_not_found(self, who: str, file: str) -> None:
        """Raise the issue for a phone (MAC) or an unknown requester (IP).

        Never for a phone known to run that image (any source): it checks
        the server for its own image and runs on fine without it.
        """
        if self.hub.running.runs(who, file):
            return
        self._absent[who] = file.lstrip("./")
        async_report_image_not_found(self.hass, who, self._title(who), file)

    @callback
    def running_learned(self, mac: str) -> None:
        """Drop the missing-image issue once the phone proves it runs it."""
        file = self._absent.get(mac)
        if file is not None and self.hub.running.runs(mac, file):
            self._clear_image_not_found(mac)

    @callback
    def _sync_hop_issue(self, mac: str) -> None:
        async_sync_hop_issue(self.hass, mac, self._title(mac), self.jobs.get(mac))

    # Actions --------

    def _error(self, key: str, mac: str, **placeholders: str) -> HomeAssistantError:
        # Every refusal here is something the user can fix (a phone not seen
        # yet, a version, a file to upload): a validation error, logged once
        # by Home Assistant as one line, never as an "unexpected" traceback.
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"phone": self._title(mac), **placeholders},
        )

    async def async_install(
        self,
        mac: str,
        version: str | None = None,
        *,
        next_hop_only: bool = False,
        current: str | None = None,
    ) -> UpgradeJob:
        """Plan the walk to ``version`` (or the target) and serve its first hop.

        ``current`` is the image the user read on the phone, for phones whose
        requests never name it (SCCP 3.x/4.x); otherwise the observed one.
        """
        observation = self.hub.observation(mac)
        if observation is None or observation.ip is None:
            raise self._error("phone_offline", mac)
        target = version or self.latest_version(mac)
        if not target:
            raise self._error("no_target", mac)
        running = self.jobs.get(mac)
        if (
            running is not None
            and running.in_progress
            and not next_hop_only
            and advice.same_image(running.target, target)
        ):
            # Asked again (an automation, a retry after a restart): the walk
            # already on its way is the answer; planning anew from the
            # firmware last seen would send the phone back to the first hop.
            return running
        catalog = await self.async_rescan()
        try:
            job = plan_upgrade(
                mac,
                current or self.hub.running.best(mac),
                target,
                catalog,
                now=time.time(),
                next_hop_only=next_hop_only,
            )
        except UpgradeError as err:
            raise self._error(
                err.code.value,
                mac,
                version=target,
                files=", ".join(err.files),
                error=str(err),
            ) from err
        self.jobs[mac] = job
        self._after(job, JobChange.ADVANCED)
        if (
            advice.runs_sip(current or self.hub.running.best(mac))
            and self.hub.online.restart_capability(mac).possible
        ):
            # A phone that can be asked to reboot is; others need a power cycle.
            self.async_resync(mac)
        return job

    @callback
    def async_resync(self, mac: str) -> None:
        """Give the phone a new sync value and send it a check-sync NOTIFY.

        The NOTIFY's answer proves nothing (reference §4.1), so it is sent in
        the background; the outcome is the syncinfo.xml request and the boot
        that follow, or their absence when the resync times out.
        """
        observation = self.hub.observation(mac)
        if observation is None or observation.ip is None:
            raise self._error("no_ip_address", mac)
        now = time.time()
        attempt = self.resyncs.start(mac, self.hub.syncs.get(mac), now)
        self.hub.set_sync(mac, attempt.sync)
        self.hub.server.expect_sync(mac, now)
        self.entry.async_create_background_task(
            self.hass,
            self._async_notify(mac, observation.ip),
            f"{DOMAIN} check-sync {mac}",
        )
        self._notify(mac)

    async def _async_notify(self, mac: str, ip: str) -> RestartResult:
        # The engine picks check-sync or service-control for the model and
        # firmware; a request that did not get through fails the resync now.
        phone = self.hub.phones[mac]
        try:
            result = await restart_phone(
                ip,
                model=phone.config.model,
                firmware=self.hub.running.best(mac),
                user=_sip_user(phone),
                port=self.hub.server_config.settings.voip_control_port,
                full=mac in self.jobs,
            )
        except SettingsError as err:
            result = RestartResult(RestartOutcome.UNSUPPORTED, None, str(err))
        LOGGER.debug("Restart of %s: %s %s", mac, result.outcome, result.reason)
        if not result.sent and self.resyncs.fail(mac, result.reason) is not None:
            LOGGER.warning("Phone %s did not follow the resync: %s", mac, result.reason)
            self._notify(mac)
        return result


def _sip_user(phone: PhoneEntry) -> str:
    """Return the NOTIFY's user: line 1's name, the only one the phone accepts."""
    lines = phone.config.lines
    return lines[0].name if lines else ""
