"""services.yaml, the registered actions, their translations and icons.json agree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import KEY_PATTERN, CodeFacts, Report, load_json, load_yaml
from .translations import dig, walk_strings


def check_services(
    integration: Path, facts: CodeFacts, strings: dict[str, Any] | None, report: Report
) -> None:
    """services.yaml, registered actions and translated services must agree."""
    where = "services.yaml"
    registered = set(facts.services)
    if facts.dynamic_services:
        registered |= facts.service_constants
    path = integration / "services.yaml"
    if not path.is_file():
        if registered:
            report.error(where, f"missing, but the code registers {sorted(registered)}")
        else:
            report.note(where, "not written yet and no action is registered")
        described: dict[str, Any] = {}
    else:
        loaded = load_yaml(path, report, where)
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            report.error(where, "must be a mapping of action names")
            loaded = {}
        described = loaded
        for name in sorted(set(described) - registered):
            report.error(where, f"'{name}' is described but never registered in code")
        for name in sorted(registered - set(described)):
            report.error(where, f"'{name}' is registered in code but not described")
    translated = (strings or {}).get("services", {}) if strings is not None else None
    for name, raw_schema in sorted(described.items()):
        schema = raw_schema if isinstance(raw_schema, dict) else {}
        if not KEY_PATTERN.match(str(name)):
            report.error(where, f"action name '{name}' must be lowercase")
        for attr in ("name", "description"):
            if attr not in schema and dig(translated, name, attr) is None:
                report.error(where, f"'{name}' has no {attr} here or in translations")
        for field_name, field_schema in _service_fields(schema):
            for attr in ("name", "description"):
                if attr not in field_schema and (
                    dig(translated, name, "fields", field_name, attr) is None
                ):
                    report.error(
                        where,
                        f"'{name}' field '{field_name}' has no {attr} here or in "
                        "translations",
                    )
    if isinstance(translated, dict):
        for name in sorted(set(translated) - registered - set(described)):
            report.error(
                "translations/en.json",
                f"services.{name} is translated but no such action exists",
            )


def _service_fields(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield the fields of a service, looking inside sections."""
    fields = schema.get("fields") or {}
    if not isinstance(fields, dict):
        return
    for name, raw in fields.items():
        value = raw if isinstance(raw, dict) else {}
        if "fields" in value:
            yield from _service_fields(value)
        else:
            yield name, value


def check_icons(
    integration: Path, facts: CodeFacts, strings: dict[str, Any] | None, report: Report
) -> None:
    """icons.json may name only real entities and actions; all actions need one."""
    where = "icons.json"
    path = integration / "icons.json"
    registered = set(facts.services) | (
        facts.service_constants if facts.dynamic_services else set()
    )
    if not path.is_file():
        report.note(where, "not written yet")
        return
    icons = load_json(path, report, where)
    if not isinstance(icons, dict):
        if icons is not None:
            report.error(where, "must be a JSON object")
        return
    known_sections = {"entity", "services", "issues", "entity_component"}
    for key in sorted(set(icons) - known_sections):
        report.error(where, f"unknown top-level key '{key}'")
    for platform, entities in (icons.get("entity") or {}).items():
        known = facts.entity_keys.get(platform, set()) | set(
            dig(strings, "entity", platform) or {}
        )
        for key, value in (entities or {}).items():
            if key not in known:
                report.error(where, f"entity.{platform}.{key} matches no entity")
            for path_, icon in walk_strings(value):
                if not isinstance(icon, str) or not icon.startswith("mdi:"):
                    report.error(where, f"entity.{platform}.{key}.{path_} is not mdi:")
    services = icons.get("services") or {}
    for name, value in services.items():
        icon = value.get("service") if isinstance(value, dict) else value
        if name not in registered:
            report.error(where, f"services.{name} matches no registered action")
        if not isinstance(icon, str) or not icon.startswith("mdi:"):
            report.error(where, f"services.{name} needs an 'mdi:' icon")
    for name in sorted(registered - set(services)):
        report.error(where, f"action '{name}' has no icon")
