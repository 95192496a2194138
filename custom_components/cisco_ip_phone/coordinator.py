"""The hub: one provisioning server per config entry, and what it observed.

The hub owns the engine objects (resolver, TFTP and FTP servers, tracker),
turns config subentries into generated files, and turns engine events into
state that entities read. Entities subscribe with ``async_add_listener``;
platforms subscribe to new phones with ``async_add_phone_listener`` so a
phone added at runtime gets its entities without restarting the servers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
import time
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY, ConfigEntry
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import discovery_flow
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import STORAGE_DIR, Store

from .const import (
    DISCOVERY_COOLDOWN,
    DOMAIN,
    FTPS_STORAGE_NAME,
    LOGGER,
    SAVE_DELAY,
    STORAGE_VERSION,
    TICK_INTERVAL,
)
from .provisioning.files.render import GeneratedFile, render_files
from .provisioning.ftp.server import FtpBindError, FtpEvent, FtpServer
from .provisioning.ftp.settings import FtpSettingsError
from .provisioning.settings.models import (
    MODELS,
    ConfigStyle,
    PhoneConfig,
    ProvisioningError,
)
from .provisioning.tftp import ContentResolver, TftpServer, TransferEvent
from .provisioning.tracking.tracker import PhoneObservation, PhoneTracker, TrackerEvent
from .repairs import async_clear_ftp_issue, async_report_ftp_issue
from .server_config import ServerConfig

if TYPE_CHECKING:
    from .http.runtime import PhoneServices

type CiscoPhoneConfigEntry = ConfigEntry[CiscoPhoneHub]
# Served per requesting phone (firmware hops, resync), so a phone's copy may
# differ from the shared one without its config being out of date.
PER_PHONE_FILES = frozenset({"os79xx.txt", "syncinfo.xml"})
type TrackerEventListener = Callable[[TrackerEvent], None]
type PhoneAddedListener = Callable[[str, "PhoneEntry"], None]


@dataclass(frozen=True, slots=True)
class PhoneEntry:
    """A configured phone: its subentry and its validated settings."""

    subentry_id: str
    config: PhoneConfig

    @property
    def mac(self) -> str:
        """Return the normalised MAC, the phone's identity everywhere."""
        return self.config.mac

    @property
    def model_name(self) -> str:
        """Return the model as the device registry shows it."""
        return f"IP Phone {self.config.model}"

    @property
    def main_file(self) -> str:
        """Return the file whose fetch proves the phone read its settings."""
        style = MODELS[self.config.model].config_style
        if style is ConfigStyle.CNF:
            return f"SIP{self.mac}.cnf"
        return f"SEP{self.mac}.cnf.xml"


@dataclass(slots=True)
class ServerCounters:
    """Counters of the server device; persisted so restarts do not reset them."""

    transfers: int = 0
    errors: int = 0
    uploads: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the JSON form stored in ``Store``."""
        return {
            "transfers": self.transfers,
            "errors": self.errors,
            "uploads": self.uploads,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ServerCounters:
        """Rebuild counters from stored data, ignoring anything malformed."""
        values = {
            key: value
            for key in ("transfers", "errors", "uploads")
            if isinstance(value := data.get(key), int) and value >= 0
        }
        return cls(**values)


def phones_from_entry(entry: ConfigEntry) -> dict[str, PhoneEntry]:
    """Return the valid phone subentries keyed by MAC; log the invalid ones."""
    phones: dict[str, PhoneEntry] = {}
    for subentry_id, subentry in entry.subentries.items():
        try:
            config = PhoneConfig.from_dict(dict(subentry.data))
        except (ProvisioningError, KeyError, TypeError) as err:
            LOGGER.warning("Phone %s has invalid settings: %s", subentry.title, err)
            continue
        phones[config.mac] = PhoneEntry(subentry_id=subentry_id, config=config)
    return phones


class CiscoPhoneHub:
    """Run the provisioning server of one config entry and keep its state."""

    def __init__(self, hass: HomeAssistant, entry: CiscoPhoneConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self.server_config = ServerConfig.from_entry(entry.data, entry.options)
        self.root = Path(self.server_config.root)
        self.phones: dict[str, PhoneEntry] = phones_from_entry(entry)
        self.files: dict[str, GeneratedFile] = {}
        # Hooks for firmware hops and resync (per-phone overrides of render).
        self.images: dict[str, str] = {}
        self.syncs: dict[str, str] = {}
        # Phone services (http/): set up by __init__ before the first render.
        self.phone_services: PhoneServices | None = None
        self.resolver = ContentResolver(self.root)
        self.tracker = PhoneTracker(self._is_known)
        self.counters = ServerCounters()
        self.tftp: TftpServer | None = None
        self.ftp: FtpServer | None = None
        self.ftp_error: str | None = None
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}"
        )
        self._listeners: list[CALLBACK_TYPE] = []
        self._event_listeners: dict[str, list[TrackerEventListener]] = {}
        self._phone_listeners: list[PhoneAddedListener] = []
        self._ftp_listeners: list[Callable[[FtpEvent], None]] = []
        self._transfer_listeners: list[Callable[[TransferEvent], None]] = []
        self._discovered_at: dict[str, float] = {}
        self._unsub_tick: CALLBACK_TYPE | None = None
        self._stopped = False

    # Lifecycle ---------------------------------------------------------------

    async def async_start(self) -> None:
        """Restore state, generate files and start the servers.

        A TFTP bind failure raises ``ConfigEntryNotReady``: without TFTP no
        phone can boot. An FTP failure only raises a repair issue.
        """
        await self._async_restore()
        self.regenerate()
        tftp = TftpServer(
            self.resolver,
            host=self.server_config.host,
            port=self.server_config.tftp_port,
            on_event=self._handle_transfer,
        )
        try:
            await tftp.start()
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
        self.tftp = tftp
        await self._async_start_ftp()
        self._unsub_tick = async_track_time_interval(
            self.hass, self._tick, TICK_INTERVAL, name=f"{DOMAIN} tracker tick"
        )

    async def _async_start_ftp(self) -> None:
        """Start FTP; on failure keep TFTP running and tell the user why."""
        try:
            ftp = FtpServer(
                self.root,
                self.server_config.ftp_settings(),
                on_event=self._handle_ftp,
                # The self-signed FTPS certificate lives in Home Assistant's
                # storage, never in the TFTP root where phones could fetch it.
                storage_dir=Path(self.hass.config.path(STORAGE_DIR, FTPS_STORAGE_NAME)),
            )
            await ftp.start()
        except (FtpBindError, FtpSettingsError) as err:
            reason = str(getattr(err, "reason", "settings"))
            LOGGER.warning(
                "FTP uploads are off: the server cannot start (%s); "
                "phones are still served over TFTP",
                err,
            )
            self.ftp_error = reason
            async_report_ftp_issue(
                self.hass, self.entry, self.server_config.ftp_port, reason
            )
            return
        self.ftp_error = None
        self.ftp = ftp
        async_clear_ftp_issue(self.hass, self.entry)

    async def async_stop(self) -> None:
        """Stop servers and timers and write the observed state; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self._unsub_tick is not None:
            self._unsub_tick()
            self._unsub_tick = None
        if self.ftp is not None:
            await self.ftp.stop()
            self.ftp = None
        if self.tftp is not None:
            await self.tftp.stop()
            self.tftp = None
        await self._store.async_save(self._data_to_save())
        self._notify()

    async def async_stop_on_event(self, _event: Event) -> None:
        """Stop when Home Assistant stops (entries are not unloaded then)."""
        await self.async_stop()

    # State read by entities -----------------------------------------------------

    @property
    def tftp_running(self) -> bool:
        """Return whether the TFTP server is listening."""
        return self.tftp is not None

    @property
    def ftp_running(self) -> bool:
        """Return whether the FTP server is listening."""
        return self.ftp is not None

    @property
    def phones_seen(self) -> int:
        """Return how many distinct phones asked for files."""
        return len(self.tracker.observations())

    def observation(self, mac: str) -> PhoneObservation | None:
        """Return what the tracker saw of a phone, if anything."""
        return self.tracker.observation(mac)

    def config_up_to_date(self, mac: str) -> bool | None:
        """Return whether a phone fetched the current version of its files.

        Every generated file the phone fetched before must match the current
        digest, and the phone must have fetched its main config file at all.
        ``None`` (unknown) when the phone is not configured or was never seen.
        """
        phone = self.phones.get(mac)
        observation = self.tracker.observation(mac)
        if phone is None or observation is None:
            return None
        fetched = {name.lower(): digest for name, digest in observation.fetched.items()}
        if phone.main_file.lower() not in fetched:
            return False
        current = {name.lower(): file.digest for name, file in self.files.items()}
        return all(
            current[name] == digest
            for name, digest in fetched.items()
            if name in current and name not in PER_PHONE_FILES
        )

    # Configuration ---------------------------------------------------------------

    @callback
    def regenerate(self) -> None:
        """Render every file from the current settings and serve it at once."""
        self.files = render_files(
            self.server_config.settings,
            [phone.config for phone in self.phones.values()],
            images=self.images,
            syncs=self.syncs,
            service_urls=(
                self.phone_services.service_urls(self.phones)
                if self.phone_services is not None
                else None
            ),
        )
        self.resolver.set_generated(self.files)
        self._notify()

    @callback
    def async_apply_entry(self) -> bool:
        """Apply changed subentries or options in place.

        Returns ``False`` when the connection settings changed, so the entry
        must be reloaded (servers rebound) instead.
        """
        new_config = ServerConfig.from_entry(self.entry.data, self.entry.options)
        if not new_config.same_connection(self.server_config):
            return False
        self.server_config = new_config
        old = self.phones
        self.phones = phones_from_entry(self.entry)
        self.regenerate()
        for mac, phone in self.phones.items():
            if mac not in old or old[mac].subentry_id != phone.subentry_id:
                # After the current flow step: the discovery flow that added
                # this phone must finish on its own.
                self.hass.loop.call_soon(self._abort_discovery, mac)
                for listener in list(self._phone_listeners):
                    listener(phone.subentry_id, phone)
        return True

    @callback
    def _abort_discovery(self, mac: str) -> None:
        """Drop the offer to add a phone the user has just added by hand."""
        flows = self.hass.config_entries.flow.async_progress_by_handler(
            DOMAIN, match_context={"unique_id": mac}
        )
        for flow in flows:
            self.hass.config_entries.flow.async_abort(flow["flow_id"])

    @callback
    def set_image_override(self, mac: str, image: str | None) -> None:
        """Tell one phone to run another image (a firmware hop), or stop that."""
        if image is None:
            self.images.pop(mac, None)
        else:
            self.images[mac] = image
        self.regenerate()

    @callback
    def set_sync(self, mac: str, value: str) -> None:
        """Change one phone's ``sync`` value so a check-sync makes it reboot."""
        self.syncs[mac] = value
        self.regenerate()

    # Subscriptions ---------------------------------------------------------------

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` whenever any state changes; return the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def async_add_event_listener(
        self, mac: str, listener: TrackerEventListener
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with each tracker event of one phone."""
        listeners = self._event_listeners.setdefault(mac, [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    @callback
    def async_add_phone_listener(self, listener: PhoneAddedListener) -> CALLBACK_TYPE:
        """Call ``listener`` for each phone subentry added at runtime."""
        self._phone_listeners.append(listener)
        return lambda: self._phone_listeners.remove(listener)

    @callback
    def async_add_ftp_listener(
        self, listener: Callable[[FtpEvent], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with each FTP event (uploads, failed logins)."""
        self._ftp_listeners.append(listener)
        return lambda: self._ftp_listeners.remove(listener)

    @callback
    def async_add_transfer_listener(
        self, listener: Callable[[TransferEvent], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with each TFTP transfer event, after the tracker."""
        self._transfer_listeners.append(listener)
        return lambda: self._transfer_listeners.remove(listener)

    # Engine events ---------------------------------------------------------------

    @callback
    def _handle_transfer(self, event: TransferEvent) -> None:
        """Count a transfer and feed it to the tracker."""
        if event.kind == "completed":
            self.counters.transfers += 1
        elif event.kind == "failed":
            self.counters.errors += 1
        self._process(self.tracker.handle(event))
        for listener in list(self._transfer_listeners):
            listener(event)

    @callback
    def _handle_ftp(self, event: FtpEvent) -> None:
        """Count uploads and pass FTP events on."""
        if event.kind == "upload_completed":
            self.counters.uploads += 1
        for listener in list(self._ftp_listeners):
            listener(event)
        self._changed()

    @callback
    def _tick(self, _now: Any) -> None:
        """Apply the tracker's time-based rules."""
        self._process(self.tracker.tick(time.time()))

    @callback
    def _process(self, events: list[TrackerEvent]) -> None:
        """Dispatch tracker events to entities and start discovery flows."""
        for event in events:
            if event.kind == "discovered":
                self._discover(event)
            for listener in list(self._event_listeners.get(event.mac, ())):
                listener(event)
        self._changed()

    @callback
    def _discover(self, event: TrackerEvent) -> None:
        """Offer an unknown phone to the user, at most once per cooldown."""
        if not self.server_config.discovery:
            return
        now = time.monotonic()
        last = self._discovered_at.get(event.mac)
        if last is not None and now - last < DISCOVERY_COOLDOWN:
            return
        self._discovered_at[event.mac] = now
        observation = event.observation
        discovery_flow.async_create_flow(
            self.hass,
            DOMAIN,
            {"source": SOURCE_INTEGRATION_DISCOVERY},
            {
                "mac": event.mac,
                "ip": observation.ip,
                "model": observation.model,
                "file": event.file,
                "entry_id": self.entry.entry_id,
            },
        )

    def _is_known(self, mac: str) -> bool:
        """Tell the tracker whether a MAC is configured."""
        return mac in self.phones

    # Persistence -------------------------------------------------------------------

    async def _async_restore(self) -> None:
        """Load what was observed before the last restart."""
        data = await self._store.async_load()
        if not isinstance(data, dict):
            return
        tracker_data = data.get("tracker")
        if isinstance(tracker_data, dict):
            self.tracker.restore(tracker_data)
        counters = data.get("counters")
        if isinstance(counters, dict):
            self.counters = ServerCounters.from_dict(counters)

    @callback
    def _data_to_save(self) -> dict[str, Any]:
        """Return the state to persist (cheap: runs on the event loop)."""
        return {
            "tracker": self.tracker.as_dict(),
            "counters": self.counters.as_dict(),
        }

    @callback
    def _changed(self) -> None:
        """Schedule a save and update entities."""
        if not self._stopped:
            self._store.async_delay_save(self._data_to_save, SAVE_DELAY)
        self._notify()

    @callback
    def _notify(self) -> None:
        """Update every subscribed entity."""
        for listener in list(self._listeners):
            listener()
