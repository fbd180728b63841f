"""The wholesale intake's account picker in Debian's Chromium at 390 px, in both languages: picking an
account fills the contact, mobile and address its record holds, which the clerk may still change; an
account holding none leaves what was typed and says nothing is on file for it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.api.customer_accounts import CustomerAccount, put_account
from engine.dsl.compiler import load_bundle
from tests.web.conftest import (
    LiveServer,
    log_in_page,
    make_app,
    serve,
    settings_for,
    sideways,
    with_demo_users,
)

REPO = Path(__file__).resolve().parents[2]
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


@pytest.fixture
def served(tmp_path: Path, demo_users_database: Path) -> Iterator[LiveServer]:
    """The wholesale workflow published, account W100231 holding its contact and address, W100458 none."""
    with_demo_users(tmp_path, demo_users_database)
    app = make_app(settings_for(tmp_path, REPO, "account-pick-tests"))
    services = app.extensions["orderloom"]
    names = services.registry.action_names
    services.engine.publish(load_bundle(REPO / "workflows/wholesale/order.yaml", REPO, action_names=names))
    at = datetime(2026, 3, 1, tzinfo=UTC)
    for account in (
        CustomerAccount("wholesale", "W100231", "上海鑫达商贸有限公司", 500000, 0, **HELD),
        CustomerAccount("wholesale", "W100458", "杭州恒源百货有限公司", 200000, 0),
    ):
        put_account(services.store, account, at)
    yield from serve(app)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_picking_an_account_fills_its_contact_and_address_which_stay_editable(
    page: Page, served: LiveServer, lang: str
) -> None:
    page.set_viewport_size({"width": 390, "height": 800})
    log_in_page(page, served, "chen.jing", "chen.jing-demo")
    page.goto(served(f"/orders/new/wholesale/wholesale-order/phone?lang={lang}"))
    form = page.locator("form").filter(has=page.locator('[name="account.account_no"]'))
    form.locator('[name="account.account_no"]').select_option("W100231")
    expect(form.locator('[name="contact.name"]')).to_have_value("陈静")
    expect(form.locator('[name="contact.mobile"]')).to_have_value("13912345678")
    expect(form.locator('[name="address.province"]')).to_have_value("广东省")
    expect(form.locator('[name="address.city"]')).to_have_value("广州市")
    expect(form.locator('[name="address.detail"]')).to_have_value("体育西路191号B座")
    expect(form.locator('[name="address.postcode"]')).to_have_value("510620")
    form.locator('[name="contact.name"]').fill("刘洋")  # another buyer of the company this time
    expect(form.locator('[name="contact.name"]')).to_have_value("刘洋")
    note = form.locator("#f-account-account_no-note")
    expect(note).to_be_hidden()  # all on file: nothing to say
    # an account holding none leaves what is there, and says that nothing is on file
    form.locator('[name="account.account_no"]').select_option("W100458")
    expect(form.locator('[name="contact.name"]')).to_have_value("刘洋")
    expect(note).to_be_visible()
    expect(note).to_have_text(NOTHING[lang])
    assert sideways(page) == 0
    form.locator('[name="account.account_no"]').select_option("W100231")
    expect(note).to_be_hidden()
