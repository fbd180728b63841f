"""A scenario run through the real Engine on a simulated clock (engine/runtime/scenario.py): what holds
passes, every expectation that does not is a failure at its line and column, and a step refused
unexpectedly stops the steps after it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.clock import FrozenClock, SystemClock
from engine.dsl.scenario import Scenario, load_scenario
from engine.plugins import PluginRegistry
from engine.runtime import Engine
from engine.runtime.scenario import ScenarioResult, ScenarioRunner
from engine.store import Store
from engine.store.accounts import find_account

REPO = Path(__file__).resolve().parents[3]

ORDER = """\
      customer: {name: 张伟, mobile: '13912345678'}
      address:
        {province: 上海市, city: 上海市, district: 浦东新区, detail: 世纪大道1198号, postcode: '200120'}
      lines: [{sku: XM-BAND8, name: 小米手环8, qty: 2, unit_price: 239, amount: 478}]
      shipping_fee: 0
      discount: 0
      total: 478
      note: $now
"""

HEAD = """\
scenario: unpaid
clock: '2026-05-01T10:00:00+08:00'
setup:
  stock: [{sku: XM-BAND8, warehouse: SH-01, on_hand: 10}]
  users:
    storefront: {roles: [clerk], departments: [retail]}
steps:
  - create: retail-order
    as: storefront
    channel: web
    data:
"""


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    store = Store(sqlite_url)
    store.upgrade()
    yield store
    store.dispose()


def scenario_of(steps: str) -> Scenario:
    read = load_scenario(HEAD + ORDER + steps, "s.yaml")
    assert read.problems == (), [p.format() for p in read.problems]
    assert read.scenario is not None
    return read.scenario


def run(store: Store, steps: str) -> ScenarioResult:
    scenario = scenario_of(steps)
    engine = Engine(store, PluginRegistry.from_entry_points(), FrozenClock(scenario.clock))
    sent: list[Any] = []

    def worker() -> None:
        engine.fire_due_timers("scenario")
        engine.dispatch_outbox("scenario", lambda topic, payload: sent.append(topic))

    return ScenarioRunner(engine, worker, REPO).run(scenario)


def failures(result: ScenarioResult, lang: str = "en") -> list[str]:
    return [f"{p.line}:{p.column}: {p.message_in(lang)}" for p in result.failures]


def test_the_unpaid_timeout_passes_with_its_clock_moved_and_the_worker_run(store: Store) -> None:
    result = run(
        store,
        """\
  - expect:
      state: pending_payment
      data:
        note: '2026-05-01T10:00:00+08:00'
        lines[0].qty: 2.0
      stock: [{sku: XM-BAND8, warehouse: SH-01, on_hand: 10, reserved: 2}]
  - advance: 31m
  - expect: {state: pending_payment}
  - worker: once
  - expect:
      state: cancelled
      stock: [{sku: XM-BAND8, warehouse: SH-01, reserved: 0}]
      outbox: {notifications.order_status: {count: 1, status: sent}}
      audit:
        - {trigger: cancel, from: pending_payment, to: cancelled, reason: unpaid_timeout, actor: system}
        - {trigger: create, count: 1}
""",
    )
    assert failures(result) == []
    assert result.passed and (result.steps, result.total, result.checks) == (6, 6, 11)
    assert result.describe() == "PASS unpaid: 6 steps, 11 expectations"


def test_every_expectation_that_does_not_hold_is_a_failure_at_its_place(store: Store) -> None:
    result = run(
        store,
        """\
  - expect:
      state: cancelled
      data: {total: 479, customer.email: a@b.c}
      stock: [{sku: XM-BAND8, warehouse: SH-01, reserved: 1}, {sku: XM-BAND8, warehouse: GZ-01, on_hand: 1}]
      outbox: {notifications.order_status: 1}
      audit: [{trigger: cancel}, {trigger: create, count: 2}]
  - advance: 1h
  - expect: {state: pending_payment}
""",
    )
    trail = (
        "the audit trail: create ∅→created; route created→routed [routed] (auto); "
        "place routed→pending_payment (auto); shipment.add pending_payment→pending_payment"
    )
    assert failures(result) == [
        "21:14: expected state cancelled, got pending_payment",
        "22:21: expected total 479, got 478",
        "22:42: expected customer.email a@b.c, got (missing)",
        "23:59: expected XM-BAND8@SH-01 reserved 1, got 2",
        "23:106: expected XM-BAND8@GZ-01 on_hand 1, got (no such stock row)",
        "24:44: expected 1 message(s) outbox notifications.order_status, got 0 "
        "(this order's: account_created (internal))",
        f"25:15: expected audit entry {{trigger: cancel}}, got 0; {trail}",
        f"25:34: expected audit entry 2 × {{trigger: create}}, got 1; {trail}",
    ]
    assert failures(result, "zh")[0] == "21:14: 期望 状态 为 cancelled，实际为 pending_payment"
    assert result.steps == result.total == 4  # expectations do not stop the run
    assert result.describe() == "FAIL unpaid: 8 failure(s), 9 expectations"


def test_a_step_refused_unexpectedly_stops_the_steps_after_it(store: Store) -> None:
    result = run(
        store,
        """\
  - fire: pay
    as: storefront
    data: {method: alipay, amount: 500, transaction_ref: '2026050100000001'}
  - expect: {state: paid}
""",
    )
    assert failures(result) == [
        "20:5: the step pay was refused: The amount paid is more than the order total",
    ]
    assert (result.steps, result.total) == (1, 3)
    assert (
        result.describe()
        == "FAIL unpaid: 1 failure(s), 0 expectations; the 2 step(s) after it were not taken"
    )


def test_an_expected_refusal_must_come_and_say_what_it_is_told(store: Store) -> None:
    result = run(
        store,
        """\
  - fire: pay
    as: storefront
    data: {method: alipay, amount: 500, transaction_ref: '2026050100000001'}
    expect_refused: 支付金额超过订单金额
  - fire: pay
    as: storefront
    data: {method: alipay, amount: 500, transaction_ref: '2026050100000001'}
    expect_refused: card declined
  - fire: pay
    as: storefront
    data: {method: alipay, amount: 478, transaction_ref: '2026050100000001'}
    expect_refused: more than
  - expect: {state: pending_shipment}
""",
    )
    assert failures(result) == [
        "24:5: expected a refusal containing 'card declined', got: "
        "The amount paid is more than the order total",
        "28:5: expected a refusal containing 'more than', got none: the order went to pending_shipment",
    ]
    assert result.steps == result.total == 5


def test_an_account_the_engine_refuses_stops_the_run_at_its_place(store: Store) -> None:
    scenario = scenario_of("  - expect: {state: pending_payment}\n")
    text = (HEAD + ORDER + "  - expect: {state: pending_payment}\n").replace(
        "  users:\n",
        "  accounts:\n    - {department: wholesale, account_no: W1, company: 某公司, credit_limit: 1000,"
        " manager: nobody}\n  users:\n",
    )
    read = load_scenario(text, "s.yaml")
    assert read.scenario is not None and scenario.steps
    engine = Engine(store, PluginRegistry.from_entry_points(), FrozenClock(read.scenario.clock))
    result = ScenarioRunner(engine, lambda: None, REPO).run(read.scenario)
    assert len(result.failures) == 1
    assert result.failures[0].json_path == "$.setup.accounts[0]"
    assert "nobody" in result.failures[0].message_in("en")
    assert result.steps == 0


ACCOUNT = "{department: wholesale, account_no: W100872, company: 成都蜀丰贸易有限公司, credit_limit: 1000"


def test_an_account_step_sets_the_record_anew(store: Store) -> None:
    result = run(store, f"  - account: {ACCOUNT}, outstanding: 400}}\n")
    assert result.failures == [] and result.steps == result.total == 2
    with store.read() as tx:
        kept = find_account(tx.connection, "wholesale", "W100872")
    assert kept is not None and (kept.credit_limit, kept.outstanding) == (1000, 400)


def test_an_account_step_refused_stops_the_run_at_the_step(store: Store) -> None:
    steps = f"  - account: {ACCOUNT}, status: frozen}}\n  - expect: {{state: pending_payment}}\n"
    refused = run(store, steps)
    # at the account step's line, saying what the record must be
    assert [(p.line, p.json_path) for p in refused.failures] == [(20, "$.steps[1]")]
    assert "Account status: choose one of active, watch, blocked" in refused.failures[0].message_in("en")
    assert "客户账户未能保存" in refused.failures[0].message_in("zh")
    assert refused.steps == 1  # the expectation after it was not taken


def test_a_runner_needs_a_frozen_clock(store: Store) -> None:
    with pytest.raises(TypeError, match="FrozenClock"):
        ScenarioRunner(Engine(store, PluginRegistry.from_entry_points(), SystemClock()), lambda: None, REPO)


def test_a_shipment_record_is_fired_and_checked_by_its_kind_and_number(store: Store) -> None:
    """The order's one shipment record ships from SH-01; an expectation of a record the order does not
    have, or of a field it does not hold, fails at its place naming what the order has."""
    text = """\
  - fire: pay
    as: storefront
    data: {method: alipay, amount: 478, transaction_ref: '2026050100000001'}
  - fire: ship
    record: shipment#1
    as: storefront
    data: {carrier: sf}
    expect_refused: requires role warehouse
  - fire: ship
    record: shipment#1
    as: keeper
    data: {carrier: sf}
  - expect:
      state: shipped
      records:
        shipment#1: {state: shipped, warehouse: SH-01, 'lines[0].qty': 2, carrier: jd, signed_by: x}
        shipment#2: {state: pending}
      audit: [{trigger: shipment.ship, actor: keeper}]
"""
    head = HEAD.replace(
        "    storefront: {roles: [clerk], departments: [retail]}\n",
        "    storefront: {roles: [clerk], departments: [retail]}\n"
        "    keeper: {roles: [warehouse], departments: [retail]}\n",
    )
    scenario = load_scenario(head + ORDER + text, "s.yaml").scenario
    assert scenario is not None
    engine = Engine(store, PluginRegistry.from_entry_points(), FrozenClock(scenario.clock))
    result = ScenarioRunner(engine, lambda: None, REPO).run(scenario)
    assert failures(result) == [
        "36:84: expected shipment#1 carrier jd, got sf",
        "36:99: expected shipment#1 signed_by x, got (missing)",
        "37:29: expected shipment#2 state pending, got (no such record; the order's: payment#1, shipment#1)",
    ]
    assert (result.steps, result.checks) == (5, 9)
