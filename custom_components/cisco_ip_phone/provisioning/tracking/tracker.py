"""Per-phone state machine fed by TFTP transfer events (reference §7.1, §6).

A Cisco 79xx tells us what it is doing only through the files it asks for.
``PhoneTracker`` turns the stream of ``TransferEvent``s into one
``PhoneObservation`` per MAC and a list of ``TrackerEvent``s for the hub.
It is pure and deterministic: no I/O, no asyncio, time comes from the events
(and from ``tick(now)`` for the rules that fire on silence).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import replace
import logging
import math
import time
from typing import Any

from ..tftp.events import TransferEvent
from .boot import APP_REASONS, RANK, Boot, PendingRequests, PhoneBook
from .files import FileKind, FileRequest, classify_request
from .model import (
    PhoneObservation,
    ProvisioningState,
    TrackerEvent,
    TrackerEventKind,
    TrackerTimings,
    saved_observations,
)
from .outcomes import OutcomeRules

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
MAX_OPEN_REQUESTS = 64

State = ProvisioningState


class PhoneTracker(OutcomeRules):
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
        self._phones: dict[str, PhoneBook] = {}
        self._ip_to_mac: dict[str, str] = {}
        self._mac_to_ip: dict[str, str] = {}
        # Unknown MACs, least recently heard first: evicting one is O(1) even
        # when a flood of random MACs keeps the table full (issue #11).
        self._strangers: OrderedDict[str, None] = OrderedDict()
        self._pending = PendingRequests(self._time_of)
        self._out: list[TrackerEvent] = []

    # -- queries ---------------------------------------------------------------

    def observation(self, mac: str) -> PhoneObservation | None:
        """Return what is known about ``mac`` (12 hex digits, any case)."""
        phone = self._phones.get(mac.upper())
        return phone.obs if phone else None

    def observations(self) -> dict[str, PhoneObservation]:
        """Return every tracked phone's observation, keyed by MAC."""
        return {mac: phone.obs for mac, phone in self._phones.items()}

    def count(self) -> int:
        """Return how many phones are tracked, without copying them (per transfer)."""
        return len(self._phones)

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
            self._pending.remember(ip, event)
            return events
        if request.mac is not None and self._ip_to_mac.get(ip) != mac:
            self._bind(ip, mac)
            for earlier in self._pending.take(
                ip, self._time_of(event), 2 * self._timings.app_quiet
            ):
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
        saved = sorted(
            saved_observations(data, STORE_VERSION),
            key=lambda obs: obs.last_seen or 0.0,
        )
        for obs in saved:
            self._phones[obs.mac] = PhoneBook(obs)
            if not self._is_known(obs.mac):
                self._strangers[obs.mac] = None
            if obs.ip:
                self._bind(obs.ip, obs.mac)

    # -- internals: bookkeeping ------------------------------------------------

    def _drain(self) -> list[TrackerEvent]:
        out, self._out = self._out, []
        return out

    def _emit(
        self,
        kind: TrackerEventKind,
        phone: PhoneBook,
        file: str | None = None,
        reason: str | None = None,
    ) -> None:
        self._out.append(TrackerEvent(kind, phone.obs.mac, phone.obs, file, reason))

    def _update(self, phone: PhoneBook, **changes: Any) -> None:
        phone.obs = replace(phone.obs, **changes)

    def _set_state(
        self,
        phone: PhoneBook,
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

    def _error(self, phone: PhoneBook, file: str | None, reason: str) -> None:
        self._update(phone, error=reason)
        self._emit("error", phone, file, reason)

    def _phone(self, mac: str) -> PhoneBook:
        phone = self._phones.get(mac)
        if phone is None:
            if not self._is_known(mac):  # only strangers are ever forgotten
                self._make_room()
                self._strangers[mac] = None
            phone = self._phones[mac] = PhoneBook(PhoneObservation(mac=mac))
        elif mac in self._strangers:
            # Heard again: last to be forgotten. A stranger the user added
            # since stays listed; eviction asks ``is_known`` again first.
            self._strangers.move_to_end(mac)
        return phone

    def _make_room(self) -> None:
        """Forget the longest-silent unknown MAC when the table is full."""
        if len(self._phones) < MAX_PHONES:
            return
        while self._strangers:
            mac, _ = self._strangers.popitem(last=False)
            if mac not in self._phones or self._is_known(mac):
                continue  # gone already, or the user added it meanwhile
            del self._phones[mac]
            ip = self._mac_to_ip.pop(mac, None)
            if ip is not None and self._ip_to_mac.get(ip) == mac:
                del self._ip_to_mac[ip]
            return

    def _bind(self, ip: str, mac: str) -> None:
        """Make ``ip`` belong to ``mac`` only (DHCP may hand it to another)."""
        old_ip = self._mac_to_ip.get(mac)
        if old_ip is not None and old_ip != ip and self._ip_to_mac.get(old_ip) == mac:
            del self._ip_to_mac[old_ip]
        previous = self._ip_to_mac.get(ip)
        if previous is not None and previous != mac:
            self._mac_to_ip.pop(previous, None)
        self._ip_to_mac[ip] = mac
        self._mac_to_ip[mac] = ip

    def _time_of(self, event: TransferEvent) -> float:
        stamp = event.timestamp
        if isinstance(stamp, int | float) and math.isfinite(stamp):
            return float(stamp)
        return self._clock()

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
            if phone.obs.ip != event.client[0]:
                # The same port and file from another address: where the
                # phone is now (``mac_for_ip`` already says so).
                self._update(phone, ip=event.client[0])
        else:  # the server reported only the outcome: the request is implied
            self._on_request(phone, request, now, event.client[0])
        if request.key == phone.last_key and event.outcome != "timeout":
            phone.last_answered = True
        if event.outcome in (None, "ok") and event.kind == "completed":
            self._on_completed(phone, request, event, now)
        else:
            self._on_failed(phone, request, event)

    def _on_request(
        self, phone: PhoneBook, request: FileRequest, now: float, ip: str
    ) -> None:
        quiet = (
            math.inf if phone.last_request_at is None else now - phone.last_request_at
        )
        phone.last_request_at = now
        if request.key != phone.last_key:
            phone.last_key, phone.same_count = request.key, 1
        elif phone.last_answered:
            phone.same_count += 1
        # else: the phone asks again before it got an answer (a slow server,
        # a lost packet): a retry, never evidence of a loop.
        phone.last_answered = False
        self._update(
            phone, ip=ip, last_seen=now, model=request.model or phone.obs.model
        )
        rank = RANK[request.kind]
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

    def _starts_boot(self, boot: Boot, kind: FileKind, quiet: float) -> bool:
        if kind in (FileKind.TRUST_LIST, FileKind.OS79XX):
            # The first request of a boot: a repeat within one boot is only
            # ever a retransmit or a hunt loop, never after the image check.
            past_hunt = boot.manifest_seen or boot.app_started or boot.image_done
            return past_hunt or quiet >= self._timings.hunt_quiet
        if kind in (FileKind.SEP_CONFIG, FileKind.SIP_CONFIG, FileKind.SIP_DEFAULT):
            return quiet >= self._timings.app_quiet
        return False

    def _new_boot(self, phone: PhoneBook, request: FileRequest, now: float) -> None:
        hunt = request.kind in (FileKind.TRUST_LIST, FileKind.SEP_CONFIG)
        phone.boot = Boot(phase="hunt" if hunt else "app")
        phone.awaiting_since = None
        phone.sync_started_at = phone.state_before_sync = None
        self._update(phone, last_boot=now, error=None)
        self._set_state(phone, State.BOOTING, request.name, "the phone (re)started")
        self._emit("booted", phone, request.name, "boot sequence started")

    def _request_rules(
        self, phone: PhoneBook, request: FileRequest, now: float
    ) -> None:
        boot = phone.boot
        match request.kind:
            case FileKind.SEP_CONFIG:
                boot.sep_seen = True
            case FileKind.SIP_CONFIG if boot.phase != "hunt" or boot.manifest_seen:
                boot.phase = "app"
                boot.config_requested = True
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
        phone: PhoneBook,
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
        self._set_state(phone, state, request.name, APP_REASONS[state])

    def _after_config(self, phone: PhoneBook, request: FileRequest) -> None:
        if phone.obs.state is State.SYNC_CHECK:
            if request.kind is FileKind.DIAL_TEMPLATE:
                self._end_sync(phone, request.name, "check-sync done, no reboot")
            return
        boot = phone.boot
        if not boot.config_served and boot.config_requested:
            # SIP<MAC>.cnf is still being recorded as finished (two transfers
            # overlap): the phone already moved on, so it took the config.
            boot.config_followed = True
            return
        if not boot.config_served:
            # 79x1/79x2/79x5/797x: SEP<MAC>.cnf.xml is the whole configuration;
            # the dial plan or ring list right after it means it was parsed.
            if not boot.sep_served or boot.app_started:
                return
            self._app_started(phone, request, state=State.CONFIGURED)
            self._emit("configured", phone, request.name, "configuration accepted")
            return
        self._config_accepted(phone, request.name)

    def _config_accepted(self, phone: PhoneBook, file: str) -> None:
        phone.awaiting_since = None
        if phone.obs.state is not State.CONFIGURED:
            self._set_state(phone, State.CONFIGURED, file, "configuration accepted")
            self._emit("configured", phone, file, "configuration accepted")

    def _end_sync(self, phone: PhoneBook, file: str, reason: str) -> None:
        previous = phone.state_before_sync or State.CONFIGURED
        phone.sync_started_at = phone.state_before_sync = None
        self._set_state(phone, previous, file, reason, error=phone.obs.error)

    def _reject_config(self, phone: PhoneBook, file: str | None) -> None:
        name = file or f"SIP{phone.obs.mac}.cnf"
        self._set_state(
            phone,
            State.CONFIG_REJECTED,
            name,
            "configuration not accepted",
            error=f"{name} was served but RINGLIST.DAT and the dial plan were "
            "never requested: the phone did not accept its configuration",
        )
