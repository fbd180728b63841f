"""Business customers' accounts: stored, changed, read back by department and number; refused, with a
message per field in zh and en and nothing stored, when the orders could not take the record: by its own
rules, and by what the forms of the department's published workflows require of ``account``."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.plugins import PluginRegistry
from engine.runtime import Engine
from engine.runtime.accounts import AccountRefused, AccountStored, accounts_owing, put_account
from engine.store import Store
from engine.store.accounts import CustomerAccount, find_account, list_accounts
from engine.store.named_lists import Owed
from tests.engine.store import support
from tests.engine.store.test_named_lists import place

REPO = Path(__file__).resolve().parents[3]
REGISTRY = PluginRegistry.from_entry_points()
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACCOUNT = CustomerAccount("wholesale", "W100231", "上海鑫达商贸有限公司", 500000, 80000.5, tier="gold")
WHOLESALE_FORMS = (
    "wholesale-order v1: forms/wholesale/order.json",
    "wholesale-order v1: forms/wholesale/intake-phone.json",
    "wholesale-order v1: forms/wholesale/intake-email.json",
)


def publish_wholesale(store: Store) -> Engine:
    engine = Engine(store, REGISTRY, FrozenClock(AT))
    engine.publish(
        load_bundle(REPO / "workflows/wholesale/order.yaml", REPO, action_names=REGISTRY.action_names)
    )
    return engine


def test_each_account_is_listed_with_what_it_owes_its_opening_balance_and_its_open_orders(
    store: Store,
) -> None:
    put_account(store, ACCOUNT, AT)
    put_account(store, CustomerAccount("wholesale", "W100872", "成都蜀丰贸易有限公司", 180000, 0), AT)
    put_account(store, CustomerAccount("retail", "W100231", "零售部的同名账户", 1, 7), AT)
    with store.transaction() as tx:
        for total, final, paid in ((20000, False, 5000), (3000, True, 0), (1000.25, False, 0)):
            place(tx, total, final=final, paid_amount=paid)
    listed = {(o.account.department, o.account.account_no): o.owed for o in accounts_owing(store)}
    assert listed == {
        # 80000.5 opening, 15000 and 1000.25 still owed on its open orders (the final one not counted)
        ("wholesale", "W100231"): Owed(opening=80000.5, on_orders=16000.25),
        ("wholesale", "W100872"): Owed(opening=0, on_orders=0),
        ("retail", "W100231"): Owed(opening=7, on_orders=0),  # the wholesale orders are not its
    }
    assert listed["wholesale", "W100231"].total == 96000.75
    assert [o.account.account_no for o in accounts_owing(store, "retail")] == ["W100231"]


def refused(store: Store, account: CustomerAccount) -> AccountRefused:
    with pytest.raises(AccountRefused) as caught:
        put_account(store, account, AT)
    return caught.value


def test_an_account_is_stored_once_per_department_and_number_and_its_figures_change(store: Store) -> None:
    assert put_account(store, ACCOUNT, AT) == AccountStored(created=True, checked=())
    assert put_account(store, CustomerAccount("retail", "W100231", "零售部的同名账户", 1, 0), AT).created
    changed = CustomerAccount("wholesale", "W100231", "上海鑫达商贸有限公司", 600000, 0, 45, "watch")
    assert put_account(store, changed, AT + timedelta(days=1)) == AccountStored(created=False, checked=())
    assert list_accounts(store, "wholesale") == [changed]
    assert [a.department for a in list_accounts(store)] == ["retail", "wholesale"]
    with store.read() as tx:
        assert find_account(tx.connection, "wholesale", "W100231") == changed
        assert find_account(tx.connection, "wholesale", "W999999") is None
    assert changed.order_data() == {
        "company": "上海鑫达商贸有限公司",
        "account_no": "W100231",
        "credit_limit": 600000,
        "overdue_days": 45,
        "status": "watch",
    }
    # the balance typed on the record is not the order's: what the account owes is counted from its orders
    assert "outstanding" not in ACCOUNT.order_data() and ACCOUNT.order_data()["tier"] == "gold"


@pytest.mark.parametrize(
    ("changes", "field", "zh", "en"),
    [
        ({"company": " "}, "company", "请填写公司名称", "Company: enter a value"),
        ({"account_no": ""}, "account_no", "请填写客户编号", "Account number: enter a value"),
        (
            {"credit_limit": -1},
            "credit_limit",
            "信用额度（元）不能小于0",
            "Credit limit (CNY): at least 0",
        ),
        (
            {"outstanding": 0.001},
            "outstanding",
            "期初欠款（元）格式不正确：应为金额，最多两位小数",
            "Opening balance (CNY): enter an amount with at most two decimals",
        ),
        (
            {"credit_limit": 10**13},
            "credit_limit",
            "信用额度（元）超出范围：金额须小于 10,000,000,000,000 元（十万亿元）",
            "Credit limit (CNY): out of range; an amount must be below 10,000,000,000,000 (ten trillion) CNY",
        ),
        (
            {"outstanding": float("nan")},
            "outstanding",
            "期初欠款（元）应为数字",
            "Opening balance (CNY): must be a number",
        ),
        (
            {"credit_limit": True},
            "credit_limit",
            "信用额度（元）应为数字",
            "Credit limit (CNY): must be a number",
        ),
        ({"overdue_days": -3}, "overdue_days", "逾期天数不能小于0", "Days overdue: at least 0"),
        (
            {"overdue_days": 2**31},  # beyond the INTEGER column
            "overdue_days",
            "逾期天数不能大于2147483647",
            "Days overdue: at most 2147483647",
        ),
        (
            {"status": "frozen"},
            "status",
            "账户状态只能选择：active、watch、blocked",
            "Account status: choose one of active, watch, blocked",
        ),
        (
            {"tier": "diamond"},
            "tier",
            "客户等级只能选择：standard、silver、gold、platinum",
            "Customer tier: choose one of standard, silver, gold, platinum",
        ),
        (
            {"company": "鑫" * 201},  # beyond the column: PostgreSQL would refuse it mid-write
            "company",
            "公司名称最多200个字符",
            "Company: at most 200 characters",
        ),
        (
            {"tax_id": "9131\x000000"},  # PostgreSQL text holds no NUL
            "tax_id",
            "统一社会信用代码含有无法保存的字符（U+0000）",
            "The unified social credit code holds a character that cannot be stored (U+0000)",
        ),
        (
            {"company": "鑫达\ud800"},
            "company",
            "公司名称含有无法保存的字符（U+D800）",
            "The company holds a character that cannot be stored (U+D800)",
        ),
    ],
)
def test_a_record_its_own_rules_refuse_is_refused_on_its_field_and_nothing_stored(
    store: Store, changes: dict[str, object], field: str, zh: str, en: str
) -> None:
    fields = {**ACCOUNT.__dict__, **changes}
    error = refused(store, CustomerAccount(**fields))  # type: ignore[arg-type]
    assert [(p.field, p.zh, p.en, p.forms) for p in error.problems] == [(field, zh, en, ())]
    assert str(error).endswith(f" of department wholesale was not stored: {field}: {en}")
    assert error.message("zh").endswith(f"（部门 wholesale）未保存：{field}：{zh}")
    assert list_accounts(store) == []


def test_every_problem_of_a_record_is_named_at_once(store: Store) -> None:
    bad = CustomerAccount("wholesale", "W100231", "", -1, 0.001, -1, "frozen", tier="diamond")
    fields = [p.field for p in refused(store, bad).problems]
    assert fields == ["company", "credit_limit", "outstanding", "overdue_days", "status", "tier"]


@pytest.mark.parametrize(
    ("changes", "field", "zh", "en", "forms"),
    [
        (
            {"company": "A"},
            "company",
            "客户账户公司名称至少需要2个字符",
            "Account's company: at least 2 characters",
            WHOLESALE_FORMS[:1],
        ),
        (
            {"company": "上" * 101},
            "company",
            "客户账户公司名称最多100个字符",
            "Account's company: at most 100 characters",
            WHOLESALE_FORMS[:1],
        ),
        (
            {"tax_id": "not-a-code"},
            "tax_id",
            "客户账户统一社会信用代码格式不正确："
            "应为18位数字与大写字母（不含 I、O、S、V、Z），如 91310000MA1FL0000X",
            "Account's unified social credit code: enter 18 digits and capital letters "
            "(no I, O, S, V or Z), like 91310000MA1FL0000X",
            WHOLESALE_FORMS[:1],
        ),
        (
            # offered in the account select, and refused by every intake form's pattern whenever picked
            {"account_no": "ACME-1"},
            "account_no",
            "客户编号格式不正确：应为字母W加6位数字，如 W100231",
            "Account number: enter the letter W and 6 digits, like W100231",
            WHOLESALE_FORMS,
        ),
    ],
)
def test_a_record_the_published_forms_refuse_is_refused_on_its_field_naming_the_forms(
    store: Store, changes: dict[str, object], field: str, zh: str, en: str, forms: tuple[str, ...]
) -> None:
    publish_wholesale(store)
    fields = {**ACCOUNT.__dict__, **changes}
    account = CustomerAccount(**fields)  # type: ignore[arg-type]
    error = refused(store, account)
    assert [(p.field, p.zh, p.en, p.forms) for p in error.problems] == [(field, zh, en, forms)]
    assert list_accounts(store) == []
    # the same record was stored before the department published a workflow holding an account
    assert put_account(store, CustomerAccount(**{**fields, "department": "retail"}), AT).checked == ()  # type: ignore[arg-type]


def test_the_reviewed_records_are_refused_together_and_a_fitting_one_is_checked_against_every_form(
    store: Store,
) -> None:
    publish_wholesale(store)
    error = refused(store, CustomerAccount("wholesale", "ACME-1", "A", 500000, 0, tax_id="not-a-code"))
    assert [p.field for p in error.problems] == ["company", "account_no", "tax_id"]
    assert str(error).startswith(
        "account ACME-1 of department wholesale was not stored: company: Account's company"
    )
    assert error.message("zh").startswith(
        "客户账户 ACME-1（部门 wholesale）未保存：company：客户账户公司名称"
    )
    fitting = CustomerAccount(
        "wholesale", "W100999", "鑫达", 1, 0, 0, "watch", "91310000MA1FL0000X", "silver"
    )
    assert put_account(store, fitting, AT) == AccountStored(created=True, checked=WHOLESALE_FORMS)
    assert list_accounts(store) == [fitting]


def test_own_problems_are_not_repeated_by_the_forms(store: Store) -> None:
    publish_wholesale(store)
    error = refused(store, CustomerAccount("wholesale", "W100231", " ", 1, 0, tax_id="bad"))
    assert [(p.field, p.forms) for p in error.problems] == [("company", ()), ("tax_id", WHOLESALE_FORMS[:1])]


def test_the_newest_published_version_is_what_a_record_is_checked_against(
    store: Store, tmp_path: Path
) -> None:
    engine = publish_wholesale(store)
    root = tmp_path / "defs"
    for folder in ("workflows", "forms", "rules"):
        shutil.copytree(REPO / folder, root / folder)
    for path in (root / "forms" / "wholesale").glob("*.json"):  # v2 numbers its accounts ACME-1, ACME-2…
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace('"^W\\\\d{6}$"', '"^[A-Z]+-\\\\d+$"'), encoding="utf-8")
    bundle = load_bundle(root / "workflows/wholesale/order.yaml", root, action_names=REGISTRY.action_names)
    assert engine.publish(bundle).version == 2
    stored = put_account(store, CustomerAccount("wholesale", "ACME-1", "ACME Ltd", 1, 0), AT)
    assert stored.checked[0] == "wholesale-order v2: forms/wholesale/order.json"
    assert refused(store, ACCOUNT).problems[0].field == "account_no"  # W100231 is not what v2 takes


def add_people(store: Store) -> None:
    """sun.li manages wholesale accounts; the others are what a manager cannot be but the admin."""
    people = [
        ("sun.li", ["wholesale"], True),
        ("li.na", ["retail"], True),  # another department's
        ("qian.bo", ["wholesale"], False),  # no longer active
        ("admin", ["*"], True),  # works in every department
    ]
    support.add_people(store, people, ["approver"], AT)


def test_the_account_manager_is_stored_when_an_active_user_of_the_department(store: Store) -> None:
    publish_wholesale(store)
    add_people(store)
    managed = replace(ACCOUNT, manager="sun.li")
    assert put_account(store, managed, AT).checked == WHOLESALE_FORMS
    assert list_accounts(store) == [managed]
    assert put_account(store, replace(ACCOUNT, manager="admin"), AT).created is False
    assert put_account(store, ACCOUNT, AT).created is False  # no manager any more
    assert list_accounts(store)[0].manager is None


@pytest.mark.parametrize(
    ("manager", "zh", "en"),
    [
        (
            "sun.lee",
            "客户经理 sun.lee 不是部门 wholesale 的在职用户；您是否想输入 'sun.li'？",
            "The account manager sun.lee is not an active user of department wholesale; "
            "did you mean 'sun.li'?",
        ),
        (
            "li.na",
            "客户经理 li.na 不是部门 wholesale 的在职用户",
            "The account manager li.na is not an active user of department wholesale",
        ),
        (
            "qian.bo",
            "客户经理 qian.bo 不是部门 wholesale 的在职用户",
            "The account manager qian.bo is not an active user of department wholesale",
        ),
        (" ", "请填写客户经理", "Account manager: enter a value"),
        ("s" * 201, "客户经理最多200个字符", "Account manager: at most 200 characters"),
    ],
)
def test_an_account_manager_who_cannot_sign_its_orders_is_refused_on_the_field(
    store: Store, manager: str, zh: str, en: str
) -> None:
    publish_wholesale(store)
    add_people(store)
    error = refused(store, replace(ACCOUNT, manager=manager))
    assert [(p.field, p.zh, p.en) for p in error.problems] == [("manager", zh, en)]
    assert list_accounts(store) == []


def test_the_account_manager_is_checked_with_the_record_before_any_workflow_is_published(
    store: Store,
) -> None:
    add_people(store)
    error = refused(store, replace(ACCOUNT, manager="sun.lee", company=""))
    assert [p.field for p in error.problems] == ["company", "manager"]
    assert put_account(store, replace(ACCOUNT, manager="sun.li"), AT) == AccountStored(True, ())


def test_an_accounts_contact_and_address_are_kept_and_a_wrong_one_refused_on_its_field(store: Store) -> None:
    """What the wholesale intake's account picker fills in: kept with the record and read back, each
    part optional; a mobile or postcode not in its format refused, naming the field, nothing stored."""
    held = replace(
        ACCOUNT, contact_name="陈静", contact_mobile="13912345678", address_province="广东省",
        address_detail="体育西路191号B座", address_postcode="510620",
    )  # fmt: skip
    wrong = replace(held, contact_mobile="1391234", address_postcode="51062X")
    error = refused(store, wrong)
    assert [(p.field, p.zh, p.en) for p in error.problems] == [
        (
            "contact_mobile",
            "联系人手机号格式不正确：应为11位手机号",
            "Contact's mobile number: enter an 11-digit mobile number starting with 1",
        ),
        ("address_postcode", "邮政编码格式不正确：应为6位邮政编码", "Postcode: enter a 6-digit postcode"),
    ]
    assert list_accounts(store) == []
    put_account(store, held, AT)
    [kept] = list_accounts(store, "wholesale")
    assert kept == held
    assert kept.fills() == {
        "contact.name": "陈静",
        "contact.mobile": "13912345678",
        "address.province": "广东省",
        "address.detail": "体育西路191号B座",
        "address.postcode": "510620",
    }
    assert ACCOUNT.fills() == {}  # a record holding none fills nothing
