"""What a browser can post into a form's fields (web/formdata.py): impossible dates and times, numbers no
order holds, far years. Each is read as the text typed, so validation says what is wrong beside the field
and the page shows it again; none is a 500, and nothing is created or fired."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from engine.dsl.compiler import load_bundle
from engine.store import tables
from tests.web.conftest import add_user, log_in, retail_app
from tests.web.test_orders import create, lock_of, pay_through_the_page
from web.formdata import local_input, parse_form
from web.forms import CompiledForm, compile_form, render_standalone

REPO = Path(__file__).resolve().parents[2]
DEFS = Path(__file__).resolve().parent / "defs"
REQUEST = "/orders/new/after_sales/after-sales-request/web"

# Typed into a date-time, time or date field: each is no moment there is, or none an order can hold.
IMPOSSIBLE_DATETIMES = [
    "2026-02-30T10:00",  # no 30 February
    "2026-13-01T10:00",
    "2026-01-01T25:61",
    "2026-01-01T24:00",
    "0000-01-01T10:00",
    "0001-01-01T00:00",  # a year 1 in China time is before year 1 in UTC
    "99999-01-01T10:00",
    "2026-1-1T10:00",
]
IMPOSSIBLE_TIMES = ["25:61", "24:00", "23:60", "99:99:99", "9:30"]
IMPOSSIBLE_DATES = ["2026-02-30", "99999-01-01", "0000-01-01", "2026-00-10"]
NO_NUMBERS = ["nan", "NaN", "inf", "-Infinity", "1e400", "-1e400", "9" * 5000, "1" + "0" * 400]


@pytest.fixture(scope="module")
def showroom() -> CompiledForm:
    return compile_form(DEFS / "forms" / "showroom" / "service-order.json")


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        *(("visit.confirmed_at", text) for text in IMPOSSIBLE_DATETIMES),
        *(("visit.slot", text) for text in IMPOSSIBLE_TIMES),
        *(("visit.day", text) for text in IMPOSSIBLE_DATES),
        *(("lines[0].qty", text) for text in NO_NUMBERS),
        *(("weight_kg", text) for text in NO_NUMBERS),
    ],
)
def test_what_no_field_can_hold_is_refused_beside_it_and_shown_again_as_typed(
    showroom: CompiledForm, name: str, typed: str
) -> None:
    data = parse_form([(name, typed)], showroom.layout, showroom.schema)
    field = name.replace("[0]", "[]")
    errors = showroom.validator.messages(showroom.layout.prepare(data), showroom.layout)
    assert any(e.field == field for e in errors), (typed, data)
    for lang in ("zh", "en"):
        page = render_standalone(showroom, showroom.layout.prepare(data), lang)
        shown = typed if len(typed) < 100 else typed[:50]
        assert shown in page


ODD_AMOUNTS = ["1e3", "1E3", "2e-1", "0x10", "1_000", "Infinity", "nan", "１ｅ３"]


@pytest.mark.parametrize("typed", ODD_AMOUNTS)
def test_an_amount_of_money_written_other_than_in_digits_is_refused_saying_how_to_write_it(
    typed: str,
) -> None:
    """Python reads 1e3 as 1000; a refund of "1e3" is no amount a person means: refused beside the field,
    shown again as typed, in both languages."""
    form = compile_form(REPO / "forms" / "retail" / "return-request.json")
    data = parse_form([("refund_amount", typed)], form.layout, form.schema)
    assert data["refund_amount"] == typed  # left as text
    errors = form.validator.messages(form.layout.prepare(data), form.layout)
    [error] = [e for e in errors if e.field == "refund_amount"]
    assert error.en == (
        "Refund amount (CNY): enter an amount in digits with at most two decimals, like 1000 or 99.50 "
        "(not 1e3 or the like)"
    )
    assert "1000 或 99.50" in error.zh
    assert typed in render_standalone(form, form.layout.prepare(data), "en")


@pytest.mark.parametrize(
    ("typed", "read"), [("1000", 1000), ("99.50", 99.5), ("1,000.5", 1000.5), ("１２", 12)]
)
def test_an_amount_in_digits_is_read_as_its_number(typed: str, read: float) -> None:
    form = compile_form(REPO / "forms" / "retail" / "return-request.json")
    assert parse_form([("refund_amount", typed)], form.layout, form.schema)["refund_amount"] == read


@pytest.fixture(params=["sqlite", "postgres"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The retail and after-sales workflows published, on SQLite and on PostgreSQL."""
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    app = retail_app(tmp_path, "formdata-tests", database_url=url)
    services = app.extensions["orderloom"]
    add_user(app, "li.na", "li.na-demo", ("clerk", "service"), ("retail", "after_sales"))
    add_user(app, "zhao.lei", "zhao.lei-demo", ("warehouse",), ("retail",))
    services.engine.publish(load_bundle(REPO / "workflows" / "after-sales" / "request.yaml", REPO))
    yield app
    services.close()


@pytest.fixture
def clerk(app: Flask) -> FlaskClient:
    return log_in(app.test_client(), "li.na", "li.na-demo")


def _orders(app: Flask) -> int:
    with app.extensions["orderloom"].store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(tables.orders)).scalar_one())


def _key(page: str) -> str:
    found = re.search(r'name="_key" value="([0-9a-f]+)"', page)
    assert found is not None
    return found.group(1)


def after_sales_request(key: str, delivered_at: str) -> MultiDict[str, str]:
    return MultiDict(
        [
            ("_key", key),
            ("original_order_no", "RO2026120100001"),
            ("type", "return"),
            ("reason_code", "size"),
            ("item_condition", "opened_intact"),
            ("delivered_at", delivered_at),
            ("customer.name", "黄芳"),
            ("customer.mobile", "13600000001"),
            ("lines", ""),
            ("lines[0].sku", "AT-C202"),
            ("lines[0].name", "安踏 C202 跑鞋"),
            ("lines[0].qty", "1"),
            ("lines[0].unit_price", "399"),
            ("refund_amount", "399"),
            ("reason", "尺码偏小，想换大一码的"),
        ]
    )


@pytest.mark.parametrize("typed", ["2026-02-30T10:00", "0001-01-01T00:00", "2026-01-01T25:61"])
def test_an_impossible_delivery_time_on_a_new_request_keeps_everything_typed(
    app: Flask, clerk: FlaskClient, typed: str
) -> None:
    """It was a 500 ("day is out of range for month"), and the whole typed request was lost."""
    for lang in ("zh", "en"):
        key = _key(clerk.get(REQUEST).text)
        response = clerk.post(f"{REQUEST}?lang={lang}", data=after_sales_request(key, typed))
        assert response.status_code == 422, response.text[-2000:]
        page = response.text
        assert 'id="f-delivered_at-error"' in page
        said = {
            "zh": "原订单签收时间格式不正确：应为日期和时间，如 2026-01-31 09:30",
            "en": "Original delivery time: enter a date and time like 2026-01-31 09:30",
        }
        if typed.startswith("2026-02-30"):  # written as asked, on a day the calendar does not have
            said = {
                "zh": "原订单签收时间：2026-02-30 不是存在的日期",
                "en": "Original delivery time: 2026-02-30 is not a real date",
            }
        assert said[lang] in page
        assert f'value="{typed}"' in page and 'value="RO2026120100001"' in page and 'value="黄芳"' in page
        assert "尺码偏小，想换大一码的" in page
        refreshed = clerk.post(
            f"{REQUEST}/refresh?lang={lang}",
            data=after_sales_request(key, typed),
            headers={"HX-Request": "true"},
        )
        assert refreshed.status_code == 200, refreshed.text[-2000:]  # the page's refresh as it is typed
    assert _orders(app) == 0


@pytest.fixture
def shipped(app: Flask, clerk: FlaskClient) -> tuple[FlaskClient, str, str]:
    """The warehouse's client, where the deliver form of a shipped order's shipment posts, and the
    order's lock version (the forms beside the records, on the order's page)."""
    order_id = create(clerk)
    pay_through_the_page(clerk, order_id)
    warehouse = log_in(app.test_client(), "zhao.lei", "zhao.lei-demo")
    page = f"/orders/{order_id}"
    ship = f"{page}/records/shipment/1/ship"
    sent = warehouse.post(ship, data={"carrier": "sf", "_lock_version": lock_of(warehouse.get(page).text)})
    assert sent.status_code == 302, sent.text[-2000:]
    shown = warehouse.get(page).text
    deliver = f"{page}/records/shipment/1/deliver"
    assert f'action="{deliver}"' in shown and 'type="datetime-local" name="delivered_at"' in shown
    return warehouse, deliver, lock_of(shown)


def test_an_impossible_delivery_time_on_a_step_fires_nothing(shipped: tuple[FlaskClient, str, str]) -> None:
    warehouse, deliver, lock = shipped
    impossible = ["2026-02-30T10:00", "0001-01-01T00:00", "99999-01-01T10:00", "2026-01-01T25:61"]
    # typed into the text box the page shows in the picker's place: RFC 3339 at the calendar's ends,
    # moments there are, which the step's guard refuses (before the parcel left, in the future)
    guarded = ["0001-01-01T00:00:00+08:00", "9999-12-31T23:00:00-08:00"]
    guard = {"zh": "签收时间不能晚于现在", "en": "The delivery time can be neither in the future"}
    picked = {
        "zh": "签收时间格式不正确：应为日期和时间，如 2026-01-31 09:30",
        "en": "Delivered at: enter a date and time like 2026-01-31 09:30",
    }
    for typed in impossible + guarded:
        sent = {"delivered_at": typed, "signed_by": "黄芳", "_lock_version": lock}
        for lang in ("zh", "en"):
            sent_back = warehouse.post(f"{deliver}?lang={lang}", data=sent)
            assert sent_back.status_code == 303, (typed, sent_back.text[-2000:])  # back to the order's page
            response = warehouse.get(sent_back.headers["Location"])
            # what was typed is in the shipment's form again, a time the picker cannot hold in a text box
            assert f'value="{typed}"' in response.text and 'value="黄芳"' in response.text
            # in the picker when it can show it (the calendar's ends), else as typed in a text box: a
            # browser empties a picker given a day or an hour there is not
            kind = "datetime-local" if typed in ("0001-01-01T00:00", "99999-01-01T10:00") else "text"
            assert f'<input type="{kind}" name="delivered_at" value="{typed}"' in response.text
            if typed.startswith("2026-02-30"):  # written as asked, on a day the calendar does not have
                gone = {
                    "zh": "签收时间：2026-02-30 不是存在的日期",
                    "en": "Delivered at: 2026-02-30 is not a real date",
                }
                assert gone[lang] in response.text
            elif typed in impossible:  # asked for as the person picks it, not as it is stored
                assert picked[lang] in response.text and "09:30:00+08:00" not in response.text
            else:
                assert guard[lang] in response.text
    assert lock_of(warehouse.get(deliver.split("/records/")[0]).text) == lock  # nothing fired


# What a browser's date-time input (or the text box shown in its place) and a text input can send.
_TWO = st.integers(0, 99).map(lambda n: f"{n:02d}")
_LOCAL = st.builds(
    lambda y, mo, d, h, mi: f"{y}-{mo}-{d}T{h}:{mi}", st.integers(0, 99999).map(str), _TWO, _TWO, _TWO, _TWO
)
# RFC 3339, as the text box shown in a picker's place may be given it, up to the calendar's ends
_RFC3339 = st.builds(
    lambda moment, hours: moment.replace(tzinfo=timezone(timedelta(hours=hours))).isoformat(),
    st.datetimes(),
    st.integers(-23, 23),
)
_POSTED = st.one_of(
    _LOCAL,
    _RFC3339,
    st.text(st.sampled_from("0123456789-:T.eE+ ,naifNI"), max_size=30),
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(delivered_at=_POSTED, signed_by=_POSTED)
def test_no_value_posted_to_a_step_page_is_a_server_error(
    shipped: tuple[FlaskClient, str, str], delivered_at: str, signed_by: str
) -> None:
    """The deliver step's page of a shipped order: a time the guard takes is all but never drawn (it must
    be within minutes of now), so each value is parsed, validated and shown again, or the step refused."""
    warehouse, deliver, lock = shipped
    sent = {"delivered_at": delivered_at, "signed_by": signed_by, "_lock_version": lock}
    response = warehouse.post(f"{deliver}?lang=en", data=sent)
    assert response.status_code < 500, response.text[-2000:]


def test_a_time_stored_with_microseconds_fills_a_datetime_input_to_the_second() -> None:
    """A delivery time filled from another order kept its microseconds, which a datetime-local input
    does not take: the input was left empty and the form refused as missing."""
    assert local_input("2026-12-07T09:15:42.123456+00:00", "datetime") == "2026-12-07T17:15:42"
    assert local_input("2026-12-07T09:15:00+00:00", "datetime") == "2026-12-07T17:15:00"
