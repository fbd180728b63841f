"""engine/runtime/order_why.py: a stored decision told as the order page tells it (the outcome in
words, the deciding rules' reasons with the values they compared, routing's choice and a decision
table's row and inputs by their labels), read from the decision's ``to_dict()`` as an audit event keeps
it; and who took a step and what it did, in words."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml

from engine.common.list_keys import LOOKUPS
from engine.common.text import Text
from engine.dsl.compiler import compile_bundle, load_bundle
from engine.plugins import PluginRegistry
from engine.rules.kinds import compile_ruleset
from engine.rules.labels import Operand, rule_labels
from engine.rules.testing import GivenLookups
from engine.runtime.compiled import compile_version
from engine.runtime.order_why import (
    Fact,
    RuleReason,
    actor_text,
    decision_why,
    event_action,
    logins_in,
    people_labels,
    running_timers,
    user_fields,
)
from engine.store import AuditRow
from engine.store.timer_queue import TimerRow, TimerStatus
from tests.engine.runtime.conftest import ACTIONS, bundle

ROOT = Path(__file__).resolve().parents[3]
# The retail audit's managed lists, empty (in a step they are the department's).
NO_LISTS = GivenLookups({"blocked-mobiles": [], "blocked-addresses": [], "restricted-skus": []}, {})


def ruleset(path: str) -> tuple[object, dict[str, object]]:
    tree = yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))
    return compile_ruleset(tree, path), tree


def retail_order(**changes: object) -> dict[str, object]:
    """A paid retail order of 5,128 yuan (over the audit's 5,000), as the audit reads it."""
    order: dict[str, object] = {
        "total": 5128.0,
        "paid_amount": 5128.0,
        "discount": 0,
        "shipping_fee": 0,
        "customer": {"mobile": "13812345678"},
        "address": {"detail": "世纪大道100号"},
        "lines": [{"sku": "TEA-01", "qty": 20, "unit_price": 256.4, "amount": 5128.0}],
    }
    order.update(changes)
    return order


def test_a_held_order_says_which_rule_held_it_with_the_values_it_compared() -> None:
    audit, _tree = ruleset("rules/retail/audit.yaml")
    stored = audit.evaluate({"order": retail_order(), LOOKUPS: NO_LISTS}).to_dict()  # type: ignore[attr-defined]
    why = decision_why(stored, rule_labels(audit), {"order.total"})
    assert why is not None
    assert why.outcome == Text("挂起待审", "on hold")
    assert why.reasons == (
        RuleReason(
            "large-amount",
            Text("订单金额超过5000元", "Amount over 5000 CNY"),
            Text("5,128.00 > 5,000", "5,128.00 > 5,000"),
        ),
    )
    assert why.facts == ()


def test_a_rule_that_could_not_be_evaluated_says_why_instead_of_values() -> None:
    audit, _tree = ruleset("rules/retail/audit.yaml")
    order = {"total": "a lot", "lines": [], "customer": {}, "address": {"detail": "世纪大道100号"}}
    stored = audit.evaluate({"order": order, LOOKUPS: NO_LISTS}).to_dict()  # type: ignore[attr-defined]
    why = decision_why(stored)
    assert why is not None and why.outcome.en == "on hold"
    unevaluated = [r for r in why.reasons if r.rule == "large-amount"]
    assert unevaluated and unevaluated[0].compared is not None
    said = unevaluated[0].compared
    assert said.zh.startswith("无法求值") and "'a lot'" in said.en and said.zh != said.en


TIERS = {
    "silver": Text("银牌", "Silver"),
    "gold": Text("金牌", "Gold"),
    "platinum": Text("铂金", "Platinum"),
}


def test_a_decision_table_tells_its_row_by_its_reason_and_its_inputs_by_their_labels() -> None:
    """The row by its reason (never its name), the condition in words with the tier by its label."""
    table, tree = ruleset("rules/wholesale/approval.yaml")
    stored = table.evaluate({"order": {"total": 50000, "account": {"tier": "silver"}}}).to_dict()  # type: ignore[attr-defined]
    operands = {"order.account.tier": Operand(Text("等级", "Tier"), TIERS)}
    why = decision_why(stored, rule_labels(table, tree), {"order.total"}, operands)
    assert why is not None
    assert why.outcome == Text("经理审批", "manager approves")
    [reason] = why.reasons
    assert reason.words.en == "20,000 to 100,000 CNY, needs a sales manager's approval"
    assert reason.compared == Text(
        "20,000 <= 50,000.00 < 100,000；等级 银牌（不是 金牌、铂金）",
        "20,000 <= 50,000.00 < 100,000; Tier Silver (not Gold or Platinum)",
    )
    assert why.facts == (  # the table's own labels of its inputs first
        Fact(Text("订单金额", "Order amount"), Text("50,000.00", "50,000.00")),
        Fact(Text("客户等级", "Customer tier"), Text("银牌", "Silver")),
    )


ROWS_WITHOUT_REASONS = """
schema_version: 1
ruleset: tiers
kind: decision_table
title: {zh: 等级, en: Tiers}
hit_policy: first
inputs: [{name: tier, expr: order.account.tier}]
outputs: [outcome]
outcomes: [approve, hold]
default: approve
rules:
  - {name: silver-row, cells: {tier: '"silver"'}, then: {outcome: hold}}
"""


def test_a_row_without_a_reason_is_told_by_its_condition_in_words() -> None:
    tree = yaml.safe_load(ROWS_WITHOUT_REASONS)
    table = compile_ruleset(tree, "rules/tiers.yaml")
    stored = table.evaluate({"order": {"account": {"tier": "silver"}}}).to_dict()  # type: ignore[attr-defined]
    operands = {"order.account.tier": Operand(Text("等级", "Tier"), TIERS)}
    why = decision_why(stored, rule_labels(table, tree), (), operands)
    assert why is not None
    [reason] = why.reasons
    assert reason.words == Text("等级 银牌", "Tier Silver") and reason.compared is None
    assert "silver-row" not in repr([why.reasons[0].words, why.facts])


def test_routing_names_the_warehouse_and_the_carrier_it_chose() -> None:
    routing, _tree = ruleset("rules/retail/routing.yaml")
    order = {
        "total": 186.0,
        "address": {"province": "上海市", "city": "上海"},
        "lines": [{"sku": "TEA-01", "qty": 2, "unit_price": 88, "amount": 176}],
    }
    stock = {"TEA-01": {"SH-01": 50}}
    stored = routing.evaluate({"order": order, "stock": stock}).to_dict()  # type: ignore[attr-defined]
    why = decision_why(stored, rule_labels(routing))
    assert why is not None and why.outcome.zh == "已分仓"
    facts = {fact.label.zh: fact.value.zh for fact in why.facts}
    assert facts["发货仓"] == "上海仓"
    carrier = stored["outputs"]["carrier"]
    assert facts["承运商"] == rule_labels(routing).carrier(carrier, "zh") != carrier
    assert all(reason.compared is None for reason in why.reasons)  # routing says why in its own words
    assert why.reasons and all(reason.words.zh for reason in why.reasons)


def test_an_event_without_a_decision_has_none() -> None:
    assert decision_why(None) is None
    assert decision_why({"schema_version": 1}) is None


def event(actor: str, trigger: str, reason: str | None = None) -> AuditRow:
    at = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    return AuditRow(1, 1, 1, at, actor, trigger, "a", "b", {}, [], None, reason)


def test_who_took_a_step_and_what_it_did_in_words() -> None:
    names = {"li.na": "李娜"}
    assert actor_text(event("li.na", "pay"), names, set()) == Text("李娜", "李娜")
    assert actor_text(event("system", "cancel", "unpaid_timeout"), names, {"unpaid_timeout"}).zh == "定时器"
    assert actor_text(event("system", "review", "auto"), names, {"unpaid_timeout"}).en == "the system"
    assert actor_text(event("correlation:retail-fraud", "hold"), names, set()).zh == "风险监控"
    assert actor_text(event("gone.user", "pay"), names, set()).en == "gone.user"  # no such user now
    labels = {"pay": Text("支付", "Pay")}
    assert event_action(event("li.na", "pay"), labels) == Text("支付", "Pay")
    assert event_action(event("li.na", "create"), labels).zh == "创建订单"
    migrated = event_action(event("root", "migrate", "v1 -> v4"), labels)
    assert migrated == Text("迁移到第 4 版", "Moved to version 4")
    assert event_action(event("li.na", "unknown_step"), labels).en == "unknown_step"


def test_only_a_guards_refusal_comparing_a_field_of_the_form_goes_beside_it() -> None:
    from engine.errors import Refusal, RefusalCode
    from engine.runtime.order_why import guard_beside_field

    role = Refusal(RefusalCode.ROLE, "需要角色", "requires role", {"roles": ["reviewer"]})
    assert guard_beside_field(role, None, None) is None
    comparisons = [{"expr": "order.total == 0", "left": 5, "right": 0, "result": False}]
    guard = Refusal(RefusalCode.GUARD, "条件不成立", "condition not met", {"comparisons": comparisons})
    assert guard_beside_field(guard, None, None) is None  # no form: nothing to be beside


def test_a_role_refusal_names_the_roles_by_the_glossary() -> None:
    from engine.errors import Refusal, RefusalCode
    from engine.runtime.order_why import refusal_words

    role = Refusal(
        RefusalCode.ROLE, "需要角色 reviewer", "requires role reviewer", {"roles": ["reviewer", "clerk"]}
    )
    assert refusal_words(role) == Text("需要角色：审核员 或 订单专员", "Needs the role Reviewer or Clerk")
    guard = Refusal(RefusalCode.GUARD, "支付金额少于订单金额", "The amount paid is less", {"when": "x"})
    assert refusal_words(guard) == Text("支付金额少于订单金额", "The amount paid is less")


def test_the_people_an_orders_data_names_are_read_by_the_fields_a_form_marks_x_user() -> None:
    spec = compile_bundle(load_bundle(ROOT / "workflows/wholesale/order.yaml", ROOT))
    assert user_fields(spec) == {"account.manager"}
    fields = {"account.manager", "reviews[].by"}
    data = {"account": {"manager": "sun.li"}, "reviews": [{"by": "gao.jun"}, {"by": ""}, {"by": 3}, "x"]}
    assert logins_in(data, fields) == {"account.manager": {"sun.li"}, "reviews[].by": {"gao.jun"}}
    assert logins_in({"account": "W100231"}, fields) == {}
    names = {"sun.li": "孙丽（批发经理）"}
    assert people_labels(logins_in(data, fields), names) == {
        "account.manager": {"sun.li": Text("孙丽（批发经理）", "孙丽（批发经理）")},
        "reviews[].by": {},  # a login no user has: shown as it is
    }


def test_a_list_match_tells_the_list_and_never_the_value_it_matched() -> None:
    """The blacklist rule matched the customer's mobile against a managed list: the decision says the
    mobile is on the list, masked or not, without writing the number (a reader who sees it masked on
    the order could otherwise read it here)."""
    audit, tree = ruleset("rules/retail/audit.yaml")
    order = retail_order(customer={"mobile": "13800000000"})
    listed = GivenLookups(
        {**NO_LISTS.lists, "blocked-mobiles": {"kind": "mobile", "values": ["+86 138 0000 0000"]}}, {}
    )
    stored = audit.evaluate({"order": order, LOOKUPS: listed}).to_dict()  # type: ignore[attr-defined]
    operands = {"order.customer.mobile": Operand(Text("手机号", "Mobile number"))}
    for hidden in ({"order.customer.mobile": "mobile"}, None):
        why = decision_why(stored, rule_labels(audit, tree), (), operands, hidden)
        assert why is not None
        [reason] = [r for r in why.reasons if r.rule == "blacklisted-mobile"]
        assert reason.compared == Text(  # the list by the label its rule file gives it
            "手机号在名单“黑名单手机号”中", "Mobile number is on the list “Blocked mobiles”"
        )
        assert "13800000000" not in repr(why.reasons)


def test_a_running_timer_tells_its_condition_in_words_and_one_without_none() -> None:
    cv = compile_version(compile_bundle(bundle("retail-order"), 1), PluginRegistry(ACTIONS))
    due = datetime(2026, 5, 1, 10, 30, tzinfo=UTC)

    def timer(timer_id: int, trigger: str, reason: str | None) -> TimerRow:
        return TimerRow(timer_id, 1, "pending_payment", trigger, reason, due, TimerStatus.SCHEDULED, None)

    declared, undeclared = running_timers(cv, [timer(1, "cancel", "unpaid_timeout"), timer(2, "pay", None)])
    assert declared.when is not None and "order.total" not in declared.when.zh + declared.when.en
    assert declared.when.zh != declared.when.en
    assert undeclared.when is None  # no timer of the version says this one: nothing to tell
