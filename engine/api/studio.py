"""The studio's part of the public surface (``engine.runtime.studio``): drafts of a department's
definition files kept in the database, checked as typed, replayed over recent orders, published as
versions, rolled back; running orders moved between versions in batches."""

from engine.dsl.texts import DefinitionKind, Span, TextProblem, kind_of, problem_span
from engine.runtime.studio import (
    ADMIN_ROLE,
    FileView,
    Overview,
    Published,
    PublishRefused,
    Studio,
    StudioAction,
    WorkflowVersions,
    bundle_files,
)
from engine.runtime.studio_migration import (
    DEFAULT_BATCH,
    MAX_BATCH,
    MigrationRun,
    MigrationView,
    StateMove,
    Stays,
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
from engine.store.studio import DraftRow, DraftStatus, RevisionRow, SaveConflict, StudioEventRow

__all__ = [
    "ADMIN_ROLE",
    "DEFAULT_BATCH",
    "DEFAULT_REPLAY_LIMIT",
    "MAX_BATCH",
    "MAX_REPLAY_LIMIT",
    "DefinitionKind",
    "DraftReplay",
    "DraftRow",
    "DraftStatus",
    "FileReplay",
    "FileView",
    "MigrationRun",
    "MigrationView",
    "Overview",
    "PublishRefused",
    "Published",
    "ReplayStatus",
    "ReplayedOrder",
    "RevisionRow",
    "SaveConflict",
    "Span",
    "StateMove",
    "Stays",
    "Studio",
    "StudioAction",
    "StudioEventRow",
    "TextProblem",
    "Verdict",
    "WorkflowVersions",
    "bundle_files",
    "kind_of",
    "problem_span",
]
