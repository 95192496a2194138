"""Is the phone up? A bounded, staggered SIP OPTIONS "qualify" of every phone.

Asterisk's ``qualify`` pings each peer with OPTIONS; so does this, with the
engine's :func:`provisioning.sip.qualify.qualify`. Bounded by design
(issue #16): one timer slot at a time polls ONE phone, the slots are spread
evenly over the interval (60 s by default: with 300 phones one OPTIONS every
0.2 s, never a burst), at most ``concurrency`` answers are awaited at once
(a slot finding them all busy is skipped, not queued), each waits at most
``timeout`` seconds, and a phone whose address is unknown gets nothing. A
result refreshes that phone's entities only, and the round trip shown only
changes when it moved meaningfully, so a steady phone writes no state.

The answer's ``Server`` header names the model and version
(:mod:`provisioning.sip.identity`); :mod:`.running_image` uses it, and reads
the phone's device-information page when a phone comes online.
"""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass, replace
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.event import async_call_later

from .const import DOMAIN, LOGGER
from .provisioning.errors import ProvisioningError
from .provisioning.sip.identity import PhoneIdentity
from .provisioning.sip.qualify import QualifyResult, qualify
from .provisioning.sip.restart import RestartCapability, can_restart_remotely

if TYPE_CHECKING:
    import asyncio

    from .hub import CiscoPhoneHub

QUALIFY_INTERVAL: Final = 60.0  # seconds between two OPTIONS to one phone
QUALIFY_TIMEOUT: Final = 2.0  # per phone: no answer by then means offline
MAX_CONCURRENT: Final = 4  # OPTIONS awaiting an answer at once
MIN_SLOT: Final = 0.05  # never faster than 20 OPTIONS a second
FIRST_SLOT: Final = 5.0  # the first poll after start, once TFTP is up
# The round trip shown changes only by this factor or this many ms.
RTT_FACTOR: Final = 1.5
RTT_MIN_CHANGE_MS: Final = 20
ANY_ADDRESS: Final = frozenset({"", "0.0.0.0", "::"})


@dataclass(frozen=True, slots=True)
class Reachability:
    """What the last OPTIONS told about a phone."""

    online: bool
    rtt_ms: int | None = None  # the round trip SHOWN (moves only meaningfully)
    identity: PhoneIdentity | None = None
    reason: str = ""
    checked_at: float = 0.0


def _meaningful(old: int | None, new: int | None) -> bool:
    """Tell whether a round trip moved enough to be worth a state write."""
    if old is None or new is None:
        return old != new
    low, high = sorted((old, new))
    return high - low >= RTT_MIN_CHANGE_MS and high >= low * RTT_FACTOR


class OnlinePoller:
    """Poll one phone per slot; keep each phone's last reachability."""

    def __init__(
        self,
        hass: HomeAssistant,
        hub: CiscoPhoneHub,
        *,
        interval: float = QUALIFY_INTERVAL,
        timeout: float = QUALIFY_TIMEOUT,
        concurrency: int = MAX_CONCURRENT,
    ) -> None:
        self.hass = hass
        self.hub = hub
        self.interval = interval
        self.timeout = timeout
        self.concurrency = concurrency
        self._status: dict[str, Reachability] = {}
        self._order: list[str] = []
        self._next = 0
        self._timer: CALLBACK_TYPE | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopped = True

    # Lifecycle -----------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Start the staggered schedule (the first slot a little later)."""
        self._stopped = False
        self._schedule(FIRST_SLOT)

    @callback
    def async_stop(self) -> None:
        """Cancel the timer and every OPTIONS still awaiting its answer."""
        self._stopped = True
        if self._timer is not None:
            self._timer()
            self._timer = None
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()

    def _schedule(self, delay: float) -> None:
        self._timer = async_call_later(
            self.hass, delay, HassJob(self._slot, cancel_on_shutdown=True)
        )

    @callback
    def _slot(self, _now: Any) -> None:
        """Poll the next phone with a known address; schedule the next slot."""
        self._timer = None
        if self._stopped:
            return
        phones = self.hub.phones
        for mac in self._status.keys() - phones.keys():
            del self._status[mac]  # removed phones: nothing kept
            self.hub.running.forget(mac)
        if self._next >= len(self._order):
            self._order, self._next = sorted(phones), 0
        if self._order:
            mac = self._order[self._next]
            self._next += 1
            if mac in phones and len(self._tasks) < self.concurrency:
                self.track(self.async_check(mac), f"{DOMAIN} qualify {mac}")
        self._schedule(max(MIN_SLOT, self.interval / max(1, len(phones))))

    def track(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        """Run ``coro`` as an owned background task (cancelled on stop)."""
        task = self.hub.entry.async_create_background_task(self.hass, coro, name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # Polling -----------------------------------------------------------------------

    def address(self, mac: str) -> tuple[str, int] | None:
        """Return the phone's SIP address, or None while its IP is unknown."""
        phone = self.hub.phones.get(mac)
        observation = self.hub.observation(mac)
        if phone is None or observation is None or not observation.ip:
            return None
        settings = self.hub.server_config.settings.for_phone(phone.config)
        return observation.ip, settings.voip_control_port

    async def async_check(self, mac: str) -> Reachability | None:
        """Send one OPTIONS now; record and return the answer (None: no IP)."""
        address = self.address(mac)
        if address is None:
            return None
        host = self.hub.server_config.host
        try:
            result = await qualify(
                address[0],
                port=address[1],
                # From the address phones know us by, when HA is bound to one.
                local_host=None if host in ANY_ADDRESS else host,
                timeout=self.timeout,
            )
        except (ProvisioningError, OSError) as err:
            result = QualifyResult(False, None, str(err))
        return self._record(mac, result)

    @callback
    def _record(self, mac: str, result: QualifyResult) -> Reachability:
        old = self._status.get(mac)
        rtt = round(result.rtt * 1000) if result.reachable and result.rtt else None
        steady = old is not None and old.online and result.reachable
        if steady and old is not None and not _meaningful(old.rtt_ms, rtt):
            rtt = old.rtt_ms
        status = Reachability(
            result.reachable,
            rtt,
            result.identity or (old.identity if old is not None else None),
            result.reason,
            time.time(),
        )
        self._status[mac] = status
        if old is None or replace(old, checked_at=0, reason="") != replace(
            status, checked_at=0, reason=""
        ):
            LOGGER.debug("Phone %s online: %s (%s)", mac, status.online, result.reason)
            if status.online and (old is None or not old.online):
                self.hub.running.phone_came_online(mac)
            self.hub.running.identity_changed(mac)
            self.hub.async_refresh_phone(mac)
        return status

    # Reading -----------------------------------------------------------------------

    def status(self, mac: str) -> Reachability | None:
        """Return the phone's last reachability (None: not polled yet)."""
        return self._status.get(mac)

    def is_online(self, mac: str) -> bool | None:
        """Return whether the phone answered its last OPTIONS (None: unknown)."""
        status = self._status.get(mac)
        return status.online if status is not None else None

    def identity(self, mac: str) -> PhoneIdentity | None:
        """Return who the phone said it is in its last answer."""
        status = self._status.get(mac)
        return status.identity if status is not None else None

    def restart_capability(self, mac: str) -> RestartCapability:
        """Tell whether (and how) the phone can be restarted from here."""
        phone = self.hub.phones.get(mac)
        return can_restart_remotely(
            phone.config.model if phone is not None else None,
            self.hub.running.best(mac),
        )

    # Resync feedback -------------------------------------------------------------

    async def async_check_resync(self, mac: str) -> None:
        """Raise a translated error at once when a resync cannot work.

        Refused up front: a phone that cannot be restarted remotely (79x1
        class without its registration's Call-ID, SCCP), a phone whose IP is
        unknown, and a phone that does not answer an OPTIONS now (within
        ``timeout``), instead of a warning after the 60 s resync timeout.
        """
        title = self.hub.title(mac)
        capability = self.restart_capability(mac)
        if not capability.possible:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="restart_not_possible",
                translation_placeholders={
                    "phone": title,
                    "reason": capability.reason,
                },
            )
        status = self._status.get(mac)
        if status is None or not status.online:
            status = await self.async_check(mac)
        if status is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_ip_address",
                translation_placeholders={"phone": title},
            )
        if not status.online:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="phone_not_answering",
                translation_placeholders={"phone": title, "reason": status.reason},
            )
