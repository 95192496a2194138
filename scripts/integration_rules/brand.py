"""brand/ images, and the code rules hassfest applies (config schema, dependencies)."""

from __future__ import annotations

from pathlib import Path
import struct
from typing import Any

from .common import (
    ALLOWED_COMPONENTS,
    BRAND_ICONS,
    BRAND_LOGOS,
    DOMAIN,
    PLATFORMS,
    PNG_SIGNATURE,
    CodeFacts,
    Report,
)

# --------------------------------------------------------------------------
# Brand, config schema, dependencies
# --------------------------------------------------------------------------


def png_size(path: Path) -> tuple[int, int] | None:
    """Return (width, height) from a PNG's IHDR chunk, or None if not a PNG."""
    try:
        with path.open("rb") as handle:
            head = handle.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def check_brand(integration: Path, report: Report) -> None:
    """Brand images exist where HA 2026.3+ and HACS look, with the right sizes."""
    brand = integration / "brand"
    for name, side in BRAND_ICONS.items():
        path = brand / name
        if not path.is_file():
            if not name.startswith("dark_"):
                report.error(f"brand/{name}", "missing")
            continue
        size = png_size(path)
        if size is None:
            report.error(f"brand/{name}", "is not a PNG file")
        elif size != (side, side):
            report.error(
                f"brand/{name}", f"is {size[0]}x{size[1]}, must be {side}x{side}"
            )
    for name, (low, high) in BRAND_LOGOS.items():
        path = brand / name
        if not path.is_file():
            continue
        size = png_size(path)
        if size is None:
            report.error(f"brand/{name}", "is not a PNG file")
        elif size[0] < size[1] or not low <= size[1] <= high:
            report.error(
                f"brand/{name}",
                f"is {size[0]}x{size[1]}, must be landscape with height {low}-{high}",
            )


def check_code_rules(
    integration: Path, manifest: dict[str, Any], facts: CodeFacts, report: Report
) -> None:
    """hassfest's CONFIG_SCHEMA and dependency rules."""
    init_functions = facts.functions.get("__init__", set())
    init_constants = facts.module_constants.get("__init__", set())
    if "async_setup" in init_functions and "CONFIG_SCHEMA" not in init_constants:
        report.error(
            "__init__.py",
            "defines async_setup but no CONFIG_SCHEMA "
            "(use cv.config_entry_only_config_schema(DOMAIN))",
        )
    allowed = (
        ALLOWED_COMPONENTS
        | PLATFORMS
        | set(manifest.get("dependencies", []))
        | set(manifest.get("after_dependencies", []))
        | {DOMAIN}
    )
    for module, used in sorted(facts.components.items()):
        for component in sorted(used - allowed):
            if (integration / f"{component}.py").is_file() or (
                integration / component
            ).is_dir():
                continue
            report.error(
                f"{module.replace('.', '/')}.py",
                f"imports component '{component}' but manifest.json does not list "
                "it in dependencies or after_dependencies",
            )
