"""Per-phone state machine fed by TFTP transfer events (reference §7.1, §6).

A Cisco 79xx tells us what it is doing only through the files it asks for.
``PhoneTracker`` turns the stream of ``TransferEvent``s into one
``PhoneObservation`` per MAC and a list of ``TrackerEvent``s for the hub.
It is pure and deterministic: no I/O, no asyncio, time comes from the events
(and from ``tick(now)`` for the rules that fire on silence).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
import logging
import math
import time
from typing import Any, Literal

from ..tftp.events import TransferEvent
from .files import IMAGE_KINDS, FileKind, FileRequest, classify_request
from .model import (
    PhoneObservation,
    ProvisioningState,
    SavedStateError,
    TrackerEvent,
    TrackerEventKind,
    TrackerTimings,
)

__all__ = [
    "PhoneObservation",
    "PhoneTracker",
    "ProvisioningState",
    "TrackerEvent",
    "TrackerTimings",
]

_LOGGER = logging.getLogger(__name__)

STORE_VERSION = 1
MAX_PHONES = 512  # unknown MACs beyond this are forgotten, oldest first
MAX_PENDING_IPS = 256
MAX_PENDING_PER_IP = 32
MAX_OPEN_REQUESTS = 64

State = ProvisioningState
# How far into a boot a file is; while a phone is stuck in a loop only a
# request further along than the looping file counts as progress.
_RANK = {
    FileKind.TRUST_LIST: 0,
    FileKind.SEP_CONFIG: 0,
    FileKind.SIP_CONFIG: 0,
    FileKind.MGCP_CONFIG: 0,
    FileKind.XML_DEFAULT: 0,
    FileKind.OTHER: 0,
    FileKind.OS79XX: 1,
    FileKind.IMAGE_MANIFEST: 1,
    FileKind.LOADER_IMAGE: 2,
    FileKind.APP_IMAGE: 2,
    FileKind.SIP_DEFAULT: 3,
    FileKind.SYNC_INFO: 3,
    FileKind.RING_LIST: 4,
    FileKind.DIAL_TEMPLATE: 4,
    FileKind.LOCALE: 4,
}


_APP_REASONS = {
    State.BOOTING: "app start",
    State.RUNNING_SCCP: "SCCP firmware running",
    State.CONFIGURED: "configuration accepted",
}


@dataclass(slots=True)
class _Boot:
    """Evidence gathered since the phone's last (re)boot."""

    phase: Literal["idle", "hunt", "app"] = "idle"
    sep_seen: bool = False
    manifest_seen: bool = False
    app_started: bool = False
    config_served: bool = False  # SIP<MAC>.cnf served to the SIP application
    sep_served: bool = False  # SEP<MAC>.cnf.xml served (all an XML phone needs)
    image_done: bool = False  # a loader or application image was written
    discovered: bool = False


@dataclass(slots=True)
class _Phone:
    """Mutable bookkeeping behind one immutable observation."""

    obs: PhoneObservation
    boot: _Boot = field(default_factory=_Boot)
    last_request_at: float | None = None
    last_key: str | None = None
    same_count: int = 0
    stuck_rank: int | None = None
    candidate: str | None = None  # image of the last .loads (or old .bin)
    candidate_failed: bool = False
    awaiting_since: float | None = None  # SIP<MAC>.cnf served, no RINGLIST yet
    loader_done_at: float | None = None
    app_fetches: dict[str, int] = field(default_factory=dict)
    sync_expected_at: float | None = None
    sync_started_at: float | None = None
    state_before_sync: ProvisioningState | None = None
    open_requests: set[tuple[int, str]] = field(default_factory=set)


class PhoneTracker:
    """Observed provisioning state of every phone that talks to our TFTP server.

    ``is_known(mac)`` says whether a MAC is configured; requests from other
    MACs raise one ``discovered`` event per boot. ``clock`` is only used when
    the caller gives no time (``expect_sync``) or an event has a bad one.
    """

    def __init__(
        self,
        is_known: Callable[[str], bool],
        clock: Callable[[], float] = time.time,
        *,
        timings: TrackerTimings | None = None,
    ) -> None:
        self._is_known = is_known
        self._clock = clock
        self._timings = timings or TrackerTimings()
        self._phones: dict[str, _Phone] = {}
        self._ip_to_mac: dict[str, str] = {}
        self._pending: dict[str, list[TransferEvent]] = {}
        self._out: list[TrackerEvent] = []

    # -- queries ---------------------------------------------------------------

    def observation(self, mac: str) -> PhoneObservation | None:
        """Return what is known about ``mac`` (12 hex digits, any case)."""
        phone = self._phones.get(mac.upper())
        return phone.obs if phone else None

    def observations(self) -> dict[str, PhoneObservation]:
        """Return every tracked phone's observation, keyed by MAC."""
        return {mac: phone.obs for mac, phone in self._phones.items()}

    def mac_for_ip(self, ip: str) -> str | None:
        """Return the MAC last seen at ``ip`` (requests without MAC need it)."""
        return self._ip_to_mac.get(ip)

    # -- inputs ----------------------------------------------------------------

    def handle(self, event: TransferEvent) -> list[TrackerEvent]:
        """Fold one TFTP transfer event into the phones' state."""
        events: list[TrackerEvent] = []
        if event.outcome == "access_violation":
            return events  # a hostile or malformed name, not a phone booting
        ip = event.client[0]
        request = classify_request(event.requested_name)
        mac = request.mac or self._ip_to_mac.get(ip)
        if mac is None:
            self._remember_pending(ip, event)
            return events
        if request.mac is not None and self._ip_to_mac.get(ip) != mac:
            self._bind(ip, mac)
            for earlier in self._take_pending(ip, self._time_of(event)):
                self._apply(mac, earlier, classify_request(earlier.requested_name))
                events += self._drain()
        self._apply(mac, event, request)
        events += self._drain()
        return events

    def tick(self, now: float) -> list[TrackerEvent]:
        """Apply the rules that fire on silence; call it every few seconds."""
        timings = self._timings
        for phone in self._phones.values():
            state = phone.obs.state
            if (
                phone.awaiting_since is not None
                and state is State.BOOTING
                and now - phone.awaiting_since >= timings.config_accept_timeout
            ):
                self._reject_config(phone, None)
            if (
                phone.loader_done_at is not None
                and now - phone.loader_done_at >= timings.loader_app_timeout
            ):
                phone.loader_done_at = None
                self._error(
                    phone,
                    None,
                    "the loader was installed but no application image was "
                    "requested afterwards; the phone may show 'Protocol "
                    "Application Invalid' (is the TFTP address still set?)",
                )
            if (
                phone.sync_expected_at is not None
                and now - phone.sync_expected_at >= timings.sync_timeout
            ):
                phone.sync_expected_at = None
                self._error(
                    phone,
                    None,
                    "no syncinfo.xml request followed the check-sync NOTIFY: "
                    "the phone ignored it, filtered it, or is not idle",
                )
            if (
                state is State.SYNC_CHECK
                and phone.sync_started_at is not None
                and now - phone.sync_started_at >= timings.sync_timeout
            ):
                self._end_sync(phone, "syncinfo.xml", "no reboot after check-sync")
        return self._drain()

    def expect_sync(self, mac: str, now: float | None = None) -> None:
        """Note that a check-sync NOTIFY was sent; a timeout rule watches it."""
        phone = self._phone(mac.upper())
        phone.sync_expected_at = self._clock() if now is None else now

    # -- persistence -----------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """Return the observed state as JSON-safe data (Store payload)."""
        return {
            "version": STORE_VERSION,
            "phones": [phone.obs.as_dict() for phone in self._phones.values()],
        }

    def restore(self, data: Mapping[str, Any]) -> None:
        """Load what ``as_dict`` saved; bad entries are skipped with a warning."""
        if not isinstance(data, Mapping) or data.get("version") != STORE_VERSION:
            _LOGGER.warning("Ignoring saved phone states: unknown format")
            return
        entries = data.get("phones")
        if not isinstance(entries, list):
            _LOGGER.warning("Ignoring saved phone states: 'phones' is not a list")
            return
        for entry in entries:
            try:
                if not isinstance(entry, Mapping):
                    raise SavedStateError("entry is not a mapping")  # noqa: TRY301
                obs = PhoneObservation.from_dict(entry)
            except SavedStateError as err:
                _LOGGER.warning("Skipping a saved phone state: %s", err)
                continue
            self._phones[obs.mac] = _Phone(obs)
            if obs.ip:
                self._bind(obs.ip, obs.mac)

    # -- internals: bookkeeping ------------------------------------------------

    def _drain(self) -> list[TrackerEvent]:
        out, self._out = self._out, []
        return out

    def _emit(
        self,
        kind: TrackerEventKind,
        phone: _Phone,
        file: str | None = None,
        reason: str | None = None,
    ) -> None:
        self._out.append(TrackerEvent(kind, phone.obs.mac, phone.obs, file, reason))

    def _update(self, phone: _Phone, **changes: Any) -> None:
        phone.obs = replace(phone.obs, **changes)

    def _set_state(
        self,
        phone: _Phone,
        state: ProvisioningState,
        file: str | None,
        reason: str,
        *,
        error: str | None = None,
    ) -> None:
        if phone.obs.state is state and phone.obs.error == error:
            return
        changed = phone.obs.state is not state
        self._update(phone, state=state, error=error)
        if changed:
            self._emit("state_changed", phone, file, reason)
        if error is not None:
            self._emit("error", phone, file, error)

    def _error(self, phone: _Phone, file: str | None, reason: str) -> None:
        self._update(phone, error=reason)
        self._emit("error", phone, file, reason)

    def _phone(self, mac: str) -> _Phone:
        phone = self._phones.get(mac)
        if phone is None:
            self._make_room()
            phone = self._phones[mac] = _Phone(PhoneObservation(mac=mac))
        return phone

    def _make_room(self) -> None:
        """Forget the longest-silent unknown MAC when the table is full."""
        if len(self._phones) < MAX_PHONES:
            return
        strangers = [p for p in self._phones.values() if not self._is_known(p.obs.mac)]
        if not strangers:
            return
        oldest = min(strangers, key=lambda p: p.obs.last_seen or 0.0)
        del self._phones[oldest.obs.mac]
        if oldest.obs.ip and self._ip_to_mac.get(oldest.obs.ip) == oldest.obs.mac:
            del self._ip_to_mac[oldest.obs.ip]

    def _bind(self, ip: str, mac: str) -> None:
        """Make ``ip`` belong to ``mac`` only (DHCP may hand it to another)."""
        for other_ip, other_mac in list(self._ip_to_mac.items()):
            if other_mac == mac and other_ip != ip:
                del self._ip_to_mac[other_ip]
        self._ip_to_mac[ip] = mac

    def _time_of(self, event: TransferEvent) -> float:
        stamp = event.timestamp
        if isinstance(stamp, int | float) and math.isfinite(stamp):
            return float(stamp)
        return self._clock()

    def _remember_pending(self, ip: str, event: TransferEvent) -> None:
        """Keep MAC-less requests of an unknown IP until its MAC shows up."""
        queue = self._pending.pop(ip, [])
        queue.append(event)
        self._pending[ip] = queue[-MAX_PENDING_PER_IP:]
        while len(self._pending) > MAX_PENDING_IPS:
            del self._pending[next(iter(self._pending))]

    def _take_pending(self, ip: str, now: float) -> list[TransferEvent]:
        horizon = 2 * self._timings.app_quiet
        return [
            event
            for event in self._pending.pop(ip, [])
            if now - self._time_of(event) <= horizon
        ]

    # -- internals: the rules --------------------------------------------------

    def _apply(self, mac: str, event: TransferEvent, request: FileRequest) -> None:
        phone = self._phone(mac)
        now = self._time_of(event)
        ident = (event.client[1], request.key)
        if event.direction != "read":  # uploads say nothing about a boot
            return
        if event.kind == "request":
            if len(phone.open_requests) >= MAX_OPEN_REQUESTS:
                phone.open_requests.clear()
            phone.open_requests.add(ident)
            self._on_request(phone, request, now, event.client[0])
            return
        if event.kind not in ("completed", "failed"):
            _LOGGER.debug("Ignoring transfer event of kind %r", event.kind)
            return
        if ident in phone.open_requests:
            phone.open_requests.discard(ident)
        else:  # the server reported only the outcome: the request is implied
            self._on_request(phone, request, now, event.client[0])
        if event.outcome in (None, "ok") and event.kind == "completed":
            self._on_completed(phone, request, event, now)
        else:
            self._on_failed(phone, request, event)

    def _on_request(
        self, phone: _Phone, request: FileRequest, now: float, ip: str
    ) -> None:
        quiet = (
            math.inf if phone.last_request_at is None else now - phone.last_request_at
        )
        phone.last_request_at = now
        if request.key == phone.last_key:
            phone.same_count += 1
        else:
            phone.last_key, phone.same_count = request.key, 1
        self._update(
            phone, ip=ip, last_seen=now, model=request.model or phone.obs.model
        )
        rank = _RANK[request.kind]
        if phone.obs.state is State.STUCK_IN_LOOP:
            if phone.stuck_rank is not None and rank <= phone.stuck_rank:
                return
            phone.stuck_rank = None
        elif (
            phone.same_count >= self._timings.loop_threshold
            and request.kind is not FileKind.SIP_CONFIG
        ):
            phone.stuck_rank = rank
            count = phone.same_count
            self._set_state(
                phone,
                State.STUCK_IN_LOOP,
                request.name,
                "same file requested again and again",
                error=f"{request.name} requested {count} times in a row without "
                "progress: the phone does not accept what it gets (reference §6)",
            )
            return
        if self._starts_boot(phone.boot, request.kind, quiet):
            self._new_boot(phone, request, now)
        if (
            request.mac
            and not phone.boot.discovered
            and not self._is_known(request.mac)
        ):
            phone.boot.discovered = True
            self._emit("discovered", phone, request.name, "unknown MAC asked for files")
        self._request_rules(phone, request, now)

    def _starts_boot(self, boot: _Boot, kind: FileKind, quiet: float) -> bool:
        if kind in (FileKind.TRUST_LIST, FileKind.OS79XX):
            # The first request of a boot: a repeat within one boot is only
            # ever a retransmit or a hunt loop, never after the image check.
            past_hunt = boot.manifest_seen or boot.app_started or boot.image_done
            return past_hunt or quiet >= self._timings.hunt_quiet
        if kind in (FileKind.SEP_CONFIG, FileKind.SIP_CONFIG, FileKind.SIP_DEFAULT):
            return quiet >= self._timings.app_quiet
        return False

    def _new_boot(self, phone: _Phone, request: FileRequest, now: float) -> None:
        hunt = request.kind in (FileKind.TRUST_LIST, FileKind.SEP_CONFIG)
        phone.boot = _Boot(phase="hunt" if hunt else "app")
        phone.awaiting_since = None
        phone.sync_started_at = phone.state_before_sync = None
        self._update(phone, last_boot=now, error=None)
        self._set_state(phone, State.BOOTING, request.name, "the phone (re)started")
        self._emit("booted", phone, request.name, "boot sequence started")

    def _request_rules(self, phone: _Phone, request: FileRequest, now: float) -> None:
        boot = phone.boot
        match request.kind:
            case FileKind.SEP_CONFIG:
                boot.sep_seen = True
            case FileKind.SIP_CONFIG if boot.phase != "hunt" or boot.manifest_seen:
                boot.phase = "app"
                self._app_started(phone, request)
                if (
                    phone.awaiting_since is not None
                    and now - phone.awaiting_since >= self._timings.rerequest_min
                ):
                    self._reject_config(phone, request.name)
            case FileKind.SIP_DEFAULT:
                boot.phase = "app"
                self._app_started(phone, request)
            case FileKind.IMAGE_MANIFEST:
                boot.manifest_seen = True
                phone.candidate, phone.candidate_failed = request.image, False
                self._set_state(
                    phone, State.CHECKING_IMAGE, request.name, "image check"
                )
            case FileKind.LOADER_IMAGE:
                self._set_state(
                    phone, State.DOWNLOADING_LOADER, request.name, "loader download"
                )
            case FileKind.APP_IMAGE:
                phone.loader_done_at = None  # the loader did its job
                if not boot.manifest_seen:  # old single-file image (.bin)
                    phone.candidate, phone.candidate_failed = request.image, False
                self._set_state(
                    phone,
                    State.DOWNLOADING_APPLICATION,
                    request.name,
                    "application download",
                )
            case FileKind.RING_LIST | FileKind.DIAL_TEMPLATE:
                self._after_config(phone, request)
            case FileKind.SYNC_INFO:
                phone.sync_expected_at = None
                if phone.obs.state is not State.SYNC_CHECK:
                    phone.state_before_sync = phone.obs.state
                    phone.sync_started_at = now
                    self._set_state(
                        phone, State.SYNC_CHECK, request.name, "check-sync answered"
                    )
                self._emit("sync_requested", phone, request.name, "syncinfo.xml")
            case FileKind.LOCALE if boot.sep_seen and not boot.app_started:
                self._app_started(phone, request, state=State.RUNNING_SCCP)
            case _:
                pass

    def _app_started(
        self,
        phone: _Phone,
        request: FileRequest,
        *,
        state: ProvisioningState = State.BOOTING,
    ) -> None:
        """Mark the flash application as running: its image is the last checked."""
        if phone.boot.app_started:
            return
        phone.boot.app_started = True
        phone.loader_done_at = None
        phone.app_fetches.clear()
        if phone.candidate and not phone.candidate_failed:
            self._update(phone, firmware=phone.candidate)
        self._set_state(phone, state, request.name, _APP_REASONS[state])

    def _after_config(self, phone: _Phone, request: FileRequest) -> None:
        if phone.obs.state is State.SYNC_CHECK:
            if request.kind is FileKind.DIAL_TEMPLATE:
                self._end_sync(phone, request.name, "check-sync done, no reboot")
            return
        boot = phone.boot
        if not boot.config_served:
            # 79x1/79x2/79x5/797x: SEP<MAC>.cnf.xml is the whole configuration;
            # the dial plan or ring list right after it means it was parsed.
            if not boot.sep_served or boot.app_started:
                return
            self._app_started(phone, request, state=State.CONFIGURED)
            self._emit("configured", phone, request.name, "configuration accepted")
            return
        phone.awaiting_since = None
        if phone.obs.state is not State.CONFIGURED:
            self._set_state(
                phone, State.CONFIGURED, request.name, "configuration accepted"
            )
            self._emit("configured", phone, request.name, "configuration accepted")

    def _end_sync(self, phone: _Phone, file: str, reason: str) -> None:
        previous = phone.state_before_sync or State.CONFIGURED
        phone.sync_started_at = phone.state_before_sync = None
        self._set_state(phone, previous, file, reason, error=phone.obs.error)

    def _reject_config(self, phone: _Phone, file: str | None) -> None:
        name = file or f"SIP{phone.obs.mac}.cnf"
        self._set_state(
            phone,
            State.CONFIG_REJECTED,
            name,
            "configuration not accepted",
            error=f"{name} was served but RINGLIST.DAT and the dial plan were "
            "never requested: the phone did not accept its configuration",
        )

    def _on_completed(
        self,
        phone: _Phone,
        request: FileRequest,
        event: TransferEvent,
        now: float,
    ) -> None:
        if event.source == "generated" and event.digest:
            name = event.resolved_name or request.name
            self._update(phone, fetched={**phone.obs.fetched, name: event.digest})
        match request.kind:
            case FileKind.SIP_CONFIG:
                self._update(phone, last_config_fetch=now)
                if phone.boot.phase == "app":
                    phone.boot.config_served = True
                    phone.awaiting_since = now
            case FileKind.SEP_CONFIG:
                phone.boot.sep_served = True
                self._update(phone, last_config_fetch=now)
            case FileKind.LOADER_IMAGE:
                phone.boot.image_done = True
                phone.loader_done_at = now
            case FileKind.APP_IMAGE if request.image:
                phone.boot.image_done = True
                count = phone.app_fetches.get(request.image, 0) + 1
                phone.app_fetches[request.image] = count
                if count >= 2:
                    phone.candidate_failed = True
                    self._error(
                        phone,
                        request.name,
                        f"{request.name} was downloaded {count} times without the "
                        "phone starting it; the unit may be faulty or reject the "
                        "image (it then boots the old application)",
                    )
            case _:
                pass

    def _on_failed(
        self, phone: _Phone, request: FileRequest, event: TransferEvent
    ) -> None:
        outcome = event.outcome or "failed"
        if request.kind in IMAGE_KINDS:
            if outcome == "not_found":
                phone.candidate_failed = True
                self._set_state(
                    phone,
                    State.FIRMWARE_MISSING,
                    request.name,
                    "firmware file missing",
                    error=f"{request.name} is not on the server: the phone keeps "
                    "its old image",
                )
            else:
                detail = f": {event.error}" if event.error else ""
                self._error(
                    phone,
                    request.name,
                    f"transfer of {request.name} failed ({outcome}{detail})",
                )
        elif (
            request.kind is FileKind.SIP_CONFIG
            and phone.boot.phase == "app"
            and outcome == "not_found"
        ):
            phone.boot.config_served = False
            phone.awaiting_since = None
            self._set_state(
                phone,
                State.UNPROVISIONED,
                request.name,
                "the phone asked for a configuration we do not have",
            )
