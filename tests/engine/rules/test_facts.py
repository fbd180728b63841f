"""engine/rules/facts.py: unknown fields and text compared with numbers, judged against forms."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.common.text import Text
from engine.rules.facts import (
    Finding,
    Root,
    check_condition,
    check_ruleset,
    data_root,
    no_data,
    order_root,
    ruleset_outputs,
)

ORDER_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "total": {"type": "number"},
        "count": {"type": "integer"},
        "coupon": {"type": ["string", "null"]},
        "placed_at": {"type": "string", "format": "date-time"},
        "channel_code": {"const": "web"},
        "priority": {"enum": [1, 2, 3]},
        "customer": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"},
                "mobile": {"type": "string"},
                "tier": {"$ref": "#/$defs/tier"},
                "company": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"tax_id": {"type": "string"}},
                },
            },
        },
        "address": {"type": "object", "properties": {"province": {"type": "string"}}},
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
            },
        },
        "meta": {"type": "object"},
        "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        "codes": {
            "type": "object",
            "patternProperties": {"^c_": {"type": "number"}},
            "additionalProperties": False,
        },
        "gift": {
            "allOf": [
                {"type": "object", "properties": {"wrap": {"type": "boolean"}}},
                {"type": "object", "properties": {"message": {"type": "string"}}},
            ]
        },
        "pickup": {
            "anyOf": [
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"store": {"type": "string"}},
                },
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"locker": {"type": "string"}},
                },
            ]
        },
        "elsewhere": {"$ref": "https://example.com/other.json"},
        "anchored": {"$ref": "#tier"},
        "code": {"type": "string", "allOf": [{"minLength": 2}, {"maxLength": 8}]},
    },
    "$defs": {"tier": {"type": "string", "enum": ["gold", "silver"]}},
}
PAYMENT_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {"amount": {"type": "number"}, "card": {"type": "object", "properties": {"last4": {}}}},
}


def roots(**written: Any) -> dict[str, Root]:
    order = order_root(
        ("forms/order.json", ORDER_FORM),
        [("forms/payment.json", PAYMENT_FORM)],
        {name: [("action test.write", schema)] for name, schema in written.items()},
    )
    return {"order": order, "data": data_root(("forms/payment.json", PAYMENT_FORM), "pay")}


def found(text: str, **written: Any) -> list[tuple[int, str, str]]:
    return [(f.column, f.severity, f.message) for f in check_condition(text, roots(**written))]


# --- unknown fields --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "order.total > 0",
        "order.customer.name != '' and order.customer.company.tax_id != ''",
        "order.customer.tier == 'gold'",  # through $ref
        "order.lines[0].qty > 1 and order.lines[-1].sku == 'A'",
        "sum(pluck(order.lines, 'qty')) > 3",
        "order.meta.anything.below == 1",  # an object that declares nothing holds anything
        "order.tags.colour == 'red'",  # additionalProperties with a schema
        "order.codes.c_1 > 0",  # patternProperties
        "order.gift.wrap and order.gift.message != ''",  # allOf branches
        "order.pickup.store != None or order.pickup.locker != None",  # anyOf branches
        "order.elsewhere.whatever == 1",  # a $ref that cannot be followed is not judged
        "order.anchored.whatever == 1",  # nor an anchor
        "order.id > 0 and order.state == 'paid' and order.channel == 'web' and order.workflow != ''",
        "order.amount > 0",  # a field of a transition form: merged into the order
        "order['total'] > 0",
        "actor.name == 'x' and now != None and customer.tier == 'gold'",  # other names are not judged
        "data.amount > 0 and data.card.last4 != ''",
    ],
)
def test_known_fields_are_not_reported(text: str) -> None:
    assert found(text) == []


def test_a_misspelt_field_of_a_closed_record_is_an_error_with_did_you_mean() -> None:
    [finding] = check_condition("order.customer.mobil == '1'", roots())
    assert finding == Finding(
        Text(
            "未知字段 'order.customer.mobil'：order.customer 没有 'mobil'",
            "unknown field 'order.customer.mobil': order.customer has no 'mobil'",
        ),
        16,
        Text(
            "forms/order.json 不允许 order.customer 有其他字段（additionalProperties: false）；"
            "它的字段：name、mobile、tier、company",
            "forms/order.json closes order.customer (additionalProperties: false); "
            "its fields: name, mobile, tier, company",
        ),
        "unknown-field",
        "error",
        suggestion="mobile",
    )
    assert finding.message == (
        "unknown field 'order.customer.mobil': order.customer has no 'mobil'; did you mean 'mobile'?"
    )
    assert finding.message_in("zh") == (
        "未知字段 'order.customer.mobil'：order.customer 没有 'mobil'；您是否想输入 'mobile'？"
    )
    assert (
        finding.hint
        == finding.hint_in("en")
        == (
            "forms/order.json closes order.customer (additionalProperties: false); "
            "its fields: name, mobile, tier, company"
        )
    )


def test_nested_records_are_walked_to_the_deepest_field() -> None:
    assert found("order.customer.company.tax_ud != ''") == [
        (
            24,
            "error",
            "unknown field 'order.customer.company.tax_ud': order.customer.company has no 'tax_ud'; "
            "did you mean 'tax_id'?",
        )
    ]


def test_an_unknown_top_level_field_of_an_open_form_is_a_warning() -> None:
    [finding] = check_condition("order.totl > 0", roots())
    assert (finding.column, finding.severity, finding.code) == (7, "warning", "unknown-field")
    assert finding.message == "unknown field 'order.totl': the order has no 'totl'; did you mean 'total'?"
    assert finding.hint == (
        "forms/order.json does not declare it (the order is open to other fields) and no other form, "
        "action or rule output of the workflow writes it; declare it in forms/order.json if orders have it"
    )


def test_an_unknown_field_of_an_open_nested_record_is_a_warning_naming_what_it_declares() -> None:
    [finding] = check_condition("order.address.provnce == 'x'", roots())
    assert (finding.severity, finding.message) == (
        "warning",
        "unknown field 'order.address.provnce': order.address has no 'provnce'; did you mean 'province'?",
    )
    assert finding.hint == (
        "forms/order.json does not declare it in order.address, which it leaves open (declared: province); "
        "declare it there if orders carry it"
    )


def test_a_name_far_from_every_field_gets_no_suggestion() -> None:
    assert found("order.customer.zzz == 1")[0][2] == (
        "unknown field 'order.customer.zzz': order.customer has no 'zzz'"
    )


def test_array_items_are_walked_by_index_and_by_pluck() -> None:
    assert found("order.lines[0].qyt > 1 and max(pluck(order.lines, \"skuu\")) == 'A'") == [
        (16, "error", "unknown field 'order.lines[0].qyt': order.lines[0] has no 'qyt'; did you mean 'qty'?"),
        (
            52,
            "error",
            "unknown field 'order.lines[*].skuu': the items of order.lines have no 'skuu'; "
            "did you mean 'sku'?",
        ),
    ]


def test_the_name_a_comprehension_binds_stands_for_an_element_of_its_list() -> None:
    assert found("sum(l.qty for l in order.lines if l.sku == 'A') > 1 and any(x for x in order.meta)") == []
    assert found("sum(l.qyt for l in order.lines if l.skuu == 'A') > 1") == [
        (7, "error", "unknown field 'l.qyt': l has no 'qyt'; did you mean 'qty'?"),
        (37, "error", "unknown field 'l.skuu': l has no 'skuu'; did you mean 'sku'?"),
    ]
    assert found("count(l for l in order.liness) > 0")[0][:2] == (24, "warning")  # the order is open
    [(column, severity, message)] = found("any(l.qty > 'x' for l in order.lines)")
    assert (column, severity) == (5, "error") and "cannot order text and a number" in message


def test_a_field_of_a_list_or_of_text_is_always_missing() -> None:
    assert found("order.lines.qty > 1 or order.total.cents > 0") == [
        (13, "error", "'order.lines.qty' is always missing: order.lines is a list, not a record"),
        (36, "error", "'order.total.cents' is always missing: order.total is a number, not a record"),
    ]


def test_a_field_no_branch_of_any_of_declares_is_an_error_when_every_branch_is_closed() -> None:
    assert [s for _, s, _ in found("order.pickup.door != None")] == ["error"]
    assert [s for _, s, _ in found("order.gift.ribbon != None")] == ["warning"]  # allOf branches are open


def test_fields_written_by_actions_and_rules_are_known() -> None:
    assert found("order.loyalty_points > 0") != []
    assert found("order.loyalty_points > 0", loyalty_points={}) == []


def test_data_is_the_transition_form_whose_undeclared_top_level_fields_are_never_sent() -> None:
    assert found("data.amout > 0") == [
        (
            6,
            "error",
            "unknown field 'data.amout': the form of transition 'pay' has no 'amout'; did you mean 'amount'?",
        )
    ]
    # Below the top, the form's own additionalProperties decide: card is open.
    assert [s for _, s, _ in found("data.card.first4 != ''")] == ["warning"]


def test_data_of_a_step_without_a_form_is_always_missing() -> None:
    why = Text("流转 'review' 没有表单，不接收数据", "transition 'review' has no form, so it takes no data")
    where = {"data": no_data(why, Text("请读取 order.{name}", "read order.{name}"))}
    [finding] = check_condition("data.amount > 0", where)
    assert (finding.message_in("zh"), finding.hint_in("zh")) == (
        "'data.amount' 总是缺失：流转 'review' 没有表单，不接收数据",
        "请读取 order.amount",
    )
    assert (finding.message, finding.hint) == (
        "'data.amount' is always missing: transition 'review' has no form, so it takes no data",
        "read order.amount",
    )


def test_columns_count_characters_after_leading_blanks_and_line_breaks() -> None:
    text = "  order.total > 0 and\n  order.custmer.name == '中文' and order.customer.mobil"
    assert [f.column for f in check_condition(text, roots())] == [31, 71]
    assert text[30:37] == "custmer" and text[70:75] == "mobil"


def test_a_condition_outside_the_language_is_left_to_the_language_check() -> None:
    assert found("order.totl >") == []
    assert found("__import__('os')") == []


# --- text compared with a number -------------------------------------------------------------------


MISMATCHES = [
    (
        "order.customer.name > 5",
        1,
        "order.customer.name (text; type: string) is compared with 5 (a number): "
        "'>' cannot order text and a number, so the condition cannot be evaluated",
    ),
    (
        'order.total == "100"',
        1,
        'order.total (a number; type: number) is compared with "100" (text): '
        "'==' between text and a number is always false",
    ),
    (
        "order.count != 'x'",
        1,
        "order.count (a number; type: integer) is compared with 'x' (text): "
        "'!=' between text and a number is always true",
    ),
    (
        "3 <= order.coupon",
        1,
        "3 (a number) is compared with order.coupon (text; type: [string, null]): "
        "'<=' cannot order text and a number, so the condition cannot be evaluated",
    ),
    (
        "order.channel_code == 1",
        1,
        "order.channel_code (text; const: 'web') is compared with 1 (a number): "
        "'==' between text and a number is always false",
    ),
    (
        "order.priority == 'high'",
        1,
        "order.priority (a number; enum: 1, 2, 3) is compared with 'high' (text): "
        "'==' between text and a number is always false",
    ),
    (
        "0 < order.total < '9'",
        5,
        "order.total (a number; type: number) is compared with '9' (text): "
        "'<' cannot order text and a number, so the condition cannot be evaluated",
    ),
    (
        "order.code == 5",
        1,
        "order.code (text; type: string) is compared with 5 (a number): "
        "'==' between text and a number is always false",
    ),
    (
        "max(pluck(order.lines, 'qty')) > '3'",
        1,
        "max(pluck(order.lines, 'qty')) (a number; type: integer) is compared with '3' (text): "
        "'>' cannot order text and a number, so the condition cannot be evaluated",
    ),
    (
        "lower(order.customer.name) == order.total * 2",
        1,
        "lower(order.customer.name) (text) is compared with order.total * 2 (a number): "
        "'==' between text and a number is always false",
    ),
    (
        "order.customer.tier in [1, 2]",
        1,
        "order.customer.tier (text; type: string, enum: 'gold', 'silver') is looked for among [1, 2] "
        "(numbers): 'in' never finds text among numbers",
    ),
    (
        "7 not in order.customer.name",
        1,
        "7 (a number) is looked for in order.customer.name (text; type: string): "
        "'not in' cannot look for a number inside text, so the condition cannot be evaluated",
    ),
    (
        "'A' in pluck(order.lines, 'qty')",
        1,
        "'A' (text) is looked for among pluck(order.lines, 'qty') (numbers): "
        "'in' never finds text among numbers",
    ),
]


@pytest.mark.parametrize(("text", "column", "message"), MISMATCHES)
def test_text_compared_with_a_number_is_an_error(text: str, column: int, message: str) -> None:
    [finding] = check_condition(text, roots())
    assert (finding.column, finding.message, finding.code, finding.severity) == (
        column,
        message,
        "type-mismatch",
        "error",
    )


@pytest.mark.parametrize(
    "text",
    [
        "order.coupon == None",  # a nullable field compared with None
        "order.total == None or order.total is None",
        "order.customer.name == 'x' and order.total > 5 and order.count >= 1.5",
        "order.customer.name + 'x' == 'yx' and order.total + 1 > 2",
        "order.meta.x == 5 and order.meta.x == 'five'",  # unknown types are never judged
        "order.customer.tier in ['gold', 'silver'] and 'A' in pluck(order.lines, 'sku')",
        "len(order.customer.name) > 3 and days_since(order.placed_at) > 7",
        "order.total in [1, 'two']",  # a list of mixed values may hold a match
        "order.gift.wrap == 1",  # true/false against a number is not this check's business
        "data.amount >= order.total",
    ],
)
def test_comparisons_of_compatible_or_unknown_types_are_not_reported(text: str) -> None:
    assert found(text) == []


HINTS = [
    (
        "order.customer.name > 5",
        "quote the number to compare text ('5'), or compare a number field with 5",
    ),
    ('order.total == "100"', 'write the number without quotes (100), or compare a text field with "100"'),
    (
        "order.total == 'many'",
        "order.total is a number: compare it with a number, or compare a text field",
    ),
    (
        "order.placed_at > 7",
        "order.placed_at is a date written as text: "
        "compare days_since(order.placed_at) with a number of days",
    ),
    (
        "order.total == order.customer.name",
        "compare a text field with text and a number field with a number",
    ),
]


@pytest.mark.parametrize(("text", "hint"), HINTS)
def test_each_mismatch_says_how_to_fix_it(text: str, hint: str) -> None:
    [finding] = check_condition(text, roots())
    assert finding.hint == hint


# --- rule files ------------------------------------------------------------------------------------


TABLE: dict[str, Any] = {
    "kind": "decision_table",
    "hit_policy": "first",
    "inputs": [{"name": "tier", "expr": "order.customer.tier"}, {"name": "amount", "expr": "order.totl"}],
    "outputs": ["outcome", "rate", "label"],
    "default_outputs": {"rate": 0},
    "rules": [
        {
            "name": "a",
            "cells": {"tier": "> 5", "amount": "-"},
            "then": {"outcome": "x", "rate": 1, "label": "a"},
        },
        {"name": "b", "cells": {"tier": "[1..5]"}, "when": "order.total == 'x'", "then": {"outcome": "x"}},
        {"name": "c", "cells": {"tier": 'not("gold", 3)', "amount": "> 5"}, "then": {"outcome": "x"}},
        {"name": "d", "cells": {"tier": '"gold"', "missing": "> 5"}, "then": {"outcome": "x"}},
    ],
}


def test_a_decision_table_is_checked_in_its_inputs_whens_and_cells() -> None:
    result = [(path, f.column, f.severity, f.message) for path, f in check_ruleset(TABLE, roots())]
    tier = "input 'tier' = order.customer.tier (text; type: string, enum: 'gold', 'silver')"
    assert result == [
        (
            "$.inputs[1].expr",
            7,
            "warning",
            "unknown field 'order.totl': the order has no 'totl'; did you mean 'total'?",
        ),
        (
            "$.rules[1].when",
            1,
            "error",
            "order.total (a number; type: number) is compared with 'x' (text): "
            "'==' between text and a number is always false",
        ),
        (
            "$.rules[0].cells.tier",
            1,
            "error",
            f"row 'a', cell '> 5': {tier} is compared with 5 (a number): "
            "'>' cannot order text and a number, so the condition cannot be evaluated",
        ),
        (  # one finding for the range, not one per bound
            "$.rules[1].cells.tier",
            1,
            "error",
            f"row 'b', cell '[1..5]': 1 (a number) is compared with {tier}: "
            "'<=' cannot order text and a number, so the condition cannot be evaluated",
        ),
        # Row c's not("gold", 3) mixes text and a number: it may match, so it is not judged. Row c's amount
        # reads an unknown field (no type), and row d's 'missing' input is the table check's to report.
    ]


def test_audit_and_routing_conditions_are_checked_where_they_are() -> None:
    audit = {
        "kind": "audit",
        "rules": [{"name": "a", "when": "order.totl > 1"}, {"name": "b", "when": "x >"}],
    }
    assert [path for path, _ in check_ruleset(audit, roots())] == ["$.rules[0].when"]
    routing = {
        "kind": "routing",
        "warehouses": [{"name": "w", "when": "order.customer.nam == 'x'"}],
        "carriers": [{"name": "c"}, {"name": "d", "when": "order.total < '5'"}],
    }
    assert [(path, f.code) for path, f in check_ruleset(routing, roots())] == [
        ("$.warehouses[0].when", "unknown-field"),
        ("$.carriers[1].when", "type-mismatch"),
    ]


# --- values a field never takes --------------------------------------------------------------------


def channel_roots(channels: list[str]) -> dict[str, Root]:
    return {"order": order_root(("forms/order.json", ORDER_FORM), channels=channels)}


def test_a_channel_the_workflow_does_not_list_is_never_the_orders_a_warning() -> None:
    """The flash-sale routing condition as it was: flash-sale orders come through the app."""
    [finding] = check_condition("order.channel != 'flash-sale'", channel_roots(["web", "app"]))
    assert (finding.column, finding.severity, finding.code) == (18, "warning", "never-value")
    assert finding.message == (
        "order.channel is never 'flash-sale': it is one of 'web', 'app', none (the workflow's channels), "
        "so '!=' is always true"
    )
    assert "order.workflow names the workflow an order runs" in (finding.hint or "")
    # a channel the workflow does not list (this one takes only app orders), and lists of them
    [web] = check_condition("order.channel == 'web'", channel_roots(["app"]))
    assert web.message.endswith("so '==' is always false")
    [among] = check_condition("order.channel in ['app', 'phone', 'emial']", channel_roots(["app", "email"]))
    assert (among.column, among.message) == (
        26,
        "order.channel is never 'phone', 'emial': it is one of 'app', 'email', none (the workflow's "
        "channels)",
    )
    assert among.hint is not None and among.hint.startswith("'emial': did you mean 'email'?; compare with")
    [never_in] = check_condition("order.channel not in ['phone']", channel_roots(["app"]))
    assert never_in.message.endswith("so 'not in' is always true")


@pytest.mark.parametrize(
    "text",
    [
        "order.channel == 'app' or order.channel != 'web'",
        "order.channel == None",  # an order placed without a channel
        "order.channel in ['web', None]",
        "order.customer.tier != 'gold'",
        "order.priority in [1, 3.0]",
        "order.total == 'x'",  # a type mismatch, reported as that (an error), not twice
        "order.coupon == 'SPRING'",  # text with no list of values
        "order.channel_code == 'web'",  # const
        "lower(order.customer.tier) == 'GOLD'",  # what a function returns is not judged
    ],
)
def test_values_a_field_may_take_are_not_reported(text: str) -> None:
    findings = check_condition(text, channel_roots(["web", "app"]))
    assert [f for f in findings if f.code == "never-value"] == []


def test_an_enum_or_const_of_the_forms_bounds_the_values_too() -> None:
    [tier] = check_condition("order.customer.tier == 'platinum'", roots())
    assert (tier.severity, tier.message) == (
        "warning",
        "order.customer.tier is never 'platinum': it is one of 'gold', 'silver' (forms/order.json), "
        "so '==' is always false",
    )
    [priority] = check_condition("order.priority != 4", roots())
    assert priority.message.startswith("order.priority is never 4: it is one of 1, 2, 3")
    [code] = check_condition("'app' == order.channel_code", roots())
    assert (code.column, code.message.split(":")[0]) == (1, "order.channel_code is never 'app'")
    # a field an action also writes, with no list of values: not judged
    assert check_condition("order.customer.tier == 'platinum'", roots(customer={})) == []


def test_what_rule_files_write_into_the_order() -> None:
    routing = ruleset_outputs({"kind": "routing"})
    assert set(routing) == {"warehouse", "carrier", "split"}
    table = ruleset_outputs(TABLE)
    # rate has a default, so it is always a number; label may be missing (None) when no row matches
    assert table == {"rate": {"type": ["number"]}, "label": {"type": ["null", "string"]}}
    collect = {**TABLE, "hit_policy": "collect", "aggregation": {"rate": "sum"}}
    assert ruleset_outputs(collect) == {"rate": {"type": "number"}, "label": {"type": "array"}}
    assert ruleset_outputs({"kind": "audit"}) == {}


def test_rule_outputs_in_the_order_are_walked_and_typed() -> None:
    written = {
        "order": order_root(
            ("forms/order.json", ORDER_FORM),
            written={
                name: [("rules/r.yaml", schema)]
                for name, schema in ruleset_outputs({"kind": "routing"}).items()
            },
        )
    }
    assert check_condition("order.carrier != None and order.split[0].lines[0].qty > 0", written) == []
    assert [f.message for f in check_condition("order.split[0].wharehouse == 'SH-01'", written)] == [
        "unknown field 'order.split[0].wharehouse': order.split[0] has no 'wharehouse'; "
        "did you mean 'warehouse'?"
    ]
    assert [f.code for f in check_condition("order.carrier > 3", written)] == ["type-mismatch"]


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("order.data.total.customer.name.lines[0]()'\" <>=!+-*/ 3,in")),
        max_size=60,
    )
)
def test_any_text_is_judged_without_raising(text: str) -> None:
    for finding in check_condition(text, roots()):
        assert finding.column >= 1 and finding.code in ("unknown-field", "type-mismatch")


INTAKE_WITH_CONDITION: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"needs_invoice": {"type": "boolean"}, "total": {"type": "number"}},
    # a conditional that only makes a field required: it declares nothing, so it judges nothing
    "if": {"properties": {"needs_invoice": {"const": True}}, "required": ["needs_invoice"]},
    "then": {"required": ["invoice_title"]},
    "else": {"properties": {"reason_no_invoice": {"type": "string"}}},
}


def test_a_conditional_in_another_form_leaves_the_order_judged() -> None:
    """An intake form with ``if``/``then``/``else`` once left every field of the order unjudged, so a
    misspelt ``order.totl`` passed; its parts now count where they declare fields."""
    order = order_root(("forms/order.json", ORDER_FORM), [("forms/intake.json", INTAKE_WITH_CONDITION)])
    [finding] = check_condition("order.totl > 0", {"order": order})
    assert (finding.severity, finding.message) == (
        "warning",
        "unknown field 'order.totl': the order has no 'totl'; did you mean 'total'?",
    )
    assert check_condition("order.reason_no_invoice != None and order.needs_invoice", {"order": order}) == []
    data = data_root(("forms/intake.json", INTAKE_WITH_CONDITION), "create")
    [finding] = check_condition("data.needs_invoce", {"data": data})
    assert (finding.severity, finding.message) == (
        "error",
        "unknown field 'data.needs_invoce': the form of transition 'create' has no 'needs_invoce'; "
        "did you mean 'needs_invoice'?",
    )


def test_a_conditional_inside_a_closed_record_keeps_it_closed() -> None:
    """additionalProperties: false beside an if/then: an unknown field is still an error, not a warning
    saying the record is open."""
    closed = {**INTAKE_WITH_CONDITION, "properties": {**INTAKE_WITH_CONDITION["properties"]}}
    closed["if"] = {"properties": {"needs_invoice": {"const": True}}}
    order = order_root(("forms/order.json", closed))
    [finding] = check_condition("order.totl > 0", {"order": order})
    assert finding.severity == "error" and "did you mean 'total'?" in finding.message
    assert "open" not in (finding.hint or "")
    nested_form = {
        "type": "object",
        "properties": {"invoice": {**closed, "properties": {"tax_id": {"type": "string"}}}},
    }
    [finding] = check_condition(
        "order.invoice.tax_idd", {"order": order_root(("forms/order.json", nested_form))}
    )
    assert finding.severity == "error" and "did you mean 'tax_id'?" in finding.message


# --- findings in Chinese and English --------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_chinese(zh: str | None, en: str | None) -> None:
    """``zh`` is written in Chinese, not the English passed through."""
    assert zh is not None and CJK.search(zh), (zh, en)
    assert zh != en


def assert_worded_in_both(finding: Finding) -> None:
    assert_chinese(finding.words.zh, finding.words.en)
    assert_chinese(finding.message_in("zh"), finding.message)
    assert finding.message_in("en") == finding.message
    if finding.hint_words is not None:
        assert_chinese(finding.hint_in("zh"), finding.hint)


UNKNOWN_FIELDS = [
    "order.customer.mobil == '1'",
    "order.customer.company.tax_ud != ''",
    "order.totl > 0",
    "order.address.provnce == 'x'",
    "order.customer.zzz == 1",
    "order.lines[0].qyt > 1 and max(pluck(order.lines, \"skuu\")) == 'A'",
    "order.lines.qty > 1 or order.total.cents > 0 or order.coupon.x or order.gift.wrap.x",
    "order.pickup.door != None",
    "order.gift.ribbon != None",
    "order.loyalty_points > 0",
    "data.amout > 0",
    "data.card.first4 != ''",
    "order.customer.tier == 'platinum' or order.priority != 4 or 'app' == order.channel_code",
]


@pytest.mark.parametrize("text", UNKNOWN_FIELDS + [text for text, _column, _message in MISMATCHES])
def test_every_finding_is_worded_in_chinese_and_english(text: str) -> None:
    findings = check_condition(text, roots())
    assert findings
    for finding in findings:
        assert_worded_in_both(finding)


@pytest.mark.parametrize(("text", "hint"), HINTS)
def test_each_mismatch_says_how_to_fix_it_in_chinese_too(text: str, hint: str) -> None:
    [finding] = check_condition(text, roots())
    assert finding.hint == hint
    assert_chinese(finding.hint_in("zh"), hint)


@pytest.mark.parametrize(
    ("text", "zh", "hint"),
    [
        (
            "order.totl > 0",
            "未知字段 'order.totl'：订单没有 'totl'；您是否想输入 'total'？",
            "forms/order.json 没有声明它（订单允许有其他字段），"
            "工作流的其他表单、动作和规则输出也都不写入它；如果订单有这个字段，请在 forms/order.json 中声明",
        ),
        (
            "order.lines[0].qty > 1 and max(pluck(order.lines, 'skuu')) == 'A'",
            "未知字段 'order.lines[*].skuu'：order.lines 的元素没有 'skuu'；您是否想输入 'sku'？",
            "forms/order.json 不允许 order.lines 的元素有其他字段（additionalProperties: false）；"
            "它的字段：sku、qty",
        ),
        (
            "data.amout > 0",
            "未知字段 'data.amout'：流转 'pay' 的表单没有 'amout'；您是否想输入 'amount'？",
            "只会提交 forms/payment.json 声明的字段：amount、card",
        ),
        (
            "order.lines.qty > 1",
            "'order.lines.qty' 总是缺失：order.lines 是列表，不是记录",
            '请读取其中一个元素（order.lines[0].qty）或每个元素（pluck(order.lines, "qty")）',
        ),
        (
            "order.gift.wrap.x",
            "'order.gift.wrap.x' 总是缺失：order.gift.wrap 是 true/false，不是记录",
            "请直接读取 order.gift.wrap，或读取某个记录的字段",
        ),
        (
            "order.customer.name > 5",
            "order.customer.name（文本；type: string）与 5（数字）相比较："
            "'>' 不能比较文本与数字的大小，因此条件无法求值",
            "要与文本比较，请给数字加上引号（'5'），或用数字字段与 5 比较",
        ),
        (
            "7 not in order.customer.name",
            "在 order.customer.name（文本；type: string）中查找 7（数字）："
            "'not in' 不能在文本中查找数字，因此条件无法求值",
            "要与文本比较，请给数字加上引号（'7'），或用数字字段与 7 比较",
        ),
        (
            "order.placed_at > 7",
            "order.placed_at（文本；type: string, format: date-time）与 7（数字）相比较："
            "'>' 不能比较文本与数字的大小，因此条件无法求值",
            "order.placed_at 是以文本写成的日期：请用 days_since(order.placed_at) 与天数比较",
        ),
        (
            "order.customer.tier == 'platinum'",
            "order.customer.tier 不会是 'platinum'：它只会是 'gold'、'silver' 之一（forms/order.json），"
            "所以 '==' 总是 false",
            "请与它可能取的值比较，或用其他字段区分订单（order.workflow 是订单运行的工作流）",
        ),
    ],
)
def test_findings_read_in_chinese(text: str, zh: str, hint: str) -> None:
    [finding] = check_condition(text, roots())
    assert (finding.message_in("zh"), finding.hint_in("zh")) == (zh, hint)


def test_values_a_field_never_takes_read_in_chinese() -> None:
    [among] = check_condition("order.channel in ['app', 'phone', 'emial']", channel_roots(["app", "email"]))
    assert among.message_in("zh") == (
        "order.channel 不会是 'phone'、'emial'：它只会是 'app'、'email'、空之一（工作流的渠道）"
    )
    assert among.hint_in("zh") == (
        "'emial'：您是否想输入 'email'？"
        "请与它可能取的值比较，或用其他字段区分订单（order.workflow 是订单运行的工作流）"
    )
    written = {"level": [(Text("动作 crm.level", "action crm.level"), {"enum": ["a", "b"]})]}
    order = order_root(("forms/order.json", ORDER_FORM), written=written)
    [level] = check_condition("order.level == 'c'", {"order": order})
    assert (
        level.message_in("zh")
        == "order.level 不会是 'c'：它只会是 'a'、'b' 之一（动作 crm.level），所以 '==' 总是 false"
    )
    assert (
        level.message
        == "order.level is never 'c': it is one of 'a', 'b' (action crm.level), so '==' is always false"
    )


def test_a_decision_tables_cells_read_in_chinese() -> None:
    table = {**TABLE, "rules": [*TABLE["rules"], {"cells": {"tier": "> 5"}, "then": {"outcome": "x"}}]}
    found = dict(check_ruleset(table, roots()))
    assert found["$.rules[0].cells.tier"].message_in("zh") == (
        "行 'a' 的单元格 '> 5'：输入 'tier' = order.customer.tier"
        "（文本；type: string, enum: 'gold', 'silver'）与 5（数字）相比较："
        "'>' 不能比较文本与数字的大小，因此条件无法求值"
    )
    assert found["$.rules[4].cells.tier"].message_in("zh").startswith("第 5 行的单元格 '> 5'：输入 'tier'")
    assert found["$.rules[4].cells.tier"].message.startswith("row 'row 5', cell '> 5': input 'tier'")
    for finding in found.values():
        assert_worded_in_both(finding)
