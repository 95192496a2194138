"""Reading the code: call names, keywords, and resolving constants across modules."""

from __future__ import annotations

import ast
import re

from .common import FLOW_KINDS, PLATFORMS

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
