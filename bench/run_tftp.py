#!/usr/bin/env python3
"""TFTP benchmark: our server (as Home Assistant runs it) vs tftpd-hpa.

Same run, same root, same load generator (the shared harness' tftp_load.py):
W1 one 4 MiB download (512 B, and blksize 1428), W2 boot storm of N phones
all at once (8 requests each, 2 of them "file not found"), W3 20 concurrent
2 MiB downloads. tftpd-hpa is started exactly as the shared suite starts it
(tftp_servers.py). Ours is ``python -m custom_components.cisco_ip_phone.provisioning
tftp`` with ``--lag-probe``: a task in the server's own event loop sleeps
10 ms and records how late it wakes, so event-loop lag is measured under load.
A fresh server process per run; repetitions interleaved; medians and ratios
(ours / tftpd-hpa) are printed against the targets of issue #3.

  .venv/bin/python bench/run_tftp.py --reps 3
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO = Path(__file__).resolve().parents[1]
DEFAULT_HARNESS = (REPO / ".." / "shared" / "bench").resolve()
OURS_PORT = 6968
WORKLOADS = "w1-512,w1-1428,w2:1000,w3"


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--workloads", default=WORKLOADS, help=f"default {WORKLOADS}")
    ap.add_argument("--harness", type=Path, default=DEFAULT_HARNESS)
    ap.add_argument(
        "--bench-python",
        default="/tmp/bench-venv/bin/python",
        help="interpreter for the load generator (the harness venv)",
    )
    ap.add_argument("--root", default="/tmp/tftpbench-team/root")
    ap.add_argument("--logdir", default="/tmp/tftpbench-team/logs")
    ap.add_argument("--out", default="/tmp/tftpbench-team/results.jsonl")
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--quiet-wait", type=float, default=10.0)
    return ap.parse_args()


class Ours:
    """Our server in its own process, stopped with SIGTERM (it writes its stats)."""

    def __init__(self, root: str, logdir: str) -> None:
        handle, self.stats_path = tempfile.mkstemp(
            prefix="tftp-stats-", suffix=".json", dir=logdir
        )
        os.close(handle)
        argv = [
            sys.executable, "-m", "custom_components.cisco_ip_phone.provisioning",
            "tftp", "--root", root, "--listen", f"127.0.0.1:{OURS_PORT}",
            "--lag-probe", "--stats-out", self.stats_path,
        ]  # fmt: skip
        with open(os.path.join(logdir, "ours.stdout"), "ab") as out:
            self.proc = subprocess.Popen(
                argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        self.port = OURS_PORT
        self.pid = self.proc.pid

    def wait_ready(self, busy) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"our server exited rc={self.proc.returncode}")
            if busy(self.port):
                time.sleep(0.2)
                return
            time.sleep(0.05)
        raise RuntimeError("our server did not bind within 60 s")

    def stop(self) -> dict:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return {}
        try:
            with open(self.stats_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}
        finally:
            if os.path.exists(self.stats_path):
                os.unlink(self.stats_path)


def run_load(
    a: argparse.Namespace,
    workload: str,
    label: str,
    port: int,
    pid: int,
    rep: int,
    quiet: dict,
) -> dict:
    name, _, n = workload.partition(":")
    argv = [
        a.bench_python,
        str(a.harness / "tftp_load.py"),
        "--root",
        a.root,
        "--workload",
        name,
        "--label",
        label,
        "--json-out",
        a.out,
        "--rep",
        str(rep),
        "--procs",
        str(a.procs),
        "--no-prepare",
        "--target",
        f"127.0.0.1:{port}",
        "--server-pid",
        str(pid),
        "--meta",
        json.dumps({"quiet": quiet}),
    ]
    if name == "w2":
        argv += ["--phones", n or "1000"]
    elif name == "w3" and n:
        argv += ["--streams", n]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"load generator failed: {r.stderr[-400:]}")
    return json.loads(r.stdout)


def med(records: list[dict], key) -> float | None:
    values = [key(r) for r in records]
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def ratio(ours: float | None, ref: float | None) -> float | None:
    if ours is None or not ref:
        return None
    return ours / ref


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("MET" if ok else "MISSED")


def main() -> int:
    a = parse_args()
    sys.path.insert(0, str(a.harness))
    import common
    import tftp_servers

    os.makedirs(a.logdir, exist_ok=True)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    workloads = [w for w in a.workloads.split(",") if w]
    phones = max(
        [int(w.split(":")[1]) for w in workloads if w.startswith("w2:")] or [1]
    )
    subprocess.run(
        [
            a.bench_python,
            str(a.harness / "tftp_load.py"),
            "--target",
            "127.0.0.1:1",
            "--root",
            a.root,
            "--workload",
            "prepare",
            "--phones",
            str(phones),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    results: dict[tuple[str, str], list[dict]] = {}
    for rep in range(1, a.reps + 1):
        for workload in workloads:
            for server in ("tftpd-hpa", "ours"):
                print(f"[rep {rep}] {server:9} {workload:8} ...", end=" ", flush=True)
                ours = None
                if server == "ours":
                    ours = Ours(a.root, a.logdir)
                    ours.wait_ready(tftp_servers.udp_port_busy)
                    port, pid = ours.port, ours.pid
                else:
                    proc, port, pid = tftp_servers.start("tftpd-hpa", a.root, a.logdir)
                quiet = common.wait_quiet(a.quiet_wait) if a.quiet_wait > 0 else {}
                try:
                    rec = run_load(a, workload, server, port, pid, rep, quiet)
                finally:
                    if ours is not None:
                        stats = ours.stop()
                    else:
                        tftp_servers.stop(proc)
                        stats = {}
                rec["ours_stats"] = stats
                results.setdefault((server, workload), []).append(rec)
                lag = stats.get("lag", {})
                print(
                    f"wall={rec['wall_s']:.2f}s ok={rec['ok']}/{rec['items']} "
                    f"srv_cpu={fmt(rec['server_cpu_s'])}s "
                    f"rcvbuf_drops={rec['udp_delta'].get('RcvbufErrors')}"
                    + (f" lag_p99={lag['p99_ms']:.1f}ms" if lag else ""),
                    flush=True,
                )
                time.sleep(0.5)
    report(results, workloads)
    return 0


def _get(*path: str):
    """Getter for a nested key of a record (None when absent)."""

    def getter(record: dict):
        value = record
        for key in path:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value

    return getter


Row = tuple[str, "float | None", "float | None", str, "bool | None"]


def _rows(name: str, ref: list[dict], ours: list[dict]) -> list[Row]:
    def both(getter) -> tuple[float | None, float | None]:
        return med(ref, getter), med(ours, getter)

    rows: list[Row] = []
    if name in ("w1-512", "w1-1428", "w3"):
        r_mb, o_mb = both(_get("MB_per_s"))
        q = ratio(o_mb, r_mb)
        rows.append(("MB/s", r_mb, o_mb, ">= 1.0x", None if q is None else q >= 1.0))
        rows.append(("server CPU s", *both(_get("server_cpu_s")), "", None))
        rows.append(("ok transfers", *both(_get("ok")), "", None))
    if name == "w3":
        reads = med(ours, _get("ours_stats", "stats", "resolver", "disk_reads"))
        cached = med(ours, _get("ours_stats", "stats", "resolver", "cached_files"))
        met = None if reads is None else (reads == 1 and cached == 1)
        rows.append(("disk reads of the 2 MiB image", None, reads, "1", met))
        rows.append(("copies held in the cache", None, cached, "1", met))
    if name == "w2":
        r_wall, o_wall = both(_get("wall_s"))
        q = ratio(o_wall, r_wall)
        rows.append(
            ("wall s", r_wall, o_wall, "<= 0.3x", None if q is None else q <= 0.3)
        )
        items = med(ours, _get("items"))
        r_ok, o_ok = both(_get("ok"))
        rows.append(
            (
                "phones booted",
                r_ok,
                o_ok,
                "all",
                None if o_ok is None else o_ok == items,
            )
        )
        r_drop, o_drop = both(_get("udp_delta", "RcvbufErrors"))
        rows.append(
            (
                "UDP rcvbuf drops",
                r_drop,
                o_drop,
                "0",
                None if o_drop is None else o_drop == 0,
            )
        )
        r_cpu, o_cpu = both(_get("server_cpu_ms_per_phone"))
        rows.append(
            (
                "server CPU ms/phone",
                r_cpu,
                o_cpu,
                "<= 1.0 (tftpy)",
                None if o_cpu is None else o_cpu <= 1.0,
            )
        )
        lag = med(ours, _get("ours_stats", "lag", "p99_ms"))
        rows.append(
            (
                "event-loop lag p99 ms",
                None,
                lag,
                "< 50",
                None if lag is None else lag < 50,
            )
        )
        rows.append(
            (
                "event-loop lag max ms",
                None,
                med(ours, _get("ours_stats", "lag", "max_ms")),
                "",
                None,
            )
        )
    return rows


def report(results: dict[tuple[str, str], list[dict]], workloads: list[str]) -> None:
    print()
    print(
        "| workload | metric | tftpd-hpa | ours | ours/tftpd-hpa | target | verdict |"
    )
    print("|---|---|---|---|---|---|---|")
    for workload in workloads:
        ref = results.get(("tftpd-hpa", workload), [])
        ours = results.get(("ours", workload), [])
        for metric, r_val, o_val, target, ok in _rows(
            workload.split(":")[0], ref, ours
        ):
            q = ratio(o_val, r_val)
            shown = f"{q:.2f}x" if q is not None else ""
            print(
                f"| {workload} | {metric} | {fmt(r_val)} | {fmt(o_val)} | {shown} | "
                f"{target} | {verdict(ok) if target else ''} |"
            )
    reps = max(len(v) for v in results.values())
    print(f"\nmedians of {reps} interleaved repetitions; raw records in --out (JSONL)")


if __name__ == "__main__":
    sys.exit(main())
