#!/usr/bin/env python3
"""FTP benchmark: our server (as Home Assistant runs it) vs vsftpd.

Same run, same user, same root, same load generator
(/work/shared/bench/ftp_load.py): F1 upload one 256 MiB file, F2 download
it, F3 50 concurrent 1 MiB uploads. vsftpd is configured exactly like the
shared suite does it (the user's Raspberry Pi notes). Our server is started
with ``python -m custom_components.cisco_ip_phone.provisioning ftp``, i.e.
``FtpServer.start()`` on an asyncio loop that also runs a loop-lag probe and,
with --with-tftp, the TFTP server. Repetitions are interleaved; medians and
ratios (ours / vsftpd) are printed, plus the event loop's lag p99.

Needs root (vsftpd logs in a local user through PAM). One command:

  .venv/bin/python bench/run_ftp.py --reps 3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from pathlib import Path
import signal
import statistics
import subprocess
import sys
import tempfile
import time

SHARED = os.environ.get("FTP_BENCH_SHARED", "/work/shared/bench")
sys.path.insert(0, SHARED)
import common  # noqa: E402
import run_ftp_suite as suite  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OURS_PORT = 2123
TARGETS = {"f1": 0.9, "f2": 0.9, "f3": 5.0}
LAG_TARGET_MS = 50.0


def start_ours(
    logdir: str, stats_out: str, extra: list[str]
) -> tuple[subprocess.Popen, int]:
    if suite.tcp_listening(OURS_PORT):
        raise RuntimeError(f"TCP port {OURS_PORT} already in use")
    argv = [
        sys.executable,
        "-m",
        "custom_components.cisco_ip_phone.provisioning",
        "ftp",
        "--root",
        suite.FTP_ROOT,
        "--listen",
        f"127.0.0.1:{OURS_PORT}",
        "--user",
        suite.USER,
        "--password",
        suite.PASSWORD,
        "--passive-ports",
        "42000-42999",
        "--lag-probe",
        "--stats-out",
        stats_out,
        *extra,
    ]
    with open(os.path.join(logdir, "ours.stdout"), "ab") as out:
        proc = subprocess.Popen(
            argv,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"our server exited rc={proc.returncode} at start")
        if suite.tcp_listening(OURS_PORT):
            return proc, OURS_PORT
        time.sleep(0.05)
    common.stop_tree(proc.pid)
    raise RuntimeError("our server did not listen")


def stop_ours(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)  # clean stop: writes the lag/stats report
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        common.stop_tree(proc.pid)
        proc.wait(timeout=5)


def run_load(
    a: argparse.Namespace, label: str, wl: str, port: int, pid: int, rep: int
) -> dict:
    loadgen = os.path.join(SHARED, "ftp_load.py")
    argv = [
        sys.executable,
        loadgen,
        "--target",
        f"127.0.0.1:{port}",
        "--user",
        suite.USER,
        "--password",
        suite.PASSWORD,
        "--dir",
        suite.UPLOAD_DIR,
        "--workload",
        wl,
        "--size-mib",
        str(a.size_mib),
        "--local-file",
        a.local_file,
        "--clients",
        str(a.clients),
        "--server-pid",
        str(pid),
        "--label",
        label,
        "--rep",
        str(rep),
    ]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"load generator failed: {r.stderr[-600:]}")
    return json.loads(r.stdout)


def one_run(a: argparse.Namespace, label: str, wl: str, rep: int) -> dict:
    stats_out = os.path.join(a.logdir, f"ours-{label}-{wl}-{rep}.json")
    if label == "vsftpd":
        proc, port = suite.start("vsftpd", a.logdir)
    else:
        extra = list(a.ours_args)
        if label.endswith("+fsync"):
            extra.append("--fsync")
        proc, port = start_ours(a.logdir, stats_out, extra)
    os.sync()
    if a.quiet_wait > 0:
        common.wait_quiet(a.quiet_wait)
    try:
        rec = run_load(a, label, wl, port, proc.pid, rep)
    finally:
        if label == "vsftpd":
            common.stop_tree(proc.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        else:
            stop_ours(proc)
        time.sleep(0.3)
    if label != "vsftpd":
        with open(stats_out) as f:
            report = json.load(f)
        rec["lag"] = report.get("lag")
        rec["server_stats"] = report.get("stats")
    return rec


def summarise(records: list[dict], labels: list[str], workloads: list[str]) -> str:
    lines = []

    def med(label: str, wl: str, key: str) -> float | None:
        xs = [
            r[key]
            for r in records
            if r["label"] == label and r["workload"] == wl and r.get(key) is not None
        ]
        return statistics.median(xs) if xs else None

    lines.append(
        "| workload | server | MB/s (median) | wall s | ok | server CPU s | "
        "ratio vs vsftpd | target | loop lag p99 ms (max over runs) |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|")
    verdicts = []
    for wl in workloads:
        base = med("vsftpd", wl, "MB_per_s")
        for label in labels:
            mbs = med(label, wl, "MB_per_s")
            wall = med(label, wl, "wall_s")
            cpu = med(label, wl, "server_cpu_s")
            oks = [
                f"{r['ok']}/{r['items']}"
                for r in records
                if r["label"] == label and r["workload"] == wl
            ]
            lags = [
                r["lag"]["p99_ms"]
                for r in records
                if r["label"] == label and r["workload"] == wl and r.get("lag")
            ]
            lag = f"{max(lags):.1f}" if lags else "-"
            ratio = mbs / base if mbs and base else None
            target = TARGETS.get(wl) if label != "vsftpd" else None
            verdict = ""
            if target is not None and ratio is not None:
                verdict = ">=" if ratio >= target else "BELOW"
                verdicts.append((label, wl, ratio, target, ratio >= target))
            if mbs and wall and cpu is not None and ratio is not None:
                cells = [
                    f"{mbs:.1f}",
                    f"{wall:.3f}",
                    ",".join(oks),
                    f"{cpu:.2f}",
                    f"{ratio:.2f}x",
                    f"{verdict} {target or ''}".strip(),
                ]
            else:
                cells = [str(mbs), str(wall), ",".join(oks), str(cpu), "-", "-"]
            lines.append(f"| {wl.upper()} | {label} | {' | '.join(cells)} | {lag} |")
    all_lags = [r["lag"]["p99_ms"] for r in records if r.get("lag")]
    lines.append("")
    if all_lags:
        worst = max(all_lags)
        ok = "meets" if worst < LAG_TARGET_MS else "MISSES"
        lines.append(
            f"event-loop lag p99, worst run: {worst:.2f} ms ({ok} the "
            f"< {LAG_TARGET_MS:.0f} ms target)"
        )
    for label, wl, ratio, target, good in verdicts:
        lines.append(
            f"{label} {wl.upper()}: {ratio:.2f}x vsftpd "
            f"({'meets' if good else 'MISSES'} >= {target}x)"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--workloads", default="f1,f2,f3")
    ap.add_argument(
        "--fsync-variant",
        action="store_true",
        help="also run our server with --fsync (durable uploads)",
    )
    ap.add_argument(
        "--with-tftp",
        action="store_true",
        help="run the TFTP server in the same loop as FTP",
    )
    ap.add_argument("--size-mib", type=int, default=256)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--logdir", default=None)
    ap.add_argument("--local-file", default="/tmp/ftpbench/data/upload-256MiB.bin")
    ap.add_argument("--quiet-wait", type=float, default=10.0)
    ap.add_argument("--out", default=None, help="append raw records (JSONL) here")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root (vsftpd logs in a local user)", file=sys.stderr)
        return 2
    a.logdir = a.logdir or tempfile.mkdtemp(prefix="ftpbench-")
    a.ours_args = ["--with-tftp", "127.0.0.1:0"] if a.with_tftp else []
    suite.ensure_user()
    workloads = a.workloads.split(",")
    labels = ["vsftpd", "ours"] + (["ours+fsync"] if a.fsync_variant else [])
    records: list[dict] = []
    print(f"vsftpd {common.pkg_version('vsftpd')}; logs in {a.logdir}", flush=True)
    for rep in range(1, a.reps + 1):
        for label in labels:
            suite.clean_uploads()
            for wl in workloads:
                print(f"[rep {rep}] {label:10s} {wl} ...", end=" ", flush=True)
                try:
                    rec = one_run(a, label, wl, rep)
                except Exception as e:  # report and go on
                    print(f"FAILED: {e}")
                    continue
                records.append(rec)
                lag = rec.get("lag")
                lag_txt = f" lag p99={lag['p99_ms']:.1f}ms" if lag else ""
                print(
                    f"wall={rec['wall_s']:.3f}s {rec['MB_per_s']:.1f} MB/s "
                    f"ok={rec['ok']}/{rec['items']} "
                    f"srv_cpu={rec['server_cpu_s']:.2f}s{lag_txt}",
                    flush=True,
                )
                if a.out:
                    with open(a.out, "a") as f:
                        f.write(json.dumps(rec) + "\n")
    suite.clean_uploads()
    print()
    print(summarise(records, labels, workloads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
