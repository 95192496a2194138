"""Firmware walks and resyncs of one server: engine jobs fed by the hub's events.

The engine decides (``provisioning.upgrade``, ``provisioning.resync``); this
module only wires it to Home Assistant: it keeps the catalog of the TFTP root
current, tells each phone its hop's image through the hub's per-phone
overrides and the resolver's client hook, feeds TFTP transfers and tracker
events to the jobs, raises and clears repair issues, and persists the jobs.
"""

from __future__ import annotations

import time
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER, SAVE_DELAY, TICK_INTERVAL
from .coordinator import CiscoPhoneConfigEntry, CiscoPhoneHub, PhoneEntry
from .firmware_issues import (
    ISSUE_IMAGE_NOT_FOUND,
    ISSUE_LOOP,
    async_delete_phone_issue,
    async_report_image_not_found,
    async_report_loop,
    async_sync_hop_issue,
)
from .provisioning.files.render import GeneratedFile, render_os79xx
from .provisioning.firmware import (
    FirmwareCatalog,
    FirmwareNameError,
    Mechanism,
    PlanError,
    Protocol,
    Role,
    is_firmware_name,
    next_hop,
    parse_image_name,
    plan_hops,
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
from .provisioning.settings.models import ProvisioningError, SettingsError
from .provisioning.sip.restart import RestartOutcome, RestartResult, restart_phone
from .provisioning.sip.resync import SYNC_TIMEOUT, ResyncBook, syncinfo_for
from .provisioning.tftp import TransferEvent
from .provisioning.tracking.files import FileKind, classify_request
from .provisioning.tracking.tracker import ProvisioningState, TrackerEvent

DATA_MANAGERS: HassKey[dict[str, FirmwareManager]] = HassKey(f"{DOMAIN}_firmware")
STORE_VERSION: Final = 1
MAX_SUMMARY: Final = 255
# The first request of a boot: a resync that reached syncinfo.xml succeeded.
BOOT_FILES: Final = frozenset({FileKind.TRUST_LIST, FileKind.OS79XX})
# Only old images read OS79XX.TXT (SCCP <= 5.x, SIP <= 6.x); the oldest of
# them, SCCP 3.x, bounds what may be named to a phone we cannot identify yet.
OLDEST_OS79XX_READER: Final = "P00303020214"


def async_get_manager(hass: HomeAssistant, entry_id: str) -> FirmwareManager | None:
    """Return the firmware manager of a loaded server entry, if any."""
    return hass.data.get(DATA_MANAGERS, {}).get(entry_id)


async def async_start_firmware_manager(
    hass: HomeAssistant, entry: CiscoPhoneConfigEntry
) -> FirmwareManager:
    """Start the manager of a server entry; it stops when the entry unloads."""
    manager = FirmwareManager(hass, entry)
    await manager.async_start()
    hass.data.setdefault(DATA_MANAGERS, {})[entry.entry_id] = manager

    async def _stop() -> None:
        hass.data.get(DATA_MANAGERS, {}).pop(entry.entry_id, None)
        await manager.async_stop()

    entry.async_on_unload(_stop)
    return manager


async def async_remove_firmware_store(hass: HomeAssistant, entry_id: str) -> None:
    """Forget the saved walks of a removed server."""
    await Store[dict[str, Any]](
        hass, STORE_VERSION, f"{DOMAIN}.{entry_id}.firmware"
    ).async_remove()


class FirmwareManager:
    """Upgrade jobs, resyncs and the firmware catalog of one server entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: CiscoPhoneConfigEntry,
        *,
        first_timeout: float = FIRST_STEP_TIMEOUT,
        step_timeout: float = STEP_TIMEOUT,
        sync_timeout: float = SYNC_TIMEOUT,
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.hub: CiscoPhoneHub = entry.runtime_data
        self.catalog: FirmwareCatalog | None = None
        self.jobs: dict[str, UpgradeJob] = {}
        self.resyncs = ResyncBook(sync_timeout)
        self.first_timeout = first_timeout
        self.step_timeout = step_timeout
        self._store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.{entry.entry_id}.firmware"
        )
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._watched: set[str] = set()
        self._absent: dict[str, str] = {}  # MAC -> image file it asked for in vain

    # Lifecycle --------

    async def async_start(self) -> None:
        """Restore jobs and sync values, scan the root, and follow the hub."""
        await self._async_restore()
        await self.async_rescan()
        hub = self.hub
        hub.resolver.set_client_hook(self._client_hook)
        self._unsubs += [
            hub.async_add_transfer_listener(self._on_transfer),
            hub.async_add_ftp_listener(self._on_ftp),
            hub.async_add_phone_listener(self._on_phone_added),
            async_track_time_interval(
                self.hass, self._on_tick, TICK_INTERVAL, name=f"{DOMAIN} firmware tick"
            ),
        ]
        for phone in hub.phones.values():
            self._watch(phone.mac)

    async def async_stop(self) -> None:
        """Stop following the hub and save the jobs."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        self.hub.resolver.set_client_hook(None)
        await self._store.async_save(self._data_to_save())

    @callback
    def _watch(self, mac: str) -> None:
        if mac not in self._watched:
            self._watched.add(mac)
            self._unsubs.append(
                self.hub.async_add_event_listener(mac, self._on_tracker_event)
            )

    @callback
    def _on_phone_added(self, _subentry_id: str, phone: PhoneEntry) -> None:
        self._watch(phone.mac)

    # Subscriptions --------

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` whenever a job or the catalog changes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

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
        """Return the image override a phone needs now, if any."""
        job = self.jobs.get(mac)
        phone = self.hub.phones.get(mac)
        if job is None or phone is None:
            return None
        if job.status is not UpgradeStatus.DONE:
            return job.image
        # Keep what the user chose over the configured image, and the spelling
        # that exists in the root over another spelling of the same release.
        configured = self.hub.server_config.settings.image_for(phone.config)
        return None if configured.lower() == job.target.lower() else job.target

    @callback
    def _apply_images(self) -> None:
        for mac in self.hub.phones:
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
                image = self.hub.images.get(mac)
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
        """OS79XX.TXT for an old image we cannot name: its first reachable hop.

        An SCCP 3.x phone told the target (SIP 8.12) asks for a ``.bin`` that
        does not exist and stays on SCCP without ever naming its MAC. Naming
        the first hop the planner gives from SCCP 3.x (SIP 6.3) when its files
        are here moves it to SIP, where it asks for ``SIP<MAC>.cnf`` and is
        discovered; a phone already on SIP sees the same first four
        characters and ignores the file (reference §1.2).
        """
        if self.catalog is None:
            return None
        target = self.hub.server_config.settings.image_79x0
        try:
            hop = next_hop(OLDEST_OS79XX_READER, target, self.catalog)
        except (PlanError, FirmwareNameError):
            return None
        if hop is None or not hop.ready or hop.mechanism is not Mechanism.OS79XX:
            return None
        return GeneratedFile("OS79XX.TXT", render_os79xx(hop.image), None)

    # Engine events --------

    @callback
    def _on_transfer(self, event: TransferEvent) -> None:
        ip = event.client[0]
        mac = self.hub.tracker.mac_for_ip(ip)
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
            self._notify()

    @callback
    def _on_tick(self, _now: Any) -> None:
        self.async_tick(time.time())

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
            self._notify()

    @callback
    def _after(self, job: UpgradeJob, change: JobChange) -> None:
        """Apply what a job change means: images, issues, storage, entities."""
        if change is JobChange.NONE:
            return
        if change is not JobChange.PROGRESS:
            self._apply_images()
            self._sync_hop_issue(job.mac)
        if change is JobChange.FAILED and job.failure is FailureReason.TIMEOUT:
            LOGGER.warning(
                "Firmware upgrade of %s stopped: no progress on %s", job.mac, job.image
            )
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)
        self._notify()

    # Repair issues --------

    def _title(self, mac: str) -> str:
        phone = self.hub.phones.get(mac)
        if phone is None:
            return mac
        subentry = self.entry.subentries.get(phone.subentry_id)
        return subentry.title if subentry is not None else mac

    @callback
    def _clear_image_not_found(self, who: str) -> None:
        if self._absent.pop(who, None) is not None:
            async_delete_phone_issue(self.hass, ISSUE_IMAGE_NOT_FOUND, who)

    @callback
    def _report_image_not_found(self, who: str, file: str) -> None:
        """Raise the issue for a phone (MAC) or an unknown requester (IP)."""
        self._absent[who] = file.lstrip("./")
        async_report_image_not_found(self.hass, who, self._title(who), file)

    @callback
    def _sync_hop_issue(self, mac: str) -> None:
        async_sync_hop_issue(self.hass, mac, self._title(mac), self.jobs.get(mac))

    # Reading state for entities --------

    def installed_version(self, mac: str) -> str | None:
        """Return the image the phone was seen running."""
        observation = self.hub.observation(mac)
        return observation.firmware if observation is not None else None

    def latest_version(self, mac: str) -> str | None:
        """Return the phone's target: its walk's, its configured, or the newest."""
        job = self.jobs.get(mac)
        if job is not None and (job.in_progress or self._wanted_image(mac)):
            return job.target
        phone = self.hub.phones.get(mac)
        if phone is None:
            return None
        configured = self.hub.server_config.settings.image_for(phone.config)
        return configured or self._newest_image(mac)

    def _newest_image(self, mac: str) -> str | None:
        """Return the newest complete SIP image in the root for the phone's kind."""
        installed = self.installed_version(mac)
        if self.catalog is None or installed is None:
            return None
        try:
            running = parse_image_name(installed)
        except FirmwareNameError:
            return None
        candidates = [
            entry.image
            for entry in self.catalog.images
            if entry.reachable
            and entry.complete
            and entry.image.role is Role.APPLICATION
            and entry.image.protocol is Protocol.SIP
            and entry.image.family is running.family
        ]
        if not candidates:
            return None
        return max(candidates, key=lambda image: image.version).base

    def in_progress(self, mac: str) -> bool:
        """Tell whether the phone is being walked through hops."""
        job = self.jobs.get(mac)
        return job is not None and job.in_progress

    def percentage(self, mac: str) -> int | None:
        """Return the walk's progress while it runs."""
        job = self.jobs.get(mac)
        return job.percentage if job is not None and job.in_progress else None

    def _plan_ahead(self, mac: str) -> list[str]:
        job = self.jobs.get(mac)
        if job is not None and job.status is not UpgradeStatus.DONE:
            return [hop.image for hop in job.hops_ahead]
        latest, installed = self.latest_version(mac), self.installed_version(mac)
        if latest is None or installed is None or self.catalog is None:
            return []
        try:
            return [hop.image for hop in plan_hops(installed, latest, self.catalog)]
        except ProvisioningError:
            return []

    def release_summary(self, mac: str) -> str | None:
        """Return the hops still ahead, the one being served first."""
        job = self.jobs.get(mac)
        if job is not None and job.status is UpgradeStatus.FAILED:
            files = ", ".join(job.files) or job.detail or ""
            text = f"Stopped ({job.failure}): {files}. Then: " + " → ".join(
                hop.image for hop in job.hops_ahead
            )
            return text[:MAX_SUMMARY]
        hops = self._plan_ahead(mac)
        if not hops:
            return None
        return f"Hops ahead: {' → '.join(hops)}"[:MAX_SUMMARY]

    def release_notes(self, mac: str) -> str | None:
        """Return why each hop ahead is needed and what it still lacks."""
        job = self.jobs.get(mac)
        if job is not None and job.status is not UpgradeStatus.DONE:
            hops = list(job.hops_ahead)
        else:
            latest, installed = self.latest_version(mac), self.installed_version(mac)
            if latest is None or self.catalog is None:
                return None
            try:
                hops = plan_hops(installed, latest, self.catalog)
            except ProvisioningError as err:
                return str(err)
        return "\n".join(f"- **{hop.image}**: {hop.reason}" for hop in hops) or None

    def is_newer(self, latest: str, installed: str) -> bool:
        """Compare images by protocol and version, any spelling."""
        try:
            new, old = parse_image_name(latest), parse_image_name(installed)
        except FirmwareNameError:
            return latest != installed
        if new.same_release(old):
            return False
        return new.protocol is not old.protocol or new.version > old.version

    def phone_diagnostics(self, mac: str) -> dict[str, Any]:
        """Return the phone's walk, image override and sync value."""
        job = self.jobs.get(mac)
        return {
            "walk": job.as_dict() if job is not None else None,
            "image_override": self.hub.images.get(mac),
            "sync": self.hub.syncs.get(mac),
        }

    def catalog_diagnostics(self) -> dict[str, Any]:
        """Return what the root holds: each image, what it lacks, read errors."""
        catalog = self.catalog or FirmwareCatalog(self.hub.root)
        return {
            "images": [
                {
                    "name": entry.name,
                    "directory": entry.directory,
                    "complete": entry.complete,
                    "missing": list(entry.missing),
                    "error": entry.error,
                }
                for entry in catalog.images
            ],
            "problems": list(catalog.problems),
        }

    # Actions --------

    def _error(self, key: str, mac: str, **placeholders: str) -> HomeAssistantError:
        return HomeAssistantError(
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
        catalog = await self.async_rescan()
        try:
            job = plan_upgrade(
                mac,
                current or observation.firmware,
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
        if _runs_sip(observation.firmware):
            # A SIP phone can be asked to reboot; others need a power cycle.
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
        self.hub.tracker.expect_sync(mac, now)
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)
        self.entry.async_create_background_task(
            self.hass,
            self._async_notify(mac, observation.ip),
            f"{DOMAIN} check-sync {mac}",
        )
        self._notify()

    async def _async_notify(self, mac: str, ip: str) -> RestartResult:
        # The engine picks check-sync or service-control for the model and
        # firmware; a request that did not get through fails the resync now.
        phone = self.hub.phones[mac]
        seen = self.hub.observation(mac)
        try:
            result = await restart_phone(
                ip,
                model=phone.config.model,
                firmware=seen.firmware if seen is not None else None,
                user=_sip_user(phone),
                port=self.hub.server_config.settings.voip_control_port,
                full=mac in self.jobs,
            )
        except SettingsError as err:
            result = RestartResult(RestartOutcome.UNSUPPORTED, None, str(err))
        LOGGER.debug("Restart of %s: %s %s", mac, result.outcome, result.reason)
        if not result.sent and self.resyncs.fail(mac, result.reason) is not None:
            LOGGER.warning("Phone %s did not follow the resync: %s", mac, result.reason)
            self._notify()
        return result

    # Persistence --------

    async def _async_restore(self) -> None:
        data = await self._store.async_load()
        if not isinstance(data, dict):
            return
        for saved in data.get("jobs", []):
            try:
                job = UpgradeJob.from_dict(saved)
            except SavedUpgradeError as err:
                LOGGER.warning("Skipping a saved firmware upgrade: %s", err)
                continue
            if job.mac in self.hub.phones:
                self.jobs[job.mac] = job
        syncs = data.get("syncs", {})
        if isinstance(syncs, dict):
            self.hub.syncs.update(
                {
                    mac: value
                    for mac, value in syncs.items()
                    if mac in self.hub.phones and isinstance(value, str)
                }
            )
        self.hub.images.update(
            {mac: image for mac in self.jobs if (image := self._wanted_image(mac))}
        )
        self.hub.regenerate()

    @callback
    def _data_to_save(self) -> dict[str, Any]:
        return {
            "jobs": [job.as_dict() for job in self.jobs.values()],
            "syncs": dict(self.hub.syncs),
        }


def _sip_user(phone: PhoneEntry) -> str:
    """Return the NOTIFY's user: line 1's name, the only one the phone accepts."""
    lines = phone.config.lines
    return lines[0].name if lines else ""


def _runs_sip(firmware: str | None) -> bool:
    try:
        return parse_image_name(firmware or "").protocol is Protocol.SIP
    except FirmwareNameError:  # pragma: no cover - the plan needed a known image
        return False
