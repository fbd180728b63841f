"""The order list's filters, sorts and keyset pages, the search box and masked mobiles, through Flask's
test client over the shipped retail workflow (its ``search:`` and ``reveal:``)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import CHINA_TIME
from engine.dsl.compiler import load_bundle
from tests.web.conftest import REPO_ROOT, add_user, log_in, retail_app
from tests.web.test_orders import create, lock_of, pay_through_the_page

MOBILES = {"王芳": "13812345678", "李雷": "13900001234", "韩梅梅": "13611112222"}
WAYBILL = "SF1234567890"
REF = "2026000001"  # the payment reference ``pay_through_the_page`` sends


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The shipped retail workflow published, stock for it, li.na (clerk and service: the mobile whole)
    of retail and chen.jing of wholesale."""
    app = retail_app(tmp_path, "orders-list-tests")
    services = app.extensions["orderloom"]
    add_user(app, "li.na", "li.na-demo", ("clerk", "service"), ("retail",))
    add_user(app, "chen.jing", "chen.jing-demo", ("sales",), ("wholesale",))
    yield app
    services.close()


@pytest.fixture
def clerk(app: Flask) -> FlaskClient:
    return log_in(app.test_client(), "li.na", "li.na-demo")


def listed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/orders/(\d+)">#', page)]


@pytest.fixture
def three(app: Flask, clerk: FlaskClient) -> dict[str, int]:
    """Three retail orders of 98, 186 and 274 yuan; 李雷's paid and shipped with waybill SF1234567890."""
    made = {}
    for qty, name in enumerate(MOBILES, 1):
        made[name] = create(
            clerk, **{"customer.name": name, "customer.mobile": MOBILES[name], "lines[0].qty": str(qty)}
        )
    pay_through_the_page(clerk, made["李雷"])
    add_user(app, "xu.ming", "xu.ming-demo", ("warehouse",), ("retail",))
    warehouse = log_in(app.test_client(), "xu.ming", "xu.ming-demo")
    order = made["李雷"]
    page = warehouse.get(f"/orders/{order}").text  # shipped on its shipment record
    shipped = {"carrier": "sf", "waybill": WAYBILL, "_lock_version": lock_of(page)}
    assert warehouse.post(f"/orders/{order}/records/shipment/1/ship", data=shipped).status_code == 302
    return made


def test_the_list_filters_by_amount_channel_and_day_and_sorts(
    clerk: FlaskClient,
    three: dict[str, int],
) -> None:
    a, b, c = three["王芳"], three["李雷"], three["韩梅梅"]
    assert listed(clerk.get("/orders").text) == [c, b, a]
    assert listed(clerk.get("/orders?amount_from=100").text) == [c, b]
    assert listed(clerk.get("/orders?amount_from=100&amount_to=200").text) == [b]
    assert listed(clerk.get("/orders?amount_to=%EF%BC%91%EF%BC%90%EF%BC%90").text) == [a]  # full-width 100
    assert listed(clerk.get("/orders?sort=amount_high").text) == [c, b, a]
    assert listed(clerk.get("/orders?sort=amount_low").text) == [a, b, c]
    assert listed(clerk.get("/orders?sort=oldest").text) == [a, b, c]
    assert listed(clerk.get("/orders?sort=updated").text)[0] == b  # shipped last
    assert listed(clerk.get("/orders?channel=web").text) == [c, b, a]
    assert listed(clerk.get("/orders?channel=app").text) == []
    today = datetime.now(CHINA_TIME).date()
    assert listed(clerk.get(f"/orders?created_from={today}&created_to={today}").text) == [c, b, a]
    yesterday = today - timedelta(days=1)
    assert listed(clerk.get(f"/orders?created_to={yesterday}").text) == []
    assert listed(clerk.get(f"/orders?created_from={today + timedelta(days=1)}").text) == []
    kept = clerk.get("/orders?amount_from=100&sort=amount_high&channel=web").text
    assert 'name="amount_from" type="text" value="100"' in kept  # the filters keep their values
    assert '<option value="amount_high" selected>' in kept and '<option value="web" selected>' in kept


def test_a_value_that_cannot_be_read_is_said_beside_its_field_and_kept(
    clerk: FlaskClient,
    three: dict[str, int],
) -> None:
    cases = {
        "created_from=2026-02-30": ("created_from", "2026-02-30", "is not a date there is", "不存在"),
        "created_to=20261207": ("created_to", "20261207", "is not a date there is", "不存在"),
        "amount_from=-5": ("amount_from", "-5", "out of range", "超出范围"),
        "amount_to=abc": ("amount_to", "abc", "is not an amount", "不是数字"),
    }
    for typed, (name, value, en, zh) in cases.items():
        page = clerk.get(f"/orders?{typed}&lang=en")
        assert page.status_code == 400, typed
        assert f'id="f-{name}" name="{name}"' in page.text and f'value="{value}"' in page.text, typed
        assert f'aria-describedby="f-{name}-error"' in page.text and en in page.text, typed
        assert listed(page.text) == [three["韩梅梅"], three["李雷"], three["王芳"]]  # shown unfiltered
        assert zh in clerk.get(f"/orders?{typed}&lang=zh").text, typed
    bad_sort = clerk.get("/orders?sort=cheapest&lang=en")
    assert bad_sort.status_code == 400 and "there is no sort 'cheapest'" in html.unescape(bad_sort.text)
    reversed_amounts = clerk.get("/orders?amount_from=300&amount_to=100&lang=en")
    assert reversed_amounts.status_code == 400 and "is below the lowest" in reversed_amounts.text


def test_keyset_pages_follow_the_sort_and_the_filters(
    clerk: FlaskClient,
    three: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("web.orders.PAGE_SIZE", 1)
    a, b, c = three["王芳"], three["李雷"], three["韩梅梅"]
    seen = []
    address = "/orders?sort=amount_high&amount_from=50"
    pages = []
    while address:
        page = clerk.get(address).text
        seen += listed(page)
        pages.append(address)
        assert "offset" not in page and "page=" not in page
        found = re.search(r'href="([^"]+)" rel="next"', page)
        address = html.unescape(found.group(1)) if found else ""
        if found:
            assert "amount_from=50" in address and "sort=amount_high" in address  # the filters kept
    assert seen == [c, b, a]
    last = clerk.get(pages[-1]).text
    found = re.search(r'href="([^"]+)" rel="prev"', last)
    assert found is not None
    assert listed(clerk.get(html.unescape(found.group(1))).text) == [b]


@pytest.mark.parametrize(
    ("typed", "who", "matched_en"),
    [
        ("5678", "王芳", "mobile ending 5678"),
        ("\uff11\uff12\uff13\uff14", "李雷", "mobile ending 1234"),  # full-width digits from an input method
        ("139 0000 1234", "李雷", "mobile 13900001234"),
        ("李雷", "李雷", "name 李雷"),
        (" 韩梅梅 ", "韩梅梅", "name 韩梅梅"),
        ("sf1234567890", "李雷", f"waybill {WAYBILL.lower()}"),
        (REF, "李雷", f"payment reference {REF}"),
    ],
)
def test_the_search_box_finds_by_mobile_tail_whole_mobile_name_waybill_and_payment_reference(
    clerk: FlaskClient,
    three: dict[str, int],
    typed: str,
    who: str,
    matched_en: str,
) -> None:
    page = clerk.get("/orders", query_string={"q": typed, "lang": "en"}).text
    assert listed(page) == [three[who]], typed
    assert f'class="matched">{html.escape(matched_en, quote=False)}' in page.replace("&#39;", "'"), typed
    assert f'value="{html.escape(typed)}"' in page  # the box keeps what was typed


def test_the_search_finds_an_order_by_its_number_and_says_so_in_chinese(
    clerk: FlaskClient,
    three: dict[str, int],
) -> None:
    b = three["李雷"]
    page = clerk.get("/orders", query_string={"q": f"#{b}", "lang": "zh"}).text
    assert listed(page) == [b] and f'class="matched">订单号 #{b}' in page
    tail = clerk.get("/orders", query_string={"q": "5678", "lang": "zh"}).text
    assert 'class="matched">手机尾号 5678' in tail
    assert listed(clerk.get("/orders", query_string={"q": "0000"}).text) == []  # no mobile ends so


def test_another_departments_clerk_finds_nothing_of_these_orders(
    app: Flask,
    three: dict[str, int],
) -> None:
    other = log_in(app.test_client(), "chen.jing", "chen.jing-demo")
    for typed in ("5678", "13812345678", "王芳", WAYBILL, REF, f"#{three['王芳']}"):
        page = other.get("/orders", query_string={"q": typed, "lang": "zh"}).text
        assert listed(page) == [] and "没有符合条件的订单" in page, typed


def test_a_role_not_in_reveal_sees_the_mobile_masked_everywhere_and_still_finds_by_it(
    app: Flask,
    clerk: FlaskClient,
    three: dict[str, int],
) -> None:
    a = three["王芳"]
    add_user(app, "zhou.yan", "zhou.yan-demo", ("clerk",), ("retail",))
    masked = log_in(app.test_client(), "zhou.yan", "zhou.yan-demo")
    found = masked.get("/orders", query_string={"q": "13812345678", "lang": "en"}).text
    assert listed(found) == [a] and 'class="matched">mobile 138****5678' in found
    table = found[found.index('id="order-list"') : found.index("</table>")]
    assert "13812345678" not in table  # only where it was typed: the box, the other language's link
    order_page = masked.get(f"/orders/{a}?lang=en").text
    assert "138****5678" in order_page and "13812345678" not in order_page
    step_page = masked.get(f"/orders/{a}/fire/pay?lang=en").text
    assert "13812345678" not in step_page
    # the service desk (li.na: clerk and service) sees it whole
    assert "13812345678" in clerk.get(f"/orders/{a}?lang=en").text
    whole = clerk.get("/orders", query_string={"q": "13812345678", "lang": "en"}).text
    assert 'class="matched">mobile 13812345678' in whole


def test_the_list_says_what_it_shows_by_the_names_people_know(
    clerk: FlaskClient, three: dict[str, int]
) -> None:
    """A state chosen without its workflow reads by its label, with a word on how to take a step on
    several; a search says what was searched, not "filters"."""
    page = clerk.get("/orders?state=pending_payment&lang=zh").text
    crumbs = re.search(r'<p class="crumbs">(.*?)</p>', page, re.S)
    assert crumbs is not None and "待支付" in crumbs.group(1) and "pending_payment" not in crumbs.group(1)
    assert 'id="batch-needs-both"' in page and "选定一个流程和它的一个状态后" in page
    both = clerk.get("/orders?workflow=retail-order&state=pending_payment&lang=zh").text
    assert 'id="batch-needs-both"' not in both and 'id="batch-select"' in both
    found = clerk.get("/orders?q=5678&lang=en").text
    crumbs = re.search(r'<p class="crumbs">(.*?)</p>', found, re.S)
    assert crumbs is not None and "search “5678”" in html.unescape(crumbs.group(1))
    assert "Filters" not in crumbs.group(1)


def test_the_state_filter_groups_each_workflows_states_under_its_title_and_filters_by_both(
    app: Flask, clerk: FlaskClient, three: dict[str, int]
) -> None:
    services = app.extensions["orderloom"]
    services.engine.publish(load_bundle(REPO_ROOT / "workflows" / "retail" / "flash-sale.yaml", REPO_ROOT))
    page = clerk.get("/orders?lang=zh").text
    select = page.split('id="f-state"')[1].split("</select>")[0]
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)
    assert [label for label, _ in groups] == ["秒杀订单", "零售订单"]
    values = [re.findall(r'value="([^"]+)"', options) for _, options in groups]
    assert "retail-flash-sale:pending_payment" in values[0] and "retail-order:pending_payment" in values[1]
    assert len(set(values[0] + values[1])) == len(values[0]) + len(values[1])  # no option twice
    picked = clerk.get("/orders?lang=zh&state=retail-order:pending_payment").text
    assert listed(picked) == [three["韩梅梅"], three["王芳"]]
    workflow = picked.split('id="f-workflow"')[1].split("</select>")[0]
    assert '<option value="retail-order" selected>' in workflow
    assert "<span>零售订单</span> <span>待支付</span>" in picked
