"""Managed lists (名单) and the facts across a customer's orders, read and written with SQLAlchemy Core
through the connection of the caller's transaction.

A list belongs to a department and holds values of one kind (``engine.common.list_keys.ListKind``);
each entry keeps the value as typed beside its key (the value normalised for the kind), unique within
the list. Every change (``create``, ``add``, ``remove``) is written to ``named_list_changes`` with who
made it and when, in the same transaction.

What a list must be (its name, kind and labels; a value's key) is checked by
``engine.runtime.named_lists``, which calls these in a write transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, and_, bindparam, delete, false, func, insert, select

from engine.common.list_keys import ACCOUNT_KEY, ListKind
from engine.store.statements import ONE, ZERO, Statement
from engine.store.tables import (
    customer_accounts,
    named_list_changes,
    named_list_entries,
    named_lists,
    orders,
)
from engine.store.transaction import TxCore

__all__ = [
    "ListChange",
    "ListEntry",
    "ListHeld",
    "NamedList",
    "Owed",
    "add_entry",
    "create_list",
    "customer_fact",
    "customer_fact_query",
    "customer_owed",
    "department_lists",
    "entries_of",
    "find_entry",
    "find_list",
    "has_any",
    "has_any_query",
    "list_changes",
    "lists_of",
    "remove_entry",
]


@dataclass(frozen=True)
class NamedList:
    id: int
    department: str
    name: str
    kind: ListKind
    label_zh: str
    label_en: str
    created_by: str
    created_at: datetime
    entries: int = 0  # how many values it holds (as read with it)


@dataclass(frozen=True)
class ListEntry:
    value: str
    key: str
    note: str | None
    added_by: str
    added_at: datetime


@dataclass(frozen=True)
class ListChange:
    action: str  # create / add / remove
    value: str | None
    note: str | None
    actor: str
    at: datetime


_COUNT = (
    select(func.count())
    .where(named_list_entries.c.list_id == named_lists.c.id)
    .correlate(named_lists)
    .scalar_subquery()
)


def _aware(moment: datetime) -> datetime:
    """A time as read back: UTC (SQLite keeps it without its offset)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _list(row: Row[Any]) -> NamedList:
    m = row._mapping
    return NamedList(
        id=int(m["id"]),
        department=m["department"],
        name=m["name"],
        kind=ListKind(m["kind"]),
        label_zh=m["label_zh"],
        label_en=m["label_en"],
        created_by=m["created_by"],
        created_at=_aware(m["created_at"]),
        entries=int(m["entries"]),
    )


def find_list(connection: Any, department: str, name: str) -> NamedList | None:
    """The list ``name`` of ``department`` (one look-up of its unique index), or None."""
    found = connection.execute(
        select(named_lists, _COUNT.label("entries")).where(
            named_lists.c.department == department, named_lists.c.name == name
        )
    ).first()
    return None if found is None else _list(found)


@dataclass(frozen=True)
class ListHeld:
    """What a step's conditions need of a list: its id, its kind and whether it holds any value."""

    id: int
    kind: ListKind
    held: bool


# Built once and run on the driver cursor: a step whose rules name lists reads them all in this one
# statement (an empty list, as a new department's are, then answers without a query of its own).
_DEPARTMENT_LISTS = Statement(
    "department_lists",
    select(
        named_lists.c.name,
        named_lists.c.id,
        named_lists.c.kind,
        select(ONE).where(named_list_entries.c.list_id == named_lists.c.id).exists().label("held"),
    ).where(named_lists.c.department == bindparam("department")),
)


def department_lists(tx: TxCore, department: str) -> dict[str, ListHeld]:
    """The lists of ``department`` by name, each with its id, kind and whether it holds any value: one
    read of the lists' unique index, one look-up of the entries' primary key per list."""
    found = tx.run(_DEPARTMENT_LISTS, {"department": department}).fetchall()
    return {str(name): ListHeld(int(id_), ListKind(kind), bool(held)) for name, id_, kind, held in found}


def lists_of(connection: Any, department: str) -> list[NamedList]:
    """The lists of ``department``, by name."""
    rows = connection.execute(
        select(named_lists, _COUNT.label("entries"))
        .where(named_lists.c.department == department)
        .order_by(named_lists.c.name)
    )
    return [_list(row) for row in rows]


def _record(
    connection: Any,
    list_id: int,
    action: str,
    actor: str,
    at: datetime,
    value: str | None = None,
    key: str | None = None,
    note: str | None = None,
) -> None:
    connection.execute(
        insert(named_list_changes).values(
            list_id=list_id, action=action, value=value, key=key, note=note, actor=actor, at=at
        )
    )


def create_list(
    connection: Any,
    department: str,
    name: str,
    kind: ListKind,
    labels: tuple[str, str],
    actor: str,
    at: datetime,
) -> NamedList:
    """Insert the list (the caller checked that the department has none of that name)."""
    row = connection.execute(
        insert(named_lists)
        .values(
            department=department,
            name=name,
            kind=kind.value,
            label_zh=labels[0],
            label_en=labels[1],
            created_by=actor,
            created_at=at,
        )
        .returning(named_lists.c.id)
    ).one()
    _record(connection, int(row[0]), "create", actor, at)
    found = find_list(connection, department, name)
    assert found is not None
    return found


def find_entry(connection: Any, named: NamedList, key: str) -> ListEntry | None:
    row = connection.execute(
        select(named_list_entries).where(
            named_list_entries.c.list_id == named.id, named_list_entries.c.key == key
        )
    ).first()
    return None if row is None else _entry(row)


def _entry(row: Row[Any]) -> ListEntry:
    m = row._mapping
    return ListEntry(m["value"], m["key"], m["note"], m["added_by"], _aware(m["added_at"]))


def add_entry(
    connection: Any, named: NamedList, value: str, key: str, note: str | None, actor: str, at: datetime
) -> None:
    """Insert the entry (the caller checked that the list has no entry of that key)."""
    connection.execute(
        insert(named_list_entries).values(
            list_id=named.id, key=key, value=value, note=note, added_by=actor, added_at=at
        )
    )
    _record(connection, named.id, "add", actor, at, value, key, note)


def remove_entry(connection: Any, named: NamedList, key: str, actor: str, at: datetime) -> ListEntry | None:
    """Delete the entry of ``key``; the entry removed, or None when the list has none."""
    found = find_entry(connection, named, key)
    if found is None:
        return None
    connection.execute(
        delete(named_list_entries).where(
            named_list_entries.c.list_id == named.id, named_list_entries.c.key == key
        )
    )
    _record(connection, named.id, "remove", actor, at, found.value, key)
    return found


def entries_of(
    connection: Any, named: NamedList, key_part: str | None = None, limit: int = 200, offset: int = 0
) -> list[ListEntry]:
    """The list's entries by key, those whose key holds ``key_part`` (a normalised search) alone."""
    query = select(named_list_entries).where(named_list_entries.c.list_id == named.id)
    if key_part:
        escaped = key_part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(named_list_entries.c.key.like(f"%{escaped}%", escape="\\"))
    rows = connection.execute(query.order_by(named_list_entries.c.key).limit(limit).offset(offset))
    return [_entry(row) for row in rows]


def list_changes(connection: Any, named: NamedList, limit: int = 50) -> list[ListChange]:
    """The list's latest changes, newest first."""
    rows = connection.execute(
        select(named_list_changes)
        .where(named_list_changes.c.list_id == named.id)
        .order_by(named_list_changes.c.id.desc())
        .limit(limit)
    )
    return [
        ListChange(m["action"], m["value"], m["note"], m["actor"], m["at"])
        for m in (r._mapping for r in rows)
    ]


# A look-up names at most this many keys (a bound parameter each); more are looked up in as many turns.
_KEYS_AT_ONCE = 32


@cache
def _has_any_statement(count: int) -> Statement:
    """Whether a list (``:list_id``) holds any of ``count`` keys (``:key_0`` …); built once per count."""
    return Statement(
        f"has_any_{count}",
        select(
            select(ONE)
            .where(
                named_list_entries.c.list_id == bindparam("list_id"),
                named_list_entries.c.key.in_([bindparam(f"key_{i}") for i in range(count)]),
            )
            .exists()
        ),
    )


def _has_any_params(list_id: int, keys: Sequence[str]) -> dict[str, Any]:
    return {"list_id": list_id, **{f"key_{i}": key for i, key in enumerate(keys)}}


def has_any_query(list_id: int, keys: Sequence[str]) -> Any:
    """The statement ``has_any`` runs for up to 32 ``keys``, with its values in place (for a plan to be
    read from it)."""
    statement = _has_any_statement(len(keys)).statement
    assert isinstance(statement, Select)
    return statement.params(_has_any_params(list_id, keys))


def has_any(tx: TxCore, list_id: int, keys: Sequence[str]) -> bool:
    """Whether the list holds any of ``keys``: one look-up of the entries' primary key per key, on the
    driver cursor of ``tx``."""
    for start in range(0, len(keys), _KEYS_AT_ONCE):
        part = keys[start : start + _KEYS_AT_ONCE]
        (found,) = tx.run(_has_any_statement(len(part)), _has_any_params(list_id, part)).fetchone()
        if found:
            return True
    return False


# -- facts across a customer's orders --------------------------------------------------------------

# A business account's opening balance (期初欠款: what it owed before its orders were kept here, the
# ``outstanding`` column of its record), read by the record's unique key in the statement of ``owed``:
# none (0) for a customer without a record (a person, by mobile).
_OPENING = (
    select(customer_accounts.c.outstanding)
    .where(
        customer_accounts.c.department == bindparam("department"),
        customer_accounts.c.account_no == bindparam("account_no"),
    )
    .scalar_subquery()
)

_AGGREGATES = {
    "open_orders": func.count(),
    "open_amount": func.coalesce(func.sum(orders.c.total), ZERO),
    "owed": func.coalesce(func.sum(orders.c.due), ZERO),  # with the opening balance beside it
    "orders_in_days": func.count(),
    "returns_in_days": func.count(),
}


def _fact_statement(fact: str) -> Statement:
    mine = and_(
        orders.c.department == bindparam("department"),
        orders.c.customer_key == bindparam("key"),
        orders.c.id != bindparam("order_id"),
    )
    query = select(_AGGREGATES[fact]).where(mine)
    if fact == "owed":
        query = query.add_columns(func.coalesce(_OPENING, ZERO))
    if fact in ("open_orders", "open_amount", "owed"):
        query = query.where(orders.c.final == false())
    elif fact == "orders_in_days":
        query = query.where(orders.c.created_at >= bindparam("since"))
    else:
        query = query.where(orders.c.returned_at >= bindparam("since"))
    return Statement(f"customer_fact_{fact}", query)


# Built once: a condition that reads a fact runs its statement in every step it is judged in.
_FACTS = {fact: _fact_statement(fact) for fact in _AGGREGATES}


def _fact_params(department: str, key: str, order_id: int, since: Any) -> dict[str, Any]:
    account_no = key.removeprefix(ACCOUNT_KEY) if key.startswith(ACCOUNT_KEY) else None
    return {
        "department": department,
        "key": key,
        "account_no": account_no,
        "order_id": order_id,
        "since": since,
    }


def customer_fact_query(fact: str, department: str, key: str, order_id: int, since: Any = None) -> Any:
    """The statement of one customer fact (``engine.common.list_keys.CUSTOMER_FACTS``) over the other
    orders of the customer ``key`` in ``department``, with its values in place: read through the index
    ``(department, customer_key, created_at)``."""
    statement = _FACTS[fact].statement
    assert isinstance(statement, Select)
    return statement.params(_fact_params(department, key, order_id, since))


def customer_fact(tx: TxCore, fact: str, department: str, key: str, order_id: int, since: Any) -> float:
    """The fact, on the driver cursor of ``tx`` (``since``: the first moment counted, for the facts of
    the last N days); ``owed`` is the account's opening balance and what its other open orders owe
    (:func:`customer_owed`)."""
    if fact == "owed":
        return customer_owed(tx, department, key, order_id).total
    params = _fact_params(department, key, order_id, None if since is None else tx.ts(since))
    (found,) = tx.run(_FACTS[fact], params).fetchone()
    return _amount(found)


@dataclass(frozen=True)
class Owed:
    """What a customer owes (``owed()``): the opening balance of its account's record (期初欠款, 0 for a
    customer without one) and what its open orders still owe (each one's total less what it was paid),
    the order judged left out."""

    opening: float
    on_orders: float

    @property
    def total(self) -> float:
        return _amount(self.opening + self.on_orders)


def customer_owed(tx: TxCore, department: str, key: str, order_id: int) -> Owed:
    """What the customer ``key`` owes in ``department`` besides order ``order_id`` (0 or an id no order
    has, for the whole of it): one statement on the driver cursor of ``tx``, the orders' sum through the
    index ``(department, customer_key, created_at)`` and the account's record by its unique key."""
    on_orders, opening = tx.run(_FACTS["owed"], _fact_params(department, key, order_id, None)).fetchone()
    return Owed(_amount(opening), _amount(on_orders))


def _amount(found: Any) -> float:
    value = float(found or 0)
    return int(value) if value.is_integer() else round(value, 2)
