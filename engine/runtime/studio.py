"""The studio (工作室): a department's admins edit its workflows, forms and rule files as drafts kept in
the database, see every problem at its line as they type, and publish them as numbered versions.

What a file holds is layered: the file under the definitions root, then the newest text published from
the studio (``definition_texts``), then a draft. Every check and every publish reads through
:func:`engine.dsl.loader.drafts_over_files`, so a draft is checked and published exactly as the file it
stands for, together with the department's other drafts and published texts.

Publishing a file publishes every workflow whose bundle holds it (the workflow itself, the workflows
naming a form or rule file, and the workflows extending them), each as its next version with the note,
who drafted it, who approved it and the text of each of its files; none is published when any of them
has a problem. The department's other drafts of files in the same bundles are published with it, in the
same transaction (``companions``): a rename a base workflow and its overlay both need is one publish.
With four eyes on, a draft is first submitted (with those drafts); another admin approves it, which
publishes.
Every save, submission, publish, rollback and setting is recorded with who did it and when.

Before a workflow or rule file is published, its draft is replayed over the department's recent orders
(``replay``: which orders would go another way, and why; ``engine.runtime.studio_replay``). A workflow's
running orders are moved onto another of its versions by the plan of a dry run, then in batches, each
batch recorded in the transaction that moves it (``migration_plan``, ``start_migration``,
``continue_migration``; ``engine.runtime.studio_migration``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.common.words import word
from engine.dsl.checks import discover_with_problems
from engine.dsl.compiler import Bundle, dependents, load_bundle
from engine.dsl.diagram import state_labels, workflow_diagram
from engine.dsl.diff import Changes, bundle_changes, text_diff
from engine.dsl.loader import (
    DEFAULT_MAX_BYTES,
    drafts_over_files,
    load_yaml,
    read_definition,
    shown_path,
)
from engine.dsl.texts import (
    DefinitionKind,
    TextProblem,
    bundle_files,
    bundle_sources,
    check_text,
    department_files,
    department_folders,
    kind_of,
)
from engine.errors import DefinitionError, EngineError, Problem, Severity
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.outbox import ADMIN_ROLE
from engine.runtime.results import PublishedVersion
from engine.runtime.studio_migration import (
    DEFAULT_BATCH,
    MigrationRun,
    MigrationView,
    migration_run,
    migration_view,
    run_batch,
)
from engine.runtime.studio_record import StudioAction, record
from engine.runtime.studio_replay import (
    DEFAULT_REPLAY_LIMIT,
    DraftReplay,
    check_replay_limit,
    replay_bundles,
)
from engine.store import documents
from engine.store.reports import read_state_counts
from engine.store.store import Tx
from engine.store.studio import (
    DraftRow,
    DraftStatus,
    EventsPage,
    RevisionRow,
    SaveConflict,
    StudioEventRow,
    TextVersion,
    draft_in,
    draft_of,
    draft_revision,
    draft_revisions_of,
    draft_writers,
    drafts_of,
    four_eyes,
    latest_event,
    newest_texts,
    running_by_version,
    save_draft,
    save_draft_in,
    set_draft_note,
    set_draft_status,
    set_four_eyes,
    store_texts,
    studio_events_of,
    studio_events_page,
    text_hash,
    text_versions,
)
from engine.store.versions import VersionMeta, VersionRow

__all__ = [
    "ADMIN_ROLE",
    "EVENTS_PAGE",
    "MAX_TEXT_BYTES",
    "Comparison",
    "DraftReplay",
    "FileView",
    "MigrationRun",
    "MigrationView",
    "Overview",
    "PublishRefused",
    "Published",
    "RollbackSubmitted",
    "Studio",
    "StudioAction",
    "TextTooLarge",
    "WorkflowVersions",
    "size_text",
]


EVENTS_PAGE = 30  # events of the studio's record shown on a page


class PublishRefused(EngineError):
    """A draft that cannot be published now: it has errors, it needs a second admin, or it changed."""

    def __init__(
        self, message: str, zh: str, problems: Sequence[Problem] = (), must_change: Sequence[str] = ()
    ) -> None:
        super().__init__(message, zh=zh)
        self.problems = list(problems)
        # Other files the draft breaks that have no draft yet: each must change too, in a draft of its
        # own, and is then published with this one.
        self.must_change = list(must_change)


MAX_TEXT_BYTES = DEFAULT_MAX_BYTES  # the largest definition text a draft holds (UTF-8), as a file may be


def size_text(size: int, lang: str) -> str:
    """A size in bytes as pages say it: ``1,572,864 bytes (1.57 MB)``, ``1,572,864 字节（1.57 MB）``."""
    megabytes = f"{size / 1_000_000:.3g} MB"
    return f"{size:,} 字节（{megabytes}）" if lang.startswith("zh") else f"{size:,} bytes ({megabytes})"


class TextTooLarge(EngineError):
    """A text larger than a definition file may be (:data:`MAX_TEXT_BYTES`): nothing of it was saved."""

    def __init__(self, size: int, limit: int = MAX_TEXT_BYTES) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"the text is {size_text(size, 'en')}; a definition file may be at most "
            f"{size_text(limit, 'en')}: nothing was saved. Your text is still in the editor: shorten it "
            "(or split it into several files) and save again",
            zh=f"文本为 {size_text(size, 'zh')}，而定义文件最多 {size_text(limit, 'zh')}：未保存任何内容。"
            "您的文本仍在编辑器中：请缩短（或拆分为多个文件）后再保存",
        )


@dataclass(frozen=True)
class WorkflowVersions:
    """A workflow of the department: its published versions (newest first) and how many running orders
    each holds."""

    name: str
    path: str
    versions: Sequence[VersionRow]
    running: Mapping[int, int]


@dataclass(frozen=True)
class Overview:
    """What the studio's front page shows for a department."""

    department: str
    files: Sequence[tuple[str, DefinitionKind]]
    drafts: Mapping[str, DraftRow]
    workflows: Sequence[WorkflowVersions]
    four_eyes: bool
    record: EventsPage  # a page of what its admins did, newest first

    @property
    def events(self) -> Sequence[StudioEventRow]:
        return self.record.events


@dataclass(frozen=True)
class FileView:
    """One file in the studio: its published text, its draft (if any), the text to edit (the draft's,
    else the published one), the workflows that publish it, and the draft's history."""

    department: str
    path: str
    kind: DefinitionKind
    published_text: str
    draft: DraftRow | None
    workflows: Sequence[str]
    history: Sequence[RevisionRow] = field(default_factory=tuple)
    # Who saved the revisions written since the file was last published (or the draft discarded):
    # author -> revisions. None of them may approve the draft (four eyes).
    writers: Mapping[str, Sequence[int]] = field(default_factory=dict)
    # The draft submitted is a rollback: {"workflow": …, "version": N}, from the record of its submission.
    rollback: Mapping[str, Any] | None = None
    # The draft was sent back by an approver at its current revision: who, when, why (``detail.note``).
    sent_back: StudioEventRow | None = None

    @property
    def text(self) -> str:
        """The text to edit: the draft's while it is being written, else the published text (a
        published draft's text may since have been replaced, by a rollback; a discarded one's is
        kept in its revisions)."""
        if self.draft is not None and not self.draft.status.closed:
            return self.draft.text
        return self.published_text

    @property
    def submitted(self) -> bool:
        """Whether the draft waits for a second admin's approval."""
        return self.draft is not None and self.draft.status is DraftStatus.AWAITING_APPROVAL

    def may_approve(self, name: str) -> bool:
        """Whether the admin ``name`` may approve the submitted draft: neither its submitter nor the
        writer of any of its revisions since the file was last published."""
        return (
            self.submitted
            and self.draft is not None
            and name != self.draft.requested_by
            and name not in self.writers
        )

    def approval_diff(self, lang: str = "en") -> list[str]:
        """The unified diff from the published text to the draft: what approving it publishes; its two
        headers in ``lang``."""
        if self.draft is None:
            return []
        return text_diff(
            self.published_text,
            self.draft.text,
            word("studio.flow.diff_published").get(lang).format(path=self.path),
            word("studio.flow.diff_draft").get(lang).format(path=self.path, revision=self.draft.revision),
        )

    @property
    def revision(self) -> int:
        return self.draft.revision if self.draft is not None else 0

    @property
    def conflict_numbers(self) -> dict[int, int]:
        """Each refused conflicting save of the history (by its id) numbered from 1, oldest first, among
        the saves refused at the same revision: "3 (conflict 2)" is told apart from revision 3 and from
        the other saves refused there."""
        numbers: dict[int, int] = {}
        seen: dict[int, int] = {}
        for row in reversed(self.history):
            if row.outcome == "conflict":
                seen[row.revision] = seen.get(row.revision, 0) + 1
                numbers[row.id] = seen[row.revision]
        return numbers

    @property
    def changed(self) -> bool:
        """Whether the draft differs from what is published."""
        return self.text != self.published_text


@dataclass(frozen=True)
class Comparison:
    """Two versions of a workflow side by side: what changed in its parts, and each file's text diff
    (``texts_kept``: False when a version was published without its texts)."""

    workflow: str
    old: int
    new: int
    changes: Changes
    texts: Sequence[tuple[str, Sequence[str]]]
    texts_kept: bool


@dataclass(frozen=True)
class Published:
    """What a publish did: the file, and the version each workflow holding it got (none for a cases
    file: its text became the department's current cases text)."""

    path: str
    versions: Sequence[PublishedVersion]
    together: Sequence[str] = ()  # the department's other drafts published with it


@dataclass(frozen=True)
class RollbackSubmitted:
    """A rollback under four eyes: the files whose drafts now hold version ``version``'s texts,
    submitted for a second admin's approval, each at its revision."""

    workflow: str
    version: int
    drafts: Mapping[str, int]


class Studio:
    """The studio over an ``Engine`` and the definitions root its files are read from."""

    def __init__(self, engine: Engine, root: Path) -> None:
        self.engine = engine
        self.root = root
        self.store = engine.parts.store
        self.clock = engine.parts.clock
        self.registry = engine.parts.registry

    # -- who and what ----------------------------------------------------------------------------

    def departments(self) -> dict[str, str]:
        """Department -> its folder under workflows/, forms/ and rules/."""
        with self._published():
            return department_folders(self.root)

    def administers(self, actor: Actor, department: str) -> bool:
        """Whether ``actor`` is an admin of ``department`` (the studio shows nothing else)."""
        return (
            ADMIN_ROLE in actor.roles and actor.in_department(department) and department in self.departments()
        )

    def departments_of(self, actor: Actor) -> list[str]:
        """The departments ``actor`` administers, by name."""
        if ADMIN_ROLE not in actor.roles:
            return []
        return sorted(d for d in self.departments() if actor.in_department(d))

    def awaiting(self, department: str) -> list[DraftRow]:
        """The department's drafts submitted for a second admin's approval, by path: what its admins
        are shown first, so that nothing waits unseen."""
        return [d for d in drafts_of(self.store, department) if d.status is DraftStatus.AWAITING_APPROVAL]

    def files(self, department: str) -> list[tuple[str, DefinitionKind]]:
        folder = self.departments().get(department)
        if folder is None:
            return []
        with self._published():
            return department_files(self.root, folder)

    def owns(self, department: str, path: str) -> bool:
        """Whether ``path`` is one of the department's files."""
        return any(p == path for p, _ in self.files(department))

    # -- reading -----------------------------------------------------------------------------------

    def overview(self, department: str, *, before: int | None = None, after: int | None = None) -> Overview:
        """The department's files, drafts, workflows, four eyes, and a page of its record: the newest
        ``EVENTS_PAGE`` events, or those before or after an event's id (``studio_events_page``)."""
        files = self.files(department)
        drafts = {d.path: d for d in drafts_of(self.store, department)}
        with self._published():
            found, _ = discover_with_problems(self.root)
        workflow_paths = {p for p, kind in files if kind is DefinitionKind.WORKFLOW}
        shown = {name: shown_path(path, self.root) for name, path in found.items()}
        names = {name: path for name, path in shown.items() if path in workflow_paths}
        with self.store.read() as tx:
            running = running_by_version(tx, sorted(names))
            workflows = [
                WorkflowVersions(
                    name,
                    path,
                    list(reversed(tx.versions(name))),
                    {v: n for (w, v), n in running.items() if w == name},
                )
                for name, path in sorted(names.items())
            ]
        return Overview(
            department,
            files,
            drafts,
            workflows,
            four_eyes(self.store, department),
            studio_events_page(self.store, department, before=before, after=after, limit=EVENTS_PAGE),
        )

    def file(self, department: str, path: str) -> FileView | None:
        """The file ``path`` of ``department``; None when it is not one of the department's files."""
        kind = kind_of(path)
        if kind is None or not self.owns(department, path):
            return None
        draft = draft_of(self.store, department, path)
        published = self.published_text(path)
        history = draft_revisions_of(self.store, draft.id) if draft is not None else []
        holding = [] if kind is DefinitionKind.CASES else self.workflows_holding(department, path)
        writers: dict[str, list[int]] = {}
        rollback: Mapping[str, Any] | None = None
        sent_back: StudioEventRow | None = None
        if draft is not None and not draft.status.closed:
            writers = self._writers(department, draft)
            if draft.status is DraftStatus.AWAITING_APPROVAL:
                submitted = latest_event(self.store, department, (StudioAction.SUBMIT,), path)
                if submitted is not None and submitted.detail.get("revision") == draft.revision:
                    found = submitted.detail.get("rollback")
                    rollback = found if isinstance(found, Mapping) else None
            else:  # sent back at this revision: its writer reads why
                returned = latest_event(self.store, department, (StudioAction.SEND_BACK,), path)
                if returned is not None and returned.detail.get("revision") == draft.revision:
                    sent_back = returned
        return FileView(
            department, path, kind, published, draft, holding, history, writers, rollback, sent_back
        )

    def _writers(self, department: str, draft: DraftRow) -> dict[str, list[int]]:
        """Who wrote the revisions of ``draft`` saved since its file was last published from it (or it
        was discarded), as the record says: author -> revisions."""
        closed = latest_event(
            self.store, department, (StudioAction.PUBLISH, StudioAction.DISCARD), draft.path
        )
        since = closed.detail.get("revision", 0) if closed is not None else 0
        return draft_writers(self.store, draft, since if isinstance(since, int) else 0)

    def text_versions(self, department: str, path: str) -> list[TextVersion] | None:
        """The texts of a cases file published from the studio, newest first; None when ``path`` is no
        cases file of the department."""
        if kind_of(path) is not DefinitionKind.CASES or not self.owns(department, path):
            return None
        return text_versions(self.store, department, path)

    def revision(self, department: str, path: str, revision_id: int) -> RevisionRow | None:
        """One revision of the draft of ``path`` (saved, or a refused conflicting save), by its id; None
        when it is not one of that draft's."""
        if kind_of(path) is None or not self.owns(department, path):
            return None
        draft = draft_of(self.store, department, path)
        return None if draft is None else draft_revision(self.store, draft.id, revision_id)

    def published_text(self, path: str) -> str:
        """The text the file has now: the newest published from the studio, else the file's."""
        with self.store.read() as tx:
            found = newest_texts(tx, [path]).get(path)
        if found is not None:
            return found
        try:
            return read_definition(self.root / path).decode("utf-8", errors="replace")
        except (OSError, ValueError):
            return ""

    def events(self, department: str, limit: int = 100) -> list[StudioEventRow]:
        return studio_events_of(self.store, department, limit)

    # -- checking ----------------------------------------------------------------------------------

    def check(self, department: str, path: str, text: str) -> list[TextProblem]:
        """Every problem of ``text`` as ``path``, read with the other files as they are published and
        the department's other drafts over them (what a publish of this text reads: the drafts of files
        in the same bundles are published with it, :meth:`companions`): the checks of ``orderloom
        validate``, across files, with the problems the text causes in the files holding it. A cases
        file is checked as ``orderloom rules test`` checks it, against its rule file as it is being
        written (the rule file's draft, when it has one): the pair the rule console runs."""
        with self._published():
            return check_text(
                self.root,
                path,
                text,
                drafts=self.other_drafts(department, path),
                action_names=self.registry.action_names,
                action_writes=self.registry.action_writes,
                published=self._running(),
            )

    def _running(self) -> set[str]:
        """The workflows with a published version (an overlay never published runs nothing)."""
        with self.store.read() as tx:
            return set(tx.workflow_names())

    def other_drafts(self, department: str, path: str) -> dict[str, str]:
        """The department's drafts not yet published, but that of ``path``: path -> text."""
        return {
            d.path: d.text
            for d in drafts_of(self.store, department)
            if d.path != path and not d.status.closed
        }

    def companions(self, department: str, path: str, text: str) -> list[DraftRow]:
        """The department's other drafts a publish of ``text`` as ``path`` publishes with it: the
        drafts of the files in the bundles of the workflows holding it (their forms, UI and rule
        files, the overlays extending them and the workflows they extend), read with all of them over
        the published files. A rename both a base and its overlay need is published as one."""
        others = {d.path: d for d in drafts_of(self.store, department) if d.path != path}
        others = {p: d for p, d in others.items() if not d.status.closed}
        if not others:
            return []
        overlay = {p: d.text for p, d in others.items()}
        overlay[path] = text
        files: set[str] = set()
        before = self.workflows_holding(department, path)  # a draft that breaks a holder holds it still
        with self.as_published(overlay):
            found, _ = discover_with_problems(self.root)
            for name in sorted({*before, *self._holding(department, path, found)}):
                files.update(self._files_of(name, found))
        return [others[p] for p in sorted(files) if p in others]

    def _files_of(self, name: str, found: Mapping[str, Path]) -> set[str]:
        """The files workflow ``name`` is read from (its bundle's; when it does not load, the files its
        problems are in), with the files of the workflows it extends."""
        files: set[str] = set()
        seen: set[str] = set()
        current: str | None = name
        while current is not None and current in found and current not in seen:
            seen.add(current)
            files.add(shown_path(found[current], self.root))
            try:
                bundle = self._load(found[current], found)
            except DefinitionError as error:
                files.update(problem.file for problem in error.problems)
            else:
                files.update(bundle_files(bundle))
            try:
                text = read_definition(found[current]).decode("utf-8", errors="replace")
            except (OSError, ValueError):  # gone, or too large: its problems say so elsewhere
                break
            tree, _, _ = load_yaml(text, current)
            base = tree.get("extends") if isinstance(tree, Mapping) else None
            current = base if isinstance(base, str) else None
        return files

    # -- seeing what a text means ---------------------------------------------------------------------

    def diagram(self, department: str, text: str, lang: str | None = None) -> str | None:
        """The Mermaid source of the workflow ``text`` as it is typed (None when it is not a mapping),
        each state with how many of the department's orders of that workflow are in it."""
        tree, _, _ = load_yaml(text, "<draft>")
        if not isinstance(tree, Mapping):
            return None
        name = tree.get("workflow")
        counts: dict[str, int] = {}
        if isinstance(name, str):
            with self.store.read() as tx:
                counts = {
                    state: n
                    for (dep, workflow, state), n in read_state_counts(tx, [department]).items()
                    if workflow == name and dep == department
                }
        base = self._base_labels(tree) if isinstance(tree.get("extends"), str) else None
        return workflow_diagram(tree, counts, lang, base)

    def _base_labels(self, tree: Mapping[Any, Any]) -> dict[str, Mapping[Any, Any]]:
        """The labels of the states of the workflow an overlay ``tree`` extends, as it is published
        (with what that one extends, the nearer base's label winning)."""
        found: dict[str, Mapping[Any, Any]] = {}
        with self._published():
            workflows, _ = discover_with_problems(self.root)
            seen: set[str] = set()
            name = tree.get("extends")
            while isinstance(name, str) and name in workflows and name not in seen:
                seen.add(name)
                try:
                    text = read_definition(workflows[name]).decode("utf-8", errors="replace")
                except (OSError, ValueError):  # gone, or too large: its states are drawn by name
                    break
                base, _, _ = load_yaml(text, name)
                found = {**state_labels(base), **found}
                name = base.get("extends") if isinstance(base, Mapping) else None
        return found

    def compare(self, department: str, workflow: str, old: int, new: int) -> Comparison | None:
        """What changed from version ``old`` to ``new`` of ``workflow`` (None when either is not one of
        the department's): the states, transitions, rules and fields, and each file's text diff (for
        versions that kept their texts)."""
        with self.store.read() as tx:
            rows = tx.version(workflow, old), tx.version(workflow, new)
            sources = tx.version_sources(workflow, old), tx.version_sources(workflow, new)
        before, after = rows
        if before is None or after is None or department not in (before.department, after.department):
            return None
        where = f"{workflow} v{old}", f"{workflow} v{new}"
        old_bundle = documents.bundle_of(before.bundle, where[0])
        new_bundle = documents.bundle_of(after.bundle, where[1])
        texts: list[tuple[str, list[str]]] = []
        if sources[0] is not None and sources[1] is not None:
            for path in sorted(set(sources[0]) | set(sources[1])):
                lines = text_diff(
                    sources[0].get(path, ""), sources[1].get(path, ""), f"v{old}/{path}", f"v{new}/{path}"
                )
                if lines:
                    texts.append((path, lines))
        return Comparison(
            workflow, old, new, bundle_changes(old_bundle, new_bundle), texts, None not in sources
        )

    # -- drafts -------------------------------------------------------------------------------------

    def save(
        self,
        department: str,
        path: str,
        text: str,
        seen_revision: int,
        actor: Actor,
        note: str | None = None,
    ) -> DraftRow | SaveConflict:
        """Save ``text`` as the draft of ``path`` (made from ``seen_revision``; 0 when there was no
        draft). A draft with errors is saved all the same; it cannot be published. A text larger than a
        definition file may be is refused (:class:`TextTooLarge`) before anything is written.
        ``note``, the note for the publish typed so far, is kept with the draft (None: the draft's own
        stays), so a reload, another browser and the approver find it."""
        size = len(text.encode("utf-8"))
        if size > MAX_TEXT_BYTES:
            raise TextTooLarge(size)
        saved = save_draft(
            self.store,
            department=department,
            path=path,
            text=text,
            seen_revision=seen_revision,
            base_hash=text_hash(self.published_text(path)),
            author=actor.name,
            at=self.clock.now(),
            note=note,
        )
        with self.store.transaction() as tx:
            self._record(
                tx,
                department,
                actor,
                StudioAction.SAVE,
                path,
                (
                    {"conflict_with": saved.current.revision}
                    if isinstance(saved, SaveConflict)
                    else {"revision": saved.revision}
                ),
            )
        return saved

    def keep_note(self, department: str, path: str, revision: int, note: str) -> bool:
        """Keep ``note`` with the draft of ``path`` while it is at ``revision`` and not yet published
        (a publish or submission refused keeps the note typed for it); False when there is no such draft."""
        draft = draft_of(self.store, department, path)
        if draft is None:
            return False
        with self.store.transaction() as tx:
            return set_draft_note(tx, draft.id, revision, note)

    def four_eyes(self, department: str) -> bool:
        return four_eyes(self.store, department)

    def set_four_eyes(self, department: str, on: bool, actor: Actor) -> None:
        """Turn four eyes on (any admin of the department) or off: only an admin of every department
        turns it off, so no admin of the department escapes the second pair of eyes alone."""
        if not on and self.four_eyes(department) and actor.scope is not None:
            raise PublishRefused(
                "only an admin of every department turns four eyes off",
                "只有所有部门的管理员（系统管理员）才能关闭四眼原则",
            )
        with self.store.transaction() as tx:
            set_four_eyes(tx, department, on, self.clock.now(), actor.name)
            self._record(
                tx,
                department,
                actor,
                StudioAction.FOUR_EYES,
                department,
                {"on": on},
            )

    # -- publishing ---------------------------------------------------------------------------------

    def bundles_for(
        self, department: str, path: str, text: str, drafts: Mapping[str, str] | None = None
    ) -> tuple[list[tuple[Bundle, dict[str, str]]], list[Problem]]:
        """The bundles of every workflow holding ``path`` with ``text`` in place of it, or one of the
        ``drafts`` (path -> text) published with it, those texts in place of their files (the other
        files as they are published), each with the text of its files; and the problems that stop any
        of them from loading. The workflows holding a file now and those holding it with the new texts
        both count: a draft that breaks a workflow using the file is a problem, never a workflow left
        out."""
        texts = {**(drafts or {}), path: text}
        before: set[str] = set()
        for name in texts:
            before.update(self.workflows_holding(department, name))
        bundles: list[tuple[Bundle, dict[str, str]]] = []
        problems: list[Problem] = []
        with self.as_published(texts):
            found, _ = discover_with_problems(self.root)
            holding = set(before)
            for name in texts:
                holding.update(self._holding(department, name, found))
            for name in sorted(holding):
                if name not in found:  # the draft renamed the workflow: the old name stays as it is
                    continue
                try:
                    bundle = self._load(found[name], found)
                except DefinitionError as error:
                    problems.extend(error.problems)
                else:
                    bundles.append((bundle, bundle_sources(bundle, self.root)))
        return bundles, problems

    def _load(self, file: Path, found: Mapping[str, Path]) -> Bundle:
        """The bundle of the workflow in ``file``, ``extends`` looked up in ``found``, read with the
        registry's actions (``DefinitionError`` with its problems)."""
        return load_bundle(
            file,
            self.root,
            action_names=self.registry.action_names,
            workflows=found,
            action_writes=self.registry.action_writes,
        )

    def rule_files(self, department: str, workflow: str) -> list[str]:
        """The rule files the published ``workflow`` of ``department`` runs, as the studio names its
        files (each has its console); none when the workflow does not load."""
        with self._published():
            found, _ = discover_with_problems(self.root)
            file = found.get(workflow)
            if file is None:
                return []
            try:
                bundle = self._load(file, found)
            except DefinitionError:
                return []
        if bundle.department != department:
            return []
        return sorted(path for path in bundle_files(bundle) if kind_of(path) is DefinitionKind.RULES)

    def workflows_holding(self, department: str, path: str) -> list[str]:
        """The names of the workflows a publish of ``path`` publishes."""
        with self._published():
            found, _ = discover_with_problems(self.root)
            return self._holding(department, path, found)

    def _holding(self, department: str, path: str, found: Mapping[str, Path]) -> list[str]:
        """Workflows of ``department`` whose file is ``path`` or that name it (as a form, its UI file or
        a rule file), with every published workflow extending one of them."""
        names: list[str] = []
        for name, file in sorted(found.items()):
            try:
                bundle = self._load(file, found)
            except DefinitionError:
                bundle = None
            if bundle is None:
                if shown_path(file, self.root) == path:
                    names.append(name)
                continue
            if bundle.department == department and path in bundle_files(bundle):
                names.append(name)
        # The workflows extending one of them, when published: they run on what they extend.
        with self.store.read() as tx:
            published = set(tx.workflow_names())
        extending = [n for n in dependents(self.root, names) if n in found and n in published]
        return sorted({*names, *extending})

    def submit(
        self, department: str, path: str, revision: int, note: str, actor: Actor, text: str | None = None
    ) -> None:
        """Ask another admin to approve the draft at ``revision`` (four eyes), with the department's
        other drafts it would be published with (:meth:`companions`): the set is approved as one.
        Refused when it has errors, was saved since, or ``text`` (the editor's, when given) is not the
        draft's."""
        draft = self._publishable(department, path, revision, text)
        together = self.companions(department, path, draft.text)
        with self.store.transaction() as tx:
            for row in (draft, *together):
                if row is not draft and row.status is DraftStatus.AWAITING_APPROVAL:
                    continue
                _await_approval(tx, row.id, row.revision, note, actor)
            self._record(
                tx,
                department,
                actor,
                StudioAction.SUBMIT,
                path,
                {"revision": revision, "note": note, "together": {d.path: d.revision for d in together}},
            )

    def publish(
        self, department: str, path: str, revision: int, note: str, actor: Actor, text: str | None = None
    ) -> Published:
        """Publish the draft of ``path`` at ``revision`` with the department's other drafts it needs
        (:meth:`companions`: the drafts of files in the same bundles), in one transaction: every
        workflow holding any of them gets its next version, with the one note, and each draft is
        marked published at its revision. With four eyes on, every draft of the set must have been
        submitted, and only another admin than who wrote or submitted any of them publishes it.
        ``text``, the editor's when given, must be the draft's: what is published is the saved (or
        submitted) revision, never an edit made since, dropped unsaid."""
        draft = self._publishable(department, path, revision, text)
        together = self.companions(department, path, draft.text)
        for other in together:
            errors = [
                p.problem
                for p in self.check(department, other.path, other.text)
                if p.problem.severity == Severity.ERROR
            ]
            if errors:
                raise PublishRefused(
                    f"your draft of {other.path}, which this publish publishes with it, has {len(errors)} "
                    "error(s): fix them there first; nothing was published",
                    f"与此草稿一同发布的 {other.path} 草稿有 {len(errors)} 个错误：请先在那里修正；"
                    "未发布任何版本",
                    errors,
                )
        approved_by: str | None = None
        drafted_by = draft.updated_by
        if self.four_eyes(department):
            for row in (draft, *together):
                if row.status is not DraftStatus.AWAITING_APPROVAL or row.requested_by is None:
                    raise PublishRefused(
                        "this department needs a second admin's approval: submit the draft for approval "
                        f"first ({row.path} is not submitted)",
                        f"本部门发布前需要另一位管理员批准：请先提交审批（{row.path} 尚未提交）",
                    )
                if actor.name == row.requested_by:
                    raise PublishRefused(
                        f"you submitted this draft ({row.path}): another admin, who wrote none of its "
                        "revisions since the file was last published, must approve it",
                        f"此草稿（{row.path}）由您提交：须由另一位管理员批准，且该管理员未编写过文件上次发布以来的任何一稿",
                    )
                written = self._writers(department, row).get(actor.name)
                if written:
                    numbers = ", ".join(str(n) for n in written)
                    raise PublishRefused(
                        f"you wrote revision(s) {numbers} of this draft ({row.path}) since the file was last "
                        "published: it must be approved by an admin who wrote none of its revisions, so that "
                        "someone besides its author sees every change",
                        f"文件上次发布以来，您编写了此草稿的第 {numbers} 稿（{row.path}）："
                        "须由未编写过其中任何一稿的管理员批准，以保证每处修改都经作者以外的人看过",
                    )
            approved_by, drafted_by = actor.name, draft.requested_by or draft.updated_by
            note = note or draft.note or ""
        if kind_of(path) is DefinitionKind.CASES:
            return self._publish_cases(department, draft, revision, note, actor, drafted_by, approved_by)
        bundles, problems = self.bundles_for(department, path, draft.text, {d.path: d.text for d in together})
        if problems:  # a problem of a file several workflows hold is met by each of them: said once
            raise PublishRefused(
                "a workflow holding this file has problems; nothing was published",
                "使用此文件的流程有问题，未发布任何版本",
                list({problem.format(): problem for problem in problems}.values()),
            )
        rows = (draft, *together)

        def mark_published(tx: Tx, versions: list[PublishedVersion]) -> None:
            for row in rows:
                if not set_draft_status(tx, row.id, row.revision, DraftStatus.PUBLISHED, note=note):
                    raise _changed()
            store_texts(tx, department, {row.path: row.text for row in rows}, self.clock.now(), actor.name)
            self._record(
                tx,
                department,
                actor,
                StudioAction.PUBLISH,
                path,
                {
                    "revision": revision,
                    "note": note,
                    "drafted_by": drafted_by,
                    "approved_by": approved_by,
                    "versions": {v.workflow: v.version for v in versions},
                    "together": {row.path: row.revision for row in together},
                },
            )
            for row in together:  # each file's own record of its publish: whose revisions it closed
                self._record(
                    tx,
                    department,
                    actor,
                    StudioAction.PUBLISH,
                    row.path,
                    {"revision": row.revision, "note": note, "together_with": path},
                )

        versions = self.engine.publish_together(
            [
                (
                    bundle,
                    VersionMeta(note=note, drafted_by=drafted_by, approved_by=approved_by, sources=sources),
                )
                for bundle, sources in bundles
            ],
            actor,
            mark_published,
        )
        return Published(path, versions, [row.path for row in together])

    def _publish_cases(
        self,
        department: str,
        draft: DraftRow,
        revision: int,
        note: str,
        actor: Actor,
        drafted_by: str | None,
        approved_by: str | None,
    ) -> Published:
        """A cases file belongs to no workflow's bundle: publishing it makes its text the department's
        current text of the file (a new entry of its versions), which the rule console and its cases
        run read from then on."""
        with self.store.transaction() as tx:
            if not set_draft_status(tx, draft.id, revision, DraftStatus.PUBLISHED, note=note):
                raise _changed()
            store_texts(tx, department, {draft.path: draft.text}, self.clock.now(), actor.name)
            self._record(
                tx,
                department,
                actor,
                StudioAction.PUBLISH,
                draft.path,
                {
                    "revision": revision,
                    "note": note,
                    "drafted_by": drafted_by,
                    "approved_by": approved_by,
                    "versions": {},
                },
            )
        return Published(draft.path, ())

    def discard(self, department: str, path: str, revision: int, actor: Actor) -> None:
        """Go back to the published text of ``path``: its draft at ``revision`` is discarded (its
        revisions stay readable, the discard is recorded). Refused while the draft waits for approval
        (its submitter withdraws it first), or when it was saved since ``revision``."""
        draft = draft_of(self.store, department, path)
        if draft is None or draft.status.closed:
            raise PublishRefused(
                "there is no draft to discard: the file holds its published text",
                "没有可放弃的草稿：文件现为已发布的文本",
            )
        if draft.revision != revision:
            raise _changed()
        if draft.status is DraftStatus.AWAITING_APPROVAL:
            raise PublishRefused(
                f"revision {revision} is submitted for approval by {draft.requested_by}: it is discarded "
                "only once its submitter withdraws it",
                f"第 {revision} 稿已由 {draft.requested_by} 提交审批：须由提交者撤回后才能放弃",
            )
        with self.store.transaction() as tx:
            if not set_draft_status(tx, draft.id, revision, DraftStatus.DISCARDED):
                raise _changed()
            self._record(tx, department, actor, StudioAction.DISCARD, path, {"revision": revision})

    def withdraw(self, department: str, path: str, revision: int, actor: Actor) -> None:
        """Take the draft of ``path`` at ``revision`` back from approval: only who submitted it does;
        it is then a draft being written again (to change, discard, or submit anew)."""
        draft = draft_of(self.store, department, path)
        if draft is None or draft.revision != revision:
            raise _changed()
        if draft.status is not DraftStatus.AWAITING_APPROVAL:
            raise PublishRefused("this draft is not submitted for approval", "此草稿未提交审批")
        if draft.requested_by != actor.name:
            raise PublishRefused(
                f"only {draft.requested_by}, who submitted it, withdraws this draft",
                f"只有提交者 {draft.requested_by} 才能撤回此草稿",
            )
        with self.store.transaction() as tx:
            if not set_draft_status(tx, draft.id, revision, DraftStatus.OPEN, note=draft.note):
                raise _changed()
            self._record(tx, department, actor, StudioAction.WITHDRAW, path, {"revision": revision})

    def send_back(self, department: str, path: str, revision: int, comment: str, actor: Actor) -> None:
        """Return the draft of ``path`` submitted at ``revision`` to being written, saying why
        (``comment``, required): what an approver does instead of approving. Its submitter withdraws
        instead; the draft keeps its text and note, and the comment is in the record."""
        draft = draft_of(self.store, department, path)
        if draft is None or draft.revision != revision:
            raise _changed()
        if draft.status is not DraftStatus.AWAITING_APPROVAL:
            raise PublishRefused("this draft is not submitted for approval", "此草稿未提交审批")
        if draft.requested_by == actor.name:
            raise PublishRefused(
                "you submitted this draft: withdraw it instead of sending it back",
                "此草稿由您提交：请撤回审批，而不是退回",
            )
        if not comment.strip():
            raise PublishRefused(
                "say why the draft is sent back, so that its writer knows what to change",
                "请说明退回的原因，让编写者知道要改什么",
            )
        with self.store.transaction() as tx:
            if not set_draft_status(tx, draft.id, revision, DraftStatus.OPEN, note=draft.note):
                raise _changed()
            self._record(
                tx,
                department,
                actor,
                StudioAction.SEND_BACK,
                path,
                {"revision": revision, "note": comment.strip(), "submitted_by": draft.requested_by},
            )

    def rollback(
        self, department: str, workflow: str, version: int, note: str, actor: Actor
    ) -> PublishedVersion | RollbackSubmitted:
        """Publish version ``version`` of ``workflow`` again as its next version (with its files' texts,
        which become the files' current texts). With four eyes on, a rollback is a publish like any
        other: each file whose text differs from version ``version``'s gets a draft holding that text,
        submitted for approval in the same step, its submission saying it is a rollback to that
        version; another admin approves each."""
        with self.store.read() as tx:
            row = tx.version(workflow, version)
            sources = tx.version_sources(workflow, version) if row is not None else None
        if row is not None and row.department == department and not sources:
            raise PublishRefused(
                f"version {version} of {workflow!r} was published without the texts of its files: publish "
                "it again from its files (orderloom publish)",
                f"{workflow!r} 的第 {version} 版发布时未保存其文件文本："
                "请用 orderloom publish 从文件重新发布",
            )
        if row is None or row.department != department:
            raise PublishRefused(
                f"no version {version} of {workflow!r} in this department",
                f"本部门没有 {workflow!r} 的第 {version} 版",
            )
        if self.four_eyes(department):
            return self._submit_rollback(department, workflow, version, sources or {}, note, actor)
        bundle = Bundle.from_json(documents.bundle_of(row.bundle, f"{workflow} v{version}"))
        published = self.engine.publish(
            bundle,
            actor,
            VersionMeta(note=note, drafted_by=actor.name, sources=sources),
        )
        with self.store.transaction() as tx:
            if sources:
                store_texts(tx, department, sources, self.clock.now(), actor.name)
            self._record(
                tx,
                department,
                actor,
                StudioAction.ROLLBACK,
                workflow,
                {"from_version": version, "version": published.version, "note": note},
            )
        return published

    def _submit_rollback(
        self,
        department: str,
        workflow: str,
        version: int,
        sources: Mapping[str, str],
        note: str,
        actor: Actor,
    ) -> RollbackSubmitted:
        """Draft version ``version``'s text of every file of ``workflow`` that differs from it now, and
        submit each for approval, all in one transaction; refused, with nothing written, when a file
        has a draft being written or submitted (publish, withdraw or discard it first), when nothing
        differs, or when a text has errors against the files as they are published now."""
        changed = {p: t for p, t in sorted(sources.items()) if t != self.published_text(p)}
        if not changed:
            raise PublishRefused(
                f"the files of {workflow!r} hold the texts of version {version} already: nothing to "
                "roll back",
                f"{workflow!r} 的文件已是第 {version} 版的文本：无需回滚",
            )
        problems: list[Problem] = []
        for path, text in changed.items():
            if not self.owns(department, path):
                raise PublishRefused(
                    f"{path} is not a file of this department: version {version} cannot be rolled back here",
                    f"{path} 不是本部门的文件：不能在此回滚到第 {version} 版",
                )
            draft = draft_of(self.store, department, path)
            if draft is not None and draft.status is DraftStatus.AWAITING_APPROVAL:
                raise PublishRefused(
                    f"{path} has revision {draft.revision} submitted for approval by {draft.requested_by}: "
                    "approve it, or have it withdrawn, before rolling back",
                    f"{path} 的第 {draft.revision} 稿已由 {draft.requested_by} 提交审批："
                    "请先批准或由提交者撤回，再回滚",
                )
            if draft is not None and not draft.status.closed and draft.text != self.published_text(path):
                raise PublishRefused(
                    f"{path} has a draft being written (revision {draft.revision}, by {draft.updated_by}): "
                    "publish or discard it before rolling back",
                    f"{path} 有正在编写的草稿（第 {draft.revision} 稿，{draft.updated_by}）："
                    "请先发布或放弃，再回滚",
                )
            problems.extend(
                p.problem for p in self.check(department, path, text) if p.problem.severity == Severity.ERROR
            )
        if problems:
            raise PublishRefused(
                f"version {version}'s texts have errors against the files as they are published now: "
                "nothing was drafted",
                f"第 {version} 版的文本与当前已发布的文件放在一起有错误：未起草任何内容",
                problems,
            )
        rollback = {"workflow": workflow, "version": version}
        submitted: dict[str, int] = {}
        bases = {path: text_hash(self.published_text(path)) for path in changed}
        with self.store.transaction() as tx:
            for path, text in changed.items():
                current = draft_in(tx, department, path)
                saved = save_draft_in(
                    tx,
                    department=department,
                    path=path,
                    text=text,
                    seen_revision=current.revision if current is not None else 0,
                    base_hash=bases[path],
                    author=actor.name,
                    at=self.clock.now(),
                )
                if isinstance(saved, SaveConflict):
                    raise _changed()  # saved by another admin meanwhile: the transaction writes nothing
                _await_approval(tx, saved.id, saved.revision, note, actor)
                self._record(tx, department, actor, StudioAction.SAVE, path, {"revision": saved.revision})
                self._record(
                    tx,
                    department,
                    actor,
                    StudioAction.SUBMIT,
                    path,
                    {"revision": saved.revision, "note": note, "rollback": rollback},
                )
                submitted[path] = saved.revision
            self._record(
                tx,
                department,
                actor,
                StudioAction.ROLLBACK,
                workflow,
                {"from_version": version, "submitted": submitted, "note": note},
            )
        return RollbackSubmitted(workflow, version, submitted)

    def _publishable(self, department: str, path: str, revision: int, text: str | None = None) -> DraftRow:
        draft = draft_of(self.store, department, path)
        if draft is None or draft.revision != revision:
            raise _changed()
        if draft.status is DraftStatus.PUBLISHED:
            raise PublishRefused("this draft is published already", "此草稿已发布")
        if draft.status is DraftStatus.DISCARDED:
            raise PublishRefused(
                "this draft was discarded: the file holds its published text",
                "此草稿已放弃：文件现为已发布的文本",
            )
        if text is not None and text != draft.text:
            raise _edited(revision, draft.status is DraftStatus.AWAITING_APPROVAL)
        checked = [
            p for p in self.check(department, path, draft.text) if p.problem.severity == Severity.ERROR
        ]
        if checked:
            drafted = set(self.other_drafts(department, path))
            must_change = sorted(
                {p.file for p in checked if p.elsewhere is not None and p.file not in {*drafted, path}}
            )
            raise PublishRefused(
                f"the draft has {len(checked)} error(s): fix them before publishing"
                + (
                    f"; {', '.join(must_change)} must change too: open it, make the change there and "
                    "save it as a draft, and both are published together"
                    if must_change
                    else ""
                ),
                f"草稿有 {len(checked)} 个错误：请先修正再发布"
                + (
                    f"；{'、'.join(must_change)} 也须修改：请打开它，在那里修改并保存为草稿，两者将一同发布"
                    if must_change
                    else ""
                ),
                [p.problem for p in checked],
                must_change,
            )
        return draft

    # -- replay before publishing -------------------------------------------------------------------

    def replay(
        self, department: str, path: str, actor: Actor, limit: int = DEFAULT_REPLAY_LIMIT
    ) -> DraftReplay | None:
        """The draft of ``path`` (a workflow or rule file; its published text when it has no draft), with
        the drafts a publish takes with it, replayed over the newest ``limit`` orders of each workflow
        publishing it would publish: the orders that would go another way, and why. When the draft, or
        a workflow holding it, has errors nothing is replayed and the replay holds them. None when
        ``path`` is not a workflow or rule file of the department."""
        view = self.file(department, path)
        if view is None or view.kind not in (DefinitionKind.WORKFLOW, DefinitionKind.RULES):
            return None
        check_replay_limit(limit)
        problems = {
            p.problem.format(): p.problem
            for p in self.check(department, path, view.text)
            if p.problem.severity == Severity.ERROR
        }
        together = {d.path: d.text for d in self.companions(department, path, view.text)}
        bundles, failed = self.bundles_for(department, path, view.text, together)
        problems.update((problem.format(), problem) for problem in failed)
        replayed = DraftReplay(department, path, view.kind, view.revision, view.changed, limit)
        if problems:
            return replace(replayed, problems=tuple(problems.values()))
        loaded = [bundle for bundle, _ in bundles]
        files = replay_bundles(self.engine, actor, department, path, view.kind, loaded, limit)
        return replace(replayed, files=files)

    # -- moving running orders between versions ------------------------------------------------------

    def migration_plan(
        self,
        department: str,
        workflow: str,
        to_version: int,
        actor: Actor,
        *,
        from_version: int | None = None,
        mapping: Mapping[str, str] | None = None,
    ) -> MigrationView | None:
        """The plan of moving the running orders of ``workflow`` (those on ``from_version``, else on any
        other version) onto ``to_version``; nothing is written. None when ``workflow`` is not one of
        the department's."""
        if not self._publishes(department, workflow):
            return None
        return migration_view(
            self.engine, department, workflow, to_version, actor, from_version=from_version, mapping=mapping
        )

    def start_migration(
        self,
        department: str,
        workflow: str,
        to_version: int,
        actor: Actor,
        *,
        from_version: int | None = None,
        mapping: Mapping[str, str] | None = None,
        batch: int = DEFAULT_BATCH,
    ) -> MigrationRun | None:
        """Move the first ``batch`` orders of the plan, recorded as the first batch of a new run; the
        run, or None when no order can move (or ``workflow`` is not one of the department's)."""
        if not self._publishes(department, workflow):
            return None
        run = run_batch(
            self.engine,
            department,
            workflow,
            actor,
            run=None,
            to_version=to_version,
            from_version=from_version,
            mapping=dict(mapping or {}),
            batch=batch,
            action=StudioAction.MIGRATE,
        )
        return None if run is None else self.migration_run(department, workflow, run, actor)

    def continue_migration(
        self, department: str, workflow: str, run: int, actor: Actor, batch: int = DEFAULT_BATCH
    ) -> MigrationRun | None:
        """Move the next ``batch`` orders of run ``run``, the way its first batch did (target, version
        moved from, mapping); the run after it (done when nothing was left), or None when there is no
        such run."""
        found = self.migration_run(department, workflow, run, actor)
        if found is None or found.done:
            return found
        run_batch(
            self.engine,
            department,
            workflow,
            actor,
            run=run,
            to_version=found.left.to_version,
            from_version=found.left.from_version,
            mapping=found.left.mapping,
            batch=batch,
            action=StudioAction.MIGRATE,
        )
        return self.migration_run(department, workflow, run, actor)

    def migration_run(self, department: str, workflow: str, run: int, actor: Actor) -> MigrationRun | None:
        """Run ``run`` of ``workflow``: the orders it moved, and what is left now."""
        if not self._publishes(department, workflow):
            return None
        return migration_run(self.engine, department, workflow, run, actor, StudioAction.MIGRATE)

    def _publishes(self, department: str, workflow: str) -> bool:
        """Whether ``workflow`` has a published version of ``department``."""
        with self.store.read() as tx:
            newest = tx.latest_version_number(workflow)
            row = tx.version(workflow, newest) if newest is not None else None
        return row is not None and row.department == department

    def _record(
        self, tx: Tx, department: str, actor: Actor, action: str, subject: str, detail: Mapping[str, Any]
    ) -> None:
        """One line of the department's studio record, now, by ``actor``."""
        record(tx, self.clock, department, actor, action, subject, detail)

    # -- reading through the published texts ---------------------------------------------------------

    @contextmanager
    def _published(self) -> Iterator[None]:
        """Read the definitions with the texts published from the studio over their files."""
        with self.store.read() as tx:
            texts = newest_texts(tx)
        with drafts_over_files({self.root / p: t for p, t in texts.items()}):
            yield

    @contextmanager
    def as_published(self, drafts: Mapping[str, str] | None = None) -> Iterator[None]:
        """Read the definitions as a publish of ``drafts`` (path -> text) would read them: those texts
        in place of their files, every other file as it is published (:meth:`check` reads so)."""
        overlay = {self.root / path: text for path, text in (drafts or {}).items()}
        with self._published(), drafts_over_files(overlay):
            yield


def _edited(revision: int, submitted: bool) -> PublishRefused:
    """The text in the editor is not the draft's revision ``revision``: nothing is done with either."""
    if submitted:
        return PublishRefused(
            f"the text in the editor differs from revision {revision}, the one submitted for approval: "
            "nothing was published. Your edit is still in the editor: save it as a new draft (it then "
            "needs a new submission), or reload the page to approve the submitted text as it is",
            f"编辑器中的文本与提交审批的第 {revision} 稿不同：未发布任何版本。您的修改仍在编辑器中："
            "可将其保存为新草稿（之后需重新提交审批），或重新载入页面，按提交的文本批准",
        )
    return PublishRefused(
        f"the text in the editor differs from the saved revision {revision}: nothing was done. Your "
        "edit is still in the editor: save it first, then publish (or submit) the new revision",
        f"编辑器中的文本与已保存的第 {revision} 稿不同：未执行任何操作。您的修改仍在编辑器中："
        "请先保存，再发布（或提交）新的一稿",
    )


def _changed() -> PublishRefused:
    return PublishRefused(
        "the draft was saved again since you opened it: reload it and check it before publishing",
        "打开后草稿已被再次保存：请重新载入并检查后再发布",
    )


def _await_approval(tx: Tx, draft_id: int, revision: int, note: str, actor: Actor) -> None:
    """Set the draft at ``revision`` awaiting approval, submitted by ``actor`` with ``note``; refused
    (the transaction then writes nothing) when it was saved again meanwhile."""
    if not set_draft_status(
        tx, draft_id, revision, DraftStatus.AWAITING_APPROVAL, note=note, requested_by=actor.name
    ):
        raise _changed()
