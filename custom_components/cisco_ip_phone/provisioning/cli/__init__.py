"""Command line for the engine: render files, run TFTP, FTP or the whole server.

Each subcommand lives in its own module; this package only dispatches.
"""

from __future__ import annotations

import argparse

from . import ftp as cli_ftp, render as cli_render, serve as cli_serve, tftp as cli_tftp


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="python -m custom_components.cisco_ip_phone.provisioning",
        description="Cisco 79xx provisioning engine, without Home Assistant.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    cli_render.register(subparsers)
    cli_tftp.register(subparsers)
    cli_ftp.register(subparsers)
    cli_serve.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the chosen subcommand; return its exit code."""
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code
