"""Firmware knowledge in one import: names, manifests, catalog and hop planner.

The work lives in ``firmware_*`` modules with one job each; this module is the
stable entry point named in docs/development.md.
"""

from __future__ import annotations

from .firmware_loads import MAX_LOADS_BYTES, LoadsError, LoadsManifest, parse_loads
from .firmware_names import (
    EXTENSIONS,
    UNIVERSAL_LOADER_SINCE,
    FirmwareImage,
    FirmwareNameError,
    FirmwareVersion,
    Protocol,
    Role,
    expected_loader_name,
    is_firmware_name,
    parse_image_name,
)

__all__ = [
    "EXTENSIONS",
    "MAX_LOADS_BYTES",
    "UNIVERSAL_LOADER_SINCE",
    "FirmwareImage",
    "FirmwareNameError",
    "FirmwareVersion",
    "LoadsError",
    "LoadsManifest",
    "Protocol",
    "Role",
    "expected_loader_name",
    "is_firmware_name",
    "parse_image_name",
    "parse_loads",
]
