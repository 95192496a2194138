"""The code scan: the translation keys, services and components the code uses."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from .code_ast import Resolver, call_name, flow_kind, keyword
from .code_nodes import collect_components, collect_form_fields, scan_class, scan_nodes
from .common import DOMAIN, ISSUE_CALLS, CodeFacts, Report


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
    collect_components(module, tree, facts)
    if any(flow_kind(cls, classes) for cls in classes.values()):
        collect_form_fields(module, tree, resolver, facts)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            scan_class(module, node, flow_kind(node, classes), resolver, facts)
        else:
            scan_nodes(module, [node], None, resolver, facts)
