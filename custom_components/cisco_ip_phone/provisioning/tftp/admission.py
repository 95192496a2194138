"""Who may start a transfer now: the server's slots, shared fairly.

TFTP has no authentication (phones cannot do any), so a request is judged by
where it comes from and what that address already holds:

* at most ``max_sessions`` transfers in all, of which ``reserved_sessions``
  are kept for addresses the ``is_known_client`` hook vouches for, so known
  phones are served while strangers fill the rest;
* at most ``max_sessions_per_source`` transfers per address, so one burst
  from one host cannot hold every slot;
* at most ``max_unacked_bytes_per_source`` bytes sent to an address's
  transfers that it has not acknowledged yet, beyond which its requests are
  dropped without an answer: a spoofed source (the victim of a reflection)
  never acknowledges, so it is sent a bounded amount.

Requests from loopback are exempt from the per-address limits when
``exempt_loopback`` is set: they can only come from this host.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
import logging

from .net import is_loopback
from .settings import TftpSettings

_LOGGER = logging.getLogger(__name__)

KnownClientHook = Callable[[str], bool]
Address = tuple[str, int]


class Verdict(Enum):
    """What to do with a request."""

    ADMIT = "admit"
    BUSY = "busy"  # every slot a stranger may take is held: error 0
    SOURCE_LIMIT = "source_limit"  # this address holds its share: error 0
    DROP = "drop"  # unacknowledged bytes over budget: no answer at all


class Admission:
    """Track the transfers each source address holds; judge new requests."""

    def __init__(
        self, settings: TftpSettings, is_known_client: KnownClientHook | None
    ) -> None:
        self._settings = settings
        self._known = is_known_client
        self._open_to_all = settings.max_sessions - min(
            settings.reserved_sessions, settings.max_sessions // 2
        )
        self._by_source: dict[str, set[Address]] = {}
        self._exempt: dict[str, bool] = {}

    def judge(self, addr: Address, clients: Mapping[Address, object]) -> Verdict:
        """Decide on a request from ``addr`` given the transfers running."""
        settings = self._settings
        active = len(clients)
        if active >= settings.max_sessions:
            return Verdict.BUSY
        ip = addr[0]
        if self._is_exempt(ip):
            return Verdict.ADMIT
        if (
            self._known is not None
            and active >= self._open_to_all
            and not self._is_known(ip)
        ):
            return Verdict.BUSY
        held = self._by_source.get(ip)
        if not held:
            return Verdict.ADMIT
        if len(held) >= settings.max_sessions_per_source:
            return Verdict.SOURCE_LIMIT
        unacked = 0
        for other in held:
            entry = clients.get(other)
            if getattr(entry, "verified", True) is False:
                unacked += getattr(entry, "unverified_bytes", 0)
        if unacked >= settings.max_unacked_bytes_per_source:
            return Verdict.DROP
        return Verdict.ADMIT

    def hold(self, addr: Address) -> None:
        """Note that ``addr`` now holds a slot (a lookup or a transfer)."""
        self._by_source.setdefault(addr[0], set()).add(addr)

    def release(self, addr: Address) -> None:
        """Note that ``addr`` gave its slot back."""
        held = self._by_source.get(addr[0])
        if held is not None:
            held.discard(addr)
            if not held:
                del self._by_source[addr[0]]

    def clear(self) -> None:
        """Forget everything (the server stopped)."""
        self._by_source.clear()
        self._exempt.clear()

    @property
    def sources(self) -> int:
        """Addresses holding at least one slot (bounded by ``max_sessions``)."""
        return len(self._by_source)

    def _is_exempt(self, ip: str) -> bool:
        if not self._settings.exempt_loopback:
            return False
        exempt = self._exempt.get(ip)
        if exempt is None:
            exempt = is_loopback(ip)
            if len(self._exempt) >= 1024:  # bounded: addresses are attacker input
                self._exempt.clear()
            self._exempt[ip] = exempt
        return exempt

    def _is_known(self, ip: str) -> bool:
        hook = self._known
        if hook is None:  # pragma: no cover - checked by the caller
            return False
        try:
            return bool(hook(ip))
        except Exception:
            _LOGGER.exception("TFTP is_known_client hook failed for %s", ip)
            return False
