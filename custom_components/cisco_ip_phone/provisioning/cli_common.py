"""Command-line pieces the ``tftp`` and ``ftp`` subcommands share."""

from __future__ import annotations

import argparse
from pathlib import Path


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
