"""Business customers' accounts (客户账户): rows of the ``customer_accounts`` table, read and written with
SQLAlchemy Core.

A wholesale order names its account by number; the company, the credit limit, the opening balance
(期初欠款: what the customer owed before its orders were kept here, the ``outstanding`` column), the days
overdue, the standing, the tier and the account manager (客户经理, a user's login name) are the
record's (``CustomerAccount.order_data``, where the manager is ``manager``), which the
``customers.load_account`` action copies onto the order when it is placed, so the credit check never
reads a figure the page sent and the approval names the manager the record names. ``orderloom accounts
set`` keeps the records (and the demo loads its own).

What a record must be to be stored (its own rules, and what the department's published forms require of
``account``) is checked above the store, by ``engine.runtime.accounts.put_account``, which then writes it
here (:func:`write_account`) in the transaction it read the forms in.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, insert, select, update

from engine.store.store import Store
from engine.store.tables import customer_accounts

__all__ = [
    "ACCOUNT_STATUSES",
    "ACCOUNT_TIERS",
    "CONTACT_FIELDS",
    "MAX_DAYS",
    "AccountStatus",
    "AccountTier",
    "CustomerAccount",
    "accounts_of",
    "every_account",
    "find_account",
    "list_accounts",
    "write_account",
]


class AccountStatus(StrEnum):
    """An account's standing, as the wholesale credit rules read it (rules/wholesale/credit.yaml) and the
    wholesale data form lists it: the very strings the ``status`` column holds."""

    ACTIVE = "active"
    WATCH = "watch"
    BLOCKED = "blocked"


class AccountTier(StrEnum):
    """An account's tier, as the approval table reads it (rules/wholesale/approval.yaml) and the wholesale
    data form lists it."""

    STANDARD = "standard"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


# The record's contact and address, by the wholesale order's field each fills (its data and intake forms).
CONTACT_FIELDS: dict[str, str] = {
    "contact_name": "contact.name",
    "contact_mobile": "contact.mobile",
    "address_province": "address.province",
    "address_city": "address.city",
    "address_district": "address.district",
    "address_detail": "address.detail",
    "address_postcode": "address.postcode",
}
ACCOUNT_STATUSES: tuple[AccountStatus, ...] = tuple(AccountStatus)
ACCOUNT_TIERS: tuple[AccountTier, ...] = tuple(AccountTier)
MAX_DAYS = 2**31 - 1  # the overdue_days column is an INTEGER


@dataclass(frozen=True)
class CustomerAccount:
    department: str
    account_no: str
    company: str
    credit_limit: float
    outstanding: float  # the opening balance (期初欠款), lowered by finance as it is paid
    overdue_days: int = 0
    status: str = AccountStatus.ACTIVE  # a record not yet checked may hold any text
    tax_id: str | None = None
    tier: str | None = None
    manager: str | None = None  # the account manager (客户经理): a user's login name
    # its contact and delivery address: what the wholesale intake's account picker fills in (each may be
    # left out; an order takes what its page sent, the clerk free to change it)
    contact_name: str | None = None
    contact_mobile: str | None = None
    address_province: str | None = None
    address_city: str | None = None
    address_district: str | None = None
    address_detail: str | None = None
    address_postcode: str | None = None

    def fills(self) -> dict[str, str]:
        """What the record holds of an order's contact and address, by the intake form's field path
        (``contact.name``, ``address.province``): nothing for what it lacks."""
        return {
            path: value
            for name, path in CONTACT_FIELDS.items()
            if isinstance(value := getattr(self, name), str) and value
        }

    def order_data(self, leave_out: Collection[str] = ()) -> dict[str, Any]:
        """The order's ``account`` as the wholesale data form holds it (no key for what the record lacks,
        nor for the fields named in ``leave_out``)."""
        data: dict[str, Any] = {}
        for name in _ORDER_FIELDS:
            value = getattr(self, name)
            if name in leave_out or (name in _OPTIONAL and not value):
                continue
            data[name] = _yuan(value) if name in _AMOUNTS else value
        return data


# Not ``outstanding``, the opening balance: no copy of it on an order goes stale as finance lowers it;
# what the account owes is read when it is needed, the record's opening balance and its open orders
# (``owed()``: engine.store.named_lists.customer_owed; engine.runtime.accounts.credit_standing).
_ORDER_FIELDS = (
    "company",
    "account_no",
    "credit_limit",
    "overdue_days",
    "status",
    "tax_id",
    "tier",
    "manager",
)
_OPTIONAL = frozenset({"tax_id", "tier", "manager"})
_AMOUNTS = frozenset({"credit_limit"})


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
        manager=m["account_manager"],
        **{name: m[name] for name in CONTACT_FIELDS},
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
    with store.read() as tx:
        return every_account(tx.connection, department)


def every_account(connection: Any, department: str | None = None) -> list[CustomerAccount]:
    """Every account (of ``department``), by department, company and number, read through
    ``connection``."""
    query = select(customer_accounts).order_by(
        customer_accounts.c.department, customer_accounts.c.company, customer_accounts.c.account_no
    )
    if department is not None:
        query = query.where(customer_accounts.c.department == department)
    return [_account(row) for row in connection.execute(query)]


def write_account(connection: Any, account: CustomerAccount, at: datetime) -> bool:
    """Store ``account`` through ``connection`` (a write transaction): a new record, or the new figures of
    the stored one with that department and number. True when it was new. Nothing is checked here: a
    record is checked first (``engine.runtime.accounts.put_account``)."""
    values = {
        "company": account.company,
        "tax_id": account.tax_id,
        "tier": account.tier,
        "credit_limit": account.credit_limit,
        "outstanding": account.outstanding,
        "overdue_days": account.overdue_days,
        "status": account.status,
        "account_manager": account.manager,
        **{name: getattr(account, name) for name in CONTACT_FIELDS},
        "updated_at": at,
    }
    table = customer_accounts
    changed = connection.execute(
        update(table)
        .where(table.c.department == account.department, table.c.account_no == account.account_no)
        .values(values)
    )
    if changed.rowcount:
        return False
    connection.execute(
        insert(table).values(department=account.department, account_no=account.account_no, **values)
    )
    return True
