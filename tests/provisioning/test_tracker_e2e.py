"""Simulated phone -> our TFTP server -> transfer events -> tracker, end to end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from custom_components.cisco_ip_phone.provisioning.sip.notify import send_check_sync
from custom_components.cisco_ip_phone.provisioning.tftp import (
    ContentResolver,
    TftpServer,
    TransferEvent,
)
from custom_components.cisco_ip_phone.provisioning.tracking.tracker import (
    PhoneTracker,
    ProvisioningState as S,
    TrackerEvent,
)
from tests.support.macs import FIELD_7960_MAC
from tests.support.simphone import PhoneState, SimulatedPhone

MAC = FIELD_7960_MAC
SEP_SIP = (
    b"<device><deviceProtocol>SIP</deviceProtocol>"
    b'<loadInformation model="IP Phone 7960">P0S3-8-12-00</loadInformation></device>'
)
LOADS = b"\x00sig\x00P0S3-8-12-00.loads\x00P003-8-12-00.sbn\x00P0S3-8-12-00.sb2\x00"
SIP_MAC = b'line1_name: "1001"\nproxy1_address: "pbx.example"\n'


@dataclass
class Rig:
    root: Path
    server: TftpServer
    tracker: PhoneTracker
    events: list[TrackerEvent] = field(default_factory=list)

    def phone(self, **kwargs: object) -> SimulatedPhone:
        address = ("127.0.0.1", self.server.port)
        return SimulatedPhone(MAC, server=address, **kwargs)  # type: ignore[arg-type]

    def states(self) -> list[str]:
        return [e.observation.state for e in self.events if e.kind == "state_changed"]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    files = {
        f"SEP{MAC}.cnf.xml": SEP_SIP,
        "P0S3-8-12-00.loads": LOADS,
        "P003-8-12-00.sbn": b"L" * 1500,
        "P0S3-8-12-00.sb2": b"A" * 3000,
        "SIPDefault.cnf": b'dial_template: "dialplan"\n',
        "RINGLIST.DAT": b"CTU\tCTU.raw\n",
        "dialplan.xml": b"<DIALTEMPLATE/>",
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    # Simulated reboots take no time: boots are told apart by progress alone.
    tracker = PhoneTracker(lambda mac: mac == MAC)
    holder: list[Rig] = []

    def on_event(event: TransferEvent) -> None:
        holder[0].events.extend(tracker.handle(event))

    server = TftpServer(
        ContentResolver(tmp_path), host="127.0.0.1", port=0, on_event=on_event
    )
    holder.append(Rig(tmp_path, server, tracker))
    await server.start()
    try:
        yield holder[0]
    finally:
        await server.stop()


async def test_two_stage_upgrade_is_followed_to_configured(rig: Rig) -> None:
    (rig.root / f"SIP{MAC}.cnf").write_bytes(SIP_MAC)
    async with asyncio.timeout(30):
        report = await rig.phone(firmware="P00308010200").boot()

    assert report.state is PhoneState.REGISTERED
    obs = rig.tracker.observation(MAC)
    assert obs is not None
    assert obs.state is S.CONFIGURED
    assert obs.firmware == "P0S3-8-12-00"
    assert obs.ip == "127.0.0.1"
    assert [e.kind for e in rig.events].count("booted") == 3
    assert S.DOWNLOADING_LOADER in rig.states()
    assert S.DOWNLOADING_APPLICATION in rig.states()
    assert rig.states()[-1] == S.CONFIGURED
    assert not [e for e in rig.events if e.kind in ("error", "discovered")]


async def test_missing_application_image_is_firmware_missing(rig: Rig) -> None:
    (rig.root / "P0S3-8-12-00.sb2").unlink()
    async with asyncio.timeout(30):
        report = await rig.phone(firmware="P00308010200").boot()

    assert report.state is PhoneState.FIRMWARE_ERROR
    obs = rig.tracker.observation(MAC)
    assert obs is not None
    assert obs.state is S.FIRMWARE_MISSING
    assert "P0S3-8-12-00.sb2" in (obs.error or "")


async def test_phone_without_its_config_is_unprovisioned(rig: Rig) -> None:
    async with asyncio.timeout(30):
        report = await rig.phone().boot()

    assert report.state is PhoneState.UNPROVISIONED
    obs = rig.tracker.observation(MAC)
    assert obs is not None
    assert obs.state is S.UNPROVISIONED
    assert obs.firmware == "P0S3-8-12-00"


async def test_check_sync_notify_is_answered_and_seen(rig: Rig) -> None:
    """sip.send_check_sync -> 200 OK -> syncinfo.xml request -> sync_requested."""
    (rig.root / f"SIP{MAC}.cnf").write_bytes(SIP_MAC)
    (rig.root / "syncinfo.xml").write_bytes(
        b'<SYNCINFO><IMAGE VERSION="*" SYNC="2"/></SYNCINFO>'
    )
    phone = rig.phone()
    async with asyncio.timeout(30):
        await phone.boot()
    await phone.start_sip()
    try:
        rig.tracker.expect_sync(MAC)
        result = await send_check_sync(
            "127.0.0.1", port=phone.sip_port, user="1001", local_host="127.0.0.1"
        )
        assert result.status == 200
        async with asyncio.timeout(30):
            sync = await phone.sync_reports.get()
    finally:
        await phone.stop()
    assert sync.rebooted  # SYNC 2 differs from the phone's default sync 1
    kinds = [e.kind for e in rig.events]
    assert "sync_requested" in kinds
    assert kinds.index("sync_requested") < len(kinds) - 1  # the reboot follows
    assert rig.tracker.observation(MAC).state is S.CONFIGURED  # type: ignore[union-attr]
    assert not [e for e in rig.tracker.tick(10**10) if e.kind == "error"]
