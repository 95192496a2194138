"""ProvisioningServer: the engine in one object, one typed update per transfer.

Before this module, one TFTP transfer crossed into Home Assistant several
times (hub, tracker, listeners, firmware manager, each classifying the file
again). Now the engine owns the resolver, the TFTP and FTP servers, the phone
tracker and the server counters; every finished (or requested) transfer, FTP
event and timer tick is folded here once and leaves as ONE ``EngineUpdate``
saying which phones it is about. A consumer (the Home Assistant hub, or the
command line) subscribes once and routes each update to that phone only, so
the cost of a transfer does not grow with the number of phones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
import time
from typing import Any

from .files.render import GeneratedFile
from .ftp.events import FtpEvent, FtpEventKind
from .ftp.server import FtpServer
from .ftp.settings import FtpSettings
from .tftp import (
    ContentResolver,
    TftpServer,
    TftpSettings,
    TransferEvent,
    TransferOutcome,
)
from .tracking.files import is_optional_probe
from .tracking.tracker import PhoneTracker, TrackerEvent

__all__ = ["EngineUpdate", "ProvisioningServer", "ServerCounters", "UpdateListener"]


@dataclass(slots=True)
class ServerCounters:
    """Counters of the whole server; persisted so restarts do not reset them."""

    transfers: int = 0
    errors: int = 0
    uploads: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the JSON form stored by the host."""
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
            if isinstance(value := data.get(key), int)
            and not isinstance(value, bool)
            and value >= 0
        }
        return cls(**values)


@dataclass(frozen=True, slots=True)
class EngineUpdate:
    """What one input (transfer, FTP event, tick) changed, and for whom.

    ``macs`` names every phone whose observation may have changed: the
    consumer refreshes those phones and nobody else. ``counters_changed``
    says the server-wide counters moved (consumers coalesce those writes).
    """

    transfer: TransferEvent | None = None
    ftp: FtpEvent | None = None
    mac: str | None = None
    events: tuple[TrackerEvent, ...] = ()
    macs: frozenset[str] = field(default_factory=frozenset)
    counters_changed: bool = False
    phone_seen: bool = False

    def events_for(self, mac: str) -> tuple[TrackerEvent, ...]:
        """Return the tracker events of one phone, in order."""
        return tuple(event for event in self.events if event.mac == mac)


type UpdateListener = Callable[[EngineUpdate], None]


class ProvisioningServer:
    """Own the resolver, TFTP, FTP, tracker and counters of one server.

    ``is_known(mac)`` says whether a MAC is configured (unknown ones are
    offered as discoveries). Start TFTP and FTP separately: TFTP is required
    (its ``OSError`` propagates), FTP is optional and the host decides how to
    report and retry it.
    """

    def __init__(
        self,
        root: Path,
        *,
        is_known: Callable[[str], bool],
        host: str,
        tftp_port: int,
        tftp_settings: TftpSettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = root
        self.host = host
        self.tftp_port = tftp_port
        self.resolver = ContentResolver(root)
        self.tracker = PhoneTracker(is_known, clock)
        self._is_known = is_known
        self.counters = ServerCounters()
        self.tftp: TftpServer | None = None
        self.ftp: FtpServer | None = None
        self._tftp_settings = tftp_settings or TftpSettings()
        self._listener: UpdateListener | None = None
        self._seen = 0

    # Subscription ---------------------------------------------------------------

    def subscribe(self, listener: UpdateListener) -> Callable[[], None]:
        """Make ``listener`` the one receiver of updates; return the remover."""
        if self._listener is not None:
            raise RuntimeError("the provisioning server already has a subscriber")
        self._listener = listener

        def remove() -> None:
            self._listener = None

        return remove

    def _emit(self, update: EngineUpdate) -> EngineUpdate:
        if self._listener is not None:
            self._listener(update)
        return update

    # Lifecycle ---------------------------------------------------------------------

    async def start_tftp(self) -> None:
        """Bind and start TFTP; raises ``OSError`` (with ``errno``) on failure."""
        tftp = TftpServer(
            self.resolver,
            host=self.host,
            port=self.tftp_port,
            settings=self._tftp_settings,
            on_event=self._on_tftp_event,
            is_known_client=self.is_known_client,
        )
        await tftp.start()
        self.tftp = tftp

    async def start_ftp(
        self, settings: FtpSettings, *, storage_dir: Path | None = None
    ) -> None:
        """Start FTP in its owned thread; raises ``FtpBindError`` on failure."""
        if self.ftp is not None:
            return
        ftp = FtpServer(
            self.root, settings, on_event=self._on_ftp_event, storage_dir=storage_dir
        )
        await ftp.start()
        self.ftp = ftp

    async def stop(self) -> None:
        """Stop FTP (joining its thread) and TFTP; idempotent."""
        ftp, self.ftp = self.ftp, None
        tftp, self.tftp = self.tftp, None
        try:
            if ftp is not None:
                await ftp.stop()
        finally:
            if tftp is not None:
                await tftp.stop()

    def is_known_client(self, ip: str) -> bool:
        """Return whether an address was last seen as a configured phone.

        TFTP keeps a reserve of transfer slots for these, so a flood from
        elsewhere never locks a known phone out.
        """
        mac = self.tracker.mac_for_ip(ip)
        return mac is not None and self._is_known(mac)

    # Content ---------------------------------------------------------------------

    def set_generated(self, files: Mapping[str, GeneratedFile]) -> None:
        """Serve a new set of generated files atomically."""
        self.resolver.set_generated(files)

    def _on_tftp_event(self, event: TransferEvent) -> None:
        self.feed_transfer(event)

    def _on_ftp_event(self, event: FtpEvent) -> None:
        self.feed_ftp(event)

    # Inputs: each returns the ONE update it emitted ---------------------------------

    def feed_transfer(self, event: TransferEvent) -> EngineUpdate:
        """Fold one TFTP transfer event in; the public way to inject one."""
        counted = False
        if event.kind == "completed":
            self.counters.transfers += 1
            counted = True
        elif event.kind == "failed" and not _normal_miss(event):
            self.counters.errors += 1
            counted = True
        events = tuple(self.tracker.handle(event))
        mac = self.tracker.mac_for_ip(event.client[0])
        macs = {ev.mac for ev in events}
        if mac is not None:
            macs.add(mac)
        seen = self.tracker.count()
        phone_seen, self._seen = seen != self._seen, seen
        return self._emit(
            EngineUpdate(
                transfer=event,
                mac=mac,
                events=events,
                macs=frozenset(macs),
                counters_changed=counted or phone_seen,
                phone_seen=phone_seen,
            )
        )

    def feed_ftp(self, event: FtpEvent) -> EngineUpdate:
        """Count an FTP event (uploads) and pass it on."""
        counted = event.kind == FtpEventKind.UPLOAD_COMPLETED
        if counted:
            self.counters.uploads += 1
        return self._emit(EngineUpdate(ftp=event, counters_changed=counted))

    def tick(self, now: float) -> EngineUpdate | None:
        """Apply the tracker's time rules; emit an update only if one fired."""
        events = tuple(self.tracker.tick(now))
        if not events:
            return None
        return self._emit(
            EngineUpdate(events=events, macs=frozenset(ev.mac for ev in events))
        )

    def expect_sync(self, mac: str, now: float | None = None) -> None:
        """Note a check-sync NOTIFY was sent (the tracker times it out)."""
        self.tracker.expect_sync(mac, now)

    def restore(
        self, tracker: Mapping[str, Any] | None, counters: Mapping[str, Any] | None
    ) -> None:
        """Load what the host saved (each part validated by its owner)."""
        if tracker is not None:
            self.tracker.restore(tracker)
        if counters is not None:
            self.counters = ServerCounters.from_dict(counters)
        self._seen = self.tracker.count()


def _normal_miss(event: TransferEvent) -> bool:
    """Return whether a failure is only a phone probing for an optional file."""
    return event.outcome is TransferOutcome.NOT_FOUND and is_optional_probe(
        event.requested_name
    )
