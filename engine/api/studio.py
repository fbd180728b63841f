"""The studio's part of the public surface (``engine.runtime.studio``): drafts of a department's
definition files kept in the database, checked as typed, published as versions, rolled back."""

from engine.dsl.texts import (
    DefinitionKind,
    Span,
    TextProblem,
    bundle_files,
    bundle_sources,
    kind_of,
    problem_span,
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
    "Comparison",
    "DefinitionKind",
    "DraftRow",
    "DraftStatus",
    "FileView",
    "Overview",
    "PublishRefused",
    "Published",
    "RevisionRow",
    "SaveConflict",
    "Span",
    "Studio",
    "StudioAction",
    "StudioEventRow",
    "TextProblem",
    "WorkflowVersions",
    "bundle_files",
    "bundle_sources",
    "kind_of",
    "problem_span",
]
