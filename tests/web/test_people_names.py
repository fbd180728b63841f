"""People named on the pages in the page's language (Flask test client over a real SQLite file, the
demo's definitions, accounts and logins): a demo login's display name is the person's name alone, with
no role words in Chinese on an English page (李娜, not 李娜（零售客服）); where a page says who someone is
beside their name (the pickers of a colleague to assign orders to or to hand an approval on to, the
header's tooltip) their roles are the glossary's words in the page's language."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from flask import Flask

from demo.loader import DEMO_ACTORS
from engine.common.words import WORDS
from tests.web.test_orders_why_words import app, medium, person, text, wholesale
from web.users import create_user

__all__ = ["app"]  # the demo's definitions, accounts and logins (tests/web/test_orders_why_words.py)

ROLE_WORDS = {text.zh for key, text in WORDS.items() if key.startswith("term.role.")}


def test_a_demo_display_name_holds_no_role_words() -> None:
    for user in DEMO_ACTORS:
        assert "（" not in user.display_name and "(" not in user.display_name, user.name
        assert not [word for word in ROLE_WORDS if word in user.display_name], user.display_name


def chooser(page: str, select_id: str) -> dict[str, str]:
    found = re.search(rf'<select[^>]* id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert found is not None, select_id
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', found.group(1))
    return {login: html.unescape(name) for login, name in options}


def test_the_timeline_and_the_approval_name_people_without_chinese_role_words(app: Flask) -> None:
    order_id = medium(app)
    manager = person(app, "sun.li")
    en = manager.get(f"/orders/{order_id}?lang=en").text
    timeline = text(en, "timeline")
    assert "Order created · 陈静 ·" in timeline
    assert not [word for word in ROLE_WORDS if word in timeline], timeline
    assert "批发" not in en and "（" not in text(en, "approval")
    zh = text(manager.get(f"/orders/{order_id}?lang=zh").text, "timeline")
    assert "创建订单 · 陈静 ·" in zh and "批发销售" not in zh


def test_the_approval_picker_names_each_person_with_their_roles_in_the_pages_language(app: Flask) -> None:
    order_id = medium(app)
    manager = person(app, "sun.li")
    en = manager.get(f"/orders/{order_id}?lang=en").text
    task = re.search(r'<select id="(user-\d+)" name="user"', en)
    assert task is not None
    offered = chooser(en, task.group(1))
    assert offered["gao.jun"] == "高军 (Sales director)" and offered["zhou.min"] == "周敏 (Finance)"
    zh = chooser(manager.get(f"/orders/{order_id}?lang=zh").text, task.group(1))
    assert zh["gao.jun"] == "高军（销售总监）" and zh["zhou.min"] == "周敏（财务）"


def test_the_assign_picker_names_each_person_with_their_roles_in_the_pages_language(app: Flask) -> None:
    """A second finance clerk beside 周敏: an order waiting for its bank transfer may go to either, or to
    whoever else may act on it."""
    create_user(
        app.extensions["orderloom"].store,
        name="qian.fen",
        password="qian.fen-demo",
        roles=["finance"],
        departments=["wholesale"],
        at=datetime.now(UTC),
        display_name="钱芬",
    )
    order_id = wholesale(app)
    finance = person(app, "zhou.min")
    en = chooser(finance.get(f"/orders/batch/assign?o={order_id}&lang=en").text, "assign-to")
    assert en["qian.fen"] == "钱芬 (Finance)" and en["zhou.min"] == "周敏 (Finance)"
    assert en["zhao.lei"] == "赵磊 (Warehouse)"  # who ships it may act on it too
    assert not [name for name in en.values() if "（" in name or not name.endswith(")")], en
    zh = chooser(finance.get(f"/orders/batch/assign?o={order_id}&lang=zh").text, "assign-to")
    assert zh["qian.fen"] == "钱芬（财务）" and zh["zhao.lei"] == "赵磊（仓库）"


def test_the_header_names_the_person_and_says_their_roles_in_its_tooltip(app: Flask) -> None:
    clerk = person(app, "li.na")
    en = clerk.get("/?lang=en").text
    assert re.search(r'<span class="user" title="li.na · Clerk, Service desk">李娜</span>', en), en
    zh = clerk.get("/?lang=zh").text
    assert re.search(r'<span class="user" title="li.na · 订单专员、客服">李娜</span>', zh)
