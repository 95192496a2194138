"""The one Store of a server entry: validated on load, migrated from two.

Until version 2 the hub kept ``{"tracker", "counters"}`` in
``cisco_ip_phone.<entry_id>`` and the firmware manager kept
``{"jobs", "syncs"}`` in ``cisco_ip_phone.<entry_id>.firmware``. Version 2
holds all four parts in the first store; loading a version 1 store merges
the firmware store into it, writes the result and deletes the old file, so
no user loses a phone's history or a walk in progress.

Every part is checked on load. A part of the wrong shape is dropped with a
warning and a repair issue naming what was lost; setup goes on with the rest
(a bad saved value must never stop TFTP from starting, issue #11).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER, SAVE_DELAY, STORAGE_VERSION
from .provisioning.errors import ProvisioningError
from .provisioning.firmware import FirmwareNameError, parse_image_name
from .provisioning.settings.checks import check_sync

LEGACY_FIRMWARE_VERSION: Final = 1
ISSUE_STATE_DROPPED: Final = "stored_state_dropped"


def store_key(entry_id: str) -> str:
    """Return the key of an entry's Store."""
    return f"{DOMAIN}.{entry_id}"


def legacy_firmware_key(entry_id: str) -> str:
    """Return the key of the firmware Store used before version 2."""
    return f"{DOMAIN}.{entry_id}.firmware"


@dataclass(slots=True)
class StoredState:
    """What survived validation, and the names of the parts that did not."""

    tracker: dict[str, Any] | None = None
    counters: dict[str, Any] | None = None
    jobs: list[Any] = field(default_factory=list)
    syncs: dict[str, str] = field(default_factory=dict)
    stated: dict[str, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)


class _EntryStore(Store[dict[str, Any]]):
    """The Store, with the version 1 -> 2 migration (merge the firmware store)."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        super().__init__(hass, STORAGE_VERSION, store_key(entry_id))
        self.entry_id = entry_id
        self.migrated = False

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: Any
    ) -> dict[str, Any]:
        data = dict(old_data) if isinstance(old_data, Mapping) else {}
        if old_major_version < 2:
            legacy = await _load_legacy(self.hass, self.entry_id)
            data.setdefault("jobs", legacy.get("jobs", []))
            data.setdefault("syncs", legacy.get("syncs", {}))
        self.migrated = True
        return data


async def _load_legacy(hass: HomeAssistant, entry_id: str) -> dict[str, Any]:
    legacy = await Store[dict[str, Any]](
        hass, LEGACY_FIRMWARE_VERSION, legacy_firmware_key(entry_id)
    ).async_load()
    return legacy if isinstance(legacy, dict) else {}


class HubStore:
    """Load, validate, migrate and save the one Store of a server entry."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self._store = _EntryStore(hass, entry.entry_id)
        self._pending: CALLBACK_TYPE | None = None
        self._data_func: Callable[[], dict[str, Any]] | None = None

    async def async_load(self, phones: Mapping[str, Any]) -> StoredState:
        """Return the validated state; drop bad parts with a repair issue."""
        try:
            raw = await self._store.async_load()
        except (ValueError, TypeError, KeyError) as err:
            LOGGER.warning("Ignoring the saved state: %s", err)
            raw, bad = None, True
        else:
            bad = False
        if raw is None and not bad:
            legacy = await _load_legacy(self.hass, self.entry.entry_id)
            if legacy:
                raw, self._store.migrated = legacy, True
        state = validate(raw, phones)
        if bad:
            state.dropped.insert(0, "everything (unreadable)")
        if self._store.migrated:
            await self.async_save(
                self.payload(
                    tracker=state.tracker or {},
                    counters=state.counters or {},
                    jobs=state.jobs,
                    syncs=state.syncs,
                    stated=state.stated,
                )
            )
            await Store[dict[str, Any]](
                self.hass,
                LEGACY_FIRMWARE_VERSION,
                legacy_firmware_key(self.entry.entry_id),
            ).async_remove()
        return state

    @callback
    def report_dropped(self, dropped: list[str]) -> None:
        """Warn about lost parts and raise (or clear) the repair issue."""
        issue_id = f"{ISSUE_STATE_DROPPED}_{self.entry.entry_id}"
        if not dropped:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        parts = ", ".join(dropped)
        LOGGER.warning("Saved state of %s was dropped: %s", self.entry.title, parts)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_STATE_DROPPED,
            translation_placeholders={"title": self.entry.title, "parts": parts},
        )

    @staticmethod
    def payload(
        *,
        tracker: dict[str, Any],
        counters: dict[str, Any],
        jobs: list[Any],
        syncs: dict[str, str],
        stated: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Return the JSON document of version 2.

        ``stated`` (the image each phone runs as its user read it, issue #12)
        is optional: stores written before it load unchanged.
        """
        data = {"tracker": tracker, "counters": counters, "jobs": jobs, "syncs": syncs}
        if stated:
            data["stated"] = stated
        return data

    @callback
    @callback
    def async_delay_save(self, data_func: Callable[[], dict[str, Any]]) -> None:
        """Write a little later; many changes in between make one write.

        ``Store.async_delay_save`` would call ``data_func`` in the executor
        thread, while the loop keeps changing the tracker it reads. Here the
        data is taken on the loop when the delay ends, then written.
        """
        self._data_func = data_func
        if self._pending is None:
            self._pending = async_call_later(self.hass, SAVE_DELAY, self._write_later)

    @callback
    def _write_later(self, _now: Any) -> None:
        self._pending = None
        data_func, self._data_func = self._data_func, None
        if data_func is not None:
            self.entry.async_create_background_task(
                self.hass, self._store.async_save(data_func()), f"{DOMAIN} save"
            )

    @callback
    def async_cancel_pending(self) -> None:
        """Drop a scheduled write (the caller writes now, or nothing is left)."""
        if self._pending is not None:
            self._pending()
            self._pending = None
        self._data_func = None

    async def async_save(self, data: dict[str, Any]) -> None:
        """Write now (stop, migration)."""
        self.async_cancel_pending()
        await self._store.async_save(data)

    async def async_remove(self) -> None:
        """Delete the Store and the pre-version-2 firmware Store."""
        await self._store.async_remove()
        await Store[dict[str, Any]](
            self.hass,
            LEGACY_FIRMWARE_VERSION,
            legacy_firmware_key(self.entry.entry_id),
        ).async_remove()


def validate(raw: object, phones: Mapping[str, Any]) -> StoredState:
    """Split stored data into checked parts; name each part that was dropped."""
    state = StoredState()
    if raw is None:
        return state
    if not isinstance(raw, Mapping):
        state.dropped.append("everything (not a mapping)")
        return state
    tracker = raw.get("tracker")
    if isinstance(tracker, Mapping):
        state.tracker = dict(tracker)
    elif tracker is not None:
        state.dropped.append("phone observations")
    counters = raw.get("counters")
    if isinstance(counters, Mapping):
        state.counters = dict(counters)
    elif counters is not None:
        state.dropped.append("server counters")
    jobs = raw.get("jobs", [])
    if isinstance(jobs, list):
        state.jobs = list(jobs)
    else:
        state.dropped.append("firmware walks")
    _validate_stated(raw.get("stated", {}), phones, state)
    syncs = raw.get("syncs", {})
    if not isinstance(syncs, Mapping):
        state.dropped.append("resync values")
        return state
    for mac, value in syncs.items():
        if mac not in phones:
            continue  # a phone removed since: nothing lost
        try:
            state.syncs[mac] = check_sync(value, "sync")
        except ProvisioningError:
            state.dropped.append(f"resync value of {mac}")
    return state


def _validate_stated(
    stated: object, phones: Mapping[str, Any], state: StoredState
) -> None:
    """Keep each phone's stated image that is still a valid image name."""
    if not isinstance(stated, Mapping):
        state.dropped.append("stated firmware")
        return
    for mac, value in stated.items():
        if mac not in phones:
            continue  # a phone removed since: nothing lost
        try:
            state.stated[mac] = parse_image_name(str(value)).base
        except FirmwareNameError:
            state.dropped.append(f"stated firmware of {mac}")
