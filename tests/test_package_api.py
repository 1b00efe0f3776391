"""A package's __init__ is its documented API and nothing more: core.drift re-exports exactly the names that code
outside the package imports from `core.drift` (pages, the CLI, Monitor, the card, bench/, tests), and every such
name is in its __all__. A short AST walk; nothing is imported but the package itself."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _imported_from(package: str) -> set[str]:
    """Names imported with `from <package> import ...` by every Python file outside the package's own folder."""
    inside = ROOT.joinpath(*package.split("."))
    names = set()
    for path in ROOT.rglob("*.py"):
        if ".venv" in path.parts or inside in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == package and node.level == 0:
                names |= {alias.name for alias in node.names}
    return names


def test_core_drift_exports_exactly_what_its_consumers_import():
    import core.drift

    assert sorted(core.drift.__all__) == sorted(_imported_from("core.drift"))
    assert all(hasattr(core.drift, name) for name in core.drift.__all__)
