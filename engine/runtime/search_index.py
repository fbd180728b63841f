"""The search index built again (``orderloom orders reindex``): the terms of orders that have none
(created before their version's ``search:`` was read, or by a tool that wrote the rows alone) or stale
ones, rebuilt from the ``search:`` of the version each order is on.

A pass reads the orders by id a chunk at a time (a keyset over ``orders.id``, never OFFSET, so a million
orders never sit in memory), each chunk in its own transaction: its orders read (locked on PostgreSQL,
so a step that changes one waits for the chunk rather than have its terms overwritten with older ones),
their terms compared with those stored, and only the orders whose terms differ written again. Running
it twice writes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from engine.common.suggest import did_you_mean
from engine.errors import EngineError, NotFound
from engine.runtime.parts import Parts, not_published, retried
from engine.store.search import terms_of

REINDEX_CHUNK = 1000
MAX_REINDEX_CHUNK = 10_000


@dataclass(frozen=True)
class Reindexed:
    """One chunk of a pass: how many orders it read, how many of them had missing or stale terms (and
    were written again), how many terms they hold now, and the last order id it read."""

    orders: int
    rewritten: int
    terms: int
    last_id: int


class SearchIndex:
    """The search terms of orders built again from the version each order is on."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    def reindex(
        self, department: str | None = None, workflow: str | None = None, chunk: int = REINDEX_CHUNK
    ) -> Iterator[Reindexed]:
        """Rebuild the terms of every order (of ``department``, of ``workflow`` when given), ``chunk``
        orders per transaction, yielding each chunk once it is committed. A workflow that is not
        published, or a department no order is in, is refused (with the nearest name) before any order
        is read; a chunk outside 1 … ``MAX_REINDEX_CHUNK`` too."""
        if not 1 <= chunk <= MAX_REINDEX_CHUNK:
            raise EngineError(
                f"a chunk holds 1 to {MAX_REINDEX_CHUNK} orders, not {chunk}",
                zh=f"每批包含 1 到 {MAX_REINDEX_CHUNK} 个订单，而不是 {chunk} 个",
            )
        self._check(department, workflow)
        after = 0
        while True:
            done = self._chunk(after, department, workflow, chunk)
            if not done.orders:
                return
            yield done
            after = done.last_id

    def _check(self, department: str | None, workflow: str | None) -> None:
        with self.parts.store.read() as tx:
            if workflow is not None and not tx.versions(workflow):
                raise not_published(tx, workflow)
            if department is not None:
                known = tx.order_departments()
                if department not in known:
                    raise NotFound(
                        f"no order is in department {department!r}{did_you_mean(department, known)}",
                        zh=f"部门 {department!r} 没有订单{did_you_mean(department, known, 'zh')}",
                    )

    @retried
    def _chunk(self, after: int, department: str | None, workflow: str | None, limit: int) -> Reindexed:
        """The orders after id ``after``, ``limit`` of them, reindexed in one transaction."""
        with self.parts.store.transaction() as tx:
            rows = tx.orders_after(after, department=department, workflow=workflow, limit=limit)
            if not rows:
                return Reindexed(0, 0, 0, after)
            stored = tx.search_terms_between(after, rows[-1].id)
            changed: dict[int, tuple[str, set[tuple[str, str]]]] = {}
            count = 0
            for row in rows:
                search = self.parts.compiled(tx, row.workflow, row.version).spec.search
                terms = terms_of(row.data, search)
                count += len(terms)
                if {(row.department, kind, term) for kind, term in terms} != stored.get(row.id, set()):
                    changed[row.id] = (row.department, terms)
            tx.replace_search_terms(changed)
            return Reindexed(len(rows), len(changed), count, rows[-1].id)


__all__ = ["MAX_REINDEX_CHUNK", "REINDEX_CHUNK", "Reindexed", "SearchIndex"]
