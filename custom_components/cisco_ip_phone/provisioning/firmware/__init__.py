"""Firmware knowledge in one import: names, manifests, catalog and hop planner.

The work lives in ``firmware_*`` modules with one job each; this module is the
stable entry point named in docs/development.md.
"""

from __future__ import annotations

from .catalog import CatalogFile, CatalogImage, FirmwareCatalog, scan_catalog
from .hop_rules import HOP_RULES, HopRule, Mechanism, StepKind
from .hops import MAX_HOPS, SIGNED_ONLY_SINCE, Hop, PlanError, next_hop, plan_hops
from .loads import MAX_LOADS_BYTES, LoadsError, LoadsManifest, parse_loads
from .names import (
    EXTENSIONS,
    UNIVERSAL_LOADER_SINCE,
    FirmwareImage,
    FirmwareNameError,
    FirmwareVersion,
    Protocol,
    Role,
    boots_universal_loader,
    expected_loader_name,
    is_firmware_name,
    os79xx_name,
    parse_image_name,
)
from .stages import (
    HopStage,
    StageKind,
    hop_stages,
    runs_hop_image,
    stage_for_request,
)

__all__ = [
    "EXTENSIONS",
    "HOP_RULES",
    "MAX_HOPS",
    "MAX_LOADS_BYTES",
    "SIGNED_ONLY_SINCE",
    "UNIVERSAL_LOADER_SINCE",
    "CatalogFile",
    "CatalogImage",
    "FirmwareCatalog",
    "FirmwareImage",
    "FirmwareNameError",
    "FirmwareVersion",
    "Hop",
    "HopRule",
    "HopStage",
    "LoadsError",
    "LoadsManifest",
    "Mechanism",
    "PlanError",
    "Protocol",
    "Role",
    "StageKind",
    "StepKind",
    "boots_universal_loader",
    "expected_loader_name",
    "hop_stages",
    "is_firmware_name",
    "next_hop",
    "os79xx_name",
    "parse_image_name",
    "parse_loads",
    "plan_hops",
    "runs_hop_image",
    "scan_catalog",
    "stage_for_request",
]
