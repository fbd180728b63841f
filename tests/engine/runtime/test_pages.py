"""The calls the pages make (engine/runtime/pages.py): each shows what the separate calls show, in one
call; a step taken from its page fires as ``Engine.fire`` does, and a refusal, a conflict or a page
shown again writes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.errors import NotFound
from engine.runtime import Engine, ListQuery, StepPage, read_list_query
from engine.store import Store
from engine.store.reports import state_counts
from engine.store.tables import audit_events
from tests.engine.runtime.conftest import CLERK, OUTSIDER, bundle

ORDER = {"customer": "张三", "total": 120}
PAYMENT = {"amount": 120, "method": "card"}


def audit_rows(store: Store) -> int:
    with store.read() as tx:
        return int(tx.connection.execute(select(func.count()).select_from(audit_events)).scalar_one())


def test_the_order_page_shows_what_the_separate_calls_show(engine: Engine) -> None:
    order = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    page = engine.order_page(order.id, CLERK)
    assert page.order == engine.get_order(order.id, CLERK)
    assert page.spec == engine.spec("retail-order", order.version)
    assert list(page.history) == engine.history(order.id, CLERK)
    assert list(page.triggers) == engine.available_triggers(order.id, CLERK)
    assert {form.path for form in page.forms} == {
        form.path for form in engine.published_forms("retail-order", order.version)
    }
    with pytest.raises(NotFound):
        engine.order_page(order.id, OUTSIDER)


def test_a_step_page_has_the_step_its_form_and_says_when_it_is_not_possible_now(engine: Engine) -> None:
    order = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    page = engine.step_page(order.id, "pay", CLERK)
    assert page.info is not None and page.info.allowed
    assert page.form == engine.transition_form(order.id, "pay", CLERK)
    assert page.form is not None and page.form.path == "forms/payment.json"
    later = engine.step_page(order.id, "ship", CLERK)  # a step of the workflow, not from here
    assert later.info is None and later.transition is not None and later.transition.trigger == "ship"
    unknown = engine.step_page(order.id, "teleport", CLERK)
    assert unknown.info is None and unknown.transition is None
    with pytest.raises(NotFound):
        engine.step_page(order.id, "pay", OUTSIDER)


def test_a_step_taken_from_its_page_fires_with_the_data_the_page_sent(engine: Engine, store: Store) -> None:
    order = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    shown: list[StepPage] = []

    def sent(page: StepPage) -> Mapping[str, Any]:
        shown.append(page)
        return PAYMENT

    taken = engine.take_step(order.id, "pay", CLERK, sent, expected_lock_version=order.lock_version)
    assert taken.result is not None and taken.result.to_state == "paid"
    assert taken.rejected is None and taken.conflict is None
    assert shown == [taken.page] and taken.page.order.state == "pending_payment"  # the page as drawn
    assert engine.get_order(order.id, CLERK).data["paid_by"] == "ann"  # the action ran


def test_a_refused_or_stale_step_comes_back_with_its_page_and_writes_nothing(
    engine: Engine, store: Store
) -> None:
    order = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    before = audit_rows(store)
    bad = engine.take_step(order.id, "pay", CLERK, lambda page: {"amount": -1, "method": "card"})
    assert bad.result is None and bad.rejected is not None and bad.page.form is not None
    assert any(r.details.get("path") == "$.amount" for r in bad.rejected.refusals)
    stale = engine.take_step(
        order.id, "pay", CLERK, lambda page: PAYMENT, expected_lock_version=order.lock_version + 1
    )
    assert stale.result is None and stale.conflict is not None
    sent = engine.take_step(order.id, "pay", CLERK, lambda page: {**PAYMENT, "coupon": "X"})
    assert sent.rejected is not None and [r.code for r in sent.rejected.refusals] == ["form"]
    again = engine.take_step(order.id, "pay", CLERK, lambda page: None)  # the page asked for again
    assert again.result is None and again.rejected is None and again.conflict is None
    not_now = engine.take_step(order.id, "ship", CLERK, lambda page: {})
    assert not_now.result is None and not_now.page.info is None
    unstorable = engine.take_step(
        order.id, "pay", CLERK, lambda page: {"amount": float("nan"), "method": "card"}
    )
    assert unstorable.rejected is not None
    assert audit_rows(store) == before and engine.get_order(order.id, CLERK).state == "pending_payment"


def test_home_counts_what_the_store_counts_with_the_channels_of_new_orders(
    engine: Engine, store: Store
) -> None:
    for total in (0, 120, 130):  # the free one pays itself
        engine.create_order(CLERK, "retail", "retail-order", "web", {**ORDER, "total": total})
    rows = {row.workflow: row for row in engine.home(CLERK)}
    kept = state_counts(store, CLERK.scope)
    for name, row in rows.items():
        assert dict(row.by_state) == {
            state: n for (_, workflow, state), n in kept.items() if workflow == name
        }
        assert row.version == engine.versions(name)[-1].version
    retail = rows["retail-order"]
    assert dict(retail.by_state) == {"pending_payment": 2, "paid": 1}
    assert retail.label("paid", "zh") == "已支付" and retail.title.get("en") == "Retail order"
    assert retail.channels == ("web",)
    assert "retail-order" not in {row.workflow for row in engine.home(OUTSIDER)}


def test_home_labels_a_state_the_newest_version_lacks_as_the_version_its_orders_run_on(
    engine: Engine,
) -> None:
    engine.publish(bundle("versions/retail-order-renamed"))  # v2: pending_payment is awaiting_payment
    waiting = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    assert (waiting.version, waiting.state) == (2, "awaiting_payment")
    assert engine.publish(bundle("retail-order")).version == 3  # v1 again: a rollback
    engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    retail = next(row for row in engine.home(CLERK) if row.workflow == "retail-order")
    assert (retail.version, dict(retail.by_state)) == (3, {"awaiting_payment": 1, "pending_payment": 1})
    assert retail.label("awaiting_payment", "en") == "Awaiting payment"
    assert retail.label("awaiting_payment", "zh") == "待支付"
    assert retail.label("pending_payment", "en") == "Pending payment"


def test_a_list_of_orders_comes_with_each_orders_version_and_the_filtered_workflow(engine: Engine) -> None:
    ids = [engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id for _ in range(3)]
    first = engine.order_list(CLERK, limit=2)
    assert [listed.order.id for listed in first.orders] == ids[:0:-1] and first.more
    assert all(listed.spec.name == "retail-order" for listed in first.orders)
    query, _ = read_list_query({"after": first.next_after or ""})
    rest = engine.order_list(CLERK, query, limit=2)
    assert [listed.order.id for listed in rest.orders] == ids[:1] and not rest.more
    filtered = engine.order_list(CLERK, ListQuery(workflow="retail-order", state="pending_payment"))
    assert filtered.workflow is not None and filtered.workflow.name == "retail-order"
    assert engine.order_list(CLERK, ListQuery(workflow="no-such-order")).workflow is None


def test_an_intake_page_is_the_newest_versions_form_of_the_channel(engine: Engine) -> None:
    page = engine.intake_page(CLERK, "retail", "retail-order", "web")
    assert page.spec.name == "retail-order"
    assert page.form == engine.intake_form("retail-order", "web")
    for department, workflow, channel, actor in (
        ("wholesale", "retail-order", "web", CLERK),  # another department's workflow
        ("retail", "retail-order", "phone", CLERK),  # a channel it does not take
        ("retail", "no-such-order", "web", CLERK),
        ("retail", "retail-order", "web", OUTSIDER),  # outside the actor's departments
    ):
        with pytest.raises(NotFound):
            engine.intake_page(actor, department, workflow, channel)
