"""Customer actions: register (登记客户) the customer an order names in the ``customers`` table, and
load a business customer's account (读取客户账户) onto a wholesale order from ``customer_accounts``.

``register`` runs when an order is placed (the retail workflow's automatic ``route``, the first step
after creation). It inserts the customer — department, mobile, name and the delivery address as
``engine.rules.correlation.address_key`` makes it — unless the department already has one with that
mobile, in one statement (``INSERT … ON CONFLICT DO NOTHING RETURNING id``, on SQLite and PostgreSQL
alike). Only when the row is new does it queue ``account_created`` (customer_mobile, address_key,
customer_id) for the outbox, which the ``accounts-at-one-address`` pattern of rules/retail/fraud.yaml
counts. A second order from the same mobile, an order routed again after a shortage, or two orders of
one new customer racing on PostgreSQL (the second waits for the first to commit, then inserts nothing)
write no second message.

The first order's address is the customer's: a later order to another address does not move it.

``load_account`` runs in the wholesale workflow's first automatic step, before the credit check. The
clerk names the account (``account.account_no``); the action replaces the order's ``account`` with the
record of that number in the order's department (``engine.store.accounts``): company, credit limit,
days overdue, standing, tier and account manager (``account.manager``, a user's login name, left out
when the record names none); not the opening balance, which ``owed()`` reads from the record when it is
needed. So the credit rules and the approval table read the
record's figures, and the approval names the record's manager, whatever was sent with the order. An
account the department does not have is refused, beside the account field, and the order is not
created.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite

from engine.plugins import ActionContext, emits, writes
from engine.rules.correlation import address_key
from engine.store import PreparedStatements
from engine.store.accounts import find_account
from engine.store.tables import customers
from plugins._common import ActionRefused, mobile_of

# The outbox topic of a customer seen for the first time in a department.
ACCOUNT_CREATED = "account_created"

_VALUES: dict[str, Any] = {
    "department": bindparam("department"),
    "mobile": bindparam("mobile"),
    "name": bindparam("name"),
    "address_key": bindparam("address_key"),
    "created_at": bindparam("created_at"),
}
_UNIQUE = ["department", "mobile"]
# One statement per dialect (each has its own ``insert`` with ``on_conflict_do_nothing``, which only its
# own compiler renders), built once and compiled once: it runs on every order placed.
_SQL = {
    "sqlite": PreparedStatements(
        {
            "register": sqlite.insert(customers)
            .values(_VALUES)
            .on_conflict_do_nothing(index_elements=_UNIQUE)
            .returning(customers.c.id)
        }
    ),
    "postgresql": PreparedStatements(
        {
            "register": postgresql.insert(customers)
            .values(_VALUES)
            .on_conflict_do_nothing(index_elements=_UNIQUE)
            .returning(customers.c.id)
        }
    ),
}


@writes()  # the order's data stays as it is: the customer is in its own table
@emits(ACCOUNT_CREATED, deliver=False)  # for the correlation feed (rules/retail/fraud.yaml) alone
def register(ctx: ActionContext) -> Mapping[str, Any] | None:
    mobile = mobile_of(ctx.data)
    if not mobile:
        return None  # nobody to register (the retail intake forms require a mobile)
    customer = ctx.data.get("customer")
    name = customer.get("name") if isinstance(customer, Mapping) else None
    key = address_key(ctx.data.get("address"))
    dialect = ctx.connection.dialect.name
    params = {
        "department": ctx.department,
        "mobile": mobile,
        "name": name if isinstance(name, str) else None,
        "address_key": key,
        "created_at": _stored_time(ctx.now, dialect),
    }
    row = _SQL[dialect].run(ctx.connection, "register", params).fetchone()
    if row is None:
        return None  # known already
    ctx.emit(
        ACCOUNT_CREATED,
        {
            "customer_id": int(row[0]),
            "customer_mobile": mobile,
            "address_key": key,
            "department": ctx.department,
            "order_id": ctx.order_id,
            "at": ctx.now.isoformat(),
        },
    )
    return None


@writes("account")
def load_account(ctx: ActionContext) -> Mapping[str, Any] | None:
    account = ctx.data.get("account")
    number = account.get("account_no") if isinstance(account, Mapping) else None
    where = {"path": "$.account.account_no", "field": "account.account_no"}
    if not isinstance(number, str) or not number.strip():
        raise ActionRefused("account", "请选择客户账户", "Choose the customer's account", **where)
    found = find_account(ctx.connection, ctx.department, number)
    if found is None:
        raise ActionRefused(
            "unknown-account",
            f"客户账户 {number} 不存在（部门 {ctx.department}）",
            f"There is no customer account {number} in department {ctx.department}",
            **where,
            account_no=number,
        )
    return {"account": found.order_data()}


def _stored_time(moment: datetime, dialect: str) -> Any:
    """``created_at`` as the driver takes it: the statement runs beneath SQLAlchemy's type handling, so
    SQLite gets the text form SQLAlchemy stores (UTC, no offset) and PostgreSQL the aware time."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else utc
