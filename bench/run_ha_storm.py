#!/usr/bin/env python3
"""Boot storm inside a real Home Assistant vs the standalone engine (issue #16).

Why: 300 phones after a power cut did not boot inside Home Assistant while the
engine alone served them in a fraction of a second; a benchmark that starts a
real ``hass`` (recorder on, websocket clients connected) and the standalone
engine in the same run, with the same files and the same simulated 7960s,
shows the gap and tells whether a fix meets the targets. Only public
interfaces are used (HTTP, websocket, TFTP on the wire, the engine's CLI,
/proc, the recorder's SQLite), so it keeps working when the integration's
internals change.

Per N (``--phones 100,300,1000``):

* standalone: ``python -m custom_components.cisco_ip_phone.provisioning tftp``
  serving the files ``render`` wrote for N phones; a storm (all N at once),
  then, in a fresh process, a power cut;
* Home Assistant: a temporary config dir, onboarding, then the config flow
  with "import the folder" on a copy of the same files: one flow creates the
  server and its N phone subentries (see bench/README.md for why this path);
  the storm; a restart (stop, start, until TFTP answers and the entry is
  loaded); the power cut. During storm and power cut a websocket client pings
  every 50 ms and another counts ``state_changed`` events; recorder rows are
  counted in ``home-assistant_v2.db`` before and after.

Phones are ``bench/storm_phones.py`` processes (each phone from its own
127.20.x.y address). Every phase has a deadline; hass and the standalone
server are always stopped and the temporary dir removed (unless --keep).

  /work/main/.venv/bin/python bench/run_ha_storm.py --phones 50,100
  /work/main/.venv/bin/python bench/run_ha_storm.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
import contextlib
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from ha_storm_hass import (  # noqa: E402
    Api,
    EventCounter,
    Hass,
    Pinger,
    ProcessPinger,
    frontend_path,
    machine_busy_seconds,
    proc_cpu_seconds,
    proc_rss_mb,
    wait_quiet,
)
from storm_phones import FIRMWARE, LOADER, mac_for, tftp_read  # noqa: E402

DOMAIN = "cisco_ip_phone"
ENGINE = "custom_components.cisco_ip_phone.provisioning"
COMMIT_INTERVAL = 5.0  # the recorder's default commit_interval
NETNS_MARK = "HA_STORM_NETNS"
SETTLE_LIMIT = 120.0  # longest wait for the recorder to catch up, s
# Our state writes count as over after this long without one (a storm's
# held batch goes out within about two seconds of its end).
WRITES_QUIET_S = 3.0

TARGETS = {
    "storm_ratio": 3.0,
    "ping_p99_ms": 250.0,
    "ping_max_ms": 1000.0,
    "writes_per_phone": 10.0,
    "cpu_ratio": 5.0,
    "restart_s": 15.0,
    "powercut_ratio": 1.10,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--phones", default="100,300,1000", help="comma-separated Ns")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: N=50, power cut over 10 s with short delays",
    )
    ap.add_argument("--skip-powercut", action="store_true")
    ap.add_argument("--skip-standalone", action="store_true", help="HA side only")
    ap.add_argument("--out", type=Path, default=None, help="append JSONL records")
    ap.add_argument(
        "--report",
        type=Path,
        default=None,
        help="only print the tables of an --out file, run nothing",
    )
    ap.add_argument("--ramp", type=float, default=60.0, help="power-on spread, s")
    ap.add_argument("--boot-delay", type=float, default=10.0)
    ap.add_argument("--app-start-delay", type=float, default=23.0)
    ap.add_argument("--reboot-delay", type=float, default=26.0)
    ap.add_argument("--max-reboots", type=int, default=6)
    ap.add_argument("--rrq-timeout", type=float, default=4.0)
    ap.add_argument("--rrq-tries", type=int, default=5)
    ap.add_argument("--with-os79xx", action="store_true")
    ap.add_argument(
        "--deadline",
        type=float,
        default=360.0,
        help="phones give up after S s, set-up and restart wait at most S s; a"
        " phase is cut off at S + quiet-wait + 180 s and reported as failed",
    )
    ap.add_argument("--workdir", type=Path, default=None, help="default: a temp dir")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    ap.add_argument(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="before each storm / power cut wait up to S s for an idle machine",
    )
    ap.add_argument(
        "--no-netns",
        action="store_true",
        help="do not run in a private network namespace (loopback only)",
    )
    a = ap.parse_args(argv)
    if a.quick:
        a.phones = "50"
        a.ramp, a.boot_delay, a.app_start_delay, a.reboot_delay = 10.0, 1.0, 3.0, 5.0
    a.ns = [int(n) for n in str(a.phones).split(",") if n.strip()]
    return a


# -- files ---------------------------------------------------------------------


def engine(*args: str, timeout: float = 120) -> str:
    """Run the engine's command line; return its stdout."""
    out = subprocess.run(
        [sys.executable, "-m", ENGINE, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"engine {args[0]} failed: {out.stderr[-500:]}")
    return out.stdout


def prepare_files(n: int, work: Path) -> Path:
    """Render N phones' files with the engine CLI; add the SIP 8.12 package.

    The server settings are the CLI's own example (proxy, NTP, a dial plan, a
    ring tone), so every file a 7960 asks for exists. The firmware package
    (``.loads`` naming loader and application, fake image bytes) is what a
    user has in the folder: without it every phone's image check would be a
    "not found" and a repair issue, which is not this benchmark's question.
    """
    server = json.loads(engine("render", "--example"))["server"]
    phones = [
        {
            "mac": mac_for(i),
            "model": "7960",
            "label": f"Desk {2000 + i}",
            "lines": [
                {
                    "name": str(2000 + i),
                    "password": f"pw-{2000 + i}",
                    "display_name": f"Desk {2000 + i}",
                }
            ],
        }
        for i in range(n)
    ]
    settings = work / "settings.json"
    settings.write_text(json.dumps({"server": server, "phones": phones}))
    rendered = work / "rendered"
    engine("render", "--settings", str(settings), "--out", str(rendered))
    firmware = {
        f"{FIRMWARE}.loads": (
            f"{FIRMWARE}.loads\n{LOADER}.sbn\n{FIRMWARE}.sb2\nLA_VERSION=PAS30830\n"
        ).encode(),
        f"{LOADER}.sbn": b"\x02" * 1500,
        f"{FIRMWARE}.sb2": b"\x03" * 7000,
    }
    for name, data in firmware.items():
        (rendered / name).write_bytes(data)
    return rendered


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_tcp_range(count: int) -> int:
    """First of ``count`` consecutive free TCP ports (FTP passive range)."""
    for base in range(41000, 60000, count + 1):
        socks: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        else:
            return base
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError("no free TCP port range")


# -- phones and the standalone server -------------------------------------------


async def run_phones(
    a: argparse.Namespace, port: int, n: int, mode: str
) -> dict[str, Any]:
    """Run N simulated phones in their own process; cut off at the deadline."""
    argv = [
        sys.executable, str(BENCH / "storm_phones.py"),
        "--target", f"127.0.0.1:{port}", "--phones", str(n), "--mode", mode,
        "--ramp", str(a.ramp), "--boot-delay", str(a.boot_delay),
        "--app-start-delay", str(a.app_start_delay),
        "--reboot-delay", str(a.reboot_delay), "--max-reboots", str(a.max_reboots),
        "--rrq-timeout", str(a.rrq_timeout), "--rrq-tries", str(a.rrq_tries),
        "--deadline", str(a.deadline),
    ]  # fmt: skip
    if a.with_os79xx:
        argv.append("--with-os79xx")
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), a.deadline + 30)
    except TimeoutError:
        return {"error": "phone client did not end", "registered": 0}
    finally:
        if proc.returncode is None:  # cut off or interrupted: end it, by its pid
            proc.kill()
            await proc.wait()
    if proc.returncode != 0:
        return {"error": err.decode()[-500:], "registered": 0}
    result: dict[str, Any] = json.loads(out)
    return result


async def measured(
    a: argparse.Namespace, port: int, n: int, mode: str, pid: int
) -> dict[str, Any]:
    """Run the phones and account for the CPU: server, client, everyone else.

    ``other_cpu_s`` is what the rest of the machine used meanwhile (the
    orchestrator, other people's work): large values mark a disturbed run.
    """
    busy0, cpu0 = machine_busy_seconds(), proc_cpu_seconds(pid) or 0.0
    res = await run_phones(a, port, n, mode)
    busy1, cpu1 = machine_busy_seconds(), proc_cpu_seconds(pid) or 0.0
    res["server_cpu_s"] = cpu1 - cpu0
    res["other_cpu_s"] = (busy1 - busy0) - (cpu1 - cpu0) - res.get("client_cpu_s", 0)
    res["cpu0"] = cpu0
    return res


async def tftp_answers(port: int, deadline: float) -> bool:
    """Poll until the server sends ``SIPDefault.cnf`` (a file with no MAC in it,
    so the probe is not mistaken for a phone)."""
    while time.monotonic() < deadline:
        got = await tftp_read(
            ("127.0.0.1", port),
            "SIPDefault.cnf",
            local="127.0.0.1",
            timeout=0.3,
            tries=1,
        )
        if got.ok:
            return True
        await asyncio.sleep(0.05)
    return False


class Standalone:
    """The engine's TFTP server alone, one process per run."""

    def __init__(self, root: Path, log: Path) -> None:
        self.root = root
        self.log = log
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self, deadline: float) -> float | None:
        argv = [
            sys.executable, "-m", ENGINE, "tftp", "--root", str(self.root),
            "--listen", f"127.0.0.1:{self.port}",
        ]  # fmt: skip
        started = time.monotonic()
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                argv, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        if not await tftp_answers(self.port, deadline):
            return None
        return time.monotonic() - started

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self.proc = None


async def standalone_side(
    a: argparse.Namespace, n: int, root: Path, work: Path
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    modes = ["storm"] if a.skip_powercut else ["storm", "powercut"]
    for mode in modes:
        server = Standalone(root, work / "standalone.log")
        try:
            startup = await server.start(time.monotonic() + 60)
            if startup is None:
                out[mode] = {"error": "standalone server did not answer"}
                continue
            assert server.proc is not None
            pid = server.proc.pid
            quiet = await wait_quiet(a.quiet_wait) if a.quiet_wait > 0 else {}
            res = await measured(a, server.port, n, mode, pid)
            res["quiet"] = quiet
            res["startup_s"] = startup
            res["rss_mb"] = proc_rss_mb(pid)[0]
            out[mode] = res
        finally:
            server.stop()
        print(f"  standalone {mode}: {brief(out[mode])}", flush=True)
    return out


def brief(res: dict[str, Any]) -> str:
    if "error" in res:
        return f"ERROR {res['error'][:200]}"
    wall = res.get("wall_s")
    text = (
        f"registered {res.get('registered')}/{res.get('phones')}"
        f" wall={fmt(wall)}s elapsed={fmt(res.get('elapsed_s'))}s"
        f" last_registered={fmt(res.get('last_registered_s'))}s"
        f" cpu={fmt(res.get('server_cpu_s'))}s timeouts={res.get('timeouts')}"
    )
    if res.get("failed_files"):
        text += f" failed_at={res['failed_files']}"
    return text


# -- Home Assistant ------------------------------------------------------------------


class HaRun:
    """One Home Assistant for one N: setup, storm, restart, power cut."""

    def __init__(self, a: argparse.Namespace, n: int, work: Path, root: Path) -> None:
        self.a = a
        self.n = n
        self.root = root
        port = free_port(socket.SOCK_STREAM)
        self.hass = Hass(work / "ha-config", REPO, port, a.frontend)
        self.api = Api(self.hass.base)
        self.tftp_port = free_port()
        self.ours: set[str] = set()
        self.kinds: dict[str, str] = {}
        self.entry_id = ""
        self.out: dict[str, Any] = {}
        self.partial: dict[str, Any] = {}  # what a phase measured so far

    async def run(self) -> dict[str, Any]:
        try:
            await self._phase("setup", self._setup)
            await self._phase("storm", lambda: self._load("storm"))
            await self._phase("restart", self._restart)
            if not self.a.skip_powercut:
                await self._phase("powercut", lambda: self._load("powercut"))
        finally:
            stop_s, clean = await asyncio.to_thread(self.hass.stop)
            self.out["final_stop_s"], self.out["final_stop_clean"] = stop_s, clean
            await self.api.close()
        return self.out

    async def _phase(self, name: str, step: Any) -> None:
        """Run one phase under the deadline; record a failure and go on."""
        # Without a set-up server nothing can run; without a restart no power cut.
        needed = ["setup"] + (["restart"] if name == "powercut" else [])
        if name != "setup" and any("error" in self.out.get(p, {}) for p in needed):
            self.out[name] = {"error": "skipped: an earlier phase failed"}
            return
        started = time.monotonic()
        # The phones stop themselves at --deadline; around them come the
        # quiet wait and the recorder's catch-up (at most SETTLE_LIMIT).
        limit = self.a.deadline + self.a.quiet_wait + SETTLE_LIMIT + 60
        self.partial = {}
        try:
            async with asyncio.timeout(limit) as cut:
                self.out[name] = await step()
        except TimeoutError as err:
            # Keep what was measured before the cut (the phones' results).
            error = (
                f"cut off after {limit:.0f} s"
                if cut.expired()
                else f"Home Assistant did not answer in time ({err!r})"
            )
            self.out[name] = {**self.partial, "error": error}
        except Exception as err:  # reported; the run goes on
            tail = self.hass.log_tail(8)
            error = f"{type(err).__name__}: {err}"
            self.out[name] = {**self.partial, "error": error, "log": tail}
        self.out[name]["phase_s"] = time.monotonic() - started
        print(f"  HA {name}: {summary(name, self.out[name])}", flush=True)

    async def _setup(self) -> dict[str, Any]:
        launched = self.hass.start()
        if not await self.api.wait_http(time.monotonic() + 120):
            raise RuntimeError("HTTP did not come up")
        http_s = time.monotonic() - launched
        await self.api.onboard()
        running_s = await self._wait_running(launched)
        ftp_port = free_port(socket.SOCK_STREAM)
        passive = free_tcp_range(10)
        flow_started = time.monotonic()
        flow = await self.api.post(
            "/api/config/config_entries/flow",
            {"handler": DOMAIN, "show_advanced_options": False},
        )
        result = await self.api.post(
            f"/api/config/config_entries/flow/{flow['flow_id']}",
            {
                "root": str(self.root),
                "host": "127.0.0.1",
                "tftp_port": self.tftp_port,
                "ftp_port": ftp_port,
                "passive_start": passive,
                "passive_end": passive + 9,
                "ftp_username": "cisco",
                "ftp_password": "storm-bench-ftp",
                "import_folder": True,
            },
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"config flow did not create the entry: {result}")
        self.entry_id = result["result"]["entry_id"]
        flow_s = time.monotonic() - flow_started
        deadline = time.monotonic() + self.a.deadline
        tftp_ok = await tftp_answers(self.tftp_port, deadline)
        while await self.api.entry_state(DOMAIN) != "loaded":
            if time.monotonic() > deadline:
                raise RuntimeError("the entry did not load")
            await asyncio.sleep(0.2)
        ready_s = time.monotonic() - flow_started
        ws = await self.api.ws()
        try:
            subentries = await ws.call(
                "config_entries/subentries/list", entry_id=self.entry_id
            )
            registry = await ws.call("config/entity_registry/list")
        finally:
            await ws.close()
        self.ours = {e["entity_id"] for e in registry if e.get("platform") == DOMAIN}
        # entity id -> what it shows (the unique id without its MAC or entry
        # id), so the state writes can be broken down by kind of entity.
        self.kinds = {
            e["entity_id"]: e["unique_id"].split("_", 1)[-1]
            for e in registry
            if e.get("platform") == DOMAIN and e.get("unique_id")
        }
        await self._settle()
        return {
            "http_up_s": http_s,
            "startup_empty_s": running_s,
            "flow_s": flow_s,
            "setup_s": ready_s,
            "tftp_answers": tftp_ok,
            "phones_created": len(subentries),
            "entities": len(self.ours),
            "rss_mb": proc_rss_mb(self.hass.pid)[0],
        }

    async def _wait_running(self, launched: float) -> float:
        """Seconds from launch until Home Assistant reports RUNNING."""
        ws = await self.api.ws()
        try:
            while (await ws.call("get_config")).get("state") != "RUNNING":
                await asyncio.sleep(0.1)
        finally:
            await ws.close()
        return time.monotonic() - launched

    async def _command(self, kind: str, timeout: float = 30.0, **fields: Any) -> Any:
        """One websocket command on its own connection, bounded in time.

        Raises TimeoutError (or aiohttp.ClientError) when an overloaded Home
        Assistant does not answer; callers decide whether that is fatal.
        """
        async with asyncio.timeout(timeout):
            ws = await self.api.ws()
            try:
                return await ws.call(kind, **fields)
            finally:
                await ws.close()

    async def _settle(
        self,
        limit: float = SETTLE_LIMIT,
        writes: Callable[[], int] | None = None,
    ) -> dict[str, Any]:
        """Wait for our state writes to stop and the recorder to store them.

        ``writes`` counts our state changes so far: the integration may hold
        a storm's writes back until the storm is over, so an empty recorder
        queue alone does not mean Home Assistant caught up. Bounded: a Home
        Assistant that never catches up (or does not even answer) is
        reported, not waited for.
        """
        deadline = time.monotonic() + limit
        backlog = None
        last, still_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            if writes is not None:
                count = writes()
                if count != last:
                    last, still_since = count, time.monotonic()
                if time.monotonic() - still_since < WRITES_QUIET_S:
                    await asyncio.sleep(0.5)
                    continue
            try:
                info = await self._command("recorder/info", timeout=15)
            except (TimeoutError, aiohttp.ClientError):
                await asyncio.sleep(0.5)
                continue  # too busy to answer: ask again
            backlog = info.get("backlog")
            if backlog == 0:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(COMMIT_INTERVAL + 1.5)
        return {"recorder_backlog": backlog, "caught_up": backlog == 0}

    async def _issues(self) -> set[str] | None:
        """Our open repair issues; None when Home Assistant does not answer."""
        try:
            result = await self._command("repairs/list_issues")
        except (TimeoutError, aiohttp.ClientError):
            return None
        return {i["issue_id"] for i in result["issues"] if i.get("domain") == DOMAIN}

    async def _load(self, mode: str) -> dict[str, Any]:
        """Storm or power cut with pings and event counting around it."""
        if not self.hass.alive():
            raise RuntimeError("hass is not running")
        await self.api.refresh()  # access tokens last 30 min; a run may not
        quiet = await wait_quiet(self.a.quiet_wait) if self.a.quiet_wait > 0 else {}
        issues0 = await self._issues()
        rows0 = await asyncio.to_thread(self.hass.states_rows, self.ours)
        counter = EventCounter(await self.api.ws(coalesce=True), self.ours, self.kinds)
        try:
            await counter.start()
            pinger = Pinger(self.api.base, self.api.access_token)
            pinger.start()
            own = ProcessPinger(self.api.base, self.api.access_token)
            own.start()
            storm_end: float | None = None
            try:
                res = await measured(
                    self.a, self.tftp_port, self.n, mode, self.hass.pid
                )
                storm_end = time.monotonic()
                self.partial = res
                # The pings go on until Home Assistant has caught up: work
                # held back during the storm must not escape the ping.
                res["settle"] = await self._settle(writes=counter.storm_writes)
            finally:
                split = storm_end or time.monotonic()
                pings = await asyncio.to_thread(own.stop, split)
                await asyncio.to_thread(pinger.stop)
            cpu0 = res["cpu0"]
            res["ping"], res["ping_catch_up"] = pings["before"], pings["whole"]
            res["quiet"] = quiet
            thread = pinger.summaries(split)
            res["ping_bench_thread"] = thread["before"]
            res["ping_bench_thread_catch_up"] = thread["whole"]
            res["catch_up_s"] = time.monotonic() - split
            cpu1 = proc_cpu_seconds(self.hass.pid) or 0.0
            res["server_cpu_settled_s"] = cpu1 - cpu0
            total, mine = counter.snapshot()
            res["events_lost"] = counter.lost
        finally:
            await counter.stop()
        res["state_changed_total"], res["state_changed_ours"] = total, mine
        res["state_changed_by_kind"] = dict(counter.by_kind.most_common())
        rows1 = await asyncio.to_thread(self.hass.states_rows, self.ours)
        if rows0 and rows1:
            res["rows_total"] = rows1[0] - rows0[0]
            res["rows_ours"] = rows1[1] - rows0[1]
        issues1 = await self._issues()
        if issues0 is not None and issues1 is not None:
            res["issues_raised"] = sorted(issues1 - issues0)
            res["issues_open"] = len(issues1)
        res["rss_mb"], res["rss_peak_mb"] = proc_rss_mb(self.hass.pid)
        return res

    async def _restart(self) -> dict[str, Any]:
        stop_s, clean = await asyncio.to_thread(self.hass.stop)
        launched = self.hass.start()
        deadline = time.monotonic() + self.a.deadline

        async def tftp() -> float | None:
            ok = await tftp_answers(self.tftp_port, deadline)
            return time.monotonic() - launched if ok else None

        probe = asyncio.create_task(tftp())
        try:
            if not await self.api.wait_http(deadline):
                raise RuntimeError("HTTP did not come up after the restart")
            http_s = time.monotonic() - launched
            while not await self.api.try_refresh():
                if time.monotonic() > deadline:
                    raise RuntimeError("no access token after the restart")
                await asyncio.sleep(0.1)
            while await self.api.entry_state(DOMAIN) != "loaded":
                if time.monotonic() > deadline:
                    raise RuntimeError("the entry did not load after the restart")
                await asyncio.sleep(0.1)
            loaded_s = time.monotonic() - launched
            running_s = await self._wait_running(launched)
            tftp_s = await probe
        finally:
            probe.cancel()
        settle = await self._settle()
        return {
            "stop_s": stop_s,
            "stop_clean": clean,
            "http_up_s": http_s,
            "tftp_answers_s": tftp_s,
            "entry_loaded_s": loaded_s,
            "running_s": running_s,
            "restart_s": max(loaded_s, tftp_s) if tftp_s is not None else None,
            "settle": settle,
            "rss_mb": proc_rss_mb(self.hass.pid)[0],
        }


def summary(name: str, res: dict[str, Any]) -> str:
    if "error" in res:
        return f"ERROR {res['error'][:300]}"
    if name == "setup":
        return (
            f"startup(empty)={fmt(res['startup_empty_s'])}s"
            f" setup={fmt(res['setup_s'])}s phones={res['phones_created']}"
            f" entities={res['entities']}"
        )
    if name == "restart":
        return (
            f"stop={fmt(res['stop_s'])}s tftp={fmt(res['tftp_answers_s'])}s"
            f" loaded={fmt(res['entry_loaded_s'])}s running={fmt(res['running_s'])}s"
        )
    ping = res.get("ping", {})
    whole = res.get("ping_catch_up", {})
    thread = res.get("ping_bench_thread", {})
    return (
        brief(res) + f" ping_p99={fmt(ping.get('p99_ms'), 0)}ms"
        f" max={fmt(ping.get('max_ms'), 0)}ms"
        f" (with catch-up {fmt(whole.get('p99_ms'), 0)}/"
        f"{fmt(whole.get('max_ms'), 0)}ms)"
        f" (bench thread: {fmt(thread.get('p99_ms'), 0)}/"
        f"{fmt(thread.get('max_ms'), 0)}ms) writes={res.get('state_changed_ours')}"
        f" rows={res.get('rows_ours')} issues={len(res.get('issues_raised', []))}"
        + "\n    writes by entity: "
        + ", ".join(f"{k} {v}" for k, v in res.get("state_changed_by_kind", {}).items())
    )


# -- report ----------------------------------------------------------------------


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("MET" if ok else "MISSED")


def _ratio(ha: float | None, std: float | None) -> float | None:
    return ha / std if ha is not None and std else None


def _per(value: float | None, n: int, scale: float = 1.0) -> float | None:
    return scale * value / n if value is not None else None


def _pair(first: Any, second: Any, digits: int = 2) -> str:
    return f"{fmt(first, digits)} / {fmt(second, digits)}"


class Table:
    """Rows of metric, standalone, HA, HA/standalone, target, verdict."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []

    def add(
        self,
        metric: str,
        std: Any = None,
        ha: Any = None,
        *,
        ratio: float | None = None,
        target: str = "",
        ok: bool | None = None,
    ) -> None:
        shown = f"{ratio:.2f}x" if ratio is not None else ""
        verdict_text = verdict(ok) if target else ""
        self.rows.append([metric, fmt(std), fmt(ha), shown, target, verdict_text])


def rows_for(n: int, std: dict[str, Any], ha: dict[str, Any]) -> list[list[str]]:
    """The table of one N; verdicts only where the HA side produced a value."""
    t = Table()
    s, h = std.get("storm", {}), ha.get("storm", {})
    if "error" in h:
        t.add("storm", ha=f"ERROR: {h['error'][:80]}", target="runs", ok=False)
    registered = h.get("registered")
    t.add(
        "storm: phones booted",
        s.get("registered"),
        registered,
        target=f"all {n}",
        ok=registered == n if registered is not None else None,
    )
    s_wall, h_wall = s.get("wall_s"), h.get("wall_s")
    q = _ratio(h_wall, s_wall)
    t.add(
        "storm: wall s, all phones at once (HA: elapsed if some failed)",
        s_wall,
        h_wall if h_wall is not None else h.get("elapsed_s"),
        ratio=q,
        target="<= 3x",
        ok=(q is not None and q <= TARGETS["storm_ratio"]) if h else None,
    )
    s_cpu, h_cpu = s.get("server_cpu_s"), h.get("server_cpu_settled_s")
    t.add("storm: server CPU s (HA: until the recorder caught up)", s_cpu, h_cpu)
    s_pp, h_pp = _per(s_cpu, n, 1000), _per(h_cpu, n, 1000)
    q = _ratio(h_pp, s_pp)
    t.add(
        "storm: server CPU ms per phone",
        s_pp,
        h_pp,
        ratio=q,
        target="<= 5x",
        ok=(q is not None and q <= TARGETS["cpu_ratio"]) if h_pp else None,
    )
    t.add(
        "storm: CPU s used by the rest of the machine meanwhile",
        s.get("other_cpu_s"),
        h.get("other_cpu_s"),
    )
    _ping_row(t, "storm", h)
    _write_rows(t, "storm", n, h)
    t.add(
        "storm: hass RSS MiB after / peak",
        ha=_pair(h.get("rss_mb"), h.get("rss_peak_mb"), 0),
    )
    setup, restart = ha.get("setup", {}), ha.get("restart", {})
    t.add(
        "HA start-up, empty config: launch to RUNNING s",
        ha=setup.get("startup_empty_s"),
    )
    t.add(f"HA setup of {n} phones: flow to loaded + TFTP s", ha=setup.get("setup_s"))
    t.add(f"HA stop with {n} phones s", ha=restart.get("stop_s"))
    r = restart.get("restart_s")
    t.add(
        "HA restart: launch to TFTP answers / entry loaded s",
        ha=_pair(restart.get("tftp_answers_s"), restart.get("entry_loaded_s")),
        target="< 15 s",
        ok=(r < TARGETS["restart_s"]) if r is not None else None,
    )
    t.add("HA restart: launch to RUNNING s", ha=restart.get("running_s"))
    if "powercut" in ha or "powercut" in std:
        _powercut_rows(t, n, std.get("powercut", {}), ha.get("powercut", {}))
    return t.rows


def _ping_row(t: Table, phase: str, h: dict[str, Any]) -> None:
    for key, when in (("ping", ""), ("ping_catch_up", " with catch-up")):
        ping = h.get(key) or {}
        if not ping:
            continue
        p99, top = ping.get("p99_ms"), ping.get("max_ms")
        ok = None
        if p99 is not None and top is not None:
            ok = p99 < TARGETS["ping_p99_ms"] and top < TARGETS["ping_max_ms"]
        t.add(
            f"{phase}{when}: ws ping p50 / p99 / max ms",
            ha=f"{fmt(ping.get('p50_ms'), 1)} / {fmt(p99, 1)} / {fmt(top, 1)}",
            target="p99 < 250, max < 1000",
            ok=ok,
        )
    if thread := h.get("ping_bench_thread"):
        t.add(
            f"{phase}: ws ping from a bench thread (GIL shared with the"
            " event counter) p50 / p99 / max ms",
            ha=f"{fmt(thread.get('p50_ms'), 1)} / {fmt(thread.get('p99_ms'), 1)}"
            f" / {fmt(thread.get('max_ms'), 1)}",
        )
    if (catch_up := h.get("catch_up_s")) is not None:
        t.add(
            f"{phase}: catch-up after the last phone, until our writes and"
            " the recorder are done s",
            ha=catch_up,
        )


def _write_rows(t: Table, phase: str, n: int, h: dict[str, Any]) -> None:
    if h.get("events_lost"):
        # Home Assistant dropped the subscriber (it fell 4096 messages
        # behind): count the recorder's rows instead, one per state change.
        per = _per(h.get("rows_ours"), n)
        how = "recorder rows: HA dropped the event subscriber"
    else:
        per = _per(h.get("state_changed_ours"), n)
        how = "state_changed events"
    # "Per phone per boot": judged only when every phone booted.
    judged = per is not None and h.get("registered") == n
    t.add(
        f"{phase}: state writes per phone, our entities ({how})",
        ha=per,
        target="<= 10",
        ok=(per <= TARGETS["writes_per_phone"]) if judged else None,
    )
    t.add(
        f"{phase}: state_changed events, all entities", ha=h.get("state_changed_total")
    )
    t.add(
        f"{phase}: recorder rows per phone, ours / all",
        ha=_pair(_per(h.get("rows_ours"), n), _per(h.get("rows_total"), n)),
    )


def _powercut_rows(t: Table, n: int, s: dict[str, Any], h: dict[str, Any]) -> None:
    if "error" in h:
        t.add("power cut", ha=f"ERROR: {h['error'][:80]}", target="runs", ok=False)
    registered = h.get("registered")
    t.add(
        "power cut: phones registered",
        s.get("registered"),
        registered,
        target=f"all {n}",
        ok=registered == n if registered is not None else None,
    )
    s_last, h_last = s.get("last_registered_s"), h.get("last_registered_s")
    if registered is not None and registered < n:
        # The last of those that made it is not "the last phone": no ratio.
        t.add(
            "power cut: time to last phone registered s",
            s_last,
            f"never ({n - registered} not registered)",
            target="<= 1.10x",
            ok=False,
        )
    else:
        q = _ratio(h_last, s_last)
        t.add(
            "power cut: time to last phone registered s",
            s_last,
            h_last,
            ratio=q,
            target="<= 1.10x",
            ok=(q <= TARGETS["powercut_ratio"]) if q else None,
        )
    worst = worst_phone_ratio(s.get("registered_at"), h.get("registered_at"))
    t.add(
        "power cut: worst phone, HA / standalone registration time",
        ratio=worst,
        target="<= 1.10x",
        ok=(worst <= TARGETS["powercut_ratio"]) if worst is not None else None,
    )
    issues = h.get("issues_raised")
    t.add(
        "power cut: repair issues raised",
        ha=len(issues) if issues is not None else None,
        target="0",
        ok=(not issues) if issues is not None else None,
    )
    _ping_row(t, "power cut", h)
    _write_rows(t, "power cut", n, h)
    t.add(
        "power cut: server CPU s (HA: until the recorder caught up)",
        s.get("server_cpu_s"),
        h.get("server_cpu_settled_s"),
    )
    t.add(
        "power cut: CPU s used by the rest of the machine meanwhile",
        s.get("other_cpu_s"),
        h.get("other_cpu_s"),
    )


def worst_phone_ratio(
    std: list[float | None] | None, ha: list[float | None] | None
) -> float | None:
    """Largest HA/standalone registration time over the phones.

    Both runs use the same power-on instants (same seed), so phone i is
    compared with itself; a phone registered only standalone counts as inf.
    """
    if not std or not ha:
        return None
    worst = 0.0
    for s_at, h_at in zip(std, ha, strict=False):
        if s_at is None:
            continue
        worst = max(worst, float("inf") if h_at is None else h_at / s_at)
    return worst


def print_table(n: int, rows: list[list[str]]) -> None:
    print(f"\n### N = {n}\n")
    print("| metric | standalone | Home Assistant | HA/standalone | target | verdict |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


# -- main ------------------------------------------------------------------------


async def one_n(a: argparse.Namespace, n: int, base: Path) -> dict[str, Any]:
    work = base / f"n{n}"
    work.mkdir(parents=True)
    print(f"N = {n}: rendering files", flush=True)
    rendered = await asyncio.to_thread(prepare_files, n, work)
    std_root, ha_root = work / "standalone-root", work / "ha-root"
    shutil.copytree(rendered, std_root)
    shutil.copytree(rendered, ha_root)
    std: dict[str, Any] = {}
    if not a.skip_standalone:
        std = await standalone_side(a, n, std_root, work)
    ha = await HaRun(a, n, work, ha_root).run()
    same = same_files(std, ha)
    record = {
        "bench": "ha_storm",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "phones": n,
        "cpus": os.cpu_count(),
        "loadavg": os.getloadavg(),
        "files_differing_from_standalone": same,
        "options": {k: str(v) for k, v in vars(a).items()},
        "standalone": std,
        "ha": ha,
    }
    rows = rows_for(n, std, ha)
    record["table"] = rows
    print_table(n, rows)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"\nload average (1, 5, 15 min) at the end on {os.cpu_count()} CPUs: {load}")
    shown = "n/a" if same is None else (", ".join(same) or "none")
    print(f"files phone 0 got from HA that differ from standalone's: {shown}")
    return record


def same_files(std: dict[str, Any], ha: dict[str, Any]) -> list[str] | None:
    """Names phone 0 received from both with different bytes (storm runs).

    The check that both sides really served the same generated files: the
    import round trip (render, import, render) must give the CLI's bytes.
    """
    s_dig = (std.get("storm", {}).get("digests") or [None])[0]
    h_dig = (ha.get("storm", {}).get("digests") or [None])[0]
    if not s_dig or not h_dig:
        return None
    return sorted(k for k in s_dig.keys() & h_dig.keys() if s_dig[k] != h_dig[k])


async def main_async(a: argparse.Namespace) -> int:
    base = a.workdir or Path(tempfile.mkdtemp(prefix="ha-storm-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"work dir {base}", flush=True)
    try:
        for n in a.ns:
            record = await one_n(a, n, base)
            if a.out is not None:
                a.out.parent.mkdir(parents=True, exist_ok=True)
                with a.out.open("a") as f:
                    f.write(json.dumps(record) + "\n")
    finally:
        if not a.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


def enter_private_network(argv: list[str]) -> None:
    """Re-run this script in a new network namespace that has only loopback.

    Home Assistant's default integrations (network, zeroconf through the HTTP
    client helper, cloud, analytics) may look beyond the machine; in a private
    namespace nothing but 127.0.0.0/8 exists, so every packet of the run stays
    on loopback by construction. Multicast is routed to ``lo`` too: the HTTP
    client helper opens a zeroconf socket that must join 224.0.0.251, and
    without a route Home Assistant's analytics fails to set up (ENODEV).
    Needs root, util-linux ``unshare`` and iproute2.
    """
    script = (
        "ip link set lo up && ip link set lo multicast on"
        ' && ip route add 224.0.0.0/4 dev lo && exec "$@"'
    )
    os.environ[NETNS_MARK] = "1"
    os.execvp(
        "unshare",
        ["unshare", "--net", "--", "sh", "-c", script, "sh", sys.executable, *argv],
    )


def report(path: Path) -> int:
    """Print the tables of recorded runs again (e.g. after a table change)."""
    for line in path.read_text().splitlines():
        record = json.loads(line)
        n = record["phones"]
        print_table(n, rows_for(n, record["standalone"], record["ha"]))
        load = ", ".join(f"{v:.1f}" for v in record.get("loadavg", []))
        print(f"\nload average (1, 5, 15 min) at the end: {load}")
    return 0


def main(argv: list[str] | None = None) -> int:
    raw = sys.argv if argv is None else [sys.argv[0], *argv]
    a = parse_args(argv)
    if a.report is not None:
        return report(a.report)
    a.frontend = frontend_path()  # before the namespace: pip needs the network
    if (
        not a.no_netns
        and NETNS_MARK not in os.environ
        and os.geteuid() == 0
        and shutil.which("unshare")
        and shutil.which("ip")
    ):
        enter_private_network(raw)
    if NETNS_MARK not in os.environ:
        print("note: not in a private network namespace", flush=True)
    loop = asyncio.new_event_loop()
    task = loop.create_task(main_async(a))
    # SIGTERM like Ctrl-C: cancel, so every finally stops hass and cleans up.
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    try:
        return loop.run_until_complete(task)
    except asyncio.CancelledError:
        print("interrupted; hass and the servers were stopped", flush=True)
        return 130
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


if __name__ == "__main__":
    sys.exit(main())
