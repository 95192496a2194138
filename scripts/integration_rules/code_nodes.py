"""Scan of the code, node by node: classes, calls, form fields, error keys."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from .code_ast import Resolver, call_name, keyword, platform_of_call
from .common import (
    DOMAIN,
    FORM_KEY_CALLS,
    ISSUE_CALLS,
    PLATFORMS,
    SERVICE_REGISTER_CALLS,
    CodeFacts,
)


def collect_form_fields(
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


def collect_components(module: str, tree: ast.Module, facts: CodeFacts) -> None:
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


def scan_class(
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
    scan_nodes(module, cls.body, kind, resolver, facts)


def scan_nodes(
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
