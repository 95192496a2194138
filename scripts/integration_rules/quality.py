"""quality_scale.yaml: every rule, valid statuses, and 'done' claims backed by code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .common import (
    PLATFORMS,
    QUALITY_RULES,
    QUALITY_STATUSES,
    CodeFacts,
    Report,
    load_yaml,
)

# --------------------------------------------------------------------------
# quality_scale.yaml
# --------------------------------------------------------------------------


def quality_evidence(
    root: Path, integration: Path, manifest: dict[str, Any], facts: CodeFacts
) -> dict[str, tuple[bool, str]]:
    """For rules a file can prove: (is it backed?, what is needed)."""
    docs = root / "docs"
    functions = {f for names in facts.functions.values() for f in names}
    flow_functions = facts.functions.get("config_flow", set())
    platform_modules = [m for m in facts.module_names if m in PLATFORMS]

    def doc(name: str) -> tuple[bool, str]:
        return (docs / name).is_file(), f"docs/{name}"

    return {
        "brands": ((integration / "brand" / "icon.png").is_file(), "brand/icon.png"),
        "config-flow": ((integration / "config_flow.py").is_file(), "config_flow.py"),
        "common-modules": (
            {"coordinator", "entity"} <= facts.module_names,
            "coordinator.py and entity.py",
        ),
        "diagnostics": ((integration / "diagnostics.py").is_file(), "diagnostics.py"),
        "icon-translations": ((integration / "icons.json").is_file(), "icons.json"),
        "reconfiguration-flow": (
            "async_step_reconfigure" in flow_functions,
            "async_step_reconfigure in config_flow.py",
        ),
        "reauthentication-flow": (
            "async_step_reauth" in flow_functions,
            "async_step_reauth in config_flow.py",
        ),
        "discovery": (
            any("discovery" in f for f in flow_functions),
            "a discovery step in config_flow.py",
        ),
        "repair-issues": (
            "async_create_issue" in facts.source,
            "an async_create_issue",
        ),
        "config-entry-unloading": (
            "async_unload_entry" in facts.functions.get("__init__", set()),
            "async_unload_entry in __init__.py",
        ),
        "stale-devices": (
            "async_remove_config_entry_device" in functions,
            "async_remove_config_entry_device",
        ),
        "action-setup": (
            "async_setup" in facts.functions.get("__init__", set()),
            "async_setup in __init__.py registering the actions",
        ),
        "integration-owner": (bool(manifest.get("codeowners")), "manifest codeowners"),
        "has-entity-name": (
            "_attr_has_entity_name = True" in facts.source,
            "_attr_has_entity_name = True",
        ),
        "runtime-data": ("runtime_data" in facts.source, "ConfigEntry.runtime_data"),
        "entity-translations": (bool(facts.entity_keys), "entity translation keys"),
        "exception-translations": (bool(facts.exception_keys), "translated exceptions"),
        "parallel-updates": (
            bool(platform_modules)
            and all(
                "PARALLEL_UPDATES" in facts.module_constants.get(m, set())
                for m in platform_modules
            ),
            "PARALLEL_UPDATES in every platform module",
        ),
        "docs-high-level-description": doc("index.md"),
        "docs-supported-devices": doc("index.md"),
        "docs-use-cases": doc("index.md"),
        "docs-known-limitations": doc("index.md"),
        "docs-installation-instructions": doc("installation.md"),
        "docs-removal-instructions": doc("installation.md"),
        "docs-installation-parameters": doc("configuration.md"),
        "docs-configuration-parameters": doc("configuration.md"),
        "docs-actions": doc("entities.md"),
        "docs-examples": doc("entities.md"),
        "docs-supported-functions": doc("entities.md"),
        "docs-data-update": doc("entities.md"),
        "docs-troubleshooting": doc("troubleshooting.md"),
    }


def check_quality_scale(
    root: Path,
    integration: Path,
    manifest: dict[str, Any],
    facts: CodeFacts,
    report: Report,
) -> None:
    """Every rule once, valid status, exempt explained, done backed by code."""
    where = "quality_scale.yaml"
    path = integration / "quality_scale.yaml"
    if not path.is_file():
        report.note(where, "not written yet")
        return
    data = load_yaml(path, report, where)
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, dict):
        if data is not None:
            report.error(where, "needs a 'rules:' mapping")
        return
    for rule in QUALITY_RULES:
        if rule not in rules:
            report.error(where, f"rule '{rule}' is missing")
    for rule in sorted(set(rules) - set(QUALITY_RULES)):
        report.error(where, f"unknown rule '{rule}'")
    evidence = quality_evidence(root, integration, manifest, facts)
    for rule, value in rules.items():
        if isinstance(value, dict):
            status = value.get("status")
            comment = value.get("comment")
            for key in sorted(set(value) - {"status", "comment"}):
                report.error(where, f"'{rule}' has unknown key '{key}'")
        else:
            status, comment = value, None
        if status not in QUALITY_STATUSES:
            report.error(where, f"'{rule}' status {status!r} is not done/todo/exempt")
            continue
        if status == "exempt" and (not isinstance(comment, str) or not comment.strip()):
            report.error(where, f"'{rule}' is exempt without a comment saying why")
        if status == "done" and rule in evidence and not evidence[rule][0]:
            report.error(where, f"'{rule}' is done but {evidence[rule][1]} is missing")
