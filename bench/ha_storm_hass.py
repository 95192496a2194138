"""A real Home Assistant for the boot-storm bench, driven only from outside.

Why a separate process and only public interfaces: the integration's internals
are being rewritten; the bench must measure what a user's Home Assistant does
(recorder on, websocket clients connected) and keep working afterwards. So
Home Assistant runs as ``python -m homeassistant`` on a temporary config dir
and everything goes through HTTP (onboarding, auth, config-entry flows),
the websocket API (ping, state_changed events, recorder and repairs info),
TFTP on the wire, ``/proc`` and the recorder's SQLite file.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
import contextlib
import json
import multiprocessing
import os
from pathlib import Path
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

import aiohttp

try:  # Home Assistant's own JSON library; the stdlib works too, slower
    import orjson

    _loads: Callable[[str | bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover
    import json

    _loads = json.loads

CLIENT_ID = "http://127.0.0.1/storm-bench"
CONFIG_YAML = """\
# Written by bench/run_ha_storm.py: a plain Home Assistant, loopback only.
homeassistant:
  name: Storm bench
  latitude: 52.0
  longitude: 4.0
  elevation: 0
  unit_system: metric
  time_zone: UTC
  country: NL
  currency: EUR
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
config:
onboarding:
recorder:
repairs:
websocket_api:
logger:
  default: warning
"""
CLK_TCK = os.sysconf("SC_CLK_TCK")
FRONTEND_CACHE = Path("/tmp/ha-storm-frontend")


def frontend_path() -> Path:
    """The frontend package Home Assistant's manifest pins, installed once.

    Home Assistant goes into recovery mode without ``hass_frontend`` (a
    critical integration), and the test venv does not have it. It is
    installed with pip into a cache outside the repository and the shared
    venv, and only the hass process gets it on its ``PYTHONPATH``.
    """
    import homeassistant.components.frontend as frontend

    manifest = json.loads(
        (Path(frontend.__file__).parent / "manifest.json").read_text()
    )
    requirement = next(
        r for r in manifest["requirements"] if r.startswith("home-assistant-frontend")
    )
    target = FRONTEND_CACHE / requirement.partition("==")[2]
    if not (target / "hass_frontend").is_dir():
        print(f"installing {requirement} into {target} (once)", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--target",
                str(target),
                requirement,
            ],  # fmt: skip
            check=True,
            timeout=600,
        )
    return target


def proc_cpu_seconds(pid: int) -> float | None:
    """CPU time of a process, all threads, for measuring differences.

    The sum of every live thread's ``schedstat`` (nanoseconds):
    ``/proc/PID/stat`` counts in 10 ms ticks, too coarse for the standalone
    server's few tens of milliseconds. A thread that exits between two
    readings drops out of the sum (Home Assistant's workers live long);
    without schedstat the ticks are used.
    """
    total_ns = 0
    found = False
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError, IndexError):
                total_ns += int((task / "schedstat").read_text().split()[0])
                found = True
    except OSError:
        return None
    if found:
        return total_ns / 1e9
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    fields = [
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    ]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLK_TCK


async def wait_quiet(limit: float, busy_max: float = 0.25) -> dict[str, float]:
    """Wait up to ``limit`` s for 3 s in a row with the machine mostly idle.

    The machine is shared: someone else's test run would be measured as Home
    Assistant being slow. Returns what was seen, for the record.
    """
    cores = os.cpu_count() or 1
    started = time.monotonic()
    calm = 0
    fraction = 1.0
    while time.monotonic() - started < limit and calm < 3:
        before = machine_busy_seconds()
        await asyncio.sleep(1.0)
        fraction = (machine_busy_seconds() - before) / cores
        calm = calm + 1 if fraction <= busy_max else 0
    return {"waited_s": time.monotonic() - started, "busy_fraction": fraction}


def proc_rss_mb(pid: int) -> tuple[float | None, float | None]:
    """Current and peak resident memory (VmRSS, VmHWM) in MiB."""
    values: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    except OSError:
        return None, None
    return values.get("VmRSS"), values.get("VmHWM")


class Hass:
    """One ``hass`` process on a config dir; started and stopped by its pid."""

    def __init__(self, config_dir: Path, repo: Path, port: int, frontend: Path) -> None:
        self.config_dir = config_dir
        self.frontend = frontend
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / "configuration.yaml").write_text(CONFIG_YAML.format(port=port))
        link = config_dir / "custom_components"
        if not link.exists():
            link.symlink_to(repo / "custom_components")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def db_path(self) -> Path:
        return self.config_dir / "home-assistant_v2.db"

    def start(self) -> float:
        """Launch hass; return the monotonic launch instant."""
        self.starts += 1
        log = (self.config_dir / f"hass-run{self.starts}.log").open("ab")
        argv = [
            sys.executable, "-m", "homeassistant", "--config", str(self.config_dir),
            "--skip-pip", "--log-no-color",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(self.frontend)}
        started = time.monotonic()
        # Own session: on a hang the whole group is killed, nothing else.
        self.proc = subprocess.Popen(
            argv,
            env=env,
            cwd=self.config_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        return started

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 60.0) -> tuple[float, bool]:
        """SIGTERM and wait; SIGKILL the group after ``timeout``.

        Returns (seconds until it exited, whether it stopped by itself).
        """
        if self.proc is None:
            return 0.0, True
        started = time.monotonic()
        clean = True
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                clean = False
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        # Anything the group left behind (hass starts no children; be sure).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        elapsed = time.monotonic() - started
        self.proc = None
        return elapsed, clean

    def log_tail(self, lines: int = 30) -> str:
        path = self.config_dir / f"hass-run{self.starts}.log"
        try:
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def states_rows(self, ours: set[str]) -> tuple[int, int] | None:
        """Rows of the recorder's ``states`` table: all, and our entities'."""
        if not self.db_path.exists():
            return None
        try:
            con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        except sqlite3.Error:
            return None
        try:
            meta = dict(con.execute("SELECT metadata_id, entity_id FROM states_meta"))
            total = 0
            mine = 0
            for metadata_id, count in con.execute(
                "SELECT metadata_id, COUNT(*) FROM states GROUP BY metadata_id"
            ):
                total += count
                if meta.get(metadata_id) in ours:
                    mine += count
        except sqlite3.Error:
            return None
        finally:
            con.close()
        return total, mine


class Api:
    """HTTP and websocket access with a user made through onboarding."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        self.access_token = ""
        self.refresh_token = ""

    async def close(self) -> None:
        await self.session.close()

    async def wait_http(self, deadline: float) -> bool:
        """Wait until the HTTP server answers at all (any status)."""
        while time.monotonic() < deadline:
            try:
                async with self.session.get(
                    f"{self.base}/api/", timeout=aiohttp.ClientTimeout(total=2)
                ) as resp:
                    await resp.read()
                    return True
            except (aiohttp.ClientError, TimeoutError):
                await asyncio.sleep(0.1)
        return False

    async def onboard(self) -> None:
        """Create the owner as the onboarding page would; keep its tokens."""
        async with self.session.post(
            f"{self.base}/api/onboarding/users",
            json={
                "client_id": CLIENT_ID,
                "name": "Storm bench",
                "username": "storm",
                "password": "storm-bench-password",
                "language": "en",
            },
        ) as resp:
            resp.raise_for_status()
            code = (await resp.json())["auth_code"]
        await self._token({"grant_type": "authorization_code", "code": code})

    async def refresh(self) -> None:
        """New access token after a restart (refresh tokens survive it)."""
        await self._token(
            {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        )

    async def try_refresh(self) -> bool:
        """Refresh, or False while the auth endpoint is not up yet."""
        try:
            await self.refresh()
        except (aiohttp.ClientError, TimeoutError):
            return False
        return True

    async def _token(self, form: dict[str, str]) -> None:
        async with self.session.post(
            f"{self.base}/auth/token", data={**form, "client_id": CLIENT_ID}
        ) as resp:
            resp.raise_for_status()
            body = await resp.json()
        self.access_token = body["access_token"]
        self.refresh_token = body.get("refresh_token", self.refresh_token)

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    async def get(self, path: str) -> Any:
        async with self.session.get(f"{self.base}{path}", headers=self._auth) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.session.post(
            f"{self.base}{path}", json=body, headers=self._auth
        ) as resp:
            text = await resp.text()
            if resp.status >= 400:
                raise RuntimeError(f"POST {path}: {resp.status} {text[:300]}")
            return _loads(text)

    async def entry_state(self, domain: str) -> str | None:
        """State of the domain's config entry (``loaded``, ...).

        None when there is none yet, or while the config API is not set up
        (during a start).
        """
        try:
            entries = await self.get(
                f"/api/config/config_entries/entry?domain={domain}"
            )
        except (aiohttp.ClientError, TimeoutError):
            return None
        return entries[0]["state"] if entries else None

    async def ws(self, *, coalesce: bool = False) -> Ws:
        ws = Ws(self)
        await ws.connect(coalesce=coalesce)
        return ws


class Ws:
    """One websocket connection; ``call`` for commands, ``frames`` for events."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.conn: aiohttp.ClientWebSocketResponse | None = None
        self.next_id = 1

    async def connect(self, *, coalesce: bool) -> None:
        url = self.api.base.replace("http", "ws", 1) + "/api/websocket"
        self.conn = await self.api.session.ws_connect(url, max_msg_size=0)
        await self.conn.receive_json()  # auth_required
        await self.conn.send_json(
            {"type": "auth", "access_token": self.api.access_token}
        )
        reply = await self.conn.receive_json()
        if reply.get("type") != "auth_ok":
            raise RuntimeError(f"websocket auth failed: {reply}")
        if coalesce:
            await self.call("supported_features", features={"coalesce_messages": 1})

    async def send(self, kind: str, **fields: Any) -> int:
        assert self.conn is not None
        msg_id = self.next_id
        self.next_id += 1
        await self.conn.send_json({"id": msg_id, "type": kind, **fields})
        return msg_id

    async def call(
        self, kind: str, *, timeout: float | None = None, **fields: Any
    ) -> Any:
        """Send one command and return its result (no subscription on this socket).

        ``timeout`` bounds the wait for the answer (TimeoutError); a late
        answer to an earlier call is skipped by its id.
        """
        assert self.conn is not None
        msg_id = await self.send(kind, **fields)
        while True:
            text = await self.conn.receive_str(timeout=timeout)
            for msg in _messages(text):
                if msg.get("id") == msg_id and msg.get("type") == "result":
                    if not msg.get("success"):
                        raise RuntimeError(f"{kind}: {msg.get('error')}")
                    return msg.get("result")

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()
            self.conn = None


def _messages(text: str) -> list[dict[str, Any]]:
    data = _loads(text)
    return data if isinstance(data, list) else [data]


class EventCounter:
    """Count ``state_changed`` events, ours apart, from one subscription.

    Home Assistant drops a websocket client that falls 4096 messages behind;
    if that happens the counts are lower bounds and ``lost`` says so.
    """

    def __init__(
        self, ws: Ws, ours: set[str], kinds: dict[str, str] | None = None
    ) -> None:
        self.ws = ws
        self.ours = ours
        self.kinds = kinds or {}
        self.by_kind: collections.Counter[str] = collections.Counter()
        self.total = 0
        self.mine = 0
        self.lost = False
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.ws.call("subscribe_events", event_type="state_changed")
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws.conn is not None
        async for frame in self.ws.conn:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            for msg in _messages(frame.data):
                if msg.get("type") != "event":
                    continue
                self.total += 1
                entity_id = msg["event"]["data"].get("entity_id")
                if entity_id in self.ours:
                    self.mine += 1
                    self.by_kind[self.kinds.get(entity_id, "?")] += 1
        self.lost = True

    def snapshot(self) -> tuple[int, int]:
        return self.total, self.mine

    def storm_writes(self) -> int:
        """Our state writes so far, but for the reachability poll's.

        The online sensors follow a SIP poll that runs all the time, storm
        or not; what a storm's catch-up waits for is every other write.
        """
        return self.mine - self.by_kind.get("online", 0)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.ws.close()


type Samples = list[tuple[float, float]]  # (sent at, round trip or age)


class Pinger:
    """Websocket ``ping`` every 50 ms from a thread with its own event loop.

    Its own thread so the event counter's parsing in the main loop does not
    delay reading pongs. Pings are sent open-loop (not after the previous
    pong), so a stalled Home Assistant shows up as late pongs; pings still
    unanswered at the end count with their age. Each sample keeps the
    instant it was sent (``time.monotonic``, one clock for every process on
    the machine), so a run can be summed up for a part of its time
    (``summary(until=...)``): the storm alone, or the storm and its catch-up.
    """

    def __init__(self, base: str, token: str, interval: float = 0.05) -> None:
        self.base = base
        self.token = token
        self.interval = interval
        self.rtts: Samples = []  # (sent at, round trip)
        self.unanswered: Samples = []  # (sent at, age)
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ws-pinger")

    def start(self) -> None:
        self._thread.start()

    def stop(self, until: float | None = None) -> dict[str, Any]:
        """Stop; sum up the pings sent before ``until`` (all if None)."""
        self._stop.set()
        self._thread.join(timeout=30)
        return self.summary(until)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception as err:  # reported in the summary
            self.error = repr(err)

    async def _main(self) -> None:
        api = Api(self.base)
        api.access_token = self.token
        sent: dict[int, float] = {}
        try:
            ws = await api.ws()
            assert ws.conn is not None
            conn = ws.conn

            async def reader() -> None:
                async for frame in conn:
                    if frame.type != aiohttp.WSMsgType.TEXT:
                        break
                    now = time.monotonic()
                    for msg in _messages(frame.data):
                        if msg.get("type") == "pong" and msg.get("id") in sent:
                            at = sent.pop(msg["id"])
                            self.rtts.append((at, now - at))

            read = asyncio.create_task(reader())
            next_at = time.monotonic()
            while not self._stop.is_set() and not read.done():
                msg_id = await ws.send("ping")
                sent[msg_id] = time.monotonic()
                next_at += self.interval
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            await asyncio.sleep(0.2)  # let the last pongs in
            now = time.monotonic()
            self.unanswered = [(at, now - at) for at in sent.values()]
            read.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await read
            await ws.close()
        finally:
            await api.close()

    def summary(self, until: float | None = None) -> dict[str, Any]:
        return timed_summary(self.rtts, self.unanswered, self.error, until)

    def summaries(self, split: float) -> dict[str, dict[str, Any]]:
        return split_summaries(self.rtts, self.unanswered, self.error, split)


def timed_summary(
    rtts: Samples, unanswered: Samples, error: str | None, until: float | None
) -> dict[str, Any]:
    """``ping_summary`` of the pings sent before ``until`` (all if None).

    With the five slowest and when they were sent (``time.monotonic``), to
    line them up with what Home Assistant was doing then.
    """
    answered = [s for s in rtts if until is None or s[0] < until]
    waiting = [s for s in unanswered if until is None or s[0] < until]
    summary = ping_summary([v for _, v in answered], [v for _, v in waiting], error)
    slowest = sorted(answered + waiting, key=lambda s: s[1])[-5:]
    summary["slowest"] = [[round(at, 3), round(1000 * v, 1)] for at, v in slowest]
    return summary


def split_summaries(
    rtts: Samples, unanswered: Samples, error: str | None, split: float
) -> dict[str, dict[str, Any]]:
    """Before ``split`` (the storm) and the whole run (with catch-up)."""
    return {
        "before": timed_summary(rtts, unanswered, error, split),
        "whole": timed_summary(rtts, unanswered, error, None),
    }


def ping_summary(
    rtts: list[float], unanswered: list[float], error: str | None
) -> dict[str, Any]:
    """p50 / p99 / max of round trips, unanswered pings counted with their age."""
    values = sorted(rtts + unanswered)
    if not values:
        return {"samples": 0, "error": error}
    return {
        "samples": len(values),
        "unanswered": len(unanswered),
        "p50_ms": 1000 * statistics.median(values),
        "p99_ms": 1000 * values[min(len(values) - 1, int(0.99 * len(values)))],
        "max_ms": 1000 * values[-1],
        "error": error,
    }


def _pinger_process(base: str, token: str, stop: Any, out: Any) -> None:
    """Body of ``ProcessPinger``: a thread pinger in a process of its own."""
    pinger = Pinger(base, token)
    pinger.start()
    stop.wait()
    pinger.stop()
    out.send((pinger.rtts, pinger.unanswered, pinger.error))


class ProcessPinger:
    """The same pings from a process of its own.

    A thread of the bench shares the bench's GIL with the event counter,
    which parses every state_changed event in the main loop during a storm,
    so its pongs could be read late for reasons of the bench's own. This
    one cannot be: the verdict uses it, and the thread's figures are printed
    beside it as a cross-check (at N = 1,000 they agreed within 10 % in two
    runs: the stalls are Home Assistant's, not the bench's).
    """

    def __init__(self, base: str, token: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._stop = ctx.Event()
        self._out, child = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(
            target=_pinger_process,
            args=(base, token, self._stop, child),
            name="ws-pinger-process",
        )

    def start(self) -> None:
        self._proc.start()

    def stop(self, split: float) -> dict[str, dict[str, Any]]:
        """Stop; the pings sent before ``split`` and all of them, summed up."""
        self._stop.set()
        result: dict[str, dict[str, Any]] = {
            part: {"samples": 0, "error": "no report"} for part in ("before", "whole")
        }
        if self._out.poll(30):
            result = split_summaries(*self._out.recv(), split)
        self._proc.join(timeout=10)
        if self._proc.is_alive():
            self._proc.kill()
        return result
