"""The house rules of issue #10, checked on every run.

- no module over 500 lines in custom_components/;
- no import cycle between our modules (the engine's import graph is a DAG);
- no ``hass.data`` of our own: one typed ``runtime_data`` per entry;
- the engine is a set of packages by concept, not a flat folder.
"""

from __future__ import annotations

import ast
from pathlib import Path

INTEGRATION = (
    Path(__file__).resolve().parent.parent / "custom_components" / "cisco_ip_phone"
)
PACKAGE = "custom_components.cisco_ip_phone"
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(INTEGRATION.rglob("*.py")):
        parts = list(path.relative_to(INTEGRATION).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join([PACKAGE, *parts])] = path
    return modules


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """Return our modules imported at module level (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If):
            continue  # TYPE_CHECKING blocks: no runtime edge
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                if candidate in known:
                    found.add(candidate)
                elif target in known:
                    found.add(target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
    found.discard(module)
    return found


def test_no_module_over_500_lines() -> None:
    long = {
        str(path.relative_to(INTEGRATION)): n
        for path in INTEGRATION.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these modules: {long}"


def test_no_import_cycle() -> None:
    modules = _modules()
    known = set(modules)
    graph = {name: _imports(name, path, known) for name, path in modules.items()}
    # A package's __init__ re-exporting its own modules is not a cycle.
    for name, edges in graph.items():
        graph[name] = {e for e in edges if not e.startswith(f"{name}.")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_no_hass_data_of_our_own() -> None:
    offenders = [
        str(path.relative_to(INTEGRATION))
        for path in INTEGRATION.rglob("*.py")
        if "hass.data[" in path.read_text(encoding="utf-8")
        or "hass.data.setdefault" in path.read_text(encoding="utf-8")
    ]
    assert not offenders


def test_engine_is_packaged_by_concept() -> None:
    engine = INTEGRATION / "provisioning"
    flat = sorted(p.name for p in engine.glob("*.py"))
    assert flat == ["__init__.py", "__main__.py", "errors.py", "server.py"]
    for package in (
        "settings",
        "files",
        "firmware",
        "tracking",
        "tftp",
        "ftp",
        "sip",
        "cli",
    ):
        assert (engine / package / "__init__.py").is_file(), package
