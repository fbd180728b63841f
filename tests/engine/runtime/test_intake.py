"""create_order checks the channel and the channel's intake form as well as the data form."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.clock import FrozenClock
from engine.errors import Refusal, TransitionRejected
from engine.runtime import Engine
from engine.store import Store
from engine.store.tables import orders
from tests.engine.runtime.conftest import CLERK, bundle

WEB = {"customer": "张三", "total": 88, "mobile": "13812345678"}
INTAKE = "forms/intake-web.json"
DATA = "forms/order.json"


@pytest.fixture
def intake_engine(engine: Engine) -> Engine:
    engine.publish(bundle("intake-order"))
    return engine


def order_count(store: Store) -> int:
    with store.read() as tx:
        return int(tx.connection.execute(select(func.count()).select_from(orders)).scalar_one())


def refused(engine: Engine, channel: str | None, data: dict[str, object]) -> list[Refusal]:
    with pytest.raises(TransitionRejected) as caught:
        engine.create_order(CLERK, "retail", "intake-order", channel, data)
    return caught.value.refusals


def test_an_order_that_fills_both_forms_is_created(intake_engine: Engine) -> None:
    order = intake_engine.create_order(CLERK, "retail", "intake-order", "web", {**WEB, "coupon": "SPRING"})
    assert (order.channel, order.state, order.data["mobile"]) == ("web", "pending_payment", "13812345678")


def test_the_intake_form_refuses_each_field_it_does_not_accept(intake_engine: Engine, store: Store) -> None:
    data = {"customer": "张三", "total": 88, "mobile": "12345", "cupon": "SPRING"}
    refusals = refused(intake_engine, "web", data)
    assert all(r.code == "form" and r.details["form"] == INTAKE for r in refusals)
    by_path = {r.details["path"]: r for r in refusals}
    assert set(by_path) == {"$", "$.mobile"}
    assert (by_path["$.mobile"].zh, by_path["$.mobile"].en) == (
        "mobile格式不正确",
        "The mobile is not in the expected format",
    )
    assert by_path["$"].zh == "表单包含不接受的字段：cupon"
    assert by_path["$"].en == "The form has fields it does not take: cupon"
    assert order_count(store) == 0


def test_a_missing_intake_field_is_refused_though_the_data_form_does_not_ask_for_it(
    intake_engine: Engine,
) -> None:
    [refusal] = refused(intake_engine, "web", {"customer": "张三", "total": 88})
    assert refusal.details == {"path": "$.mobile", "field": "mobile", "keyword": "required", "form": INTAKE}
    assert (refusal.zh, refusal.en) == ("请填写mobile", "Enter the mobile")


def test_both_forms_report_together_and_a_shared_error_is_named_once(intake_engine: Engine) -> None:
    refusals = refused(intake_engine, "web", {"total": -1, "mobile": "13812345678"})
    got = sorted((r.details["path"], r.details["form"]) for r in refusals)
    # customer is missing for both forms (named once, by the intake form the clerk fills); total < 0
    # for both as well.
    assert got == [("$.customer", INTAKE), ("$.total", INTAKE)]
    refusals = refused(intake_engine, "web", {"customer": "", "total": 1})
    got = sorted((r.details["path"], r.details["form"]) for r in refusals)
    assert got == [("$.customer", INTAKE), ("$.mobile", INTAKE)]


def test_a_channel_without_an_intake_form_checks_only_the_data_form(intake_engine: Engine) -> None:
    order = intake_engine.create_order(
        CLERK, "retail", "intake-order", "phone", {"customer": "李四", "total": 5, "called_at": "09:30"}
    )
    assert order.channel == "phone" and order.data["called_at"] == "09:30"
    [refusal] = refused(intake_engine, "phone", {"customer": "李四"})
    assert refusal.details == {"path": "$.total", "field": "total", "keyword": "required", "form": DATA}


def test_no_channel_checks_only_the_data_form(intake_engine: Engine) -> None:
    order = intake_engine.create_order(
        CLERK, "retail", "intake-order", None, {"customer": "王五", "total": 1}
    )
    assert order.channel is None


def test_an_unknown_channel_is_refused_naming_the_allowed_ones(intake_engine: Engine, store: Store) -> None:
    [refusal] = refused(intake_engine, "fax", {})  # the channel is refused before any form is checked
    assert refusal == Refusal(
        "channel",
        "流程 intake-order 不接受渠道 fax；可用渠道：web、phone",
        "workflow intake-order does not take orders from channel 'fax'; allowed channels: web, phone",
        {"channel": "fax", "allowed": ["web", "phone"]},
    )
    [near] = refused(intake_engine, "wbe", WEB)
    assert near.en.endswith("allowed channels: web, phone; did you mean 'web'?")
    assert order_count(store) == 0


def test_a_workflow_that_lists_no_channels_takes_orders_only_without_one(engine: Engine) -> None:
    with pytest.raises(TransitionRejected) as caught:
        engine.create_order(CLERK, "retail", "audited-order", "web", {"customer": "张三", "total": 5})
    [refusal] = caught.value.refusals
    assert refusal.code == "channel" and refusal.details["allowed"] == []
    assert refusal.en.endswith("allowed channels: none") and refusal.zh.endswith("可用渠道：无")


def test_a_refused_intake_keeps_the_idempotency_key_free(
    intake_engine: Engine, store: Store, clock: FrozenClock
) -> None:
    with pytest.raises(TransitionRejected):
        intake_engine.create_order(
            CLERK, "retail", "intake-order", "web", {"customer": "x"}, idempotency_key="i-1"
        )
    order = intake_engine.create_order(CLERK, "retail", "intake-order", "web", WEB, idempotency_key="i-1")
    again = intake_engine.create_order(CLERK, "retail", "intake-order", "web", WEB, idempotency_key="i-1")
    assert again == order and order_count(store) == 1
    with pytest.raises(TransitionRejected) as reused:  # the key now stands for the first request
        intake_engine.create_order(CLERK, "retail", "intake-order", "web", {}, idempotency_key="i-1")
    assert reused.value.refusals[0].code == "idempotency" and order_count(store) == 1
