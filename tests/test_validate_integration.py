"""scripts/validate_integration.py: a clean tree passes, every defect is named.

Each test builds a small but complete repository in a temp folder (the real
manifest, hacs.json and brand images, plus integration code written to use
every pattern the checker reads), breaks one thing, runs the script's
``main`` and asserts a non-zero exit and a message naming the defect.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
import importlib.util
import json
from pathlib import Path
import shutil
import struct
import subprocess
import sys
from types import ModuleType
from typing import Any
import zlib

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "validate_integration.py"
DOMAIN = "cisco_ip_phone"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("validate_integration", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


validator = _load_script()

CONST_PY = '''
"""Constants."""
from typing import Final
from enum import StrEnum

DOMAIN: Final = "cisco_ip_phone"
SERVICE_RESYNC: Final = "resync"
SERVICE_REGENERATE: Final = "regenerate_configs"
EVENT_BOOTED: Final = "booted"
EVENT_ERROR: Final = "error"
ERROR_BIND: Final = "cannot_bind"


class State(StrEnum):
    """Provisioning states."""

    IDLE = "idle"
    BOOTING = "booting"
'''

INIT_PY = '''
"""Integration."""
from homeassistant.helpers import config_validation as cv
from homeassistant.exceptions import ServiceValidationError
from .const import DOMAIN, SERVICE_REGENERATE, SERVICE_RESYNC

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass, config):
    """Register the actions."""
    hass.services.async_register(DOMAIN, "upgrade_firmware", _handle)
    for name in (SERVICE_RESYNC, SERVICE_REGENERATE):
        hass.services.async_register(DOMAIN, name, _handle)
    return True


async def _handle(call):
    if call.data:
        raise _invalid("no_phones")
    raise ServiceValidationError(
        translation_domain=DOMAIN, translation_key="phone_not_found"
    )


def _invalid(key, **placeholders):
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


async def async_setup_entry(hass, entry):
    """Set up."""
    entry.runtime_data = object()
    return True


async def async_unload_entry(hass, entry):
    """Unload."""
    return True


async def async_remove_config_entry_device(hass, entry, device):
    """Allow removal."""
    return True
'''

SENSOR_PY = '''
"""Sensors."""
from dataclasses import dataclass
from homeassistant.components.sensor import SensorEntity, SensorEntityDescription
from .const import State

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class PhoneSensorDescription(SensorEntityDescription):
    """A phone sensor."""


SENSORS = (
    PhoneSensorDescription(
        key="state",
        translation_key="provisioning_state",
        options=[state.value for state in State],
    ),
    SensorEntityDescription(key="ip", translation_key="ip_address"),
)


class Phone(SensorEntity):
    """Base."""

    _attr_has_entity_name = True
'''

EVENT_PY = '''
"""Events."""
from homeassistant.components.event import EventEntity
from .const import EVENT_BOOTED, EVENT_ERROR

PARALLEL_UPDATES = 0
EVENT_TYPES = [EVENT_BOOTED, EVENT_ERROR]


class PhoneEvent(EventEntity):
    """Event entity."""

    _attr_translation_key = "provisioning"
    _attr_event_types = EVENT_TYPES
'''

REPAIRS_PY = '''
"""Repairs."""
from homeassistant.components.repairs import RepairsFlow
from homeassistant.helpers import issue_registry as ir
import voluptuous as vol
from .const import DOMAIN


class PortFlow(RepairsFlow):
    """Fix the port."""

    async def async_step_init(self, user_input=None):
        return await self.async_step_pick_port()

    async def async_step_pick_port(self, user_input=None):
        if user_input:
            return self.async_abort(reason="entry_removed")
        return self.async_show_form(
            step_id="pick_port", data_schema=vol.Schema({vol.Required("port"): int})
        )


def report(hass):
    """Raise an issue."""
    ir.async_create_issue(
        hass, DOMAIN, "tftp", is_fixable=False, severity=ir.IssueSeverity.ERROR,
        translation_key="tftp_port_in_use",
    )
'''

ACTIONS_PY = '''
"""Action helpers that reuse the key helper of __init__."""
from . import _invalid


def check(version):
    """Raise for a bad version."""
    if not version:
        raise _invalid(key="bad_version")
'''

CONFIG_FLOW_PY = '''
"""Config flow."""
from homeassistant import config_entries
from homeassistant.config_entries import ConfigFlow, ConfigSubentryFlow, OptionsFlow
from homeassistant.helpers import selector
import voluptuous as vol
from .const import DOMAIN, ERROR_BIND

CODEC = selector.SelectSelector(
    selector.SelectSelectorConfig(options=["g711ulaw", "g729a"],
                                  translation_key="codec")
)


def _validate(data):
    errors = {}
    if data:
        errors["base"] = "passive_range_reversed"
    return errors


class Base(ConfigFlow, domain=DOMAIN):
    """Base."""


class Flow(Base):
    """Server flow."""

    async def async_step_user(self, user_input=None):
        errors = {}
        if user_input:
            errors["base"] = ERROR_BIND
        await self.async_set_unique_id(DOMAIN)
        self._abort_if_unique_id_configured()
        return self.async_show_form(step_id="user", errors=errors)

    async def async_step_reconfigure(self, user_input=None):
        return self.async_abort(reason="reconfigure_successful")

    async def async_step_integration_discovery(self, info):
        return self.async_show_form(step_id="discovery_confirm")


class Options(config_entries.OptionsFlow):
    """Options."""

    async def async_step_init(self, user_input=None):
        return self.async_show_form(step_id="init", errors={"base": "invalid_setting"})


class Phone(ConfigSubentryFlow):
    """Phone subentry."""

    async def async_step_user(self, user_input=None):
        if user_input:
            return self.async_abort(reason="phone_exists")
        return self.async_show_form(
            step_id="user", data_schema=vol.Schema({vol.Required("mac"): str})
        )

    async def async_step_reconfigure(self, user_input=None):
        return self.async_update_and_abort(None, None, data={})
'''

STRINGS = {
    "config": {
        "step": {
            "user": {"title": "Server", "data": {"root": "Root folder"}},
            "discovery_confirm": {"title": "Add phone"},
        },
        "error": {
            "cannot_bind": "Port in use",
            "passive_range_reversed": "Range reversed",
        },
        "abort": {
            "already_configured": "Already set up",
            "reconfigure_successful": "Done",
        },
    },
    "options": {
        "step": {"init": {"title": "Options", "data": {"discovery": "Discovery"}}},
        "error": {"invalid_setting": "Invalid"},
    },
    "config_subentries": {
        "phone": {
            "step": {"user": {"title": "Phone", "data": {"mac": "MAC"}}},
            "abort": {
                "phone_exists": "Exists",
                "reconfigure_successful": "Saved",
            },
        }
    },
    "selector": {"codec": {"options": {"g711ulaw": "G.711 u-law", "g729a": "G.729a"}}},
    "entity": {
        "sensor": {
            "provisioning_state": {
                "name": "Provisioning state",
                "state": {"idle": "Idle", "booting": "Booting"},
            },
            "ip_address": {"name": "IP address"},
        },
        "event": {
            "provisioning": {
                "name": "Provisioning",
                "state_attributes": {
                    "event_type": {"state": {"booted": "Booted", "error": "Error"}}
                },
            }
        },
    },
    "exceptions": {
        "phone_not_found": {"message": "No such phone"},
        "no_phones": {"message": "Choose a phone"},
        "bad_version": {"message": "Not an image"},
    },
    "issues": {
        "tftp_port_in_use": {
            "title": "TFTP port in use",
            "description": "Another program uses port 69.",
        },
        "ftp_port_in_use": {
            "title": "FTP port in use",
            "fix_flow": {
                "step": {"pick_port": {"data": {"port": "Port"}}},
                "abort": {"entry_removed": "Removed"},
            },
        },
    },
    "services": {
        "resync": {"name": "Resync", "description": "Re-read config."},
        "regenerate_configs": {
            "name": "Regenerate",
            "description": "Rewrite files.",
            "fields": {"phone": {"name": "Phone", "description": "Which phone."}},
        },
        "upgrade_firmware": {"name": "Upgrade", "description": "Walk firmware."},
    },
}

SERVICES_YAML = """\
resync:
regenerate_configs:
  fields:
    phone:
      required: false
      selector:
        text:
upgrade_firmware:
"""

ICONS = {
    "entity": {"sensor": {"provisioning_state": {"default": "mdi:phone"}}},
    "services": {
        "resync": {"service": "mdi:sync"},
        "regenerate_configs": {"service": "mdi:file-cog"},
        "upgrade_firmware": "mdi:update",
    },
}


def _quality_scale(overrides: dict[str, str] | None = None) -> str:
    lines = ["rules:"]
    for rule in validator.QUALITY_RULES:
        value = (overrides or {}).get(rule)
        if value is not None:
            lines.append(f"  {rule}: {value}")
        elif rule in {"appropriate-polling", "inject-websession"}:
            lines.append(f"  {rule}:\n    status: exempt\n    comment: Nothing polled.")
        elif rule in {"reauthentication-flow", "diagnostics"}:
            lines.append(f"  {rule}: todo")
        else:
            lines.append(f"  {rule}: done")
    return "\n".join(lines) + "\n"


def make_repo(root: Path) -> Path:
    """Write a complete, valid repository; return the integration folder."""
    integration = root / "custom_components" / DOMAIN
    integration.mkdir(parents=True)
    source = REPO / "custom_components" / DOMAIN
    shutil.copy(source / "manifest.json", integration / "manifest.json")
    shutil.copytree(source / "brand", integration / "brand")
    shutil.copy(REPO / "hacs.json", root / "hacs.json")
    (root / "README.md").write_text("# readme\n")
    (root / "custom_components" / "__init__.py").write_text("")
    for name, text in {
        "const.py": CONST_PY,
        "__init__.py": INIT_PY,
        "sensor.py": SENSOR_PY,
        "event.py": EVENT_PY,
        "repairs.py": REPAIRS_PY,
        "actions.py": ACTIONS_PY,
        "config_flow.py": CONFIG_FLOW_PY,
        "coordinator.py": '"""Hub."""\n',
        "entity.py": '"""Base entity."""\n',
    }.items():
        (integration / name).write_text(text)
    strings = json.dumps(STRINGS, indent=2)
    (integration / "strings.json").write_text(strings)
    (integration / "translations").mkdir()
    (integration / "translations" / "en.json").write_text(strings)
    (integration / "services.yaml").write_text(SERVICES_YAML)
    (integration / "icons.json").write_text(json.dumps(ICONS))
    (integration / "quality_scale.yaml").write_text(_quality_scale())
    docs = root / "docs"
    docs.mkdir()
    for name in ("index", "installation", "configuration", "entities"):
        (docs / f"{name}.md").write_text(f"# {name}\n")
    (docs / "troubleshooting.md").write_text("# t\n")
    return integration


def run(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = validator.main(["--root", str(root)])
    return code, capsys.readouterr().out


def png(width: int, height: int) -> bytes:
    """A valid 8-bit grey PNG of the given size."""
    raw = b"".join(b"\x00" + b"\x00" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    signature: bytes = validator.PNG_SIGNATURE
    return (
        signature
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------- clean trees


def test_complete_repository_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(tmp_path)
    code, out = run(tmp_path, capsys)
    assert code == 0, out
    assert "integration metadata: ok" in out
    assert "ERROR" not in out


def test_scanner_reads_every_pattern(tmp_path: Path) -> None:
    """The fixture's keys are found, so the defect tests below mean something."""
    integration = make_repo(tmp_path)
    facts = validator.scan_code(integration, validator.Report())
    assert facts.entity_keys == {
        "sensor": {"provisioning_state", "ip_address"},
        "event": {"provisioning"},
    }
    assert facts.entity_states == {
        ("sensor", "provisioning_state"): {"idle", "booting"}
    }
    assert facts.event_types == {"provisioning": {"booted", "error"}}
    assert facts.exception_keys == {"phone_not_found", "no_phones", "bad_version"}
    assert facts.dynamic_keys == []
    assert facts.issue_keys == {"tftp_port_in_use"}
    assert facts.selectors == {"codec": {"g711ulaw", "g729a"}}
    assert facts.services == {"upgrade_firmware"}
    assert facts.dynamic_services
    assert facts.service_constants == {"resync", "regenerate_configs"}
    assert facts.flow_steps == {
        "config": {"user", "discovery_confirm"},
        "options": {"init"},
        "config_subentries": {"user"},
        "issues": {"pick_port"},
    }
    assert facts.flow_errors == {
        "config": {"cannot_bind"},
        "options": {"invalid_setting"},
    }
    assert facts.flow_aborts == {
        "config": {"already_configured", "reconfigure_successful"},
        "config_subentries": {"phone_exists", "reconfigure_successful"},
        "issues": {"entry_removed"},
    }
    assert facts.loose_errors == {"passive_range_reversed"}
    assert set(facts.form_fields) == {"mac", "port"}


def test_the_real_repository_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(REPO, capsys)
    assert code == 0, out


def test_script_runs_as_a_command(tmp_path: Path) -> None:
    integration = make_repo(tmp_path)
    command = [sys.executable, str(SCRIPT), "--root", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    (integration / "icons.json").write_text("{")
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "icons.json: cannot be read as JSON" in result.stdout


def test_files_not_written_yet_are_notes_not_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    integration = make_repo(tmp_path)
    for name in ("strings.json", "services.yaml", "icons.json", "quality_scale.yaml"):
        (integration / name).unlink()
    for name in (
        "config_flow.py",
        "__init__.py",
        "sensor.py",
        "event.py",
        "repairs.py",
    ):
        (integration / name).unlink()
    shutil.rmtree(integration / "translations")
    code, out = run(tmp_path, capsys)
    assert code == 0, out
    for fragment in (
        "config_flow.py is not written yet",
        "translations/en.json not written",
        "services.yaml: not written yet",
        "icons.json: not written yet",
        "quality_scale.yaml: not written yet",
    ):
        assert fragment in out


def test_keys_used_before_translations_exist_are_noted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    integration = make_repo(tmp_path)
    (integration / "strings.json").unlink()
    shutil.rmtree(integration / "translations")
    (integration / "services.yaml").unlink()
    (integration / "icons.json").unlink()
    (integration / "quality_scale.yaml").unlink()
    (integration / "__init__.py").write_text('"""No actions."""\n')
    code, out = run(tmp_path, capsys)
    assert code == 0, out
    assert "checked once translations/en.json exists" in out


def test_keys_handed_to_a_helper_at_run_time_are_noted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    integration = make_repo(tmp_path)
    text = (integration / "actions.py").read_text()
    (integration / "actions.py").write_text(
        text.replace('_invalid(key="bad_version")', "_invalid(key=version)")
    )
    code, out = run(tmp_path, capsys)
    assert code == 0, out
    assert "key built at run time not checked (actions.py:9)" in out


def test_run_time_translation_keys_are_noted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    integration = make_repo(tmp_path)
    text = (integration / "repairs.py").read_text()
    (integration / "repairs.py").write_text(
        text.replace('"tftp_port_in_use"', 'f"tftp_{hass}"')
    )
    code, out = run(tmp_path, capsys)
    assert code == 0, out
    assert "key built at run time not checked (repairs.py:" in out


# ------------------------------------------------------------------- defects

Mutation = Callable[[Path, Path], object]


def edit_json(path: Path, change: Callable[[dict[str, Any]], object]) -> None:
    data = json.loads(path.read_text())
    result = change(data)
    path.write_text(json.dumps(data if result is None else result, indent=2))


def edit_strings(change: Callable[[dict[str, Any]], object]) -> Mutation:
    """Apply the same change to strings.json and en.json."""

    def mutate(root: Path, integration: Path) -> None:
        edit_json(integration / "strings.json", change)
        edit_json(integration / "translations" / "en.json", change)

    return mutate


def edit_manifest(change: Callable[[dict[str, Any]], object]) -> Mutation:
    def mutate(root: Path, integration: Path) -> None:
        edit_json(integration / "manifest.json", change)

    return mutate


def edit_hacs(change: Callable[[dict[str, Any]], object]) -> Mutation:
    def mutate(root: Path, integration: Path) -> None:
        edit_json(root / "hacs.json", change)

    return mutate


def write(relative: str, text: str | bytes) -> Mutation:
    def mutate(root: Path, integration: Path) -> None:
        path = integration / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)

    return mutate


def replace(relative: str, old: str, new: str) -> Mutation:
    def mutate(root: Path, integration: Path) -> None:
        path = integration / relative
        content = path.read_text()
        assert old in content, f"fixture lost {old!r}"
        path.write_text(content.replace(old, new))

    return mutate


def remove(relative: str) -> Mutation:
    def mutate(root: Path, integration: Path) -> None:
        path = (integration / relative) if relative != "README.md" else root / relative
        path.unlink()

    return mutate


def drop(*keys: str) -> Callable[[dict[str, Any]], None]:
    """Delete data[k1][k2]...[kn]."""

    def change(data: dict[str, Any]) -> None:
        node: object = data
        for key in keys[:-1]:
            assert isinstance(node, dict)
            node = node[key]
        assert isinstance(node, dict)
        del node[keys[-1]]

    return change


def reorder_manifest(data: dict[str, Any]) -> dict[str, Any]:
    items = list(data.items())
    items[2], items[3] = items[3], items[2]
    return dict(items)


DEFECTS: dict[str, tuple[Mutation, str]] = {
    # manifest.json
    "manifest key order": (edit_manifest(reorder_manifest), "keys are not sorted"),
    "manifest name not second": (
        edit_manifest(lambda d: {"name": d.pop("name"), **d}),
        "keys are not sorted",
    ),
    "manifest without version": (
        edit_manifest(drop("version")),
        "required key 'version' is missing",
    ),
    "manifest without iot_class": (
        edit_manifest(drop("iot_class")),
        "required key 'iot_class' is missing",
    ),
    "manifest unknown key": (
        edit_manifest(lambda d: d.update(zzz=1)),
        "unknown key 'zzz'",
    ),
    "manifest bad version": (
        edit_manifest(lambda d: d.update(version="not a version")),
        "'version' 'not a version' is not a valid version",
    ),
    "requirement not pinned": (
        edit_manifest(lambda d: d.update(requirements=["tftpy>=0.8"])),
        "requirement 'tftpy>=0.8' is not pinned",
    ),
    "documentation not https": (
        edit_manifest(lambda d: d.update(documentation="http://example.com")),
        "'documentation' must be an https URL",
    ),
    "documentation on core site": (
        edit_manifest(
            lambda d: d.update(documentation="https://www.home-assistant.io/x")
        ),
        "must not point at the core documentation",
    ),
    "domain mismatch": (
        edit_manifest(lambda d: d.update(domain="other")),
        "domain 'other' != folder 'cisco_ip_phone'",
    ),
    "bad iot_class": (
        edit_manifest(lambda d: d.update(iot_class="telepathy")),
        "'iot_class' 'telepathy' is not valid",
    ),
    "bad integration_type": (
        edit_manifest(lambda d: d.update(integration_type="gadget")),
        "'integration_type' 'gadget' is not valid",
    ),
    "codeowners without @": (
        edit_manifest(lambda d: d.update(codeowners=["someone"])),
        "'codeowners' must be a non-empty list",
    ),
    "config_flow not a bool": (
        edit_manifest(lambda d: d.update(config_flow="yes")),
        "'config_flow' must be true or false",
    ),
    "requirements not a list": (
        edit_manifest(lambda d: d.update(dependencies="network")),
        "'dependencies' must be a list of strings",
    ),
    "manifest not JSON": (
        write("manifest.json", "{nope"),
        "manifest.json: cannot be read",
    ),
    "manifest not an object": (write("manifest.json", "[]"), "must be a JSON object"),
    "manifest missing": (remove("manifest.json"), "manifest.json: missing"),
    # hacs.json and repository layout
    "hacs unknown key": (
        edit_hacs(lambda d: d.update(color="red")),
        "unknown key 'color'",
    ),
    "hacs old homeassistant": (
        edit_hacs(lambda d: d.update(homeassistant="2024.1.0")),
        "'homeassistant' must be >= 2025.4.0",
    ),
    "hacs homeassistant not a version": (
        edit_hacs(lambda d: d.update(homeassistant="soon")),
        "'homeassistant' 'soon' is not a version",
    ),
    "hacs without homeassistant": (
        edit_hacs(drop("homeassistant")),
        "'homeassistant' is required",
    ),
    "hacs without name": (edit_hacs(drop("name")), "'name' is required"),
    "hacs wrong type": (
        edit_hacs(lambda d: d.update(zip_release="yes")),
        "'zip_release' has the wrong type",
    ),
    "hacs zip without filename": (
        edit_hacs(lambda d: d.update(zip_release=True)),
        "'zip_release' needs 'filename'",
    ),
    "hacs content in root": (
        edit_hacs(lambda d: d.update(content_in_root=True)),
        "'content_in_root' must not be set",
    ),
    "readme missing": (remove("README.md"), "README.md: missing"),
    # translations
    "en.json differs from strings.json": (
        lambda root, integration: edit_json(
            integration / "translations" / "en.json",
            lambda d: d["config"]["step"]["user"].update(title="Other"),
        ),
        "differs from strings.json (first differences: config.step.user.title)",
    ),
    "strings.json without en.json": (
        remove("translations/en.json"),
        "translations/en.json: missing",
    ),
    "key reference in custom integration": (
        edit_strings(lambda d: d["config"]["abort"].update(x="[%key:common::x%]")),
        "'config.abort.x' uses a [%key:...%] reference",
    ),
    "empty translation": (
        edit_strings(lambda d: d["config"]["abort"].update(x="")),
        "'config.abort.x' must be a non-empty string",
    ),
    "uppercase entity key": (
        edit_strings(lambda d: d["entity"]["sensor"].update(Bad={"name": "x"})),
        "key 'entity.sensor.Bad' must be lowercase",
    ),
    "entity name missing": (
        edit_strings(drop("entity", "sensor", "ip_address")),
        "entity.sensor.ip_address.name is missing",
    ),
    "enum state missing": (
        edit_strings(
            drop("entity", "sensor", "provisioning_state", "state", "booting")
        ),
        "entity.sensor.provisioning_state.state.booting is missing",
    ),
    "event type missing": (
        edit_strings(
            drop(
                "entity",
                "event",
                "provisioning",
                "state_attributes",
                "event_type",
                "state",
                "error",
            )
        ),
        "state_attributes.event_type.state.error is missing",
    ),
    "exception of a key helper missing": (
        edit_strings(drop("exceptions", "no_phones")),
        "exceptions.no_phones.message is missing",
    ),
    "exception of an imported key helper missing": (
        edit_strings(drop("exceptions", "bad_version")),
        "exceptions.bad_version.message is missing",
    ),
    "exception missing": (
        edit_strings(drop("exceptions", "phone_not_found")),
        "exceptions.phone_not_found.message is missing",
    ),
    "issue missing": (
        edit_strings(drop("issues", "tftp_port_in_use")),
        "issues.tftp_port_in_use.title is missing",
    ),
    "selector missing": (
        edit_strings(drop("selector", "codec")),
        "selector.codec is missing",
    ),
    "selector option missing": (
        edit_strings(drop("selector", "codec", "options", "g729a")),
        "selector.codec.options.g729a is missing",
    ),
    "flow step missing": (
        edit_strings(drop("config", "step", "discovery_confirm")),
        "config.step.discovery_confirm is missing",
    ),
    "flow error missing": (
        edit_strings(drop("config", "error", "cannot_bind")),
        "config.error.cannot_bind is missing",
    ),
    "flow abort missing": (
        edit_strings(drop("config", "abort", "already_configured")),
        "config.abort.already_configured is missing",
    ),
    "options error missing": (
        edit_strings(drop("options", "error", "invalid_setting")),
        "options.error.invalid_setting is missing",
    ),
    "subentry abort missing": (
        edit_strings(drop("config_subentries", "phone", "abort", "phone_exists")),
        "config_subentries.*.abort.phone_exists is missing",
    ),
    "form field without label": (
        edit_strings(drop("config_subentries", "phone", "step", "user", "data", "mac")),
        "form field 'mac' (config_flow.py) has no label in any flow step's data",
    ),
    "repair flow step missing": (
        edit_strings(
            drop("issues", "ftp_port_in_use", "fix_flow", "step", "pick_port")
        ),
        "issues.*.fix_flow.step.pick_port is missing",
    ),
    "repair flow abort missing": (
        edit_strings(drop("issues", "ftp_port_in_use", "fix_flow", "abort")),
        "issues.*.fix_flow.abort.entry_removed is missing",
    ),
    "default update-and-abort reason missing": (
        edit_strings(
            drop("config_subentries", "phone", "abort", "reconfigure_successful")
        ),
        "config_subentries.*.abort.reconfigure_successful is missing",
    ),
    "helper error missing": (
        edit_strings(drop("config", "error", "passive_range_reversed")),
        "flow error 'passive_range_reversed' is in no error section",
    ),
    "translated service that does not exist": (
        edit_strings(
            lambda d: d["services"].update(ghost={"name": "G", "description": "g"})
        ),
        "services.ghost is translated but no such action exists",
    ),
    "html in a text": (
        edit_strings(
            lambda d: d["config"]["step"]["user"].update(
                description="Uses SIP<MAC>.cnf"
            )
        ),
        "'config.step.user.description' contains '<MAC>', which hassfest rejects",
    ),
    "leading space": (
        edit_strings(lambda d: d["config"]["abort"].update(x=" Done")),
        "'config.abort.x' has leading or trailing spaces",
    ),
    "placeholder in single quotes": (
        edit_strings(lambda d: d["config"]["abort"].update(x="Port '{port}' busy")),
        "'config.abort.x' has a placeholder inside single quotes",
    ),
    "data_description without data": (
        edit_strings(
            lambda d: d["config"]["step"]["user"].update(
                data_description={"ghost": "Not a field"}
            )
        ),
        "config.step.user.data_description.ghost describes a field that is not in data",
    ),
    "subentry data_description without data": (
        edit_strings(
            lambda d: d["config_subentries"]["phone"]["step"]["user"].update(
                data_description={"ghost": "Not a field"}
            )
        ),
        "config_subentries.phone.step.user.data_description.ghost describes",
    ),
    "issue without description or fix flow": (
        edit_strings(drop("issues", "tftp_port_in_use", "description")),
        "issues.tftp_port_in_use needs either a description or a fix_flow",
    ),
    "issue with description and fix flow": (
        edit_strings(
            lambda d: d["issues"]["tftp_port_in_use"].update(
                fix_flow={"step": {"x": {"data": {}, "data_description": {"p": "P"}}}}
            )
        ),
        "issues.tftp_port_in_use needs either a description or a fix_flow",
    ),
    "issue fix flow data_description without data": (
        edit_strings(
            lambda d: d["issues"].update(
                other={
                    "title": "T",
                    "fix_flow": {"step": {"x": {"data_description": {"p": "P"}}}},
                }
            )
        ),
        "issues.other.fix_flow.step.x.data_description.p describes a field",
    ),
    "unknown translation section": (
        edit_strings(lambda d: d.update(extras={"a": "b"})),
        "unknown top-level key 'extras'",
    ),
    "entity key with double underscore": (
        edit_strings(lambda d: d["entity"]["sensor"].update(bad__key={"name": "x"})),
        "key 'entity.sensor.bad__key' must be lowercase",
    ),
    "state key uppercase": (
        edit_strings(
            lambda d: d["entity"]["sensor"]["provisioning_state"]["state"].update(
                Idle="Idle"
            )
        ),
        "key 'entity.sensor.provisioning_state.state.Idle' must be lowercase",
    ),
    "selector option key uppercase": (
        edit_strings(lambda d: d["selector"]["codec"]["options"].update(G729="G")),
        "key 'selector.codec.options.G729' must be lowercase",
    ),
    "exception key not a slug": (
        edit_strings(lambda d: d["exceptions"].update({"Bad-Key": {"message": "m"}})),
        "key 'exceptions.Bad-Key' must be lowercase",
    ),
    "translated service without name": (
        edit_strings(drop("services", "resync", "name")),
        "services.resync.name is missing",
    ),
    "translated service field without name": (
        edit_strings(drop("services", "regenerate_configs", "fields", "phone", "name")),
        "services.regenerate_configs.fields.phone.name is missing",
    ),
    "translations not JSON": (
        write("translations/en.json", "{"),
        "translations/en.json: cannot be read",
    ),
    # services
    "service described but not registered": (
        write("services.yaml", SERVICES_YAML + "ghost:\n"),
        "'ghost' is described but never registered in code",
    ),
    "service registered but not described": (
        write("services.yaml", SERVICES_YAML.replace("upgrade_firmware:\n", "")),
        "'upgrade_firmware' is registered in code but not described",
    ),
    "services.yaml missing": (
        remove("services.yaml"),
        "services.yaml: missing, but the code registers",
    ),
    "service without description": (
        edit_strings(drop("services", "resync", "description")),
        "'resync' has no description here or in translations",
    ),
    "service field without description": (
        edit_strings(
            drop("services", "regenerate_configs", "fields", "phone", "description")
        ),
        "'regenerate_configs' field 'phone' has no description",
    ),
    "services.yaml not a mapping": (
        write("services.yaml", "- resync\n"),
        "must be a mapping of action names",
    ),
    "services.yaml not YAML": (
        write("services.yaml", "a: [\n"),
        "cannot be read as YAML",
    ),
    # icons
    "icon for unknown entity": (
        lambda root, integration: edit_json(
            integration / "icons.json",
            lambda d: d["entity"]["sensor"].update(ghost={"default": "mdi:x"}),
        ),
        "entity.sensor.ghost matches no entity",
    ),
    "action without icon": (
        lambda root, integration: edit_json(
            integration / "icons.json", drop("services", "resync")
        ),
        "action 'resync' has no icon",
    ),
    "icon for unknown action": (
        lambda root, integration: edit_json(
            integration / "icons.json",
            lambda d: d["services"].update(ghost="mdi:ghost"),
        ),
        "services.ghost matches no registered action",
    ),
    "icon not mdi": (
        lambda root, integration: edit_json(
            integration / "icons.json",
            lambda d: d["services"].update(resync={"service": "phone"}),
        ),
        "services.resync needs an 'mdi:' icon",
    ),
    "entity icon not mdi": (
        lambda root, integration: edit_json(
            integration / "icons.json",
            lambda d: d["entity"]["sensor"].update(
                provisioning_state={"default": "phone"}
            ),
        ),
        "entity.sensor.provisioning_state.default is not mdi:",
    ),
    "icons unknown section": (
        lambda root, integration: edit_json(
            integration / "icons.json", lambda d: d.update(extra={})
        ),
        "unknown top-level key 'extra'",
    ),
    # quality_scale.yaml
    "quality rule missing": (
        replace("quality_scale.yaml", "  brands: done\n", ""),
        "rule 'brands' is missing",
    ),
    "quality rule unknown": (
        lambda root, integration: (integration / "quality_scale.yaml").write_text(
            _quality_scale() + "  made-up-rule: done\n"
        ),
        "unknown rule 'made-up-rule'",
    ),
    "quality status invalid": (
        write("quality_scale.yaml", _quality_scale({"brands": "maybe"})),
        "'brands' status 'maybe' is not done/todo/exempt",
    ),
    "quality exempt without comment": (
        write("quality_scale.yaml", _quality_scale({"devices": "exempt"})),
        "'devices' is exempt without a comment",
    ),
    "quality done without evidence": (
        write("quality_scale.yaml", _quality_scale({"diagnostics": "done"})),
        "'diagnostics' is done but diagnostics.py is missing",
    ),
    "quality docs done without page": (
        remove("../../docs/troubleshooting.md"),
        "'docs-troubleshooting' is done but docs/troubleshooting.md is missing",
    ),
    "quality unknown mapping key": (
        write(
            "quality_scale.yaml",
            _quality_scale({"devices": "\n    status: done\n    note: x"}),
        ),
        "'devices' has unknown key 'note'",
    ),
    "quality without rules": (
        write("quality_scale.yaml", "x: 1\n"),
        "needs a 'rules:'",
    ),
    # brand
    "icon wrong size": (
        write("brand/icon.png", png(128, 128)),
        "is 128x128, must be 256x256",
    ),
    "icon not a png": (
        write("brand/icon@2x.png", b"GIF89a" + bytes(40)),
        "is not a PNG",
    ),
    "icon missing": (remove("brand/icon.png"), "brand/icon.png: missing"),
    "dark icon wrong size": (
        write("brand/dark_icon.png", png(200, 200)),
        "brand/dark_icon.png: is 200x200",
    ),
    "logo portrait": (
        write("brand/logo.png", png(128, 256)),
        "must be landscape with height 128-256",
    ),
    "logo not a png": (
        write("brand/logo@2x.png", b"nope"),
        "brand/logo@2x.png: is not a PNG",
    ),
    # code rules
    "async_setup without CONFIG_SCHEMA": (
        replace("__init__.py", "CONFIG_SCHEMA = ", "SCHEMA = "),
        "defines async_setup but no CONFIG_SCHEMA",
    ),
    "undeclared component": (
        write("helpers.py", "from homeassistant.components.network import x\n"),
        "imports component 'network' but manifest.json does not list it",
    ),
    "undeclared component, plain import": (
        write("helpers.py", "import homeassistant.components.mqtt.models\n"),
        "imports component 'mqtt'",
    ),
    "undeclared component, from package": (
        write("helpers.py", "from homeassistant.components import zeroconf\n"),
        "imports component 'zeroconf'",
    ),
    "syntax error": (write("broken.py", "def (:\n"), "broken.py: cannot be parsed"),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_defect_is_reported(
    defect: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    integration = make_repo(tmp_path)
    mutate, message = DEFECTS[defect]
    mutate(tmp_path, integration)
    code, out = run(tmp_path, capsys)
    assert code == 1, out
    assert message in out, out
    assert "problem(s) found" in out


def test_declared_and_platform_components_are_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    integration = make_repo(tmp_path)
    edit_json(integration / "manifest.json", lambda d: d.update(dependencies=["http"]))
    (integration / "helpers.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from homeassistant.components.http import HomeAssistantView\n"
        "from homeassistant.components.diagnostics import async_redact_data\n"
        "from homeassistant.components.sensor import SensorEntity\n"
        "if TYPE_CHECKING:\n"
        "    from homeassistant.components.network import Adapter\n"
    )
    (integration / "diagnostics.py").write_text('"""Diagnostics."""\n')
    code, out = run(tmp_path, capsys)
    assert code == 0, out


def test_missing_integration_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "custom_components").mkdir()
    code, out = run(tmp_path, capsys)
    assert code == 1
    assert "'cisco_ip_phone' folder is missing" in out


def test_second_integration_in_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(tmp_path)
    (tmp_path / "custom_components" / "other").mkdir()
    code, out = run(tmp_path, capsys)
    assert code == 1
    assert "must hold exactly one integration" in out


def test_png_size_reads_ihdr(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    path.write_bytes(png(300, 120))
    assert validator.png_size(path) == (300, 120)
    assert validator.png_size(tmp_path / "absent.png") is None
    path.write_bytes(png(1, 1)[:20])
    assert validator.png_size(path) is None


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("services", "from . import _invalid", "__init__"),
        ("services", "from .helpers import _invalid", "helpers"),
        (
            "provisioning.tftp.server",
            "from .session import f",
            "provisioning.tftp.session",
        ),
        ("provisioning.tftp.server", "from ..phone import f", "provisioning.phone"),
        ("provisioning.tftp.server", "from .. import f", "provisioning.__init__"),
        (
            "services",
            "from custom_components.cisco_ip_phone.errors import f",
            "errors",
        ),
        ("services", "from os.path import join", "os.path"),
    ],
)
def test_imported_module(module: str, source: str, expected: str) -> None:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.ImportFrom)
    assert validator.imported_module(module, node) == expected
