"""A department's managed lists in the studio (web/studio_lists.py): its admins only; create a list,
add, search, remove and import values, each change recorded with who and when; every bad input beside
its field (an import's bad lines by number), nothing written, in zh and en; CSRF; and the page read on a
phone, 390 px wide, in Debian's Chromium, without scrolling sideways."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from engine.api.catalogue import put_product
from engine.api.definitions import load_bundle
from engine.api.named_lists import NamedLists
from tests.web.conftest import (
    REPO_ROOT,
    LiveServer,
    add_user,
    log_in,
    log_in_page,
    make_app,
    serve,
    settings_for,
    sideways,
)

LISTS = "/studio/retail/lists"
MOBILES = f"{LISTS}/blocked-mobiles"
AT = datetime(2026, 3, 1, tzinfo=UTC)


def build(tmp_path: Path) -> Flask:
    app = make_app(settings_for(tmp_path, REPO_ROOT, "studio-lists-tests"))
    services = app.extensions["orderloom"]
    services.engine.publish(  # its audit declares blocked-mobiles, blocked-addresses, restricted-skus
        load_bundle(
            REPO_ROOT / "workflows/retail/order.yaml", REPO_ROOT, action_names=services.registry.action_names
        )
    )
    add_user(app, "ma.li", "ma-li-password", ("admin",), ("retail",))
    add_user(app, "xu.jie", "xu-jie-password", ("admin",), ("wholesale",))
    add_user(app, "li.na", "li-na-password", ("clerk",), ("retail",))
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = build(tmp_path)
    yield app
    app.extensions["orderloom"].close()


def client(app: Flask, name: str = "ma.li") -> FlaskClient:
    c = log_in(app.test_client(), name, f"{name.replace('.', '-')}-password")
    c.get("/?lang=en")
    return c


def text(response: object) -> str:
    return unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


def entries(app: Flask, name: str = "blocked-mobiles") -> list[str]:
    services = app.extensions["orderloom"]
    shown = NamedLists(services.store, services.engine.clock).show("retail", name)
    return [entry.value for entry in shown.entries]


def test_only_the_departments_admins_see_its_lists(app: Flask) -> None:
    page = text(client(app).get(LISTS))
    assert re.search(r'data-list="blocked-mobiles".*?Blocked mobiles.*?mobile', page, re.S)
    assert 'id="studio-lists-link" href="/studio/retail/lists"' in text(client(app).get("/studio/retail/"))
    for other in ("xu.jie", "li.na"):
        assert client(app, other).get(LISTS).status_code == 403
        assert client(app, other).post(f"{MOBILES}/add", data={"value": "13800000000"}).status_code == 403
    assert client(app).get(f"{LISTS}/no-such-list").status_code == 404


def test_a_value_is_added_searched_and_removed_with_each_change_recorded(app: Flask) -> None:
    c = client(app)
    done = c.post(f"{MOBILES}/add", data={"value": "+86 138-0000-0000", "note": "欺诈"})
    assert done.status_code == 303
    page = text(c.get(done.headers["Location"]))
    assert "+86 138-0000-0000 added." in page and 'data-key="13800000000"' in page
    assert 'data-key="13800000000"' in text(c.get(f"{MOBILES}?q=138 0000"))
    assert "No value matches “139”." in text(c.get(f"{MOBILES}?q=139"))
    again = c.post(f"{MOBILES}/add", data={"value": "13800000000"})
    assert again.status_code == 422
    assert "'13800000000' is already in the list (as '+86 138-0000-0000')" in text(again)
    assert 'aria-invalid="true"' in text(again)
    # removing is asked first: the button that removes is inside the question
    asked = text(c.get(MOBILES)).split('data-key="13800000000"')[1].split("</tr>")[0]
    question = asked.split('<details class="confirm"')[1].split("</details>")[0]
    assert "Remove +86 138-0000-0000 from the list" in question and 'class="danger"' in question
    gone = c.post(f"{MOBILES}/remove", data={"value": "+86 138-0000-0000"})
    assert gone.status_code == 303 and entries(app) == []
    record = text(c.get(MOBILES))
    changes = re.findall(
        r"<td data-label=\"Who\">([^<]+)</td>\s*<td data-label=\"Change\">([^<]+)</td>", record
    )
    assert changes == [
        ("ma.li", "removed +86 138-0000-0000"),
        ("ma.li", "added +86 138-0000-0000"),
        ("System", "created the list"),  # the engine's own, in words
    ]


@pytest.mark.parametrize(("lang", "system"), [("zh", "系统"), ("en", "System")])
def test_who_added_and_who_changed_are_named_by_their_display_names(
    app: Flask, lang: str, system: str
) -> None:
    add_user(app, "zhou.qi", "zhou-qi-password", ("admin",), ("retail",), display_name="周琪")
    c = client(app, "zhou.qi")
    c.post(f"{MOBILES}/add", data={"value": "13800000000"})
    page = text(c.get(f"{MOBILES}?lang={lang}"))
    added_by = re.findall(r'<td data-label="(?:添加人|Added by)">([^<]+)</td>', page)
    who = re.findall(r'<td data-label="(?:操作人|Who)">([^<]+)</td>', page)
    assert added_by == ["周琪"] and who == ["周琪", system]
    assert "zhou.qi" not in page.split('id="list-changes"')[1]


def test_each_list_says_which_rules_of_the_workflows_in_force_read_it_in_both_languages(app: Flask) -> None:
    services = app.extensions["orderloom"]
    flash = REPO_ROOT / "workflows/retail/flash-sale.yaml"
    services.engine.publish(load_bundle(flash, REPO_ROOT, action_names=services.registry.action_names))
    c = client(app)
    c.post(LISTS, data={"name": "vip-customers", "kind": "customer", "label_zh": "贵宾", "label_en": "VIP"})
    page = text(c.get(LISTS))
    row = page.split('data-list="blocked-addresses"')[1].split("</tr>")[0]
    assert re.findall(r"<li[^>]*>\s*<a [^>]*>([^<]+)</a>", row) == [
        "Flash-sale order · Flash-sale order audit (rule blocked-address)",
        "Retail order · Retail order audit (rule blocked-address)",
    ]
    unused = page.split('data-list="vip-customers"')[1].split("</tr>")[0]
    assert "No rule uses it" in unused and "<li" not in unused
    zh = text(c.get(f"{LISTS}/blocked-addresses?lang=zh"))
    uses = zh.split('id="list-uses"')[1].split("</div>")[0]
    assert "现行流程中读取此名单的规则" in uses
    assert "秒杀订单 · 秒杀订单审核（规则 blocked-address）" in uses
    assert "零售订单 · 零售订单审核（规则 blocked-address）" in uses
    for link in re.findall(r'href="([^"]+)"', uses):
        assert c.get(link).status_code == 200, link
    assert "没有规则使用" in text(c.get(f"{LISTS}/vip-customers"))


def test_a_list_is_created_and_a_bad_one_refused_beside_its_fields_in_chinese(app: Flask) -> None:
    c = client(app)
    made = c.post(
        LISTS, data={"name": "vip-customers", "kind": "customer", "label_zh": "贵宾", "label_en": "VIP"}
    )
    assert made.status_code == 303 and made.headers["Location"].endswith("/lists/vip-customers?done=create")
    bad = c.post(f"{LISTS}?lang=zh", data={"name": "VIP", "kind": "phone", "label_zh": "", "label_en": "x"})
    assert bad.status_code == 422
    page = text(bad)
    assert "名单名称 'VIP' 无效" in page and "名单类型 'phone' 无效" in page and "中文名称不能为空" in page
    assert 'id="list-name-error"' in page and 'id="list-kind-error"' in page


def test_a_list_name_says_its_format_in_the_field_and_the_refusal(app: Flask) -> None:
    c = client(app)
    form = text(c.get(f"{LISTS}?lang=en")).split('id="list-name"')[1].split("</p>")[0]
    hint = "lower-case letters, digits, - and _, starting with a letter or a digit, at most 64 characters"
    assert f'title="{hint}, like vip-customers"' in form and 'aria-describedby="list-name-hint' in form
    assert f'id="list-name-hint">{hint}, like vip-customers</span>' in form
    bad = c.post(LISTS, data={"name": "VIP 客户!", "kind": "customer", "label_zh": "贵宾", "label_en": "VIP"})
    assert bad.status_code == 422
    assert "list name 'VIP 客户!' is not valid: lower-case letters" in text(bad)
    assert "like vip-customers" in text(bad).split('id="list-name-error"')[1].split("</span>")[0]


def test_a_sku_list_refuses_a_bad_or_uncatalogued_sku_unless_forced_and_a_search_finds_nothing(
    app: Flask,
) -> None:
    services = app.extensions["orderloom"]
    put_product(
        services.store,
        {"sku": "TEA-01", "name_zh": "龙井茶", "name_en": "Longjing tea", "price": "88"},
        AT,
        "admin",
    )
    c = client(app)
    skus = f"{LISTS}/restricted-skus"
    assert 'name="force"' in text(c.get(skus)) and 'name="force"' not in text(c.get(MOBILES))
    bad = c.post(f"{skus}/add", data={"value": "bad sku!"})
    assert bad.status_code == 422 and "'bad sku!' is not a SKU" in text(bad)
    unknown = c.post(f"{skus}/add", data={"value": "NOPE-9"})
    assert unknown.status_code == 422
    assert "the product catalogue has no product NOPE-9: add it to the catalogue first" in text(unknown)
    assert c.post(f"{skus}/add", data={"value": "tea-01"}).status_code == 303
    assert c.post(f"{skus}/add", data={"value": "NOPE-9", "force": "1"}).status_code == 303
    assert sorted(entries(app, "restricted-skus")) == ["NOPE-9", "tea-01"]
    nothing = text(c.get(f"{skus}?q=!!!"))
    assert "No value matches “!!!”." in nothing and 'data-key="TEA-01"' not in nothing


def test_an_import_names_its_bad_lines_and_adds_nothing(app: Flask) -> None:
    c = client(app)
    pasted = "13800000000,欺诈\r\n139 0000 1111\r\n12345\r\n+86 13800000000\r\n"
    refused = c.post(f"{MOBILES}/import", data={"text": pasted})
    assert refused.status_code == 422
    page = text(refused)
    assert "line 3: '12345' is not an 11-digit mobile number" in page
    assert "line 4: '+86 13800000000' is the same value as line 1" in page
    assert "139 0000 1111" in page  # the text kept to be put right
    assert entries(app) == []
    done = c.post(f"{MOBILES}/import", data={"text": "13800000000,欺诈\n139 0000 1111\n"})
    assert done.status_code == 303 and sorted(entries(app)) == ["13800000000", "139 0000 1111"]


def test_a_change_without_the_forms_csrf_token_is_refused(app: Flask) -> None:
    c = client(app)
    c.csrf_token = None  # type: ignore[attr-defined]
    assert c.post(f"{MOBILES}/add", data={"value": "13800000000"}).status_code == 400
    assert entries(app) == []


@pytest.fixture
def server(app: Flask) -> Iterator[LiveServer]:
    services = app.extensions["orderloom"]
    NamedLists(services.store, services.engine.clock).add(
        "retail",
        "blocked-addresses",
        "广西壮族自治区南宁市青秀区民族大道100号东盟商务区A座2501室",
        "ma.li",
        "多次拒收，地址与历史欺诈订单一致",
    )
    yield from serve(app)


def test_the_lists_pages_fit_a_phone_and_an_admin_adds_an_address_there(
    page: Page, server: LiveServer
) -> None:
    page.set_viewport_size({"width": 390, "height": 800})
    log_in_page(page, server, "ma.li", "ma-li-password")
    for lang in ("zh", "en"):
        for path in (LISTS, f"{LISTS}/blocked-addresses"):
            page.goto(server(f"{path}?lang={lang}"))
            assert sideways(page) == 0, (path, lang)
    page.fill("#value", "广东省深圳市 南山区科技园1号")
    page.click("#add-value button[type=submit]")
    expect(page.locator("#list-done")).to_be_visible()
    expect(page.locator('tr[data-key="广东深圳南山区科技园1号"]')).to_be_visible()
    assert sideways(page) == 0
