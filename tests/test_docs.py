"""The user documentation covers what the code offers, and every page is reachable.

The lists are derived from the code at test time, never written down here:
setup fields, options and phone fields from ``translations/en.json``
(``config.step.*.data``, ``options.step.*.data``,
``config_subentries.*.step.*.data`` and their sections), entities, their
states and event types from ``entity.<platform>.<key>``, actions and their
fields from ``services.yaml``.

Rule for "documented": a field, option, entity, state or event type counts
when its English label, exactly as the UI shows it, appears (ignoring case)
in the page that documents its kind: ``docs/configuration.md`` for setup
fields, options and phone fields; ``docs/entities.md`` for entities, states
and event types. An action counts when its full name
``cisco_ip_phone.<action>`` appears in ``docs/entities.md``, and each of its
fields when the field's key appears there.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import json
import os
from pathlib import Path
import re
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
INTEGRATION = REPO / "custom_components" / "cisco_ip_phone"
DOMAIN = "cisco_ip_phone"

LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~)")
# An action is named as `cisco_ip_phone.x` in text, or after action:/service:.
ACTION_MENTION = re.compile(rf"(?:`|action:\s*|service:\s*){DOMAIN}\.([a-z_]+)\b")
CODE_BLOCK = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def translations() -> dict[str, Any]:
    path = INTEGRATION / "translations" / "en.json"
    if not path.is_file():
        pytest.skip("translations/en.json is not written yet")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8").lower()


def _step_labels(steps: dict[str, Any], where: str) -> Iterator[tuple[str, str]]:
    for step_id, step in steps.items():
        for key, label in (step.get("data") or {}).items():
            yield f"{where}.step.{step_id}.data.{key}", label
        for section_id, section in (step.get("sections") or {}).items():
            if "name" in section:
                yield f"{where}.step.{step_id}.sections.{section_id}", section["name"]
            for key, label in (section.get("data") or {}).items():
                path = f"{where}.step.{step_id}.sections.{section_id}.data.{key}"
                yield path, label


def setup_labels(strings: dict[str, Any]) -> list[tuple[str, str]]:
    """Every form field of the server, options and phone flows."""
    labels = list(_step_labels(strings.get("config", {}).get("step", {}), "config"))
    labels += _step_labels(strings.get("options", {}).get("step", {}), "options")
    for kind, flow in (strings.get("config_subentries") or {}).items():
        labels += _step_labels(flow.get("step", {}), f"config_subentries.{kind}")
    return labels


def entity_labels(strings: dict[str, Any]) -> list[tuple[str, str]]:
    """Every entity name, entity state and event type."""
    labels: list[tuple[str, str]] = []
    for platform, entities in (strings.get("entity") or {}).items():
        for key, entity in entities.items():
            where = f"entity.{platform}.{key}"
            if "name" in entity:
                labels.append((f"{where}.name", entity["name"]))
            for state, label in (entity.get("state") or {}).items():
                labels.append((f"{where}.state.{state}", label))
            event_types = (
                (entity.get("state_attributes") or {})
                .get("event_type", {})
                .get("state", {})
            )
            for event_type, label in event_types.items():
                labels.append((f"{where}.event_type.{event_type}", label))
    return labels


def services() -> dict[str, Any]:
    path = INTEGRATION / "services.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    assert isinstance(data, dict)
    return data


def _fields(schema: dict[str, Any] | None) -> Iterator[str]:
    for key, field in ((schema or {}).get("fields") or {}).items():
        if isinstance(field, dict) and "fields" in field:
            yield from _fields(field)
        else:
            yield key


# ----------------------------------------------------------------- coverage


def test_every_setup_field_and_option_is_documented() -> None:
    strings = translations()
    labels = setup_labels(strings)
    assert labels, "no form fields found in translations"
    text = page("configuration.md")
    missing = [
        f"{path} ({label!r})" for path, label in labels if label.lower() not in text
    ]
    assert not missing, "not in docs/configuration.md:\n" + "\n".join(missing)


def test_every_entity_state_and_event_type_is_documented() -> None:
    strings = translations()
    labels = entity_labels(strings)
    assert labels, "no entities found in translations"
    text = page("entities.md")
    missing = [
        f"{path} ({label!r})" for path, label in labels if label.lower() not in text
    ]
    assert not missing, "not in docs/entities.md:\n" + "\n".join(missing)


def test_every_action_and_field_is_documented() -> None:
    actions = services()
    if not actions:
        pytest.skip("services.yaml is not written yet")
    text = page("entities.md")
    missing = [f"{DOMAIN}.{name}" for name in actions if f"{DOMAIN}.{name}" not in text]
    missing += [
        f"{DOMAIN}.{name} field {field}"
        for name, schema in actions.items()
        for field in _fields(schema)
        if field.lower() not in text
    ]
    assert not missing, "not in docs/entities.md:\n" + "\n".join(missing)


def test_docs_name_only_actions_that_exist() -> None:
    """An action renamed in code must not live on in an example."""
    actions = set(services())
    mentioned: dict[str, set[str]] = {}
    for path in sorted(DOCS.glob("*.md")):
        for name in ACTION_MENTION.findall(path.read_text(encoding="utf-8")):
            mentioned.setdefault(name, set()).add(path.name)
    if not actions:
        pytest.skip("services.yaml is not written yet")
    unknown = {name: pages for name, pages in mentioned.items() if name not in actions}
    assert not unknown, f"docs mention actions that do not exist: {unknown}"


def test_yaml_examples_parse() -> None:
    for path in sorted(DOCS.glob("*.md")):
        for language, body in CODE_BLOCK.findall(path.read_text(encoding="utf-8")):
            if language == "yaml":
                try:
                    yaml.safe_load(body)
                except yaml.YAMLError as err:  # pragma: no cover - message only
                    pytest.fail(f"{path.name}: YAML example does not parse: {err}")


def test_every_provisioning_state_is_explained() -> None:
    """The troubleshooting guide covers every state the sensor can show."""
    strings = translations()
    states = strings["entity"]["sensor"]["provisioning_state"]["state"]
    text = page("troubleshooting.md") + page("entities.md")
    missing = [label for label in states.values() if label.lower() not in text]
    assert not missing


# ------------------------------------------------------------- reachability


def _links(path: Path) -> Iterator[str]:
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            in_code = not in_code
            continue
        if not in_code:
            yield from LINK.findall(line)


def _is_external(target: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", target))


def reachable_pages() -> set[Path]:
    """Markdown pages reachable from README.md by relative links."""
    seen: set[Path] = set()
    pending = [REPO / "README.md"]
    while pending:
        current = pending.pop()
        if current in seen or not current.is_file():
            continue
        seen.add(current)
        for target in _links(current):
            if _is_external(target) or target.startswith("#"):
                continue
            linked = (current.parent / target.split("#", 1)[0]).resolve()
            if linked.suffix == ".md":
                pending.append(linked)
    return seen


def test_every_doc_page_is_reachable_from_the_readme() -> None:
    reachable = reachable_pages()
    pages = {path.resolve() for path in DOCS.glob("*.md")}
    unreachable = sorted(p.name for p in pages - reachable)
    assert not unreachable, (
        f"not linked from README.md (directly or not): {unreachable}"
    )


def test_readme_links_the_pages_of_issue_7() -> None:
    reachable = {path.name for path in reachable_pages() if path.parent == DOCS}
    expected = {
        "index.md",
        "installation.md",
        "configuration.md",
        "network.md",
        "ftp.md",
        "firmware.md",
        "entities.md",
        "troubleshooting.md",
    }
    assert expected <= reachable


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = text.replace("`", "").replace("*", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    counts: dict[str, int] = {}
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            in_code = not in_code
            continue
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match and not in_code:
            base = slug(match.group(1))
            count = counts.get(base, 0)
            counts[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def test_slug_matches_github() -> None:
    assert (
        slug("SIP 8.12 for 7940/7960 (the target)") == "sip-812-for-79407960-the-target"
    )
    assert slug("`cisco_ip_phone.resync`") == "cisco_ip_phoneresync"
    assert slug("79x1 / 79x2 / 79x5 / 797x") == "79x1--79x2--79x5--797x"
    assert slug('"TFTP timeout", "TFTP Error"') == "tftp-timeout-tftp-error"


@pytest.mark.parametrize("path", sorted(DOCS.glob("*.md")), ids=lambda path: path.name)
def test_relative_links_and_anchors_resolve(path: Path) -> None:
    broken = []
    for target in _links(path):
        if _is_external(target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, f"{path.name}: " + "; ".join(broken)


def test_manifest_documentation_points_at_the_docs() -> None:
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    assert manifest["documentation"].endswith("/docs/index.md")
    assert (DOCS / "index.md").is_file()


def test_commands_in_readme_and_docs_exist() -> None:
    """Every ``scripts/...`` command the user is told to run is there to run."""
    commands: set[str] = set()
    for path in [REPO / "README.md", *sorted(DOCS.glob("*.md"))]:
        for _language, body in CODE_BLOCK.findall(path.read_text(encoding="utf-8")):
            commands.update(re.findall(r"(?m)^\s*(scripts/[\w.-]+)", body))
    assert commands, "no scripts/ command found"
    missing = [c for c in sorted(commands) if not os.access(REPO / c, os.X_OK)]
    assert not missing, f"not an executable file: {missing}"


# ------------------------------------------------------------------ defaults


def _literal(node: ast.expr | None, names: dict[str, ast.expr]) -> object:
    """The value of a constant, a module-level name or an ``Enum.MEMBER``."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in names:
        return _literal(names[node.id], names)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return _literal(names.get(f"{node.value.id}.{node.attr}"), names)
    return None


def _module_names(tree: ast.Module) -> dict[str, ast.expr]:
    names: dict[str, ast.expr] = {}
    for node in tree.body:
        items = [node]
        prefix = ""
        if isinstance(node, ast.ClassDef):
            items, prefix = node.body, f"{node.name}."
        for item in items:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                if item.value is not None:
                    names[prefix + item.target.id] = item.value
            elif isinstance(item, ast.Assign) and isinstance(item.targets[0], ast.Name):
                names[prefix + item.targets[0].id] = item.value
    return names


def _default_cell(text: str, key: str) -> str:
    """The Default column of the table row that documents ``key``."""
    rows = [line for line in text.splitlines() if f"(`{key}`)" in line]
    assert rows, f"no row for `{key}`"
    cells = [cell.strip() for cell in rows[0].strip().strip("|").split("|")]
    return cells[1]


def _shown(value: object, labels: dict[str, str]) -> str:
    """How a default is written in the docs."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value == "":
        return "empty"
    if isinstance(value, str) and value in labels:
        return labels[value]
    return f"`{value}`"


def test_documented_option_defaults_match_the_code() -> None:
    """The Default column of the options table is what ServerSettings uses."""
    strings = translations()
    tree = ast.parse(
        (INTEGRATION / "provisioning" / "settings" / "models.py").read_text()
    )
    names = _module_names(tree)
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    checked = 0
    init = strings["options"]["step"]["init"]
    keys = [*init["data"]]
    keys += [key for part in init.get("sections", {}).values() for key in part["data"]]
    for key in keys:
        default = _literal(names.get(f"ServerSettings.{key}"), names)
        if default is None:
            continue
        labels = strings.get("selector", {}).get(key, {}).get("options", {})
        assert _default_cell(text, key) == _shown(default, labels), key
        checked += 1
    assert checked >= 10


def test_documented_setup_defaults_match_the_code() -> None:
    """The Default column of the server form is what const.py offers."""
    tree = ast.parse((INTEGRATION / "const.py").read_text())
    names = _module_names(tree)
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    checked = 0
    for name, node in names.items():
        if not name.startswith("CONF_"):
            continue
        suffix = name.removeprefix("CONF_")
        defaults = [n for n in names if n.startswith(f"DEFAULT_{suffix}")]
        key = _literal(node, names)
        if not defaults or not isinstance(key, str):
            continue
        value = _literal(names[defaults[0]], names)
        pattern = rf"^`([^`]*/)?{re.escape(str(value))}`$"
        assert re.match(pattern, _default_cell(text, key)), key
        checked += 1
    assert checked >= 6


DOC_REFERENCE = re.compile(r"([a-z_]+\.md)#([a-z0-9_-]+)")


def test_anchors_named_by_the_code_exist() -> None:
    """Repair issues and the quality scale link into the docs by anchor.

    A renamed heading would silently break a repair's "Learn more" link, so
    every ``<page>.md#<anchor>`` in the integration's code and metadata must
    still be a heading of that page.
    """
    found = 0
    broken = []
    for path in sorted(INTEGRATION.rglob("*")):
        if path.suffix not in {".py", ".yaml", ".json"} or not path.is_file():
            continue
        for page_name, anchor in DOC_REFERENCE.findall(path.read_text("utf-8")):
            found += 1
            target = DOCS / page_name
            if not target.is_file() or anchor not in anchors(target):
                broken.append(f"{path.name}: {page_name}#{anchor}")
    assert found, "no documentation anchor referenced by the code"
    assert not broken, broken
