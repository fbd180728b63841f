"""Scenario files: read, checked against their definitions, and run on an engine with a simulated clock
(part of ``engine.api``; ``workers.scenario`` runs them as ``orderloom scenario run`` does)."""

from engine.dsl.loader import shown_path
from engine.dsl.scenario import (
    Scenario,
    ScenarioFile,
    check_scenario,
    load_scenario,
    load_scenario_file,
    scenario_root,
)
from engine.runtime.scenario import ScenarioResult, ScenarioRunner

__all__ = [
    "Scenario",
    "ScenarioFile",
    "ScenarioResult",
    "ScenarioRunner",
    "check_scenario",
    "load_scenario",
    "load_scenario_file",
    "scenario_root",
    "shown_path",
]
