"""Directory listing of the TFTP root, alone and next to a busy thread.

The resolver lists a directory in the executor while Home Assistant's event
loop and recorder keep the GIL busy. Every system call that releases the GIL
then waits to get it back (up to ``sys.getswitchinterval()``), so a listing
that calls ``stat`` for each of 2,000 files can take far longer than alone.

Side by side in the same run: the engine's ``scan_dir`` (names and types
only; a file is looked at when asked for) and a reference listing that looks
at every file (``DirEntry.stat``, what ``scan_dir`` did before), each alone
and next to one CPU-bound thread. Medians of ``--reps`` runs; read the
ratios, not the absolute times.

    .venv/bin/python bench/run_listing.py --files 2000 --reps 7
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import os
from pathlib import Path
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.cisco_ip_phone.provisioning.tftp.index import (
    scan_dir,
)


def stat_every_file(root: str, directory: str) -> dict[str, tuple[int, int]]:
    """The reference: one ``stat`` per entry while listing."""
    found = {}
    for item in sorted(os.scandir(directory), key=lambda entry: entry.name):
        info = item.stat(follow_symlinks=False)
        found[item.name.lower()] = (info.st_size, info.st_mtime_ns)
    return found


def timed(job: Callable[[str, str], object], root: str) -> float:
    started = time.perf_counter()
    job(root, root)
    return time.perf_counter() - started


def next_to_busy_thread(job: Callable[[str, str], object], root: str) -> float:
    stop = threading.Event()

    def burn() -> None:
        count = 0
        while not stop.is_set():
            count += 1

    busy = threading.Thread(target=burn, name="bench-busy")
    busy.start()
    try:
        result: list[float] = []
        worker = threading.Thread(
            target=lambda: result.append(timed(job, root)), name="bench-listing"
        )
        worker.start()
        worker.join()
        return result[0]
    finally:
        stop.set()
        busy.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-listing-") as root:
        for index in range(args.files):
            Path(root, f"SIP00270D{index:06X}.cnf").write_bytes(b"x" * 300)
        jobs = {
            "scan_dir (names and types)": scan_dir,
            "stat every file": stat_every_file,
        }
        rows = {}
        for name, job in jobs.items():
            alone = [timed(job, root) for _ in range(args.reps)]
            busy = [next_to_busy_thread(job, root) for _ in range(args.reps)]
            rows[name] = (statistics.median(alone), statistics.median(busy))
    print(f"{args.files} files, medians of {args.reps} runs, ms\n")
    print("| listing | alone | next to a CPU-bound thread | busy / alone |")
    print("|---|---|---|---|")
    for name, (alone_s, busy_s) in rows.items():
        print(
            f"| {name} | {alone_s * 1000:.1f} | {busy_s * 1000:.1f} "
            f"| {busy_s / alone_s:.1f}x |"
        )
    ours, reference = rows["scan_dir (names and types)"], rows["stat every file"]
    print(
        f"\nscan_dir / reference: alone {ours[0] / reference[0]:.2f}x, "
        f"next to a busy thread {ours[1] / reference[1]:.2f}x"
    )


if __name__ == "__main__":
    main()
