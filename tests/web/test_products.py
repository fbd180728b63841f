"""The catalogue's pages: a list searched and paged by SKU, a product's page, new and edit for admins
only, a CSV import whose every problem is shown on the page with nothing stored, zh and en, CSRF."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.api import SYSTEM
from engine.api.catalogue import find_product, import_csv, list_products
from tests.web.conftest import DEFS, add_user, log_in, make_app, retail_app, settings_for
from tests.web.test_orders import NEW, intake, key_of
from web.users import create_user

HEADER = "sku,name_zh,name_en,price,weight_kg,volume_l,kind,active\n"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(settings_for(tmp_path, DEFS, "test"))
    yield app
    app.extensions["orderloom"].close()


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    return log_in(app.test_client())  # tester: admin and clerk


def upload(
    client: FlaskClient, text: str | bytes, name: str = "catalogue.csv", lang: str = "en"
) -> tuple[int, str]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    response = client.post(
        f"/products/import?lang={lang}",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    return response.status_code, response.get_data(as_text=True)


def test_an_import_is_listed_searched_and_paged(app: Flask, admin: FlaskClient) -> None:
    rows = "".join(f"S{n:03d},商品{n},Item {n},{n}.5,,,,\n" for n in range(55))
    code, html = upload(admin, "\ufeff" + HEADER + rows + "GC-100,礼品卡,Gift card,100,,,virtual,\n")
    assert code == 200 and "Imported catalogue.csv: 56 product(s) added, 0 updated." in html
    first = admin.get("/products?lang=en").get_data(as_text=True)
    assert first.count("<tr data-sku=") == 50 and 'data-sku="GC-100"' in first
    assert 'href="/products?after=S048"' in first  # the next page starts after the last SKU shown
    rest = admin.get("/products?after=S048").get_data(as_text=True)
    assert [f'data-sku="S{n:03d}"' in rest for n in (48, 49, 54)] == [False, True, True]
    assert "next-page" not in rest
    found = admin.get("/products?q=gift&lang=zh").get_data(as_text=True)
    assert found.count("<tr data-sku=") == 1 and "礼品卡" in found and "虚拟（无需仓库与承运商）" in found
    assert "No products found." in admin.get("/products?q=nothing-like-it&lang=en").get_data(as_text=True)
    exported = admin.get("/products.csv")
    assert exported.mimetype == "text/csv"
    assert exported.get_data(as_text=True).startswith(
        "\ufeff" + HEADER + "GC-100,礼品卡,Gift card,100,,,virtual,true\n"
    )


def test_a_file_with_errors_shows_every_one_on_the_page_and_stores_nothing(
    app: Flask, admin: FlaskClient
) -> None:
    bad = HEADER + "TEA-01,龙井茶,Tea,1,,,,\nTEA-01,龙井茶,Tea,-2,,,virtul,\n,x,y,1,,,,\n"
    code, html = upload(admin, bad, "bad.csv")
    assert code == 422
    assert "bad.csv was not imported; the catalogue is unchanged. 4 error(s):" in html
    for shown in (  # as the other row messages read, not as an editor's file:row
        "<li>Row 3, price: a price cannot be negative (-2)</li>",
        "<li>Row 3, kind: unknown kind &#39;virtul&#39;; known: shipped, virtual; "
        "did you mean &#39;virtual&#39;?</li>",
        "<li>Row 3, sku: SKU TEA-01 is listed twice: first on row 2</li>",
        "<li>Row 4, sku: the SKU is missing</li>",
    ):
        assert shown in html
    code, html = upload(admin, bad, "bad.csv", lang="zh")
    assert "<li>第 3 行，price：价格不能为负数（-2）</li>" in html
    assert list_products(app.extensions["orderloom"].store) == []
    code, html = upload(admin, b"")
    assert code == 422 and "the file is empty" in html
    huge = upload(admin, HEADER + "x" * (3 * 1024 * 1024))
    assert huge[0] == 413 and "The file is too large: the limit is 2 MB" in huge[1]
    no_file = admin.post("/products/import?lang=en", data={}, content_type="multipart/form-data")
    assert no_file.status_code == 400 and "Choose a CSV file." in no_file.get_data(as_text=True)


def test_an_admin_adds_and_edits_a_product_and_a_clerk_only_reads(app: Flask, admin: FlaskClient) -> None:
    form = {"sku": "TEA-01", "name_zh": "龙井茶", "name_en": "Longjing tea", "price": "128",
            "weight_kg": "0.25", "volume_l": "", "kind": "shipped", "active": "true"}  # fmt: skip
    refused = admin.post("/products/new?lang=en", data={**form, "price": "12.345", "name_en": ""})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Not saved: correct what is marked." in html
    assert 'id="f-price" name="price" type="text" value="12.345"' in html  # what was typed is kept
    assert "at most 2 decimal places (12.345)" in html and "must not be empty" in html
    assert find_product(app.extensions["orderloom"].store, "TEA-01") is None
    added = admin.post("/products/new?lang=en", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Product TEA-01 saved." in added and "Longjing tea" in added
    again = admin.post("/products/new?lang=en", data=form)
    assert again.status_code == 422 and "SKU TEA-01 is already in the catalogue" in again.get_data(
        as_text=True
    )
    unticked = {name: value for name, value in form.items() if name != "active"}
    edited = admin.post("/products/TEA-01/edit", data={**unticked, "sku": "OTHER-1", "price": "99.9"})
    assert edited.status_code == 302
    tea = find_product(app.extensions["orderloom"].store, "TEA-01")
    assert tea is not None and (str(tea.price), tea.active, tea.updated_by) == ("99.90", False, "tester")
    assert find_product(app.extensions["orderloom"].store, "OTHER-1") is None
    assert admin.get("/products/NOPE-1").status_code == 404

    add_user(app, "wang.fang", "wang-fang-password", ("clerk",), ("retail",))
    clerk = log_in(app.test_client(), "wang.fang", "wang-fang-password")
    page = clerk.get("/products/TEA-01?lang=zh").get_data(as_text=True)
    assert "龙井茶" in page and "/products/TEA-01/edit" not in page and "已停售" in page
    assert 'id="products-link"' in page
    listed = clerk.get("/products").get_data(as_text=True)
    assert "upload-form" not in listed and "new-product" not in listed
    assert clerk.get("/products/new").status_code == 403
    assert clerk.post("/products/TEA-01/edit", data=form).status_code == 403
    assert upload(clerk, HEADER + "MUG-1,杯,Mug,1,,,,\n")[0] == 403
    assert list_products(app.extensions["orderloom"].store)[0].sku == "TEA-01"


def test_a_post_without_the_csrf_token_is_refused(app: Flask, admin: FlaskClient) -> None:
    admin.csrf_token = None  # type: ignore[attr-defined]
    response = admin.post(
        "/products/new", data={"sku": "TEA-01", "name_zh": "a", "name_en": "b", "price": "1"}
    )
    assert response.status_code == 400
    assert find_product(app.extensions["orderloom"].store, "TEA-01") is None


def test_the_link_is_shown_to_the_roles_that_use_the_catalogue(app: Flask) -> None:
    add_user(app, "wang.qiang", "wang-qiang-password", ("reviewer",), ("retail",))
    reviewer = log_in(app.test_client(), "wang.qiang", "wang-qiang-password")
    assert 'id="products-link"' not in reviewer.get("/products").get_data(as_text=True)  # reads, unlinked


def test_the_intake_page_offers_the_catalogue_and_refuses_a_discontinued_product_at_its_line(
    tmp_path: Path,
) -> None:
    app = retail_app(tmp_path, "catalogue-intake")
    store = app.extensions["orderloom"].store
    add_user(app, "li.na", "li.na-demo", ("clerk", "service"), ("retail",))
    clerk = log_in(app.test_client(), "li.na", "li.na-demo")
    empty = clerk.get(f"{NEW}?lang=en").text  # a catalogue not kept prices nothing: the clerk types it
    assert "readonly" not in empty.split('id="f-lines-0-unit_price"')[1].split(">")[0]
    catalogue = HEADER + "TEA-01,龙井茶,Longjing tea,90,,,,\nCUP-02,茶杯,Cup,12,,,,false\n"
    import_csv(store, catalogue.encode(), "c.csv", datetime(2026, 3, 1, tzinfo=UTC), "admin")
    page = clerk.get(f"{NEW}?lang=en").text
    price = page.split('id="f-lines-0-unit_price"')[1].split(">")[0]
    assert " readonly" in price and "required" not in price  # the catalogue prices it: nothing to type
    name = page.split('id="f-lines-0-name"')[1].split(">")[0]
    assert " readonly" in name and "required" not in name  # and names it
    assert "Named and priced from the catalogue: filled in when the product is picked, not typed" in page
    # read-only, yet filled for every line by its product: more lines may still be added
    add = page.split('value="add:lines"')[1].split(">")[0]
    assert "disabled" not in add
    added = clerk.post(
        f"{NEW}/refresh",
        data=intake(_key=key_of(page), _action="add:lines"),
        headers={"HX-Request": "true", "HX-Trigger-Name": "_action"},
    )
    assert 'id="f-lines-row-1"' in added.text, added.text[:2000]
    fills = "{&#34;name&#34;: &#34;Longjing tea&#34;, &#34;unit_price&#34;: 90}"
    assert f'<option value="TEA-01" data-fills="{fills}">' in page
    assert "TEA-01 · Longjing tea" in page and 'value="CUP-02"' not in page  # discontinued: not offered
    assert "product-pick.js" in page
    refused = clerk.post(f"{NEW}?lang=en", data=intake(_key=key_of(page), **{"lines[0].sku": "CUP-02"}))
    assert refused.status_code == 422
    assert "product CUP-02 (Cup) is discontinued" in refused.text
    created = clerk.post(NEW, data=intake(_key=key_of(page)))  # the page said 88: the catalogue says 90
    assert created.status_code == 302
    order_id = int(created.headers["Location"].rsplit("/", 1)[1])
    order = app.extensions["orderloom"].engine.get_order(order_id, SYSTEM)
    assert (order.data["lines"][0]["unit_price"], order.data["total"]) == (90, 190)  # 2 × 90 + 10
    shown = clerk.get(f"/orders/{order_id}?lang=en")
    assert shown.status_code == 200 and "Virtual item" in shown.text and "190" in shown.text
    app.extensions["orderloom"].close()


TEA = {"sku": "TEA-01", "name_zh": "龙井茶", "name_en": "Longjing tea", "price": "128", "active": "true"}


def test_a_product_page_names_who_changed_it_by_display_name(app: Flask) -> None:
    create_user(
        app.extensions["orderloom"].store,
        name="wang.li",
        password="wang-li-password",
        roles=("admin",),
        departments=("*",),
        at=datetime(2026, 12, 1, tzinfo=UTC),
        display_name="王丽",
    )
    keeper = log_in(app.test_client(), "wang.li", "wang-li-password")
    keeper.post("/products/new", data={**TEA, "kind": "shipped"})
    page = keeper.get("/products/TEA-01?lang=en").get_data(as_text=True)
    changed = page.split("<dt>Last changed</dt><dd>")[1].split("</dd>")[0]
    assert changed.endswith(" · 王丽") and "wang.li" not in changed


def test_a_product_links_to_its_stock_and_the_purchaser_has_the_catalogue_in_her_menu(
    app: Flask, admin: FlaskClient
) -> None:
    admin.post("/products/new", data={**TEA, "kind": "shipped"})
    admin.post("/products/new", data={**TEA, "sku": "GC-100", "kind": "virtual"})
    add_user(app, "qian.hui", "qian-hui-password", ("purchaser",), ("*",))
    add_user(app, "wang.fang", "wang-fang-password", ("clerk",), ("retail",))
    buyer = log_in(app.test_client(), "qian.hui", "qian-hui-password")
    page = buyer.get("/products/TEA-01?lang=en").get_data(as_text=True)
    assert 'id="products-link"' in page  # the menu's Products link
    assert '<a href="/stock?sku=TEA-01" id="product-stock">Its stock</a>' in page
    assert buyer.get("/stock?sku=TEA-01").status_code == 200  # the link works for her
    assert 'id="product-stock"' not in buyer.get("/products/GC-100").get_data(as_text=True)  # virtual
    clerk = log_in(app.test_client(), "wang.fang", "wang-fang-password")
    assert 'id="product-stock"' not in clerk.get("/products/TEA-01").get_data(
        as_text=True
    )  # no stock for her
    assert 'id="product-stock"' in admin.get("/products/TEA-01").get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "missing", "forbidden"),
    [("zh", "找不到此商品", "无权访问"), ("en", "No such product", "Not yours to open")],
)
def test_the_catalogues_error_pages_are_headed_in_words(
    app: Flask, admin: FlaskClient, lang: str, missing: str, forbidden: str
) -> None:
    gone = admin.get(f"/products/NOPE?lang={lang}")
    page = gone.get_data(as_text=True)
    assert gone.status_code == 404 and f'<h1 id="problem-heading">{missing}</h1>' in page
    assert f"<title>{missing} · " in page and "NOPE" in page
    add_user(app, "wang.fang", "wang-fang-password", ("clerk",), ("retail",))
    clerk = log_in(app.test_client(), "wang.fang", "wang-fang-password")
    refused = clerk.get(f"/products/new?lang={lang}")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403 and f'<h1 id="problem-heading">{forbidden}</h1>' in page
    assert '<h1 id="problem-heading">403' not in page
