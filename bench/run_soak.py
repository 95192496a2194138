"""Soak: phones booting in waves, FTP uploads, abusers and a restart, all at once.

Runs two cases side by side, each in its own process with its own engine
(TftpServer + FtpServer on one asyncio loop, with the lag probe, as
``run_tftp.py`` / ``run_ftp.py`` do; no Home Assistant):

* **clean**: phones boot in waves (every phone fetches its boot files from
  its own loopback address 127.0.1.N, retrying like a phone), a user
  uploads a file over FTP every few seconds, and halfway through both
  servers are stopped and started again on the same ports;
* **abusive**: the same, plus slot hogs (bursts of RRQs with timeout=255
  that are never acknowledged), garbage datagrams, unacknowledged RRQs
  (reflection), large netascii requests, an FTP brute force and crowds of
  FTP connections that never log in, each from its own address.

Pass criteria, per case: every phone of every wave booted, every upload
landed intact, peak RSS under the stated budget, event-loop lag p99 under
50 ms, and no descriptor or thread left once the servers stopped.

    .venv/bin/python bench/run_soak.py --minutes 30
"""

from __future__ import annotations

import argparse
import asyncio
import ftplib
import hashlib
import io
import json
import os
from pathlib import Path
import random
import resource
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from custom_components.cisco_ip_phone.provisioning.ftp.server import (  # noqa: E402
    FtpServer,
    FtpSettings,
)
from custom_components.cisco_ip_phone.provisioning.tftp import (  # noqa: E402
    ContentResolver,
    TftpServer,
    TftpSettings,
)
from custom_components.cisco_ip_phone.provisioning.tftp.lagprobe import (  # noqa: E402
    LagProbe,
)

USER, PASSWORD = "phoneadmin", "soak-Pw-123"
BUDGET_MIB = 256  # peak RSS of the server process, stated up front
IMAGE = "P0S3-8-12-00.sb2"


def _rrq(name: str, **options: object) -> bytes:
    packet = b"\x00\x01" + name.encode() + b"\x00octet\x00"
    for key, value in options.items():
        packet += key.encode() + b"\x00" + str(value).encode() + b"\x00"
    return packet


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def make_root(root: Path, phones: int) -> dict[str, str]:
    """Write the boot files; return name -> sha256."""
    rng = random.Random(1)
    files = {
        IMAGE: rng.randbytes(600_000),
        "OS79XX.TXT": b"P0S3-8-12-00\n",
        "SIPDefault.cnf": b"image_version: P0S3-8-12-00\n" * 20,
        "big.txt": b"text line\n" * 3_000_000,  # 30 MB: streamed, netascii refused
    }
    for n in range(phones):
        mac = f"000E84{n:06X}"
        files[f"SIP{mac}.cnf"] = f"line1_name: {n}\n".encode()
        files[f"SEP{mac}.cnf.xml"] = f"<device>{n}</device>\n".encode()
    root.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (root / name).write_bytes(data)
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


# -- the server process ---------------------------------------------------------


async def serve(args: argparse.Namespace) -> None:
    root = Path(args.root)
    tftp_settings = TftpSettings(exempt_loopback=False)
    ftp_base = {
        "host": "127.0.0.1",
        "users": {USER: PASSWORD},
        "exempt_loopback": False,
    }
    fds0, threads0 = _fds(), threading.active_count()
    probe = LagProbe()
    probe.start()

    async def start(tftp_port: int, ftp_port: int) -> tuple[TftpServer, FtpServer]:
        tftp = TftpServer(
            ContentResolver(root),
            host="127.0.0.1",
            port=tftp_port,
            settings=tftp_settings,
            is_known_client=lambda ip: ip.startswith("127.0.1."),
        )
        await tftp.start()
        ftp = FtpServer(root, FtpSettings(port=ftp_port, **ftp_base))  # type: ignore[arg-type]
        await ftp.start()
        return tftp, ftp

    tftp, ftp = await start(0, 0)
    ports = {"tftp": tftp.port, "ftp": ftp.port}
    Path(args.ports).write_text(json.dumps(ports))
    rss_peak = 0
    before: dict[str, object] = {}
    half = args.seconds / 2
    began = time.monotonic()
    restarted = False
    while time.monotonic() - began < args.seconds:
        await asyncio.sleep(0.5)
        rss_peak = max(rss_peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        if not restarted and time.monotonic() - began >= half:
            restarted = True
            before = tftp.stats.as_dict()
            await tftp.stop()
            await ftp.stop()
            tftp, ftp = await start(ports["tftp"], ports["ftp"])
    after = tftp.stats.as_dict()
    summed = {
        key: int(value) + int(before.get(key, 0))  # type: ignore[call-overload]
        for key, value in after.items()
        if isinstance(value, int)
    }
    stats = {"tftp": summed, "ftp_logins": ftp.stats.logins}
    await tftp.stop()
    await ftp.stop()
    lag = await probe.stop()
    # The loop's executor threads are the loop's, not leaks: end them first.
    await asyncio.get_running_loop().shutdown_default_executor()
    await asyncio.sleep(0.2)
    result = {
        "rss_peak_mib": rss_peak / 1024,
        "lag": lag.as_dict(),
        "fds_left": _fds() - fds0,
        "threads_left": threading.active_count() - threads0,
        "stats": stats,
    }
    Path(args.result).write_text(json.dumps(result, default=str))


# -- the load process -----------------------------------------------------------


class Phone:
    """Boots like a 79xx: each file in turn, retrying after a pause."""

    def __init__(self, n: int, port: int, hashes: dict[str, str]) -> None:
        self.mac = f"000E84{n:06X}"
        self.source = f"127.0.1.{n + 1}"
        self.port = port
        self.hashes = hashes

    async def boot(self, deadline: float) -> bool:
        names = ["OS79XX.TXT", f"SEP{self.mac}.cnf.xml", "SIPDefault.cnf"]
        names += [f"SIP{self.mac}.cnf", IMAGE]
        for name in names:
            while True:
                if time.monotonic() > deadline:
                    return False
                data = await asyncio.to_thread(self._fetch, name)
                if (
                    data is not None
                    and hashlib.sha256(data).hexdigest() == self.hashes[name]
                ):
                    break
                await asyncio.sleep(random.uniform(1, 3))  # a phone's retry
        return True

    def _fetch(self, name: str) -> bytes | None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((self.source, 0))
            sock.settimeout(2)
            try:
                sock.sendto(_rrq(name, blksize=1400), ("127.0.0.1", self.port))
                chunks: list[bytes] = []
                expected, blksize = 1, 512
                while True:
                    packet, peer = sock.recvfrom(2000)
                    op = struct.unpack("!H", packet[:2])[0]
                    if op == 6:
                        blksize = 1400
                        sock.sendto(struct.pack("!HH", 4, 0), peer)
                        continue
                    if op != 3:
                        return None
                    block = struct.unpack("!H", packet[2:4])[0]
                    if block == expected & 0xFFFF:
                        chunks.append(packet[4:])
                        expected += 1
                    sock.sendto(struct.pack("!HH", 4, block), peer)
                    if len(packet) - 4 < blksize and block == (expected - 1) & 0xFFFF:
                        return b"".join(chunks)
            except OSError:
                return None


def upload(port: int, n: int) -> bool:
    data = random.Random(n).randbytes(1_000_000)
    name = f"upload-{n}.bin"
    for _ in range(5):
        try:
            with ftplib.FTP() as client:
                client.connect("127.0.0.1", port, timeout=10)
                client.login(USER, PASSWORD)
                client.storbinary(f"STOR {name}", io.BytesIO(data))
            break
        except (OSError, ftplib.Error, EOFError):
            time.sleep(1)
    return (ROOT / name).exists() and (ROOT / name).read_bytes() == data


ROOT = Path()


async def abuse(ports: dict[str, int], stop: float) -> dict[str, int]:
    """Everything an outsider on the LAN might do, in a loop."""
    counts = {"hog_rrqs": 0, "garbage": 0, "guesses": 0, "idle_ftp": 0}
    socks: list[socket.socket] = []
    for i in range(400):  # 20 addresses x 20 ports: each port is a transfer
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((f"127.0.2.{i % 20 + 1}", 0))
        sock.setblocking(False)
        socks.append(sock)

    def brute() -> None:
        while time.monotonic() < stop:
            try:
                with ftplib.FTP(source_address=("127.0.3.1", 0)) as client:
                    client.connect("127.0.0.1", ports["ftp"], timeout=5)
                    client.login(USER, f"guess{random.random()}")
            except (OSError, ftplib.Error, EOFError):
                counts["guesses"] += 1
                time.sleep(0.2)

    def idle() -> None:
        held: list[socket.socket] = []
        while time.monotonic() < stop:
            for h in range(4, 8):
                try:
                    conn = socket.create_connection(
                        ("127.0.0.1", ports["ftp"]),
                        timeout=2,
                        source_address=(f"127.0.{h}.1", 0),
                    )
                    held.append(conn)
                    counts["idle_ftp"] += 1
                except OSError:
                    pass
            time.sleep(1)
            while len(held) > 200:
                held.pop(0).close()
        for conn in held:
            conn.close()

    threads = [threading.Thread(target=f, daemon=True) for f in (brute, idle)]
    for thread in threads:
        thread.start()
    target = ("127.0.0.1", ports["tftp"])
    while time.monotonic() < stop:
        for sock in socks:
            for _ in range(1):
                try:
                    sock.sendto(_rrq(IMAGE, timeout=255), target)
                    sock.sendto(_rrq("big.txt").replace(b"octet", b"netascii"), target)
                    sock.sendto(os.urandom(random.randint(1, 600)), target)
                except OSError:
                    pass
                counts["hog_rrqs"] += 2
                counts["garbage"] += 1
            try:
                while True:
                    sock.recv(4096)  # read replies, never acknowledge
            except OSError:
                pass
        await asyncio.sleep(0.2)
    for thread in threads:
        thread.join(timeout=15)
    for sock in socks:
        sock.close()
    return counts


async def load(args: argparse.Namespace) -> None:
    global ROOT
    ROOT = Path(args.root)
    ports = json.loads(Path(args.ports).read_text())
    hashes = json.loads(Path(args.hashes).read_text())
    stop = time.monotonic() + args.seconds - 5
    phones = [Phone(n, ports["tftp"], hashes) for n in range(args.phones)]
    waves = booted = uploads = landed = 0
    abuser = asyncio.create_task(abuse(ports, stop)) if args.case == "abusive" else None
    upload_tasks: list[asyncio.Task[bool]] = []
    n = 0
    while time.monotonic() < stop - 30:
        waves += 1
        wave_deadline = time.monotonic() + 60
        boots = asyncio.gather(*(p.boot(wave_deadline) for p in phones))
        while not boots.done():
            upload_tasks.append(
                asyncio.create_task(asyncio.to_thread(upload, ports["ftp"], n))
            )
            n += 1
            await asyncio.sleep(5)
        booted += sum(await boots)
        await asyncio.sleep(2)
    results = await asyncio.gather(*upload_tasks)
    uploads, landed = len(results), sum(results)
    abuse_counts = await abuser if abuser is not None else {}
    Path(args.result).write_text(
        json.dumps(
            {
                "waves": waves,
                "phones": args.phones,
                "booted": booted,
                "uploads": uploads,
                "landed": landed,
                "abuse": abuse_counts,
            }
        )
    )


# -- the driver -----------------------------------------------------------------


def run_case(
    case: str, args: argparse.Namespace, work: Path
) -> subprocess.Popen[bytes]:
    folder = work / case
    root = folder / "root"
    hashes = make_root(root, args.phones)
    (folder / "hashes.json").write_text(json.dumps(hashes))
    seconds = str(args.minutes * 60)
    common = [
        "--root",
        str(root),
        "--ports",
        str(folder / "ports.json"),
        "--seconds",
        seconds,
    ]
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--role",
            "server",
            *common,
            "--result",
            str(folder / "server.json"),
        ]
    )
    while not (folder / "ports.json").exists():
        time.sleep(0.1)
    return subprocess.Popen(
        [
            sys.executable, __file__, "--role", "load", "--case", case, *common,
            "--hashes", str(folder / "hashes.json"), "--phones", str(args.phones),
            "--result", str(folder / "load.json"), "--server-pid", str(server.pid),
        ]
    )  # fmt: skip


def report(work: Path) -> int:
    print(f"\nSoak results (memory budget: peak RSS <= {BUDGET_MIB} MiB per server)\n")
    print(
        "| case | waves | phones booted | uploads landed | peak RSS MiB "
        "| lag p99 / max ms | fds / threads left "
        "| TFTP refused (busy / per-address) | verdict |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    failed = 0
    for case in ("clean", "abusive"):
        server = json.loads((work / case / "server.json").read_text())
        load = json.loads((work / case / "load.json").read_text())
        lag = server["lag"]
        tftp = server["stats"]["tftp"]
        ok = (
            load["booted"] == load["waves"] * load["phones"]
            and load["landed"] == load["uploads"]
            and server["rss_peak_mib"] <= BUDGET_MIB
            and lag["p99_ms"] < 50
            and server["fds_left"] <= 0
            and server["threads_left"] <= 0
        )
        failed += not ok
        expected = load["waves"] * load["phones"]
        print(
            f"| {case} | {load['waves']} | {load['booted']}/{expected} "
            f"| {load['landed']}/{load['uploads']} | {server['rss_peak_mib']:.0f} "
            f"| {lag['p99_ms']:.1f} / {lag['max_ms']:.1f} "
            f"| {server['fds_left']} / {server['threads_left']} "
            f"| {tftp['busy']} / {tftp['source_limited']} "
            f"| {'PASS' if ok else 'FAIL'} |"
        )
        if load.get("abuse"):
            print(f"|   abuse sent | {load['abuse']} |||||||")
    return 1 if failed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--phones", type=int, default=40)
    ap.add_argument("--role", choices=("driver", "server", "load"), default="driver")
    ap.add_argument("--case", default="clean")
    ap.add_argument("--root")
    ap.add_argument("--ports")
    ap.add_argument("--hashes")
    ap.add_argument("--result")
    ap.add_argument("--seconds", type=float, default=0.0)
    ap.add_argument("--server-pid", type=int, default=0)
    args = ap.parse_args()
    if args.role == "server":
        asyncio.run(serve(args))
        return 0
    if args.role == "load":
        asyncio.run(load(args))
        return 0
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    loads = [run_case(case, args, work) for case in ("clean", "abusive")]
    for proc in loads:
        proc.wait()
    time.sleep(args.minutes * 60 * 0.02 + 3)
    deadline = time.monotonic() + 120
    while not all((work / c / "server.json").exists() for c in ("clean", "abusive")):
        if time.monotonic() > deadline:
            print("a server did not finish", file=sys.stderr)
            return 1
        time.sleep(1)
    return report(work)


if __name__ == "__main__":
    sys.exit(main())
