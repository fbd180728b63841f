"""engine/ is a DAG of layers: a module imports from its own layer or the layers below, never above,
and no chain of imports comes back to where it started.

``LAYERS`` is the table of allowed layers, lowest first; docs/architecture.md draws it. A module belongs
to the first layer with a pattern that matches its dotted name; a module no pattern matches fails the
test until it is given a layer. A package's ``__init__`` takes the layer of its lowest module (Python
runs it before any of them), so it may not import anything above that.

Every import counts wherever it is written: at the top, inside a function, or under ``TYPE_CHECKING``.
An import inside a function that would close a cycle is a cycle here too: it cannot hide one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. Within a layer modules may import each other, as long as no cycle forms.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # shared helpers and texts; imports nothing else of the engine
    ("common", ("engine.common.*",)),
    # the exception family, the clock, the source of randomness
    ("core", ("engine.errors", "engine.clock", "engine.randomness")),
    # plugin protocols and the registry that finds them through entry points
    ("plugins", ("engine.plugins",)),
    # the languages definitions are written in: specs, YAML/JSON with marks, overlays, schema words,
    # the condition language
    (
        "language",
        (
            "engine.dsl.spec",
            "engine.dsl.loader",
            "engine.dsl.yaml_words",
            "engine.dsl.overlay",
            "engine.dsl.schema_words",
            "engine.rules.expr",
        ),
    ),
    # forms: validation, formats, layouts, and the checks of form and UI files
    ("forms", ("engine.forms.*",)),
    # rule files: the kinds, their registry (kinds), their checks, scenario cases, the correlator
    ("rules", ("engine.rules.*",)),
    # workflows: ownership of fields, the checks of workflow files, the validator over every kind of
    # file, the compiler, the diagram of a workflow, the changes between two versions
    ("definitions", ("engine.dsl.*",)),
    # storage: tables, migrations, the repository and its read models
    ("store", ("engine.store.*",)),
    # the Engine facade, its parts and its workers (timers, outbox, correlation feed, rule replay)
    ("runtime", ("engine.runtime.*", "engine.api.*")),
)


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported engine module
    line: int
    where: str  # "top", "function" or "TYPE_CHECKING"


def modules(root: Path, package: str = "engine") -> dict[str, Path]:
    """Dotted module name -> file, for every module under ``root/package``; packages by their name."""
    found: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _resolved(name: str, known: Mapping[str, Path]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports(root: Path, package: str = "engine") -> list[Import]:
    """Every import of an engine module by an engine module, wherever it is written."""
    known = modules(root, package)
    found: list[Import] = []
    for source, path in known.items():
        is_package = path.name == "__init__.py"

        def visit(node: ast.AST, where: str) -> Iterator[tuple[ast.AST, str]]:
            for child in ast.iter_child_nodes(node):
                inner = where
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                    inner = "function"
                elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    inner = "TYPE_CHECKING"
                yield child, inner
                yield from visit(child, inner)

        for node, where in visit(ast.parse(path.read_text(encoding="utf-8")), "top"):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = source.split(".") if is_package else source.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                # ``from engine.rules import facts`` imports the module engine.rules.facts
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
            for name in dict.fromkeys(targets):
                target = _resolved(name, known) if name.split(".")[0] == package else None
                if target is not None and target != source:
                    found.append(Import(source, target, node.lineno, where))
    return found


Layers = Sequence[tuple[str, Sequence[str]]]


def layer_of(module: str, layers: Layers, known: Mapping[str, Path]) -> int | None:
    """The index of the module's layer; a package's is its lowest module's (its ``__init__`` matched
    as ``package.__init__`` when it has no module of its own)."""
    if known[module].name == "__init__.py":
        inside = [layer_of(m, layers, known) for m in known if m.startswith(module + ".")]
        levels = [level for level in [*inside, _matched(module + ".__init__", layers)] if level is not None]
        return min(levels) if levels else None
    return _matched(module, layers)


def _matched(module: str, layers: Layers) -> int | None:
    for index, (_, patterns) in enumerate(layers):
        if any(fnmatchcase(module, pattern) for pattern in patterns):
            return index
    return None


def cycles(edges: Sequence[Import]) -> list[list[str]]:
    """Each strongly connected group of more than one module (Tarjan), as a sorted list of names."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(groups)


def layer_problems(root: Path, layers: Layers = LAYERS, package: str = "engine") -> list[str]:
    """Every module without a layer, every import pointing up, and every cycle."""
    known = modules(root, package)
    problems = [
        f"{known[m].relative_to(root)}: {m} is in no layer of the table"
        for m in known
        if layer_of(m, layers, known) is None
    ]
    edges = imports(root, package)
    for edge in edges:
        source, target = layer_of(edge.source, layers, known), layer_of(edge.target, layers, known)
        if source is not None and target is not None and target > source:
            problems.append(
                f"{known[edge.source].relative_to(root)}:{edge.line}: {edge.source} ({layers[source][0]}) "
                f"imports {edge.target} ({layers[target][0]}), a layer above it"
                + ("" if edge.where == "top" else f" (an import inside {edge.where})")
            )
    problems.extend("import cycle: " + " <-> ".join(group) for group in cycles(edges))
    return problems


def test_the_engine_is_a_dag_of_the_allowed_layers() -> None:
    assert layer_problems(ROOT) == []


def test_the_leaf_imports_nothing_else_of_the_engine() -> None:
    known = modules(ROOT)
    leaf = [edge for edge in imports(ROOT) if edge.source.startswith("engine.common")]
    assert [m for m in known if m.startswith("engine.common.")]  # the layer has modules to hold
    assert [edge for edge in leaf if not edge.target.startswith("engine.common")] == []


def test_the_table_names_every_layer_once() -> None:
    names = [name for name, _ in LAYERS]
    assert len(names) == len(set(names))


def _write(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


TOY_LAYERS = (("low", ("toy.low.*",)), ("high", ("toy.high.*",)))


def test_the_check_catches_an_arrow_up_a_cycle_and_a_module_without_a_layer(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "toy/__init__.py": "",
            "toy/low/__init__.py": "",
            "toy/low/a.py": "from toy.high.b import thing\n",  # up
            "toy/high/__init__.py": "",
            "toy/high/b.py": "import toy.high.c\n",
            "toy/high/c.py": "from toy.high import b\n",  # b <-> c
            "toy/stray.py": "",
            "toy/high/facade/__init__.py": "from toy.high.b import thing\n",  # a package alone: high
        },
    )
    assert layer_problems(tmp_path, TOY_LAYERS, "toy") == [
        "toy/stray.py: toy.stray is in no layer of the table",
        "toy/low/a.py:1: toy.low.a (low) imports toy.high.b (high), a layer above it",
        "import cycle: toy.high.b <-> toy.high.c",
    ]


def test_an_import_inside_a_function_or_for_types_hides_no_cycle(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "toy/__init__.py": "",
            "toy/low/__init__.py": "",
            "toy/low/a.py": "import toy.low.b\n",
            "toy/low/b.py": "def late():\n    from toy.low import a\n    return a\n",
            "toy/high/__init__.py": "",
            "toy/high/c.py": "",
            "toy/low/d.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from toy.high.c import C\n"
            ),
        },
    )
    assert layer_problems(tmp_path, TOY_LAYERS, "toy") == [
        "toy/low/d.py:3: toy.low.d (low) imports toy.high.c (high), a layer above it "
        "(an import inside TYPE_CHECKING)",
        "import cycle: toy.low.a <-> toy.low.b",
    ]


def test_a_package_may_not_load_what_lies_above_its_lowest_module(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "toy/__init__.py": "",
            "toy/low/__init__.py": "",
            "toy/low/a.py": "",
            "toy/high/__init__.py": "",
            "toy/high/b.py": "",
            # importing toy.mixed.low_part would run this and load toy.high.b
            "toy/mixed/__init__.py": "from toy.mixed.high_part import x\n",
            "toy/mixed/low_part.py": "",
            "toy/mixed/high_part.py": "import toy.high.b\nx = 1\n",
        },
    )
    layers = (("low", ("toy.low.*", "toy.mixed.low_part")), ("high", ("toy.high.*", "toy.mixed.*")))
    assert layer_problems(tmp_path, layers, "toy") == [
        "toy/mixed/__init__.py:1: toy.mixed (low) imports toy.mixed.high_part (high), a layer above it",
    ]
