"""engine/ knows nothing of web/ or plugins/: the arrows point into the engine, never out of it."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "engine"
FORBIDDEN = ("web", "plugins")


def imported_modules(source: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def wrong_arrows(root: Path) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        for line, module in imported_modules(path.read_text(encoding="utf-8")):
            if module.split(".")[0] in FORBIDDEN:
                problems.append(f"{path}:{line}: engine imports {module}")
    return problems


def test_engine_imports_nothing_from_web_or_plugins() -> None:
    assert wrong_arrows(ENGINE) == []


def test_the_check_catches_a_wrong_arrow(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import os\nfrom web.app import create_app\n", encoding="utf-8")
    (tmp_path / "also_bad.py").write_text("import plugins.inventory\n", encoding="utf-8")
    assert wrong_arrows(tmp_path) == [
        f"{tmp_path / 'also_bad.py'}:1: engine imports plugins.inventory",
        f"{tmp_path / 'bad.py'}:2: engine imports web.app",
    ]
