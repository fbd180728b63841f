"""Storing a business customer's account (客户账户) only when the orders can take it.

A record is stored only when the orders can take it (:func:`put_account`). Its own rules come first
(:func:`account_problems`): a number, a company and a department, each within its column; amounts
as the money format takes them; whole days overdue; a standing and a tier from their lists; an account
manager (客户经理, who signs the approvals of the account's orders), when given, is the login name of an
active user of the account's department, else "did you mean" the nearest of them. Then what
the department's workflows require of ``account``, read from the forms the newest published version of
each publishes: the data form's ``account`` must take the whole record as ``load_account`` writes it
(the company's length, the tax id's pattern, the number's pattern…), and each intake form's ``account``
the fields it takes from the record (the number offered in the account select). The constraints live in
those forms alone; a department none of whose published workflows holds an account has only the
record's own rules checked (``AccountStored.checked`` is empty, and ``ONLY_THE_RECORD`` says so).

It compiles published versions and validates with their forms, so it sits above the store, which keeps
the records (``engine.store.accounts``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.types import String

from engine.common.list_keys import customer_key
from engine.common.suggest import did_you_mean
from engine.common.text import Text
from engine.common.words import word
from engine.dsl.compiler import Bundle, compile_bundle
from engine.errors import EngineError, brief
from engine.forms.fields import properties, resolve
from engine.forms.formats import TOO_LARGE, is_mobile_cn, is_postcode_cn, money_problem
from engine.forms.messages import Label, message, options_text
from engine.forms.ui import FormLayout, load_layout
from engine.forms.validation import FieldError, FormValidator
from engine.runtime.results import CreditStanding
from engine.store import OrderRow, Store, Tx
from engine.store.accounts import (
    ACCOUNT_STATUSES,
    ACCOUNT_TIERS,
    CONTACT_FIELDS,
    MAX_DAYS,
    CustomerAccount,
    every_account,
    write_account,
)
from engine.store.named_lists import Owed, customer_owed
from engine.store.orders import order_due
from engine.store.tables import customer_accounts
from engine.store.users import people_of
from engine.store.versions import newest_bundles

__all__ = [
    "ONLY_THE_RECORD",
    "AccountOwing",
    "AccountProblem",
    "AccountRefused",
    "AccountStored",
    "account_problems",
    "accounts_owing",
    "put_account",
]

# The record's fields as its own rules name them (the forms name them by their own titles).
_LABELS: Mapping[str, Label] = {
    "department": Label("部门", "department"),
    "account_no": Label("客户编号", "account number"),
    "company": Label("公司名称", "company"),
    "tax_id": Label("统一社会信用代码", "unified social credit code"),
    "tier": Label("客户等级", "customer tier"),
    "credit_limit": Label("信用额度（元）", "credit limit (CNY)"),
    "outstanding": Label("期初欠款（元）", "opening balance (CNY)"),
    "overdue_days": Label("逾期天数", "days overdue"),
    "status": Label("账户状态", "account status"),
    "manager": Label("客户经理", "account manager"),
    "contact_name": Label("联系人", "contact"),
    "contact_mobile": Label("联系人手机号", "contact's mobile number"),
    "address_province": Label("省份", "province"),
    "address_city": Label("城市", "city"),
    "address_district": Label("区县", "district"),
    "address_detail": Label("详细地址", "street address"),
    "address_postcode": Label("邮政编码", "postcode"),
}
# The record's contact and address fields held in a format, and what the format wants.
_FORMATS: Mapping[str, tuple[Callable[[object], bool], str]] = {
    "contact_mobile": (is_mobile_cn, "format.mobile-cn"),
    "address_postcode": (is_postcode_cn, "format.postcode-cn"),
}

# What is checked of a record when no published workflow of its department holds an account.
ONLY_THE_RECORD = Text(
    "部门 {department} 没有已发布且含客户账户（account）的流程，因此只检查了档案本身：客户编号、"
    "公司名称与部门不为空且不超过数据表的长度，金额不小于 0、最多两位小数且小于十万亿元，逾期天数为整数，"
    "账户状态与客户等级取自其列表，客户经理（如有）是该部门的在职用户，联系人手机号与邮政编码（如有）格式正确。"
    "发布该部门的流程后，编号、公司名称与统一社会信用代码还将按流程的表单检查",
    "no published workflow of department {department} holds an account, so only the record itself was "
    "checked: the number, company and department given and within the table's lengths, amounts from 0 with "
    "at most two decimals below ten trillion yuan, whole days overdue, the status and tier from their lists, "
    "the account manager (when given) an active user of the department, the contact's mobile and the "
    "postcode (when given) in their formats. "
    "Once the department's workflows are published, the number, company and tax id are checked against "
    "their forms too",
)


@dataclass(frozen=True)
class AccountProblem:
    """One thing keeping a record from being stored: the record's field (``company``, ``tax_id``…;
    ``account`` for the record as a whole), why in zh and en, and the published forms that refuse it
    (``wholesale-order v3: forms/wholesale/order.json``; none for the record's own rules)."""

    field: str
    zh: str
    en: str
    forms: tuple[str, ...] = ()


class AccountRefused(EngineError):
    """A record the orders could not take: nothing was stored. ``problems`` name each field; ``headline``
    says which record, in zh and en."""

    def __init__(self, account: CustomerAccount, problems: Sequence[AccountProblem]) -> None:
        self.account_no = account.account_no
        self.department = account.department
        self.problems = tuple(problems)
        number, department = _shown(account.account_no), _shown(account.department)
        self.headline = Text(
            f"客户账户 {number}（部门 {department}）未保存",
            f"account {number} of department {department} was not stored",
        )
        super().__init__(
            f"{self.headline.en}: " + "; ".join(f"{p.field}: {p.en}" for p in self.problems),
            zh=f"{self.headline.zh}：" + "；".join(f"{p.field}：{p.zh}" for p in self.problems),
        )


def _shown(value: object) -> str:
    """A number or department as a message names it: as it is when short and printable, else quoted."""
    if isinstance(value, str) and value.isprintable() and 0 < len(value) <= 40 and value.strip() == value:
        return value
    return brief(value)


@dataclass(frozen=True)
class AccountStored:
    """What :func:`put_account` did: ``created`` (a new record, else new figures of the stored one) and
    the published forms the record was checked against (empty: only its own rules, ``ONLY_THE_RECORD``)."""

    created: bool
    checked: tuple[str, ...]


def account_problems(account: CustomerAccount) -> list[AccountProblem]:
    """What keeps ``account`` from being stored whatever the forms say (empty when nothing does): the
    rules of the record and of its table, each naming its field in zh and en."""
    found: list[AccountProblem] = []
    for name in ("department", "account_no", "company", "tax_id", "tier", "manager"):
        value = getattr(account, name)
        if value is None and name in ("tax_id", "tier", "manager"):
            continue
        found.extend(_text_problems(name, value))
    for name in CONTACT_FIELDS:  # each may be left out
        value = getattr(account, name)
        if value is None:
            continue
        said = _text_problems(name, value)
        check, wanted = _FORMATS.get(name, (None, ""))
        if not said and check is not None and not check(value):
            said = [_problem(name, "format", expected=word(wanted))]
        found.extend(said)
    for name in ("credit_limit", "outstanding"):
        found.extend(_amount_problems(name, getattr(account, name)))
    days = account.overdue_days
    if isinstance(days, bool) or not isinstance(days, int):
        found.append(_problem("overdue_days", "type", expected=word("type.integer")))
    elif days < 0:
        found.append(_problem("overdue_days", "minimum", limit=0))
    elif days > MAX_DAYS:
        found.append(_problem("overdue_days", "maximum", limit=MAX_DAYS))
    for name, allowed in (("status", ACCOUNT_STATUSES), ("tier", ACCOUNT_TIERS)):
        value = getattr(account, name)
        if (value is not None or name == "status") and value not in allowed:
            found.append(_problem(name, "enum", options=options_text(allowed, None)))
    return found


# The record's fields held in a column of another name.
_COLUMNS = {"manager": "account_manager"}

# What a text column cannot hold: NUL (PostgreSQL refuses it) and half of a UTF-16 surrogate pair.
_UNSTORABLE = re.compile("[\\x00\\ud800-\\udfff]")


def _problem(name: str, keyword: str, **words: Any) -> AccountProblem:
    """The catalogue's message of ``keyword`` (as forms word it) for the record's field ``name``."""
    text = message(keyword, _LABELS[name], **words)
    return AccountProblem(name, text.zh, text.en)


def _text_problems(name: str, value: object) -> list[AccountProblem]:
    if not isinstance(value, str):
        return [_problem(name, "type", expected=word("type.string"))]
    if not value.strip():
        return [_problem(name, "required")]
    bad = _UNSTORABLE.search(value)
    if bad is not None:
        label, shown = _LABELS[name], f"U+{ord(bad.group()):04X}"
        return [
            AccountProblem(
                name,
                f"{label.zh}含有无法保存的字符（{shown}）",
                f"The {label.en} holds a character that cannot be stored ({shown})",
            )
        ]
    column = customer_accounts.c[_COLUMNS.get(name, name)].type
    limit = column.length if isinstance(column, String) else None
    if limit is not None and len(value) > limit:
        return [_problem(name, "maxLength", limit=limit)]
    return []


def _amount_problems(name: str, value: object) -> list[AccountProblem]:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return [_problem(name, "type", expected=word("type.number"))]
    problem = money_problem(value)
    if problem == TOO_LARGE:
        return [_problem(name, "money_range")]
    if problem is not None:
        return [_problem(name, "format", expected=word("format.money"))]
    if value < 0:
        return [_problem(name, "minimum", limit=0)]
    return []


# -- what the department's published workflows require of ``account`` ------------------------------


@dataclass(frozen=True)
class _AccountForm:
    """A published form that holds ``account``: ``where`` (``wholesale-order v3: forms/…/order.json``),
    its validator and layout (the labels of its messages), and how much of the record it takes: all of
    it (the data form, to which ``load_account`` writes the record) or the fields its ``account``
    declares (an intake form: the number the clerk picks)."""

    where: str
    validator: FormValidator
    layout: FormLayout
    whole: bool
    declared: frozenset[str]


def _account_forms(connection: Any, department: str) -> Iterator[_AccountForm]:
    """The forms holding ``account`` of the newest published version of each workflow of ``department``:
    the data form, then the intake forms."""
    for newest in newest_bundles(connection, [department]):
        where = f"{newest.workflow} v{newest.version}"
        spec = compile_bundle(Bundle.from_json(newest.bundle), newest.version)
        for path in dict.fromkeys([spec.data_form, *spec.intake_forms.values()]):
            schema = spec.forms.get(path) if path is not None else None
            account = resolve(schema, "account") if schema is not None else None
            if path is None or schema is None or account is None:
                continue
            yield _AccountForm(
                f"{where}: {path}",
                FormValidator(schema),
                load_layout(schema, spec.layouts.get(path), file=path, checked=True),
                path == spec.data_form,
                frozenset(properties(schema, account)),
            )


def _form_problems(
    account: CustomerAccount, forms: Sequence[_AccountForm], settled: Collection[str]
) -> list[AccountProblem]:
    """What ``forms`` refuse of the record as ``load_account`` writes it, each field once (worded by the
    first form refusing it, naming every form that does); the fields in ``settled`` (refused by the
    record's own rules already) are neither sent nor reported again."""
    record = account.order_data(leave_out=settled)
    found: dict[tuple[str, str], tuple[FieldError, list[str]]] = {}
    for form in forms:
        data = record if form.whole else {k: v for k, v in record.items() if k in form.declared}
        for error in form.validator.messages({"account": data}, form.layout):
            if error.path != "$.account" and not error.path.startswith("$.account."):
                continue  # the rest of the order, which a record does not hold
            if error.keyword == "required" and not form.whole:
                continue  # a field the intake form asks of the clerk, not of the record
            field = error.field.removeprefix("account.")
            if field not in settled:
                found.setdefault((field, error.keyword), (error, []))[1].append(form.where)
    return [AccountProblem(field, e.zh, e.en, tuple(forms_)) for (field, _), (e, forms_) in found.items()]


def put_account(store: Store, account: CustomerAccount, at: datetime) -> AccountStored:
    """Store ``account`` (a new one, or the new figures of the stored one with that department and
    number) if the orders can take it: its own rules, then the forms of the department's published
    workflows that hold ``account`` (see the module's text). ``AccountRefused`` naming every problem,
    each on its field in zh and en, when they cannot; then nothing is stored."""
    problems = account_problems(account)
    with store.transaction() as tx:
        # read in the transaction that writes: the record is checked against the forms it is stored under
        forms = list(_account_forms(tx.connection, account.department)) if not _settled(problems) else []
        problems += _form_problems(account, forms, {p.field for p in problems})
        if account.manager is not None and not {p.field for p in problems} & {"department", "manager"}:
            problems += _manager_problems(tx, account.department, account.manager)
        if problems:
            raise AccountRefused(account, problems)
        created = write_account(tx.connection, account, at)
    return AccountStored(created, tuple(form.where for form in forms))


def _manager_problems(tx: Tx, department: str, manager: str) -> list[AccountProblem]:
    """The account manager must be an active user of the account's department (they sign the approvals
    of its orders): a problem naming the field, with the nearest such user's name, when they are not."""
    users = people_of(tx, department)
    if any(user.name == manager for user in users):
        return []
    label = _LABELS["manager"]
    names = [user.name for user in users]
    return [
        AccountProblem(
            "manager",
            f"{label.zh} {manager} 不是部门 {department} 的在职用户{did_you_mean(manager, names, 'zh')}",
            f"The {label.en} {manager} is not an active user of department {department}"
            f"{did_you_mean(manager, names)}",
        )
    ]


def _settled(problems: Sequence[AccountProblem]) -> bool:
    """Whether the record's own problems leave nothing to ask the forms: its department is not one."""
    return any(p.field == "department" for p in problems)


@dataclass(frozen=True)
class AccountOwing:
    """An account's record and what it owes now (``owed()`` with no order left out): its opening
    balance and what its open orders still owe."""

    account: CustomerAccount
    owed: Owed


def accounts_owing(store: Store, department: str | None = None) -> list[AccountOwing]:
    """Every account (of ``department``), by department, company and number, each with what it owes,
    read in one transaction."""
    with store.read() as tx:
        return [
            AccountOwing(account, customer_owed(tx, account.department, key, 0))
            for account in every_account(tx.connection, department)
            if (key := customer_key({"account": {"account_no": account.account_no}})) is not None
        ]


def credit_standing(tx: Tx, row: OrderRow) -> CreditStanding | None:
    """The credit of the order's account, or None for an order without one (no ``account`` with a
    ``credit_limit``: a retail order, or one whose account was not read yet)."""
    account = row.data.get("account")
    limit = account.get("credit_limit") if isinstance(account, Mapping) else None
    key = customer_key(row.data)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or key is None:
        return None
    owed = customer_owed(tx, row.department, key, row.id)
    this_order = 0.0 if row.final else order_due(row.data)
    left = round(float(limit) - owed.total - this_order, 2)
    return CreditStanding(float(limit), float(owed.total), this_order, left, float(owed.opening))
