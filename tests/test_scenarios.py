"""The shipped scenario files (scenarios/<department>/*.yaml) and the worked chapter's
(docs/examples/<department>/scenarios/*.yaml) all pass: each is run as `orderloom scenario run` runs it,
on its own throw-away database with a simulated clock, and a failing one fails the suite with its
FILE:LINE:COL messages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from workers.scenario import ScenarioSession

REPO = Path(__file__).resolve().parent.parent
SHIPPED = sorted((REPO / "scenarios").rglob("*.yaml"))
CHAPTER = sorted((REPO / "docs" / "examples").glob("*/scenarios/*.yaml"))


@pytest.fixture(scope="module")
def session() -> Iterator[ScenarioSession]:
    with ScenarioSession(REPO) as session:
        yield session


@pytest.mark.parametrize("path", SHIPPED + CHAPTER, ids=lambda p: str(p.relative_to(REPO)))
def test_scenario_file_passes(session: ScenarioSession, path: Path) -> None:
    outcome = session.run_file(path)
    said = [problem.format() for problem in outcome.problems]
    assert said == [], "\n".join(said)
    assert outcome.result is not None
    failures = [problem.format() for problem in outcome.result.failures]
    assert failures == [], "\n".join([*failures, *outcome.worker])
    assert outcome.result.steps == outcome.result.total


def test_every_department_ships_scenarios() -> None:
    departments = {path.parent.name for path in SHIPPED}
    assert departments >= {"retail", "wholesale", "after-sales"}
