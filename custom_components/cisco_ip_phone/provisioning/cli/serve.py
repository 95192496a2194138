"""``serve`` subcommand: the same ProvisioningServer Home Assistant runs.

Benchmarks compare Home Assistant with this: one engine, one update per
transfer, the tracker's view of every phone, but no entities. With
``--import`` the folder's ``SIPDefault.cnf`` / ``SIP<MAC>.cnf`` files are
imported and served generated (their phones are the known ones); without
it the folder is served as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
import sys

from ..errors import ProvisioningError
from ..files.cnf_import import import_folder
from ..files.render import render_files
from ..server import EngineUpdate, ProvisioningServer
from ..tftp.lagprobe import LagProbe
from .common import (
    add_measurement_arguments,
    listen_address,
    serve_until_signal,
    write_report,
)

_LOGGER = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve", help="run the provisioning server (TFTP + phone tracking)"
    )
    parser.add_argument("--root", type=Path, required=True, help="folder to serve")
    parser.add_argument(
        "--listen",
        type=listen_address,
        default=("127.0.0.1", 6969),
        help="HOST:PORT to bind TFTP (default 127.0.0.1:6969)",
    )
    parser.add_argument(
        "--import",
        dest="import_dir",
        type=Path,
        default=None,
        help="import SIPDefault.cnf / SIP<MAC>.cnf from this folder and serve "
        "them generated",
    )
    add_measurement_arguments(parser, verbose="log every phone's state changes")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run until SIGINT/SIGTERM; 1 when the port cannot be bound or import fails."""
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return asyncio.run(_serve(args))
    except (OSError, ProvisioningError) as err:
        print(f"cannot start the provisioning server: {err}", file=sys.stderr)  # noqa: T201
        return 1


async def _serve(args: argparse.Namespace) -> int:
    host, port = args.listen
    known: set[str] = set()
    server = ProvisioningServer(
        args.root, is_known=known.__contains__, host=host, tftp_port=port
    )
    if args.import_dir is not None:
        loop = asyncio.get_running_loop()
        results = await loop.run_in_executor(None, import_folder, args.import_dir)
        if results:
            phones = [result.phone for result in results]
            known.update(phone.mac for phone in phones)
            server.set_generated(render_files(results[0].settings, phones))
    counts = {"updates": 0, "events": 0}

    def _on_update(update: EngineUpdate) -> None:
        counts["updates"] += 1
        counts["events"] += len(update.events)
        for event in update.events:
            _LOGGER.info("%s %s %s %s", event.mac, event.kind, event.file, event.reason)

    server.subscribe(_on_update)
    await server.start_tftp()
    probe = LagProbe() if args.lag_probe else None
    if probe is not None:
        probe.start()
    assert server.tftp is not None
    try:
        await serve_until_signal(
            f"provisioning {args.root} ({len(known)} phones)"
            f" on {host}:{server.tftp.port}"
        )
    finally:
        lag = await probe.stop() if probe is not None else None
        stats = server.tftp.stats
        await server.stop()
    report: dict[str, object] = {
        "stats": stats.as_dict(),
        **counts,
        "counters": server.counters.as_dict(),
        "phones": {
            mac: str(obs.state) for mac, obs in server.tracker.observations().items()
        },
    }
    await write_report(args.stats_out, report, lag)
    return 0
