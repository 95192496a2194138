#!/usr/bin/env python3
"""Offline repeat of what hassfest and the HACS action check for this integration.

The official validators run only in GitHub Actions (they need Docker or a clone
of Home Assistant core); this script checks the same things from the working
tree so a defect is caught by ``scripts/test`` before a push:

- manifest.json: schema, required keys, key order, pinned requirements,
  imported Home Assistant components declared as dependencies;
- hacs.json: allowed keys, minimum Home Assistant version;
- translations: strings.json and translations/en.json identical, every
  translation key used in the code present (entities, entity states, event
  types, exceptions, repair issues, flow steps, errors and aborts);
- services.yaml == actions registered in code == translated services ==
  service icons;
- icons.json refers only to things that exist;
- quality_scale.yaml: every rule, valid statuses, "done" claims backed by code;
- brand/: PNG files with the sizes Home Assistant and HACS expect.

Files not written yet are skipped with a note; anything wrong is an error and
makes the script exit 1. Usage: ``validate_integration.py [--root REPO]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys

# The rule modules sit beside this script; it runs as a file, not a package.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from integration_rules.brand import check_brand, check_code_rules, png_size
from integration_rules.code_scan import imported_module, scan_code
from integration_rules.common import DOMAIN, PNG_SIGNATURE, QUALITY_RULES, Report
from integration_rules.manifest import check_hacs, check_manifest
from integration_rules.quality import check_quality_scale
from integration_rules.services_icons import check_icons, check_services
from integration_rules.translations import check_translations, load_translations

__all__ = [
    "PNG_SIGNATURE",
    "QUALITY_RULES",
    "Report",
    "imported_module",
    "main",
    "png_size",
    "scan_code",
    "validate",
]

# --------------------------------------------------------------------------


def validate(root: Path) -> Report:
    """Run every check on the repository at root."""
    report = Report()
    integration = root / "custom_components" / DOMAIN
    if not integration.is_dir():
        report.error("custom_components", f"'{DOMAIN}' folder is missing")
        return report
    manifest = check_manifest(integration, report)
    check_hacs(root, report)
    facts = scan_code(integration, report)
    strings = load_translations(integration, report)
    if strings is not None:
        check_translations(facts, strings, report)
    elif facts.entity_keys or facts.exception_keys or facts.flow_steps:
        report.note(
            "translations",
            "the code already uses translation keys; they are checked once "
            "translations/en.json exists",
        )
    for place in facts.dynamic_keys:
        report.note("translations", f"key built at run time not checked ({place})")
    check_services(integration, facts, strings, report)
    check_icons(integration, facts, strings, report)
    check_quality_scale(root, integration, manifest, facts, report)
    check_brand(integration, report)
    check_code_rules(integration, manifest, facts, report)
    return report


def main(argv: list[str] | None = None) -> int:
    """Print notes and errors; exit 1 when there is any error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="repository root (default: this checkout)",
    )
    args = parser.parse_args(argv)
    report = validate(args.root)
    for note in report.notes:
        print(f"note: {note}")
    for error in report.errors:
        print(f"ERROR: {error}")
    if report.errors:
        print(f"{len(report.errors)} problem(s) found")
        return 1
    print("integration metadata: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
