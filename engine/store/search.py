"""The search box's index (订单搜索): the terms an order is found by, and finding orders by a term.

A workflow says which fields of its data feed which kind of term (``search:`` in the workflow language,
``WorkflowSpec.search``): ``mobile`` (kept whole and as its last four digits, ``mobile_tail``), ``name``,
``waybill`` and ``payment_ref``. The terms are normalized the way a typed query is (``normalized``:
NFKC, so full-width digits and letters an input method types are ASCII, no spaces, lower case), kept
in ``order_search_terms`` and written in the transaction that writes the order: on its creation, and
on every step whose data changes touch a searched field. A query is normalized the same way and found
by one index look-up per department (``(term, department, order_id)``), newest order first: never a
scan of orders, never LIKE over their JSON.

These helpers are pure (the migration that backfills the index uses them as well).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, select

from engine.store.statements import ZERO, Statement
from engine.store.tables import order_search_terms
from engine.store.transaction import TxCore

# The kinds of term a workflow may declare, in the order a match is told; ``mobile_tail`` is derived.
SEARCH_KINDS = ("mobile", "name", "waybill", "payment_ref")
MOBILE_TAIL = "mobile_tail"
TAIL_DIGITS = 4
TERM_LENGTH = 200  # the column's length: a longer value is kept cut (a query is cut the same way)
ITEMS = "[]"  # a path's step into every item of a list: shipments[].waybill

_SPACES = re.compile(r"\s+")


def normalized(text: str) -> str:
    """A term or a query as both are compared: NFKC (full-width ＡＢ１２ and spaces typed by an input
    method are ASCII), every space and the separators people type in numbers (``-``) left out, lower
    case, cut to the column's length."""
    folded = unicodedata.normalize("NFKC", text)
    return _SPACES.sub("", folded).replace("-", "").casefold()[:TERM_LENGTH]


def values_at(data: Any, path: str) -> Iterator[Any]:
    """The values at a dotted path of the data, ``[]`` stepping into every item of a list
    (``shipments[].waybill``); nothing where a step finds no such field."""
    found: list[Any] = [data]
    for step in path.split("."):
        every = step.endswith(ITEMS)
        name = step.removesuffix(ITEMS)
        nxt: list[Any] = []
        for value in found:
            if not isinstance(value, Mapping) or name not in value:
                continue
            inner = value[name]
            if every:
                nxt.extend(inner if isinstance(inner, list) else [])
            else:
                nxt.append(inner)
        found = nxt
    yield from found


def search_roots(config: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """The top-level fields of the data the configured paths start from: a step changing one of them
    rewrites the order's terms."""
    return frozenset(path.split(".")[0].removesuffix(ITEMS) for paths in config.values() for path in paths)


def terms_of(data: Mapping[str, Any], config: Mapping[str, Sequence[str]]) -> set[tuple[str, str]]:
    """The (kind, term) pairs an order's data is found by under ``config`` (kind -> paths). A mobile is
    kept whole (its digits) and as its last four digits; empty values are not terms."""
    found: set[tuple[str, str]] = set()
    for kind, paths in config.items():
        for path in paths:
            for value in values_at(data, path):
                if isinstance(value, bool) or not isinstance(value, str | int):
                    continue
                term = normalized(str(value))
                if not term:
                    continue
                if kind == "mobile":
                    digits = "".join(ch for ch in term if ch.isdigit())
                    if len(digits) < TAIL_DIGITS:
                        continue
                    found.add((kind, digits))
                    found.add((MOBILE_TAIL, digits[-TAIL_DIGITS:]))
                else:
                    found.add((kind, term))
    return found


@dataclass(frozen=True)
class TermMatch:
    """An order found by a term: which kind of term matched."""

    order_id: int
    kind: str


_b = bindparam
DELETE_TERMS = Statement(
    "delete_search_terms", delete(order_search_terms).where(order_search_terms.c.order_id == _b("order_id"))
)
DELETE_TERM = Statement(
    "delete_search_term",
    delete(order_search_terms).where(
        order_search_terms.c.term == _b("term"),
        order_search_terms.c.department == _b("department"),
        order_search_terms.c.order_id == _b("order_id"),
        order_search_terms.c.kind == _b("kind"),
    ),
)
# An order's own terms, read from the index on ``order_id``.
TERMS_OF_ORDER = Statement(
    "search_terms_of_order",
    select(order_search_terms.c.department, order_search_terms.c.kind, order_search_terms.c.term).where(
        order_search_terms.c.order_id == _b("order_id")
    ),
)
INSERT_TERM = Statement(
    "insert_search_term",
    insert(order_search_terms).values(
        term=_b("term"), department=_b("department"), order_id=_b("order_id"), kind=_b("kind")
    ),
)
# The terms of the orders whose ids are in ``(:after, :last]``, read from the index on ``order_id``.
TERMS_BETWEEN = Statement(
    "search_terms_between",
    select(
        order_search_terms.c.order_id,
        order_search_terms.c.department,
        order_search_terms.c.kind,
        order_search_terms.c.term,
    ).where(order_search_terms.c.order_id > _b("after"), order_search_terms.c.order_id <= _b("last")),
)
# One department's orders holding a term, newest first, from ``:before`` down (a keyset page).
FIND_TERM = Statement(
    "find_search_term",
    select(order_search_terms.c.order_id, order_search_terms.c.kind)
    .where(
        order_search_terms.c.term == _b("term"),
        order_search_terms.c.department == _b("department"),
        order_search_terms.c.order_id < _b("before"),
    )
    .order_by(order_search_terms.c.order_id.desc())
    .limit(_b("limit"))
    .offset(ZERO),  # written into the text: SQLite's compiler adds one to every LIMIT
)


class SearchTermRows(TxCore):
    """The search terms of a transaction."""

    def put_search_terms(
        self, order_id: int, department: str, terms: Iterable[tuple[str, str]], *, replace: bool
    ) -> None:
        """Write the order's terms; ``replace``: they take the place of those it has (a step changed a
        searched field): its terms are read, and only those it no longer has are deleted and only the
        new ones inserted (a step that sets a payment reference writes that one term, not all five)."""
        wanted = {(department, kind, term) for kind, term in terms}
        held: set[tuple[str, str, str]] = set()
        if replace:
            held = {tuple(row) for row in self.run(TERMS_OF_ORDER, {"order_id": order_id}).fetchall()}
            gone = [
                {"term": term, "department": place, "order_id": order_id, "kind": kind}
                for place, kind, term in sorted(held - wanted)
            ]
            self.run_many(DELETE_TERM, gone)
        added = [
            {"term": term, "department": place, "order_id": order_id, "kind": kind}
            for place, kind, term in sorted(wanted - held)
        ]
        self.run_many(INSERT_TERM, added)

    def search_terms_between(self, after: int, last: int) -> dict[int, set[tuple[str, str, str]]]:
        """The (department, kind, term) rows of the orders whose ids are above ``after`` up to ``last``,
        by order id (an order without terms is not a key)."""
        found: dict[int, set[tuple[str, str, str]]] = {}
        rows = self.run(TERMS_BETWEEN, {"after": after, "last": last}).fetchall()
        for order_id, department, kind, term in rows:
            found.setdefault(order_id, set()).add((department, kind, term))
        return found

    def replace_search_terms(self, terms: Mapping[int, tuple[str, Iterable[tuple[str, str]]]]) -> None:
        """Write the terms of several orders (order id -> its department and (kind, term) pairs) in
        place of those they had: one statement per kind of write, each run for every row."""
        self.run_many(DELETE_TERMS, [{"order_id": order_id} for order_id in sorted(terms)])
        rows = [
            {"term": term, "department": department, "order_id": order_id, "kind": kind}
            for order_id, (department, pairs) in sorted(terms.items())
            for kind, term in sorted(pairs)
        ]
        self.run_many(INSERT_TERM, rows)

    def find_term(self, term: str, department: str, before: int, limit: int) -> list[TermMatch]:
        """The orders of ``department`` holding ``term`` (normalized), newest first, below id ``before``;
        an order holding it under two kinds comes once, with the first kind of ``SEARCH_KINDS``."""
        params = {"term": term, "department": department, "before": before, "limit": limit * 2 + 2}
        rows = self.run(FIND_TERM, params).fetchall()
        order = {kind: n for n, kind in enumerate((*SEARCH_KINDS, MOBILE_TAIL))}
        best: dict[int, str] = {}
        for order_id, kind in rows:
            kept = best.get(order_id)
            if kept is None or order.get(kind, 99) < order.get(kept, 99):
                best[order_id] = kind
        return [TermMatch(i, best[i]) for i in sorted(best, reverse=True)][:limit]


__all__ = [
    "MOBILE_TAIL",
    "SEARCH_KINDS",
    "SearchTermRows",
    "TermMatch",
    "normalized",
    "search_roots",
    "terms_of",
    "values_at",
]
