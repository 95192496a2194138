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
import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
import json
from pathlib import Path
import re
import struct
import sys
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionException
import yaml  # type: ignore[import-untyped]

DOMAIN = "cisco_ip_phone"
MIN_HOMEASSISTANT = "2025.4.0"

MANIFEST_REQUIRED = (
    "domain",
    "name",
    "codeowners",
    "config_flow",
    "documentation",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "requirements",
    "version",
)
MANIFEST_ALLOWED = {
    *MANIFEST_REQUIRED,
    "after_dependencies",
    "bluetooth",
    "dependencies",
    "dhcp",
    "disabled",
    "homekit",
    "import_executor",
    "loggers",
    "mqtt",
    "quality_scale",
    "single_config_entry",
    "ssdp",
    "usb",
    "zeroconf",
}
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
}
HACS_KEYS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "content_in_root": (bool,),
    "zip_release": (bool,),
    "filename": (str,),
    "hide_default_branch": (bool,),
    "country": (str, list),
    "homeassistant": (str,),
    "hacs": (str,),
    "persistent_directory": (str,),
    "render_readme": (bool,),
}

# Every rule of the Integration Quality Scale (54: bronze 20, silver 10,
# gold 21, platinum 3), as in hassfest's ALL_RULES.
QUALITY_RULES = (
    # Bronze
    "action-setup",
    "appropriate-polling",
    "brands",
    "common-modules",
    "config-flow-test-coverage",
    "config-flow",
    "dependency-transparency",
    "docs-actions",
    "docs-conditions",
    "docs-triggers",
    "docs-high-level-description",
    "docs-installation-instructions",
    "docs-removal-instructions",
    "entity-event-setup",
    "entity-unique-id",
    "has-entity-name",
    "runtime-data",
    "test-before-configure",
    "test-before-setup",
    "unique-config-entry",
    # Silver
    "action-exceptions",
    "config-entry-unloading",
    "docs-configuration-parameters",
    "docs-installation-parameters",
    "entity-unavailable",
    "integration-owner",
    "log-when-unavailable",
    "parallel-updates",
    "reauthentication-flow",
    "test-coverage",
    # Gold
    "devices",
    "diagnostics",
    "discovery-update-info",
    "discovery",
    "docs-data-update",
    "docs-examples",
    "docs-known-limitations",
    "docs-supported-devices",
    "docs-supported-functions",
    "docs-troubleshooting",
    "docs-use-cases",
    "dynamic-devices",
    "entity-category",
    "entity-device-class",
    "entity-disabled-by-default",
    "entity-translations",
    "exception-translations",
    "icon-translations",
    "reconfiguration-flow",
    "repair-issues",
    "stale-devices",
    # Platinum
    "async-dependency",
    "inject-websession",
    "strict-typing",
)
QUALITY_STATUSES = {"done", "todo", "exempt"}

# Components an integration may import without declaring them (hassfest's
# ALLOWED_USED_COMPONENTS minus the entity platforms, which are added below).
ALLOWED_COMPONENTS = {
    "alert",
    "automation",
    "conversation",
    "default_config",
    "device_automation",
    "frontend",
    "group",
    "homeassistant",
    "input_boolean",
    "input_button",
    "input_datetime",
    "input_number",
    "input_select",
    "input_text",
    "media_source",
    "mjpeg",
    "onboarding",
    "panel_custom",
    "persistent_notification",
    "person",
    "script",
    "shopping_list",
    "stream",
    "sun",
    "system_health",
    "system_log",
    "timer",
    "webhook",
    "websocket_api",
    "zone",
}
PLATFORMS = {
    "air_quality",
    "alarm_control_panel",
    "assist_satellite",
    "binary_sensor",
    "button",
    "calendar",
    "camera",
    "climate",
    "conversation",
    "cover",
    "date",
    "datetime",
    "device_tracker",
    "event",
    "fan",
    "geo_location",
    "humidifier",
    "image",
    "image_processing",
    "lawn_mower",
    "light",
    "lock",
    "media_player",
    "notify",
    "number",
    "remote",
    "scene",
    "select",
    "sensor",
    "siren",
    "stt",
    "switch",
    "text",
    "time",
    "todo",
    "tts",
    "update",
    "vacuum",
    "valve",
    "wake_word",
    "water_heater",
    "weather",
}
# Brand images: name -> (exact size) for icons, or (min, max) of the short side
# for landscape logos.
BRAND_ICONS = {
    "icon.png": 256,
    "icon@2x.png": 512,
    "dark_icon.png": 256,
    "dark_icon@2x.png": 512,
}
BRAND_LOGOS = {
    "logo.png": (128, 256),
    "logo@2x.png": (256, 512),
    "dark_logo.png": (128, 256),
    "dark_logo@2x.png": (256, 512),
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEY_PATTERN = re.compile(r"^[a-z0-9_-]+$")
# hassfest's translation rules (script/hassfest/translations.py and
# cv.string_with_no_html).
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
SLUG = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
HTML_TAG = re.compile(r"<[a-z].*?>", re.IGNORECASE)
QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")
TRANSLATION_SECTIONS = {
    "application_credentials",
    "common",
    "conditions",
    "config",
    "config_panel",
    "config_subentries",
    "conversation",
    "device",
    "device_automation",
    "entity",
    "entity_component",
    "exceptions",
    "issues",
    "options",
    "selector",
    "services",
    "system_health",
    "title",
    "triggers",
}
FLOW_KINDS = {
    "ConfigFlow": "config",
    "OptionsFlow": "options",
    "OptionsFlowWithConfigEntry": "options",
    "OptionsFlowWithReload": "options",
    "ConfigSubentryFlow": "config_subentries",
    "RepairsFlow": "issues",
    "ConfirmRepairFlow": "issues",
}
FORM_KEY_CALLS = {"Required", "Optional"}
ISSUE_CALLS = {"async_create_issue", "create_issue"}
SERVICE_REGISTER_CALLS = {
    "async_register",
    "async_register_admin_service",
    "async_register_platform_entity_service",
}


@dataclass
class Report:
    """Errors fail the run; notes explain what was skipped."""

    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def error(self, where: str, message: str) -> None:
        """Record a defect that hassfest or HACS would reject."""
        self.errors.append(f"{where}: {message}")

    def note(self, where: str, message: str) -> None:
        """Record something skipped, so a silent pass is never a surprise."""
        self.notes.append(f"{where}: {message}")


@dataclass
class CodeFacts:
    """What the Python code of the integration refers to by name."""

    entity_keys: dict[str, set[str]] = field(default_factory=dict)
    entity_states: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    event_types: dict[str, set[str]] = field(default_factory=dict)
    exception_keys: set[str] = field(default_factory=set)
    selectors: dict[str, set[str]] = field(default_factory=dict)
    dynamic_keys: list[str] = field(default_factory=list)
    helper_calls: set[tuple[str, int]] = field(default_factory=set)
    issue_keys: set[str] = field(default_factory=set)
    flow_steps: dict[str, set[str]] = field(default_factory=dict)
    flow_errors: dict[str, set[str]] = field(default_factory=dict)
    flow_aborts: dict[str, set[str]] = field(default_factory=dict)
    loose_errors: set[str] = field(default_factory=set)
    form_fields: dict[str, str] = field(default_factory=dict)
    services: set[str] = field(default_factory=set)
    dynamic_services: bool = False
    service_constants: set[str] = field(default_factory=set)
    components: dict[str, set[str]] = field(default_factory=dict)
    module_names: set[str] = field(default_factory=set)
    functions: dict[str, set[str]] = field(default_factory=dict)
    module_constants: dict[str, set[str]] = field(default_factory=dict)
    source: str = ""

    def add_entity_key(self, platform: str, key: str) -> None:
        """Remember an entity translation key of a platform."""
        self.entity_keys.setdefault(platform, set()).add(key)


def load_json(path: Path, report: Report, where: str) -> Any:
    """Parse a JSON file, recording an error instead of raising."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        report.error(where, f"cannot be read as JSON ({err})")
        return None


def load_yaml(path: Path, report: Report, where: str) -> Any:
    """Parse a YAML file, recording an error instead of raising."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        report.error(where, f"cannot be read as YAML ({err})")
        return None


def version_of(value: str) -> AwesomeVersion | None:
    """Return a comparable version, or None when it is not one."""
    try:
        version = AwesomeVersion(value)
    except AwesomeVersionException:
        return None
    return version if version.valid else None


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


# --------------------------------------------------------------------------
# Reading the code
# --------------------------------------------------------------------------


def call_name(node: ast.Call) -> str:
    """Return the last name of the called thing (``a.b.c()`` -> ``c``)."""
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def keyword(node: ast.Call, name: str) -> ast.expr | None:
    """Return the value of a keyword argument, if given."""
    for kw in node.keywords:
        if kw.arg == name:
            return kw.value
    return None


class Resolver:
    """Turns names of string constants (and lists of them) into values."""

    def __init__(self, trees: dict[str, ast.Module]) -> None:
        self.values: dict[str, ast.expr] = {}
        self.enums: dict[str, list[str]] = {}
        for tree in trees.values():
            for node in tree.body:
                self._learn(node, prefix="")
                if isinstance(node, ast.ClassDef):
                    members: list[str] = []
                    for item in node.body:
                        self._learn(item, prefix=f"{node.name}.")
                        value = self._assigned(item)
                        if (
                            value is not None
                            and isinstance(value[1], ast.Constant)
                            and isinstance(value[1].value, str)
                        ):
                            members.append(value[1].value)
                    if members and any(
                        isinstance(b, ast.Name) and "Enum" in b.id for b in node.bases
                    ):
                        self.enums[node.name] = members

    @staticmethod
    def _assigned(node: ast.stmt) -> tuple[str, ast.expr] | None:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            return node.targets[0].id, node.value
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.value is not None
        ):
            return node.target.id, node.value
        return None

    def _learn(self, node: ast.stmt, prefix: str) -> None:
        assigned = self._assigned(node)
        if assigned is not None:
            name, value = assigned
            self.values.setdefault(prefix + name, value)

    def string(self, node: ast.expr | None, depth: int = 0) -> str | None:
        """Return the string a node stands for, or None if not static."""
        if node is None or depth > 5:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        name = self._dotted(node)
        if name is not None and name in self.values:
            return self.string(self.values[name], depth + 1)
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "value"
            and isinstance(node.value, ast.Attribute)
        ):
            return self.string(node.value, depth + 1)
        return None

    def strings(self, node: ast.expr | None, depth: int = 0) -> list[str] | None:
        """Return the strings of a static list/tuple/set or an enum's values."""
        if node is None or depth > 5:
            return None
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            values = [self.string(element) for element in node.elts]
            return None if None in values else [v for v in values if v is not None]
        if isinstance(node, ast.ListComp) and len(node.generators) == 1:
            return self.strings(node.generators[0].iter, depth + 1)
        if isinstance(node, ast.Call) and call_name(node) in {"list", "tuple"}:
            return self.strings(node.args[0], depth + 1) if node.args else None
        name = self._dotted(node)
        if name is not None:
            if name in self.enums:
                return list(self.enums[name])
            if name in self.values:
                return self.strings(self.values[name], depth + 1)
        return None

    @staticmethod
    def _dotted(node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return f"{node.value.id}.{node.attr}"
        return None


def platform_of_call(name: str, module: str) -> str | None:
    """Return the entity platform an entity description belongs to."""
    if module in PLATFORMS:
        return module
    stem = name.removesuffix("Description").removesuffix("Entity")
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", stem)
    snake = snake.lower()
    return snake if snake in PLATFORMS else None


def flow_kind(cls: ast.ClassDef, classes: dict[str, ast.ClassDef]) -> str | None:
    """Return config/options/config_subentries for a flow class, else None."""
    seen: set[str] = set()
    pending = [cls]
    while pending:
        current = pending.pop()
        for base in current.bases:
            name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
            if name in FLOW_KINDS:
                return FLOW_KINDS[name]
            if name in classes and name not in seen:
                seen.add(name)
                pending.append(classes[name])
    return None


def scan_code(integration: Path, report: Report) -> CodeFacts:
    """Collect every name the code refers to in translations and services."""
    facts = CodeFacts()
    trees: dict[str, ast.Module] = {}
    for path in sorted(integration.rglob("*.py")):
        relative = path.relative_to(integration).with_suffix("")
        module = ".".join(relative.parts)
        try:
            source = path.read_text(encoding="utf-8")
            trees[module] = ast.parse(source, filename=str(path))
        except (OSError, UnicodeDecodeError, SyntaxError) as err:
            where = str(path.relative_to(integration))
            report.error(where, f"cannot be parsed ({err})")
            continue
        facts.source += source
        facts.module_names.add(module)
    resolver = Resolver(trees)
    helpers = _key_helpers(trees)
    facts.helper_calls = {(h.module, h.lineno) for h in helpers.values()}
    for module, tree in trees.items():
        _scan_module(module, tree, resolver, facts)
    for module, tree in trees.items():
        _scan_helper_calls(module, tree, helpers, resolver, facts)
    return facts


@dataclass(frozen=True)
class KeyHelper:
    """A function that passes one of its parameters on as ``translation_key``."""

    position: int  # among positional parameters, ``self``/``cls`` excluded
    parameter: str
    issue: bool  # the key names a repair issue rather than an exception
    module: str
    lineno: int  # of the inner call, whose own key is therefore not "dynamic"


def _key_helpers(trees: dict[str, ast.Module]) -> dict[tuple[str, str], KeyHelper]:
    """Find ``def _invalid(key): return Error(translation_key=key)`` helpers.

    Keyed by (module, function name): a helper applies to calls in its own
    module and in modules that import it by name.
    """
    helpers: dict[tuple[str, str], KeyHelper] = {}
    for module, tree in trees.items():
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            params = [a.arg for a in func.args.posonlyargs + func.args.args]
            if params and params[0] in {"self", "cls"}:
                params = params[1:]
            for node in ast.walk(func):
                if not isinstance(node, ast.Call):
                    continue
                key = keyword(node, "translation_key")
                if isinstance(key, ast.Name) and key.id in params:
                    helpers[(module, func.name)] = KeyHelper(
                        position=params.index(key.id),
                        parameter=key.id,
                        issue=call_name(node) in ISSUE_CALLS,
                        module=module,
                        lineno=node.lineno,
                    )
    return helpers


def imported_module(module: str, node: ast.ImportFrom) -> str:
    """Return the module key (``a.b`` or ``pkg.__init__``) an import reads from."""
    if node.level == 0:
        prefix = f"custom_components.{DOMAIN}."
        name = node.module or ""
        return name.removeprefix(prefix) if name.startswith(prefix) else name
    package = module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
    parts = [*base, *(node.module.split(".") if node.module else ["__init__"])]
    return ".".join(parts)


def _scan_helper_calls(
    module: str,
    tree: ast.Module,
    helpers: dict[tuple[str, str], KeyHelper],
    resolver: Resolver,
    facts: CodeFacts,
) -> None:
    """Resolve the keys that callers hand to key helpers."""
    visible = {name: h for (where, name), h in helpers.items() if where == module}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = imported_module(module, node)
            for alias in node.names:
                imported = helpers.get((source, alias.name))
                if imported is not None:
                    visible[alias.asname or alias.name] = imported
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        helper = visible.get(call_name(node))
        if helper is None:
            continue
        given = keyword(node, helper.parameter)
        if given is None and len(node.args) > helper.position:
            given = node.args[helper.position]
        if given is None:
            continue
        key = resolver.string(given)
        if key is None:
            facts.dynamic_keys.append(f"{module.replace('.', '/')}.py:{node.lineno}")
        elif helper.issue:
            facts.issue_keys.add(key)
        else:
            facts.exception_keys.add(key)


def _scan_module(
    module: str, tree: ast.Module, resolver: Resolver, facts: CodeFacts
) -> None:
    """Collect the facts of one module."""
    facts.functions[module] = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    facts.module_constants[module] = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    for name, value in resolver.values.items():
        if (
            name.startswith("SERVICE_")
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            facts.service_constants.add(value.value)
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    _collect_components(module, tree, facts)
    if any(flow_kind(cls, classes) for cls in classes.values()):
        _collect_form_fields(module, tree, resolver, facts)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            _scan_class(module, node, flow_kind(node, classes), resolver, facts)
        else:
            _scan_nodes(module, [node], None, resolver, facts)


def _collect_form_fields(
    module: str, tree: ast.Module, resolver: Resolver, facts: CodeFacts
) -> None:
    """Record the static keys of ``vol.Required``/``vol.Optional`` in a flow module."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and call_name(node) in FORM_KEY_CALLS
            and node.args
            and (key := resolver.string(node.args[0])) is not None
        ):
            facts.form_fields.setdefault(key, f"{module.replace('.', '/')}.py")


def _collect_components(module: str, tree: ast.Module, facts: CodeFacts) -> None:
    """Record ``homeassistant.components.X`` imports outside TYPE_CHECKING."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
        ):
            skipped.update(id(child) for child in ast.walk(node))
    used = facts.components.setdefault(module, set())
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("homeassistant.components."):
                used.add(node.module.split(".")[2])
            elif node.module == "homeassistant.components":
                used.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("homeassistant.components."):
                    used.add(alias.name.split(".")[2])


def _scan_class(
    module: str,
    cls: ast.ClassDef,
    kind: str | None,
    resolver: Resolver,
    facts: CodeFacts,
) -> None:
    """Collect a class: entity translation keys and event types, flow names."""
    platform = module if module in PLATFORMS else None
    key: str | None = None
    event_types: list[str] | None = None
    for node in ast.walk(cls):
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if target is None or value is None:
            continue
        name = (
            target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
        )
        if name in {"_attr_translation_key", "translation_key"} and platform:
            key = resolver.string(value)
            if key is not None:
                facts.add_entity_key(platform, key)
        elif name == "_attr_event_types":
            event_types = resolver.strings(value)
    if platform == "event" and key is not None and event_types:
        facts.event_types.setdefault(key, set()).update(event_types)
    _scan_nodes(module, cls.body, kind, resolver, facts)


def _scan_nodes(
    module: str,
    nodes: Iterable[ast.AST],
    kind: str | None,
    resolver: Resolver,
    facts: CodeFacts,
) -> None:
    """Collect calls and error assignments below the given nodes."""
    for top in nodes:
        for node in ast.walk(top):
            if isinstance(node, ast.Call):
                _scan_call(module, node, kind, resolver, facts)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                _scan_error_assignment(node, kind, resolver, facts)
            if (
                isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef)
                and kind
                and node.name.startswith("async_step_")
            ):
                facts.flow_steps.setdefault(kind, set())


def _errors_target(kind: str | None, facts: CodeFacts) -> set[str]:
    """Return the set that error keys of this flow kind go to."""
    if kind is None:
        return facts.loose_errors
    return facts.flow_errors.setdefault(kind, set())


def _scan_error_assignment(
    node: ast.Assign | ast.AnnAssign,
    kind: str | None,
    resolver: Resolver,
    facts: CodeFacts,
) -> None:
    """``errors[x] = "key"`` and ``errors = {"base": "key"}``."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    value = node.value
    if value is None:
        return
    for target in targets:
        if (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and "error" in target.value.id
        ):
            key = resolver.string(value)
            if key is not None:
                _errors_target(kind, facts).add(key)
        elif (
            isinstance(target, ast.Name)
            and "error" in target.id
            and isinstance(value, ast.Dict)
        ):
            for item in value.values:
                key = resolver.string(item)
                if key is not None:
                    _errors_target(kind, facts).add(key)


def _scan_call(
    module: str,
    node: ast.Call,
    kind: str | None,
    resolver: Resolver,
    facts: CodeFacts,
) -> None:
    """Sort one call into the facts it proves."""
    name = call_name(node)
    key_node = keyword(node, "translation_key")
    translation_key = resolver.string(key_node)
    if (
        key_node is not None
        and translation_key is None
        and (module, node.lineno) not in facts.helper_calls
    ):
        facts.dynamic_keys.append(f"{module.replace('.', '/')}.py:{node.lineno}")
    if name.endswith("Description"):
        platform = platform_of_call(name, module)
        if platform is not None and translation_key is not None:
            facts.add_entity_key(platform, translation_key)
            options = resolver.strings(keyword(node, "options"))
            if platform == "sensor" and options:
                states = facts.entity_states.setdefault(
                    (platform, translation_key), set()
                )
                states.update(options)
            event_types = resolver.strings(keyword(node, "event_types"))
            if platform == "event" and event_types:
                facts.event_types.setdefault(translation_key, set()).update(event_types)
    elif "Selector" in name:
        if translation_key is not None:
            options = resolver.strings(keyword(node, "options")) or []
            facts.selectors.setdefault(translation_key, set()).update(options)
    elif name in ISSUE_CALLS:
        if translation_key is not None:
            facts.issue_keys.add(translation_key)
    elif translation_key is not None and name[:1].isupper():
        facts.exception_keys.add(translation_key)
    if name in SERVICE_REGISTER_CALLS or name == "async_register_entity_service":
        _scan_service_registration(name, node, resolver, facts)
    if name == "async_abort" and kind:
        reason = resolver.string(keyword(node, "reason"))
        if reason is not None:
            facts.flow_aborts.setdefault(kind, set()).add(reason)
    elif name == "_abort_if_unique_id_configured" and kind:
        facts.flow_aborts.setdefault(kind, set()).add("already_configured")
    elif name in {"async_update_and_abort", "async_update_reload_and_abort"} and kind:
        reason = resolver.string(keyword(node, "reason")) or "reconfigure_successful"
        facts.flow_aborts.setdefault(kind, set()).add(reason)
    elif name in {"async_show_form", "async_show_menu"} and kind:
        step = resolver.string(keyword(node, "step_id"))
        if step is not None:
            facts.flow_steps.setdefault(kind, set()).add(step)
        errors = keyword(node, "errors")
        if isinstance(errors, ast.Dict):
            for item in errors.values:
                key = resolver.string(item)
                if key is not None:
                    _errors_target(kind, facts).add(key)


def _scan_service_registration(
    name: str, node: ast.Call, resolver: Resolver, facts: CodeFacts
) -> None:
    """Record the action name registered by this call."""
    args = list(node.args)
    if name == "async_register_entity_service":
        service_node = args[0] if args else keyword(node, "name")
    else:
        if name != "async_register":
            args = args[1:]  # these helpers take hass first
        if not args or resolver.string(args[0]) != DOMAIN:
            return
        service_node = args[1] if len(args) > 1 else keyword(node, "service")
    service = resolver.string(service_node)
    if service is None:
        facts.dynamic_services = True
    else:
        facts.services.add(service)


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
