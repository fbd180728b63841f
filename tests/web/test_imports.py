"""The web app speaks to the engine through its public surface only: ``engine.api`` (the facade and
what it answers with, ``engine.api.forms``, ``engine.api.accounts``) and ``engine.errors``; whatever
else it needs comes from the composition root. A module inside the engine may move; these stay."""

from __future__ import annotations

import ast
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"
ALLOWED = ("engine.api", "engine.errors")


def engine_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of an ``engine`` module, at any depth of the file."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return [(line, module) for line, module in found if module.split(".")[0] == "engine"]


def around_the_facade(root: Path) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        for line, module in engine_imports(path.read_text(encoding="utf-8")):
            if not any(module == allowed or module.startswith(allowed + ".") for allowed in ALLOWED):
                problems.append(f"{path}:{line}: the web app imports {module}")
    return problems


def test_the_web_app_imports_only_the_engines_public_surface() -> None:
    assert around_the_facade(WEB) == []


def test_the_check_catches_an_import_around_the_facade(tmp_path: Path) -> None:
    (tmp_path / "view.py").write_text(
        "from engine.api import Engine\nfrom engine.errors import NotFound\n"
        "def f():\n    from engine.runtime.engine import PublishedForm\n",
        encoding="utf-8",
    )
    (tmp_path / "store_page.py").write_text("import engine.store.reports\n", encoding="utf-8")
    (tmp_path / "apiary.py").write_text("from engine.apiary import x\n", encoding="utf-8")
    assert around_the_facade(tmp_path) == [
        f"{tmp_path / 'apiary.py'}:1: the web app imports engine.apiary",
        f"{tmp_path / 'store_page.py'}:1: the web app imports engine.store.reports",
        f"{tmp_path / 'view.py'}:4: the web app imports engine.runtime.engine",
    ]
