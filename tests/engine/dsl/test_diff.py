"""engine/dsl/diff.py: the text diff and the changes in meaning between two published versions."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from engine.common.words import WORDS
from engine.dsl.compiler import Bundle, load_bundle
from engine.dsl.diff import (
    _STATE_KEYS,
    _TRANSITION_KEYS,
    MAX_TEXT,
    Change,
    ChangeKind,
    Changes,
    bundle_changes,
    compare_texts,
    text_diff,
)
from engine.dsl.loader import load_yaml
from engine.rules.kinds import KINDS

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = sorted((ROOT / "workflows").rglob("*.yaml"))

ADDED, REMOVED, CHANGED = ChangeKind.ADDED, ChangeKind.REMOVED, ChangeKind.CHANGED


def bundle(name: str) -> Bundle:
    return load_bundle(ROOT / "workflows" / name, ROOT)


def content(name: str) -> dict[str, Any]:
    return copy.deepcopy(bundle(name).content())


def seen(changes: tuple[Change, ...]) -> list[tuple[ChangeKind, str, str]]:
    return [(c.kind, c.what, c.name) for c in changes]


def one(changes: tuple[Change, ...], name: str) -> Change:
    (found,) = [c for c in changes if c.name == name]
    return found


# --- text_diff -------------------------------------------------------------------------------------------


def test_a_text_diff_is_the_unified_diff_of_the_lines() -> None:
    old = "states:\n  paid: {}\n  shipped: {}\n"
    new = "states:\n  paid: {}\n  delivered: {}\n"
    assert text_diff(old, new, "v1/order.yaml", "v2/order.yaml") == [
        "--- v1/order.yaml",
        "+++ v2/order.yaml",
        "@@ -1,3 +1,3 @@",
        " states:",
        "   paid: {}",
        "-  shipped: {}",
        "+  delivered: {}",
    ]


def test_a_text_diff_shows_only_the_lines_near_a_change() -> None:
    old = "".join(f"line {n}\n" for n in range(100))
    new = old.replace("line 50\n", "line fifty\n")
    lines = text_diff(old, new, "a", "b")
    assert lines[2] == "@@ -48,7 +48,7 @@" and len(lines) == 3 + 7 + 1
    assert "-line 50" in lines and "+line fifty" in lines


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("", ""),
        ("a\nb\n", "a\nb\n"),
        ("a\r\nb\r\n", "a\nb\n"),  # line endings are no change
        ("a\nb", "a\nb\n"),  # nor is the final newline
    ],
)
def test_texts_with_the_same_lines_have_no_diff(old: str, new: str) -> None:
    assert text_diff(old, new, "old", "new") == []


def test_a_text_diff_from_or_to_nothing_and_in_any_script() -> None:
    assert text_diff("", "名称: 零售\n", "old", "new") == [
        "--- old",
        "+++ new",
        "@@ -0,0 +1 @@",
        "+名称: 零售",
    ]
    assert text_diff("a\n", "", "old", "new") == ["--- old", "+++ new", "@@ -1 +0,0 @@", "-a"]


# --- the workflow ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_version_against_itself_or_its_stored_form_has_no_change(path: Path) -> None:
    published = load_bundle(path, ROOT)
    stored = Bundle.from_json(published.to_json())
    for old, new in [(published, published), (published, stored), (published.content(), stored)]:
        changes = bundle_changes(old, new)
        assert changes == Changes() and not changes
        assert changes.to_dict() == {
            "workflow": [],
            "states": [],
            "transitions": [],
            "rules": [],
            "forms": [],
            "records": [],
        }


def test_an_overlay_against_its_base_shows_what_it_tailors() -> None:
    overlay, _, _ = load_yaml((ROOT / "workflows/retail/flash-sale.yaml").read_text(encoding="utf-8"), "x")
    changes = bundle_changes(bundle("retail/order.yaml"), bundle("retail/flash-sale.yaml"))
    assert {c.name for c in changes.states if c.kind is REMOVED} == set(overlay["remove"]["states"])
    removed = {c.name for c in changes.transitions if c.kind is REMOVED}
    for transition in overlay["remove"]["transitions"]:
        sources = transition["source"] if isinstance(transition["source"], list) else [transition["source"]]
        assert f"{transition['trigger']} from {', '.join(sorted(sources))}" in removed
    pending = one(changes.states, "pending_payment")
    assert (pending.kind, pending.after) == (CHANGED, "timers: after 10m: cancel (unpaid_timeout)")
    # the base's timer waits only while no payment is authorized; the flash sale's cancels at 10 minutes
    assert pending.before.startswith("timers: after 30m: cancel (unpaid_timeout) when count(")
    cancel = one(changes.transitions, "cancel from pending_payment")  # the timer that fires it changed
    assert cancel.before.startswith("timers: after 30m in pending_payment (unpaid_timeout) when count(")
    assert cancel.after == "timers: after 10m in pending_payment (unpaid_timeout)"
    review = one(changes.transitions, "review from paid")
    assert review.before == (
        "dest: approve: pending_shipment, hold: on_hold, reject: rejected; rules: rules/retail/audit.yaml"
    )
    assert review.after == (
        "dest: approve: pending_shipment, hold: rejected, reject: rejected; "
        "rules: rules/retail/flash-sale-audit.yaml"
    )
    assert seen(changes.rules) == [
        (REMOVED, "rule_file", "rules/retail/audit.yaml"),
        (ADDED, "rule_file", "rules/retail/flash-sale-audit.yaml"),
    ]
    assert one(changes.rules, "rules/retail/flash-sale-audit.yaml").after == (
        "ruleset: retail-flash-sale-audit; kind: audit; rules: 6"
    )
    assert ("channels: web, app", "channels: app") in {(c.before, c.after) for c in changes.workflow}
    # the same forms by the same paths, but the reject's: its step is one the overlay removes
    assert [(c.kind, c.what, c.name) for c in changes.forms] == [
        (REMOVED, "form", "forms/retail/reject.json"),
        (REMOVED, "layout", "forms/retail/reject.json"),
    ]


def test_states_added_removed_and_changed_each_with_what_it_was_and_is() -> None:
    old = content("wholesale/order.yaml")
    new = copy.deepcopy(old)
    states = new["workflow"]["states"]
    states["credit_hold"]["label"] = {"zh": "信用冻结", "en": "Credit frozen"}
    states["credit_hold"]["queue"] = "credit-desk"
    states["on_ice"] = {"label": {"zh": "暂停", "en": "On ice"}}
    del states["out_of_stock"]
    states["completed"]["final"] = False
    payment = states["fulfilling"]["parallel"]["payment"]
    payment["initial"] = "paid"
    payment["states"]["refunded"] = {"label": {"zh": "已退款", "en": "Refunded"}, "final": True}
    payment["states"]["awaiting"]["timers"] = [
        {"after": "3d", "trigger": "remind", "when": "order.total > 0"}
    ]
    changes = bundle_changes(old, new)
    assert seen(changes.states) == [
        (CHANGED, "state", "completed"),
        (CHANGED, "state", "credit_hold"),
        (CHANGED, "state", "fulfilling"),
        (CHANGED, "state", "fulfilling.payment.awaiting"),
        (ADDED, "state", "fulfilling.payment.refunded"),
        (ADDED, "state", "on_ice"),
        (REMOVED, "state", "out_of_stock"),
    ]
    assert (one(changes.states, "completed").before, one(changes.states, "completed").after) == (
        "final: true",
        "final: false",
    )
    credit = one(changes.states, "credit_hold")
    assert credit.before == "label: zh: 信用待审, en: Credit hold; queue: credit-review"
    assert credit.after == "label: zh: 信用冻结, en: Credit frozen; queue: credit-desk"
    fulfilling = one(changes.states, "fulfilling")
    assert fulfilling.before == "regions: payment: initial awaiting, shipping: initial in_progress"
    assert fulfilling.after == "regions: payment: initial paid, shipping: initial in_progress"
    assert one(changes.states, "fulfilling.payment.awaiting").after == (
        "timers: after 3d: remind when order.total > 0"
    )
    assert (
        one(changes.states, "fulfilling.payment.refunded").after
        == "label: zh: 已退款, en: Refunded; final: true"
    )
    assert one(changes.states, "on_ice").before is None
    assert one(changes.states, "out_of_stock").after is None
    assert one(changes.states, "out_of_stock").before.startswith(
        "label: zh: 缺货待补, en: Backordered; queue:"
    )


def test_transitions_are_known_by_trigger_and_source() -> None:
    old = content("retail/order.yaml")
    new = copy.deepcopy(old)
    transitions = new["workflow"]["transitions"]
    by_name = {(t["trigger"], str(t["source"])): t for t in transitions}
    by_name[("pay", "pending_payment")]["roles"] = ["clerk", "service"]
    by_name[("pay", "pending_payment")]["when"] = "data.amount >= order.total - order.discount"
    by_name[("request_return", "['delivered', 'partly_returned']")]["form"] = (
        "forms/retail/return-request-v2.json"
    )
    by_name[("all_delivered", "shipped")]["dest"] = "completed"
    by_name[("hold", "['paid', 'pending_shipment']")]["source"] = ["pending_shipment", "paid"]  # reordered
    transitions.remove(by_name[("release", "on_hold")])
    transitions.append(
        {"trigger": "escalate", "source": "on_hold", "dest": "cancelled", "roles": ["reviewer"]}
    )
    # a second transition on one trigger and source
    transitions.append({"trigger": "pay", "source": "pending_payment", "dest": "paid", "when": "order.vip"})
    new["workflow"]["states"]["shipped"]["timers"] = [{"after": "14d", "trigger": "all_delivered"}]
    changes = bundle_changes(old, new)
    assert seen(changes.transitions) == [
        (CHANGED, "transition", "all_delivered from shipped"),
        (ADDED, "transition", "escalate from on_hold"),
        (CHANGED, "transition", "pay from pending_payment"),
        (ADDED, "transition", "pay from pending_payment #2"),
        (REMOVED, "transition", "release from on_hold"),
        (CHANGED, "transition", "request_return from delivered, partly_returned"),
    ]
    deliver = one(changes.transitions, "all_delivered from shipped")
    assert (deliver.before, deliver.after) == (
        "dest: delivered; timers: —",
        "dest: completed; timers: after 14d in shipped",
    )
    pay = one(changes.transitions, "pay from pending_payment")
    assert pay.before == "when: data.amount <= order.total; roles: clerk"
    assert pay.after == "when: data.amount >= order.total - order.discount; roles: clerk, service"
    ask = one(changes.transitions, "request_return from delivered, partly_returned")
    assert (ask.before, ask.after) == (
        "form: forms/retail/return-request.json",
        "form: forms/retail/return-request-v2.json",
    )
    assert one(changes.transitions, "escalate from on_hold").after == "dest: cancelled; roles: reviewer"
    assert one(changes.transitions, "pay from pending_payment #2").after == "dest: paid; when: order.vip"
    release = one(changes.transitions, "release from on_hold")
    assert release.before == (
        "dest: pending_shipment; roles: reviewer; shows: lines, total; label: zh: 审核通过, en: Approve"
    )
    assert one(changes.states, "shipped").after == "timers: after 14d: all_delivered"


def test_the_order_of_states_transitions_and_entries_is_no_change() -> None:
    old = content("wholesale/order.yaml")
    new = copy.deepcopy(old)
    workflow = new["workflow"]
    workflow["states"] = dict(reversed(list(workflow["states"].items())))
    workflow["transitions"] = list(reversed(workflow["transitions"]))
    for doc in new["rulesets"].values():
        for key in KINDS[doc["kind"]].named:
            doc[key] = list(reversed(doc[key]))
    for form in new["forms"].values():
        form["properties"] = dict(reversed(list(form["properties"].items())))
    assert not bundle_changes(old, new)
    assert not bundle_changes(json.loads(json.dumps(old)), new)  # keys sorted, as a stored copy may be


def test_the_workflow_settings_by_key() -> None:
    old = content("retail/order.yaml")
    new = copy.deepcopy(old)
    new["workflow"]["initial"] = "routed"
    new["workflow"]["roles"].append("auditor")
    del new["workflow"]["create_roles"]
    new["workflow"]["intake"] = {"phone": "forms/retail/intake-phone.json"}
    changes = bundle_changes(old, new)
    assert [(c.kind, c.name, c.before, c.after) for c in changes.workflow] == [
        (REMOVED, "create_roles", "create_roles: clerk, service", None),
        (CHANGED, "initial", "initial: created", "initial: routed"),
        (
            CHANGED,
            "intake",
            "intake: web: forms/retail/intake-web.json, app: forms/retail/intake-app.json",
            "intake: phone: forms/retail/intake-phone.json",
        ),
        (
            CHANGED,
            "roles",
            "roles: clerk, reviewer, warehouse, service",
            "roles: clerk, reviewer, warehouse, service, auditor",
        ),
    ]


def test_record_kinds_their_states_and_transitions_added_removed_and_changed() -> None:
    """``records:`` read as one setting cut short: each kind, and a kept kind's states and steps, are
    compared as the order's are, named by the kind, worded with its labels."""
    old = content("retail/order.yaml")
    new = copy.deepcopy(old)
    shipment = new["workflow"]["records"]["shipment"]
    shipment["label"] = {"zh": "包裹", "en": "Parcel"}
    shipment["states"]["returned"] = {"label": {"zh": "已退回", "en": "Returned"}, "final": True}
    del shipment["states"]["cancelled"]
    shipment["transitions"] = [t for t in shipment["transitions"] if t["trigger"] != "cancel"]
    deliver = next(t for t in shipment["transitions"] if t["trigger"] == "deliver")
    deliver["roles"] = ["warehouse"]
    del new["workflow"]["records"]["payment"]
    new["workflow"]["records"]["note"] = {"label": {"zh": "备注", "en": "Note"}, "initial": "open"}
    changes = bundle_changes(old, new)
    assert "records" not in [c.name for c in changes.workflow]
    assert seen(changes.records) == [
        (ADDED, "record_kind", "note"),
        (REMOVED, "record_kind", "payment"),
        (CHANGED, "record_kind", "shipment"),
        (REMOVED, "record_state", "shipment.cancelled"),
        (ADDED, "record_state", "shipment.returned"),
        (REMOVED, "record_transition", "shipment.cancel from pending"),
        (CHANGED, "record_transition", "shipment.deliver from shipped"),
    ]
    kind = one(changes.records, "shipment")
    assert "label: " in (kind.before or "") and (kind.after or "").startswith("label: ")
    step = one(changes.records, "shipment.deliver from shipped")
    assert (step.before, step.after) == ("roles: warehouse, service", "roles: warehouse")
    assert step.worded is not None and step.worded.after is not None
    assert step.worded.name.get("zh") == "包裹：签收：从 已发货"
    assert step.worded.name.get("en") == "Parcel: Deliver: from Shipped"
    assert step.worded.after.get("zh") == "角色：仓库"
    state = one(changes.records, "shipment.returned")
    assert state.worded is not None and state.worded.name.get("en") == "Parcel: Returned"
    assert bundle_changes(old, copy.deepcopy(old)).records == ()


# --- rule files --------------------------------------------------------------------------------------------


def test_rules_by_name_in_each_list_of_their_kind() -> None:
    old = content("wholesale/order.yaml")
    new = copy.deepcopy(old)
    credit = new["rulesets"]["rules/wholesale/credit.yaml"]  # audit
    credit["rules"][0]["when"] = 'order.account.status in ["blocked", "closed"]'
    credit["rules"].pop(1)
    credit["default"] = "hold"
    approval = new["rulesets"]["rules/wholesale/approval.yaml"]  # decision table
    approval["rules"][0]["cells"]["amount"] = "[0..10000)"
    approval["inputs"][1]["expr"] = "order.account.level"
    approval["hit_policy"] = "first"
    routing = new["rulesets"]["rules/wholesale/routing.yaml"]  # routing
    removed_warehouse = routing["warehouses"].pop()["name"]
    routing["carriers"].append({"name": "dhl", "base_cost": 30, "cost_per_kg": 3, "promise_days": 2})
    routing["weights"]["stock"] = 0.9
    changes = bundle_changes(old, new)
    assert seen(changes.rules) == [
        (CHANGED, "inputs", "tier"),
        (CHANGED, "rules", "small-any"),
        (CHANGED, "setting", "hit_policy"),
        (CHANGED, "rules", "account-blocked"),
        (REMOVED, "rules", "long-overdue"),
        (CHANGED, "setting", "default"),
        (ADDED, "carriers", "dhl"),
        (CHANGED, "setting", "weights"),
        (REMOVED, "warehouses", removed_warehouse),
    ]
    assert [c.file for c in changes.rules] == [
        *["rules/wholesale/approval.yaml"] * 3,
        *["rules/wholesale/credit.yaml"] * 3,
        *["rules/wholesale/routing.yaml"] * 3,
    ]
    small = one(changes.rules, "small-any")
    assert (small.before, small.after) == (
        "cells: amount: [0..20000), tier: -",
        "cells: amount: [0..10000), tier: -",
    )
    assert one(changes.rules, "tier").after == "expr: order.account.level"
    blocked = one(changes.rules, "account-blocked")
    assert (blocked.before, blocked.after) == (
        'when: order.account.status == "blocked"',
        'when: order.account.status in ["blocked", "closed"]',
    )
    assert one(changes.rules, "long-overdue").before == (
        "when: order.account.overdue_days > 90; outcome: reject; "
        "reason: zh: 客户欠款逾期超过90天, en: The account has debts more than 90 days overdue"
    )
    assert one(changes.rules, "dhl").after == "base_cost: 30; cost_per_kg: 3; promise_days: 2"
    assert one(changes.rules, "default").after == "default: hold"


def test_correlation_patterns_by_name_and_a_rule_file_added_or_removed() -> None:
    fraud, _, _ = load_yaml((ROOT / "rules/retail/fraud.yaml").read_text(encoding="utf-8"), "x")
    changed = copy.deepcopy(fraud)
    changed["patterns"][0]["count"] = 5
    changed["patterns"][0]["within"] = "30m"
    old = {"rulesets": {"rules/retail/fraud.yaml": fraud}}
    changes = bundle_changes(old, {"rulesets": {"rules/retail/fraud.yaml": changed}})
    (pattern,) = changes.rules
    assert (pattern.kind, pattern.what, pattern.name) == (CHANGED, "patterns", "repeated-payment-failures")
    assert (pattern.before, pattern.after) == ("count: 3; within: 10m", "count: 5; within: 30m")
    assert seen(bundle_changes(old, {}).rules) == [(REMOVED, "rule_file", "rules/retail/fraud.yaml")]
    assert bundle_changes(old, {}).rules[0].before == "ruleset: retail-fraud; kind: correlation; patterns: 3"
    assert seen(bundle_changes({}, old).rules) == [(ADDED, "rule_file", "rules/retail/fraud.yaml")]


def test_a_rule_file_that_changes_kind_or_has_no_known_kind() -> None:
    audit = {"kind": "audit", "ruleset": "r", "rules": [{"name": "a", "when": "true", "outcome": "hold"}]}
    routing = {"kind": "routing", "ruleset": "r", "warehouses": [{"name": "w"}], "carriers": []}
    changes = bundle_changes({"rulesets": {"r.yaml": audit}}, {"rulesets": {"r.yaml": routing}})
    assert seen(changes.rules) == [
        (REMOVED, "rules", "a"),
        (CHANGED, "setting", "kind"),
        (ADDED, "warehouses", "w"),
    ]
    odd = {"kind": "future", "rules": [{"name": "a"}], "x": 1}
    changes = bundle_changes({"rulesets": {"r.yaml": odd}}, {"rulesets": {"r.yaml": {**odd, "x": 2}}})
    assert [(c.what, c.name, c.before, c.after) for c in changes.rules] == [("setting", "x", "x: 1", "x: 2")]
    # entries without a name, by their place; one name twice
    unnamed = {
        "kind": "audit",
        "rules": [{"when": "a"}, "not an entry", {"name": "b"}, {"name": "b", "when": "c"}],
    }
    later = copy.deepcopy(unnamed)
    later["rules"][0]["when"] = "z"
    later["rules"][3]["when"] = "d"
    changes = bundle_changes({"rulesets": {"r.yaml": unnamed}}, {"rulesets": {"r.yaml": later}})
    assert [(c.name, c.after) for c in changes.rules] == [("#1", "when: z"), ("b #2", "when: d")]


# --- forms ------------------------------------------------------------------------------------------------


def test_form_fields_added_removed_and_changed() -> None:
    old = content("retail/order.yaml")
    new = copy.deepcopy(old)
    order = new["forms"]["forms/retail/order.json"]
    order["properties"]["gift_note"] = {"type": "string", "title": "Gift note", "maxLength": 200}
    del order["properties"]["discount"]
    order["required"].remove("discount")
    order["properties"]["shipping_fee"]["minimum"] = 5
    order["required"].remove("shipping_fee")  # no longer required
    lines = order["properties"]["lines"]["items"]
    lines["required"] = [name for name in lines["required"] if name != "sku"]  # inside each line
    order["title"] = "Retail order (v2)"
    payment = new["forms"]["forms/retail/payment.json"]
    payment["properties"]["method"]["enum"].append("cod")
    new["layouts"]["forms/retail/payment.json"]["groups"] = []
    new["forms"]["forms/retail/gift.json"] = {"title": "Gift", "type": "object", "properties": {"to": {}}}
    del new["forms"]["forms/retail/delivery.json"]
    changes = bundle_changes(old, new)
    assert seen(changes.forms) == [
        (REMOVED, "form", "forms/retail/delivery.json"),
        (ADDED, "form", "forms/retail/gift.json"),
        (REMOVED, "field", "discount"),
        (ADDED, "field", "gift_note"),
        (CHANGED, "field", "lines[].sku"),
        (CHANGED, "field", "shipping_fee"),
        (CHANGED, "setting", "title"),
        (CHANGED, "field", "method"),
        (CHANGED, "layout", "forms/retail/payment.json"),
    ]
    assert one(changes.forms, "forms/retail/gift.json").after == "title: Gift; fields: 1"
    assert (
        one(changes.forms, "gift_note").after
        == "type: string; title: Gift note; required: false; maxLength: 200"
    )
    sku = one(changes.forms, "lines[].sku")
    assert (sku.before, sku.after) == ("required: true", "required: false")
    fee = one(changes.forms, "shipping_fee")
    assert (fee.before, fee.after) == ("required: true; minimum: 0", "required: false; minimum: 5")
    assert one(changes.forms, "method").after == "enum: card, wechat_pay, alipay, cod"
    assert one(changes.forms, "title").after == "title: Retail order (v2)"
    assert one(changes.forms, "forms/retail/payment.json").after == "groups: []"


# --- what is not a published bundle -----------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, [], "workflow", 3, b"{}"])
def test_anything_but_a_bundle_or_its_content_is_refused(value: Any) -> None:
    with pytest.raises(TypeError, match="two bundles or their content"):
        bundle_changes(value, {})
    with pytest.raises(TypeError, match="two bundles or their content"):
        bundle_changes(bundle("retail/order.yaml"), value)


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {"workflow": None, "forms": None, "rulesets": None, "layouts": None},
        {"workflow": [], "forms": [], "rulesets": "x", "layouts": 3},
        {"workflow": {"states": ["a"], "transitions": {"a": 1}}},
        {"workflow": {"states": {"a": None, "b": {"parallel": ["x"]}}, "transitions": [None, "go", {}]}},
        {"forms": {"f.json": None, "g.json": {"properties": None}}, "rulesets": {"r.yaml": None}},
    ],
)
def test_a_part_missing_or_of_another_shape_counts_as_empty(broken: dict[str, Any]) -> None:
    full = bundle("wholesale/order.yaml")
    changes = bundle_changes(broken, full)
    assert {c.kind for c in changes.rules} == {ADDED}
    assert {c.name for c in changes.states} >= set(full.workflow["states"])
    assert {c.name for c in changes.rules} == set(full.rulesets)
    back = bundle_changes(full, broken)
    assert [c.name for c in back.states if c.kind is REMOVED] == [
        c.name for c in changes.states if c.kind is ADDED
    ]
    assert bundle_changes(broken, copy.deepcopy(broken)) == Changes()


def test_texts_are_cut_short_and_changes_are_frozen_and_json() -> None:
    old = content("retail/order.yaml")
    new = copy.deepcopy(old)
    new["workflow"]["transitions"][0]["actions"] = [f"plugin.action_{n}" for n in range(50)]
    new["workflow"]["description"] = "word " * 500
    changes = bundle_changes(old, new)
    for change in itertools.chain(changes.workflow, changes.transitions):
        assert len(change.after or "") <= MAX_TEXT and (change.after or "").endswith("…")
    change = changes.transitions[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.name = "x"  # type: ignore[misc]
    assert json.loads(json.dumps(changes.to_dict()))["transitions"][0] == {
        "kind": "changed",
        "what": "transition",
        "name": "route from created",
        "file": None,
        "before": "actions: customers.register",
        "after": change.after,
    }


def test_the_same_versions_give_the_same_sorted_changes() -> None:
    pairs = list(
        itertools.permutations([bundle(p.relative_to(ROOT / "workflows").as_posix()) for p in SHIPPED], 2)
    )
    for old, new in pairs:
        changes = bundle_changes(old, new)
        assert changes == bundle_changes(old, new)
        for part in (changes.workflow, changes.states, changes.transitions, changes.rules, changes.forms):
            keys = [(c.file or "", c.what, c.name) for c in part]
            assert keys == sorted(keys) and len(set(keys)) == len(keys)
        # each way round, what one adds the other removes
        back = bundle_changes(new, old)
        flip = {ADDED: REMOVED, REMOVED: ADDED, CHANGED: CHANGED}
        assert [(flip[c.kind], c.what, c.name, c.after, c.before) for c in back.states] == [
            (c.kind, c.what, c.name, c.before, c.after) for c in changes.states
        ]


def test_every_kind_of_change_and_what_changed_has_its_words() -> None:
    whats = {"setting", "state", "transition", "rule_file", "form", "field", "layout"}
    whats |= {"record_kind", "record_state", "record_transition"}
    whats |= {key for kind in KINDS.values() for key in kind.named}
    for what in whats:
        assert f"diff.what.{what}" in WORDS
    for kind in ChangeKind:
        assert f"diff.kind.{kind.value}" in WORDS
    for part in Changes().to_dict():
        assert f"diff.part.{part}" in WORDS


def test_two_texts_are_marked_against_each_other_line_by_line() -> None:
    old = "a: 1\nb: 2\nc: 3\nd: 4\n"
    new = "a: 1\nb: two\nc: 3\nd: 4\ne: 5"
    compared = compare_texts(old, new, "saved", "yours")
    assert [(line.number, line.text, line.changed) for line in compared.old] == [
        (1, "a: 1", False),
        (2, "b: 2", True),
        (3, "c: 3", False),
        (4, "d: 4", False),
    ]
    assert [line.number for line in compared.new if line.changed] == [2, 5]
    assert (compared.removed, compared.added, compared.same) == (1, 2, False)
    assert compared.diff[:2] == ("--- saved", "+++ yours")
    assert "-b: 2" in compared.diff and "+b: two" in compared.diff and "+e: 5" in compared.diff
    same = compare_texts(old, old.replace("\n", "\r\n"), "saved", "yours")
    assert same.same and same.removed == same.added == 0 and len(same.old) == len(same.new) == 4


def test_states_and_transitions_are_worded_for_a_person_with_their_labels() -> None:
    old = content("retail/order.yaml")
    new = copy.deepcopy(old)
    new["workflow"]["states"]["pending_payment"]["timers"][0]["after"] = "1h"
    cancel = next(t for t in new["workflow"]["transitions"] if t["trigger"] == "cancel")
    cancel["roles"] = ["service"]
    review = next(t for t in new["workflow"]["transitions"] if t["trigger"] == "review")
    review["dest"] = {**review["dest"], "hold": "rejected"}
    changes = bundle_changes(old, new)

    state = next(c for c in changes.states if c.name == "pending_payment")
    assert state.worded is not None
    assert state.worded.name.get("zh") == "待支付" and state.worded.name.get("en") == "Pending payment"
    assert state.worded.before and state.worded.before.get("zh").startswith("计时器：30 分钟后 取消")
    assert state.worded.after and state.worded.after.get("en").startswith("Timers: after 1 hour: Cancel")
    assert "（超时未支付自动取消）" in state.worded.after.get("zh")
    # the definition's words stay beside (the API and the CLI's diff)
    assert state.before and state.before.startswith("timers: after 30m: cancel")

    worded = {c.name: c.worded for c in changes.transitions}
    name = next(n for n in worded if n.startswith("cancel from "))
    shown = worded[name]
    assert shown is not None
    assert shown.name.get("zh").startswith("取消：从 ") and "待支付" in shown.name.get("zh")
    assert shown.name.get("en").startswith("Cancel: from ") and "Pending payment" in shown.name.get("en")
    assert "pending_payment" not in shown.name.get("en")
    # the timer firing it, from its source, and the roles by their names
    assert shown.after and "计时器：在 待支付 1 小时后" in shown.after.get("zh")
    assert "after 1 hour in Pending payment" in shown.after.get("en")
    review_change = next(c for c in changes.transitions if c.name.startswith("review from "))
    assert review_change.worded and review_change.worded.after
    assert "挂起待审 → 已驳回" in review_change.worded.after.get("zh")
    assert "on hold → Rejected" in review_change.worded.after.get("en")


def test_every_aspect_of_a_state_and_a_transition_has_its_words() -> None:
    for key in (*_STATE_KEYS, *_TRANSITION_KEYS):
        assert f"diff.aspect.{key}" in WORDS, key


def test_the_fields_a_step_sets_show_among_its_changes() -> None:
    old = content("retail/order.yaml")
    new = copy.deepcopy(old)
    by_name = {(t["trigger"], str(t["source"])): t for t in new["workflow"]["transitions"]}
    by_name[("all_delivered", "shipped")]["set"] = {"return_by": "now() + days(7)"}
    by_name[("complete", "['delivered', 'partly_returned']")]["set"] = {"note": None}
    changes = bundle_changes(old, new)
    deliver = one(changes.transitions, "all_delivered from shipped")
    # a long value is cut short with an ellipsis
    assert deliver.before.startswith(
        "set: delivered_at: max(pluck(records.shipment, 'delivered_at')), return_by:"
    )
    assert deliver.after == "set: return_by: now() + days(7)"
    assert one(changes.transitions, "complete from delivered, partly_returned").after == 'set: {"note":null}'


def test_a_timer_at_a_moment_is_worded_by_its_moment() -> None:
    old = content("retail/order.yaml")
    new = copy.deepcopy(old)
    new["workflow"]["states"]["partly_returned"]["timers"][0]["at"] = "order.delivered_at + days(10)"
    changes = bundle_changes(old, new)
    state = next(c for c in changes.states if c.name == "partly_returned")
    assert state.before == "timers: at order.return_by: complete (auto_confirm_receipt)"
    assert state.after == "timers: at order.delivered_at + days(10): complete (auto_confirm_receipt)"
    assert state.worded is not None and state.worded.after is not None
    assert "于 order.delivered_at + days(10) 确认收货" in state.worded.after.get("zh")
    assert "at order.delivered_at + days(10): Complete" in state.worded.after.get("en")
    complete = next(c for c in changes.transitions if c.name.startswith("complete from "))
    assert complete.worded is not None and complete.worded.after is not None
    assert "在 部分退货 于 order.delivered_at + days(10)" in complete.worded.after.get("zh")
