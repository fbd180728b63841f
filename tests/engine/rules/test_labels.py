"""engine/rules/labels.py: outcomes named by the glossary, a routing file's warehouses and carriers by
their labels, a decision table's inputs by theirs, a routing answer read into rows (candidates best
first, the chosen marked, the split), and a condition with the values it compared written in."""

from __future__ import annotations

from pathlib import Path

import yaml

from engine.common.text import Text
from engine.rules.kinds import compile_ruleset
from engine.rules.labels import (
    Candidate,
    Operand,
    RuleLabels,
    SplitPart,
    compared,
    number_text,
    routing_answer,
    rule_labels,
    said,
)

ROOT = Path(__file__).resolve().parents[3]


def test_outcomes_by_the_glossary_and_places_by_their_labels() -> None:
    path = "rules/retail/routing.yaml"
    routing = compile_ruleset(yaml.safe_load((ROOT / path).read_text(encoding="utf-8")), path)
    labels = rule_labels(routing)
    assert labels.warehouse("GZ-01", "zh") == "广州仓"
    assert labels.warehouse("GZ-01", "en") == "Guangzhou warehouse"
    assert labels.carrier("NOPE", "en") == "NOPE"
    assert RuleLabels.outcome("hold", "zh") == "挂起待审" and RuleLabels.outcome("hold", "en") == "on hold"
    assert RuleLabels.outcome("approve", "zh") == "自动审核通过"
    assert RuleLabels.outcome("made-up", "en") == "made-up"
    audit = "rules/retail/audit.yaml"
    assert (
        rule_labels(compile_ruleset(yaml.safe_load((ROOT / audit).read_text("utf-8")), audit)) == RuleLabels()
    )


def test_a_routing_answer_as_rows() -> None:
    outputs = {
        "warehouse": "GZ-01",
        "carrier": "jd",
        "split": [
            {"warehouse": "GZ-01", "lines": [{"sku": "A", "qty": 2}]},
            {"warehouse": "SH-01", "lines": [{"sku": "A", "qty": 3}]},
        ],
        "scores": {
            "warehouses": {"SH-01": 0.5, "GZ-01": 0.9, "BJ-01": 0.1},
            "carriers": {"sf": 0.4, "jd": 0.7},
        },
    }
    answer = routing_answer(outputs)
    assert answer is not None
    assert answer.candidates == (
        Candidate("warehouse", "GZ-01", 0.9, True),
        Candidate("warehouse", "SH-01", 0.5, True),
        Candidate("warehouse", "BJ-01", 0.1, False),
        Candidate("carrier", "jd", 0.7, True),
        Candidate("carrier", "sf", 0.4, False),
    )
    assert answer.split == (SplitPart("GZ-01", (("A", 2.0),)), SplitPart("SH-01", (("A", 3.0),)))
    assert routing_answer({"discount_rate": 0.1}) is None
    assert routing_answer(None) is None


def test_a_condition_reads_with_the_values_it_compared() -> None:
    """The retail audit's large-amount rule held an order of 5,128 yuan: its trace keeps the value of
    ``order.total``; the page reads ``5,128.00 > 5,000``, not the condition or a record of names."""
    assert compared("order.total > 5000", {"order.total": 5128.0}, {"order.total"}) == "5,128.00 > 5,000"
    assert compared("order.total > 5000", {"order.total": 5128}) == "5,128 > 5,000"
    # a part computed from several names is written in as one value, as the trace recorded it
    when = "order.total > 0 and order.discount > 0.8 * (order.total + order.discount - order.shipping_fee)"
    values = {
        "order.total": 6000.0,
        "order.discount": 5000,
        "0.8 * (order.total + order.discount - order.shipping_fee)": 8792.000000000001,
    }
    assert compared(when, values, {"order.total"}) == "6,000.00 > 0 and 5,000 > 8,792"
    # text as text, a missing value in the page's language, a list item by item
    table = "20000 <= order.total < 100000 and order.account.tier in ['gold', 'platinum']"
    shown = compared(table, {"order.total": 50000, "order.account.tier": "silver"})
    assert shown == "20,000 <= 50,000 < 100,000 and 'silver' in ['gold', 'platinum']"
    failures = "order.payment_failures >= 3"
    assert compared(failures, {"order.payment_failures": None}, lang="zh") == "无 >= 3"
    assert compared(failures, {"order.payment_failures": None}, lang="en") == "none >= 3"
    # nothing to write in, or no condition: nothing to show
    assert compared("order.total > 5000", {}) is None
    assert compared(None, {"order.total": 1}) is None
    assert compared("order.total >", {"order.total": 1}) is None


def test_numbers_as_a_page_writes_them() -> None:
    assert number_text(5128.0, money=True) == "5,128.00"
    assert number_text(1234567) == "1,234,567"
    assert number_text(4102.400000000001) == "4,102.4"
    assert number_text(-1234.5) == "-1,234.5"
    assert number_text(-0.5) == "-0.5"
    assert number_text(0.01) == "0.01"


def test_a_decision_tables_inputs_by_their_labels() -> None:
    path = "rules/wholesale/approval.yaml"
    tree = yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))
    labels = rule_labels(compile_ruleset(tree, path), tree)
    assert labels.inputs["order.total"].zh == "订单金额"
    assert labels.inputs["order.account.tier"].en == "Customer tier"


TIER = Operand(
    Text("客户等级", "Customer tier"),
    {"silver": Text("银牌", "Silver"), "gold": Text("金牌", "Gold"), "platinum": Text("铂金", "Platinum")},
)
NAMES = {
    "order.total": Operand(Text("订单金额", "Order total"), money=True),
    "order.account.tier": TIER,
    "order.delivered_at": Operand(Text("签收时间", "Delivered at")),
    "order.reason_code": Operand(Text("原因", "Reason"), {"quality": Text("质量问题", "Quality problem")}),
    "order.payment_failures": Operand(Text("支付失败次数", "Failed payments")),
}


def test_a_condition_in_words_names_choices_by_their_labels_and_says_not_in_words() -> None:
    """A decision table's row as a clerk reads it: no quotes, no ``==``, ``and`` or ``not``; the
    tier by its label, and what it is not."""
    row = "100000 <= order.total < 500000 and (not order.account.tier == 'platinum')"
    values = {"order.total": 158540.0, "order.account.tier": "silver"}
    assert said(row, values, NAMES, "zh") == "100,000 <= 158,540.00 < 500,000；客户等级 银牌（不是 铂金）"
    assert (
        said(row, values, NAMES, "en")
        == "100,000 <= 158,540.00 < 500,000; Customer tier Silver (not Platinum)"
    )
    row = "not order.account.tier in ['gold', 'platinum']"
    assert said(row, values, NAMES, "zh") == "客户等级 银牌（不是 金牌、铂金）"
    assert said(row, values, NAMES, "en") == "Customer tier Silver (not Gold or Platinum)"
    assert said("order.account.tier == 'silver'", values, NAMES, "en") == "Customer tier Silver"
    assert said("order.account.tier == 'silver'", values, {}, "en") == "silver"  # no label: the value


def test_a_condition_in_words_rounds_time_and_says_each_value_once() -> None:
    when = 'days_since(order.delivered_at) > 7 and order.reason_code == "quality"'
    values = {"days_since(order.delivered_at)": 7.9476728224537, "order.reason_code": "quality"}
    assert said(when, values, NAMES, "zh") == "7.9 天 > 7 天；原因 质量问题"
    assert said(when, values, NAMES, "en") == "7.9 days > 7 days; Reason Quality problem"
    # "given, and at least 3": the number read says it was given
    failures = "order.payment_failures != None and order.payment_failures >= 3"
    assert said(failures, {"order.payment_failures": 4}, NAMES, "zh") == "4 >= 3"
    assert said("order.payment_failures == None", {"order.payment_failures": None}, NAMES, "zh") == (
        "支付失败次数 未填"
    )
    assert said("order.total > 5000", {"order.total": 5128.0}, NAMES, "zh") == "5,128.00 > 5,000"


def test_a_condition_without_values_is_said_by_its_labels() -> None:
    """A timer's condition, told before it is evaluated."""
    when = "days_since(order.delivered_at) >= 7"
    assert said(when, None, NAMES, "zh") == "距签收时间的天数 不少于 7 天"
    assert said(when, None, NAMES, "en") == "days since Delivered at is at least 7 days"
    assert said("order.total > 5000 or order.account.tier == 'gold'", None, NAMES, "zh") == (
        "订单金额 多于 5,000 或 客户等级 为 金牌"
    )
    assert said(None, None) is None and said("order.total >", None) is None


def test_a_negative_number_and_a_missing_value_in_words() -> None:
    since = "minutes_since(order.delivered_at) < -5"
    assert said(since, {"minutes_since(order.delivered_at)": -30.25}, NAMES, "zh") == "-30.2 分钟 < -5 分钟"
    assert said(since, None, NAMES, "en") == "minutes since Delivered at is less than -5 minutes"
    given = "order.payment_failures != None and order.payment_failures >= 3"
    assert said(given, None, NAMES, "zh") == "支付失败次数 已填；支付失败次数 不少于 3"
    assert said("order.payment_failures == None", None, NAMES, "en") == "Failed payments is not given"


def test_a_list_match_and_a_sum_with_a_customer_fact_read_in_words() -> None:
    mobile = {"order.customer.mobile": Operand(Text("手机号", "Mobile"))}
    when = "in_list('blocked-mobiles', order.customer.mobile)"
    assert said(when, {when: True}, mobile, "zh") == "手机号在名单“blocked-mobiles”中"  # no label: its name
    assert said(when, {when: False}, mobile, "en") == "Mobile is not on the list “blocked-mobiles”"
    labels = {"blocked-mobiles": Text("黑名单手机号", "Blocked mobiles")}
    assert said(when, {when: True}, mobile, "zh", lists=labels) == "手机号在名单“黑名单手机号”中"
    assert said(when, {when: True}, mobile, "en", lists=labels) == "Mobile is on the list “Blocked mobiles”"
    credit = "owed() + order.total > order.account.credit_limit"
    limit = {
        "order.total": Operand(Text("本单", "this order"), money=True),
        "order.account.credit_limit": Operand(Text("信用额度", "credit limit"), money=True),
    }
    values = {
        "owed() + order.total": 222000,
        "owed()": 182000,
        "order.total": 40000,
        "order.account.credit_limit": 200000,
    }
    assert said(credit, values, limit, "zh") == "欠款 182,000.00 + 本单 40,000.00 > 信用额度 200,000.00"
    assert (
        said(credit, values, limit, "en")
        == "owed 182,000.00 + this order 40,000.00 > credit limit 200,000.00"
    )
    without_parts = {"owed() + order.total": 222000, "order.account.credit_limit": 200000}
    assert said(credit, without_parts, limit, "en") == "222,000 > 200,000.00"
    days = "orders_in_days(7) >= 3"
    assert said(days, {"orders_in_days(7)": 4}, {}, "zh") == "4 >= 3"
    assert said("orders_in_days(7) >= 3", {}, {}, "en") == "orders in the last 7 days is at least 3"
