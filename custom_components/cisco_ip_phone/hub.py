"""The hub: one provisioning server per config entry, routed phone by phone.

The engine (``provisioning.server.ProvisioningServer``) folds every transfer
once and emits one ``EngineUpdate`` naming the phones it concerns. The hub is
its only subscriber. It routes each update to the entities of those phones
only (``async_subscribe_phone``), coalesces the server-wide counters into at
most a few writes per second (``async_subscribe_server``), keeps the device
registry in step, and schedules one Store write. Entities write their state
only when what they show changed, so a transfer's cost does not depend on
how many phones exist (issue #16).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.storage import STORAGE_DIR

from .coalesce import COUNTER_INTERVAL, Coalescer, PhoneBatcher
from .const import (
    DOMAIN,
    FTPS_STORAGE_NAME,
    LOGGER,
    TICK_INTERVAL,
)
from .devices import DeviceKeeper
from .discovery import DiscoveryOffers
from .firmware_issues import async_delete_phone_issues
from .heap_hold import HeapHold
from .hub_store import HubStore
from .locale_issues import schedule_locale_check
from .online import OnlinePoller
from .phone_entry import PhoneEntry, PhoneReader, phones_from_entry
from .phone_listeners import PhoneListener, PhoneSubscription
from .provisioning.files.render import GeneratedFile
from .provisioning.ftp.server import FtpBindError
from .provisioning.ftp.settings import FtpSettingsError
from .provisioning.server import EngineUpdate, ProvisioningServer, ServerCounters
from .provisioning.tftp import ContentResolver, TransferEvent
from .provisioning.tracking.tracker import PhoneObservation, PhoneTracker, TrackerEvent
from .recorder_cache import RecorderCacheSizer
from .repairs import async_clear_ftp_issue, async_report_ftp_issue
from .running_image import RunningImage
from .served_files import ServedFiles
from .server_config import ServerConfig

if TYPE_CHECKING:
    from .firmware_manager import FirmwareManager
    from .http.runtime import PhoneServices

type CiscoPhoneConfigEntry = ConfigEntry[CiscoPhoneHub]
# FTP that could not start is retried with back-off (seconds), capped.
FTP_RETRY_FIRST: Final = 10.0
FTP_RETRY_MAX: Final = 600.0
type PhoneAddedListener = Callable[[str, "PhoneEntry"], None]

__all__ = [
    "CiscoPhoneConfigEntry",
    "CiscoPhoneHub",
    "PhoneEntry",
    "ServerCounters",
    "phones_from_entry",
]


class CiscoPhoneHub:
    """Run the provisioning server of one config entry and route its updates."""

    def __init__(self, hass: HomeAssistant, entry: CiscoPhoneConfigEntry) -> None:
        from .firmware_manager import FirmwareManager

        self.hass = hass
        self.entry = entry
        self.server_config = ServerConfig.from_entry(entry.data, entry.options)
        self.root = Path(self.server_config.root)
        self._reader = PhoneReader()
        self.phones: dict[str, PhoneEntry] = self._reader.read(entry)
        self.files: dict[str, GeneratedFile] = {}  # served; see ServedFiles
        # Per-phone overrides of render (firmware hops, resync).
        self.images: dict[str, str] = {}
        self.syncs: dict[str, str] = {}
        # Phone services (http/): set up by __init__ before the first render.
        self.phone_services: PhoneServices | None = None
        self.server = ProvisioningServer(
            self.root,
            is_known=self._is_known,
            host=self.server_config.host,
            tftp_port=self.server_config.tftp_port,
        )
        self._served = ServedFiles(self.server.set_generated)
        self.ftp_error: str | None = None
        self.store = HubStore(hass, entry)
        self.firmware: FirmwareManager = FirmwareManager(hass, entry, self)
        self.online = OnlinePoller(hass, self)  # issue #12: Online, identity
        self.running = RunningImage(hass, self)
        self._phone_listeners: dict[str, list[PhoneListener]] = {}
        self._server_listeners: list[CALLBACK_TYPE] = []
        self._added_listeners: list[PhoneAddedListener] = []
        self.devices = DeviceKeeper(hass, self)
        self.discovery = DiscoveryOffers(hass, entry)
        self._counters = Coalescer(hass, COUNTER_INTERVAL, self._refresh_server)
        self._heap = HeapHold(hass.loop)
        self.recorder_cache = RecorderCacheSizer(hass)
        self._batch = PhoneBatcher[TrackerEvent](
            hass, self.async_refresh_phone, on_storm=self._heap.note_storm
        )
        self._unsubs: list[CALLBACK_TYPE] = []
        self._ftp_retry: CALLBACK_TYPE | None = None
        self._ftp_delay = FTP_RETRY_FIRST
        self._stopped = False

    # Engine objects, for the firmware manager, services and tests ----------------

    @property
    def resolver(self) -> ContentResolver:
        """Return the engine's content resolver."""
        return self.server.resolver

    @property
    def tracker(self) -> PhoneTracker:
        """Return the engine's phone tracker."""
        return self.server.tracker

    @property
    def counters(self) -> ServerCounters:
        """Return the server-wide counters."""
        return self.server.counters

    @property
    def tftp(self) -> Any:
        """Return the running TFTP server, if any."""
        return self.server.tftp

    @property
    def ftp(self) -> Any:
        """Return the running FTP server, if any."""
        return self.server.ftp

    # Lifecycle ---------------------------------------------------------------

    async def async_start(self) -> None:
        """Restore state, generate files and start the servers.

        A TFTP bind failure raises ``ConfigEntryNotReady``: without TFTP no
        phone can boot. An FTP failure raises a repair issue and is retried
        with back-off. Whatever started before a failure is stopped again.
        """
        try:
            await self._async_start()
        except BaseException:
            await self.async_stop(save=False)
            raise

    async def _async_start(self) -> None:
        stored = await self.store.async_load(self.phones)
        self.server.restore(stored.tracker, stored.counters)
        self.syncs.update(stored.syncs)
        self.running.restore(stored.stated)
        self.store.report_dropped(stored.dropped + self.firmware.restore(stored.jobs))
        self.regenerate()
        self._unsubs.append(self.server.subscribe(self._on_update))
        try:
            await self.server.start_tftp()
        except OSError as err:
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="tftp_bind_failed",
                translation_placeholders={
                    "host": self.server_config.host,
                    "port": str(self.server_config.tftp_port),
                    "error": err.strerror or str(err),
                },
            ) from err
        await self.async_start_ftp()
        await self.firmware.async_start()
        self.online.async_start()
        self._unsubs.append(
            async_track_time_interval(
                self.hass, self._tick, TICK_INTERVAL, name=f"{DOMAIN} tick"
            )
        )

    async def async_start_ftp(self) -> bool:
        """Start FTP; on failure keep TFTP running, tell the user, retry later."""
        if self._ftp_retry is not None:
            self._ftp_retry()
            self._ftp_retry = None
        if self._stopped or self.server.ftp is not None:
            return self.server.ftp is not None
        try:
            await self.server.start_ftp(
                self.server_config.ftp_settings(),
                # The self-signed FTPS certificate lives in Home Assistant's
                # storage, never in the TFTP root where phones could fetch it.
                storage_dir=Path(self.hass.config.path(STORAGE_DIR, FTPS_STORAGE_NAME)),
            )
        except (FtpBindError, FtpSettingsError) as err:
            reason = str(getattr(err, "reason", "settings"))
            LOGGER.warning(
                "FTP uploads are off: the server cannot start (%s); phones are "
                "still served over TFTP; retrying in %.0f s",
                err,
                self._ftp_delay,
            )
            self.ftp_error = reason
            async_report_ftp_issue(
                self.hass, self.entry, self.server_config.ftp_port, reason
            )
            if isinstance(err, FtpBindError):  # settings errors need the user
                self._ftp_retry = async_call_later(
                    self.hass,
                    self._ftp_delay,
                    HassJob(self._retry_ftp, cancel_on_shutdown=True),
                )
                self._ftp_delay = min(self._ftp_delay * 2, FTP_RETRY_MAX)
            return False
        self.ftp_error = None
        self._ftp_delay = FTP_RETRY_FIRST
        async_clear_ftp_issue(self.hass, self.entry)
        self._refresh_server()
        return True

    @callback
    def _retry_ftp(self, _now: Any) -> None:
        self._ftp_retry = None
        self.entry.async_create_background_task(
            self.hass, self.async_start_ftp(), f"{DOMAIN} FTP retry"
        )

    async def async_stop(self, *, save: bool = True) -> None:
        """Stop servers and timers and write the observed state; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        if self._ftp_retry is not None:
            self._ftp_retry()
            self._ftp_retry = None
        self.firmware.async_stop()
        self.online.async_stop()
        self._counters.flush()
        self._batch.flush()
        self._heap.release()
        self.recorder_cache.cancel()
        await self.server.stop()
        if save:
            await self.store.async_save(self._data_to_save())
        else:
            self.store.async_cancel_pending()
        self._refresh_all()

    async def async_stop_on_event(self, _event: Event) -> None:
        """Stop when Home Assistant stops (entries are not unloaded then)."""
        await self.async_stop()

    # State read by entities -----------------------------------------------------

    @property
    def tftp_running(self) -> bool:
        """Return whether the TFTP server is listening."""
        return self.server.tftp is not None

    @property
    def ftp_running(self) -> bool:
        """Return whether the FTP server is listening."""
        return self.server.ftp is not None

    @property
    def phones_seen(self) -> int:
        """Return how many distinct phones asked for files."""
        return self.tracker.count()

    def observation(self, mac: str) -> PhoneObservation | None:
        """Return what the tracker saw of a phone, if anything."""
        return self.tracker.observation(mac)

    def config_up_to_date(self, mac: str) -> bool | None:
        """Return whether a phone fetched the current version of its files.

        ``None`` (unknown) when the phone is not configured, was never seen,
        or is in its first boot (not judged before it could fetch its files).
        """
        phone = self.phones.get(mac)
        observation = self.tracker.observation(mac)
        if phone is None or observation is None:
            return None
        return self._served.up_to_date(
            phone.main_file, observation.fetched, observation.state
        )

    def title(self, mac: str) -> str:
        """Return the name the user gave a phone (its MAC when unknown)."""
        phone = self.phones.get(mac)
        if phone is None:
            return mac
        subentry = self.entry.subentries.get(phone.subentry_id)
        return subentry.title if subentry is not None else mac

    # Configuration ---------------------------------------------------------------

    @callback
    def regenerate(self, macs: set[str] | None = None) -> None:
        """Serve the current files; refresh ``macs`` and changed phones, or all.

        Only what changed is rendered again (``ServedFiles``); every phone is
        refreshed when ``macs`` is None or a file all phones read changed.
        """
        self.files = self._served.render(
            self.server_config.settings,
            [phone.config for phone in self.phones.values()],
            self.images,
            self.syncs,
            overrides=(
                self.phone_services.overrides(self.phones)
                if self.phone_services is not None
                else None
            ),
        )
        schedule_locale_check(self.hass, self.entry, self.server_config, self.phones)
        if macs is None or self._served.renderer.shared_changed:
            self._refresh_all()
            return
        for mac in macs | self._served.renderer.changed:
            self.async_refresh_phone(mac)
        self._refresh_server()

    @callback
    def async_apply_entry(self) -> bool:
        """Apply changed subentries or options in place.

        Returns ``False`` when the connection settings changed, so the entry
        must be reloaded (servers rebound) instead.
        """
        new_config = ServerConfig.from_entry(self.entry.data, self.entry.options)
        if not new_config.same_connection(self.server_config):
            return False
        same_settings = new_config == self.server_config
        self.server_config = new_config
        old, self.phones = self.phones, self._reader.read(self.entry)
        self.regenerate(set(self._reader.changed) if same_settings else None)
        for mac, phone in self.phones.items():
            if mac not in old or old[mac].subentry_id != phone.subentry_id:
                # After the current flow step: the discovery flow that added
                # this phone must finish on its own.
                self.hass.loop.call_soon(self.discovery.withdraw, mac)
                for listener in list(self._added_listeners):
                    listener(phone.subentry_id, phone)
                self.firmware.phone_added(mac)
        for mac in old.keys() - self.phones.keys():
            async_delete_phone_issues(self.hass, mac)
            self.devices.forget(mac)
        return True

    @callback
    def set_image_override(self, mac: str, image: str | None) -> None:
        """Tell one phone to run another image (a firmware hop), or stop that."""
        if image is None:
            self.images.pop(mac, None)
        else:
            self.images[mac] = image
        self.regenerate({mac})

    @callback
    def set_sync(self, mac: str, value: str) -> None:
        """Change one phone's ``sync`` value so a check-sync makes it reboot."""
        self.syncs[mac] = value
        self.regenerate({mac})
        self.async_schedule_save()

    # Subscriptions ---------------------------------------------------------------

    @callback
    def async_subscribe_phone(self, mac: str, listener: PhoneListener) -> CALLBACK_TYPE:
        """Call ``listener(events)`` when something about one phone may have changed.

        ``events`` are that phone's tracker events of the update (often none).
        Listeners compare and write only what changed.
        """
        self._phone_listeners.setdefault(mac, []).append(listener)
        return PhoneSubscription(self._phone_listeners, mac, listener)

    @callback
    def async_subscribe_server(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` when server-wide state changed (coalesced)."""
        self._server_listeners.append(listener)
        return lambda: self._server_listeners.remove(listener)

    @callback
    def async_add_phone_listener(self, listener: PhoneAddedListener) -> CALLBACK_TYPE:
        """Call ``listener`` for each phone subentry added at runtime."""
        self._added_listeners.append(listener)
        return lambda: self._added_listeners.remove(listener)

    # Routing -----------------------------------------------------------------------

    @callback
    def feed_transfer(self, event: TransferEvent) -> EngineUpdate:
        """Inject one transfer event, as the TFTP server would (tests, tools)."""
        return self.server.feed_transfer(event)

    @callback
    def _on_update(self, update: EngineUpdate) -> None:
        """Route one engine update: its phones, counters, firmware, Store."""
        for event in update.events:
            if event.kind == "discovered":
                self._discover(event)
        self.firmware.handle_update(update)
        if update.ftp is not None and self.phone_services is not None:
            self.phone_services.async_handle_ftp(update.ftp)  # phonebook upload
        for mac in update.macs:
            self._batch.add(mac, update.events_for(mac))
        if update.counters_changed:
            self._counters.schedule()
        if update.macs or update.counters_changed:
            self.async_schedule_save()

    @callback
    def async_refresh_phone(
        self, mac: str, events: tuple[TrackerEvent, ...] = ()
    ) -> None:
        """Let one phone's entities re-check what they show."""
        self.devices.sync(mac)
        for listener in list(self._phone_listeners.get(mac, ())):
            listener(events)

    @callback
    def _refresh_all(self) -> None:
        """Refresh every phone and the server (settings changed, start, stop)."""
        for mac in list(self._phone_listeners):
            self.async_refresh_phone(mac)
        self._refresh_server()

    @callback
    def _refresh_server(self) -> None:
        for listener in list(self._server_listeners):
            listener()

    @callback
    def _tick(self, _now: Any) -> None:
        """Run the one timer: tracker silence rules and firmware timeouts."""
        now = time.time()
        self.server.tick(now)
        self.firmware.async_tick(now)

    @callback
    def _discover(self, event: TrackerEvent) -> None:
        """Offer an unknown phone to the user (bounded: see discovery.py)."""
        if self.server_config.discovery:
            self.discovery.offer(event)

    def _is_known(self, mac: str) -> bool:
        """Tell the tracker whether a MAC is configured."""
        return mac in self.phones

    # Persistence -------------------------------------------------------------------

    @callback
    def async_schedule_save(self) -> None:
        """Write the one Store a little later (many changes, one write)."""
        if not self._stopped:
            self.store.async_delay_save(self._data_to_save)

    @callback
    def _data_to_save(self) -> dict[str, Any]:
        """Return the state to persist (cheap: runs on the event loop)."""
        return self.store.payload(
            tracker=self.tracker.as_dict(),
            counters=self.counters.as_dict(),
            jobs=self.firmware.jobs_as_list(),
            syncs=dict(self.syncs),
            stated=dict(self.running.stated),
        )
