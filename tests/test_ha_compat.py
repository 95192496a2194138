"""The integration runs unchanged on Home Assistant 2025.4.4 and 2026.11.

The floor (2025.4.4, Python 3.13) is what the tests run on with coverage;
``scripts/test`` also runs them on 2026.10.4 (the newest test plugin's) and
boots 2026.11.0 with the integration (docs/development.md). The newest
release (2026.11.0, Python >= 3.14.2) was also checked by reading its unpacked
wheel (every homeassistant symbol, keyword and deprecation report we touch).
This test keeps that result true offline: it reads our sources and fails on
any API that is removed or deprecated between the two versions, absent from
the floor, or dropped from Python 3.14. Comments and strings are ignored, so
a docstring may still name what it avoids.

Every entry says why and since which version. Remove an entry only when the
floor moves past the version that makes it unnecessary.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
import io
from pathlib import Path
import re
import tokenize

import pytest

PACKAGE = (
    Path(__file__).resolve().parent.parent / "custom_components" / "cisco_ip_phone"
)
# The Home Assistant side; the engine under provisioning/ never imports it.
HA_SOURCES = sorted(PACKAGE.glob("*.py"))
ALL_SOURCES = sorted(PACKAGE.rglob("*.py"))


@dataclass(frozen=True)
class Banned:
    """A pattern our code must not contain, and why."""

    pattern: str
    reason: str


HA_DENYLIST: tuple[Banned, ...] = (
    Banned(
        r"\basync_extract_(config_entry_ids|entity_ids|referenced_entity_ids|"
        r"entities)\b",
        "service helpers: the hass argument is deprecated in 2025.9 and removed in "
        "2026.10, but 2025.4 requires it; read call.data instead",
    ),
    Banned(
        r"\bvia_device\s*=",
        "DeviceInfo.via_device is deprecated in 2026.8 (breaks 2027.8); its "
        "replacement via_device_id does not exist in 2025.4",
    ),
    Banned(
        r"\bvia_device_id\b",
        "DeviceInfo.via_device_id does not exist in 2025.4",
    ),
    Banned(
        r"\bself\.config_entry\s*=(?!=)",
        "OptionsFlow.config_entry is a read-only property: the setter was "
        "deprecated in 2024.11 and removed in 2025.12",
    ),
    Banned(
        r"\bOptionsFlowWithConfigEntry\b",
        "phased out; 2026.11 keeps it only for custom integrations and reports it",
    ),
    Banned(
        r"\bOptionsFlowWithReload\b",
        "does not exist in 2025.4, and raises ValueError in 2026.11 when the "
        "entry has an update listener (we have one)",
    ),
    Banned(
        r"\basync_update_reload_and_abort\b",
        "with an update listener: the subentry helper raises ValueError in "
        "2026.11, the config flow helper is deprecated in 2026.6 and breaks in "
        "2026.12; the listener reloads (async_update_and_abort only updates)",
    ),
    Banned(
        r"\b_abort_if_unique_id_configured\(\s*updates\b|\breload_on_update\s*=\s*True",
        "reloading from a flow while the entry has an update listener is "
        "deprecated in 2026.6 and breaks in 2026.12",
    ),
    Banned(
        r"\.config_entries_subentries\b",
        "DeviceEntry.config_entries_subentries is deprecated in 2026.8 "
        "(a device has one config entry and subentry; breaks 2027.10)",
    ),
    Banned(
        r"\.primary_config_entry\b",
        "DeviceEntry.primary_config_entry is deprecated in 2026.8 (breaks 2027.10)",
    ),
    Banned(
        r"(?<!hass)(?<!homeassistant)\.config_entries\b",
        "DeviceEntry.config_entries is deprecated in 2026.8 (breaks 2027.10); "
        "hass.config_entries is fine",
    ),
    Banned(
        r"\.suggested_area\b",
        "DeviceEntry.suggested_area was removed in 2026.9 (setting it in "
        "DeviceInfo is still allowed)",
    ),
    Banned(
        r"\basync_get_device\s*\(",
        "DeviceRegistry.async_get_device is deprecated in 2026.8 (breaks 2027.8); "
        "its replacements do not exist in 2025.4: use the entity's device_entry "
        "or DeviceRegistry.async_get(device_id)",
    ),
    Banned(
        r"\basync_get_device_by_(identifier|connection)\b",
        "does not exist in 2025.4 (added 2026.8)",
    ),
    Banned(
        r"\.devices\s*(\[|\.get\b|\.values\b|\.items\b|\.keys\b)|\bdeleted_devices\b",
        "the DeviceRegistry.devices mapping methods and deleted_devices are "
        "deprecated in 2026.11 (break 2027.9)",
    ),
    Banned(
        r"\b_set_confirm_only\b",
        "a deprecated no-op in 2026.11 (reported)",
    ),
    Banned(
        r"\bshow_advanced_options\b",
        "deprecated in 2026.x (always True), removed in 2027.6; use sections",
    ),
    Banned(
        r"\basync_register_platform_entity_service\b",
        "does not exist in 2025.4 (added 2025.9)",
    ),
    Banned(
        r"\bretry_after\s*=",
        "UpdateFailed(retry_after=...) does not exist in 2025.4 (added 2025.12)",
    ),
    Banned(
        r"\bnext_flow\s*=",
        "next_flow on create/abort does not exist for config flows in 2025.4",
    ),
    Banned(
        r"\basync_(add_job|run_job|add_hass_job)\b|\brun_immediately\b",
        "deprecated core helpers (reported in 2026.11)",
    ),
    Banned(
        r"\basync_generate_entity_id\b",
        "entity_registry.async_generate_entity_id is deprecated (breaks 2027.2)",
    ),
    Banned(
        r"\bhass\.(helpers|components)\.",
        "hass.helpers / hass.components were removed (2024.x / 2025.x)",
    ),
    Banned(
        r"\bvoluptuous_(serialize|openapi)\b",
        "not installed with 2026.11: probatio replaced voluptuous (plain "
        "`import voluptuous` still works through probatio's shim)",
    ),
    Banned(
        r"\bfrom\s+voluptuous\.\w+\s+import\b|\bimport\s+voluptuous\.\w+",
        "voluptuous internals: 2026.11 maps `voluptuous` to probatio's shim, "
        "which exposes only the public surface",
    ),
    Banned(
        r"\b(_attr_)?in_progress\s*=\s*\d",
        "UpdateEntity.in_progress must be a bool; the percentage goes to "
        "update_percentage (numeric in_progress is a legacy shim)",
    ),
)

PYTHON_DENYLIST: tuple[Banned, ...] = (
    Banned(
        r"\bdatetime\.(utcnow|utcfromtimestamp)\b",
        "datetime.utcnow/utcfromtimestamp are deprecated since Python 3.12; "
        "use aware datetimes (dt_util.utcnow is fine)",
    ),
    Banned(
        r"\basyncio\.get_event_loop\s*\(",
        "Python 3.14 raises RuntimeError when no loop is running; use "
        "asyncio.get_running_loop()",
    ),
    Banned(
        r"\basyncio\.iscoroutinefunction\b",
        "deprecated in Python 3.14; use inspect.iscoroutinefunction",
    ),
    Banned(
        r"\b(set|get)_event_loop_policy\b|\bEventLoopPolicy\b",
        "the asyncio policy system is deprecated in Python 3.14",
    ),
    Banned(
        r"\b(Abstract|Safe|Fast|Threaded|PidFd|Multi)\w*ChildWatcher\b|"
        r"\bset_child_watcher\b",
        "asyncio child watchers were removed in Python 3.14",
    ),
    Banned(r"\bcodecs\.open\b", "deprecated in Python 3.14; use open()"),
    Banned(
        r"\bimport\s+(asyncore|asynchat|imp|distutils|smtpd)\b|"
        r"\bfrom\s+(asyncore|asynchat|imp|distutils|smtpd)\s+import\b",
        "removed from the standard library (3.12); pyftpdlib brings its own "
        "pyasyncore/pyasynchat shims",
    ),
    Banned(
        r"\bpkgutil\.(find_loader|get_loader)\b|\bast\.(Num|Str|Bytes|NameConstant)\b",
        "removed in Python 3.14",
    ),
)


def _code_only(path: Path) -> str:
    """Return the source with comments and string literals blanked out."""
    text = path.read_text(encoding="utf-8")
    tokens = [
        token
        if token.type not in (tokenize.COMMENT, tokenize.STRING)
        else token._replace(string='""' if token.type == tokenize.STRING else "")
        for token in tokenize.generate_tokens(io.StringIO(text).readline)
    ]
    return tokenize.untokenize(tokens)


def find_banned(
    sources: list[Path], denylist: tuple[Banned, ...]
) -> list[tuple[str, int, str, str]]:
    """Return (file, line, matched text, reason) for every banned use."""
    hits: list[tuple[str, int, str, str]] = []
    for path in sources:
        code = _code_only(path)
        for banned in denylist:
            for match in re.finditer(banned.pattern, code):
                line = code.count("\n", 0, match.start()) + 1
                hits.append((path.name, line, match.group(0), banned.reason))
    return hits


def _calls(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Subscript):  # Store[dict[str, Any]](...)
        func = func.value
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


# Keyword arguments that exist in 2026.11 but not in 2025.4 (TypeError there).
NEW_KEYWORDS: dict[str, tuple[frozenset[str], str]] = {
    "async_create_issue": (
        frozenset({"config_entry_id"}),
        "issue_registry.async_create_issue(config_entry_id=) is newer than 2025.4",
    ),
    "async_register": (
        frozenset({"description_placeholders"}),
        "hass.services.async_register(description_placeholders=) is newer than 2025.4",
    ),
    "Store": (
        frozenset({"serialize_in_event_loop", "max_readable_version"}),
        "these Store arguments are newer than 2025.4",
    ),
}


@pytest.mark.parametrize("banned", HA_DENYLIST, ids=lambda banned: banned.pattern)
def test_no_incompatible_home_assistant_api(banned: Banned) -> None:
    """No Home Assistant API that breaks on 2025.4 or 2026.11 is used."""
    assert find_banned(HA_SOURCES, (banned,)) == []


@pytest.mark.parametrize("banned", PYTHON_DENYLIST, ids=lambda banned: banned.pattern)
def test_no_python_api_removed_or_deprecated(banned: Banned) -> None:
    """No standard library API deprecated or removed by Python 3.14 is used."""
    assert find_banned(ALL_SOURCES, (banned,)) == []


@pytest.mark.parametrize("path", HA_SOURCES, ids=lambda path: path.name)
def test_no_keyword_the_floor_lacks(path: Path) -> None:
    """No call passes a keyword that 2025.4 does not accept."""
    bad = [
        (call.lineno, reason)
        for call in _calls(path)
        if (entry := NEW_KEYWORDS.get(_called_name(call))) is not None
        for keyword in call.keywords
        if keyword.arg in entry[0]
        for reason in (entry[1],)
    ]
    assert bad == []


def test_update_listener_is_the_only_reload() -> None:
    """An update listener excludes every flow-side reload helper (2026.12 error)."""
    code = {path.name: _code_only(path) for path in HA_SOURCES}
    assert "add_update_listener" in code["__init__.py"]
    reload_helpers = re.compile(
        r"\basync_update_reload_and_abort\b|\bOptionsFlowWithReload\b|"
        r"\breload_on_update\s*=\s*True|\b_abort_if_unique_id_configured\(\s*updates"
    )
    assert [name for name, text in code.items() if reload_helpers.search(text)] == []


def test_in_progress_is_a_bool() -> None:
    """The update entity's in_progress is typed bool, never a percentage."""
    tree = ast.parse((PACKAGE / "update.py").read_text(encoding="utf-8"))
    returns = [
        ast.unparse(node.returns)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and node.name == "in_progress"
        and node.returns is not None
    ]
    assert returns == ["bool"]


@pytest.mark.parametrize("name", ["async_setup_entry", "async_unload_entry"])
def test_entry_methods_return_bool(name: str) -> None:
    """2025.4 requires a bool from setup/unload; 2026.11 accepts it from custom code.

    (2026.11 also accepts None, which 2025.4 treats as a failed setup.)
    """
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    [function] = [
        node
        for node in tree.body
        if isinstance(node, ast.AsyncFunctionDef) and node.name == name
    ]
    assert function.returns is not None
    assert ast.unparse(function.returns) == "bool"


def test_no_control_flow_in_finally() -> None:
    """return/break/continue in finally is a SyntaxWarning in Python 3.14 (PEP 765)."""
    bad = []
    for path in ALL_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Try | ast.TryStar):
                continue
            for statement in node.finalbody:
                bad.extend(
                    (path.name, inner.lineno)
                    for inner in ast.walk(statement)
                    if isinstance(inner, ast.Return | ast.Break | ast.Continue)
                )
    assert bad == []


def test_the_denylist_finds_what_it_bans(tmp_path: Path) -> None:
    """Each pattern matches the code it bans, and not comments or strings."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "# async_get_device( in a comment is fine\n"
        'TEXT = "via_device=(...) in a string is fine"\n'
        "device = registry.async_get_device(identifiers={(DOMAIN, mac)})\n"
        "info = DeviceInfo(identifiers=ids, via_device=(DOMAIN, hub))\n"
        "subentries = device.config_entries_subentries\n"
        "entries = device.config_entries\n"
        "flows = hass.config_entries.flow\n"
        "when = datetime.utcnow()\n"
        "now = dt_util.utcnow()\n",
        encoding="utf-8",
    )
    hits = {
        (line, text.strip())
        for _, line, text, _ in find_banned([sample], HA_DENYLIST + PYTHON_DENYLIST)
    }
    assert hits == {
        (3, "async_get_device("),
        (4, "via_device="),
        (5, ".config_entries_subentries"),
        (6, ".config_entries"),
        (8, "datetime.utcnow"),
    }
