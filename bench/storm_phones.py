#!/usr/bin/env python3
"""Simulated Cisco 7960s for the Home Assistant boot-storm benchmark.

Why not ``tests/support/simphone.py`` itself: the bench needs two things it leaves
out on purpose. Every phone must come from its own loopback address
(127.20.x.y), so the integration sees N distinct phones as on a LAN; and a
power cut needs phones that, when the server does not answer, reboot and try
again within a budget instead of stopping at "TFTP timeout". Everything else
follows simphone's decisions for a 7960 that already runs SIP 8.12 through the
universal loader (reference cisco79xx.md §1.3, §1.4, §5; LOG-TEO):

  CTLSEP<MAC>.tlv                     not found is normal
  SEP<MAC>.cnf.xml                    found: its loadInformation names the image
    (absent: SIP<MAC>.cnf, then MGC<MAC>.cnf and XMLDefault.cnf.xml)
  <image>.loads                       the image check; no download when current
  -- application start (~23 s on a real phone) --
  SIPDefault.cnf
  <tftp_cfg_dir>SIP<MAC>.cnf          "registered" once this arrived with a line
  RINGLIST.DAT + <dial_template>.xml  in parallel

``--with-os79xx`` adds an ``OS79XX.TXT`` read before ``SIPDefault.cnf`` (the
shared harness' W2 sequence does; 8.x phones did not in the logs).

TFTP client: RFC 1350, octet, no options, a fresh source port per file, every
DATA acknowledged, foreign TIDs answered with error 5, the last packet resent
every ``--rrq-timeout`` s up to ``--rrq-tries`` times (LOG-JH: 4 s, 5 tries).
A file that never arrives ends the boot: in storm mode the phone counts as
failed; in power-cut mode it reboots (``--reboot-delay``) and starts over, at
most ``--max-reboots`` times.

Runs as its own process so its CPU never delays the orchestrator's websocket
pings; prints one JSON object on stdout. Loopback targets only.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
import hashlib
import ipaddress
import json
from pathlib import Path
import random
import re
import resource
import struct
import sys
import time
from xml.etree import ElementTree

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
# How a phone reads a .cnf file, shared with the tests' simulated phone.
from tests.support.cnf_reader import parse_cnf  # noqa: E402

OP_RRQ, OP_DATA, OP_ACK, OP_ERROR = 1, 3, 4, 5
BLOCK = 512
ERR_UNKNOWN_TID = struct.pack("!HH", OP_ERROR, 5) + b"Unknown transfer ID\0"
MODEL_ID_7960 = 7
FIRMWARE = "P0S3-8-12-00"
LOADER = "P003-8-12-00"


def mac_for(index: int) -> str:
    """Return phone ``index``'s MAC (Cisco OUI 00:27:0D), as phones spell it."""
    return f"00270D{index:06X}"


def ip_for(index: int) -> str:
    """Return phone ``index``'s own loopback address: 127.20.0.2 and up.

    All of 127.0.0.0/8 is local on Linux, so a client can bind any of these
    without configuration; 250 phones per /24 keeps .0 and .255 out.
    """
    return f"127.20.{index // 250}.{index % 250 + 2}"


# -- TFTP ---------------------------------------------------------------------


@dataclass(slots=True)
class Fetch:
    """How one read went."""

    outcome: str  # ok, not_found, error, timeout
    data: bytes = b""
    retransmits: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


class _Read(asyncio.DatagramProtocol):
    """One lock-step read; the timer resends the last packet sent."""

    def __init__(
        self, server: tuple[str, int], name: str, timeout: float, tries: int
    ) -> None:
        self.server = server
        self.timeout = timeout
        self.tries_left = tries - 1
        self.loop = asyncio.get_running_loop()
        self.done: asyncio.Future[Fetch] = self.loop.create_future()
        self.peer: tuple[str, int] | None = None
        self.expect = 1
        self.chunks: list[bytes] = []
        self.retransmits = 0
        self.last = struct.pack("!H", OP_RRQ) + name.encode("latin-1") + b"\0octet\0"
        self.last_to = server
        self.transport: asyncio.DatagramTransport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport
        transport.sendto(self.last, self.last_to)
        self.timer = self.loop.call_later(self.timeout, self._expired)

    def _finish(self, outcome: str) -> None:
        if self.done.done():
            return
        if self.timer is not None:
            self.timer.cancel()
        data = b"".join(self.chunks) if outcome == "ok" else b""
        self.done.set_result(Fetch(outcome, data, self.retransmits))

    def _expired(self) -> None:
        if self.done.done() or self.transport is None:
            return
        if self.tries_left <= 0:
            self._finish("timeout")
            return
        self.tries_left -= 1
        self.retransmits += 1
        self.transport.sendto(self.last, self.last_to)
        self.timer = self.loop.call_later(self.timeout, self._expired)

    def error_received(self, exc: Exception) -> None:
        """ICMP errors count as a lost packet: the timer decides."""

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish("error")

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.done.done() or self.transport is None or len(data) < 4:
            return
        if self.peer is None:
            if addr[0] != self.server[0]:
                return
            self.peer = addr
        elif addr != self.peer:
            self.transport.sendto(ERR_UNKNOWN_TID, addr)
            return
        opcode, number = struct.unpack_from("!HH", data)
        if opcode == OP_DATA:
            if number == self.expect:
                payload = data[4:]
                self.chunks.append(payload)
                self.last, self.last_to = struct.pack("!HH", OP_ACK, number), addr
                self.transport.sendto(self.last, addr)
                if self.timer is not None:
                    self.timer.cancel()
                if len(payload) < BLOCK:
                    self._finish("ok")
                    return
                self.expect = (self.expect + 1) & 0xFFFF
                self.timer = self.loop.call_later(self.timeout, self._expired)
            elif number == (self.expect - 1) & 0xFFFF:
                self.transport.sendto(struct.pack("!HH", OP_ACK, number), addr)
        elif opcode == OP_ERROR:
            self._finish("not_found" if number == 1 else "error")
        else:
            self._finish("error")


async def tftp_read(
    server: tuple[str, int], name: str, *, local: str, timeout: float, tries: int
) -> Fetch:
    """Read ``name`` from ``server`` on a fresh port of ``local``; never raises."""
    loop = asyncio.get_running_loop()
    try:
        transport, proto = await loop.create_datagram_endpoint(
            lambda: _Read(server, name, timeout, tries), local_addr=(local, 0)
        )
    except OSError:
        return Fetch("error")
    try:
        return await proto.done
    finally:
        transport.close()


# -- what a 7960 parses --------------------------------------------------------


def load_information(data: bytes) -> str | None:
    """Return the image a SEP/XMLDefault file names for a 7960, if any."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return None
    for tag in (f"loadInformation{MODEL_ID_7960}", "loadInformation"):
        element = root.find(f".//{tag}")
        if element is not None and (element.text or "").strip():
            return (element.text or "").strip()
    return None


def parse_loads(data: bytes) -> tuple[str | None, str | None]:
    """Return the loader and application a ``.loads`` manifest lists."""
    names = [m.decode() for m in re.findall(rb"[\w.-]+\.sb[n2]", data)]
    loader = next((n[:-4] for n in names if n.endswith(".sbn")), None)
    app = next((n[:-4] for n in names if n.endswith(".sb2")), None)
    return loader, app


# -- one phone -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timings:
    """How long a phone waits; storm = no waiting, powercut = a real 7960."""

    rrq_timeout: float = 4.0
    rrq_tries: int = 5
    boot_delay: float = 0.0  # power-on to the first TFTP request
    app_start_delay: float = 0.0  # image check to SIPDefault.cnf (real: ~23 s)
    reboot_delay: float = 0.0  # a failed boot to the next hunt (real: ~26 s)
    max_reboots: int = 0


class _Rebooting(Exception):  # noqa: N818 - control flow
    """A file never arrived: the phone restarts."""


class _Ended(Exception):  # noqa: N818 - control flow
    """The boot ended in a state that rebooting would not change."""

    def __init__(self, state: str, file: str) -> None:
        super().__init__(state)
        self.state = state
        self.file = file


@dataclass(slots=True)
class Phone:
    """One 7960: identity, where its boot got, and what it cost."""

    index: int
    mac: str
    ip: str
    server: tuple[str, int]
    timings: Timings
    with_os79xx: bool = False
    keep_digests: bool = False
    state: str = "off"
    failed_file: str = ""
    registered_at: float | None = None
    done_at: float | None = None
    requests: int = 0
    retransmits: int = 0
    timeouts: int = 0
    reboots: int = 0
    digests: dict[str, str] = field(default_factory=dict)

    async def fetch(self, name: str) -> Fetch:
        self.requests += 1
        result = await tftp_read(
            self.server,
            name,
            local=self.ip,
            timeout=self.timings.rrq_timeout,
            tries=self.timings.rrq_tries,
        )
        self.retransmits += result.retransmits
        if result.outcome == "timeout":
            self.timeouts += 1
            self.failed_file = name
            raise _Rebooting
        if result.outcome == "error":
            raise _Ended("tftp_error", name)
        if self.keep_digests:
            self.digests[name] = (
                hashlib.sha256(result.data).hexdigest() if result.ok else "not_found"
            )
        return result

    async def power_on(self, t0: float, at: float) -> None:
        """Wait for power, then boot until registered, failed or out of reboots."""
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, t0 + at + self.timings.boot_delay - loop.time()))
        while True:
            try:
                await self._boot(t0)
            except _Rebooting:
                self.reboots += 1
                if self.reboots > self.timings.max_reboots:
                    self.state = "tftp_timeout"
                    break
                self.state = "rebooting"
                await asyncio.sleep(self.timings.reboot_delay)
                continue
            except _Ended as ended:
                self.state, self.failed_file = ended.state, ended.file
            break
        self.done_at = loop.time() - t0

    async def _boot(self, t0: float) -> None:
        self.state = "hunting"
        await self.fetch(f"CTLSEP{self.mac}.tlv")
        target = await self._hunt_target()
        if target:
            loads = await self.fetch(f"{target}.loads")
            if loads.ok:
                loader, app = parse_loads(loads.data)
                if loader != LOADER or app != FIRMWARE:
                    # Would download and reboot into another image: not the
                    # power-cut case this bench models.
                    raise _Ended("needs_upgrade", f"{target}.loads")
            elif target != FIRMWARE:
                raise _Ended("firmware_error", f"{target}.loads")
        if self.with_os79xx:
            await self.fetch("OS79XX.TXT")
        self.state = "starting_application"
        await asyncio.sleep(self.timings.app_start_delay)
        default = await self.fetch("SIPDefault.cnf")
        config = parse_cnf(default.data) if default.ok else {}
        prefix = config.get("tftp_cfg_dir", "./")
        own = await self.fetch(f"{prefix}SIP{self.mac}.cnf")
        if not own.ok:
            raise _Ended("unprovisioned", f"{prefix}SIP{self.mac}.cnf")
        config.update(parse_cnf(own.data))
        if not (config.get("line1_name") and config.get("proxy1_address")):
            raise _Ended("unprovisioned", f"{prefix}SIP{self.mac}.cnf")
        if self.registered_at is None:
            self.registered_at = asyncio.get_running_loop().time() - t0
        extras = ["RINGLIST.DAT"]
        if template := config.get("dial_template"):
            extras.append(f"{template}.xml")
        # In parallel, like LOG-TEO; both reads run to their own end.
        results = await asyncio.gather(
            *(self.fetch(name) for name in extras), return_exceptions=True
        )
        for failure in results:
            if isinstance(failure, BaseException):
                raise failure
        self.state = "registered"

    async def _hunt_target(self) -> str | None:
        sep = await self.fetch(f"SEP{self.mac}.cnf.xml")
        if sep.ok:
            return load_information(sep.data)
        sip = await self.fetch(f"SIP{self.mac}.cnf")
        if sip.ok and (image := parse_cnf(sip.data).get("image_version")):
            return image
        await self.fetch(f"MGC{self.mac}.cnf")
        default = await self.fetch("XMLDefault.cnf.xml")
        return load_information(default.data) if default.ok else None


# -- a run -----------------------------------------------------------------------


def _loopback(host: str) -> str:
    if not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"refusing a non-loopback target: {host}")
    return host


def _target(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return _loopback(host), int(port)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", type=_target, required=True, help="HOST:PORT")
    ap.add_argument("--phones", type=int, required=True)
    ap.add_argument("--mode", choices=("storm", "powercut"), default="storm")
    ap.add_argument(
        "--ramp", type=float, default=60.0, help="powercut: power-on spread"
    )
    ap.add_argument("--seed", type=int, default=1, help="powercut: power-on order")
    ap.add_argument("--rrq-timeout", type=float, default=4.0)
    ap.add_argument("--rrq-tries", type=int, default=5)
    ap.add_argument("--boot-delay", type=float, default=10.0, help="powercut only")
    ap.add_argument("--app-start-delay", type=float, default=23.0, help="powercut only")
    ap.add_argument("--reboot-delay", type=float, default=26.0, help="powercut only")
    ap.add_argument("--max-reboots", type=int, default=6, help="powercut only")
    ap.add_argument("--with-os79xx", action="store_true")
    ap.add_argument("--digests", type=int, default=1, help="record for the first K")
    ap.add_argument("--deadline", type=float, default=300.0, help="cut off after S s")
    return ap.parse_args(argv)


def timings_for(a: argparse.Namespace) -> Timings:
    if a.mode == "storm":
        return Timings(rrq_timeout=a.rrq_timeout, rrq_tries=a.rrq_tries)
    return Timings(
        rrq_timeout=a.rrq_timeout,
        rrq_tries=a.rrq_tries,
        boot_delay=a.boot_delay,
        app_start_delay=a.app_start_delay,
        reboot_delay=a.reboot_delay,
        max_reboots=a.max_reboots,
    )


def _tally(values: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return dict(sorted(out.items()))


async def run(a: argparse.Namespace) -> dict[str, object]:
    timings = timings_for(a)
    phones = [
        Phone(
            i,
            mac_for(i),
            ip_for(i),
            a.target,
            timings,
            with_os79xx=a.with_os79xx,
            keep_digests=i < a.digests,
        )
        for i in range(a.phones)
    ]
    rng = random.Random(a.seed)
    starts = (
        [0.0] * a.phones
        if a.mode == "storm"
        else [rng.uniform(0.0, a.ramp) for _ in phones]
    )
    loop = asyncio.get_running_loop()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = loop.time() + 0.2
    started_wall = time.time() + 0.2
    tasks = [
        asyncio.create_task(phone.power_on(t0, at))
        for phone, at in zip(phones, starts, strict=True)
    ]
    _, pending = await asyncio.wait(tasks, timeout=a.deadline)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=5)
    ended = loop.time() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    for phone in phones:
        if phone.done_at is None:
            phone.state = f"incomplete:{phone.state}"
    registered = [p for p in phones if p.state == "registered"]
    done = [p.done_at for p in phones if p.done_at is not None]
    reg_times = [p.registered_at for p in phones if p.registered_at is not None]
    masked = [re.sub(r"00270D[0-9A-F]{6}", "<MAC>", p.failed_file) for p in phones]
    return {
        "mode": a.mode,
        "phones": a.phones,
        "target": f"{a.target[0]}:{a.target[1]}",
        "timings": {
            name: getattr(timings, name) for name in Timings.__dataclass_fields__
        },
        "ramp_s": a.ramp if a.mode == "powercut" else 0.0,
        "started_epoch": started_wall,
        "registered": len(registered),
        "cut_off": bool(pending),
        "elapsed_s": ended,
        "wall_s": max(done) if len(done) == a.phones else None,
        "last_registered_s": max(reg_times) if reg_times else None,
        "states": _tally([p.state for p in phones]),
        "failed_files": _tally([m for m in masked if m]),
        "requests": sum(p.requests for p in phones),
        "retransmits": sum(p.retransmits for p in phones),
        "timeouts": sum(p.timeouts for p in phones),
        "reboots": sum(p.reboots for p in phones),
        "client_cpu_s": (cpu1.ru_utime + cpu1.ru_stime)
        - (cpu0.ru_utime + cpu0.ru_stime),
        "registered_at": [p.registered_at for p in phones],
        "digests": [p.digests for p in phones if p.keep_digests],
    }


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    result = asyncio.run(run(a))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
