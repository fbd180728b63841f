"""Published workflow versions: immutable, numbered, each holding the bundle it was published from."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, literal_column, select

from engine.store import documents
from engine.store.documents import WORKFLOW_BUNDLE
from engine.store.statements import MAX_ID, SV, Statement
from engine.store.tables import workflow_versions
from engine.store.transaction import TxCore


@dataclass(frozen=True)
class VersionRow:
    workflow: str
    version: int
    content_hash: str
    department: str
    bundle: Any
    published_at: datetime
    published_by: str | None
    note: str | None = None
    drafted_by: str | None = None
    approved_by: str | None = None


@dataclass(frozen=True)
class VersionMeta:
    """What a version is published with beside its bundle: the publisher's note, who drafted it and who
    approved it (four eyes), and the text of each file of the bundle (path -> text), when known."""

    note: str | None = None
    drafted_by: str | None = None
    approved_by: str | None = None
    sources: Mapping[str, str] | None = None


VERSION_COLUMNS = (
    workflow_versions.c.workflow,
    workflow_versions.c.version,
    workflow_versions.c.content_hash,
    workflow_versions.c.department,
    workflow_versions.c.bundle,
    workflow_versions.c.published_at,
    workflow_versions.c.published_by,
    workflow_versions.c.schema_version,
    workflow_versions.c.note,
    workflow_versions.c.drafted_by,
    workflow_versions.c.approved_by,
)

_b = bindparam
_v = workflow_versions.c
VERSION = Statement(
    "version",
    select(*VERSION_COLUMNS).where(and_(_v.workflow == _b("workflow"), _v.version == _b("version"))),
)
VERSION_BY_HASH = Statement(
    "version_by_hash",
    select(*VERSION_COLUMNS).where(
        and_(_v.workflow == _b("workflow"), _v.content_hash == _b("content_hash"))
    ),
)
VERSIONS = Statement(
    "versions", select(*VERSION_COLUMNS).where(_v.workflow == _b("workflow")).order_by(_v.version)
)
# PostgreSQL: a transaction-scoped advisory lock on a 64-bit hash of the text (released at its end).
LOCK_VERSIONS = Statement(
    "lock_versions", select(func.pg_advisory_xact_lock(func.hashtextextended(_b("key"), literal_column("0"))))
)
LATEST_VERSION = Statement(
    "latest_version",
    select(*VERSION_COLUMNS)
    .where(_v.workflow == _b("workflow"))
    .order_by(_v.version.desc())
    .limit(_b("limit"))
    .offset(_b("offset")),
)
WORKFLOW_NAMES = Statement("workflow_names", select(_v.workflow).distinct().order_by(_v.workflow))
LATEST_VERSION_NUMBER = Statement(
    "latest_version_number",
    select(_v.version)
    .where(_v.workflow == _b("workflow"))
    .order_by(_v.version.desc())
    .limit(_b("limit"))
    .offset(_b("offset")),
)
INSERT_VERSION = Statement(
    "insert_version",
    insert(workflow_versions).values(
        workflow=_b("workflow"),
        version=_b("version"),
        content_hash=_b("content_hash"),
        department=_b("department"),
        bundle=_b("bundle"),
        schema_version=SV,
        published_at=_b("at"),
        published_by=_b("published_by"),
        note=_b("note"),
        drafted_by=_b("drafted_by"),
        approved_by=_b("approved_by"),
        sources=_b("sources"),
    ),
)
SOURCES = Statement(
    "version_sources",
    select(_v.sources).where(and_(_v.workflow == _b("workflow"), _v.version == _b("version"))),
)


class PublishedVersions(TxCore):
    """The published versions of a transaction."""

    def _version(self, r: Sequence[Any]) -> VersionRow:
        return VersionRow(
            workflow=r[0],
            version=r[1],
            content_hash=r[2],
            department=r[3],
            bundle=documents.read(WORKFLOW_BUNDLE, r[7], self._json(r[4]), f"{r[0]} v{r[1]}"),
            published_at=self._time(r[5]),
            published_by=r[6],
            note=r[8],
            drafted_by=r[9],
            approved_by=r[10],
        )

    def version(self, workflow: str, version: int) -> VersionRow | None:
        if not 0 < version <= MAX_ID:
            return None
        row = self.run(VERSION, {"workflow": workflow, "version": version}).fetchone()
        return None if row is None else self._version(row)

    def version_by_hash(self, workflow: str, content_hash: str) -> VersionRow | None:
        row = self.run(VERSION_BY_HASH, {"workflow": workflow, "content_hash": content_hash}).fetchone()
        return None if row is None else self._version(row)

    def lock_versions_of(self, workflow: str) -> None:
        """In a write transaction on PostgreSQL, wait until no other transaction is publishing a version
        of ``workflow`` and keep others waiting until this one ends (an advisory lock on its name), so
        the next version number read is the one to take. SQLite's write transactions are one at a
        time already."""
        if self._locks:
            self.run(LOCK_VERSIONS, {"key": f"workflow_versions:{workflow}"})

    def latest_version(self, workflow: str) -> VersionRow | None:
        row = self.run(LATEST_VERSION, {"workflow": workflow, "limit": 1, "offset": 0}).fetchone()
        return None if row is None else self._version(row)

    def latest_version_number(self, workflow: str) -> int | None:
        """The newest published version of ``workflow`` (its number only: no bundle to decode)."""
        row = self.run(LATEST_VERSION_NUMBER, {"workflow": workflow, "limit": 1, "offset": 0}).fetchone()
        return None if row is None else int(row[0])

    def workflow_names(self) -> list[str]:
        """The name of every workflow with a published version, sorted."""
        return [str(r[0]) for r in self.run(WORKFLOW_NAMES, {}).fetchall()]

    def versions(self, workflow: str) -> list[VersionRow]:
        return [self._version(r) for r in self.run(VERSIONS, {"workflow": workflow}).fetchall()]

    def insert_version(
        self,
        *,
        workflow: str,
        version: int,
        content_hash: str,
        department: str,
        bundle: Any,
        at: datetime,
        published_by: str | None,
        meta: VersionMeta | None = None,
    ) -> None:
        meta = meta or VersionMeta()
        self.run(
            INSERT_VERSION,
            {
                "workflow": workflow,
                "version": version,
                "content_hash": content_hash,
                "department": department,
                "bundle": self.dumps(bundle),
                "at": self.ts(at),
                "published_by": published_by,
                "note": meta.note,
                "drafted_by": meta.drafted_by,
                "approved_by": meta.approved_by,
                "sources": None if meta.sources is None else self.dumps(dict(meta.sources)),
            },
        )

    def version_sources(self, workflow: str, version: int) -> dict[str, str] | None:
        """The text of each file a version was published from (path -> text), when it was kept."""
        row = self.run(SOURCES, {"workflow": workflow, "version": version}).fetchone()
        if row is None or row[0] is None:
            return None
        found = self._json(row[0])
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else None


@dataclass(frozen=True)
class PublishedBundle:
    """The newest published version of a workflow with the bundle it was published from (the inner
    bundle, ``documents.bundle_of``): what a summary compiles for the workflow's title and labels."""

    department: str
    workflow: str
    version: int
    bundle: Mapping[str, Any]


def _newest(departments: Collection[str] | None, *columns: Any) -> Any:
    """The newest published version of each workflow (of ``departments``; None: of every one): a
    query of ``columns`` of its row, by department and workflow name."""
    newest = select(_v.workflow, func.max(_v.version).label("version")).group_by(_v.workflow).subquery()
    query = (
        select(*columns)
        .join(newest, (newest.c.workflow == _v.workflow) & (newest.c.version == _v.version))
        .order_by(_v.department, _v.workflow)
    )
    if departments is not None:
        query = query.where(_v.department.in_(sorted(departments)))
    return query


def newest_versions(
    connection: Connection, departments: Collection[str] | None = None
) -> list[tuple[str, str, int]]:
    """(department, workflow, newest version) of each workflow (of ``departments``; None: of every
    one), by department and workflow, read through ``connection`` (the caller's transaction)."""
    query = _newest(departments, _v.department, _v.workflow, _v.version)
    return [(d, w, int(v)) for d, w, v in connection.execute(query)]


def newest_bundles(
    connection: Connection, departments: Collection[str] | None = None
) -> list[PublishedBundle]:
    """The newest published version of each workflow (of ``departments``; None: of every one) with its
    bundle, by department and workflow, read through ``connection`` (the caller's transaction). A
    bundle stored in a shape this OrderLoom cannot read raises
    :class:`~engine.errors.StoredDocumentError`."""
    query = _newest(departments, _v.department, _v.workflow, _v.version, _v.bundle, _v.schema_version)
    found = []
    for department, workflow, version, stored, schema_version in connection.execute(query).all():
        where = f"{workflow} v{version}"
        document = documents.read(WORKFLOW_BUNDLE, schema_version, stored, where)
        found.append(
            PublishedBundle(department, workflow, int(version), documents.bundle_of(document, where))
        )
    return found


__all__ = [
    "VERSION_COLUMNS",
    "PublishedBundle",
    "PublishedVersions",
    "VersionRow",
    "newest_bundles",
    "newest_versions",
]
