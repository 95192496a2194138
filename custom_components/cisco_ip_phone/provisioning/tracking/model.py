"""Value types of the phone tracker: states, observations, events, timings.

Kept apart from the state machine so the Home Assistant layer and the
persistence code can use them without pulling in the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import logging
import math
from typing import Any, Literal, Self

# Same logger as before the split, so logging settings keep applying.
_LOGGER = logging.getLogger(__name__.rpartition(".")[0] + ".tracker")


class SavedStateError(ValueError):
    """Saved tracker data that cannot be restored (corrupt or foreign)."""


class ProvisioningState(StrEnum):
    """What a phone is doing, as seen from the files it asks for (ref. §7.1)."""

    UNKNOWN = "unknown"
    BOOTING = "booting"
    CHECKING_IMAGE = "checking_image"
    DOWNLOADING_LOADER = "downloading_loader"
    DOWNLOADING_APPLICATION = "downloading_application"
    CONFIGURED = "configured"
    CONFIG_REJECTED = "config_rejected"
    RUNNING_SCCP = "running_sccp"
    UNPROVISIONED = "unprovisioned"
    FIRMWARE_MISSING = "firmware_missing"
    STUCK_IN_LOOP = "stuck_in_loop"
    SYNC_CHECK = "sync_check"


TrackerEventKind = Literal[
    "state_changed", "booted", "configured", "error", "discovered", "sync_requested"
]


@dataclass(frozen=True, slots=True)
class TrackerTimings:
    """Time rules, in seconds, taken from the timings observed in reference §7.1.

    ``hunt_quiet``: silence before a ``CTLSEP``/``OS79XX.TXT`` request that
    makes it a new boot (retransmits come every 4 s). ``app_quiet``: silence
    before a config request without a hunt that makes it a new boot (the
    app starts ~23 s after the image check; rejected configs repeat ~30 s).
    """

    hunt_quiet: float = 10.0
    app_quiet: float = 60.0
    rerequest_min: float = 10.0
    config_accept_timeout: float = 60.0
    loader_app_timeout: float = 300.0
    sync_timeout: float = 60.0
    loop_threshold: int = 10


@dataclass(frozen=True, slots=True)
class PhoneObservation:
    """What the tracker knows about one phone; replaced, never mutated.

    ``fetched`` maps a generated file name to the digest of the version the
    phone last finished downloading, so callers can tell "config pending".
    """

    mac: str
    state: ProvisioningState = ProvisioningState.UNKNOWN
    ip: str | None = None
    firmware: str | None = None
    last_boot: float | None = None
    last_config_fetch: float | None = None
    last_seen: float | None = None
    fetched: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    model: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe copy (what the Home Assistant Store saves)."""
        return {
            "mac": self.mac,
            "state": self.state.value,
            "ip": self.ip,
            "firmware": self.firmware,
            "last_boot": self.last_boot,
            "last_config_fetch": self.last_config_fetch,
            "last_seen": self.last_seen,
            "fetched": dict(self.fetched),
            "error": self.error,
            "model": self.model,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild an observation saved by ``as_dict``; SavedStateError if bad."""
        mac = data.get("mac")
        if not isinstance(mac, str) or len(mac) != 12:
            raise SavedStateError(f"observation has no valid MAC: {mac!r}")
        try:
            state = ProvisioningState(data.get("state", "unknown"))
        except ValueError as err:
            raise SavedStateError(
                f"{mac}: unknown state {data.get('state')!r}"
            ) from err
        fetched = data.get("fetched") or {}
        if not isinstance(fetched, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in fetched.items()
        ):
            raise SavedStateError(f"{mac}: 'fetched' must map names to digests")
        return cls(
            mac=mac.upper(),
            state=state,
            ip=_optional(data, "ip", str),
            firmware=_optional(data, "firmware", str),
            last_boot=_optional_time(data, "last_boot"),
            last_config_fetch=_optional_time(data, "last_config_fetch"),
            last_seen=_optional_time(data, "last_seen"),
            fetched=dict(fetched),
            error=_optional(data, "error", str),
            model=_optional(data, "model", str),
        )


def _optional[T](data: Mapping[str, Any], key: str, kind: type[T]) -> T | None:
    value = data.get(key)
    if value is None or isinstance(value, kind):
        return value
    raise SavedStateError(f"{key!r} must be {kind.__name__} or null, not {value!r}")


def _optional_time(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SavedStateError(f"{key!r} must be a number or null, not {value!r}")
    if not math.isfinite(value):
        raise SavedStateError(f"{key!r} must be finite, not {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class TrackerEvent:
    """Something worth telling the hub: a state change, a boot, an error."""

    kind: TrackerEventKind
    mac: str
    observation: PhoneObservation
    file: str | None = None
    reason: str | None = None


def saved_observations(data: object, version: int) -> list[PhoneObservation]:
    """Return the observations of a saved tracker; skip bad ones with a warning."""
    if not isinstance(data, Mapping) or data.get("version") != version:
        _LOGGER.warning("Ignoring saved phone states: unknown format")
        return []
    entries = data.get("phones")
    if not isinstance(entries, list):
        _LOGGER.warning("Ignoring saved phone states: 'phones' is not a list")
        return []
    result: list[PhoneObservation] = []
    for entry in entries:
        try:
            if not isinstance(entry, Mapping):
                raise SavedStateError("entry is not a mapping")  # noqa: TRY301
            result.append(PhoneObservation.from_dict(entry))
        except SavedStateError as err:
            _LOGGER.warning("Skipping a saved phone state: %s", err)
    return result
