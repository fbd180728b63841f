"""Which top-level folder may import which: the engine at the bottom, the composition root above it,
the web app and the workers beside each other above that, the command line on top. An import inside a
function counts as much as one at the top of a file."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# folder -> the other folders it may import from (any module, at any depth)
ALLOWED: dict[str, frozenset[str]] = {
    "engine": frozenset(),
    "plugins": frozenset({"engine"}),
    "wiring": frozenset({"engine"}),
    "web": frozenset({"engine", "wiring"}),
    "workers": frozenset({"engine", "wiring"}),
    "demo": frozenset({"engine", "web"}),  # the demo's logins are web logins (web.users)
    "cli": frozenset({"engine", "wiring", "web", "workers", "demo"}),
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def wrong_arrows(root: Path, allowed: dict[str, frozenset[str]]) -> list[str]:
    problems = []
    for folder, may_import in allowed.items():
        for path in sorted((root / folder).rglob("*.py")):
            for line, module in imports_of(path):
                target = module.split(".")[0]
                if target in allowed and target != folder and target not in may_import:
                    problems.append(f"{path.relative_to(root)}:{line}: {folder} imports {module}")
    return problems


def test_every_folder_imports_only_the_folders_below_it() -> None:
    assert wrong_arrows(ROOT, ALLOWED) == []


def test_every_python_folder_of_the_repository_is_in_the_table() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert packages - {"tests"} == set(ALLOWED)


def test_the_check_catches_a_wrong_arrow_even_inside_a_function(tmp_path: Path) -> None:
    for folder in ALLOWED:
        (tmp_path / folder).mkdir()
    (tmp_path / "web" / "views.py").write_text("import engine.errors\nfrom cli.main import main\n")
    (tmp_path / "wiring" / "services.py").write_text("def build():\n    import web.app\n")
    assert wrong_arrows(tmp_path, ALLOWED) == [
        "wiring/services.py:2: wiring imports web.app",
        "web/views.py:2: web imports cli.main",
    ]


# folders that speak to the engine only through its public surface, as the web app does
# (tests/web/test_imports.py): the facade's package and the error family; the rest comes from the
# composition root (wiring/). A module inside the engine may move; these stay.
PUBLIC_SURFACE = ("engine.api", "engine.errors")
THROUGH_THE_API = ("workers", "demo")


def around_the_api(root: Path, folders: tuple[str, ...] = THROUGH_THE_API) -> list[str]:
    problems = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            for line, module in imports_of(path):
                if module.split(".")[0] != "engine":
                    continue
                if not any(module == public or module.startswith(public + ".") for public in PUBLIC_SURFACE):
                    problems.append(f"{path.relative_to(root)}:{line}: {folder} imports {module}")
    return problems


def test_the_workers_and_the_demo_speak_to_the_engine_through_its_public_surface() -> None:
    assert around_the_api(ROOT) == []


def test_the_check_catches_an_import_around_the_api(tmp_path: Path) -> None:
    for folder in THROUGH_THE_API:
        (tmp_path / folder).mkdir()
    (tmp_path / "workers" / "worker.py").write_text(
        "from engine.api import Engine\nfrom engine.api.correlation import CorrelationFeed\n"
        "from engine.errors import EngineError\nfrom engine.store.reports import fold_order_counts\n"
    )
    (tmp_path / "demo" / "loader.py").write_text(
        "import engine.apiary\ndef load():\n    import engine.store.users\n"
    )
    assert around_the_api(tmp_path) == [
        "workers/worker.py:4: workers imports engine.store.reports",
        "demo/loader.py:1: demo imports engine.apiary",
        "demo/loader.py:3: demo imports engine.store.users",
    ]
