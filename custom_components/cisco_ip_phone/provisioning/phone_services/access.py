"""Who may browse: per-phone tokens, the URLs that carry them, and rate limits.

Phones cannot log in, so a phone is identified by a long random token in
the path of its URLs (written into that phone's own file only) and by the
address it last fetched its files from. A request that fails either check
is answered like any unknown URL, and each phone's requests are rate limited
so a stolen token cannot be used to hammer Home Assistant.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
import re
import secrets
import time

from ..errors import ProvisioningError

TOKEN_BYTES = 32
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_URL_IN_CONFIG = 255


def new_token() -> str:
    """Return a new token: 256 random bits, URL-safe, 43 characters."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_token(value: str) -> bool:
    """Return whether ``value`` has the shape of a token (cheap pre-check)."""
    return bool(_TOKEN.match(value))


@dataclass(frozen=True, slots=True)
class ServiceUrls:
    """The URLs written into one phone's configuration file."""

    services: str
    directory: str
    authentication: str

    def __post_init__(self) -> None:
        for name in ("services", "directory", "authentication"):
            url = getattr(self, name)
            if not url.startswith("http://") or len(url) > MAX_URL_IN_CONFIG:
                raise ProvisioningError(
                    f"{name} URL must be http:// and at most "
                    f"{MAX_URL_IN_CONFIG} characters",
                    field="service_urls",
                )
            if any(ch in url for ch in '"\r\n <>'):
                raise ProvisioningError(f"{name} URL has unsafe characters")

    def as_overrides(self) -> dict[str, str]:
        """Return the per-phone setting overrides ``render_files`` takes."""
        return {
            "services_url": self.services,
            "directory_url": self.directory,
            "authentication_url": self.authentication,
        }

    @classmethod
    def for_base(cls, base: str) -> ServiceUrls:
        """Return the URLs of a phone whose pages live under ``base``."""
        base = base.rstrip("/")
        return cls(f"{base}/services", f"{base}/directory", f"{base}/auth")


class RateLimiter:
    """A token bucket per key; the number of keys tracked is bounded."""

    def __init__(
        self,
        rate: float = 5.0,
        burst: int = 20,
        *,
        max_keys: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Spend one request of ``key``'s budget; return whether one was left."""
        now = self._clock()
        tokens, then = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed
