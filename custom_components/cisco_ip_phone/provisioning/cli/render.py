"""``render`` subcommand: write every generated file from a JSON settings file.

The JSON holds ``{"server": {...}, "phones": [{...}, ...]}``, the same
``as_dict()`` forms Home Assistant stores; ``render --example`` prints one to
start from. Invalid settings exit with code 2 and a message naming the field.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import sys
import tempfile
from typing import Any

from ..files.render import GeneratedFile, render_files
from ..settings.models import (
    DialRule,
    Line,
    PhoneConfig,
    ProvisioningError,
    RingTone,
    ServerSettings,
    SettingsError,
    phones_from_list,
)

EXIT_INVALID = 2
PLACEHOLDER_PASSWORD = "change-me"  # noqa: S105 - the user replaces it


def example_settings() -> dict[str, Any]:
    """Return a valid settings document showing every kind of value."""
    server = ServerSettings(
        sip_proxy="pbx.example.org",
        ntp_server="pool.ntp.org",
        time_zone="GMT",
        date_format="D/M/Y",
        dial_plan=(
            DialRule("9.*", timeout=0, user="Phone"),  # type: ignore[arg-type]
            DialRule("1..", timeout=0),
            DialRule("*", timeout=5),
        ),
        ring_tones=(RingTone("Chirp", "chirp1.raw"),),
        xml_images={"45": "SIP45.9-4-2SR3-1S"},
    )
    phones = [
        PhoneConfig(
            mac="00:11:22:33:44:55",
            model="7940",
            label="Study",
            lines=(Line("100", password=PLACEHOLDER_PASSWORD, display_name="Study"),),
        ),
        PhoneConfig(
            mac="00:11:22:33:44:66",
            model="7965",
            label="Kitchen",
            lines=(Line("101", password=PLACEHOLDER_PASSWORD, display_name="Kitchen"),),
        ),
    ]
    return {"server": server.as_dict(), "phones": [p.as_dict() for p in phones]}


def load_settings(path: Path) -> tuple[ServerSettings, list[PhoneConfig]]:
    """Read and validate a settings file (raises SettingsError or OSError)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise SettingsError(
            f"{path} is not valid JSON: {err.msg} at line {err.lineno}", field=None
        ) from None
    except UnicodeDecodeError:
        raise SettingsError(f"{path} is not UTF-8 text", field=None) from None
    if not isinstance(data, dict):
        raise SettingsError("the settings file must hold a JSON object", field=None)
    unknown = sorted(set(data) - {"server", "phones"})
    if unknown:
        raise SettingsError(
            f"unknown top-level key(s): {', '.join(unknown)}", field=unknown[0]
        )
    phones = data.get("phones", [])
    if not isinstance(phones, list):
        raise SettingsError("phones must be a list", field="phones")
    return ServerSettings.from_dict(data.get("server", {})), phones_from_list(phones)


def write_files(out: Path, files: dict[str, GeneratedFile]) -> None:
    """Write each file atomically, so a phone never reads a half-written one."""
    out.mkdir(parents=True, exist_ok=True)
    for name, file in files.items():
        handle, temp = tempfile.mkstemp(dir=out, prefix=f".{name}.")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(file.content)
            Path(temp).replace(out / name)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def run(args: argparse.Namespace) -> int:
    """Run ``render``; return the exit code."""
    if args.example:
        sys.stdout.write(json.dumps(example_settings(), indent=2) + "\n")
        return 0
    if args.settings is None or args.out is None:
        sys.stderr.write("render: give --settings FILE and --out DIR, or --example\n")
        return EXIT_INVALID
    try:
        settings, phones = load_settings(args.settings)
        files = render_files(settings, phones)
    except ProvisioningError as err:
        where = f" (field: {err.field})" if err.field else ""
        sys.stderr.write(f"render: invalid settings{where}: {err}\n")
        return EXIT_INVALID
    except OSError as err:
        sys.stderr.write(f"render: cannot read {args.settings}: {err.strerror}\n")
        return EXIT_INVALID
    try:
        write_files(args.out, files)
    except OSError as err:
        sys.stderr.write(f"render: cannot write to {args.out}: {err.strerror}\n")
        return 1
    sys.stdout.write(f"wrote {len(files)} files to {args.out}\n")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``render`` subcommand."""
    parser = subparsers.add_parser(
        "render",
        help="write every generated file from a JSON settings file",
        description=__doc__,
    )
    parser.add_argument("--settings", type=Path, help="JSON settings file")
    parser.add_argument("--out", type=Path, help="folder to write the files into")
    parser.add_argument(
        "--example", action="store_true", help="print an example settings file"
    )
    parser.set_defaults(run=run)
