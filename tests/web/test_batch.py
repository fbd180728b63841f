"""One step on many orders from the batch pages (web/batch.py), through Flask's test client over the
shipped retail workflow: the page lists the orders the step is taken on and those left out with why;
each order is its own transaction with a result row of its own; a change made meanwhile refuses that
order alone; a form is checked once before any order is touched; another department finds nothing."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from werkzeug.datastructures import MultiDict

from engine.dsl.compiler import load_bundle
from engine.store import tables
from tests.web.conftest import add_user, log_in, retail_app
from tests.web.test_orders import create, pay_through_the_page

REPO = Path(__file__).resolve().parents[2]
STOCK = [("TEA-01", "SH-01", 500), ("CUP-02", "SH-01", 800)]


def batch_app(tmp_path: Path, name: str) -> Flask:
    """The retail workflow published, with a clerk, a warehouse keeper and a wholesale clerk."""
    app = retail_app(tmp_path, name, stock=STOCK)
    add_user(app, "li.na", "li.na-demo", ("clerk", "service"), ("retail",))
    add_user(app, "zhou.qiang", "zhou.qiang-demo", ("warehouse",), ("retail",))
    add_user(app, "chen.jing", "chen.jing-demo", ("sales", "clerk"), ("wholesale",))
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = batch_app(tmp_path, "batch-tests")
    yield app
    app.extensions["orderloom"].close()


@pytest.fixture
def clerk(app: Flask) -> FlaskClient:
    return log_in(app.test_client(), "li.na", "li.na-demo")


_made = itertools.count(1)


def new(clerk: FlaskClient) -> int:
    """A new unpaid retail order, each with a note of its own (the same order again would be asked
    about first)."""
    return create(clerk, note=f"batch order {next(_made)}")


def states(app: Flask, ids: list[int]) -> dict[int, str]:
    with app.extensions["orderloom"].store.engine.connect() as connection:
        rows = connection.execute(
            select(tables.orders.c.id, tables.orders.c.state).where(tables.orders.c.id.in_(ids))
        )
        return {row.id: row.state for row in rows}


def events(app: Flask) -> int:
    with app.extensions["orderloom"].store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(tables.audit_events)).scalar_one())


def selection(trigger: str, ids: list[int]) -> str:
    return f"/orders/batch?trigger={trigger}&" + "&".join(f"o={i}" for i in ids)


def posted(page: str) -> MultiDict[str, str]:
    """What the batch page's form sends, as drawn."""
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return MultiDict([(name, value) for name, value in fields if name != "csrf_token"])


def test_a_clerk_cancels_three_unpaid_orders_in_one_batch(app: Flask, clerk: FlaskClient) -> None:
    ids = [new(clerk) for _ in range(3)]
    page = clerk.get(selection("cancel", ids) + "&lang=zh")
    assert page.status_code == 200
    assert "将对 3 个订单执行「取消」" in page.text
    before = events(app)
    result = clerk.post("/orders/batch?lang=zh", data=posted(page.text))
    assert result.status_code == 200
    body = result.get_data(as_text=True)  # streamed: a row per order as its step commits
    assert body.count('data-done="1"') == 3 and 'data-done="0"' not in body
    assert "完成 3 个，未执行 0 个" in body and "现为「已取消」" in body
    assert 'href="/orders?workflow=retail-order&amp;state=pending_payment" id="batch-back"' in body
    assert set(states(app, ids).values()) == {"cancelled"}
    # per order, each its own transaction: its cancel, and its shipment record cancelled with it
    assert events(app) - before == 6


def test_a_page_closed_while_the_batch_runs_does_not_stop_it(app: Flask, clerk: FlaskClient) -> None:
    ids = [new(clerk) for _ in range(3)]
    response = clerk.post("/orders/batch", data=posted(clerk.get(selection("cancel", ids)).text))
    chunks = response.response  # the streamed body: read its first piece only, then the page is closed
    next(iter(chunks))
    response.close()
    assert set(states(app, ids).values()) == {"cancelled"}


def test_an_order_changed_meanwhile_is_refused_alone(app: Flask, clerk: FlaskClient) -> None:
    ids = [new(clerk) for _ in range(3)]
    page = clerk.get(selection("cancel", ids)).text
    with app.extensions["orderloom"].store.engine.begin() as connection:  # another clerk's change to one
        changed = tables.orders.c.id == ids[1]
        connection.execute(
            update(tables.orders).where(changed).values(lock_version=tables.orders.c.lock_version + 1)
        )
    body = clerk.post("/orders/batch?lang=en", data=posted(page)).get_data(as_text=True)
    assert body.count('data-done="1"') == 2 and body.count('data-done="0"') == 1
    refused = re.search(rf'data-done="0">\s*<td><a href="/orders/{ids[1]}">', body)
    assert refused is not None, body
    assert "2 done, 1 refused" in body
    assert states(app, ids) == {ids[0]: "cancelled", ids[1]: "pending_payment", ids[2]: "cancelled"}


def test_orders_the_step_does_not_leave_are_left_out_with_why(app: Flask, clerk: FlaskClient) -> None:
    unpaid, paid, gone = new(clerk), new(clerk), new(clerk)
    pay_through_the_page(clerk, paid)  # paid and reviewed: pending shipment, another state
    clerk.post("/orders/batch", data=posted(clerk.get(selection("cancel", [gone])).text)).get_data()
    page = clerk.get(selection("cancel", [unpaid, paid, gone, 999_999]) + "&lang=en").text
    assert "“Cancel” will be taken on 1 order(s)" in page
    left = page[page.index('id="batch-left"') :]
    assert f"#{paid}</a> · The order is in" in left  # another state than the first order's
    assert f"#{gone}</a> · The order is now “Cancelled”" in left
    assert "#999999</a> · No such order" in left
    assert re.findall(r'name="o" value="(\d+):\d+"', page) == [str(unpaid)]


def test_the_same_batch_sent_twice_takes_each_step_once(app: Flask, clerk: FlaskClient) -> None:
    ids = [new(clerk) for _ in range(2)]
    sent = posted(clerk.get(selection("cancel", ids)).text)
    clerk.post("/orders/batch", data=sent).get_data(as_text=True)
    before = events(app)
    again = clerk.post("/orders/batch?lang=en", data=sent).get_data(as_text=True)
    assert events(app) == before
    assert 'data-done="1"' not in again and "The order is now “Cancelled”" in again


def test_a_form_is_checked_once_before_any_order_is_touched(app: Flask, clerk: FlaskClient) -> None:
    """The payment provider declined two orders' payments at once: one failure recorded on each."""
    ids = [new(clerk) for _ in range(2)]
    page = clerk.get(selection("record_payment_failure", ids) + "&lang=zh").text
    assert page.count('name="method"') == 1  # the step's form, once
    before = events(app)
    wrong = posted(page)
    wrong.update({"method": "pigeon", "failure_code": "INSUFFICIENT_FUNDS", "failure_message": "余额不足"})
    refused = clerk.post("/orders/batch?lang=zh", data=wrong)
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
    assert events(app) == before
    right = posted(page)
    right.update({"method": "card", "failure_code": "INSUFFICIENT_FUNDS", "failure_message": "余额不足"})
    body = clerk.post("/orders/batch", data=right).get_data(as_text=True)
    assert body.count('data-done="1"') == 2
    assert events(app) - before == 2
    assert set(states(app, ids).values()) == {"pending_payment"}


def test_a_step_the_person_may_not_take_is_left_out(app: Flask, clerk: FlaskClient) -> None:
    ids = [new(clerk) for _ in range(2)]
    warehouse = log_in(app.test_client(), "zhou.qiang", "zhou.qiang-demo")
    page = warehouse.get(selection("cancel", ids) + "&lang=en").text  # the warehouse, not a clerk
    assert 'name="o"' not in page and "None of the orders selected can take this step" in page


def paid(app: Flask, clerk: FlaskClient, n: int) -> tuple[list[int], FlaskClient]:
    """``n`` orders paid, pending shipment (a shipment record each), and the warehouse logged in."""
    ids = [new(clerk) for _ in range(n)]
    for order_id in ids:
        pay_through_the_page(clerk, order_id)
    assert set(states(app, ids).values()) == {"pending_shipment"}
    return ids, log_in(app.test_client(), "zhou.qiang", "zhou.qiang-demo")


def shipments(app: Flask, ids: list[int]) -> list[tuple[str, str | None, str | None]]:
    """Each order's shipment records: the state, the carrier and the waybill (numbered per parcel)."""
    with app.extensions["orderloom"].store.engine.connect() as connection:
        found = tables.order_records
        rows = connection.execute(
            select(found.c.state, found.c.data)
            .where(found.c.order_id.in_(ids), found.c.kind == "shipment")
            .order_by(found.c.order_id, found.c.number)
        )
        return [(row.state, row.data.get("carrier"), row.data.get("waybill")) for row in rows]


@pytest.mark.parametrize(
    ("lang", "offered", "planned", "done"),
    [
        ("zh", "批量发货单：发货", "将对 2 个订单执行「发货单：发货」", "完成 2 个，未执行 0 个"),
        ("en", "Selected: Shipment: Ship", "Shipment: Ship", "2 done, 0 refused"),
    ],
)
def test_the_warehouse_ships_the_orders_pending_shipment_in_one_batch(
    app: Flask, clerk: FlaskClient, lang: str, offered: str, planned: str, done: str
) -> None:
    """The list of orders pending shipment offers the shipments' ship to the warehouse; the batch ships
    every order's shipment with the carrier chosen once, a waybill issued per parcel, and the orders
    move to shipped by themselves."""
    ids, warehouse = paid(app, clerk, 2)
    listed = warehouse.get(f"/orders?workflow=retail-order&state=pending_shipment&lang={lang}").text
    assert 'id="batch-step-shipment.ship"' in listed and offered in listed
    page = warehouse.get(selection("shipment.ship", ids) + f"&lang={lang}").text
    assert page.count('name="carrier"') == 1 and planned in page  # the step's form, once
    assert all(f'name="o" value="{i}:' in page for i in ids)
    before = events(app)
    sent = posted(page)
    sent["carrier"] = "sf"
    body = warehouse.post(f"/orders/batch?lang={lang}", data=sent).get_data(as_text=True)
    assert body.count('data-done="1"') == 2 and done in body
    assert set(states(app, ids).values()) == {"shipped"}
    assert events(app) - before == 4  # per order: its shipment's ship, then its all_shipped
    parcels = shipments(app, ids)
    assert [(state, carrier) for state, carrier, _ in parcels] == [("shipped", "sf")] * 2
    waybills = [waybill for _, _, waybill in parcels]
    assert all(waybills) and len(set(waybills)) == 2  # one issued per parcel


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_batch_ship_form_has_no_waybill_box_and_one_posted_is_refused(
    app: Flask, clerk: FlaskClient, lang: str
) -> None:
    """A waybill is each parcel's own (x-per-record): the batch's one form leaves it out (the carrier
    plugin issues one per parcel), and one sent anyway refuses every order, nothing shipped."""
    ids, warehouse = paid(app, clerk, 2)
    page = warehouse.get(selection("shipment.ship", ids) + f"&lang={lang}").text
    assert 'name="carrier"' in page and 'name="waybill"' not in page
    sent = posted(page)
    sent["carrier"] = "sf"
    sent["waybill"] = "SF1234567890"
    body = warehouse.post(f"/orders/batch?lang={lang}", data=sent).get_data(as_text=True)
    assert 'data-done="1"' not in body
    words = {
        "zh": "「运单号」每条发货单各不相同，不能在批量操作中统一填写",
        "en": "Waybill number differs for each shipment",
    }
    assert body.count(words[lang]) == 2
    assert [state for state, _, _ in shipments(app, ids)] == ["pending"] * 2
    one = warehouse.get(f"/orders/{ids[0]}?lang={lang}").text  # a parcel shipped on its own takes one
    assert 'name="waybill"' in one


def test_a_clerk_is_not_offered_the_shipments_ship(app: Flask, clerk: FlaskClient) -> None:
    ids, _ = paid(app, clerk, 2)
    listed = clerk.get("/orders?workflow=retail-order&state=pending_shipment&lang=en").text
    assert 'id="batch-step-shipment.ship"' not in listed
    page = clerk.get(selection("shipment.ship", ids) + "&lang=en").text
    assert 'name="o"' not in page and "None of the orders selected can take this step" in page
    assert "Shipment: Ship" in page
    forged = MultiDict([("trigger", "shipment.ship"), ("_key", "k2"), ("carrier", "sf")])
    forged.setlist("o", [f"{i}:1" for i in ids])
    body = clerk.post("/orders/batch", data=forged).get_data(as_text=True)
    assert 'data-done="1"' not in body
    assert [state for state, _, _ in shipments(app, ids)] == ["pending"] * 2


def test_an_order_already_shipped_is_left_out_with_why(app: Flask, clerk: FlaskClient) -> None:
    ids, warehouse = paid(app, clerk, 2)
    sent = posted(warehouse.get(selection("shipment.ship", ids[:1])).text)
    sent["carrier"] = "jd"
    assert 'data-done="1"' in warehouse.post("/orders/batch", data=sent).get_data(as_text=True)
    page = warehouse.get(selection("shipment.ship", ids) + "&lang=zh").text
    assert f'name="o" value="{ids[1]}:' in page and f'name="o" value="{ids[0]}:' not in page
    assert "订单处于「已发货」：发货单的「发货」须在订单处于「待发货」时执行" in page  # why it is left out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_list_of_shipped_orders_offers_no_ship(app: Flask, clerk: FlaskClient, lang: str) -> None:
    """The shipped orders wait on their shipments' delivery, but ship names pending shipment alone in
    its order_states: the shipped list offers no batch of it (my work counts none there either)."""
    ids, warehouse = paid(app, clerk, 2)
    sent = posted(warehouse.get(selection("shipment.ship", ids[:1])).text)
    sent["carrier"] = "jd"
    assert 'data-done="1"' in warehouse.post("/orders/batch", data=sent).get_data(as_text=True)
    shipped = warehouse.get(f"/orders?workflow=retail-order&state=shipped&lang={lang}").text
    assert f'href="/orders/{ids[0]}"' in shipped and 'id="batch-step-shipment.' not in shipped
    pending = warehouse.get(f"/orders?workflow=retail-order&state=pending_shipment&lang={lang}").text
    assert 'id="batch-step-shipment.ship"' in pending


def test_the_shipments_batch_needs_the_forms_token(app: Flask, clerk: FlaskClient) -> None:
    ids, warehouse = paid(app, clerk, 1)
    sent = posted(warehouse.get(selection("shipment.ship", ids)).text)
    sent["carrier"] = "sf"
    warehouse.csrf_token = "not-the-token"  # type: ignore[attr-defined]
    refused = warehouse.post("/orders/batch?lang=en", data=sent)
    assert refused.status_code == 400
    assert [state for state, _, _ in shipments(app, ids)] == ["pending"]


def test_another_department_finds_none_of_the_orders(app: Flask, clerk: FlaskClient) -> None:
    ids = [new(clerk) for _ in range(2)]
    other = log_in(app.test_client(), "chen.jing", "chen.jing-demo")
    page = other.get(selection("cancel", ids) + "&lang=en").text
    assert page.count("No such order, or it is not in your departments") == 2
    forged = MultiDict([("trigger", "cancel"), ("_key", "k1"), *(("o", f"{i}:1") for i in ids)])
    body = other.post("/orders/batch", data=forged).get_data(as_text=True)
    assert 'data-done="1"' not in body
    assert set(states(app, ids).values()) == {"pending_payment"}


@pytest.mark.parametrize(
    "query",
    [
        "/orders/batch?trigger=cancel",
        "/orders/batch?o=1",
        "/orders/batch?trigger=cancel&o=x",
        "/orders/batch?trigger=cancel&o=0",
    ],
)
def test_a_bad_selection_is_a_400(clerk: FlaskClient, query: str) -> None:
    assert clerk.get(query).status_code == 400


def test_a_post_without_the_lock_versions_is_a_400(clerk: FlaskClient) -> None:
    order_id = new(clerk)
    response = clerk.post("/orders/batch", data={"trigger": "cancel", "o": str(order_id)})
    assert response.status_code == 400


def test_the_list_of_one_workflow_and_state_offers_its_steps_for_the_selected(
    app: Flask, clerk: FlaskClient
) -> None:
    ids = [new(clerk) for _ in range(2)]
    page = clerk.get("/orders?workflow=retail-order&state=pending_payment&lang=zh").text
    assert 'id="batch-select"' in page
    steps = re.findall(r'name="trigger" value="([a-z_]+)"', page)
    assert steps == ["pay", "record_payment_failure", "cancel"]  # a clerk's, from pending payment
    assert 'id="batch-step-payment.' not in page  # a payment's steps are taken on its record alone
    assert all(f'name="o" value="{i}" form="batch-select"' in page for i in ids)
    assert "data-key-approve" in page and 'id="keys-help"' in page
    unfiltered = clerk.get("/orders?lang=zh").text
    assert 'id="batch-select"' not in unfiltered and 'name="o"' not in unfiltered
    warehouse = log_in(app.test_client(), "zhou.qiang", "zhou.qiang-demo")
    theirs = warehouse.get("/orders?workflow=retail-order&state=pending_payment").text
    assert 'id="batch-select"' not in theirs  # no step of the warehouse leaves pending payment


@pytest.mark.parametrize(("lang", "words"), [("zh", "批量发货单：发货"), ("en", "Selected: Shipment: Ship")])
def test_my_work_offers_the_shipments_ship_on_the_orders_pending_shipment(
    app: Flask, clerk: FlaskClient, lang: str, words: str
) -> None:
    """The warehouse's my work groups its orders pending shipment under a bar that ships the ticked
    ones' shipments (the record kind's step, as the list offers it), back to my work."""
    ids, warehouse = paid(app, clerk, 2)
    page = warehouse.get(f"/work?lang={lang}").text
    bar = page[page.index('class="batch-bar"') : page.index("</form>", page.index('class="batch-bar"'))]
    assert 'value="shipment.ship"' in bar and words in bar
    assert all(f'name="o" value="{i}"' in page for i in ids)
    batch = warehouse.get(selection("shipment.ship", ids) + f"&next=/work&lang={lang}").text
    sent = posted(batch)
    sent["carrier"] = "sf"
    assert sent.get("next") == "/work"
    body = warehouse.post(f"/orders/batch?lang={lang}", data=sent).get_data(as_text=True)
    assert body.count('data-done="1"') == 2 and 'href="/work" id="batch-back"' in body
    assert set(states(app, ids).values()) == {"shipped"}
    assert 'value="shipment.ship"' not in warehouse.get(f"/work?lang={lang}").text  # nothing left to ship


def test_a_queue_of_orders_pending_shipment_offers_the_shipments_ship(
    tmp_path: Path, app: Flask, clerk: FlaskClient
) -> None:
    """A version of the retail order that queues the orders pending shipment (dispatch): the queue's
    page offers the shipments' ship on the orders ticked, as my work does."""
    text = (REPO / "workflows" / "retail" / "order.yaml").read_text(encoding="utf-8")
    state = "  pending_shipment:\n    label: {zh: 待发货, en: Pending shipment}\n"
    assert state in text
    queued = tmp_path / "order.yaml"
    queued.write_text(text.replace(state, state + "    queue: dispatch\n"), encoding="utf-8")
    app.extensions["orderloom"].engine.publish(load_bundle(queued, REPO))
    ids, warehouse = paid(app, clerk, 2)
    page = warehouse.get("/work/queues/retail/dispatch?lang=en").text
    assert 'value="shipment.ship"' in page and "Selected: Shipment: Ship" in page
    assert all(f'name="o" value="{i}"' in page for i in ids)
