"""Definitions as files, before and after they are published: checking workflow, form and rule files
(every problem as data), finding and loading a workflow and what extends it for publishing, drawing a
workflow as a state diagram and saying what changed between two versions, compiling a rule file,
running its scenario cases and replaying a draft over recent orders (part of ``engine.api``; the
correlation rule sets a worker runs are ``engine.api.correlation``'s)."""

from engine.dsl.compiler import Bundle, dependents, discover, load_bundle
from engine.dsl.diagram import workflow_diagram
from engine.dsl.diff import Change, ChangeKind, Changes, bundle_changes, text_diff
from engine.dsl.loader import shown_path
from engine.dsl.texts import bundle_sources
from engine.dsl.validate import validate_file, validate_paths
from engine.rules.checks import check_rules_file
from engine.rules.kinds import EVALUATED_KINDS, compile_ruleset
from engine.rules.ruleset import Evaluable
from engine.rules.testing import (
    CASES_SUFFIX,
    CaseResult,
    CasesFile,
    Coverage,
    Replay,
    cases_at,
    check_cases,
    coverage,
    declared_rules,
    load_cases_file,
    parse_moment,
    replay,
    run_cases,
)
from engine.runtime.rule_replay import orders_for_replay
from engine.store.versions import VersionMeta

__all__ = [
    "CASES_SUFFIX",
    "EVALUATED_KINDS",
    "Bundle",
    "CaseResult",
    "CasesFile",
    "Change",
    "ChangeKind",
    "Changes",
    "Coverage",
    "Evaluable",
    "Replay",
    "VersionMeta",
    "bundle_changes",
    "bundle_sources",
    "cases_at",
    "check_cases",
    "check_rules_file",
    "compile_ruleset",
    "coverage",
    "declared_rules",
    "dependents",
    "discover",
    "load_bundle",
    "load_cases_file",
    "orders_for_replay",
    "parse_moment",
    "replay",
    "run_cases",
    "shown_path",
    "text_diff",
    "validate_file",
    "validate_paths",
    "workflow_diagram",
]
