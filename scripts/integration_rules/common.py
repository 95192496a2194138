"""Shared facts and helpers: constants from hassfest, the report, file loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
import json
from pathlib import Path
import re
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
