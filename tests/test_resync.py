"""Resync: a real check-sync NOTIFY, a per-phone syncinfo.xml, and the outcome.

The NOTIFY goes over real UDP on loopback, first to a bare listener that
parses it, then to the simulated phone, which answers, fetches
``syncinfo.xml`` and reboots only when the SYNC it is given differs from its
own ``sync`` value (reference §4.1).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import socket
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.cisco_ip_phone.const import DOMAIN, TICK_INTERVAL
from custom_components.cisco_ip_phone.provisioning.sip.resync import ResyncState
from tests.support.firmware import (
    TARGET,
    make_entry,
    observation,
    put_firmware,
    remember_phone,
    setup_entry,
    simulated,
)
from tests.support.ha_common import PHONE_MAC, free_port
from tests.support.simphone import PhoneState, parse_cnf
from tests.support.simphone_tftp import tftp_read

RESYNC = "button.desk_resync"


class _SipListener(asyncio.DatagramProtocol):
    """Records requests and answers 200 OK, like a phone's SIP stack would."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.put_nowait(data)
        request = parse_request(data)
        headers = request["headers"]
        answer = ["SIP/2.0 200 OK"] + [
            f"{name}: {headers[name.lower()]}"
            for name in ("Via", "From", "To", "Call-ID", "CSeq")
        ]
        assert self.transport is not None
        self.transport.sendto(
            ("\r\n".join([*answer, "Content-Length: 0"]) + "\r\n\r\n").encode(), addr
        )


def parse_request(data: bytes) -> dict[str, Any]:
    """Split a SIP request into its request line, headers and body."""
    text = data.decode("ascii")
    head, separator, body = text.partition("\r\n\r\n")
    assert separator, "a SIP message ends its headers with an empty line"
    lines = head.split("\r\n")
    method, uri, version = lines[0].split(" ")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        assert colon, f"malformed header line {line!r}"
        headers[name.strip().lower()] = value.strip()
    return {
        "method": method,
        "uri": uri,
        "version": version,
        "headers": headers,
        "body": body,
    }


async def test_notify_reaches_a_udp_listener_well_formed(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    loop = asyncio.get_running_loop()
    transport, listener = await loop.create_datagram_endpoint(
        _SipListener, local_addr=("127.0.0.1", 0)
    )
    port = transport.get_extra_info("sockname")[1]
    try:
        entry = make_entry(tftp_root, model="7960", voip_control_port=port)
        remember_phone(hass_storage, entry, observation(TARGET))
        manager = await setup_entry(hass, entry)
        await hass.services.async_call(
            BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: RESYNC}, blocking=True
        )
        data = await asyncio.wait_for(listener.received.get(), 5)
    finally:
        transport.close()

    request = parse_request(data)
    headers = request["headers"]
    assert request["method"] == "NOTIFY"
    assert request["uri"] == f"sip:1001@127.0.0.1:{port}"
    assert request["version"] == "SIP/2.0"
    assert headers["event"] == "check-sync"
    assert headers["via"].startswith("SIP/2.0/UDP 127.0.0.1:")
    assert ";branch=z9hG4bK" in headers["via"]
    assert headers["cseq"].endswith(" NOTIFY")
    assert headers["max-forwards"] == "70"
    assert ";tag=" in headers["from"]
    assert headers["to"] == "<sip:1001@127.0.0.1>"
    assert headers["contact"].startswith("<sip:provisioner@127.0.0.1:")
    assert headers["call-id"]
    assert headers["content-length"] == "0"
    assert request["body"] == ""

    # The phone gets a new sync value in its own file and in its syncinfo.xml.
    hub = entry.runtime_data
    assert hub.syncs == {PHONE_MAC: "2"}
    own = parse_cnf(hub.files[f"SIP{PHONE_MAC}.cnf"].content)
    assert own["sync"] == "2"
    tftp = hub.tftp
    assert tftp is not None
    served = await tftp_read(("127.0.0.1", tftp.port), "syncinfo.xml")
    assert served.ok
    assert b'SYNC="2"' in served.data
    await hass.async_block_till_done()
    attempt = manager.resyncs.get(PHONE_MAC)
    assert attempt is not None
    assert attempt.state is ResyncState.REQUESTED

    # A restart keeps the sync value, so the phone's files do not change.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.syncs == {PHONE_MAC: "2"}


async def test_simulated_phone_reloads_after_resync(
    hass: HomeAssistant, tftp_root: Path
) -> None:
    put_firmware(tftp_root)
    entry = make_entry(tftp_root, model="7960")
    manager = await setup_entry(hass, entry)
    phone = simulated(entry, TARGET, model="7960")
    await phone.start_sip()
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, "voip_control_port": phone.sip_port}
    )
    await hass.async_block_till_done()
    try:
        report = await phone.boot()
        assert report.state is PhoneState.REGISTERED, report.error
        assert phone.sync == "1"
        await hass.async_block_till_done()

        await hass.services.async_call(
            DOMAIN, "resync", {ATTR_ENTITY_ID: [RESYNC]}, blocking=True
        )
        sync = await asyncio.wait_for(phone.sync_reports.get(), 10)
    finally:
        await phone.stop()
    await hass.async_block_till_done()

    assert sync.fetched == ["syncinfo.xml", "dialplan.xml"]
    assert sync.rebooted
    assert sync.boot is not None
    assert sync.boot.state is PhoneState.REGISTERED
    assert phone.sync == "2"  # it read its new value after the reboot
    attempt = manager.resyncs.get(PHONE_MAC)
    assert attempt is not None
    assert attempt.state is ResyncState.DONE


async def test_resync_needs_the_phone_ip(hass: HomeAssistant, tftp_root: Path) -> None:
    entry = make_entry(tftp_root, model="7960")
    await setup_entry(hass, entry)
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: RESYNC}, blocking=True
        )
    assert caught.value.translation_key == "no_ip_address"
    assert caught.value.translation_placeholders == {"phone": "Desk"}


async def test_unanswered_resync_is_reported(
    hass: HomeAssistant,
    tftp_root: Path,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = make_entry(
        tftp_root, model="7960", voip_control_port=free_port(socket.SOCK_DGRAM)
    )
    remember_phone(hass_storage, entry, observation(TARGET))
    manager = await setup_entry(hass, entry)
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: RESYNC}, blocking=True
    )
    freezer.tick(61)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    freezer.tick(TICK_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    attempt = manager.resyncs.get(PHONE_MAC)
    assert attempt is not None
    assert attempt.state is ResyncState.FAILED
    assert "did not follow the resync" in caplog.text
    event = hass.states.get("event.desk_provisioning")
    assert event is not None
    assert event.attributes["event_type"] == "error"
    assert "check-sync" in event.attributes["reason"]


async def _failed(manager: Any) -> Any:
    """Wait (bounded) for the background restart to fail the resync."""
    async with asyncio.timeout(10):
        while (attempt := manager.resyncs.get(PHONE_MAC)) is None or (
            attempt.state is not ResyncState.FAILED
        ):
            await asyncio.sleep(0.05)
    return attempt


async def test_resync_of_an_offline_phone_fails_at_once(
    hass: HomeAssistant,
    tftp_root: Path,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue #12 item 3: no waiting for the 60 s timeout (no clock moved here)."""
    entry = make_entry(
        tftp_root, model="7960", voip_control_port=free_port(socket.SOCK_DGRAM)
    )
    remember_phone(hass_storage, entry, observation(TARGET))
    manager = await setup_entry(hass, entry)
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: RESYNC}, blocking=True
    )
    attempt = await _failed(manager)
    assert "did not answer" in attempt.reason
    assert "did not follow the resync" in caplog.text


async def test_resync_of_a_7961_says_why_it_cannot_restart(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    """Issue #13 item 2: no check-sync a 7961 would ignore, no 60 s wait."""
    entry = make_entry(tftp_root, model="7961")
    remember_phone(hass_storage, entry, observation("SIP41.8-5-4S"))
    manager = await setup_entry(hass, entry)
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: RESYNC}, blocking=True
    )
    attempt = await _failed(manager)
    assert "ignores check-sync" in attempt.reason
    assert "power-cycle" in attempt.reason
