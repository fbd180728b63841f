"""Scenario files run end to end: each on a throw-away SQLite database, migrated, with a simulated clock,
the plugins of the entry points and the worker ``orderloom worker`` runs (one round per ``worker`` step).

``ScenarioSession`` migrates one database in a temporary folder and copies it for each scenario, so a
run of many files migrates once. :meth:`ScenarioSession.run_file` reads, checks and runs one file and
returns a :class:`ScenarioOutcome`: the problems of a malformed file (nothing was run), or the result.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from engine.api import FrozenClock, PluginRegistry, SeededRandomness, Store, Text
from engine.api.correlation import load_correlation_rulesets
from engine.api.scenarios import (
    ScenarioResult,
    ScenarioRunner,
    check_scenario,
    load_scenario_file,
    scenario_root,
    shown_path,
)
from engine.errors import DefinitionError, EngineError, Problem
from wiring.services import build_services
from wiring.settings import Settings
from workers.worker import Worker

WORKER_NAME = "scenario-worker"


@dataclass
class ScenarioOutcome:
    """A scenario file's outcome: ``problems`` when it could not be run (malformed: exit status 2),
    else ``result``; ``worker`` holds what the worker said, for a failure's reader."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    result: ScenarioResult | None = None
    worker: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems and self.result is not None and self.result.passed


class ScenarioSession:
    """A temporary folder holding one migrated database, copied for every scenario run in it."""

    def __init__(self, default_root: Path) -> None:
        self.default_root = default_root
        self._folder = Path(tempfile.mkdtemp(prefix="orderloom-scenario-"))
        self._template: Path | None = None
        self._runs = 0
        self._registry: PluginRegistry | None = None

    def __enter__(self) -> ScenarioSession:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)

    @property
    def folder(self) -> Path:
        """The temporary folder: the migrated database, and each run's copy while it runs."""
        return self._folder

    @property
    def registry(self) -> PluginRegistry:
        if self._registry is None:
            self._registry = PluginRegistry.from_entry_points()
        return self._registry

    def _database(self) -> str:
        """A fresh copy of the migrated database; its URL."""
        if self._template is None:
            self._template = self._folder / "template.db"
            store = Store(f"sqlite:///{self._template}")
            try:
                store.upgrade()
            finally:
                store.dispose()
        self._runs += 1
        copy = self._folder / f"scenario-{self._runs}.db"
        shutil.copyfile(self._template, copy)
        return f"sqlite:///{copy}"

    def run_file(self, path: Path) -> ScenarioOutcome:
        """Read, check and run the scenario file ``path``."""
        shown = shown_path(path, self.default_root)
        read = load_scenario_file(path, shown)
        outcome = ScenarioOutcome(shown)
        if read.scenario is None:
            outcome.problems = list(read.problems)
            return outcome
        scenario = read.scenario
        root = scenario_root(scenario, path.resolve(), self.default_root)
        problems, _specs = check_scenario(
            scenario, root, action_names=sorted(self.registry.action_names), marks=read.marks
        )
        if problems:
            outcome.problems = problems
            return outcome
        try:
            rulesets = load_correlation_rulesets(root)
        except DefinitionError as error:
            outcome.problems = list(error.problems)
            return outcome
        except EngineError as error:
            words = Text(error.message("zh"), error.message("en"))
            outcome.problems = [Problem(words, shown, 1, 1, "$", None, "definitions")]
            return outcome
        url = self._database()
        settings = Settings(database_url=url, definitions_root=root, secret_key="scenario-" + "x" * 32)
        # a seeded source: the codes a run issues (code(8)) are the same on every run of the file
        services = build_services(settings, FrozenClock(scenario.clock), SeededRandomness(scenario.name))
        try:
            said: list[str] = []
            worker = Worker(services, WORKER_NAME, deliver=_accept, rulesets=rulesets, echo=said.append)
            try:
                runner = ScenarioRunner(services.engine, worker.round, root)
                outcome.result = runner.run(scenario)
                outcome.worker = list(said)  # what the rounds said, not the closing
            finally:
                worker.close()
        finally:
            services.close()
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return outcome


def _accept(topic: str, payload: Any) -> None:
    """The outbox's delivery in a scenario: every message is taken (and so marked sent); nothing leaves."""
