"""manifest.json and hacs.json: schema, key order, pins, minimum version."""

from __future__ import annotations

from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion

from .common import (
    DOMAIN,
    HACS_KEYS,
    INTEGRATION_TYPES,
    IOT_CLASSES,
    MANIFEST_ALLOWED,
    MANIFEST_REQUIRED,
    MIN_HOMEASSISTANT,
    Report,
    load_json,
    version_of,
)

# --------------------------------------------------------------------------
# manifest.json and hacs.json
# --------------------------------------------------------------------------


def check_manifest(integration: Path, report: Report) -> dict[str, Any]:
    """Check the manifest the way hassfest's custom-integration schema does."""
    where = "manifest.json"
    path = integration / "manifest.json"
    if not path.is_file():
        report.error(where, "missing")
        return {}
    manifest = load_json(path, report, where)
    if not isinstance(manifest, dict):
        if manifest is not None:
            report.error(where, "must be a JSON object")
        return {}
    for key in MANIFEST_REQUIRED:
        if key not in manifest:
            report.error(where, f"required key '{key}' is missing")
    for key in sorted(set(manifest) - MANIFEST_ALLOWED):
        report.error(where, f"unknown key '{key}' (hassfest rejects it)")
    keys = list(manifest)
    expected = sorted(keys, key=lambda k: {"domain": "0", "name": "1"}.get(k, k))
    if keys != expected:
        report.error(
            where,
            "keys are not sorted: domain, name, then alphabetical "
            f"(expected {', '.join(expected)})",
        )
    if manifest.get("domain") != integration.name:
        report.error(
            where, f"domain '{manifest.get('domain')}' != folder '{integration.name}'"
        )
    for key in ("domain", "name"):
        if key in manifest and not isinstance(manifest[key], str):
            report.error(where, f"'{key}' must be a string")
    for key in ("documentation", "issue_tracker"):
        url = manifest.get(key)
        if url is None:
            continue
        if not isinstance(url, str) or not url.startswith("https://"):
            report.error(where, f"'{key}' must be an https URL")
        elif url.startswith("https://www.home-assistant.io/"):
            report.error(where, f"'{key}' must not point at the core documentation")
    owners = manifest.get("codeowners")
    if owners is not None and (
        not isinstance(owners, list)
        or not owners
        or not all(isinstance(o, str) and o.startswith("@") for o in owners)
    ):
        report.error(where, "'codeowners' must be a non-empty list of '@name'")
    for key in ("config_flow", "single_config_entry", "import_executor"):
        if key in manifest and not isinstance(manifest[key], bool):
            report.error(where, f"'{key}' must be true or false")
    if "iot_class" in manifest and manifest["iot_class"] not in IOT_CLASSES:
        report.error(where, f"'iot_class' {manifest['iot_class']!r} is not valid")
    kind = manifest.get("integration_type")
    if kind is not None and kind not in INTEGRATION_TYPES:
        report.error(where, f"'integration_type' {kind!r} is not valid")
    version = manifest.get("version")
    if version is not None and (
        not isinstance(version, str) or version_of(version) is None
    ):
        report.error(where, f"'version' {version!r} is not a valid version")
    for key in ("requirements", "dependencies", "after_dependencies", "loggers"):
        value = manifest.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            report.error(where, f"'{key}' must be a list of strings")
    requirements = manifest.get("requirements", [])
    if isinstance(requirements, list):
        for requirement in requirements:
            if not isinstance(requirement, str) or not re.fullmatch(
                r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9_,-]+\])?==[^=\s<>~!,]+",
                requirement,
            ):
                report.error(where, f"requirement {requirement!r} is not pinned (==)")
    if (
        manifest.get("config_flow") is True
        and not (integration / "config_flow.py").is_file()
    ):
        report.note(where, "config_flow is true but config_flow.py is not written yet")
    return manifest


def check_hacs(root: Path, report: Report) -> None:
    """Check hacs.json against the schema the HACS action enforces."""
    where = "hacs.json"
    path = root / "hacs.json"
    if not path.is_file():
        report.error(where, "missing (HACS needs it in the repository root)")
        return
    data = load_json(path, report, where)
    if not isinstance(data, dict):
        if data is not None:
            report.error(where, "must be a JSON object")
        return
    for key, value in data.items():
        if key not in HACS_KEYS:
            report.error(where, f"unknown key '{key}' (HACS rejects extra keys)")
        elif not isinstance(value, HACS_KEYS[key]):
            report.error(where, f"'{key}' has the wrong type")
    if not isinstance(data.get("name"), str) or not data.get("name"):
        report.error(where, "'name' is required")
    minimum = data.get("homeassistant")
    if minimum is None:
        report.error(where, f"'homeassistant' is required (>= {MIN_HOMEASSISTANT})")
    elif isinstance(minimum, str):
        parsed = version_of(minimum)
        if parsed is None:
            report.error(where, f"'homeassistant' {minimum!r} is not a version")
        elif parsed < AwesomeVersion(MIN_HOMEASSISTANT):
            report.error(where, f"'homeassistant' must be >= {MIN_HOMEASSISTANT}")
    if data.get("content_in_root") is True:
        report.error(where, "'content_in_root' must not be set")
    if data.get("zip_release") is True and "filename" not in data:
        report.error(where, "'zip_release' needs 'filename'")
    if "render_readme" in data:
        report.note(where, "'render_readme' is obsolete (HACS 2 ignores it)")
    if not (root / "README.md").is_file():
        report.error("README.md", "missing (HACS shows it as the repository page)")
    components = root / "custom_components"
    found = sorted(
        p.name
        for p in (components.iterdir() if components.is_dir() else [])
        if p.is_dir() and not p.name.startswith(("_", "."))
    )
    if found != [DOMAIN]:
        report.error(
            "custom_components",
            f"must hold exactly one integration '{DOMAIN}' (found {found})",
        )
