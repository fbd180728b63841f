"""The studio's rows (migration 0015): the texts of definition files published from the studio, drafts
with every revision saved or refused, a department's settings, and the record of what its admins did.

A draft is saved with the revision it was made from: a save that finds another revision there is a
conflict, answered with the text stored now, and the text refused is kept as a revision of its own
(``outcome`` ``conflict``), so two admins saving at once lose nothing. Each function is one
transaction, or takes the caller's ``Tx`` where it is part of a larger one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, func, insert, select, update

from engine.store.store import Store, Tx
from engine.store.tables import (
    definition_texts,
    department_settings,
    draft_revisions,
    drafts,
    orders,
    studio_events,
)

__all__ = [
    "DraftRow",
    "DraftStatus",
    "EventsPage",
    "RevisionRow",
    "SaveConflict",
    "StudioEventRow",
    "TextVersion",
    "draft_in",
    "draft_of",
    "draft_revision",
    "draft_revisions_of",
    "draft_writers",
    "drafts_of",
    "four_eyes",
    "latest_event",
    "newest_texts",
    "record_event",
    "running_by_version",
    "save_draft",
    "save_draft_in",
    "set_draft_note",
    "set_draft_status",
    "set_four_eyes",
    "store_texts",
    "studio_events_of",
    "studio_events_page",
    "studio_events_since",
    "text_hash",
    "text_versions",
]


class DraftStatus(StrEnum):
    """Where a draft stands: being written, waiting for a second admin (four eyes), published (its
    text is the file's current text until it is saved again), or discarded (an admin went back to the
    published text; its revisions stay readable). A save after a publish or a discard begins a new
    round of edits."""

    OPEN = "open"
    AWAITING_APPROVAL = "awaiting_approval"
    PUBLISHED = "published"
    DISCARDED = "discarded"

    @property
    def closed(self) -> bool:
        """Whether the draft's round is over: what the file holds is its published text."""
        return self in (DraftStatus.PUBLISHED, DraftStatus.DISCARDED)


class RevisionOutcome(StrEnum):
    SAVED = "saved"
    CONFLICT = "conflict"  # refused: another revision was saved first; kept so nothing typed is lost


def text_hash(text: str) -> str:
    """The SHA-256 of a text (UTF-8), as drafts and published texts name it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DraftRow:
    id: int
    department: str
    path: str
    text: str
    revision: int
    base_hash: str  # the hash of the published text the draft was begun from
    status: DraftStatus
    updated_by: str
    updated_at: datetime
    note: str | None
    requested_by: str | None


@dataclass(frozen=True)
class RevisionRow:
    """One revision of a draft: saved, or a save refused as a conflict (then ``revision`` is the
    revision it met, and ``id`` tells it apart from that revision and from other refused saves)."""

    id: int
    revision: int
    text: str
    author: str
    at: datetime
    outcome: str


@dataclass(frozen=True)
class SaveConflict:
    """A save refused: ``current`` was saved since the revision the text was made from."""

    current: DraftRow
    refused_text: str


@dataclass(frozen=True)
class StudioEventRow:
    id: int
    department: str
    at: datetime
    actor: str
    action: str
    subject: str
    detail: Mapping[str, Any]


def _draft(row: Row[Any]) -> DraftRow:
    m = row._mapping
    return DraftRow(
        id=int(m["id"]),
        department=str(m["department"]),
        path=str(m["path"]),
        text=str(m["text"]),
        revision=int(m["revision"]),
        base_hash=str(m["base_hash"]),
        status=DraftStatus(m["status"]),
        updated_by=str(m["updated_by"]),
        updated_at=m["updated_at"],
        note=m["note"],
        requested_by=m["requested_by"],
    )


def _select_draft(department: str, path: str) -> Any:
    return select(drafts).where(drafts.c.department == department, drafts.c.path == path)


def draft_in(tx: Tx, department: str, path: str) -> DraftRow | None:
    """The draft of ``path`` read in the caller's transaction."""
    row = tx.connection.execute(_select_draft(department, path)).first()
    return None if row is None else _draft(row)


def draft_of(store: Store, department: str, path: str) -> DraftRow | None:
    with store.read() as tx:
        row = tx.connection.execute(_select_draft(department, path)).first()
    return None if row is None else _draft(row)


def drafts_of(store: Store, department: str) -> list[DraftRow]:
    """The department's drafts, by path."""
    with store.read() as tx:
        rows = tx.connection.execute(
            select(drafts).where(drafts.c.department == department).order_by(drafts.c.path)
        )
        return [_draft(r) for r in rows]


def draft_revisions_of(store: Store, draft_id: int, limit: int = 50) -> list[RevisionRow]:
    """A draft's revisions, newest first (conflicts included)."""
    with store.read() as tx:
        rows = tx.connection.execute(
            select(draft_revisions)
            .where(draft_revisions.c.draft_id == draft_id)
            .order_by(draft_revisions.c.id.desc())
            .limit(limit)
        )
        return [_revision_row(r) for r in rows]


def draft_revision(store: Store, draft_id: int, revision_id: int) -> RevisionRow | None:
    """The revision ``revision_id`` of the draft ``draft_id`` (None when it is not one of its)."""
    with store.read() as tx:
        row = tx.connection.execute(
            select(draft_revisions).where(
                draft_revisions.c.draft_id == draft_id, draft_revisions.c.id == revision_id
            )
        ).first()
    return None if row is None else _revision_row(row)


def _revision_row(row: Row[Any]) -> RevisionRow:
    return RevisionRow(
        int(row.id), int(row.revision), str(row.text), str(row.author), row.at, str(row.outcome)
    )


def save_draft(
    store: Store,
    *,
    department: str,
    path: str,
    text: str,
    seen_revision: int,
    base_hash: str,
    author: str,
    at: datetime,
    note: str | None = None,
) -> DraftRow | SaveConflict:
    """Save ``text`` as the draft of ``path`` made from revision ``seen_revision`` (0: no draft was
    there). Another revision found there is a :class:`SaveConflict`; the text refused is kept.
    ``note``, when given, is the note for the publish kept with the draft ("" clears it); None keeps the
    draft's note (none when a new round of edits begins from what is published)."""
    with store.transaction() as tx:
        return save_draft_in(
            tx,
            department=department,
            path=path,
            text=text,
            seen_revision=seen_revision,
            base_hash=base_hash,
            author=author,
            at=at,
            note=note,
        )


def save_draft_in(
    tx: Tx,
    *,
    department: str,
    path: str,
    text: str,
    seen_revision: int,
    base_hash: str,
    author: str,
    at: datetime,
    note: str | None = None,
) -> DraftRow | SaveConflict:
    """:func:`save_draft` in the caller's transaction (a rollback drafts several files at once)."""
    c = tx.connection
    row = c.execute(_select_draft(department, path).with_for_update()).first()
    current = None if row is None else _draft(row)
    if current is not None and current.revision != seen_revision:
        _revision(tx, current.id, current.revision, text, author, at, RevisionOutcome.CONFLICT)
        return SaveConflict(current, text)
    if current is None:
        inserted = c.execute(
            insert(drafts).values(
                department=department,
                path=path,
                text=text,
                revision=1,
                base_hash=base_hash,
                status=DraftStatus.OPEN.value,
                updated_by=author,
                updated_at=at,
                note=note or None,
            )
        ).inserted_primary_key
        assert inserted is not None
        draft_id, revision = int(inserted[0]), 1
    else:
        draft_id, revision = current.id, current.revision + 1
        values: dict[str, Any] = {
            "text": text,
            "revision": revision,
            "status": DraftStatus.OPEN.value,
            "updated_by": author,
            "updated_at": at,
            "requested_by": None,
        }
        if current.status.closed:  # a new round of edits begins from what is published
            values["base_hash"] = base_hash  # and with no note: the last one went with its version
            values["note"] = None
        if note is not None:
            values["note"] = note or None
        c.execute(update(drafts).where(drafts.c.id == draft_id).values(**values))
    _revision(tx, int(draft_id), revision, text, author, at, RevisionOutcome.SAVED)
    saved = c.execute(select(drafts).where(drafts.c.id == draft_id)).one()
    return _draft(saved)


def draft_writers(store: Store, draft: DraftRow, since_revision: int) -> dict[str, list[int]]:
    """Who wrote the revisions of ``draft`` saved after revision ``since_revision``: author -> the
    revisions they saved (refused saves are no one's writing), oldest first."""
    with store.read() as tx:
        rows = tx.connection.execute(
            select(draft_revisions.c.author, draft_revisions.c.revision)
            .where(
                draft_revisions.c.draft_id == draft.id,
                draft_revisions.c.outcome == RevisionOutcome.SAVED.value,
                draft_revisions.c.revision > since_revision,
            )
            .order_by(draft_revisions.c.id)
        )
        writers: dict[str, list[int]] = {}
        for author, revision in rows:
            writers.setdefault(str(author), []).append(int(revision))
    return writers


def latest_event(
    store: Store, department: str, actions: Collection[str], subject: str
) -> StudioEventRow | None:
    """The newest event of the department's record of one of ``actions`` on ``subject``."""
    with store.read() as tx:
        row = tx.connection.execute(
            select(studio_events)
            .where(
                studio_events.c.department == department,
                studio_events.c.action.in_(sorted(actions)),
                studio_events.c.subject == subject,
            )
            .order_by(studio_events.c.id.desc())
            .limit(1)
        ).first()
    return None if row is None else _event(row)


def _revision(
    tx: Tx, draft_id: int, revision: int, text: str, author: str, at: datetime, outcome: RevisionOutcome
) -> None:
    tx.connection.execute(
        insert(draft_revisions).values(
            draft_id=draft_id, revision=revision, text=text, author=author, at=at, outcome=outcome.value
        )
    )


def set_draft_status(
    tx: Tx,
    draft_id: int,
    revision: int,
    status: DraftStatus,
    *,
    note: str | None = None,
    requested_by: str | None = None,
) -> bool:
    """Move the draft to ``status`` if it is still at ``revision``; False when it was saved since."""
    result = tx.connection.execute(
        update(drafts)
        .where(drafts.c.id == draft_id, drafts.c.revision == revision)
        .values(status=status.value, note=note, requested_by=requested_by)
    )
    return bool(result.rowcount)


def set_draft_note(tx: Tx, draft_id: int, revision: int, note: str) -> bool:
    """Keep ``note`` (the note for the publish; "" clears it) with the draft while it is still at
    ``revision`` and not published; False otherwise (nothing written)."""
    result = tx.connection.execute(
        update(drafts)
        .where(
            drafts.c.id == draft_id,
            drafts.c.revision == revision,
            drafts.c.status != DraftStatus.PUBLISHED.value,
        )
        .values(note=note or None)
    )
    return bool(result.rowcount)


def newest_texts(tx: Tx, paths: Collection[str] | None = None) -> dict[str, str]:
    """The newest text published from the studio of each file (of ``paths``; None: of every file)."""
    newest = select(func.max(definition_texts.c.id).label("id")).group_by(definition_texts.c.path)
    if paths is not None:
        newest = newest.where(definition_texts.c.path.in_(sorted(paths)))
    rows = tx.connection.execute(
        select(definition_texts.c.path, definition_texts.c.text).where(
            definition_texts.c.id.in_(newest.scalar_subquery())
        )
    )
    return {str(path): str(text) for path, text in rows}


@dataclass(frozen=True)
class TextVersion:
    """One text of a file published from the studio, numbered from 1 in the order they were published."""

    number: int
    text: str
    content_hash: str
    published_at: datetime
    published_by: str


def text_versions(store: Store, department: str, path: str) -> list[TextVersion]:
    """Every text of ``path`` published from the studio by ``department``, newest first."""
    with store.read() as tx:
        rows = list(
            tx.connection.execute(
                select(definition_texts)
                .where(definition_texts.c.department == department, definition_texts.c.path == path)
                .order_by(definition_texts.c.id)
            )
        )
    found = [
        TextVersion(number, str(r.text), str(r.content_hash), r.published_at, str(r.published_by))
        for number, r in enumerate(rows, start=1)
    ]
    return list(reversed(found))


def store_texts(tx: Tx, department: str, texts: Mapping[str, str], at: datetime, by: str) -> None:
    """Record ``texts`` (path -> text) as the files' current texts."""
    for path, text in sorted(texts.items()):
        tx.connection.execute(
            insert(definition_texts).values(
                department=department,
                path=path,
                text=text,
                content_hash=text_hash(text),
                published_at=at,
                published_by=by,
            )
        )


def four_eyes(store: Store, department: str) -> bool:
    """Whether a second admin must approve a draft of ``department`` before it is published."""
    with store.read() as tx:
        found = tx.connection.execute(
            select(department_settings.c.four_eyes).where(department_settings.c.department == department)
        ).scalar()
    return bool(found)


def set_four_eyes(tx: Tx, department: str, on: bool, at: datetime, by: str) -> None:
    c = tx.connection
    values = {"four_eyes": on, "updated_at": at, "updated_by": by}
    changed = c.execute(
        update(department_settings).where(department_settings.c.department == department).values(**values)
    ).rowcount
    if not changed:
        c.execute(insert(department_settings).values(department=department, **values))


def record_event(
    tx: Tx,
    *,
    department: str,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    detail: Mapping[str, Any] | None = None,
) -> int:
    """One line of the department's studio record: who did what to which file or user, and when; its
    id."""
    inserted = tx.connection.execute(
        insert(studio_events)
        .values(
            department=department,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            detail=dict(detail or {}),
        )
        .returning(studio_events.c.id)
    )
    return int(inserted.scalar_one())


def studio_events_of(
    store: Store, department: str, limit: int = 100, actions: Collection[str] | None = None
) -> list[StudioEventRow]:
    """The department's studio record, newest first (of ``actions`` only, when given)."""
    query = select(studio_events).where(studio_events.c.department == department)
    if actions is not None:
        query = query.where(studio_events.c.action.in_(sorted(actions)))
    with store.read() as tx:
        rows = tx.connection.execute(query.order_by(studio_events.c.id.desc()).limit(limit))
        return [_event(r) for r in rows]


@dataclass(frozen=True)
class EventsPage:
    """A page of a department's studio record, newest first, read by keyset (the events' ids): ``older``
    is the id to read the page before (``before=older``), None at the oldest event; ``newer`` the id to
    read the page after (``after=newer``), None at the newest."""

    events: Sequence[StudioEventRow]
    older: int | None = None
    newer: int | None = None


def studio_events_page(
    store: Store, department: str, *, before: int | None = None, after: int | None = None, limit: int = 30
) -> EventsPage:
    """``limit`` events of the department's record, newest first: the newest ones; with ``before``, the
    newest ones older than that id; with ``after``, the oldest ones newer than it (the newest page when
    fewer than ``limit`` are, so a page is full whenever the record is long enough). An index on
    (department, id) serves each read, however long the record."""
    mine = studio_events.c.department == department
    with store.read() as tx:
        c = tx.connection
        rows: list[Row[Any]] = []
        if after is not None:
            rows = list(
                c.execute(
                    select(studio_events)
                    .where(mine, studio_events.c.id > after)
                    .order_by(studio_events.c.id)
                    .limit(limit)
                )
            )
            rows.reverse()
        if after is None or len(rows) < limit:
            query = select(studio_events).where(mine)
            if before is not None and after is None:
                query = query.where(studio_events.c.id < before)
            rows = list(c.execute(query.order_by(studio_events.c.id.desc()).limit(limit)))
        if not rows:
            return EventsPage(())
        newest, oldest = int(rows[0].id), int(rows[-1].id)

        def beyond(condition: Any) -> bool:
            return c.execute(select(studio_events.c.id).where(mine, condition).limit(1)).first() is not None

        return EventsPage(
            [_event(r) for r in rows],
            older=oldest if beyond(studio_events.c.id < oldest) else None,
            newer=newest if beyond(studio_events.c.id > newest) else None,
        )


def studio_events_since(
    tx: Tx, department: str, action: str, subject: str, first_id: int
) -> list[StudioEventRow]:
    """The department's events of ``action`` on ``subject`` from id ``first_id`` on, oldest first (the
    batches of one migration run: the first one's id names the run)."""
    rows = tx.connection.execute(
        select(studio_events)
        .where(
            studio_events.c.department == department,
            studio_events.c.id >= first_id,
            studio_events.c.action == action,
            studio_events.c.subject == subject,
        )
        .order_by(studio_events.c.id)
    )
    return [_event(r) for r in rows]


def _event(r: Row[Any]) -> StudioEventRow:
    return StudioEventRow(
        int(r.id), str(r.department), r.at, str(r.actor), str(r.action), str(r.subject), r.detail or {}
    )


def running_by_version(tx: Tx, workflows: Sequence[str]) -> dict[tuple[str, int], int]:
    """How many orders of each of ``workflows`` are running (not final) on each version."""
    rows = tx.connection.execute(
        select(orders.c.workflow, orders.c.version, func.count())
        .where(orders.c.workflow.in_(list(workflows)), orders.c.final.is_(False))
        .group_by(orders.c.workflow, orders.c.version)
    )
    return {(str(w), int(v)): int(n) for w, v, n in rows}
