"""``orderloom demo``: demo orders loaded into an empty database only, or not at all."""

from __future__ import annotations

from pathlib import Path

from tests.cli.support import Run, create, publish_desk


def test_demo_refuses_a_database_with_orders_unless_asked(run: Run, root: Path) -> None:
    publish_desk(run, root)
    create(run)
    assert "nothing loaded" in run("demo", "--if-empty").output
    assert "pass --append" in run("demo", code=1).output


def test_demo_loads_nothing_when_a_definition_is_broken(run: Run, root: Path) -> None:
    path = root / "workflows" / "desk.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("dest: paid,", "dest: payd,"), encoding="utf-8")
    result = run("demo", "--orders", "5", code=1)
    assert "nothing was loaded" in result.output and "unknown state 'payd'" in result.output
    assert "Traceback" not in result.output
    assert run("versions", "desk-order", code=1).exit_code == 1
