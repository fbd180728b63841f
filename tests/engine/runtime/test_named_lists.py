"""Managed lists kept by admins (engine/runtime/named_lists.py), read by a step's conditions in its own
transaction, and the facts across a customer's orders as the shipped wholesale credit check reads them:
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, select

from engine.clock import FrozenClock
from engine.common.text import Text
from engine.dsl.compiler import discover, load_bundle
from engine.errors import DefinitionError, TransitionRejected
from engine.plugins import PluginRegistry
from engine.runtime import Actor, CreditStanding, Engine
from engine.runtime.accounts import put_account
from engine.runtime.catalogue import put_product
from engine.runtime.named_lists import ListRefused, NamedLists
from engine.store import Store
from engine.store.accounts import CustomerAccount
from engine.store.tables import named_list_changes, named_lists, stock, users

ROOT = Path(__file__).resolve().parents[3]
AT = datetime(2026, 3, 1, tzinfo=UTC)
REGISTRY = PluginRegistry.from_entry_points()
CLERK = Actor("li.na", frozenset({"clerk", "service"}), frozenset({"retail"}))
SALES = Actor("chen.jing", frozenset({"sales"}), frozenset({"wholesale"}))
APPROVER = Actor("sun.li", frozenset({"approver"}), frozenset({"wholesale"}))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


def opening_balance(yuan: float) -> CustomerAccount:
    """The account W100231, a 60,000 credit limit, owing ``yuan`` from before its orders were kept."""
    return CustomerAccount("wholesale", "W100231", "上海鑫达商贸有限公司", 60000, yuan)


@pytest.fixture
def lists(store: Store, clock: FrozenClock) -> NamedLists:
    return NamedLists(store, clock)


@pytest.fixture
def engine(store: Store, clock: FrozenClock) -> Iterator[Engine]:
    with store.transaction() as tx:
        tx.connection.execute(
            insert(stock),
            [
                {"sku": "XM-BAND8", "warehouse": "SH-01", "on_hand": 500, "reserved": 0},
                {"sku": "YL-MILK24", "warehouse": "GZ-01", "on_hand": 1000, "reserved": 0},
                {"sku": "HR-BCD470", "warehouse": "SH-01", "on_hand": 40, "reserved": 0},
            ],
        )
    put_account(store, opening_balance(0), datetime(2026, 3, 1, tzinfo=UTC))
    engine = Engine(store, REGISTRY, clock)
    for name in ("retail-order", "wholesale-order"):
        engine.publish(load_bundle(discover(ROOT)[name], ROOT, action_names=REGISTRY.action_names))
    yield engine


# -- keeping lists ---------------------------------------------------------------------------------


def test_a_list_is_created_filled_and_emptied_with_every_change_recorded(lists: NamedLists) -> None:
    lists.create("retail", "vip-customers", "customer", "贵宾客户", "VIP customers", "admin")
    lists.add("retail", "vip-customers", "w100231", "li.na", note="年框客户")
    with pytest.raises(ListRefused) as twice:  # the same customer under another spelling
        lists.add("retail", "vip-customers", " W100231 ", "li.na")
    assert twice.value.problems[0].field == "value"
    assert "already in the list (as 'w100231')" in str(twice.value)
    assert "已在名单中" in twice.value.message("zh")
    shown = lists.show("retail", "vip-customers", search="W1002")
    assert [(e.value, e.key, e.note, e.added_by) for e in shown.entries] == [
        ("w100231", "W100231", "年框客户", "li.na")
    ]
    assert lists.show("retail", "vip-customers", search="W9").entries == []
    removed = lists.remove("retail", "vip-customers", "W100231", "wang.qiang")
    assert removed.value == "w100231"
    with pytest.raises(ListRefused, match="is not in the list"):
        lists.remove("retail", "vip-customers", "W100231", "wang.qiang")
    changes = lists.show("retail", "vip-customers").changes
    assert [(c.action, c.actor) for c in changes] == [
        ("remove", "wang.qiang"),
        ("add", "li.na"),
        ("create", "admin"),
    ]


def test_a_bad_list_is_refused_with_every_problem_and_nothing_made(lists: NamedLists) -> None:
    with pytest.raises(ListRefused) as refused:
        lists.create("retail", "Blocked Mobiles", "phone", "", "x" * 300, "admin")
    assert [p.field for p in refused.value.problems] == ["name", "kind", "label_zh", "label_en"]
    assert "did you mean" not in str(refused.value) or "phone" in str(refused.value)
    assert lists.lists("retail") == []
    lists.create("retail", "blocked-mobiles", "mobile", "黑名单手机号", "Blocked mobiles", "admin")
    with pytest.raises(ListRefused, match="already has a list 'blocked-mobiles'"):
        lists.create("retail", "blocked-mobiles", "mobile", "黑名单手机号", "Blocked mobiles", "admin")
    with pytest.raises(ListRefused, match="has no list 'blocked-mobile'; did you mean 'blocked-mobiles'"):
        lists.add("retail", "blocked-mobile", "13800000000", "admin")
    with pytest.raises(ListRefused, match="not an 11-digit mobile"):
        lists.add("retail", "blocked-mobiles", "12345", "admin")


def test_an_import_reports_each_bad_line_by_its_number_and_adds_nothing(lists: NamedLists) -> None:
    lists.create("retail", "blocked-addresses", "address", "黑名单地址", "Blocked addresses", "admin")
    lists.add("retail", "blocked-addresses", "上海市浦东新区世纪大道1号", "admin")
    text = (
        "value,note\n"
        "广东省深圳市 南山区科技园1号,多次拒收\n"
        "# a comment\n"
        "\n"
        "广东深圳南山区科技园1号\n"  # line 5: line 2 again, written another way
        "上海 浦东新区 世纪大道1号\n"  # line 6: in the list already
        "a,b,c\n"  # line 7: three columns
        "   ,note\n"  # line 8: empty once normalised
    )
    with pytest.raises(ListRefused) as refused:
        lists.import_text("retail", "blocked-addresses", text, "admin")
    lines = [(p.line, p.field) for p in refused.value.problems]
    assert lines == [(5, "value"), (6, "value"), (7, "file"), (8, "value")]
    assert "line 5: '广东深圳南山区科技园1号' is the same value as line 2" in str(refused.value)
    assert "第 5 行" in refused.value.message("zh")
    assert len(lists.show("retail", "blocked-addresses").entries) == 1  # nothing of the file
    added = lists.import_text(
        "retail", "blocked-addresses", "value,note\n广东省深圳市 南山区科技园1号,多次拒收\n", "admin"
    )
    assert [(e.value, e.note) for e in added] == [("广东省深圳市 南山区科技园1号", "多次拒收")]


def test_a_sku_list_takes_skus_and_those_of_the_catalogue_unless_forced(
    store: Store, lists: NamedLists
) -> None:
    lists.create("retail", "restricted-skus", "sku", "限售商品", "Restricted SKUs", "admin")
    lists.add("retail", "restricted-skus", "nope-9", "admin")  # no catalogue kept: any SKU
    with pytest.raises(ListRefused) as bad:
        lists.add("retail", "restricted-skus", "bad sku!", "admin")
    assert "'bad sku!' is not a SKU: a SKU is 2 to 40 capital letters" in str(bad.value)
    assert "不是商品编码" in bad.value.message("zh")
    put_product(
        store, {"sku": "TEA-01", "name_zh": "龙井茶", "name_en": "Longjing tea", "price": "88"}, AT, "admin"
    )
    with pytest.raises(ListRefused) as unknown:
        lists.add("retail", "restricted-skus", "NOPE-8", "admin")
    assert "the product catalogue has no product NOPE-8: add it to the catalogue first" in str(unknown.value)
    assert "商品目录中没有商品 NOPE-8" in unknown.value.message("zh")
    assert lists.add("retail", "restricted-skus", "tea-01", "admin").key == "TEA-01"
    assert lists.add("retail", "restricted-skus", "NOPE-8", "admin", force=True).key == "NOPE-8"
    with pytest.raises(ListRefused) as imported:
        lists.import_text("retail", "restricted-skus", "value\nNOPE-7\n", "admin")
    assert [(p.line, p.field) for p in imported.value.problems] == [(2, "value")]
    assert [
        e.key for e in lists.import_text("retail", "restricted-skus", "NOPE-7\n", "admin", force=True)
    ] == ["NOPE-7"]


def test_a_value_with_nothing_to_match_is_said_plainly_and_a_search_for_it_finds_nothing(
    lists: NamedLists,
) -> None:
    lists.create("retail", "blocked-mobiles", "mobile", "黑名单手机号", "Blocked mobiles", "admin")
    lists.add("retail", "blocked-mobiles", "13800000000", "admin")
    with pytest.raises(ListRefused) as refused:
        lists.add("retail", "blocked-mobiles", "abc", "admin")
    assert (
        str(refused.value)
        == "'abc' is not a mobile: once spaces and punctuation are set aside nothing is left to match"
    )
    assert "normalised" not in str(refused.value)
    assert lists.show("retail", "blocked-mobiles", search="abc").entries == []  # not the whole list
    assert len(lists.show("retail", "blocked-mobiles").entries) == 1


# -- lists and facts in a step ----------------------------------------------------------------------


def retail_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customer": {"name": "张伟", "mobile": "13812345678"},
        "address": {
            "province": "上海市",
            "city": "上海市",
            "district": "浦东新区",
            "detail": "世纪大道1198号3栋",
        },
        "lines": [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 2, "unit_price": 239, "amount": 478}],
        "shipping_fee": 0,
        "discount": 0,
        "total": 478,
    }
    data.update(changes)
    return data


def pay(engine: Engine, order_id: int) -> str:
    payment = {"method": "alipay", "amount": 478, "transaction_ref": "2026000001"}
    return engine.fire(order_id, "pay", CLERK, payment).to_state


def test_publishing_creates_the_lists_the_rules_declare_empty(engine: Engine, lists: NamedLists) -> None:
    made = {n.name: (n.kind.value, n.label_zh, n.entries, n.created_by) for n in lists.lists("retail")}
    assert made == {
        "blocked-addresses": ("address", "黑名单地址", 0, "system"),
        "blocked-mobiles": ("mobile", "黑名单手机号", 0, "system"),
        "restricted-skus": ("sku", "限售商品", 0, "system"),
    }
    order = engine.create_order(CLERK, "retail", "retail-order", "web", retail_data())
    assert pay(engine, order.id) == "pending_shipment"  # empty lists hold nobody


def test_an_address_on_the_list_under_another_spelling_holds_the_order(
    engine: Engine, lists: NamedLists
) -> None:
    lists.add("retail", "blocked-addresses", "上海 浦东新区 世纪大道１１９８号 3栋", "admin")
    held = engine.create_order(CLERK, "retail", "retail-order", "web", retail_data())
    assert pay(engine, held.id) == "on_hold"
    [review] = [e for e in engine.history(held.id, CLERK) if e.trigger == "review"]
    assert review.rules is not None and [r["rule"] for r in review.rules["reasons"]] == ["blocked-address"]
    lists.add("retail", "restricted-skus", "xm-band8", "admin")
    other = retail_data(address={**retail_data()["address"], "detail": "陆家嘴环路1000号"})
    assert pay(engine, engine.create_order(CLERK, "retail", "retail-order", "web", other).id) == "on_hold"


def test_a_flash_sale_order_to_a_blocked_address_is_rejected(engine: Engine, lists: NamedLists) -> None:
    """The flash sale has no review queue: an address the retail order would hold for review rejects a
    flash-sale order (then cancelled), under any spelling of the address."""
    flash = discover(ROOT)["retail-flash-sale"]
    engine.publish(load_bundle(flash, ROOT, action_names=REGISTRY.action_names))
    lines = [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": 239, "amount": 239}]
    data = retail_data(lines=lines, total=239)
    passed = engine.create_order(CLERK, "retail", "retail-flash-sale", "app", data)
    payment = {"method": "alipay", "amount": 239, "transaction_ref": "2026000002"}
    assert engine.fire(passed.id, "pay", CLERK, payment).to_state == "pending_shipment"
    lists.add("retail", "blocked-addresses", "上海 浦东新区 世纪大道１１９８号 3栋", "admin")
    order = engine.create_order(CLERK, "retail", "retail-flash-sale", "app", data)
    assert engine.fire(order.id, "pay", CLERK, {**payment, "transaction_ref": "2026000003"}).to_state == (
        "cancelled"
    )
    [review] = [e for e in engine.history(order.id, CLERK) if e.trigger == "review"]
    assert review.rules is not None and [r["rule"] for r in review.rules["reasons"]] == ["blocked-address"]


def test_each_list_says_which_rule_sets_of_the_workflows_in_force_name_it(
    engine: Engine, lists: NamedLists
) -> None:
    lists.create("retail", "vip-customers", "customer", "贵宾客户", "VIP customers", "admin")
    flash = discover(ROOT)["retail-flash-sale"]
    engine.publish(load_bundle(flash, ROOT, action_names=REGISTRY.action_names))
    uses = lists.uses("retail")
    assert "vip-customers" not in uses  # a list no condition names
    named = {
        name: [(u.workflow, u.ruleset, u.ruleset_title.zh, u.rules) for u in found]
        for name, found in uses.items()
    }
    assert named["blocked-addresses"] == [
        ("retail-flash-sale", "rules/retail/flash-sale-audit.yaml", "秒杀订单审核", ("blocked-address",)),
        ("retail-order", "rules/retail/audit.yaml", "零售订单审核", ("blocked-address",)),
    ]
    [order_use] = [u for u in uses["blocked-mobiles"] if u.workflow == "retail-order"]
    assert (order_use.workflow_title.en, order_use.version) == ("Retail order", 1)
    assert all(u.workflow == "wholesale-order" for found in lists.uses("wholesale").values() for u in found)


def test_each_step_reads_the_lists_as_they_are_then(engine: Engine, lists: NamedLists) -> None:
    """A step reads whether a list holds anything in its own transaction: a value added after one order
    was paid holds the next, and removed again lets the one after pass (nothing kept between steps)."""
    orders = [engine.create_order(CLERK, "retail", "retail-order", "web", retail_data()).id for _ in range(3)]
    assert pay(engine, orders[0]) == "pending_shipment"
    lists.add("retail", "blocked-mobiles", "+86 138-1234-5678", "admin")
    assert pay(engine, orders[1]) == "cancelled"  # rejected by the review, then cancelled
    [review] = [e for e in engine.history(orders[1], CLERK) if e.trigger == "review"]
    assert review.rules is not None and [r["rule"] for r in review.rules["reasons"]] == ["blacklisted-mobile"]
    lists.remove("retail", "blocked-mobiles", "13812345678", "admin")
    assert pay(engine, orders[2]) == "pending_shipment"


def test_a_list_the_department_does_not_have_refuses_the_step_naming_it(
    engine: Engine, store: Store, lists: NamedLists
) -> None:
    with store.transaction() as tx:  # gone from the database (the rules still name it)
        [found] = tx.connection.execute(
            select(named_lists.c.id).where(named_lists.c.name == "blocked-mobiles")
        )
        tx.connection.execute(delete(named_list_changes).where(named_list_changes.c.list_id == found.id))
        tx.connection.execute(delete(named_lists).where(named_lists.c.id == found.id))
    order = engine.create_order(CLERK, "retail", "retail-order", "web", retail_data())
    with pytest.raises(TransitionRejected) as refused:
        pay(engine, order.id)
    [refusal] = refused.value.refusals
    assert refusal.code == "unknown-list" and refusal.details["list"] == "blocked-mobiles"
    assert "blocked-mobiles" in refusal.en and "blocked-mobiles" in refusal.zh
    assert engine.get_order(order.id, CLERK).state == "pending_payment"  # nothing of the step written


def test_a_list_kept_with_another_kind_refuses_the_publish(store: Store, clock: FrozenClock) -> None:
    NamedLists(store, clock).create("retail", "blocked-mobiles", "text", "黑名单", "Blocked", "admin")
    engine = Engine(store, REGISTRY, clock)
    with pytest.raises(DefinitionError, match="keeps the list 'blocked-mobiles' as kind text"):
        engine.publish(load_bundle(discover(ROOT)["retail-order"], ROOT, action_names=REGISTRY.action_names))
    assert engine.versions("retail-order") == []


def wholesale_data(total: float, lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "account": {"account_no": "W100231"},
        "contact": {"name": "陈静", "mobile": "13912345678"},
        "address": {
            "province": "广东省",
            "city": "广州市",
            "district": "天河区",
            "detail": "体育西路191号B座",
        },
        "lines": lines
        or [{"sku": "YL-MILK24", "name": "伊利纯牛奶", "qty": 100, "unit_price": 56, "amount": 5600}],
        "payment_method": "bank_transfer",
        "shipping_fee": 0,
        "discount": 0,
        "total": total,
    }


def test_the_credit_check_reads_what_the_account_owes_and_the_page_says_it_in_words(engine: Engine) -> None:
    fridges = [{"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 20, "unit_price": 2639, "amount": 52780}]
    first = engine.create_order(
        SALES, "wholesale", "wholesale-order", "phone", wholesale_data(52780, fridges)
    )
    assert first.state == "pending_approval"  # nothing owed before: past the credit check
    milk = [{"sku": "YL-MILK24", "name": "伊利纯牛奶", "qty": 200, "unit_price": 56, "amount": 11200}]
    held = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data(11200, milk))
    assert held.state == "credit_hold"  # owed 52780 + 11200 > 60000
    page = engine.order_page(held.id, APPROVER)
    [said] = [
        r.compared for why in page.decisions.values() for r in why.reasons if r.rule == "above-credit-limit"
    ]
    assert said == Text(
        "欠款 52,780.00 + 订单金额（元） 11,200.00 > 信用额度（元） 60,000.00",
        "owed 52,780.00 + Order total (CNY) 11,200.00 > Credit limit (CNY) 60,000.00",
    )


def test_the_credit_check_counts_the_opening_balance_and_its_reason_says_so(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    put_account(store, opening_balance(55000), clock.now())  # owed before its orders were kept here
    milk = [{"sku": "YL-MILK24", "name": "伊利纯牛奶", "qty": 100, "unit_price": 56, "amount": 5600}]
    held = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data(5600, milk))
    assert held.state == "credit_hold"  # owed 55000 (the opening balance alone) + 5600 > 60000
    page = engine.order_page(held.id, APPROVER)
    [said] = [
        r.compared for why in page.decisions.values() for r in why.reasons if r.rule == "above-credit-limit"
    ]
    assert said == Text(
        "欠款 55,000.00（含期初欠款 55,000.00） + 订单金额（元） 5,600.00 > 信用额度（元） 60,000.00",
        "owed 55,000.00 (opening balance 55,000.00 included) + Order total (CNY) 5,600.00 > "
        "Credit limit (CNY) 60,000.00",
    )
    assert page.credit == CreditStanding(60000, 55000, 5600, -600, opening=55000)

    put_account(store, opening_balance(40000), clock.now())  # finance lowered it: part was paid
    passed = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data(5600, milk))
    assert passed.state != "credit_hold"  # owed 40000 + the held order's 5600 + 5600 <= 60000
    # what the held order's page shows is read now: the lowered balance and the order that passed
    assert engine.order_page(held.id, APPROVER).credit == CreditStanding(60000, 45600, 5600, 8800, 40000)


def test_a_list_names_who_added_and_changed_by_display_name_and_the_system_in_words(
    store: Store, lists: NamedLists
) -> None:
    with store.transaction() as tx:
        tx.connection.execute(
            insert(users).values(
                name="li.na", display_name="李娜", password_hash="x", roles=["clerk"],
                departments=["retail"], active=True, created_at=AT,
            )
        )  # fmt: skip
    lists.create("retail", "vip-customers", "customer", "贵宾客户", "VIP customers", "system")
    lists.add("retail", "vip-customers", "w100231", "li.na")
    lists.add("retail", "vip-customers", "w100232", "gone.user")  # no such user (any more): as written
    shown = lists.show("retail", "vip-customers")
    assert [shown.person(e.added_by, "zh") for e in shown.entries] == ["李娜", "gone.user"]
    assert [shown.person(c.actor, "en") for c in shown.changes] == ["gone.user", "李娜", "System"]
    assert shown.person("system", "zh") == "系统"
