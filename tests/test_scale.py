"""Cost per phone, not per phone squared (issue #16) and one pass (issue #10).

Counted, never timed: state writes (``state_changed`` and ``state_reported``
both mean an entity wrote), engine updates per transfer event, subscribers.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import gc
from pathlib import Path
import time
from types import MappingProxyType, SimpleNamespace

from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.cisco_ip_phone.coalesce import (
    FLUSH_CHUNK,
    STORM_HOLD_MAX,
    PhoneBatcher,
)
from custom_components.cisco_ip_phone.const import CONF_DISCOVERY, DOMAIN
from custom_components.cisco_ip_phone.hub import CiscoPhoneHub
from custom_components.cisco_ip_phone.phone_entry import PhoneEntry, PhoneReader
from custom_components.cisco_ip_phone.provisioning.server import EngineUpdate
from custom_components.cisco_ip_phone.provisioning.settings.models import PhoneConfig
from custom_components.cisco_ip_phone.provisioning.sip.qualify import QualifyResult
from custom_components.cisco_ip_phone.provisioning.tftp import (
    ContentSource,
    EventKind,
    TransferEvent,
    TransferOutcome,
)
from custom_components.cisco_ip_phone.provisioning.tracking.model import (
    PhoneObservation,
    ProvisioningState,
)
from custom_components.cisco_ip_phone.served_files import ServedFiles
from tests.support.ha_common import add_phone_subentry, phone_subentry_data, server_data
from tests.support.macs import PHONE_MAC, SECOND_PHONE_MAC

MAC_A = PHONE_MAC
MAC_B = SECOND_PHONE_MAC
IP_A = "192.168.1.50"
SERVER_PREFIX = "sensor.cisco_ip_phone_provisioning"


def _transfer(
    hub: CiscoPhoneHub,
    name: str,
    *,
    ip: str = IP_A,
    port: int = 50000,
    kind: EventKind = EventKind.COMPLETED,
) -> TransferEvent:
    generated = hub.files.get(name)
    return TransferEvent(
        kind=kind,
        client=(ip, port),
        requested_name=name,
        resolved_name=name,
        source=ContentSource.GENERATED if generated else ContentSource.STATIC,
        digest=generated.digest if generated else None,
        size=len(generated.content) if generated else 10,
        bytes_sent=len(generated.content) if generated else 10,
        blocks=1,
        retransmits=0,
        duration=0.0,
        outcome=TransferOutcome.OK,
        error=None,
        timestamp=time.time(),
    )


@pytest.fixture
async def two_phones(hass: HomeAssistant, tftp_root: Path) -> MockConfigEntry:
    """Set up a server with two 7960 phones, A and B."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Cisco IP phone provisioning",
        data=server_data(tftp_root),
        options={CONF_DISCOVERY: True},
        subentries_data=[
            {**phone_subentry_data(MAC_A), "title": "Phone A"},
            {**phone_subentry_data(MAC_B), "title": "Phone B"},
        ],
        entry_id="scale_entry_id",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _entities_of(hass: HomeAssistant, entry: MockConfigEntry, mac: str) -> set[str]:
    registry = er.async_get(hass)
    return {
        item.entity_id
        for item in er.async_entries_for_config_entry(registry, entry.entry_id)
        if item.unique_id.startswith(f"{mac}_")
    }


@callback
def _any(_data: object) -> bool:
    return True


class _Writes:
    """Every state write, by entity id (changed or merely reported)."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.ids: list[str] = []
        self._unsubs = [
            hass.bus.async_listen(EVENT_STATE_CHANGED, self._on),
            hass.bus.async_listen(EVENT_STATE_REPORTED, self._on, event_filter=_any),
        ]

    @callback
    def _on(self, event: Event) -> None:
        self.ids.append(event.data["entity_id"])

    def of(self, entity_ids: set[str]) -> list[str]:
        return [entity_id for entity_id in self.ids if entity_id in entity_ids]

    def close(self) -> None:
        for unsub in self._unsubs:
            unsub()


async def test_a_transfer_of_phone_a_writes_nothing_of_phone_b(
    hass: HomeAssistant, two_phones: MockConfigEntry
) -> None:
    hub = two_phones.runtime_data
    entities_b = _entities_of(hass, two_phones, MAC_B)
    assert len(entities_b) >= 8
    writes = _Writes(hass)
    hub.feed_transfer(_transfer(hub, f"SIP{MAC_A}.cnf"))
    await hass.async_block_till_done()
    writes.close()
    assert writes.of(entities_b) == []
    assert writes.of(_entities_of(hass, two_phones, MAC_A))  # A did change


async def test_a_burst_of_one_phone_writes_a_bounded_number_of_states(
    hass: HomeAssistant, two_phones: MockConfigEntry
) -> None:
    hub = two_phones.runtime_data
    entities_a = _entities_of(hass, two_phones, MAC_A)
    server = {
        entity_id
        for entity_id in hass.states.async_entity_ids()
        if entity_id.startswith(SERVER_PREFIX)
    }
    # A boot, then a burst of 200 more transfers of the files it reads.
    boot = ["SIPDefault.cnf", f"SIP{MAC_A}.cnf", "RINGLIST.DAT", "dialplan.xml"]
    writes = _Writes(hass)
    for name in boot:
        hub.feed_transfer(_transfer(hub, name))
    for index in range(200):
        hub.feed_transfer(_transfer(hub, boot[index % 2], port=40000 + index))
    await hass.async_block_till_done()
    # Counters: one immediate write, then at most one per second.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done()
    writes.close()
    assert len(writes.of(entities_a)) <= 12  # its real changes, never 1 per transfer
    assert writes.of(_entities_of(hass, two_phones, MAC_B)) == []
    # Each server counter: the leading write and one trailing write.
    assert len(writes.of(server)) <= 2 * len(server)
    transfers = hass.states.get(f"{SERVER_PREFIX}_transfers_served")
    assert transfers is not None
    assert transfers.state == "204"


async def test_one_transfer_event_is_one_engine_update_to_one_subscriber(
    hass: HomeAssistant, two_phones: MockConfigEntry
) -> None:
    hub = two_phones.runtime_data
    # The engine has one subscriber, the hub: nobody else can attach.
    with pytest.raises(RuntimeError):
        hub.server.subscribe(lambda update: None)
    updates: list[EngineUpdate] = []
    routed = hub.server._listener
    assert routed is not None

    def counting(update: EngineUpdate) -> None:
        updates.append(update)
        assert routed is not None
        routed(update)

    hub.server._listener = counting
    event = _transfer(hub, f"SIP{MAC_A}.cnf")
    returned = hub.feed_transfer(event)
    assert updates == [returned]
    assert returned.transfer is event
    assert returned.mac == MAC_A
    assert returned.macs == {MAC_A}
    assert returned.counters_changed
    hub.server._listener = routed


async def test_idle_tick_writes_nothing(
    hass: HomeAssistant, two_phones: MockConfigEntry
) -> None:
    hub = two_phones.runtime_data
    hub.feed_transfer(_transfer(hub, f"SIP{MAC_A}.cnf"))
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done()
    writes = _Writes(hass)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=15))
    await hass.async_block_till_done()
    writes.close()
    assert writes.ids == []


async def test_online_poll_touches_one_phone_and_a_steady_phone_writes_nothing(
    hass: HomeAssistant, two_phones: MockConfigEntry
) -> None:
    """Issue #12 item 3 under issue #16: the poller is no periodic full sweep."""
    hub = two_phones.runtime_data
    poller = hub.online
    of_a = _entities_of(hass, two_phones, MAC_A)
    of_b = _entities_of(hass, two_phones, MAC_B)
    writes = _Writes(hass)
    poller._record(MAC_A, QualifyResult(True, 200, "OK", 0.010))
    await hass.async_block_till_done()
    assert writes.of(of_b) == []
    assert "binary_sensor.phone_a_online" in writes.of(of_a)
    writes.ids.clear()
    for rtt in (0.011, 0.009, 0.012, 0.010):  # a steady phone: nothing to write
        poller._record(MAC_A, QualifyResult(True, 200, "OK", rtt))
    await hass.async_block_till_done()
    writes.close()
    assert writes.ids == []
    # A slot polls at most one phone; spacing spreads the phones over the interval.
    assert poller.status(MAC_B) is None
    hub.feed_transfer(_transfer(hub, f"SIP{MAC_A}.cnf"))
    poller.timeout = 0.2
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=6))
    await hass.async_block_till_done()
    assert len(poller._tasks) <= 1


async def test_adding_a_phone_renders_and_refreshes_that_phone_only(
    hass: HomeAssistant, tftp_root: Path
) -> None:
    """Phone N+1 costs one phone's rendering and writes, whatever N is."""
    macs = [f"0011223300{index:02X}" for index in range(12)]
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=server_data(tftp_root),
        subentries_data=[
            {**phone_subentry_data(mac), "title": f"Phone {mac}"} for mac in macs
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    hub = entry.runtime_data
    renderer = hub._served.renderer
    rendered = renderer.phone_renders
    old_files = dict(hub.files)
    existing = set().union(*(_entities_of(hass, entry, mac) for mac in macs))
    writes = _Writes(hass)
    new = "0011223300FF"
    add_phone_subentry(hass, entry, new)
    await hass.async_block_till_done()
    writes.close()
    assert renderer.phone_renders - rendered == 1
    assert hub._reader.changed == {new}
    assert writes.of(existing) == []
    assert hass.states.get("sensor.lobby_provisioning_state") is not None
    for name, file in old_files.items():
        assert hub.files[name] is file or name == "syncinfo.xml"
    assert f"SIP{new}.cnf" in hub.files
    # A firmware hop of one phone renders that phone again, nobody else.
    hub.set_image_override(macs[0], "P0S3-08-11-00")
    assert renderer.phone_renders - rendered == 2
    assert b"P0S3-08-11-00" in hub.files[f"SIP{macs[0]}.cnf"].content


def test_a_first_boot_is_judged_when_it_ends() -> None:
    """Up to date: unknown while the first boot fetches, off if it ended short."""
    served = ServedFiles(lambda files: None)
    main = f"SIP{MAC_A}.cnf"
    fetched = {"SEP00113A4B5C6D.cnf.xml": "x"}
    for state in (ProvisioningState.BOOTING, ProvisioningState.CHECKING_IMAGE):
        assert served.up_to_date(main, fetched, state) is None
    for state in (ProvisioningState.STUCK_IN_LOOP, ProvisioningState.UNKNOWN):
        assert served.up_to_date(main, fetched, state) is False
    assert served.up_to_date(main, {main: "x"}, ProvisioningState.BOOTING) is True


def _mac_batcher(
    hass: HomeAssistant,
    now: list[float],
    *,
    storm: int,
    longest: float = STORM_HOLD_MAX,
) -> tuple[PhoneBatcher[int], list[str]]:
    """A batcher on the test's clock (``now[0]``) and the MACs it refreshed."""
    calls: list[str] = []
    batch = PhoneBatcher[int](
        hass,
        lambda mac, events: calls.append(mac),
        storm=storm,
        longest=longest,
        clock=lambda: now[0],
    )
    return batch, calls


async def test_a_storm_refreshes_each_phone_once_per_interval(
    hass: HomeAssistant,
) -> None:
    """Below the storm threshold at once; above it, once per phone, no event lost."""
    calls: list[tuple[str, tuple[int, ...]]] = []
    now = [100.0]
    batch = PhoneBatcher[int](
        hass,
        lambda mac, events: calls.append((mac, events)),
        storm=3,
        clock=lambda: now[0],
    )
    batch.add("A", (1,))
    batch.add("B", ())
    batch.add("A", (2,))
    assert calls == [("A", (1,)), ("B", ()), ("A", (2,))]  # not a storm yet
    for number in range(3, 43):
        batch.add("A", (number,))
        batch.add("B", ())
    assert len(calls) == 3  # a storm: everyone waits
    now[0] += 2.5  # ...until it is over
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done()
    assert calls[3] == ("A", tuple(range(11, 43)))  # the newest 32 events
    assert calls[4] == ("B", ())
    assert len(calls) == 5
    # A new interval: immediate again; stop flushes what still waits.
    now[0] += 1.5
    batch.add("C", (7,))
    assert calls[-1] == ("C", (7,))
    for _ in range(5):
        batch.add("D", (8,))
    batch.flush()
    assert calls[-1] == ("D", (8, 8, 8))
    batch.flush()
    assert calls[-1] == ("D", (8, 8, 8))


async def test_a_storm_of_phones_writes_each_state_once_per_interval(
    hass: HomeAssistant, two_phones: MockConfigEntry
) -> None:
    hub = two_phones.runtime_data
    entities_a = _entities_of(hass, two_phones, MAC_A)
    hub._batch._storm = 0  # every refresh counts as a storm
    hub._batch._clock = lambda: 100.0  # and it never calms down by itself
    writes = _Writes(hass)
    events: list[Event] = []
    unsub = hass.bus.async_listen(EVENT_STATE_CHANGED, events.append)
    for name in ("SIPDefault.cnf", f"SIP{MAC_A}.cnf", "RINGLIST.DAT"):
        hub.feed_transfer(_transfer(hub, name))
    await hass.async_block_till_done()
    assert writes.of(entities_a) == []
    hub._batch._storm = 1_000  # the storm is over: the batch goes out
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done()
    writes.close()
    unsub()
    shown = writes.of(entities_a)
    assert shown
    states = [entity_id for entity_id in shown if not entity_id.startswith("event.")]
    assert len(states) == len(set(states))  # each state entity once
    fired = [e for e in events if e.data["entity_id"].startswith("event.")]
    assert len(fired) == 2  # one state change per event
    assert [e.data["new_state"].attributes["event_type"] for e in fired] == [
        "booted",
        "configured",
    ]


async def test_a_storm_holds_its_batch_until_it_calms_down(
    hass: HomeAssistant,
) -> None:
    """The batch waits while the storm goes on, and goes out once it calms."""
    now = [100.0]
    batch, calls = _mac_batcher(hass, now, storm=4)
    first = [f"M{index}" for index in range(4)]
    for second in range(3):
        for index in range(10):  # 10 refreshes a second: a storm
            batch.add(f"M{index}", (second,))
            now[0] += 0.1
        batch._on_timer(None)
        assert calls == first  # the storm's first four, then nothing
        assert batch.storm_on
    now[0] += 0.5  # half a quiet second: the estimate still counts the last
    batch._on_timer(None)
    assert calls == first
    now[0] += 0.6  # a whole quiet interval: the storm is over
    assert not batch.storm_on
    batch._on_timer(None)
    await asyncio.sleep(0)
    assert sorted(calls[4:]) == [f"M{index}" for index in range(10)]  # each once
    batch.add("late", ())
    assert calls[-1] == "late"  # quiet again: at once


async def test_a_storm_that_goes_on_is_shown_every_longest_seconds(
    hass: HomeAssistant,
) -> None:
    """However long the storm, a waiting phone is shown within ``longest``."""
    now = [100.0]
    batch, calls = _mac_batcher(hass, now, storm=2, longest=3.0)
    timers = 0
    while len(calls) <= 2:  # two go out before the storm is seen
        for index in range(5):
            batch.add(f"M{index}", ())
        now[0] += 1.0
        batch._on_timer(None)
        timers += 1
    assert timers == 3
    assert len(calls) == 2 + 5  # two before the storm, then each phone once
    batch.flush()


async def test_while_a_batch_waits_a_new_second_does_not_refresh_at_once(
    hass: HomeAssistant,
) -> None:
    """A storm's next second joins the waiting batch instead of going out."""
    now = [100.0]
    batch, calls = _mac_batcher(hass, now, storm=1)
    batch.add("A", ())
    batch.add("B", ())  # the storm begins: B waits for the batch
    now[0] += 1.2  # a new second, below the threshold again...
    batch.add("C", ())
    assert calls == ["A"]  # ...but the batch still waits: C joins it
    batch.flush()
    assert calls == ["A", "B", "C"]


async def test_a_storm_batch_is_written_a_chunk_per_loop_turn(
    hass: HomeAssistant,
) -> None:
    """A big batch never holds the event loop for all phones at once."""
    now = [5.0]
    batch, calls = _mac_batcher(hass, now, storm=0)
    for index in range(FLUSH_CHUNK * 2 + 5):
        batch.add(f"M{index}", ())
    assert calls == []
    now[0] += 2.0  # the storm is over
    batch._on_timer(None)
    assert len(calls) == FLUSH_CHUNK  # the rest waits for the next turns
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(calls) == FLUSH_CHUNK * 2 + 5
    assert calls == [f"M{index}" for index in range(FLUSH_CHUNK * 2 + 5)]


def test_the_phone_reader_validates_only_what_changed() -> None:
    """Unchanged subentries are reused; changed, invalid and removed ones tell."""
    good = phone_subentry_data(MAC_A)
    bad = {**phone_subentry_data(MAC_B), "data": MappingProxyType({"mac": "x"})}
    entry = SimpleNamespace(
        subentries={
            "a": SimpleNamespace(data=good["data"], title="A"),
            "b": SimpleNamespace(data=bad["data"], title="B"),
        }
    )
    reader = PhoneReader()
    first = reader.read(entry)  # type: ignore[arg-type]
    assert list(first) == [MAC_A]
    assert reader.changed == {MAC_A}
    again = reader.read(entry)  # type: ignore[arg-type]
    assert again[MAC_A] is first[MAC_A]
    assert reader.changed == frozenset()
    entry.subentries["a"] = SimpleNamespace(data=good["data"], title="Renamed")
    del entry.subentries["b"]
    reader.read(entry)  # type: ignore[arg-type]
    assert reader.changed == {MAC_A}
    del entry.subentries["a"]
    assert reader.read(entry) == {}  # type: ignore[arg-type]
    assert reader.changed == {MAC_A}
    for model, product in (("7941G-GE", "CP-7941G-GE"), ("7971", "CP-7971G-GE")):
        phone = PhoneEntry("s", PhoneConfig(mac=MAC_A, model=model))
        assert phone.product_id == product
        assert phone.main_file == f"SEP{MAC_A}.cnf.xml"


@pytest.mark.usefixtures("unfrozen_heap")
async def test_a_storm_holds_the_heap_until_the_hub_stops(
    hass: HomeAssistant, two_phones: MockConfigEntry
) -> None:
    """The batcher notes each waiting refresh; unloading hands the heap back."""
    hub = two_phones.runtime_data
    hub._batch._storm = 0  # every refresh counts as a storm
    assert not hub._heap.held
    hub.feed_transfer(_transfer(hub, f"SIP{MAC_A}.cnf"))
    await hass.async_block_till_done()
    assert hub._heap.held
    assert gc.get_freeze_count() > 0
    assert await hass.config_entries.async_unload(two_phones.entry_id)
    assert not hub._heap.held
    assert gc.get_freeze_count() == 0


async def test_a_phones_entities_share_one_device_info(
    hass: HomeAssistant, two_phones: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One DeviceInfo per phone (fewer objects for the collector), per phone."""
    hub = two_phones.runtime_data
    phone_a, phone_b = hub.phones[MAC_A], hub.phones[MAC_B]
    info = hub.devices.info(phone_a)
    assert hub.devices.info(phone_a) is info
    assert hub.devices.info(phone_b) is not info
    assert info["identifiers"] == {(DOMAIN, MAC_A)}
    # Firmware seen since: entities created now get the new version.
    booted = PhoneObservation(mac=MAC_A, firmware="P0S3-8-12-00")
    monkeypatch.setattr(hub, "observation", lambda mac: booted)
    newer = hub.devices.info(phone_a)
    assert newer is not info
    assert newer["sw_version"] == "P0S3-8-12-00"
    assert hub.devices.info(phone_a) is newer
    hub.devices.forget(MAC_A)
    assert hub.devices.info(phone_a) is not newer
