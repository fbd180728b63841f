"""Routing: one warehouse, a split, no stock, no carrier, weights that change the winner, checks."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.rules.kinds import check_ruleset, compile_ruleset
from tests.problem_words import assert_bilingual

REPO = Path(__file__).resolve().parents[3]

ROUTING: dict[str, Any] = {
    "schema_version": 1,
    "ruleset": "test-routing",
    "kind": "routing",
    "title": {"zh": "发货路由", "en": "Routing"},
    "weights": {"stock": 0.4, "distance": 0.3, "cost": 0.2, "promise": 0.1},
    "default_weight_kg": 2,
    "default_distance_km": 2000,
    "warehouses": [
        {
            "name": "SH-01",
            "label": {"zh": "上海仓", "en": "Shanghai warehouse"},
            "province": "上海",
            "distances": {"江苏": 300, "北京": 1200},
        },
        {
            "name": "BJ-01",
            "label": {"zh": "北京仓", "en": "Beijing warehouse"},
            "province": "北京",
            "distances": {"江苏": 1000},
        },
        {
            "name": "GZ-01",
            "label": {"zh": "广州仓", "en": "Guangzhou warehouse"},
            "province": "广东",
            "when": "order.channel != 'flash-sale'",
        },
    ],
    "carriers": [
        {
            "name": "sf",
            "label": {"zh": "顺丰速运", "en": "SF Express"},
            "base_cost": 12,
            "cost_per_kg": 2,
            "max_weight_kg": 20,
            "promise_days": 1,
        },
        {
            "name": "zto",
            "label": {"zh": "中通快递", "en": "ZTO Express"},
            "base_cost": 6,
            "cost_per_kg": 1,
            "promise_days": 3,
            "provinces": ["上海", "江苏"],
        },
        {
            "name": "ems",
            "label": {"zh": "中国邮政EMS", "en": "China Post EMS"},
            "base_cost": 15,
            "cost_per_kg": 2.5,
            "promise_days": 4,
            "when": "order.total < 1000",
        },
    ],
}


def routing(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(ROUTING)
    doc.update(changes)
    return doc


def order_env(
    province: str = "江苏",
    lines: list[dict[str, Any]] | None = None,
    stock: dict[str, dict[str, int]] | None = None,
    **order: Any,
) -> dict[str, Any]:
    return {
        "order": {
            "total": 500,
            "channel": "web",
            "address": {"province": province},
            "lines": lines if lines is not None else [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}],
            **order,
        },
        "stock": stock
        if stock is not None
        else {"A": {"SH-01": 5, "BJ-01": 5}, "B": {"SH-01": 1, "BJ-01": 1}},
    }


def test_a_warehouse_that_fills_the_order_wins_by_score_with_its_carrier() -> None:
    decision = compile_ruleset(routing()).evaluate(order_env())
    assert (decision.outcome, decision.kind) == ("routed", "routing")
    assert decision.outputs["warehouse"] == "SH-01"  # full stock and nearest
    assert decision.outputs["carrier"] == "zto"  # cheapest by far: 6 + 1 * 2 kg
    assert decision.outputs["split"] == []
    # BJ-01: stock 1, distance (2000 - 1000) / (2000 - 300); weighted mean (0.4 * 1 + 0.3 * 0.588) / 0.7
    assert decision.outputs["scores"]["warehouses"] == {"SH-01": 1.0, "BJ-01": 0.823529, "GZ-01": 0.0}
    assert decision.reasons == [
        {
            "rule": "SH-01",
            "outcome": "routed",
            "zh": "上海仓可整单发货，综合得分最高（1.00）",
            "en": "Shanghai warehouse can ship the whole order and scores highest (1.00)",
        },
        {
            "rule": "zto",
            "outcome": "routed",
            "zh": "中通快递综合得分最高（0.78）",
            "en": "ZTO Express scores highest (0.78)",
        },
    ]


def test_trace_shows_every_criterion_and_eligibility() -> None:
    decision = compile_ruleset(routing()).evaluate(order_env())
    by_name = {entry["rule"]: entry for entry in decision.trace}
    assert [entry["rule"] for entry in decision.trace] == ["SH-01", "BJ-01", "GZ-01", "sf", "zto", "ems"]
    assert by_name["SH-01"]["criteria"] == {
        "stock": {"raw": 3, "score": 1.0, "weight": 0.4},
        "distance": {"raw": 300.0, "score": 1.0, "weight": 0.3},
    }
    assert by_name["SH-01"]["chosen"] is True and by_name["SH-01"]["total"] == 1.0
    assert by_name["GZ-01"]["when"] == "order.channel != 'flash-sale'"
    assert by_name["GZ-01"]["values"] == {"order.channel": "web"}
    assert by_name["GZ-01"]["matched"] is True and "matched" not in by_name["SH-01"]  # SH-01 has no when
    assert by_name["GZ-01"]["criteria"]["stock"] == {"raw": 0, "score": 0.0, "weight": 0.4}
    assert by_name["zto"]["criteria"] == {
        "cost": {"raw": 8.0, "score": 1.0, "weight": 0.2},
        "promise": {"raw": 3.0, "score": 0.333333, "weight": 0.1},
    }
    assert by_name["ems"]["eligible"] is True
    assert decision.to_dict()["outputs"]["warehouse"] == "SH-01"


def test_ineligible_candidates_say_why() -> None:
    decision = compile_ruleset(routing()).evaluate(
        order_env("北京", channel="flash-sale", total=5000, weight_kg=25)
    )
    by_name = {entry["rule"]: entry for entry in decision.trace}
    assert by_name["GZ-01"]["eligible"] is False and by_name["GZ-01"]["matched"] is False
    assert by_name["GZ-01"]["why"] == {"zh": "条件不满足", "en": "the condition does not hold"}
    assert by_name["sf"]["why"] == {
        "zh": "重量 25kg 超过上限 20kg",
        "en": "weight 25 kg is over its limit of 20 kg",
    }
    assert by_name["zto"]["why"] == {"zh": "不配送到北京", "en": "does not serve 北京"}
    assert by_name["ems"]["eligible"] is False
    assert decision.outcome == "no_carrier"
    assert decision.outputs["warehouse"] == "BJ-01"  # its own province: distance 0
    assert decision.reasons[-1]["en"] == "no carrier can deliver it (北京, 25 kg)"


def test_a_condition_that_cannot_be_evaluated_makes_the_candidate_ineligible() -> None:
    decision = compile_ruleset(routing()).evaluate(order_env(total="lots"))
    ems = next(entry for entry in decision.trace if entry["rule"] == "ems")
    assert ems["eligible"] is False
    assert "error" in ems
    assert ems["why"]["en"] == "the condition could not be evaluated"


def test_when_no_warehouse_fills_the_order_it_is_split_greedily_by_score() -> None:
    stock = {"A": {"SH-01": 1, "BJ-01": 5}, "B": {"SH-01": 1}}
    decision = compile_ruleset(routing()).evaluate(order_env(stock=stock))
    assert decision.outcome == "split"
    assert decision.outputs["split"] == [
        {"warehouse": "SH-01", "lines": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 1}]},
        {"warehouse": "BJ-01", "lines": [{"sku": "A", "qty": 1}]},
    ]
    assert decision.outputs["warehouse"] == "SH-01"
    assert decision.outputs["carrier"] == "zto"
    assert decision.reasons[0]["en"] == (
        "no warehouse can ship the whole order; split by score: Shanghai warehouse, Beijing warehouse"
    )


def test_lines_of_one_sku_share_its_stock() -> None:
    lines = [{"sku": "A", "qty": 2}, {"sku": "A", "qty": 2}]
    decision = compile_ruleset(routing()).evaluate(
        order_env(lines=lines, stock={"A": {"SH-01": 3, "BJ-01": 1}})
    )
    assert decision.outcome == "split"
    assert decision.outputs["split"] == [
        {"warehouse": "SH-01", "lines": [{"sku": "A", "qty": 3}]},
        {"warehouse": "BJ-01", "lines": [{"sku": "A", "qty": 1}]},
    ]


def test_no_stock_when_even_a_split_cannot_fill_the_order() -> None:
    decision = compile_ruleset(routing()).evaluate(order_env(stock={"A": {"SH-01": 1}, "B": {}}))
    assert decision.outcome == "no_stock"
    assert decision.outputs["warehouse"] is None and decision.outputs["split"] == []
    assert decision.reasons == [
        {
            "rule": "stock",
            "outcome": "no_stock",
            "zh": "所有可用仓库合计库存不足：缺 A × 1, B × 1",
            "en": "all eligible warehouses together lack stock: missing A × 1, B × 1",
        }
    ]


def test_an_order_without_stock_table_or_lines_is_no_stock() -> None:
    ruleset = compile_ruleset(routing())
    assert ruleset.evaluate(
        {"order": {"address": {"province": "江苏"}, "lines": [{"sku": "A", "qty": 1}]}}
    ).outcome == ("no_stock")
    broken = ruleset.evaluate(order_env(lines=[{"qty": 1}]))
    assert broken.outcome == "no_stock"
    assert broken.reasons[0]["en"] == "order lines [1] have no sku or qty"


def test_weights_change_the_winner() -> None:
    stock = {"A": {"SH-01": 2, "BJ-01": 2}, "B": {"SH-01": 1, "BJ-01": 1}}
    env = order_env("北京", stock=stock, total=2000)
    assert compile_ruleset(routing()).evaluate(env).outputs["warehouse"] == "BJ-01"
    assert compile_ruleset(routing()).evaluate(env).outputs["carrier"] == "sf"  # the only one serving 北京
    # Both fill the order; with distance weighed at 0 the tie goes to file order.
    decision = compile_ruleset(routing(weights={"stock": 1, "cost": 1})).evaluate(env)
    assert decision.outputs["warehouse"] == "SH-01"
    cheap = order_env(total=100)
    assert compile_ruleset(routing()).evaluate(cheap).outputs["carrier"] == "zto"
    fast = compile_ruleset(routing(weights={"stock": 1, "cost": 0.1, "promise": 0.9})).evaluate(cheap)
    assert fast.outputs["carrier"] == "sf"


def test_weight_from_lines_or_default() -> None:
    ruleset = compile_ruleset(routing())
    lines = [{"sku": "A", "qty": 2, "weight_kg": 6}, {"sku": "B", "qty": 1, "weight_kg": 9}]  # 21 kg
    decision = ruleset.evaluate(order_env("上海", lines=lines))
    sf = next(entry for entry in decision.trace if entry["rule"] == "sf")
    assert sf["why"]["en"] == "weight 21 kg is over its limit of 20 kg"
    defaulted = ruleset.evaluate(order_env("上海"))
    zto = next(entry for entry in defaulted.trace if entry["rule"] == "zto")
    assert zto["criteria"]["cost"]["raw"] == 8.0  # 6 + 1 * 2 kg (default_weight_kg)


def test_virtual_lines_need_no_warehouse_and_no_carrier() -> None:
    ruleset = compile_ruleset(routing())
    card = {"sku": "GC-100", "qty": 3, "weight_kg": 40, "virtual": True}  # no stock, and heavy if it counted
    mixed = ruleset.evaluate(order_env("上海", lines=[{"sku": "A", "qty": 2}, card]))
    assert (mixed.outcome, mixed.outputs["warehouse"], mixed.outputs["carrier"]) == ("routed", "SH-01", "zto")
    zto = next(entry for entry in mixed.trace if entry["rule"] == "zto")
    assert zto["criteria"]["cost"]["raw"] == 8.0  # the default 2 kg of the shipped line alone
    only = ruleset.evaluate(order_env("上海", lines=[card, {**card, "sku": "WTY-2Y", "qty": 1}]))
    assert (only.outcome, only.outputs["warehouse"], only.outputs["carrier"]) == ("routed", None, None)
    assert only.reasons == [
        {
            "rule": "lines",
            "outcome": "routed",
            "zh": "订单只有虚拟商品：无需仓库与承运商",
            "en": "every line is virtual: no warehouse and no carrier needed",
        }
    ]
    # a line marked anything but true ships; a broken line beside a virtual one is still refused
    unmarked = ruleset.evaluate(order_env("上海", lines=[{**card, "virtual": "yes"}]))
    assert unmarked.outcome == "no_stock"
    broken = ruleset.evaluate(order_env("上海", lines=[card, {"qty": 1}]))
    assert broken.outcome == "no_stock"


@settings(max_examples=40, deadline=None)
@given(
    have=st.lists(st.integers(min_value=0, max_value=4), min_size=6, max_size=6),
    want=st.lists(st.integers(min_value=0, max_value=4), min_size=2, max_size=2),
)
def test_routing_never_ships_more_than_ordered_or_on_hand(have: list[int], want: list[int]) -> None:
    stock = {
        "A": {"SH-01": have[0], "BJ-01": have[1], "GZ-01": have[2]},
        "B": {"SH-01": have[3], "BJ-01": have[4], "GZ-01": have[5]},
    }
    lines = [{"sku": sku, "qty": qty} for sku, qty in zip("AB", want, strict=True) if qty]
    decision = compile_ruleset(routing()).evaluate(order_env(lines=lines, stock=stock))
    enough = all(sum(stock[sku].values()) >= qty for sku, qty in zip("AB", want, strict=True))
    if not lines or not enough:
        assert decision.outcome == "no_stock"
        return
    if decision.outcome == "routed":
        warehouse = decision.outputs["warehouse"]
        assert all(stock[line["sku"]][warehouse] >= line["qty"] for line in lines)
        return
    assert decision.outcome == "split"
    shipped: dict[str, int] = {}
    for part in decision.outputs["split"]:
        for line in part["lines"]:
            assert line["qty"] <= stock[line["sku"]][part["warehouse"]]
            shipped[line["sku"]] = shipped.get(line["sku"], 0) + line["qty"]
    assert shipped == {line["sku"]: line["qty"] for line in lines}


def reference_fillable(lines: list[dict[str, Any]], stock: dict[str, Any], warehouse: str) -> Any:
    """The definition written out: lines in order, each taking what is left of its sku's stock."""
    left: dict[str, Any] = {}
    filled: Any = 0
    for line in lines:
        units = (
            stock.get(line["sku"], {}).get(warehouse) if isinstance(stock.get(line["sku"]), dict) else None
        )
        have = left.setdefault(line["sku"], max(units, 0) if isinstance(units, int | float) else 0)
        take = min(have, line["qty"])
        left[line["sku"]] = have - take
        filled += take
    return filled


QUANTITIES = st.one_of(st.integers(1, 5), st.sampled_from([0.5, 1.0, 2.5, 0.1, 0.2, 3.0]))
UNITS = st.one_of(st.integers(-2, 6), st.sampled_from([0.3, 2.0, 4.5, "7", None]))


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(
        st.fixed_dictionaries({"sku": st.sampled_from("ABC"), "qty": QUANTITIES}), min_size=1, max_size=5
    ),
    stock=st.dictionaries(
        st.sampled_from("ABC"), st.dictionaries(st.sampled_from(["SH-01", "BJ-01", "GZ-01", "XX"]), UNITS)
    ),
    weights=st.lists(st.sampled_from([0, 0.1, 0.25, 1, 3]), min_size=4, max_size=4),
)
def test_each_criterion_and_total_is_as_defined(
    lines: list[dict[str, Any]], stock: dict[str, Any], weights: list[float]
) -> None:
    stock_w, distance_w, cost_w, promise_w = weights
    doc = routing(weights={"stock": stock_w, "distance": distance_w, "cost": cost_w, "promise": promise_w})
    decision = compile_ruleset(doc).evaluate(order_env(lines=lines, stock=stock))
    units = sum(line["qty"] for line in lines)

    def total(score: float, weight: float, other: float, other_weight: float) -> float:
        return (
            round((score * weight + other * other_weight) / (weight + other_weight), 6)
            if weight + other_weight
            else 0.0
        )

    for entry in decision.trace:
        if not entry["eligible"]:
            continue
        criteria = entry["criteria"]
        if entry["candidate"] == "warehouse":
            on_hand = reference_fillable(lines, stock, entry["rule"])
            assert json.dumps(criteria["stock"]["raw"]) == json.dumps(on_hand)  # 3 and 3.0 told apart
            assert criteria["stock"]["score"] == round(on_hand / units, 6)
            expected = total(criteria["stock"]["score"], stock_w, criteria["distance"]["score"], distance_w)
        else:
            expected = total(criteria["cost"]["score"], cost_w, criteria["promise"]["score"], promise_w)
        assert entry["total"] == pytest.approx(expected, abs=3e-6)  # from scores shown to 6 places
        assert entry["full"] == (on_hand >= units) if entry["candidate"] == "warehouse" else True


def test_checks_of_routing_files() -> None:
    doc = routing(outcomes=["routed"], weights={"stock": 1})
    doc["warehouses"].append(copy.deepcopy(doc["warehouses"][0]))
    doc["warehouses"][1]["serves"] = ["北京", "天津"]
    doc["carriers"][0]["when"] = "order.total >"
    problems = [(p.json_path, p.message, p.severity) for p in check_ruleset(doc, "r.yaml")]
    assert ("$.outcomes", "key 'outcomes' is not used by routing rule sets", "error") in problems
    assert (
        "$.weights",
        "no weight ranks the carriers: give cost or promise a weight above 0",
        "warning",
    ) in problems
    assert (
        "$.warehouses[3].name",
        "warehouse 'SH-01' is listed twice (first as warehouse 1)",
        "error",
    ) in problems
    assert (
        "$.warehouses[1].distances.江苏",
        "warehouse 'BJ-01' has a distance to '江苏' but does not serve it",
        "warning",
    ) in problems
    assert any(path == "$.carriers[0].when" for path, _message, _severity in problems)


ROUTING_CODES = ("foreign-key", "no-weight", "duplicate-candidate", "unserved-distance")


def test_the_checks_of_routing_files_are_said_in_chinese_with_the_english_unchanged() -> None:
    doc = routing(outcomes=["routed"], weights={"stock": 1})
    doc["warehouses"].append(copy.deepcopy(doc["warehouses"][0]))
    doc["carriers"].append(copy.deepcopy(doc["carriers"][0]))
    doc["warehouses"][1]["serves"] = ["北京", "天津"]
    said = {(p.json_path, p.message_in("zh"), p.hint_in("zh")) for p in check_ruleset(doc, "r.yaml")}
    assert (
        "$.outcomes",
        "路由规则集不使用键 'outcomes'",
        "路由按仓库、承运商和权重作出决定：请删除它",
    ) in said
    assert (
        "$.weights",
        "没有给承运商排序的权重：请给 cost 或 promise 一个大于 0 的权重",
        "例如 weights: {stock: 0.4, distance: 0.3, cost: 0.2, promise: 0.1}；没有权重时只按文件中的顺序决定",
    ) in said
    assert (
        "$.warehouses[3].name",
        "仓库 'SH-01' 列出了两次（第一次是第 1 个仓库）",
        "每个候选只列一次：求值记录和输出都按名称指明它们",
    ) in said
    carrier_twice = f"$.carriers[{len(doc['carriers']) - 1}].name"
    assert (carrier_twice, "承运商 'sf' 列出了两次（第一次是第 1 个承运商）") in {s[:2] for s in said}
    assert (
        "$.warehouses[1].distances.江苏",
        "仓库 'BJ-01' 写了到 '江苏' 的距离，却不配送到该省份",
        "把该省份加入 serves，或删除它的距离",
    ) in said
    english = {p.json_path: p.message for p in check_ruleset(doc, "r.yaml")}
    assert english[carrier_twice] == "carrier 'sf' is listed twice (first as carrier 1)"
    assert english["$.weights"] == "no weight ranks the carriers: give cost or promise a weight above 0"


@pytest.mark.parametrize(
    "change",
    [
        *(lambda d, key=key: d.update({key: []}) for key in ("rules", "outcomes", "default", "inputs")),
        lambda d: d.update(weights={"stock": 1}),
        lambda d: d.update(weights={"cost": 1}),
        lambda d: d.update(weights={"stock": 0, "distance": 0, "cost": 0, "promise": 0}),
        lambda d: d["warehouses"].append(copy.deepcopy(d["warehouses"][0])),
        lambda d: d["carriers"].append(copy.deepcopy(d["carriers"][-1])),
        lambda d: d["warehouses"][1].update(serves=["北京"]),
    ],
)
def test_every_problem_a_routing_check_words_is_said_in_both_languages(change: Any) -> None:
    doc = routing()
    change(doc)
    ours = [p for p in check_ruleset(doc, "r.yaml") if p.code in ROUTING_CODES]
    assert ours
    for problem in ours:
        assert_bilingual(problem)


def test_schema_refuses_unknown_criteria_and_missing_candidates() -> None:
    doc = routing(weights={"stock": 1, "speed": 1})
    del doc["carriers"]
    problems = [(p.json_path, p.message) for p in check_ruleset(doc, "r.yaml")]
    assert ("$", "'carriers' is a required property") in problems
    assert any(
        path == "$.weights.speed" and message.startswith("unknown key 'speed'") for path, message in problems
    )


@pytest.mark.parametrize("department", ["retail", "wholesale", "after-sales"])
def test_shipped_routing_files_compile_and_route(department: str) -> None:
    path = f"rules/{department}/routing.yaml"
    doc = yaml.safe_load((REPO / path).read_text(encoding="utf-8"))
    assert check_ruleset(doc, path) == []
    ruleset = compile_ruleset(doc, path)
    assert (ruleset.kind, ruleset.file) == ("routing", path)
    env = {
        "order": {
            "total": 800,
            "channel": "web",
            "type": "exchange",
            "address": {"province": "浙江"},
            "lines": [{"sku": "TEA-01", "qty": 3, "weight_kg": 0.5}],
            "account": {"tier": "gold"},
        },
        "stock": {"TEA-01": {"SH-01": 10, "GZ-01": 10, "BJ-01": 10, "CD-01": 10}},
    }
    decision = ruleset.evaluate(env)
    assert decision.outcome == "routed"
    assert decision.outputs["warehouse"] == "SH-01"  # nearest to 浙江 with full stock
    assert decision.outputs["carrier"] in {"sf", "jd", "zto", "yto", "ems"}


def test_retail_routing_sends_flash_sales_past_guangzhou() -> None:
    """A flash-sale order is an order of the retail-flash-sale workflow, from the app channel like any
    app order: it is the workflow that keeps it out of GZ-01, not the channel."""
    doc = yaml.safe_load((REPO / "rules/retail/routing.yaml").read_text(encoding="utf-8"))
    env = {
        "order": {
            "total": 300,
            "channel": "app",
            "workflow": "retail-flash-sale",
            "address": {"province": "广东"},
            "lines": [{"sku": "X", "qty": 1}],
        },
        "stock": {"X": {"GZ-01": 5, "SH-01": 5}},
    }
    decision = compile_ruleset(doc).evaluate(env)
    assert decision.outputs["warehouse"] == "SH-01"
    env["order"]["workflow"] = "retail-order"
    assert compile_ruleset(doc).evaluate(env).outputs["warehouse"] == "GZ-01"


@pytest.mark.parametrize(
    ("full", "short"),
    [
        ("上海市", "上海"),
        ("江苏省", "江苏"),
        ("广西壮族自治区", "广西"),
        ("内蒙古自治区", "内蒙古"),
        ("新疆维吾尔自治区", "新疆"),
        ("宁夏回族自治区", "宁夏"),
        ("香港特别行政区", "香港"),
        (" 北京 ", "北京"),
        ("省", "省"),  # nothing but a suffix is left alone
    ],
)
def test_provinces_compare_by_short_name(full: str, short: str) -> None:
    from engine.rules.routing import province_key

    assert province_key(full) == short


def test_an_address_and_a_file_naming_provinces_in_full_route_as_the_short_names_do() -> None:
    short = compile_ruleset(routing()).evaluate(order_env("江苏"))
    doc = routing()
    doc["warehouses"][0]["distances"] = {"江苏省": 300, "北京市": 1200}
    doc["carriers"][1]["provinces"] = ["上海市", "江苏省"]
    full = compile_ruleset(doc).evaluate(order_env("江苏省"))
    assert (full.outputs["warehouse"], full.outputs["carrier"]) == ("SH-01", "zto")
    assert full.outputs["scores"] == short.outputs["scores"]
    # the province of the warehouse itself: no distance, whatever form the address uses
    assert (
        compile_ruleset(routing()).evaluate(order_env("上海市")).outputs["scores"]["warehouses"]["SH-01"]
        == 1.0
    )
