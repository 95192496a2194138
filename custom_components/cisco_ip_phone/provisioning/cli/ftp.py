"""``ftp`` subcommand: run the FTP upload server alone (benchmarks, tests).

It starts the server exactly as the integration does (``FtpServer.start``
on an asyncio loop), optionally next to the TFTP server and a loop-lag
probe, so what the benchmarks measure is what Home Assistant runs.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from pathlib import Path
import sys
from typing import Any

from ..ftp.server import FtpBindError, FtpEvent, FtpServer, FtpSettings, TlsMode
from ..ftp.settings import FtpSettingsError
from .common import (
    add_measurement_arguments,
    listen_address,
    serve_until_signal,
    write_report,
)


def _port_range(text: str) -> tuple[int, int]:
    low, sep, high = text.partition("-")
    if not sep or not low.isdigit() or not high.isdigit():
        raise argparse.ArgumentTypeError(f"expected LOW-HIGH, got {text!r}")
    return int(low), int(high)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``ftp`` subcommand."""
    parser = subparsers.add_parser("ftp", help="accept FTP uploads into a folder")
    parser.add_argument("--root", type=Path, required=True, help="the TFTP root")
    parser.add_argument(
        "--listen",
        type=listen_address,
        default=("127.0.0.1", 2121),
        help="HOST:PORT to bind (default 127.0.0.1:2121)",
    )
    parser.add_argument("--user", required=True, help="account name")
    secret = parser.add_mutually_exclusive_group(required=True)
    secret.add_argument("--password", help="account password (visible in ps)")
    secret.add_argument(
        "--password-env", metavar="VAR", help="read the password from $VAR"
    )
    parser.add_argument("--passive-ports", type=_port_range, default=None)
    parser.add_argument("--masquerade", default=None, help="IPv4 for PASV replies")
    parser.add_argument("--allow-delete", action="store_true")
    parser.add_argument("--allow-active", action="store_true")
    parser.add_argument(
        "--tls", choices=[str(mode) for mode in TlsMode], default=str(TlsMode.OFF)
    )
    parser.add_argument("--certfile", default=None)
    parser.add_argument("--keyfile", default=None)
    parser.add_argument(
        "--storage-dir",
        type=Path,
        default=None,
        help="where a self-signed certificate is kept (TLS without --certfile)",
    )
    parser.add_argument("--fsync", action="store_true", help="fsync each upload")
    parser.add_argument(
        "--with-tftp",
        type=listen_address,
        default=None,
        metavar="HOST:PORT",
        help="also serve --root over TFTP in the same event loop",
    )
    add_measurement_arguments(parser, verbose="log sessions")
    parser.set_defaults(run=run)


def _settings(args: argparse.Namespace) -> FtpSettings:
    password = args.password
    if args.password_env is not None:
        password = os.environ.get(args.password_env, "")
    host, port = args.listen
    return FtpSettings(
        host=host,
        port=port,
        users={args.user: password},
        passive_ports=args.passive_ports,
        masquerade_address=args.masquerade,
        allow_delete=args.allow_delete,
        allow_active=args.allow_active,
        tls=TlsMode(args.tls),
        certfile=args.certfile,
        keyfile=args.keyfile,
        fsync_uploads=args.fsync,
    )


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; 2 on bad settings, 1 when it cannot start."""
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = _settings(args)
    except FtpSettingsError as err:
        print(f"bad FTP setting {err.field}: {err}", file=sys.stderr)  # noqa: T201
        return 2
    try:
        return asyncio.run(_serve(args, settings))
    except FtpBindError as err:
        print(f"cannot start FTP server ({err.reason}): {err}", file=sys.stderr)  # noqa: T201
        return 1


async def _start_tftp(args: argparse.Namespace) -> Any:
    from ..tftp import ContentResolver, TftpServer

    host, port = args.with_tftp
    tftp = TftpServer(ContentResolver(args.root), host=host, port=port)
    await tftp.start()
    return tftp


async def _serve(args: argparse.Namespace, settings: FtpSettings) -> int:
    events: dict[str, int] = {}

    def _count(event: FtpEvent) -> None:
        events[event.kind] = events.get(event.kind, 0) + 1

    server = FtpServer(
        args.root, settings, on_event=_count, storage_dir=args.storage_dir
    )
    await server.start()
    tftp = await _start_tftp(args) if args.with_tftp else None
    probe = None
    if args.lag_probe:
        from ..tftp.lagprobe import LagProbe

        probe = LagProbe()
        probe.start()
    where = f"{settings.host}:{server.port}"
    if tftp is not None:
        where += f" (TFTP on port {tftp.port})"
    try:
        await serve_until_signal(f"FTP accepting uploads into {args.root} on {where}")
    finally:
        lag = await probe.stop() if probe is not None else None
        stats = server.stats
        await server.stop()
        if tftp is not None:
            await tftp.stop()
    report: dict[str, object] = {"stats": stats.as_dict(), "events": events}
    await write_report(args.stats_out, report, lag)
    return 0
