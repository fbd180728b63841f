"""Business customers' accounts (客户账户): rows of the ``customer_accounts`` table, read and written with
SQLAlchemy Core.

A wholesale order names its account by number; the company, the credit limit, the balance outstanding,
the days overdue, the standing and the tier are the record's (``CustomerAccount.order_data``), which the
``customers.load_account`` action copies onto the order when it is placed, so the credit check never
reads a figure the page sent. ``orderloom accounts set`` keeps the records (and the demo loads its own).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update

from engine.store.store import Store
from engine.store.tables import customer_accounts

__all__ = [
    "ACCOUNT_STATUSES",
    "ACCOUNT_TIERS",
    "CustomerAccount",
    "accounts_of",
    "find_account",
    "list_accounts",
    "put_account",
]

# The standings the wholesale credit rules read (rules/wholesale/credit.yaml) and the tiers of the
# approval table (rules/wholesale/approval.yaml), as the wholesale data form lists them.
ACCOUNT_STATUSES = ("active", "watch", "blocked")
ACCOUNT_TIERS = ("standard", "silver", "gold", "platinum")
MAX_AMOUNT = 10**13  # below ten trillion yuan, as the money format takes


@dataclass(frozen=True)
class CustomerAccount:
    department: str
    account_no: str
    company: str
    credit_limit: float
    outstanding: float
    overdue_days: int = 0
    status: str = "active"
    tax_id: str | None = None
    tier: str | None = None

    def problems(self) -> list[str]:
        """What keeps this record from being stored (empty when nothing does), in English."""
        found = []
        for name in ("department", "account_no", "company"):
            if not str(getattr(self, name)).strip():
                found.append(f"{name} is empty")
        for name in ("credit_limit", "outstanding"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                found.append(f"{name} is not a number")
            elif not 0 <= value < MAX_AMOUNT or round(value, 2) != value:
                found.append(f"{name} must be an amount from 0, with at most two decimals")
        if (
            isinstance(self.overdue_days, bool)
            or not isinstance(self.overdue_days, int)
            or self.overdue_days < 0
        ):
            found.append("overdue_days must be a whole number from 0")
        if self.status not in ACCOUNT_STATUSES:
            found.append(f"status must be one of {', '.join(ACCOUNT_STATUSES)}")
        if self.tier is not None and self.tier not in ACCOUNT_TIERS:
            found.append(f"tier must be one of {', '.join(ACCOUNT_TIERS)}")
        return found

    def order_data(self) -> dict[str, Any]:
        """The order's ``account`` as the wholesale data form holds it (no key for what the record lacks)."""
        data: dict[str, Any] = {
            "company": self.company,
            "account_no": self.account_no,
            "credit_limit": _yuan(self.credit_limit),
            "outstanding": _yuan(self.outstanding),
            "overdue_days": self.overdue_days,
            "status": self.status,
        }
        if self.tax_id:
            data["tax_id"] = self.tax_id
        if self.tier:
            data["tier"] = self.tier
        return data


def _yuan(value: float) -> int | float:
    """Whole yuan as an int, the rest with two decimals: as the orders' data writes money."""
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded


def _account(found: Row[tuple[object, ...]]) -> CustomerAccount:
    m = found._mapping
    return CustomerAccount(
        department=str(m["department"]),
        account_no=str(m["account_no"]),
        company=str(m["company"]),
        credit_limit=float(m["credit_limit"]),
        outstanding=float(m["outstanding"]),
        overdue_days=int(m["overdue_days"]),
        status=str(m["status"]),
        tax_id=m["tax_id"],
        tier=m["tier"],
    )


def find_account(connection: Any, department: str, account_no: str) -> CustomerAccount | None:
    """The account ``account_no`` of ``department`` read through ``connection`` (an action reads it in
    the transaction of the step that runs it), or None when there is none."""
    found = connection.execute(
        select(customer_accounts).where(
            customer_accounts.c.department == department, customer_accounts.c.account_no == account_no
        )
    ).first()
    return None if found is None else _account(found)


def accounts_of(connection: Any, department: str) -> list[CustomerAccount]:
    """The accounts of ``department``, by company and number."""
    rows = connection.execute(
        select(customer_accounts)
        .where(customer_accounts.c.department == department)
        .order_by(customer_accounts.c.company, customer_accounts.c.account_no)
    )
    return [_account(row) for row in rows]


def list_accounts(store: Store, department: str | None = None) -> list[CustomerAccount]:
    """Every account (of ``department``), by department, company and number."""
    query = select(customer_accounts).order_by(
        customer_accounts.c.department, customer_accounts.c.company, customer_accounts.c.account_no
    )
    if department is not None:
        query = query.where(customer_accounts.c.department == department)
    with store.read() as tx:
        return [_account(row) for row in tx.connection.execute(query)]


def put_account(store: Store, account: CustomerAccount, at: datetime) -> bool:
    """Store ``account`` (a new one, or the new figures of the stored one with that department and
    number); True when it is new. ``ValueError`` naming every problem when it cannot be stored."""
    problems = account.problems()
    if problems:
        raise ValueError("; ".join(problems))
    values = {
        "company": account.company,
        "tax_id": account.tax_id,
        "tier": account.tier,
        "credit_limit": account.credit_limit,
        "outstanding": account.outstanding,
        "overdue_days": account.overdue_days,
        "status": account.status,
        "updated_at": at,
    }
    table = customer_accounts
    with store.transaction() as tx:
        changed = tx.connection.execute(
            update(table)
            .where(table.c.department == account.department, table.c.account_no == account.account_no)
            .values(values)
        )
        if changed.rowcount:
            return False
        tx.connection.execute(
            insert(table).values(department=account.department, account_no=account.account_no, **values)
        )
    return True
