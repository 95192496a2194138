"""``tftp`` subcommand: run the server alone (benchmarks, manual tests)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
from pathlib import Path
import sys

from ..tftp.events import TransferEvent
from ..tftp.lagprobe import LagProbe
from ..tftp.resolver import ContentResolver
from ..tftp.server import TftpServer, TftpSettings
from .common import (
    add_measurement_arguments,
    listen_address,
    serve_until_signal,
    write_report,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``tftp`` subcommand."""
    parser = subparsers.add_parser("tftp", help="serve a folder over TFTP")
    parser.add_argument("--root", type=Path, required=True, help="folder to serve")
    parser.add_argument(
        "--listen",
        type=listen_address,
        default=("127.0.0.1", 6969),
        help="HOST:PORT to bind (default 127.0.0.1:6969)",
    )
    parser.add_argument("--allow-write-dir", type=Path, default=None)
    parser.add_argument("--max-blksize", type=int, default=TftpSettings().max_blksize)
    add_measurement_arguments(parser, verbose="log transfers")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run until SIGINT/SIGTERM; 1 when the port cannot be bound."""
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # tftpy logs every byte it decodes at DEBUG; only our transfer lines matter.
    logging.getLogger("tftpy").setLevel(logging.WARNING)
    logging.getLogger("asyncio").setLevel(logging.WARNING)
    try:
        return asyncio.run(_serve(args))
    except OSError as err:
        print(f"cannot start TFTP server: {err}", file=sys.stderr)  # noqa: T201
        return 1


async def _serve(args: argparse.Namespace) -> int:
    host, port = args.listen
    events = {"count": 0}

    def _count(_event: TransferEvent) -> None:
        events["count"] += 1

    resolver = ContentResolver(args.root)
    settings = TftpSettings(
        allow_write_dir=args.allow_write_dir, max_blksize=args.max_blksize
    )
    server = TftpServer(
        resolver, host=host, port=port, settings=settings, on_event=_count
    )
    await server.start()
    # Everything imported so far lives for the whole run: keep it out of the
    # cyclic GC so a full collection during a boot storm stays short.
    gc.freeze()
    probe = LagProbe() if args.lag_probe else None
    if probe is not None:
        probe.start()
    try:
        await serve_until_signal(
            f"TFTP serving {resolver.root} on {host}:{server.port}"
        )
    finally:
        lag = await probe.stop() if probe is not None else None
        stats = server.stats
        await server.stop()
        gc.unfreeze()
    report: dict[str, object] = {"stats": stats.as_dict(), "events": events["count"]}
    await write_report(args.stats_out, report, lag)
    return 0
