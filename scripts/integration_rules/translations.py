"""strings.json and translations/en.json: identical, valid, covering the code."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
import re
from typing import Any

from .common import (
    HTML_TAG,
    QUOTED_PLACEHOLDER,
    SLUG,
    TRANSLATION_KEY,
    TRANSLATION_SECTIONS,
    CodeFacts,
    Report,
    load_json,
)

# --------------------------------------------------------------------------
# Translations, services, icons
# --------------------------------------------------------------------------


def walk_strings(data: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (dotted path, leaf) for every leaf of a translation tree."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk_strings(value, f"{path}.{key}" if path else str(key))
    else:
        yield path, data


def dig(data: Any, *keys: str) -> Any:
    """Return data[k1][k2]... or None."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def load_translations(integration: Path, report: Report) -> dict[str, Any] | None:
    """Return the English strings, checking strings.json == translations/en.json."""
    strings_path = integration / "strings.json"
    english_path = integration / "translations" / "en.json"
    if not strings_path.is_file() and not english_path.is_file():
        report.note("translations", "strings.json and translations/en.json not written")
        return None
    if not english_path.is_file():
        report.error(
            "translations/en.json",
            "missing: custom integrations load only translations/*.json "
            "(copy strings.json to translations/en.json)",
        )
        data = load_json(strings_path, report, "strings.json")
        return data if isinstance(data, dict) else None
    english = load_json(english_path, report, "translations/en.json")
    if strings_path.is_file():
        strings = load_json(strings_path, report, "strings.json")
        if strings is not None and english is not None and strings != english:
            differing = sorted(
                set(walk_strings(strings)).symmetric_difference(walk_strings(english)),
                key=str,
            )
            first = ", ".join(sorted({p for p, _ in differing})[:5])
            report.error(
                "translations/en.json",
                f"differs from strings.json (first differences: {first})",
            )
    if not isinstance(english, dict):
        if english is not None:
            report.error("translations/en.json", "must be a JSON object")
        return None
    check_translation_schema(english, report)
    return english


def check_translation_values(english: dict[str, Any], report: Report) -> None:
    """Every text must pass hassfest's translation_value_validator."""
    where = "translations/en.json"
    for path, leaf in walk_strings(english):
        if not isinstance(leaf, str) or not leaf.strip():
            report.error(where, f"'{path}' must be a non-empty string")
        elif leaf != leaf.strip():
            report.error(where, f"'{path}' has leading or trailing spaces")
        elif match := HTML_TAG.search(leaf):
            report.error(
                where,
                f"'{path}' contains {match.group(0)!r}, which hassfest rejects as "
                "HTML: write it without angle brackets",
            )
        elif QUOTED_PLACEHOLDER.search(leaf):
            report.error(where, f"'{path}' has a placeholder inside single quotes")
        elif "[%key:" in leaf:
            report.error(
                where,
                f"'{path}' uses a [%key:...%] reference, which custom "
                "integrations cannot resolve",
            )


def _check_keys(
    report: Report, prefix: str, keys: Iterable[str], pattern: re.Pattern[str]
) -> None:
    for key in keys:
        if not pattern.match(str(key)):
            report.error(
                "translations/en.json",
                f"key '{prefix}{key}' must be lowercase a-z, 0-9, _ or - "
                "(not at the start or end, not doubled)",
            )


def _check_flow_steps(report: Report, prefix: str, flow: Any) -> None:
    """data_description may only describe fields that are in data."""
    for step_id, step in (dig(flow, "step") or {}).items():
        if not isinstance(step, dict):
            continue
        data = step.get("data") or {}
        for key in step.get("data_description") or {}:
            if key not in data:
                report.error(
                    "translations/en.json",
                    f"{prefix}.step.{step_id}.data_description.{key} "
                    "describes a field that is not in data",
                )


def check_translation_schema(english: dict[str, Any], report: Report) -> None:
    """Key names and structure the hassfest translation schema insists on."""
    where = "translations/en.json"
    check_translation_values(english, report)
    for key in sorted(set(english) - TRANSLATION_SECTIONS):
        report.error(where, f"unknown top-level key '{key}'")
    entity = english.get("entity") or {}
    _check_keys(report, "entity.", entity, SLUG)
    for platform, entities in entity.items():
        _check_keys(report, f"entity.{platform}.", entities or {}, TRANSLATION_KEY)
        for key, value in (entities or {}).items():
            base = f"entity.{platform}.{key}"
            _check_keys(
                report, f"{base}.state.", dig(value, "state") or {}, TRANSLATION_KEY
            )
            attributes = dig(value, "state_attributes") or {}
            _check_keys(
                report, f"{base}.state_attributes.", attributes, TRANSLATION_KEY
            )
            for name, attribute in attributes.items():
                states = dig(attribute, "state") or {}
                prefix = f"{base}.state_attributes.{name}.state."
                _check_keys(report, prefix, states, TRANSLATION_KEY)
    _check_keys(report, "exceptions.", english.get("exceptions") or {}, SLUG)
    for name, selector in (english.get("selector") or {}).items():
        options = dig(selector, "options") or {}
        _check_keys(report, f"selector.{name}.options.", options, TRANSLATION_KEY)
    services = english.get("services") or {}
    _check_keys(report, "services.", services, TRANSLATION_KEY)
    for name, service in services.items():
        for attr in ("name", "description"):
            if dig(service, attr) is None:
                report.error(where, f"services.{name}.{attr} is missing")
        fields = dig(service, "fields") or {}
        _check_keys(report, f"services.{name}.fields.", fields, TRANSLATION_KEY)
        for field_name, field_value in fields.items():
            for attr in ("name", "description"):
                if dig(field_value, attr) is None:
                    report.error(
                        where, f"services.{name}.fields.{field_name}.{attr} is missing"
                    )
    for name, issue in (english.get("issues") or {}).items():
        if dig(issue, "title") is None:
            report.error(where, f"issues.{name}.title is missing")
        has_description = dig(issue, "description") is not None
        has_fix_flow = dig(issue, "fix_flow") is not None
        if has_description == has_fix_flow:
            report.error(
                where, f"issues.{name} needs either a description or a fix_flow"
            )
        if has_fix_flow:
            _check_flow_steps(report, f"issues.{name}.fix_flow", issue["fix_flow"])
    for kind in ("config", "options"):
        if kind in english:
            _check_flow_steps(report, kind, english[kind])
    for kind, flow in (english.get("config_subentries") or {}).items():
        _check_flow_steps(report, f"config_subentries.{kind}", flow)


def flow_sections(strings: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """Return the translation sections of one flow kind."""
    if kind == "issues":
        issues = strings.get("issues", {})
        return [
            i["fix_flow"]
            for i in issues.values()
            if isinstance(i, dict) and isinstance(i.get("fix_flow"), dict)
        ]
    if kind == "config_subentries":
        subentries = strings.get("config_subentries", {})
        return [s for s in subentries.values() if isinstance(s, dict)]
    section = strings.get(kind)
    return [section] if isinstance(section, dict) else []


def _form_labels(strings: dict[str, Any]) -> set[str]:
    """Every field key and section key that some flow step translates."""
    keys: set[str] = set()
    for kind in ("config", "options", "config_subentries", "issues"):
        for flow in flow_sections(strings, kind):
            for step in (dig(flow, "step") or {}).values():
                keys.update(dig(step, "data") or {})
                for section_id, section in (dig(step, "sections") or {}).items():
                    keys.add(section_id)
                    keys.update(dig(section, "data") or {})
    return keys


def check_translations(
    facts: CodeFacts, strings: dict[str, Any], report: Report
) -> None:
    """Every key used in code must be translated."""
    where = "translations/en.json"
    for platform, keys in sorted(facts.entity_keys.items()):
        for key in sorted(keys):
            if dig(strings, "entity", platform, key, "name") is None:
                report.error(where, f"entity.{platform}.{key}.name is missing")
    for (platform, key), states in sorted(facts.entity_states.items()):
        for state in sorted(states):
            if dig(strings, "entity", platform, key, "state", state) is None:
                report.error(where, f"entity.{platform}.{key}.state.{state} is missing")
    for key, types in sorted(facts.event_types.items()):
        for event_type in sorted(types):
            path = ("entity", "event", key, "state_attributes", "event_type", "state")
            if dig(strings, *path, event_type) is None:
                report.error(where, f"{'.'.join(path)}.{event_type} is missing")
    for key, options in sorted(facts.selectors.items()):
        if dig(strings, "selector", key) is None:
            report.error(where, f"selector.{key} is missing")
        for option in sorted(options):
            if dig(strings, "selector", key, "options", option) is None:
                report.error(where, f"selector.{key}.options.{option} is missing")
    for key in sorted(facts.exception_keys):
        if dig(strings, "exceptions", key, "message") is None:
            report.error(where, f"exceptions.{key}.message is missing")
    for key in sorted(facts.issue_keys):
        if dig(strings, "issues", key, "title") is None:
            report.error(where, f"issues.{key}.title is missing")
    for kind, steps in sorted(facts.flow_steps.items()):
        sections = flow_sections(strings, kind)
        label = {
            "config_subentries": "config_subentries.*",
            "issues": "issues.*.fix_flow",
        }.get(kind, kind)
        for step in sorted(steps):
            if not any(dig(s, "step", step) is not None for s in sections):
                report.error(where, f"{label}.step.{step} is missing")
    for group, found in (("error", facts.flow_errors), ("abort", facts.flow_aborts)):
        for kind, keys in sorted(found.items()):
            sections = flow_sections(strings, kind)
            label = {
                "config_subentries": "config_subentries.*",
                "issues": "issues.*.fix_flow",
            }.get(kind, kind)
            for key in sorted(keys):
                if not any(dig(s, group, key) is not None for s in sections):
                    report.error(where, f"{label}.{group}.{key} is missing")
    labelled = _form_labels(strings)
    for key, module in sorted(facts.form_fields.items()):
        if key not in labelled:
            report.error(
                where,
                f"form field '{key}' ({module}) has no label in any flow step's data",
            )
    for key in sorted(facts.loose_errors):
        kinds = ("config", "options", "config_subentries")
        if not any(
            dig(s, "error", key) is not None
            for kind in kinds
            for s in flow_sections(strings, kind)
        ):
            report.error(where, f"flow error '{key}' is in no error section")
