"""The engine is a library of its own: it must never import Home Assistant."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).parents[2] / "custom_components/cisco_ip_phone/provisioning"


def test_engine_never_imports_homeassistant() -> None:
    offenders = []
    files = sorted(ENGINE.rglob("*.py"))
    assert files, "engine package not found"
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}:{node.lineno} {name}"
                for name in names
                if name == "homeassistant" or name.startswith("homeassistant.")
            ]
    assert offenders == []
