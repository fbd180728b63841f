"""Form pages through Flask's test client: rendering every widget, filling, validating, htmx refreshes.

``tests/web/defs/forms/showroom/service-order.json`` is a 30-field form with every widget, order lines
with computed amounts, and an invoice group shown only when an invoice is wanted; the shipped retail web
intake form is used where the shipped behaviour matters. Pages are read back the way a browser posts
them (:func:`posted`: enabled, named controls; ticked boxes; selected options; textarea content).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from datetime import date, datetime, time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from tests.web.conftest import add_user, log_in, make_app
from web.formdata import CHINA_TIME, TIME_WITH_OFFSET, parse_form, parse_name, rows_over_limit
from web.forms import CompiledForm, compile_form, concrete_name, element_id, render_standalone
from wiring.settings import Settings

DEFS = Path(__file__).resolve().parent / "defs"
REPO = Path(__file__).resolve().parents[2]
SHOWROOM = "/forms/showroom/service-order"
RETAIL = "/forms/retail/intake-web"


# --------------------------------------------------------------------------------------------------
# Reading a page as a browser would


class Page(HTMLParser):
    """The elements of a page: every tag with its attributes, the text of each, and the form's pairs."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.pairs: list[tuple[str, str]] = []
        self.text: list[str] = []
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._option: list[str] | None = None
        self._textarea: tuple[str, list[str], bool] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v if v is not None else "" for k, v in attrs}
        self.tags.append((tag, found))
        name, disabled = found.get("name"), "disabled" in found
        if tag == "input" and name and not disabled:
            kind = found.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in found:
                    self.pairs.append((name, found.get("value", "on")))
            elif kind not in ("submit", "button", "reset", "image", "file"):
                self.pairs.append((name, found.get("value", "")))
        elif tag == "select":
            self._select = (name or "", []) if name and not disabled else ("", [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((found.get("value", ""), "selected" in found))
        elif tag == "textarea":
            self._textarea = (name or "", [], not disabled and bool(name))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            name, options = self._select
            if name and options:
                chosen = [value for value, selected in options if selected] or [options[0][0]]
                self.pairs.append((name, chosen[-1]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, parts, used = self._textarea
            content = "".join(parts)
            if content.startswith("\n"):  # the HTML parser drops a newline right after <textarea>
                content = content[1:]
            if used:
                self.pairs.append((name, content))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)
        else:
            self.text.append(data)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def one(self, tag: str, **attrs: str) -> dict[str, str]:
        found = self.all(tag, **attrs)
        assert len(found) == 1, (tag, attrs, found)
        return found[0]

    def by_id(self, element_id: str) -> dict[str, str]:
        found = [a for _, a in self.tags if a.get("id") == element_id]
        assert len(found) == 1, (element_id, found)
        return found[0]

    def has_id(self, element_id: str) -> bool:
        return any(a.get("id") == element_id for _, a in self.tags)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def labels_for(page: Page) -> dict[str, int]:
    counts: dict[str, int] = {}
    for attrs in page.all("label"):
        if "for" in attrs:
            counts[attrs["for"]] = counts.get(attrs["for"], 0) + 1
    return counts


# --------------------------------------------------------------------------------------------------
# Fixtures


def _app(tmp_path: Path, root: Path) -> Flask:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}",
        definitions_root=root,
        secret_key="form-tests",
    )
    return make_app(settings)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[FlaskClient]:
    app = _app(tmp_path, DEFS)
    yield log_in(app.test_client())
    app.extensions["orderloom"].close()


@pytest.fixture
def retail(tmp_path: Path) -> Iterator[FlaskClient]:
    app = _app(tmp_path, REPO)
    yield log_in(app.test_client())
    app.extensions["orderloom"].close()


@pytest.fixture(scope="module")
def showroom() -> CompiledForm:
    return compile_form(DEFS / "forms" / "showroom" / "service-order.json")


def filled() -> MultiDict[str, str]:
    """The showroom form filled in completely and validly, as the page posts it (30 fields, 2 lines)."""
    return MultiDict(
        [
            ("_group", "customer"),
            ("customer.name", "张伟"),
            ("customer.mobile", "13812345678"),
            ("customer.email", "zhang.wei@example.cn"),
            ("customer.id_number", "11010519491231002X"),
            ("customer.member_level", "gold"),
            ("customer.member_code", "AB1234"),
            ("visit.day", "2026-12-01"),
            ("visit.slot", "09:30"),
            ("visit.confirmed_at", "2026-11-30T15:20"),
            ("visit.channel", ""),
            ("visit.channel", "phone"),
            ("visit.urgent", "false"),
            ("visit.urgent", "true"),
            ("services", ""),
            ("services", "install"),
            ("services", "clean"),
            ("address.province", "上海市"),
            ("address.city", "上海"),
            ("address.detail", "浦东新区世纪大道100号\n8楼"),
            ("address.postcode", "200120"),
            ("lines", ""),
            ("lines[0].sku", "TV-55"),
            ("lines[0].name", "电视机"),
            ("lines[0].qty", "2"),
            ("lines[0].unit_price", "2,999.50"),
            ("lines[0].amount", "1"),  # whatever the browser says, the server computes it
            ("lines[0].note", ""),
            ("lines[1].sku", "WALL-MOUNT"),
            ("lines[1].name", "挂架"),
            ("lines[1].qty", "１"),  # full-width digits, as a Chinese input method may type them
            ("lines[1].unit_price", "99"),
            ("lines[1].note", "白色"),
            ("shipping_fee", "20"),
            ("discount", "10.5"),
            ("total", "0"),
            ("weight_kg", "32.5"),
            ("needs_invoice", "false"),
            ("needs_invoice", "true"),
            ("invoice.title", "上海某某科技有限公司"),
            ("invoice.tax_id", "91310000MA1FL0000X"),
            ("remark", "请提前一小时电话联系"),
            ("ticket_ref", "T-2026-0042"),
            ("staff", "王芳"),
        ]
    )


EXPECTED = {
    "customer": {
        "name": "张伟",
        "mobile": "13812345678",
        "email": "zhang.wei@example.cn",
        "id_number": "11010519491231002X",
        "member_level": "gold",
        "member_code": "AB1234",
    },
    "visit": {
        "day": "2026-12-01",
        "slot": "09:30:00+08:00" if TIME_WITH_OFFSET else "09:30:00",
        "confirmed_at": "2026-11-30T15:20:00+08:00",
        "channel": "phone",
        "urgent": True,
    },
    "services": ["install", "clean"],
    "address": {
        "province": "上海市",
        "city": "上海",
        "detail": "浦东新区世纪大道100号\n8楼",
        "postcode": "200120",
    },
    "lines": [
        {"sku": "TV-55", "name": "电视机", "qty": 2, "unit_price": 2999.5, "amount": 5999.0},
        {"sku": "WALL-MOUNT", "name": "挂架", "qty": 1, "unit_price": 99, "amount": 99, "note": "白色"},
    ],
    "shipping_fee": 20,
    "discount": 10.5,
    "total": 6107.5,
    "weight_kg": 32.5,
    "needs_invoice": True,
    "invoice": {"title": "上海某某科技有限公司", "tax_id": "91310000MA1FL0000X"},
    "remark": "请提前一小时电话联系",
    "ticket_ref": "T-2026-0042",
    "staff": "王芳",
}


def without(form: MultiDict[str, str], *names: str) -> MultiDict[str, str]:
    return MultiDict([(k, v) for k, v in form.items(multi=True) if k not in names])


def replaced(form: MultiDict[str, str], **values: str) -> MultiDict[str, str]:
    """``form`` with the last value of each name (dotted names written with ``__`` for ``.``) replaced."""
    out = form.copy()
    for key, value in values.items():
        name = key.replace("__", ".")
        kept = out.getlist(name)[:-1]
        out.setlist(name, [*kept, value])
    return out


# --------------------------------------------------------------------------------------------------
# Rendering


def test_every_widget_is_rendered_with_a_label_bound_to_its_input(client: FlaskClient) -> None:
    response = client.post(f"{SHOWROOM}?lang=zh", data=replaced(filled(), customer__mobile="1"))
    page = Page(response.text)
    labels = labels_for(page)
    controls = [
        (tag, attrs)
        for tag, attrs in page.tags
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden"
    ]
    assert len(controls) >= 30
    for tag, attrs in controls:
        assert labels.get(attrs["id"]) == 1, (tag, attrs)  # exactly one <label for> per input
    assert page.by_id("f-customer-name")["type"] == "text"
    assert page.by_id("f-customer-mobile")["type"] == "tel"
    assert page.by_id("f-customer-email")["type"] == "email"
    assert page.one("select", id="f-customer-member_level")
    assert page.by_id("f-visit-day")["type"] == "date"
    slot = page.by_id("f-visit-slot")
    assert (slot["type"], slot["value"]) == ("time", "09:30:00")
    confirmed = page.by_id("f-visit-confirmed_at")
    assert (confirmed["type"], confirmed["value"]) == ("datetime-local", "2026-11-30T15:20:00")
    assert len(page.all("input", type="radio", name="visit.channel")) == 4
    assert page.by_id("f-visit-urgent")["type"] == "checkbox"
    assert len(page.all("input", type="checkbox", name="services")) == 3
    assert page.one("textarea", id="f-address-detail")
    assert page.by_id("f-lines-0-qty")["inputmode"] == "numeric"
    price = page.by_id("f-lines-0-unit_price")
    assert (price["value"], price["inputmode"]) == ("2999.50", "decimal")
    amount = page.by_id("f-lines-0-amount")
    assert amount["value"] == "5999.00" and "readonly" in amount
    assert page.by_id("f-total")["value"] == "6107.50"
    assert page.one("input", type="hidden", name="ticket_ref")["value"] == "T-2026-0042"
    assert "readonly" in page.by_id("f-staff")
    # nested objects are fieldsets with a legend; the visit object sits in the "visit" group
    assert page.one("fieldset", id="f-visit")
    assert "上门安排" in page.words
    # help text is announced with its input
    mobile = page.by_id("f-customer-mobile")
    assert mobile["aria-describedby"].split() == ["f-customer-mobile-help", "f-customer-mobile-error"]
    assert page.by_id("f-customer-mobile-help")
    assert "用于预约上门" in page.words


def test_the_page_is_shown_in_english_or_chinese(client: FlaskClient) -> None:
    en = Page(client.get(f"{SHOWROOM}?lang=en").text)
    zh = Page(client.get(f"{SHOWROOM}?lang=zh").text)
    assert en.one("html")["lang"] == "en" and zh.one("html")["lang"] == "zh-CN"
    assert "Showroom service order" in en.words and "Contact's mobile number" in en.words
    assert "门店服务单" in zh.words and "联系人手机号" in zh.words
    assert "+ Add a line" in en.words and "＋ 添加一行" in zh.words


def test_an_empty_form_shows_min_items_rows_and_no_errors(client: FlaskClient) -> None:
    response = client.get(SHOWROOM)
    assert response.status_code == 200
    page = Page(response.text)
    assert page.has_id("f-lines-row-0") and not page.has_id("f-lines-row-1")
    assert not page.all("div", role="alert")
    assert "hidden" in page.by_id("group-invoice")  # the invoice group waits for "invoice wanted"
    assert not page.has_id("f-invoice-title")
    # at the minimum the only row cannot be removed
    assert "disabled" in page.one("button", value="remove:lines[0]")


# --------------------------------------------------------------------------------------------------
# Submitting


def test_a_filled_form_is_valid_and_shows_the_data_the_engine_would_get(client: FlaskClient) -> None:
    response = client.post(f"{SHOWROOM}?lang=en", data=filled())
    assert response.status_code == 200, Page(response.text).words
    page = Page(response.text)
    assert page.all("section", role="status")
    assert json.loads(next(t for t in page.text if t.startswith("{"))) == EXPECTED


def test_hidden_groups_are_stripped_before_validation(client: FlaskClient) -> None:
    form = replaced(filled(), needs_invoice="false")
    response = client.post(f"{SHOWROOM}?lang=en", data=form)
    assert response.status_code == 200
    data = json.loads(next(t for t in Page(response.text).text if t.startswith("{")))
    assert data["needs_invoice"] is False and "invoice" not in data


MESSAGES = [
    # (what is changed, field id, zh, en)
    (
        {"customer__name": ""},
        "f-customer-name",
        "请填写客户姓名",
        "Customer's name: enter a value",
    ),
    (
        {"customer__mobile": "2345678901"},
        "f-customer-mobile",
        "联系人手机号格式不正确：应为11位手机号",
        "Contact's mobile number: enter an 11-digit mobile number starting with 1",
    ),
    (
        {"customer__member_code": "ab12"},
        "f-customer-member_code",
        "客户会员编号格式不正确",
        "Customer's member code: not in the expected format",
    ),
    (
        {"lines[1]__qty": "0"},
        "f-lines-1-qty",
        "商品明细第2行数量不能小于1",
        "Quantity in line 2 of the order lines: at least 1",
    ),
    (
        {"invoice__title": ""},
        "f-invoice-title",
        "请填写发票抬头",
        "Invoice title: enter a value",
    ),
]


@pytest.mark.parametrize(("change", "target", "zh", "en"), MESSAGES)
def test_the_message_beside_a_field_in_both_languages(
    client: FlaskClient, change: dict[str, str], target: str, zh: str, en: str
) -> None:
    for lang, text in (("zh", zh), ("en", en)):
        response = client.post(f"{SHOWROOM}?lang={lang}", data=replaced(filled(), **change))
        assert response.status_code == 422
        page = Page(response.text)
        field = page.by_id(target)
        assert field["aria-invalid"] == "true"
        assert f"{target}-error" in field["aria-describedby"].split()
        # beside the field
        error_at = response.text.index(f'id="{target}-error"')
        assert str(escape(text)) in response.text[error_at : error_at + 400]
        # and in the summary, as a link to the field, in a role="alert" region
        summary = page.one("div", role="alert")
        assert summary["id"] == "form-errors"
        assert page.one("a", href=f"#{target}")
        assert len([a for a in page.all("a") if a.get("href", "").startswith("#f-")]) == 1
        assert text in page.words


def test_min_items_when_every_line_is_removed(client: FlaskClient) -> None:
    form = MultiDict([(k, v) for k, v in filled().items(multi=True) if not k.startswith("lines[")])
    for lang, text in (("zh", "请至少添加一件商品"), ("en", "Add at least one product")):
        response = client.post(f"{SHOWROOM}?lang={lang}", data=form)
        assert response.status_code == 422
        page = Page(response.text)
        assert page.by_id("f-lines-error")
        at = response.text.index('id="f-lines-error"')
        assert str(escape(text)) in response.text[at : at + 200]
        assert page.one("a", href="#f-lines")


def test_a_failed_submit_keeps_every_value(client: FlaskClient, showroom: CompiledForm) -> None:
    form = replaced(filled(), customer__mobile="12")
    form.setlist("lines[1].qty", ["many"])
    response = client.post(f"{SHOWROOM}?lang=zh", data=form)
    assert response.status_code == 422
    sent = parse_form(form.items(multi=True), showroom.layout, showroom.schema)
    back = parse_form(Page(response.text).pairs, showroom.layout, showroom.schema)
    expected = showroom.layout.prepare(sent)
    assert back == expected
    assert back["lines"][1]["qty"] == "many"  # not a number: kept as typed, and reported
    assert "商品明细第2行数量应为整数" in Page(response.text).words


def test_user_input_comes_back_as_text_never_as_markup(client: FlaskClient) -> None:
    script = "<script>alert(1)</script>"
    html = '<b onmouseover="alert(2)">bold</b><img src=x onerror=alert(3)>"\'&amp;'
    form = replaced(filled(), customer__name=script, remark=html)
    form.setlist("lines[0].name", [html])
    for data, status in ((form, 200), (replaced(form, customer__mobile="x"), 422)):
        response = client.post(f"{SHOWROOM}?lang=en", data=data)
        assert response.status_code == status
        page = Page(response.text)
        scripts = page.all("script")
        assert scripts == [{"src": "/static/vendor/htmx/htmx.min.js", "defer": ""}]
        assert not page.all("img") and not page.all("b")
        assert "<script>alert(1)</script>" not in response.text
        if status == 422:  # the values are in the inputs, as text
            assert page.by_id("f-customer-name")["value"] == script
            assert dict(page.pairs)["remark"] == html
            assert page.by_id("f-lines-0-name")["value"] == html
        else:  # the success panel shows them as JSON text
            shown = json.loads(next(t for t in page.text if t.startswith("{")))
            assert shown["customer"]["name"] == script and shown["remark"] == html


# --------------------------------------------------------------------------------------------------
# htmx: the refresh endpoint answers only what changed


def refresh(client: FlaskClient, form: MultiDict[str, str], lang: str = "en") -> Page:
    """A refresh as htmx sends it: a row button's own request names the button (``HX-Trigger-Name``)."""
    headers = {"HX-Request": "true"}
    if "_action" in form:
        headers["HX-Trigger-Name"] = "_action"
    response = client.post(f"{SHOWROOM}/refresh?lang={lang}", data=form, headers=headers)
    assert response.status_code == 200
    return Page(response.text)


def swapped(page: Page) -> list[str]:
    return [attrs["id"] for _, attrs in page.tags if "hx-swap-oob" in attrs]


def test_refresh_sends_the_computed_fields_only(client: FlaskClient) -> None:
    form = without(filled(), "needs_invoice", "invoice.title", "invoice.tax_id")
    form.setlist("lines[0].qty", ["3"])
    page = refresh(client, form)
    assert swapped(page) == ["f-lines-0-amount", "f-lines-1-amount", "f-total"]
    assert page.by_id("f-lines-0-amount")["value"] == "8998.50"
    assert page.by_id("f-total")["value"] == "9107.00"  # 8998.50 + 99 + 20 - 10.50
    assert "readonly" in page.by_id("f-total")


def test_refresh_shows_and_hides_the_invoice_group(client: FlaskClient) -> None:
    base = without(filled(), "needs_invoice", "invoice.title", "invoice.tax_id")
    shown_groups = ["customer", "visit", "address", "lines", "totals", "invoice_choice", "other"]
    base.setlist("_group", shown_groups)
    ticked = base.copy()
    ticked.setlist("needs_invoice", ["false", "true"])
    page = refresh(client, ticked, lang="zh")
    assert "group-invoice" in swapped(page)
    assert page.by_id("group-invoice").get("hidden") is None
    assert page.by_id("f-invoice-title")["value"] == ""
    assert "开票信息" in page.words
    # shown now: a refresh that keeps it ticked does not swap it again (focus stays where it is)
    ticked.setlist("_group", [*shown_groups, "invoice"])
    assert "group-invoice" not in swapped(refresh(client, ticked))
    # unticked: the group goes, empty and hidden
    unticked = ticked.copy()
    unticked.setlist("needs_invoice", ["false"])
    page = refresh(client, unticked)
    assert "group-invoice" in swapped(page)
    assert "hidden" in page.by_id("group-invoice")
    assert not page.has_id("f-invoice-title")


def test_a_refresh_the_form_sent_itself_leaves_the_rows_alone(client: FlaskClient) -> None:
    """htmx sends the form's last focused button with the form's own refresh (typed, then tabbed on to a
    remove button): without the button as the request's trigger, nothing is added nor removed."""
    for action in ("add:lines", "remove:lines[0]"):
        form = filled()
        form["_action"] = action
        response = client.post(f"{SHOWROOM}/refresh?lang=en", data=form, headers={"HX-Request": "true"})
        page = Page(response.text)
        assert "f-lines" not in swapped(page) and "f-total" in swapped(page)
        assert not page.has_id("f-lines-row-2")


def test_refresh_adds_and_removes_rows_within_min_and_max(client: FlaskClient) -> None:
    form = filled()
    form["_action"] = "add:lines"
    page = refresh(client, form)
    assert "f-lines" in swapped(page)
    assert page.has_id("f-lines-row-2") and not page.has_id("f-lines-row-3")
    assert "autofocus" in page.by_id("f-lines-2-sku")  # the new row's first input
    assert page.by_id("f-lines-1-name")["value"] == "挂架"  # typed values kept
    assert "f-total" in swapped(page)  # the total outside the table updates too
    # up to the maximum of 5 lines, then "add" is disabled
    rows = MultiDict([(k, v) for k, v in filled().items(multi=True) if not k.startswith("lines[")])
    for index in range(5):
        rows.add(f"lines[{index}].sku", f"SKU-{index}")
    rows["_action"] = "add:lines"
    page = refresh(client, rows)
    assert page.has_id("f-lines-row-4") and not page.has_id("f-lines-row-5")
    assert "disabled" in page.one("button", value="add:lines")
    # removing the first of two lines moves the second up
    form = filled()
    form["_action"] = "remove:lines[0]"
    page = refresh(client, form)
    assert not page.has_id("f-lines-row-1")
    assert page.by_id("f-lines-0-name")["value"] == "挂架"
    assert page.by_id("f-total")["value"] == "108.50"
    assert "disabled" in page.one("button", value="remove:lines[0]")
    # a forged remove below the minimum removes nothing
    one = MultiDict([("lines", ""), ("lines[0].sku", "A-1"), ("_action", "remove:lines[0]")])
    page = refresh(client, one)
    assert page.by_id("f-lines-0-sku")["value"] == "A-1"


def test_without_javascript_the_row_buttons_post_the_whole_form(client: FlaskClient) -> None:
    form = filled()
    form["_action"] = "add:lines"
    response = client.post(f"{SHOWROOM}?lang=en", data=form)
    assert response.status_code == 200
    page = Page(response.text)
    assert page.has_id("f-lines-row-2")
    assert not page.all("div", role="alert")  # a row added is no submit: nothing validated
    assert page.by_id("f-customer-name")["value"] == "张伟"


# --------------------------------------------------------------------------------------------------
# What is refused


@pytest.mark.parametrize(
    "path",
    [
        "/forms/nowhere/service-order",
        "/forms/showroom/nothing",
        "/forms/showroom/service-order.ui",
        "/forms/showroom/..",
        "/forms/..%2F..%2Fetc/passwd",
        "/forms/showroom/..%2F..%2F..%2Fpyproject",
        "/forms/showroom/service-order/extra/parts",
        "/forms/.hidden/x",
    ],
)
def test_unknown_forms_and_names_outside_forms_are_a_404_page(client: FlaskClient, path: str) -> None:
    for lang, text in (("zh", "找不到这张表单"), ("en", "Form not found")):
        response = client.get(f"{path}?lang={lang}")
        assert response.status_code == 404
        assert text in Page(response.text).words
        assert client.post(f"{path}?lang={lang}", data={"x": "1"}).status_code in (404, 405)


def test_a_form_posted_too_large_gets_a_413_page(client: FlaskClient) -> None:
    big = "x" * (2 * 1024 * 1024 + 1)
    for lang, text in (("zh", "提交的内容过大"), ("en", "Too much data submitted")):
        response = client.post(f"{SHOWROOM}?lang={lang}", data={"remark": big})
        assert response.status_code == 413
        assert text in Page(response.text).words
        assert "2 MB" in Page(response.text).words


# The customer and address fields of the retail web intake form, as a browser posts them.
RETAIL_CUSTOMER = (
    ("customer.name", "李娜"),
    ("customer.mobile", "13900001111"),
    ("address.province", "浙江省"),
    ("address.city", "杭州"),
    ("address.district", "西湖区"),
    ("address.detail", "文三路1号"),
)


def test_the_shipped_retail_intake_form_renders_and_validates(retail: FlaskClient) -> None:
    page = Page(retail.get(f"{RETAIL}?lang=zh").text)
    assert "网站零售下单" in page.words
    assert len(page.all("option")) > 30  # the provinces, from the regions option source
    form = MultiDict(
        [
            *RETAIL_CUSTOMER,
            ("lines", ""),
            ("lines[0].sku", "SKU-1"),
            ("lines[0].name", "茶叶"),
            ("lines[0].qty", "3"),
            ("lines[0].unit_price", "45.5"),
            ("shipping_fee", "0"),
            ("discount", "0"),
            ("needs_invoice", "false"),
        ]
    )
    response = retail.post(f"{RETAIL}?lang=zh", data=form)
    assert response.status_code == 200, Page(response.text).words
    data = json.loads(next(t for t in Page(response.text).text if t.startswith("{")))
    assert data["total"] == 136.5 and data["lines"][0]["amount"] == 136.5


# --------------------------------------------------------------------------------------------------
# Field names round-trip the data: render, read the page back as a browser posts it, parse


def test_names_and_ids() -> None:
    assert parse_name("lines[2].qty") == ["lines", 2, "qty"]
    assert parse_name("a.b[0][1].c") == ["a", "b", 0, 1, "c"]
    for bad in ("", "lines[]", "lines[x]", "a..b", "lines[0]x", ".a", "lines[99999999].qty"):
        assert parse_name(bad) is None, bad
    assert concrete_name(["lines", 2, "qty"]) == "lines[2].qty"
    assert element_id("lines[2].unit_price") == "f-lines-2-unit_price"
    assert element_id("a-b.c") != element_id("a.b-c")


_TEXT = st.text(st.characters(exclude_categories=["Cc", "Cs"]), min_size=1, max_size=20)
_MONEY = st.integers(0, 10**9).map(lambda cents: cents / 100)
_LONG = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\x00"), min_size=1)


def _opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def showroom_data(draw: st.DrawFn) -> dict[str, Any]:
    def put(target: dict[str, Any], key: str, value: Any) -> None:
        if value is not None:
            target[key] = value

    customer: dict[str, Any] = {}
    for key in ("name", "mobile", "email", "id_number", "member_code"):
        put(customer, key, draw(_opt(_TEXT)))
    put(customer, "member_level", draw(_opt(st.sampled_from(["regular", "silver", "gold"]))))
    # to the second: a date-time input holds no finer time (web.formdata.local_input fills it so)
    moments = st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1)).map(
        lambda moment: moment.replace(tzinfo=CHINA_TIME, microsecond=0).isoformat()
    )
    visit: dict[str, Any] = {"urgent": draw(st.booleans())}
    put(visit, "day", draw(_opt(st.dates(date(1990, 1, 1), date(2100, 1, 1)).map(date.isoformat))))
    zone = CHINA_TIME if TIME_WITH_OFFSET else None
    put(visit, "slot", draw(_opt(st.times().map(lambda t: t.replace(tzinfo=zone).isoformat()))))
    put(visit, "confirmed_at", draw(_opt(moments)))
    put(visit, "channel", draw(_opt(st.sampled_from(["web", "app", "phone", "email"]))))
    chosen = draw(st.sets(st.sampled_from(["install", "repair", "clean"])))
    address: dict[str, Any] = {}
    for key in ("province", "city", "postcode"):
        put(address, key, draw(_opt(_TEXT)))
    put(address, "detail", draw(_opt(_LONG)))
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        line: dict[str, Any] = {}
        put(line, "sku", draw(_opt(_TEXT)))
        put(line, "name", draw(_opt(_TEXT)))
        put(line, "qty", draw(_opt(st.integers(-(10**6), 10**6))))
        put(line, "unit_price", draw(_opt(_MONEY)))
        put(line, "note", draw(_opt(_TEXT)))
        lines.append(line)
    data: dict[str, Any] = {
        "customer": customer,
        "visit": visit,
        "services": [s for s in ("install", "repair", "clean") if s in chosen],
        "address": address,
        "lines": lines,
        "needs_invoice": draw(st.booleans()),
    }
    put(data, "shipping_fee", draw(_opt(_MONEY)))
    put(data, "discount", draw(_opt(_MONEY)))
    put(data, "weight_kg", draw(_opt(st.floats(-1e9, 1e9, allow_nan=False) | st.integers(-100, 100))))
    put(data, "remark", draw(_opt(_LONG)))
    put(data, "ticket_ref", draw(_opt(_TEXT)))
    put(data, "staff", draw(_opt(_TEXT)))
    if data["needs_invoice"]:
        invoice: dict[str, Any] = {}
        put(invoice, "title", draw(_opt(_TEXT)))
        put(invoice, "tax_id", draw(_opt(_TEXT)))
        data["invoice"] = invoice
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=showroom_data(), lang=st.sampled_from(["zh", "en"]))
def test_render_then_parse_gives_back_the_data(
    showroom: CompiledForm, data: dict[str, Any], lang: str
) -> None:
    prepared = showroom.layout.prepare(data)
    html = render_standalone(showroom, prepared, lang)
    back = parse_form(Page(html).pairs, showroom.layout, showroom.schema)
    assert back == prepared


def test_times_are_read_as_china_time(showroom: CompiledForm) -> None:
    pairs = [("visit.slot", "08:05"), ("visit.confirmed_at", "2026-02-01T23:59"), ("visit.day", "2026-02-01")]
    visit = parse_form(pairs, showroom.layout, showroom.schema)["visit"]
    slot = "08:05:00+08:00" if TIME_WITH_OFFSET else "08:05:00"
    assert visit == {"slot": slot, "confirmed_at": "2026-02-01T23:59:00+08:00", "day": "2026-02-01"}
    assert (time.fromisoformat(visit["slot"]).utcoffset() is not None) == TIME_WITH_OFFSET


def retail_order(lines: int) -> MultiDict[str, str]:
    """The retail web intake form with ``lines`` order lines, as a browser posts it (5 inputs a row)."""
    form = MultiDict([*RETAIL_CUSTOMER, ("shipping_fee", "0"), ("discount", "0"), ("lines", "")])
    for index in range(lines):
        line = (("sku", "SKU-1"), ("name", "茶"), ("qty", "1"), ("unit_price", "2"), ("amount", ""))
        for key, value in line:  # every input of the row, as a browser posts
            form.add(f"lines[{index}].{key}", value)
    return form


def test_two_hundred_lines_are_taken_and_the_two_hundred_and_first_is_refused(retail: FlaskClient) -> None:
    accepted = retail.post(f"{RETAIL}?lang=zh", data=retail_order(200))  # 1,009 fields: over werkzeug's 1,000
    assert accepted.status_code == 200, Page(accepted.text).words[:300]
    assert json.loads(next(t for t in Page(accepted.text).text if t.startswith("{")))["total"] == 400
    refused = retail.post(f"{RETAIL}?lang=zh", data=retail_order(201))
    assert refused.status_code == 422
    assert "一张订单最多200行商品，而提交了201行" in Page(refused.text).words  # the UI file's own message
    assert not Page(refused.text).all("input", name="lines[0].sku")  # refused, not drawn again


def test_thousands_of_lines_are_refused_before_any_is_read(retail: FlaskClient) -> None:
    """9,999 lines (about 660 KiB) to a form taking 200: refused from the names alone, in a short page
    naming the field and its limit, on the page's submit and on its htmx refresh alike."""
    line = (("sku", "SKU-1"), ("qty", "1"))
    form = MultiDict([(f"lines[{i}].{key}", value) for i in range(9_999) for key, value in line])
    for lang, words in (
        ("zh", "一张订单最多200行商品，而提交了9999行。表单未被处理"),
        ("en", "An order takes at most 200 lines, and 9999 were sent. The form was not processed"),
    ):
        for url in (f"{RETAIL}?lang={lang}", f"{RETAIL}/refresh?lang={lang}"):
            response = retail.post(url, data=form)
            assert response.status_code == 422, url
            assert words in Page(response.text).words, url
            assert len(response.data) < 20_000, url  # the page, not 9,999 rows drawn again (31 MB)


def test_too_many_lines_are_named_by_the_catalogue_without_a_message_of_the_form(client: FlaskClient) -> None:
    showroom_form = MultiDict([(f"lines[{i}].qty", "1") for i in range(7)])  # the form takes 5
    response = client.post(f"{SHOWROOM}?lang=en", data=showroom_form)
    assert response.status_code == 422
    assert "Order lines: at most 5 entries, and 7 were sent." in Page(response.text).words


def test_rows_are_counted_from_the_names_a_form_reads(showroom: CompiledForm) -> None:
    names = [f"lines[{i}].qty" for i in (0, 1, 2, 3, 9)] + ["lines[4].bogus", "lines", "remark", "_action"]
    assert rows_over_limit(names, showroom.layout, showroom.schema) is None  # a name no field has: no row
    over = rows_over_limit([*names, "lines[7].sku", "lines[7].qty"], showroom.layout, showroom.schema)
    assert over is not None and (over.tokens, over.rows, over.limit) == (("lines",), 6, 5)
    assert over.spec.path == "lines"


def test_a_form_of_another_department_is_a_404(tmp_path: Path) -> None:
    app = _app(tmp_path, DEFS)
    try:
        add_user(app, "wang.fang", "wang.fang-password", ("clerk",), ("desk",))
        add_user(app, "zhao.lei", "zhao.lei-password", ("clerk",), ("showroom",))
        outsider = log_in(app.test_client(), "wang.fang", "wang.fang-password")
        for lang, text in (("zh", "找不到这张表单"), ("en", "Form not found")):
            for method, path in (("GET", SHOWROOM), ("POST", SHOWROOM), ("POST", f"{SHOWROOM}/refresh")):
                response = outsider.open(f"{path}?lang={lang}", method=method, data=filled())
                assert response.status_code == 404, (method, path)
                assert text in Page(response.text).words
                assert "张伟" not in response.text  # nothing of what was sent came back
        # the same answer as for a form that does not exist: the address tells nothing
        assert outsider.get("/forms/showroom/no-such-form").status_code == 404
        insider = log_in(app.test_client(), "zhao.lei", "zhao.lei-password")
        assert insider.get(SHOWROOM).status_code == 200
        assert insider.post(SHOWROOM, data=filled()).status_code == 200
    finally:
        app.extensions["orderloom"].close()


def test_a_form_whose_ui_file_does_not_fit_shows_its_problems(tmp_path: Path) -> None:
    root = tmp_path / "defs"
    folder = root / "forms" / "showroom"
    folder.mkdir(parents=True)
    source = DEFS / "forms" / "showroom"
    (folder / "service-order.json").write_text((source / "service-order.json").read_text("utf-8"), "utf-8")
    ui = json.loads((source / "service-order.ui.json").read_text("utf-8"))
    ui["fields"]["lines[].qty"]["widget"] = "date"
    (folder / "service-order.ui.json").write_text(json.dumps(ui), "utf-8")
    app = _app(tmp_path, root)
    try:
        response = log_in(app.test_client()).get(f"{SHOWROOM}?lang=en")
    finally:
        app.extensions["orderloom"].close()
    assert response.status_code == 500
    words = Page(response.text).words
    assert "The form definition has problems" in words
    assert "forms/showroom/service-order.ui.json" in words and "widget 'date'" in words


def test_numbers_no_order_holds_are_refused_in_words_not_with_a_crash(retail: FlaskClient) -> None:
    form = MultiDict(
        [
            *RETAIL_CUSTOMER,
            ("shipping_fee", "10.5"),
            ("discount", "0"),
            ("lines[0].sku", "SKU-1"),
            ("lines[0].name", "茶"),
            ("lines[0].qty", "9" * 5000),  # past what Python prints as an integer
            ("lines[0].unit_price", "1" + "0" * 400),  # past what a float holds
        ]
    )
    for url in (f"{RETAIL}?lang=zh", f"{RETAIL}/refresh?lang=zh"):
        response = retail.post(url, data=form)
        assert response.status_code in (200, 422), response.text[:500]
    refused = retail.post(f"{RETAIL}?lang=zh", data=form)
    assert refused.status_code == 422
    assert "9" * 50 in refused.text  # what was typed comes back as it was typed


# --------------------------------------------------------------------------------------------------
# Defaults and fixed values (tests/web/defs/forms/showroom/quote.json)

QUOTE = "/forms/showroom/quote"


def test_a_new_page_starts_with_the_schemas_defaults_and_its_fixed_values(client: FlaskClient) -> None:
    page = Page(client.get(f"{QUOTE}?lang=zh").text)
    # the currency is fixed (const): shown by its title, not to be changed, posted as it is
    currency = page.by_id("f-currency")
    assert "disabled" in currency and page.one("option", value="CNY").get("selected") is not None
    assert "人民币" in page.words
    assert ("currency", "CNY") in page.pairs
    # defaults: chosen, typed, ticked; each may be changed
    assert "checked" in page.by_id("f-contact_by-0") and "disabled" not in page.by_id("f-contact_by-0")
    assert page.by_id("f-greeting")["value"] == "您好" and "readonly" not in page.by_id("f-greeting")
    assert "checked" in page.by_id("f-urgent")
    # the first row too: its quantity starts at 1, its unit is fixed
    assert page.by_id("f-lines-0-qty")["value"] == "1"
    assert ("lines[0].unit", "pcs") in page.pairs and "disabled" in page.by_id("f-lines-0-unit")
    # a hidden group shows nothing yet
    assert "hidden" in page.by_id("group-delivery") and not page.has_id("f-delivery-slot")


def test_a_row_added_and_a_group_that_appears_start_with_their_defaults(client: FlaskClient) -> None:
    shown = ["quote", "lines", "delivery_choice"]
    form = MultiDict(
        [("_group", g) for g in shown] + [("currency", "CNY"), ("lines", ""), ("lines[0].sku", "A-1")]
    )
    form.add("lines[0].qty", "3")
    form.add("lines[0].unit", "pcs")
    form["_action"] = "add:lines"
    pressed = {"HX-Request": "true", "HX-Trigger-Name": "_action"}
    page = Page(client.post(f"{QUOTE}/refresh", data=form, headers=pressed).text)
    assert page.by_id("f-lines-0-qty")["value"] == "3"  # what was typed stays
    assert page.by_id("f-lines-1-qty")["value"] == "1" and ("lines[1].unit", "pcs") in page.pairs
    del form["_action"]
    form.setlist("needs_delivery", ["false", "true"])
    page = Page(client.post(f"{QUOTE}/refresh", data=form, headers={"HX-Request": "true"}).text)
    assert "group-delivery" in swapped(page)
    assert page.one("option", value="pm").get("selected") is not None  # the slot's default


def test_a_fixed_value_is_given_by_the_server_and_another_is_refused_by_its_title(
    client: FlaskClient,
) -> None:
    sent = MultiDict([("contact_by", "web"), ("lines", ""), ("lines[0].sku", "A-1"), ("lines[0].qty", "2")])
    response = client.post(f"{QUOTE}?lang=en", data=sent)  # neither the currency nor the unit sent
    assert response.status_code == 200, Page(response.text).words
    data = json.loads(next(t for t in Page(response.text).text if t.startswith("{")))
    lines = [{"sku": "A-1", "qty": 2, "unit": "pcs"}]
    assert data == {"currency": "CNY", "contact_by": "web", "lines": lines}
    forged = sent.copy()
    forged["currency"] = "USD"
    forged["lines[0].unit"] = "box"
    for lang, words in (
        ("zh", ["币种只能是人民币", "明细第1行单位只能是件"]),
        ("en", ["Currency: must be Renminbi", "Unit in line 1 of the lines: must be pieces"]),
    ):
        response = client.post(f"{QUOTE}?lang={lang}", data=forged)
        assert response.status_code == 422
        shown = Page(response.text).words
        assert all(word in shown for word in words), shown  # by its title, not by the raw value


@pytest.mark.parametrize("typed", ["2026-02-30", "2026-13-01", "12/01/2026"])
def test_a_date_the_calendar_lacks_comes_back_as_typed_in_a_text_box(client: FlaskClient, typed: str) -> None:
    """A browser's date input given 2026-02-30 shows nothing: the clerk would read the refusal beside an
    empty box. What it cannot hold comes back in a text box, as typed."""
    form = filled()
    form.setlist("visit.day", [typed])
    response = client.post(f"{SHOWROOM}?lang=en", data=form)
    assert response.status_code == 422
    shown = f'<input type="text" id="f-visit-day" name="visit.day" value="{html.escape(typed)}"'
    assert shown in response.text
    form.setlist("visit.day", ["2026-02-28"])  # a day there is, refused for another field: in its picker
    kept = client.post(f"{SHOWROOM}?lang=en", data=replaced(form, customer__mobile="1")).text
    assert '<input type="date" id="f-visit-day" name="visit.day" value="2026-02-28"' in kept
