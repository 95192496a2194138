"""Which unknown MACs may become a "Discovered" phone, and how fast.

TFTP has no authentication, so anyone on the LAN can ask for
``SEP<random MAC>.cnf.xml``; before issue #11, 5,000 such requests made
1,254 discovery flows. The gate lets a MAC through only when it is
plausibly a Cisco 79xx phone, at a bounded rate, with bounded memory:

* the MAC's OUI is one the IEEE assigned to Cisco Systems (``cisco_oui``);
* the file is a per-phone name that carries that same MAC (``SEP``/``SIP``
  /``CTLSEP``/``ITLSEP``...), and, when the model is known, a name that model
  asks for (only 7940/7960 read ``SIP<MAC>.cnf``);
* a token bucket (``rate`` new MACs per second, ``burst`` at once) bounds
  how many flows a flood can start;
* an LRU of ``max_entries`` MACs remembers the verdicts, so a phone that
  asks for five files is counted once and the memory stays bounded.

The engine never imports Home Assistant: the hub calls ``admit`` before
starting a discovery flow for an unknown MAC (see docs/development.md).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from ..settings.models import MODELS, ConfigStyle, mac_from_filename
from .cisco_oui import CISCO_OUIS

# Per-phone file names and the config styles of the models that ask for them.
_CNF_ONLY_PREFIXES = ("sip",)  # SIP<MAC>.cnf: 7940/7960 only


@dataclass(frozen=True, slots=True)
class DiscoveryLimits:
    """How many new phones may be discovered, how fast, and what is remembered."""

    rate: float = 0.2  # new MACs per second over time (12 a minute)
    burst: int = 20  # new MACs at once (a rack of phones powering up)
    max_entries: int = 1024  # MACs whose verdict is remembered (LRU)

    def __post_init__(self) -> None:
        if not self.rate > 0 or self.burst < 1 or self.max_entries < 1:
            raise ValueError("discovery limits must be positive")


class DiscoveryGate:
    """Decide whether an unknown MAC's request may start a discovery flow."""

    def __init__(
        self,
        limits: DiscoveryLimits | None = None,
        *,
        extra_ouis: frozenset[str] = frozenset(),
    ) -> None:
        self._limits = limits or DiscoveryLimits()
        self._ouis = CISCO_OUIS | {o.upper() for o in extra_ouis}
        self._tokens = float(self._limits.burst)
        self._stamp: float | None = None
        self._verdicts: OrderedDict[str, bool] = OrderedDict()
        self.refused_implausible = 0
        self.refused_rate = 0

    def admit(self, mac: str, model: str | None, file: str, now: float) -> bool:
        """Whether ``mac`` (asking for ``file``) may be offered as a new phone.

        ``now`` is a monotonic time in seconds. A MAC admitted once stays
        admitted (its later requests cost no token) until the LRU forgets it.
        """
        key = mac.upper()
        verdict = self._verdicts.get(key)
        if verdict is not None:
            self._verdicts.move_to_end(key)
            return verdict
        if not self._plausible(key, model, file):
            self.refused_implausible += 1
            self._remember(key, False)
            return False
        self._refill(now)
        if self._tokens < 1.0:
            self.refused_rate += 1
            return False  # not remembered: it may come back when tokens do
        self._tokens -= 1.0
        self._remember(key, True)
        return True

    def forget(self, mac: str) -> None:
        """Drop a MAC's verdict (e.g. once the user added or ignored it)."""
        self._verdicts.pop(mac.upper(), None)

    @property
    def remembered(self) -> int:
        """How many verdicts are held (never above ``max_entries``)."""
        return len(self._verdicts)

    def _plausible(self, mac: str, model: str | None, file: str) -> bool:
        if len(mac) != 12 or mac[:6] not in self._ouis:
            return False
        if mac_from_filename(file) != mac:
            return False
        if model is None:
            return True
        known = MODELS.get(model)
        if known is None:
            return False
        base = file.replace("\\", "/").rsplit("/", 1)[-1].lower()
        if base.startswith(_CNF_ONLY_PREFIXES):
            return known.config_style is ConfigStyle.CNF
        return True

    def _refill(self, now: float) -> None:
        limits = self._limits
        if self._stamp is not None and now > self._stamp:
            self._tokens = min(
                float(limits.burst), self._tokens + (now - self._stamp) * limits.rate
            )
        if self._stamp is None or now > self._stamp:
            self._stamp = now

    def _remember(self, mac: str, verdict: bool) -> None:
        self._verdicts[mac] = verdict
        while len(self._verdicts) > self._limits.max_entries:
            self._verdicts.popitem(last=False)
