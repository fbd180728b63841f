"""The wholesale intake's account picker (Flask test client over a real SQLite file, the shipped wholesale
workflow): an account whose record holds no contact says so once picked, in the page's language, rather
than filling nothing without a word; one holding it all says nothing; and every demo account holds its
contact, mobile and address, so the demo's picker fills them for each."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from demo.loader import ACCOUNTS, APPROVAL_ACCOUNT
from engine.api.customer_accounts import CustomerAccount, put_account
from engine.dsl.compiler import load_bundle
from web.users import create_user

from .conftest import log_in, make_app, settings_for

REPO = Path(__file__).resolve().parents[2]
NEW = "/orders/new/wholesale/wholesale-order/phone"
HELD = {
    "contact_name": "陈静",
    "contact_mobile": "13912345678",
    "address_province": "广东省",
    "address_city": "广州市",
    "address_district": "天河区",
    "address_detail": "体育西路191号B座",
    "address_postcode": "510620",
}
NOTHING = {
    "zh": "该客户账户没有登记联系人、手机号和地址，请手动填写",
    "en": "Nothing on file for this account: type in the contact, mobile number and address",
}


def picker_app(tmp_path: Path, secret_key: str) -> Flask:
    """The wholesale workflow published, account W100231 holding its contact and address, W100458 none."""
    app = make_app(settings_for(tmp_path, REPO, secret_key))
    services = app.extensions["orderloom"]
    names = services.registry.action_names
    services.engine.publish(load_bundle(REPO / "workflows/wholesale/order.yaml", REPO, action_names=names))
    at = datetime(2026, 3, 1, tzinfo=UTC)
    for account in (
        CustomerAccount("wholesale", "W100231", "上海鑫达商贸有限公司", 500000, 0, **HELD),
        CustomerAccount("wholesale", "W100458", "杭州恒源百货有限公司", 200000, 0),
    ):
        put_account(services.store, account, at)
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The picker's accounts, and chen.jing, who takes wholesale orders."""
    app = picker_app(tmp_path, "account-pick")
    at = datetime(2026, 3, 1, tzinfo=UTC)
    store = app.extensions["orderloom"].store
    create_user(
        store, name="chen.jing", password="chen.jing-demo", roles=["sales"], departments=["wholesale"], at=at
    )
    yield app
    app.extensions["orderloom"].close()


def option(page: str, value: str) -> str:
    found = re.search(rf'<option value="{value}"[^>]*>', page)
    assert found is not None, value
    return html.unescape(found.group(0))


def note(page: str) -> re.Match[str] | None:
    return re.search(r'<p class="help pick-note" id="f-account-account_no-note"([^>]*)>([^<]*)</p>', page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_account_with_nothing_on_file_says_so_once_picked(app: Flask, lang: str) -> None:
    clerk = log_in(app.test_client(), "chen.jing", "chen.jing-demo")
    page = clerk.get(f"{NEW}?lang={lang}").text
    assert f'data-note="{NOTHING[lang]}"' in option(page, "W100458")
    assert "data-note" not in option(page, "W100231") and "data-fills" in option(page, "W100231")
    shown = note(page)
    assert shown is not None and "hidden" in shown.group(1)  # nothing picked yet: nothing said
    assert 'aria-describedby="f-account-account_no-help f-account-account_no-note"' in page
    # the page drawn again with W100458 picked (a row added without JavaScript) says it at once
    again = clerk.post(
        f"{NEW}?lang={lang}", data={"account.account_no": "W100458", "_action": "add:lines"}
    ).text
    shown = note(again)
    assert shown is not None and "hidden" not in shown.group(1)
    assert html.unescape(shown.group(2)) == NOTHING[lang]


def test_an_account_holding_it_all_says_nothing(app: Flask) -> None:
    clerk = log_in(app.test_client(), "chen.jing", "chen.jing-demo")
    again = clerk.post(f"{NEW}?lang=en", data={"account.account_no": "W100231", "_action": "add:lines"}).text
    shown = note(again)
    assert shown is not None and "hidden" in shown.group(1) and shown.group(2) == ""


def test_every_demo_account_holds_its_contact_mobile_and_address() -> None:
    for account in (*ACCOUNTS, APPROVAL_ACCOUNT):
        fills = account.fills()
        assert set(fills) == {
            "contact.name",
            "contact.mobile",
            "address.province",
            "address.city",
            "address.district",
            "address.detail",
            "address.postcode",
        }, account.account_no


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_phone_order_starts_with_no_freight_and_no_discount_rather_than_asking_for_them(
    app: Flask, lang: str
) -> None:
    """Freight and discount started empty, and every phone order was refused until 0 was typed in each."""
    page = log_in(app.test_client(), "chen.jing", "chen.jing-demo").get(f"{NEW}?lang={lang}").text
    for name in ("shipping_fee", "discount"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert field is not None, name
        assert re.search(r'value="0(\.00)?"', field.group(0)), field.group(0)
