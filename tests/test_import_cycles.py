"""core/ has no import cycle: a short walk over each module's syntax tree (no import runs, no new dependency).

Module-level imports (including those under a module-level `if` or `try`) must form no cycle at all: a cycle there
makes the import order decide which names exist. Function-level imports are deferred on purpose (torch, opacus and
the registry stay off the first screen) and run only when every module is loaded, so they cannot break an import;
but a cycle through them still ties two modules together (they cannot be read or tested apart), so the walk counts
them too and allows only the cycles listed in DEFERRED_CYCLES, each with its reason.
"""
from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).parents[1] / "core"
# deferred cycles known and accepted: (module, module) -> why
DEFERRED_CYCLES = {
    frozenset({"core.generators.dp", "core.generators.registry"}):
        "dp.py reads the registry's MISSING_FLAG / MISSING_LEVEL inside one function; the registry lists dp",
}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in CORE.rglob("*.py"):
        name = ".".join(path.relative_to(CORE.parent).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    return modules


def _imports(path: Path, modules: dict[str, Path], deferred: bool) -> set[str]:
    """The core modules `path` imports: at module level only, or (deferred=True) anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if deferred:
        nodes = list(ast.walk(tree))
    else:
        nodes = [node for top in tree.body if not isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                    ast.ClassDef)) for node in ast.walk(top)]
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}  # from pkg import mod
    return {name for name in names if name in modules}


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component, member = set(), None
            while member != node:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
            if len(component) > 1:
                found.append(component)

    for node in graph:
        if node not in index:
            visit(node)
    return found


def _graph(deferred: bool) -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules, deferred) - {name} for name, path in modules.items()}


def test_the_walk_sees_the_imports():
    graph = _graph(deferred=False)
    assert len(graph) > 40 and "core.strategies" in graph["core.race"] and "core.estimates" in graph["core.race"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_core_has_no_import_cycle_at_module_level():
    assert _cycles(_graph(deferred=False)) == []


def test_core_has_no_deferred_import_cycle_beyond_the_known_ones():
    unknown = [sorted(cycle) for cycle in _cycles(_graph(deferred=True)) if frozenset(cycle) not in DEFERRED_CYCLES]
    assert unknown == [], f"new import cycles (through function-level imports): {unknown}"


def _imported_names_that_do_not_exist(path: Path) -> list[str]:
    """`from core.x import y` / `from pages import _flow` lines of `path` whose name is gone, and `_flow.NAME`
    attribute reads on such an imported module whose NAME is gone."""
    import importlib
    import importlib.util

    tree = ast.parse(path.read_text(encoding="utf-8"))
    missing, modules = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in OURS:
            module = importlib.import_module(node.module)
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                if hasattr(module, "__path__") and importlib.util.find_spec(submodule):
                    modules[alias.asname or alias.name] = importlib.import_module(submodule)
                elif not hasattr(module, alias.name):
                    missing.append(f"{path.name}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            modules |= {alias.asname: importlib.import_module(alias.name) for alias in node.names
                        if alias.asname and alias.name.split(".")[0] in OURS}
    missing += [f"{path.name}: {node.value.id}.{node.attr}" for node in ast.walk(tree)
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in modules and not hasattr(modules[node.value.id], node.attr)]
    return missing


OURS = ("core", "pages")


def test_every_name_imported_from_core_or_pages_exists():
    """A name moved or renamed in core must be moved in its readers too: the bench scripts (never run by the
    suite), the pages' helper modules read as `_flow.NAME` (found only when that page runs) and the tests."""
    root = CORE.parent
    files = [*sorted(CORE.rglob("*.py")), *sorted((root / "pages").glob("_*.py")), *sorted((root / "pages").glob(
        "[!_]*.py")), *sorted((root / "bench").glob("*.py")), *sorted((root / "tests").glob("*.py")), root / "app.py"]
    assert [name for path in files for name in _imported_names_that_do_not_exist(path)] == []
