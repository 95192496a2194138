"""The recorder's caches are sized while our entities are added (issue #16).

A real recorder (the test plugin's, SQLite in memory): its caches are made
small first, as they are when phones are added after the recorder started,
and must be twice the entity count after the entry is set up, with the
entities' first states still in them (an entry pushed out of a cache is not
brought back by growing it: the next state of that entity would pay a
database look-up).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
import sys

from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.cisco_ip_phone import recorder_cache
from custom_components.cisco_ip_phone.const import CONF_DISCOVERY, DOMAIN
from custom_components.cisco_ip_phone.recorder_cache import (
    _TASKS,
    RecorderCacheSizer,
)
from tests.support.ha_common import add_phone_subentry, phone_subentry_data, server_data
from tests.support.macs import PHONE_MAC, SECOND_PHONE_MAC

SMALL = 4
# The sizer's pace here: long enough that real time passing during a set-up
# (slow under coverage) never fires the pacing timer; the tests move time.
PACE = 30.0


@pytest.fixture(autouse=True)
def _slow_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorder_cache, "PACE", PACE)


@pytest.fixture(autouse=True)
def _custom_integrations(recorder_db_url: str, request: pytest.FixtureRequest) -> None:
    """Like the shared one, but the recorder's database comes before hass."""
    request.getfixturevalue("enable_custom_integrations")


def _later(hass: HomeAssistant, seconds: float) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))


async def _after_settling(hass: HomeAssistant) -> None:
    """Let the sizer's wait pass and the recorder run what it was asked."""
    _later(hass, PACE + 1)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)


async def _set_up(
    hass: HomeAssistant, recorder: Recorder, tftp_root: Path, cache_size: int
) -> MockConfigEntry:
    """Make the recorder's caches ``cache_size``, then set up one phone."""
    recorder.states_meta_manager._id_map.set_size(cache_size)
    recorder.state_attributes_manager._id_map.set_size(cache_size)
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=server_data(tftp_root),
        options={CONF_DISCOVERY: True},
        subentries_data=[phone_subentry_data(PHONE_MAC)],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_setting_up_phones_sizes_the_recorders_caches(
    recorder_mock: Recorder, hass: HomeAssistant, tftp_root: Path
) -> None:
    entry = await _set_up(hass, recorder_mock, tftp_root, SMALL)
    sizer = entry.runtime_data.recorder_cache
    assert sizer.requests == 1  # at once; the rest of the set-up waits PACE
    await _after_settling(hass)
    assert sizer.requests == 2  # once more after the last entity
    wanted = hass.states.async_entity_ids_count() * 2
    assert wanted > SMALL
    assert recorder_mock.states_meta_manager._id_map.get_size() == wanted
    assert recorder_mock.state_attributes_manager._id_map.get_size() == wanted

    # A phone added later: once more, after it settled.
    add_phone_subentry(hass, entry, SECOND_PHONE_MAC)
    await hass.async_block_till_done()
    await _after_settling(hass)
    assert sizer.requests >= 3
    grown = hass.states.async_entity_ids_count() * 2
    assert grown > wanted
    assert recorder_mock.states_meta_manager._id_map.get_size() == grown
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_without_a_recorder_nothing_is_asked(hass: HomeAssistant) -> None:
    sizer = RecorderCacheSizer(hass)
    sizer.schedule()
    sizer.schedule()  # within PACE: once more after it
    _later(hass, PACE + 1)
    await hass.async_block_till_done()
    assert sizer.requests == 0
    sizer.schedule()
    sizer.schedule()
    sizer.cancel()
    sizer.cancel()  # idempotent, and no timer lingers
    _later(hass, 2 * PACE + 2)
    await hass.async_block_till_done()
    assert sizer.requests == 0


async def test_a_stream_of_additions_asks_at_most_once_per_pace(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At once, then at most once per PACE while asked, and once after."""
    asked: list[None] = []
    monkeypatch.setattr(RecorderCacheSizer, "_adjust", lambda _: asked.append(None))
    sizer = RecorderCacheSizer(hass)
    for _ in range(50):
        sizer.schedule()
    assert len(asked) == 1
    _later(hass, PACE + 0.1)
    await hass.async_block_till_done()
    assert len(asked) == 2  # the trailing one
    _later(hass, 2 * PACE + 0.2)
    await hass.async_block_till_done()
    assert len(asked) == 2  # nothing more was asked: no timer goes on
    sizer.schedule()
    assert len(asked) == 3
    sizer.cancel()


async def test_a_recorder_that_cannot_be_asked_is_left_alone(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loaded but not set up here, or without the task: no error, no request."""
    hass.config.components.add("recorder")
    sizer = RecorderCacheSizer(hass)
    sizer.schedule()
    _later(hass, PACE + 1)
    await hass.async_block_till_done()  # get_instance() fails: no recorder
    assert sizer.requests == 0
    monkeypatch.delitem(sys.modules, _TASKS)
    sizer.schedule()
    _later(hass, 2 * PACE + 2)
    await hass.async_block_till_done()
    assert sizer.requests == 0


async def test_phones_added_one_by_one_keep_every_first_state_cached(
    recorder_mock: Recorder, hass: HomeAssistant, tftp_root: Path
) -> None:
    """The caches grow ahead of the states stored, so none is pushed out.

    Growing a cache does not bring back what it already dropped: asked only
    after the phones were added, the recorder kept the last ``roomy`` attribute
    sets and looked the others up again at the phones' next states.
    """
    roomy = 48  # one phone's entities fit; seven phones' do not
    entry = await _set_up(hass, recorder_mock, tftp_root, roomy)
    for number in range(6):  # a phone every PACE and a bit, as an import does
        _later(hass, (number + 1) * (PACE + 0.1))
        add_phone_subentry(hass, entry, f"00113A00000{number}", f"Phone {number}")
        await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    ours = [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if hass.states.get(entity.entity_id) is not None
    ]
    assert len(ours) > roomy
    # Each entity has its own attribute set (its name): all still cached.
    assert len(recorder_mock.state_attributes_manager._id_map) >= len(ours)
    assert len(recorder_mock.states_meta_manager._id_map) >= len(ours)
    entry.runtime_data.recorder_cache.cancel()
    assert await hass.config_entries.async_unload(entry.entry_id)
