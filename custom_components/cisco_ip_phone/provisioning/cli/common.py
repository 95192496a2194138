"""Command-line pieces the ``tftp`` and ``ftp`` subcommands share."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from pathlib import Path
import signal

from ..tftp.lagprobe import LagSummary


def listen_address(text: str) -> tuple[str, int]:
    """Parse ``HOST:PORT`` (``[::1]:69`` too); an empty host binds everywhere."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def add_measurement_arguments(parser: argparse.ArgumentParser, verbose: str) -> None:
    """Add the options the benchmarks use: lag probe, stats file, verbose log."""
    parser.add_argument(
        "--lag-probe",
        action="store_true",
        help="measure event-loop lag (10 ms sleeps); print p50/p99/max on exit",
    )
    parser.add_argument("--stats-out", type=Path, default=None, help="JSON stats file")
    parser.add_argument("-v", "--verbose", action="store_true", help=verbose)


async def write_report(
    stats_out: Path | None, report: dict[str, object], lag: LagSummary | None
) -> None:
    """Print the loop lag and write the stats file the benchmarks read."""
    if lag is not None:
        report["lag"] = lag.as_dict()
        print(  # noqa: T201
            f"event-loop lag: p50 {lag.p50_ms:.2f} ms, p99 {lag.p99_ms:.2f} ms, "
            f"max {lag.max_ms:.2f} ms ({lag.samples} samples)",
            flush=True,
        )
    if stats_out is not None:
        text = json.dumps(report, indent=2)
        await asyncio.get_running_loop().run_in_executor(
            None, stats_out.write_text, text
        )


async def serve_until_signal(banner: str) -> None:
    """Print ``banner`` once SIGINT/SIGTERM are caught, then wait for one.

    The banner comes after the handlers, so whoever waits for it (a test, a
    benchmark) may signal at once; the handlers are removed on the way out.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        print(banner, flush=True)  # noqa: T201
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
