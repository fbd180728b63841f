"""The studio's part of the public surface (``engine.runtime.studio``): drafts of a department's
definition files kept in the database, checked as typed, published as versions, rolled back; a rule
file tried in the console (``engine.runtime.rule_console``) and a form previewed as it is typed
(``engine.runtime.form_preview``)."""

from engine.dsl.texts import (
    DefinitionKind,
    Span,
    TextProblem,
    bundle_files,
    bundle_sources,
    kind_of,
    problem_span,
)
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
    Comparison,
    FileView,
    Overview,
    Published,
    PublishRefused,
    Studio,
    StudioAction,
    WorkflowVersions,
)
from engine.store.studio import DraftRow, DraftStatus, RevisionRow, SaveConflict, StudioEventRow

__all__ = [
    "ADMIN_ROLE",
    "CaseResult",
    "CasesRun",
    "Comparison",
    "ConsoleFile",
    "Coverage",
    "DefinitionKind",
    "DraftRow",
    "DraftStatus",
    "Evaluation",
    "FileView",
    "FormPreview",
    "Mismatch",
    "Overview",
    "PublishRefused",
    "Published",
    "RevisionRow",
    "RuleConsole",
    "SaveConflict",
    "Span",
    "Studio",
    "StudioAction",
    "StudioEventRow",
    "TextProblem",
    "WorkflowVersions",
    "bundle_files",
    "bundle_sources",
    "cases_path_for",
    "form_of",
    "form_preview",
    "kind_of",
    "names_text",
    "problem_span",
    "show_value",
]
