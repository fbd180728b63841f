"""The studio's part of the public surface (``engine.runtime.studio``): drafts of a department's
definition files kept in the database, checked as typed, replayed over recent orders, published as
versions, rolled back; running orders moved between versions in batches; a rule file tried in the
console (``engine.runtime.rule_console``) and a form previewed as it is typed
(``engine.runtime.form_preview``)."""

from engine.dsl.diff import MarkedLine, TextComparison, compare_texts
from engine.dsl.texts import (
    DefinitionKind,
    Span,
    TextProblem,
    bundle_files,
    bundle_sources,
    kind_of,
    problem_span,
)
from engine.rules.checks import rules_path_for
from engine.rules.labels import RoutingAnswer, RuleLabels, routing_answer, rule_labels
from engine.rules.testing import CaseResult, Coverage, Mismatch, show_value
from engine.runtime.form_preview import FormPreview, form_of, form_preview
from engine.runtime.rule_console import (
    CasesRun,
    ConsoleFile,
    Evaluation,
    RuleConsole,
    cases_path_for,
    names_text,
)
from engine.runtime.studio import (
    ADMIN_ROLE,
    MAX_TEXT_BYTES,
    Comparison,
    FileView,
    Overview,
    Published,
    PublishRefused,
    RollbackSubmitted,
    Studio,
    StudioAction,
    TextTooLarge,
    WorkflowVersions,
    size_text,
)
from engine.runtime.studio_labels import Person, StudioLabels, studio_labels
from engine.runtime.studio_migration import (
    DEFAULT_BATCH,
    MAX_BATCH,
    MigrationRun,
    MigrationView,
    RunBatch,
    StateMove,
    Stays,
    check_batch,
)
from engine.runtime.studio_replay import (
    DEFAULT_REPLAY_LIMIT,
    MAX_REPLAY_LIMIT,
    DraftReplay,
    FileReplay,
    ReplayedOrder,
    ReplayStatus,
    Verdict,
)
from engine.store.studio import (
    DraftRow,
    DraftStatus,
    RevisionRow,
    SaveConflict,
    StudioEventRow,
    TextVersion,
)

__all__ = [
    "ADMIN_ROLE",
    "DEFAULT_BATCH",
    "DEFAULT_REPLAY_LIMIT",
    "MAX_BATCH",
    "MAX_REPLAY_LIMIT",
    "MAX_TEXT_BYTES",
    "CaseResult",
    "CasesRun",
    "Comparison",
    "ConsoleFile",
    "Coverage",
    "DefinitionKind",
    "DraftReplay",
    "DraftRow",
    "DraftStatus",
    "Evaluation",
    "FileReplay",
    "FileView",
    "FormPreview",
    "MarkedLine",
    "MigrationRun",
    "MigrationView",
    "Mismatch",
    "Overview",
    "Person",
    "PublishRefused",
    "Published",
    "ReplayStatus",
    "ReplayedOrder",
    "RevisionRow",
    "RollbackSubmitted",
    "RoutingAnswer",
    "RuleConsole",
    "RuleLabels",
    "RunBatch",
    "SaveConflict",
    "Span",
    "StateMove",
    "Stays",
    "Studio",
    "StudioAction",
    "StudioEventRow",
    "StudioLabels",
    "TextComparison",
    "TextProblem",
    "TextTooLarge",
    "TextVersion",
    "Verdict",
    "WorkflowVersions",
    "bundle_files",
    "bundle_sources",
    "cases_path_for",
    "check_batch",
    "compare_texts",
    "form_of",
    "form_preview",
    "kind_of",
    "names_text",
    "problem_span",
    "routing_answer",
    "rule_labels",
    "rules_path_for",
    "show_value",
    "size_text",
    "studio_labels",
]
