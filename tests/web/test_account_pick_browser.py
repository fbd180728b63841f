"""The wholesale intake's account picker in Debian's Chromium at 390 px, in both languages: picking an
account fills the contact, mobile and address its record holds, which the clerk may still change; an
account holding none leaves what was typed and says nothing is on file for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import LiveServer, log_in_page, serve, sideways, with_demo_users
from tests.web.test_account_pick import NOTHING, picker_app


@pytest.fixture
def served(tmp_path: Path, demo_users_database: Path) -> Iterator[LiveServer]:
    """The wholesale workflow published, account W100231 holding its contact and address, W100458 none."""
    with_demo_users(tmp_path, demo_users_database)
    yield from serve(picker_app(tmp_path, "account-pick-tests"))


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
