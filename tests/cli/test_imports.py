"""The command line speaks to the engine through its public surface only: ``engine.api`` (the facade,
``engine.api.definitions``, ``engine.api.database`` …) and ``engine.errors``; whatever else it needs
comes from the composition root (``wiring``). An import inside a command is there only to keep
``orderloom --help`` fast, and says so beside it."""

from __future__ import annotations

import ast
from pathlib import Path

CLI = Path(__file__).resolve().parents[2] / "cli"
ALLOWED = ("engine.api", "engine.errors")


def imports(source: str) -> list[tuple[int, str, bool]]:
    """(line, module, inside a function) of every absolute import of the file, at any depth."""
    found: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.append((child.lineno, child.module, in_function))
            visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    visit(ast.parse(source), False)
    return found


def around_the_facade(root: Path) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        for line, module, _inside in imports(path.read_text(encoding="utf-8")):
            if module.split(".")[0] != "engine":
                continue
            if not any(module == allowed or module.startswith(allowed + ".") for allowed in ALLOWED):
                problems.append(f"{path}:{line}: the command line imports {module}")
    return problems


def unexplained_late_imports(root: Path) -> list[str]:
    """Imports inside a function without a comment naming ``--help`` on their line or the one above."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for line, module, inside in imports("\n".join(lines)):
            said = lines[line - 1] + (lines[line - 2] if line > 1 else "")
            if inside and "--help" not in said:
                problems.append(f"{path}:{line}: {module} imported inside a function, not saying why")
    return problems


def test_the_command_line_imports_only_the_engines_public_surface() -> None:
    assert around_the_facade(CLI) == []


def test_every_import_inside_a_command_says_it_keeps_help_fast() -> None:
    assert unexplained_late_imports(CLI) == []


def test_the_checks_catch_an_import_around_the_facade_and_an_unexplained_late_one(tmp_path: Path) -> None:
    (tmp_path / "orders.py").write_text(
        "from engine.api import Engine\nfrom engine.api.definitions import load_bundle\n"
        "from engine.errors import EngineError\n"
        "def f():\n    from engine.dsl.compiler import load_bundle\n"
        "def g():\n    # Flask loads only for `serve`: keeps `orderloom --help` fast\n"
        "    from web.app import app\n"
        "def h():\n    import json\n",
        encoding="utf-8",
    )
    (tmp_path / "database.py").write_text("import engine.store.migrate\n", encoding="utf-8")
    (tmp_path / "apiary.py").write_text("from engine.apiary import x\n", encoding="utf-8")
    assert around_the_facade(tmp_path) == [
        f"{tmp_path / 'apiary.py'}:1: the command line imports engine.apiary",
        f"{tmp_path / 'database.py'}:1: the command line imports engine.store.migrate",
        f"{tmp_path / 'orders.py'}:5: the command line imports engine.dsl.compiler",
    ]
    assert unexplained_late_imports(tmp_path) == [
        f"{tmp_path / 'orders.py'}:5: engine.dsl.compiler imported inside a function, not saying why",
        f"{tmp_path / 'orders.py'}:10: json imported inside a function, not saying why",
    ]
