"""The storm benchmark's phones ask for what tests/simphone asks for.

``bench/storm_phones.py`` keeps its own 7960 model (each phone on its own
loopback address, reboots on timeouts), so this smoke test ties its request
sequence to simphone's, both served by the engine's TFTP server with the
files the engine renders. It asserts names and addresses, never timings.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
import sys
from types import ModuleType

from custom_components.cisco_ip_phone.provisioning.files.render import render_files
from custom_components.cisco_ip_phone.provisioning.settings.models import (
    DialRule,
    Line,
    PhoneConfig,
    RingTone,
    ServerSettings,
)
from custom_components.cisco_ip_phone.provisioning.tftp import (
    ContentResolver,
    TftpServer,
    TransferEvent,
)
from tests.support.simphone import PhoneState, PhoneTimings, SimulatedPhone

BENCH = Path(__file__).resolve().parents[1] / "bench" / "storm_phones.py"
LOADS = b"P0S3-8-12-00.loads\nP003-8-12-00.sbn\nP0S3-8-12-00.sb2\n"


def _bench_phones() -> ModuleType:
    """Import bench/storm_phones.py (bench/ is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("storm_phones", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("storm_phones", module)
    spec.loader.exec_module(module)
    return module


async def test_bench_phone_requests_what_simphone_requests(tmp_path: Path) -> None:
    storm = _bench_phones()
    mac = storm.mac_for(0)
    settings = ServerSettings(
        sip_proxy="pbx.example.net",
        dial_plan=(DialRule("*", timeout=5),),
        ring_tones=(RingTone("Chirp", "chirp1.raw"),),
    )
    phone = PhoneConfig(mac=mac, model="7960", lines=(Line("100", password="pw"),))
    (tmp_path / "P0S3-8-12-00.loads").write_bytes(LOADS)
    resolver = ContentResolver(tmp_path)
    resolver.set_generated(render_files(settings, [phone]))
    events: list[TransferEvent] = []
    server = TftpServer(resolver, host="127.0.0.1", port=0, on_event=events.append)
    await server.start()
    try:
        args = storm.parse_args(
            ["--target", f"127.0.0.1:{server.port}", "--phones", "1"]
        )
        result = await storm.run(args)
        bench = [(e.requested_name, e.client[0]) for e in events if e.kind == "request"]
        events.clear()
        report = await SimulatedPhone(
            mac, server=("127.0.0.1", server.port), timings=PhoneTimings.fast()
        ).boot()
    finally:
        await server.stop()

    assert result["registered"] == 1
    assert report.state is PhoneState.REGISTERED
    names = [name for name, _ in bench]
    # The last two are read in parallel by both: their order is not fixed.
    assert names[:-2] == report.names[:-2]
    assert (
        sorted(names[-2:])
        == sorted(report.names[-2:])
        == [
            "RINGLIST.DAT",
            "dialplan.xml",
        ]
    )
    assert {ip for _, ip in bench} == {storm.ip_for(0)}
