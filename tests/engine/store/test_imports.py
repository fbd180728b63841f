"""The store sits low: it imports the error family, the leaf helpers and the definitions' shapes, never
the compiler, the forms, the rules or the runtime (what needs those is above it), and it imports nothing
inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

STORE = Path(__file__).resolve().parents[3] / "engine" / "store"
# What engine/store may import of the engine besides itself.
ALLOWED = ("engine.errors", "engine.common", "engine.clock", "engine.dsl.spec", "engine.store")


def engine_imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, module, inside a function) of every import of an ``engine`` module in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inside.update(id(child) for child in ast.walk(node) if child is not node)
    found = []
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        found.extend((node.lineno, m, id(node) in inside) for m in modules if m.split(".")[0] == "engine")
    return sorted(found)


def problems(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for line, module, in_function in engine_imports(path):
            where = f"{path.relative_to(root.parent)}:{line}"
            if not module.startswith(ALLOWED) or module.startswith("engine.dsl.spec."):
                found.append(f"{where}: the store imports {module}")
            if in_function:
                found.append(f"{where}: an import inside a function ({module})")
    return found


def test_the_store_imports_nothing_above_it_and_nothing_inside_a_function() -> None:
    assert problems(STORE) == []


def test_the_check_catches_an_import_from_above_and_one_inside_a_function(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    (root / "reports.py").write_text(
        "from engine.dsl.compiler import compile_bundle\nfrom engine.store.tables import orders\n",
        encoding="utf-8",
    )
    (root / "store.py").write_text(
        "def upgrade():\n    from engine.store.migrate import upgrade\n\nimport engine.forms.ui\n",
        encoding="utf-8",
    )
    assert problems(root) == [
        "store/reports.py:1: the store imports engine.dsl.compiler",
        "store/store.py:2: an import inside a function (engine.store.migrate)",
        "store/store.py:4: the store imports engine.forms.ui",
    ]
