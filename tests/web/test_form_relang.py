"""The language switch of a form that came back refused keeps what was typed (web/i18n.py ``relanged``,
templates/_relang.html): a product's form and stock received or adjusted are drawn again in the other
language with the values typed, nothing stored, as the order forms are; the header's language link
presses the form's button (static/orders-lang.js)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from engine.api.catalogue import find_product
from engine.api.stock import receive_stock, stock_levels
from tests.web.conftest import DEFS, add_user, log_in, make_app, settings_for

SWITCH = {"zh": "Switch to English", "en": "切换到中文"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(settings_for(tmp_path, DEFS, "relang-tests"))
    add_user(app, "zhao", "zhao-password", ("warehouse",), ("*",))
    receive_stock(
        app.extensions["orderloom"].store,
        "zhao",
        "XM-BAND8",
        "SH-01",
        20,
        datetime(2026, 12, 1, tzinfo=UTC),
        new=True,
    )
    yield app
    app.extensions["orderloom"].close()


@pytest.mark.parametrize(("lang", "other"), [("zh", "en"), ("en", "zh")])
def test_a_refused_products_form_switched_to_the_other_language_keeps_what_was_typed(
    app: Flask, lang: str, other: str
) -> None:
    admin = log_in(app.test_client())
    form = {
        "sku": "TEA-01",
        "name_zh": "龙井茶",
        "name_en": "Longjing tea",
        "price": "12.345",
        "kind": "shipped",
    }
    refused = admin.post(f"/products/new?lang={lang}", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert (
        f'name="_relang" value="1" formaction="/products/new?lang={other}"' in page and SWITCH[lang] in page
    )
    switched = admin.post(f"/products/new?lang={other}", data={**form, "_relang": "1"})
    page = switched.get_data(as_text=True)
    assert switched.status_code == 200 and SWITCH[other] in page
    assert 'value="12.345"' in page and 'value="龙井茶"' in page and 'value="Longjing tea"' in page
    assert find_product(app.extensions["orderloom"].store, "TEA-01") is None  # nothing stored
    fixed = admin.post(f"/products/new?lang={other}", data={**form, "price": "12.34"})
    assert fixed.status_code == 302 and find_product(app.extensions["orderloom"].store, "TEA-01") is not None


@pytest.mark.parametrize(("lang", "other"), [("zh", "en"), ("en", "zh")])
def test_stock_received_and_refused_switched_to_the_other_language_keeps_what_was_typed(
    app: Flask, lang: str, other: str
) -> None:
    keeper = log_in(app.test_client(), "zhao", "zhao-password")
    sent = {"sku": "XM-BAND8", "warehouse": "SH-01", "qty": "0", "reference": "PO-77", "note": "到货"}
    refused = keeper.post(f"/stock/receive?lang={lang}", data=sent)
    assert refused.status_code == 422
    assert f'formaction="/stock/receive?lang={other}"' in refused.get_data(as_text=True)
    switched = keeper.post(f"/stock/receive?lang={other}", data={**sent, "qty": "5", "_relang": "1"})
    page = switched.get_data(as_text=True)
    assert switched.status_code == 200 and SWITCH[other] in page
    assert 'value="5"' in page and 'value="PO-77"' in page and 'value="到货"' in page
    levels = {(r.sku, r.warehouse): r.on_hand for r in stock_levels(app.extensions["orderloom"].store)}
    assert levels[("XM-BAND8", "SH-01")] == 20  # nothing received
