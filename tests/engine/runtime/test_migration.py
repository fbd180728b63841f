"""Migration: final states refused per order, bad mappings refused up front, timers per the new version
(those the order's states still have keep their due times), every region of a parallel state placed (a
region the new version adds starts at its initial state) and leaves that cannot be active together
refused per order."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path

import pytest

from engine.clock import FrozenClock
from engine.dsl.compiler import Bundle, load_bundle
from engine.dsl.loader import drafts_over_files
from engine.errors import EngineError
from engine.plugins import PluginRegistry
from engine.runtime import Actor, BlockedCode, Engine, ListQuery
from engine.runtime.approvals import ApprovalAction, ApprovalRequest
from engine.runtime.results import MigrationPlan
from engine.store import Store, Tx
from engine.store.studio import record_event, studio_events_of
from tests.engine.runtime.conftest import ADMIN, CLERK, bundle

ORDER = {"customer": "张三", "total": 120}
PAYMENT = {"amount": 120, "method": "card"}


def _new(engine: Engine) -> int:
    return engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id


def test_a_mapping_into_a_final_state_is_refused_for_those_orders(engine: Engine) -> None:
    paid = _new(engine)
    engine.fire(paid, "pay", CLERK, PAYMENT)
    waiting = _new(engine)
    engine.publish(bundle("versions/retail-order-no-paid"))
    plan = engine.migrate("retail-order", 2, {"paid": "completed"}, dry_run=False, actor=ADMIN)
    assert [m["order_id"] for m in plan.moves] == [waiting]
    [blocked] = plan.blocked
    assert (blocked["order_id"], blocked["code"], blocked["state"]) == (paid, "final-state", "paid")
    assert blocked["code"] is BlockedCode.FINAL_STATE  # a member of the enum, printed as the same string
    assert "finish the order with a transition so its side effects run" in blocked["en"]
    assert "请通过流转结束订单" in blocked["zh"]
    order = engine.get_order(paid, CLERK)
    assert (order.version, order.state, order.final) == (1, "paid", False)


def test_a_target_missing_from_the_new_version_is_refused_up_front(engine: Engine) -> None:
    paid = _new(engine)
    engine.fire(paid, "pay", CLERK, PAYMENT)
    engine.publish(bundle("versions/retail-order-no-paid"))
    with pytest.raises(EngineError) as caught:
        engine.migrate("retail-order", 2, {"paid": "pending_shipmnt"}, dry_run=True, actor=ADMIN)
    assert caught.value.message("en") == (
        "cannot migrate: state 'pending_shipmnt' does not exist in v2; did you mean 'pending_shipment'?"
    )
    assert caught.value.message("zh") == (
        "无法迁移：状态 'pending_shipmnt' 在 v2 中不存在；您是否想输入 'pending_shipment'？"
    )
    assert engine.history(paid, CLERK)[-1].trigger == "pay"


def test_a_source_in_no_published_version_is_refused_with_every_problem(engine: Engine) -> None:
    engine.publish(bundle("versions/retail-order-no-paid"))
    with pytest.raises(EngineError) as caught:
        engine.migrate(
            "retail-order", 2, {"piad": "pending_shipment", "x": "nowhere"}, dry_run=False, actor=ADMIN
        )
    assert caught.value.message("en") == (
        "cannot migrate: state 'piad' is in no published version of retail-order; did you mean 'paid'?; "
        "state 'x' is in no published version of retail-order; state 'nowhere' does not exist in v2"
    )
    assert caught.value.message("zh").startswith(
        "无法迁移：流程 retail-order 的已发布版本中没有状态 'piad'；您是否想输入 'paid'？；"
    )


def test_a_source_known_only_to_an_old_version_may_be_mapped(engine: Engine) -> None:
    engine.publish(bundle("versions/retail-order-no-paid"))
    plan = engine.migrate("retail-order", 2, {"paid": "pending_shipment"}, dry_run=True, actor=ADMIN)
    assert plan.moves == [] and plan.blocked == []


def _timers(store: Store, order_id: int) -> list[tuple[str, str, str, object]]:
    with store.read() as tx:
        return sorted((t.state, t.trigger, t.status, t.due_at) for t in tx.order_timers(order_id))


def test_moved_orders_get_the_new_versions_timers_new_ones_due_from_now(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    start = clock.now()
    paid = _new(engine)
    engine.fire(paid, "pay", CLERK, PAYMENT)
    waiting = _new(engine)
    engine.publish(bundle("versions/retail-order-shipment-timer"))
    now = clock.advance(minutes=20)
    plan = engine.migrate("retail-order", 2, {"paid": "pending_shipment"}, dry_run=False, actor=ADMIN)
    assert plan.applied and len(plan.moves) == 2
    assert _timers(store, paid) == [
        ("pending_payment", "cancel", "cancelled", start + timedelta(minutes=30)),
        ("pending_shipment", "cancel", "scheduled", now + timedelta(hours=2)),  # new to the order
    ]
    # still unpaid: the unpaid timer it had keeps its due time (no fresh 30 minutes)
    assert _timers(store, waiting) == [
        ("pending_payment", "cancel", "cancelled", start + timedelta(minutes=30)),
        ("pending_payment", "cancel", "scheduled", start + timedelta(minutes=30)),
    ]
    clock.advance(minutes=10)
    assert engine.run_due_timers("w1") == 1
    assert engine.get_order(waiting, CLERK).state == "cancelled"
    assert engine.history(waiting, CLERK)[-1].reason == "unpaid_timeout"
    clock.advance(hours=2)
    assert engine.run_due_timers("w1") == 1
    assert engine.get_order(paid, CLERK).state == "cancelled"


def test_a_renamed_state_keeps_its_timers_due_times_through_the_mapping(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """v2 renames pending_payment and shortens its window to 10 minutes: an order waiting since before
    keeps the due time it had (the new window is for orders entering the state from now on); the
    reminder v2 adds starts from the migration."""
    start = clock.now()
    waiting = _new(engine)
    engine.publish(bundle("versions/retail-order-renamed"))
    now = clock.advance(minutes=22)
    plan = engine.migrate("retail-order", 2, {"pending_payment": "awaiting_payment"}, dry_run=False)
    assert [m["to_state"] for m in plan.moves] == ["awaiting_payment"]
    assert _timers(store, waiting) == [
        ("awaiting_payment", "cancel", "scheduled", start + timedelta(minutes=30)),
        ("awaiting_payment", "remind", "scheduled", now + timedelta(minutes=5)),
        ("pending_payment", "cancel", "cancelled", start + timedelta(minutes=30)),
    ]
    clock.advance(minutes=5)
    assert engine.run_due_timers("w1") == 1  # the reminder; the unpaid timer is not due yet
    assert engine.get_order(waiting, CLERK).state == "awaiting_payment"
    clock.advance(minutes=3)  # 30 minutes after the order was placed
    assert engine.run_due_timers("w1") == 1
    assert engine.get_order(waiting, CLERK).state == "cancelled"


def test_a_dry_run_schedules_and_cancels_nothing(engine: Engine, store: Store, clock: FrozenClock) -> None:
    waiting = _new(engine)
    before = _timers(store, waiting)
    engine.publish(bundle("versions/retail-order-shipment-timer"))
    clock.advance(hours=1)
    engine.migrate("retail-order", 2, {}, dry_run=True, actor=ADMIN)
    assert _timers(store, waiting) == before


# wholesale-order v2 (versions/wholesale-order-invoicing) adds a third region, invoicing, to fulfilling.
INVOICING = "versions/wholesale-order-invoicing"


def _fulfilling(engine: Engine) -> int:
    order_id = engine.create_order(CLERK, "wholesale", "wholesale-order", None, {}).id
    engine.fire(order_id, "start", CLERK)
    return order_id


def test_a_region_the_new_version_adds_starts_at_its_initial_state_and_the_join_waits_for_it(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    order_id = _fulfilling(engine)
    engine.fire(order_id, "pay", CLERK)
    engine.publish(bundle(INVOICING))
    now = clock.advance(hours=1)
    plan = engine.migrate("wholesale-order", 2, dry_run=True, actor=ADMIN)
    [move] = plan.moves
    assert (move["from_state"], move["to_state"], move["started"]) == (
        "fulfilling.payment.paid|fulfilling.shipping.packing",
        "fulfilling.invoicing.to_invoice|fulfilling.payment.paid|fulfilling.shipping.packing",
        ["fulfilling.invoicing.to_invoice"],
    )
    assert engine.get_order(order_id, CLERK).version == 1  # a dry run moves nothing
    assert engine.migrate("wholesale-order", 2, dry_run=False, actor=ADMIN).moves == [move]
    order = engine.get_order(order_id, CLERK)
    assert (order.version, order.state) == (2, move["to_state"])
    # the new region's timer is due from the migration
    assert ("fulfilling.invoicing.to_invoice", "remind_invoice", "scheduled", now + timedelta(days=2)) in (
        _timers(store, order_id)
    )
    shipped = engine.fire(order_id, "ship", CLERK)
    assert (shipped.to_state, shipped.auto) == (
        "fulfilling.invoicing.to_invoice|fulfilling.payment.paid|fulfilling.shipping.shipped",
        (),
    )
    clock.advance(days=2)
    assert engine.run_due_timers("w1") == 1  # the reminder, from the region's own state
    assert engine.history(order_id, CLERK)[-1].reason == "invoice_reminder"
    invoiced = engine.fire(order_id, "invoice", CLERK)
    assert (invoiced.to_state, invoiced.auto) == ("fulfilled", ("close",))


def test_an_order_mapped_into_a_parallel_state_starts_every_region(engine: Engine) -> None:
    waiting = engine.create_order(CLERK, "wholesale", "wholesale-order", None, {}).id
    engine.publish(bundle(INVOICING))
    plan = engine.migrate("wholesale-order", 2, {"new": "fulfilling"}, dry_run=False, actor=ADMIN)
    started = ["fulfilling.invoicing.to_invoice", "fulfilling.payment.waiting", "fulfilling.shipping.packing"]
    assert [(m["order_id"], m["started"]) for m in plan.moves] == [(waiting, started)]
    assert engine.get_order(waiting, CLERK).states == tuple(started)


def test_leaves_mapped_to_one_state_are_one_leaf(engine: Engine) -> None:
    order_id = _fulfilling(engine)
    engine.publish(bundle(INVOICING))
    mapping = {"fulfilling.payment.waiting": "new", "fulfilling.shipping.packing": "new"}
    plan = engine.migrate("wholesale-order", 2, mapping, dry_run=False, actor=ADMIN)
    assert [(m["to_state"], m["started"]) for m in plan.moves] == [("new", [])]
    assert engine.get_order(order_id, CLERK).state == "new"


def test_leaves_that_cannot_be_active_together_are_blocked_in_both_languages(engine: Engine) -> None:
    waiting = _fulfilling(engine)
    paid = _fulfilling(engine)
    engine.fire(paid, "pay", CLERK)
    engine.publish(bundle(INVOICING))
    # a region's leaf beside a state outside its parallel state
    plan = engine.migrate(
        "wholesale-order", 2, {"fulfilling.payment.waiting": "new"}, dry_run=True, actor=ADMIN
    )
    assert [m["order_id"] for m in plan.moves] == [paid]
    [blocked] = plan.blocked
    assert (blocked["order_id"], blocked["code"]) == (waiting, "conflicting-states")
    assert blocked["en"] == (
        "fulfilling.shipping.packing and new cannot be active together in v2: only the regions of one "
        "parallel state run side by side; map them to one state, or into the regions of one parallel state"
    )
    assert blocked["zh"].startswith("fulfilling.shipping.packing 和 new 在 v2 中不能同时处于激活状态")
    # two leaves in one region: that order stays, the other one moves
    plan = engine.migrate(
        "wholesale-order",
        2,
        {"fulfilling.payment.paid": "fulfilling.shipping.shipped"},
        dry_run=False,
        actor=ADMIN,
    )
    assert [m["order_id"] for m in plan.moves] == [waiting]
    [blocked] = plan.blocked
    assert (blocked["order_id"], blocked["code"], blocked["state"]) == (
        paid,
        "conflicting-states",
        "fulfilling.payment.paid|fulfilling.shipping.packing",
    )
    assert blocked["en"] == (
        "fulfilling.shipping.packing and fulfilling.shipping.shipped are both in region shipping of "
        "fulfilling in v2, and a region is in one state at a time; map one of them to another state"
    )
    assert "都在 v2 中 fulfilling 的分区 shipping 内" in blocked["zh"]
    order = engine.get_order(paid, CLERK)
    assert (order.version, order.state) == (1, "fulfilling.payment.paid|fulfilling.shipping.packing")
    assert engine.history(paid, CLERK)[-1].trigger == "pay"


# --- batches: a limit, the version moved from, what is written with them ---------------------------


def test_a_batch_moves_the_first_orders_by_id_and_the_next_one_the_rest(engine: Engine) -> None:
    orders = [_new(engine) for _ in range(3)]
    engine.publish(bundle("versions/retail-order-no-paid"))
    first = engine.migrate("retail-order", 2, dry_run=False, actor=ADMIN, limit=2)
    assert [m["order_id"] for m in first.moves] == orders[:2] and first.applied
    assert [engine.get_order(o, CLERK).version for o in orders] == [2, 2, 1]
    second = engine.migrate("retail-order", 2, dry_run=False, actor=ADMIN, limit=2)
    assert [m["order_id"] for m in second.moves] == orders[2:]
    assert engine.migrate("retail-order", 2, dry_run=False, actor=ADMIN, limit=2).moves == []
    with pytest.raises(EngineError) as caught:
        engine.migrate("retail-order", 2, dry_run=False, actor=ADMIN, limit=0)
    assert caught.value.message("en") == "a batch moves at least one order, not 0"
    assert caught.value.message("zh") == "每批至少迁移一个订单，而不是 0 个"


def test_only_the_orders_of_the_version_moved_from(engine: Engine) -> None:
    on_v1 = _new(engine)
    engine.publish(bundle("versions/retail-order-no-paid"))
    on_v2 = _new(engine)
    engine.publish(bundle("retail-order"))  # v1's content again, as v3
    plan = engine.migrate("retail-order", 3, dry_run=True, actor=ADMIN, from_version=2)
    assert [m["order_id"] for m in plan.moves] == [on_v2]
    plan = engine.migrate("retail-order", 3, dry_run=False, actor=ADMIN, from_version=1)
    assert [m["order_id"] for m in plan.moves] == [on_v1]
    assert (engine.get_order(on_v1, CLERK).version, engine.get_order(on_v2, CLERK).version) == (3, 2)
    for wrong in (3, 7):
        with pytest.raises(EngineError) as caught:
            engine.migrate("retail-order", 3, dry_run=True, actor=ADMIN, from_version=wrong)
        assert caught.value.message("en") == (
            f"cannot migrate from v{wrong} of retail-order: it is not another published version than v3"
        )
        assert caught.value.message("zh") == (
            f"无法从 retail-order 的 v{wrong} 迁移：它不是 v3 以外的已发布版本"
        )


def test_what_a_caller_records_commits_with_the_moved_orders_or_not_at_all(
    engine: Engine, store: Store
) -> None:
    orders = [_new(engine) for _ in range(2)]
    engine.publish(bundle("versions/retail-order-no-paid"))
    seen: list[list[int]] = []

    def refuse(tx: Tx, plan: MigrationPlan) -> None:
        seen.append([m["order_id"] for m in plan.moves])
        raise EngineError("the record could not be written", zh="记录无法写入")

    with pytest.raises(EngineError):
        engine.migrate("retail-order", 2, dry_run=False, actor=ADMIN, record=refuse)
    assert seen == [orders]
    assert [engine.get_order(o, CLERK).version for o in orders] == [1, 1]  # nothing of it was written
    assert [e.trigger for e in engine.history(orders[0], CLERK)] == ["create"]

    def record(tx: Tx, plan: MigrationPlan) -> None:
        record_event(
            tx,
            department="retail",
            at=engine.clock.now(),
            actor=ADMIN.name,
            action="migrate",
            subject="retail-order",
            detail={"moved": [m["order_id"] for m in plan.moves]},
        )

    engine.migrate("retail-order", 2, dry_run=True, actor=ADMIN, record=record)  # a dry run records nothing
    assert studio_events_of(store, "retail") == []
    engine.migrate("retail-order", 2, dry_run=False, actor=ADMIN, record=record, limit=1)
    engine.migrate("retail-order", 2, dry_run=False, actor=ADMIN, record=record, limit=1)
    engine.migrate("retail-order", 2, dry_run=False, actor=ADMIN, record=record, limit=1)  # none left
    assert [e.detail["moved"] for e in studio_events_of(store, "retail")] == [[orders[1]], [orders[0]]]


def test_a_dry_run_only_reads(engine: Engine, store: Store) -> None:
    """While another transaction holds the write lock (SQLite) or has just moved an order's row
    (PostgreSQL), a dry run reads what is committed, and neither waits nor takes a lock of its own."""
    waiting = _new(engine)
    engine.publish(bundle("versions/retail-order-no-paid"))
    with store.transaction() as tx:
        order = tx.load_order(waiting)
        assert order is not None
        assert tx.update_order(
            waiting, expected_lock_version=order.lock_version, state=order.state, data=order.data,
            version=order.version, final=order.final, at=engine.clock.now(),
        )  # fmt: skip
        plan = engine.migrate("retail-order", 2, dry_run=True, actor=ADMIN)
    assert [m["order_id"] for m in plan.moves] == [waiting]


# The shipped retail order, with the built-in plugins: routing on real (empty) stock rows.
ROOT = Path(__file__).resolve().parents[3]
RETAIL = ROOT / "workflows" / "retail" / "order.yaml"
RETAIL_FORM = ROOT / "forms" / "retail" / "order.json"
REGISTRY = PluginRegistry.from_entry_points()
RETAIL_CLERK = Actor("li.na", frozenset({"clerk"}), frozenset({"retail"}))
RETAIL_ORDER = {
    "customer": {"name": "王芳", "mobile": "13912345678"},
    "address": {"province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路478号"},
    "lines": [{"sku": "NB-PRO-14", "name": "笔记本电脑", "qty": 1, "unit_price": 5999, "amount": 5999}],
    "shipping_fee": 0,
    "discount": 0,
    "total": 5999,
}


def _retail(engine: Engine, drafts: dict[Path, str] | None = None) -> int:
    """Publish the shipped retail order (with ``drafts`` in place of its files); its version."""
    with drafts_over_files(drafts or {}):
        loaded = load_bundle(
            RETAIL, ROOT, action_names=REGISTRY.action_names, action_writes=REGISTRY.action_writes
        )
    return engine.publish(loaded).version


def _out_of_stock(store: Store) -> tuple[Engine, int]:
    """retail-order v1 and an order routing found no stock for: its warehouse and carrier are null."""
    engine = Engine(store, REGISTRY, FrozenClock())
    _retail(engine)
    order = engine.create_order(RETAIL_CLERK, "retail", "retail-order", "web", RETAIL_ORDER)
    assert (order.state, order.data["warehouse"], order.data["carrier"]) == ("out_of_stock", None, None)
    return engine, order.id


def test_an_order_routing_found_no_stock_for_moves_its_warehouse_and_carrier_not_asked_for_yet(
    store: Store,
) -> None:
    engine, order_id = _out_of_stock(store)
    text = RETAIL.read_text(encoding="utf-8")
    assert (
        _retail(
            engine,
            {
                RETAIL: text.replace(
                    "label: {zh: 缺货待处理, en: Out of stock}", "label: {zh: 缺货, en: Short}"
                )
            },
        )
        == 2
    )
    plan = engine.migrate("retail-order", 2, {}, dry_run=False, actor=ADMIN)
    assert plan.blocked == [] and [m["order_id"] for m in plan.moves] == [order_id]
    moved = engine.get_order(order_id, RETAIL_CLERK)
    assert (moved.version, moved.state, moved.data["warehouse"]) == (2, "out_of_stock", None)


def test_a_field_the_new_data_form_asks_for_is_named_by_its_label_with_what_to_do(store: Store) -> None:
    engine, order_id = _out_of_stock(store)
    form = json.loads(RETAIL_FORM.read_text(encoding="utf-8"))
    form["required"].append("invoice_title")
    assert _retail(engine, {RETAIL_FORM: json.dumps(form, ensure_ascii=False)}) == 2
    [blocked] = engine.migrate("retail-order", 2, {}, dry_run=True, actor=ADMIN).blocked
    assert (blocked["order_id"], blocked["code"]) == (order_id, BlockedCode.DATA_INVALID)
    assert "$" not in blocked["en"] + blocked["zh"]  # fields by their labels, not their JSON paths
    assert blocked["en"] == (
        "v2's data form refuses this order's data: Enter the invoice title. Correct it with a step of v1 "
        "whose form has these fields, let the order finish on v1, or publish a version whose data form "
        "takes it"
    )
    assert blocked["zh"].startswith("v2 的数据表单不接受此订单的数据：请填写发票抬头。请在 v1 中")
    assert "warehouse" not in blocked["en"] and "发货仓" not in blocked["zh"]


APPROVALS = Path(__file__).resolve().parent / "fixtures" / "approvals"


def test_an_order_moved_onto_a_version_whose_state_is_an_approval_step_gets_its_tasks(
    store: Store, clock: FrozenClock
) -> None:
    engine = Engine(store, PluginRegistry({}), clock)
    approving = load_bundle(
        APPROVALS / "workflows" / "approval-order.yaml", APPROVALS, action_names={}, workflows={}
    )
    plain = copy.deepcopy(dict(approving.workflow))  # the same workflow before its approval steps
    for state in plain["states"].values():
        state.pop("approval", None)
    engine.publish(Bundle(plain, approving.forms, approving.rulesets, approving.source_path))
    sales = Actor("sam", frozenset({"sales"}), frozenset({"wholesale"}))
    manager = Actor("mia", frozenset({"manager"}), frozenset({"wholesale"}))
    order = engine.create_order(
        sales, "wholesale", "approval-order", data={"total": 3, "account_manager": "ken"}
    )
    engine.fire(order.id, "submit", sales)
    assert engine.approval(order.id, manager) is None  # v1 has no approval here
    engine.publish(approving)
    plan = engine.migrate("approval-order", 2, dry_run=False)
    assert plan.applied and engine.get_order(order.id, sales).version == 2
    panel = engine.approval(order.id, manager)
    assert panel is not None and [(t.approver, t.status) for t in panel.tasks] == [
        ("manager", "pending"),
        ("ken", "pending"),
    ]
    done = engine.act_on_approval(
        ApprovalRequest(order.id, panel.tasks[0].id, ApprovalAction.APPROVE, manager)
    )
    assert done.state == "board_review"


SEARCHED = {"customer": {"name": "王芳", "mobile": "13812345678"}, "total": 10}


def _found(engine: Engine, q: str) -> list[int]:
    return [listed.order.id for listed in engine.order_list(ADMIN, ListQuery(q=q)).orders]


def test_a_migrated_orders_search_terms_follow_the_search_of_its_new_version(engine: Engine) -> None:
    engine.publish(bundle("versions/searched-order-unsearched"))
    order = engine.create_order(CLERK, "retail", "searched-order", "web", SEARCHED).id
    assert _found(engine, "5678") == []  # v1 keeps no terms
    engine.publish(bundle("searched-order"))
    engine.migrate("searched-order", 2, dry_run=False, actor=ADMIN)
    assert _found(engine, "5678") == [order] and _found(engine, "王芳") == [order]
    engine.publish(bundle("versions/searched-order-by-mobile"))
    engine.migrate("searched-order", 3, dry_run=False, actor=ADMIN)
    assert _found(engine, "王芳") == []  # the name is no longer searched
    assert _found(engine, "13812345678") == [order]
    engine.migrate("searched-order", 1, dry_run=False, actor=ADMIN)
    assert _found(engine, "5678") == [] and _found(engine, "13812345678") == []


def test_a_dry_run_leaves_the_search_terms_as_they_are(engine: Engine) -> None:
    engine.publish(bundle("versions/searched-order-unsearched"))
    engine.create_order(CLERK, "retail", "searched-order", "web", SEARCHED)
    engine.publish(bundle("searched-order"))
    plan = engine.migrate("searched-order", 2, dry_run=True, actor=ADMIN)
    assert len(plan.moves) == 1 and _found(engine, "5678") == []
