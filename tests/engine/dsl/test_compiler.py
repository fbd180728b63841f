"""engine/dsl/compiler.py: bundles, their hash and storage, and the frozen spec they compile into."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.dsl.compiler import Bundle, compile_bundle, discover, duration_seconds, load_bundle
from engine.dsl.spec import TimerSpec
from engine.errors import DefinitionError

from .support import ACTION_NAMES, FIXTURES, INVALID, VALID, fixture_workflows


def bundle_of(name: str) -> Bundle:
    return load_bundle(VALID / name, FIXTURES, action_names=ACTION_NAMES, workflows=fixture_workflows())


def test_retail_order_compiles_into_its_spec() -> None:
    bundle = bundle_of("retail-order.yaml")
    spec = compile_bundle(bundle, version=3)
    assert (spec.name, spec.department, spec.initial, spec.version) == (
        "retail-order",
        "retail",
        "pending_payment",
        3,
    )
    assert spec.title.get("zh-CN") == "零售订单"
    assert spec.channels == ("web", "app")
    assert spec.roles == ("clerk", "reviewer", "warehouse", "service")
    assert spec.data_form == "forms/retail/order.json"
    assert dict(spec.intake_forms) == {"web": "forms/retail/intake-web.json"}
    assert spec.source_path == "valid/retail-order.yaml"
    assert spec.content_hash == bundle.content_hash
    assert spec.final_states == {"completed", "cancelled"}
    assert spec.state("pending_payment").timers == (
        TimerSpec(1800, "cancel", "unpaid_timeout", "order.paid_amount < order.total"),
    )
    assert spec.state("shipped").timers[0].after_seconds == 7 * 86400
    assert spec.state("on_hold").queue == "risk-review"
    assert spec.state("completed").label.en == "Completed"

    by_trigger = {t.trigger: t for t in spec.transitions}
    pay = by_trigger["pay"]
    assert (pay.sources, pay.dest, pay.roles, pay.form, pay.when, pay.actions) == (
        ("pending_payment",),
        "paid",
        ("clerk",),
        "forms/retail/payment.json",
        "order.total > 0",
        ("payments.capture",),
    )
    assert pay.label is not None and pay.label.zh == "支付"
    review = by_trigger["review"]
    assert review.dest is None and review.auto
    assert dict(review.dest_by_outcome) == {
        "approve": "pending_shipment",
        "hold": "on_hold",
        "reject": "cancelled",
    }
    assert review.rules == "rules/retail/audit.yaml"
    assert by_trigger["ship"].when == "(order.total > 0) and (order.carrier != '')"
    # "*" is every non-final top-level state, in the order written.
    assert by_trigger["cancel"].sources == (
        "pending_payment",
        "paid",
        "on_hold",
        "pending_shipment",
        "shipped",
    )
    assert set(spec.forms) == {
        "forms/retail/order.json",
        "forms/retail/intake-web.json",
        "forms/retail/payment.json",
    }
    assert spec.forms["forms/retail/payment.json"]["required"] == ["method"]
    assert spec.rulesets["rules/retail/audit.yaml"]["outcomes"] == ["approve", "hold", "reject"]


def test_parallel_regions_are_named_by_path_parents_first() -> None:
    spec = compile_bundle(bundle_of("fulfilment.yaml"))
    assert spec.state_names == (
        "received",
        "fulfilling",
        "fulfilling.payment.awaiting",
        "fulfilling.payment.captured",
        "fulfilling.stock.reserving",
        "fulfilling.stock.reserved",
        "fulfilled",
        "cancelled",
    )
    fulfilling = spec.state("fulfilling")
    assert [(r.name, r.initial) for r in fulfilling.regions] == [
        ("payment", "fulfilling.payment.awaiting"),
        ("stock", "fulfilling.stock.reserving"),
    ]
    assert [s.name for s in fulfilling.regions[1].states] == [
        "fulfilling.stock.reserving",
        "fulfilling.stock.reserved",
    ]
    assert spec.state("fulfilling.payment.captured").final
    assert spec.state("fulfilling.payment.awaiting").timers[0].after_seconds == 7200
    complete = next(t for t in spec.transitions if t.trigger == "complete")
    assert complete.sources == ("fulfilling",) and complete.auto
    assert spec.state("fulfilling.stock.reserving").label.zh == "预留中"


def test_overlay_adds_replaces_and_removes() -> None:
    bundle = bundle_of("retail-vip.yaml")
    spec = compile_bundle(bundle)
    assert spec.name == "retail-vip-order"
    assert spec.department == "retail"  # kept from the base
    assert spec.title.en == "VIP retail order"
    assert "concierge" in spec.roles
    assert "on_hold" not in spec.state_names
    assert "gift_wrapping" in spec.state_names
    assert spec.state("paid").label.en == "VIP paid"
    triggers = [t.trigger for t in spec.transitions]
    assert "release" not in triggers
    assert triggers[-2:] == ["wrap", "wrapped"]
    review = next(t for t in spec.transitions if t.trigger == "review")
    assert (review.dest, review.rules, dict(review.dest_by_outcome)) == ("pending_shipment", None, {})
    cancel = next(t for t in spec.transitions if t.trigger == "cancel")
    assert "on_hold" not in cancel.sources and "gift_wrapping" in cancel.sources
    assert "rules/retail/audit.yaml" not in spec.rulesets
    assert "extends" not in bundle.workflow


def test_the_hash_is_stable_and_follows_the_content() -> None:
    first, second = bundle_of("retail-order.yaml"), bundle_of("retail-order.yaml")
    assert first.content_hash == second.content_hash
    assert len(first.content_hash) == 64
    moved = Bundle(first.workflow, first.forms, first.rulesets, source_path="elsewhere.yaml")
    assert moved.content_hash == first.content_hash  # where the file was is not content
    changed = Bundle({**first.workflow, "department": "outlet"}, first.forms, first.rulesets)
    assert changed.content_hash != first.content_hash
    reordered = Bundle(dict(reversed(list(first.workflow.items()))), first.forms, first.rulesets)
    assert reordered.content_hash == first.content_hash


def test_bundle_round_trips_through_json() -> None:
    bundle = bundle_of("fulfilment.yaml")
    text = bundle.to_json()
    stored = json.loads(text)
    assert stored["schema_version"] == 1
    assert stored["source_path"] == "valid/fulfilment.yaml"
    again = Bundle.from_json(text)
    assert again == bundle
    assert again.content_hash == bundle.content_hash
    assert compile_bundle(again) == compile_bundle(bundle)
    assert Bundle.from_json(stored) == bundle
    with pytest.raises(ValueError, match="schema_version"):
        Bundle.from_json({**stored, "schema_version": 99})


def test_compile_is_pure_and_does_not_share_the_bundles_dicts() -> None:
    bundle = bundle_of("retail-order.yaml")
    spec = compile_bundle(bundle)
    assert spec.raw["states"] is not bundle.workflow["states"]
    assert compile_bundle(bundle) == spec


def test_load_bundle_raises_with_every_problem() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_bundle(INVALID / "parallel-problems.yaml", FIXTURES, workflows=fixture_workflows())
    assert len(caught.value.problems) == 7
    assert "invalid/parallel-problems.yaml:" in str(caught.value)


def test_durations() -> None:
    assert [duration_seconds(t) for t in ("45s", "30m", "2h", "7d")] == [45, 1800, 7200, 604800]


def copy_root(tmp_path: Path) -> Path:
    for folder in ("forms", "rules"):
        shutil.copytree(FIXTURES / folder, tmp_path / folder)
    (tmp_path / "workflows" / "retail").mkdir(parents=True)
    for name in ("retail-order.yaml", "retail-vip.yaml"):
        shutil.copy(VALID / name, tmp_path / "workflows" / "retail" / name)
    return tmp_path


def test_discover_finds_workflows_by_name_and_overlays_resolve_through_it(tmp_path: Path) -> None:
    root = copy_root(tmp_path)
    found = discover(root)
    assert {name: path.name for name, path in found.items()} == {
        "retail-order": "retail-order.yaml",
        "retail-vip-order": "retail-vip.yaml",
    }
    bundle = load_bundle(found["retail-vip-order"], root)
    assert bundle.source_path == "workflows/retail/retail-vip.yaml"


def test_discover_refuses_a_name_used_twice(tmp_path: Path) -> None:
    root = copy_root(tmp_path)
    shutil.copy(VALID / "retail-order.yaml", root / "workflows" / "copy.yaml")
    with pytest.raises(DefinitionError) as caught:
        discover(root)
    [problem] = caught.value.problems
    assert (problem.code, problem.line, problem.column) == ("duplicate-workflow", 4, 11)
    assert problem.file == "workflows/retail/retail-order.yaml"
    assert "also defined in workflows/copy.yaml" in problem.message


def test_a_form_or_rule_file_given_as_a_workflow_is_refused_in_chinese_and_english(tmp_path: Path) -> None:
    root = copy_root(tmp_path)
    for relative, zh, en in (
        ("forms/retail/order.json", "这是表单，不是工作流", "this is a form, not a workflow"),
        ("rules/retail/audit.yaml", "这是规则文件，不是工作流", "this is a rule file, not a workflow"),
    ):
        with pytest.raises(DefinitionError) as caught:
            load_bundle(root / relative, root)
        [problem] = caught.value.problems
        assert (problem.code, problem.message_in("zh"), problem.message) == ("not-a-workflow", zh, en)
        assert problem.hint_in("zh") == "请发布引用它的工作流；它的表单和规则文件会随工作流一起发布"
        assert problem.hint == (
            "publish the workflow that names it; its forms and rule files are published with it"
        )
        assert caught.value.message("zh") == f"{relative}:1:1: 错误: {zh}（提示：{problem.hint_in('zh')}）"


OVERLAY_WITH_SETS = """\
schema_version: 1
extends: retail-order
workflow: retail-set-order
add:
  transitions:
    - {trigger: reopen, source: on_hold, dest: pending_payment, set: {paid_amount: null}}
replace:
  transitions:
    - {trigger: release, source: on_hold, dest: pending_shipment, roles: [reviewer],
       set: {paid_amount: order.total, total: "sum(l.qty for l in order.lines if l.gift) + 0"}}
"""


def test_sets_compile_into_the_spec_and_overlays_add_and_replace_them(tmp_path: Path) -> None:
    root = copy_root(tmp_path)
    (root / "workflows" / "retail" / "retail-set.yaml").write_text(OVERLAY_WITH_SETS, encoding="utf-8")
    found = discover(root)
    spec = compile_bundle(
        load_bundle(found["retail-set-order"], root, action_names=ACTION_NAMES, workflows=found)
    )
    by_trigger = {t.trigger: t for t in spec.transitions}
    assert dict(by_trigger["release"].sets) == {
        "paid_amount": "order.total",
        "total": "sum(l.qty for l in order.lines if l.gift) + 0",
    }
    assert dict(by_trigger["reopen"].sets) == {"paid_amount": None}
    assert dict(by_trigger["pay"].sets) == {}


def test_an_overlay_setting_an_unknown_field_is_refused(tmp_path: Path) -> None:
    root = copy_root(tmp_path)
    text = OVERLAY_WITH_SETS.replace("paid_amount: order.total", "paid_amout: order.total")
    (root / "workflows" / "retail" / "retail-set.yaml").write_text(text, encoding="utf-8")
    found = discover(root)
    with pytest.raises(DefinitionError) as caught:
        load_bundle(found["retail-set-order"], root, action_names=ACTION_NAMES, workflows=found)
    [problem] = caught.value.problems
    assert problem.code == "set-unknown-field" and problem.suggestion == "paid_amount"
    assert (problem.file, problem.line) == ("workflows/retail/retail-set.yaml", 10)


RELEASE = "- {trigger: release, source: on_hold, dest: pending_shipment, roles: [reviewer]}"


def _with_release_showing(tmp_path: Path, shows: str) -> Path:
    """The fixtures' retail order with its release step given ``shows: <shows>``."""
    root = copy_root(tmp_path)
    path = root / "workflows" / "retail" / "retail-order.yaml"
    text = path.read_text(encoding="utf-8")
    assert RELEASE in text
    shown = RELEASE.replace("roles: [reviewer]}", f"roles: [reviewer], shows: {shows}}}")
    path.write_text(text.replace(RELEASE, shown), encoding="utf-8")
    return path


def test_shows_compiles_into_the_spec_in_its_order(tmp_path: Path) -> None:
    path = _with_release_showing(tmp_path, "[total, paid_amount]")
    spec = compile_bundle(
        load_bundle(path, tmp_path, action_names=ACTION_NAMES, workflows=discover(tmp_path))
    )
    by_trigger = {t.trigger: t for t in spec.transitions}
    assert by_trigger["release"].shows == ("total", "paid_amount")
    assert by_trigger["ship"].shows == ()


def test_shows_naming_a_field_the_data_form_lacks_is_refused_at_its_place(tmp_path: Path) -> None:
    path = _with_release_showing(tmp_path, "[total, paid_amout]")
    with pytest.raises(DefinitionError) as caught:
        load_bundle(path, tmp_path, action_names=ACTION_NAMES, workflows=discover(tmp_path))
    [problem] = caught.value.problems
    assert (problem.code, problem.suggestion) == ("shows-unknown-field", "paid_amount")
    assert problem.file == "workflows/retail/retail-order.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "paid_amout" in text)
    assert problem.line == line
    assert problem.message == (
        "transition 'release' shows 'paid_amout', which the order's data form "
        "'forms/retail/order.json' does not declare; did you mean 'paid_amount'?"
    )
    assert problem.message_in("zh").startswith(
        "流转 'release' 要显示的字段 'paid_amout' 不在订单的数据表单 'forms/retail/order.json' 中"
    )
    assert caught.value.message("en").startswith(f"workflows/retail/retail-order.yaml:{line}:")


def test_shows_on_an_automatic_step_is_refused_as_never_shown(tmp_path: Path) -> None:
    root = copy_root(tmp_path)
    path = root / "workflows" / "retail" / "retail-order.yaml"
    text = path.read_text(encoding="utf-8")
    automatic = "    rules: rules/retail/audit.yaml\n    auto: true\n"
    assert automatic in text
    path.write_text(text.replace(automatic, automatic + "    shows: [total]\n"), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_bundle(path, tmp_path, action_names=ACTION_NAMES, workflows=discover(tmp_path))
    [problem] = caught.value.problems
    assert problem.code == "shows-on-auto"
    assert problem.message.startswith("transition 'review' is automatic and has no page")
    assert problem.message_in("zh").startswith("流转 'review' 是自动流转，没有页面")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert problem.line == next(n for n, line in enumerate(lines, 1) if "shows: [total]" in line)


@pytest.mark.parametrize("shows", ["total", "[3]", "[]", "[total, total]", "[Total]"])
def test_shows_of_the_wrong_shape_is_refused(tmp_path: Path, shows: str) -> None:
    path = _with_release_showing(tmp_path, shows)
    with pytest.raises(DefinitionError) as caught:
        load_bundle(path, tmp_path, action_names=ACTION_NAMES, workflows=discover(tmp_path))
    assert caught.value.problems
    assert all(p.file == "workflows/retail/retail-order.yaml" for p in caught.value.problems)
    assert any("shows" in p.message for p in caught.value.problems), [
        p.message for p in caught.value.problems
    ]


def test_shows_and_set_without_a_data_form_say_that_the_workflow_names_none(tmp_path: Path) -> None:
    path = _with_release_showing(tmp_path, "[total], set: {paid_amount: null}")
    text = path.read_text(encoding="utf-8")
    assert "data: forms/retail/order.json\n" in text
    path.write_text(text.replace("data: forms/retail/order.json\n", ""), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_bundle(path, tmp_path, action_names=ACTION_NAMES, workflows=discover(tmp_path))
    said = {p.code: p for p in caught.value.problems if p.code.endswith("-without-data-form")}
    assert said["shows-without-data-form"].message == (
        "transition 'release' shows fields of the order's data, but the workflow names no data form (data:)"
    )
    assert said["shows-without-data-form"].hint_in("zh") == (
        "shows: 列出的字段须在订单的数据表单中声明；请给工作流加上 data:"
    )
    assert said["set-without-data-form"].message_in("zh") == (
        "流转 'release' 设置订单数据字段，但工作流没有声明数据表单（data:）"
    )
    assert said["set-without-data-form"].hint == (
        "the fields set: writes are declared by the order's data form; add data: to the workflow"
    )
