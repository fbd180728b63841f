"""A session that ended while an admin typed (web/studio_keep.py): the editor's form posted after a
logout in another tab, or after the session expired on the server, is answered with the page keeping the
text (never "page expired"); logging in there shows the text again with the new session's token, saved
with one press and nothing saved before it. The session endpoint the editor's script asks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import delete

from engine.store import tables
from tests.web.conftest import REPO_ROOT, add_user, csrf_token_of, log_in, make_app, settings_for

WORKFLOW = "workflows/retail/order.yaml"
EDIT = f"/studio/retail/files/{WORKFLOW}"
ORIGINAL = (REPO_ROOT / WORKFLOW).read_text(encoding="utf-8")
TYPED = ORIGINAL.replace("label: {zh: 待支付,", "label: {zh: 等待付款 <&>,", 1)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(settings_for(tmp_path, REPO_ROOT, "studio-keep-tests"))
    add_user(app, "ma.li", "ma-li-password", ("admin",), ("retail",))
    add_user(app, "xu.jie", "xu-jie-password", ("admin",), ("wholesale",))
    yield app
    app.extensions["orderloom"].close()


def client(app: Flask, name: str) -> FlaskClient:
    return log_in(app.test_client(), name, f"{name.replace('.', '-')}-password")


def textarea(html: str, id_: str = "studio-kept-text") -> str:
    found = re.search(rf'<textarea id="{id_}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found is not None, html
    return found.group(1)


def draft_of(app: Flask) -> object:
    return app.extensions["orderloom"].studio.file("retail", WORKFLOW).draft


def typed_form(token: str, action: str = "save") -> dict[str, str]:
    return {"csrf_token": token, "action": action, "text": TYPED, "revision": "0", "note": "改名 & more"}


@pytest.mark.parametrize("how", ["logged out in another tab", "expired on the server"])
def test_a_save_after_the_session_ended_keeps_the_text_and_goes_on_after_a_login(
    app: Flask, how: str
) -> None:
    c = client(app, "ma.li")
    token = csrf_token_of(c.get(EDIT).get_data(as_text=True))
    if how == "logged out in another tab":
        c.post("/logout")
    else:
        with app.extensions["orderloom"].store.transaction() as tx:
            tx.connection.execute(delete(tables.login_sessions))
    c.csrf_token = None  # the page's own token, as the browser sends it

    ended = c.post(EDIT, data=typed_form(token), headers={"Accept-Language": "en"})
    html = ended.get_data(as_text=True)
    assert ended.status_code == 401 and 'id="studio-keep-ended"' in html
    assert "nothing of workflows/retail/order.yaml was saved" in html and "page was open too long" not in html
    assert textarea(html) == str(escape(TYPED)) and "readonly" in html
    assert 'name="note" value="改名 &amp; more"' in html and draft_of(app) is None

    login = {"csrf_token": csrf_token_of(html), "name": "ma.li", "password": "wrong", "text": TYPED}
    wrong = c.post(f"{EDIT}/login", data={**login, "revision": "0", "action": "save"})
    assert wrong.status_code == 401 and textarea(wrong.get_data(as_text=True)) == str(escape(TYPED))
    assert 'id="login-error"' in wrong.get_data(as_text=True)

    back = c.post(f"{EDIT}/login", data={**login, "password": "ma-li-password", "revision": "0", "note": "n"})
    page = back.get_data(as_text=True)
    assert back.status_code == 200 and 'id="studio-keep-back"' in page
    assert textarea(page) == str(escape(TYPED)) and draft_of(app) is None  # shown, not saved
    fresh = csrf_token_of(page)
    assert fresh != token
    saved = c.post(EDIT, data={**typed_form(fresh), "note": "n"})
    assert saved.status_code == 200 and 'id="studio-notice"' in saved.get_data(as_text=True)
    draft = app.extensions["orderloom"].studio.file("retail", WORKFLOW).draft
    assert draft.text == TYPED and draft.revision == 1 and draft.note == "n"


def test_zh_words_and_the_login_throttle_on_the_page_of_a_kept_text(app: Flask) -> None:
    c = app.test_client()
    ended = c.post(EDIT, data=typed_form("stale"), headers={"Accept-Language": "zh"})
    html = ended.get_data(as_text=True)
    assert ended.status_code == 401 and "会话已结束" in html and "未保存任何内容" in html
    login = {"csrf_token": csrf_token_of(html), "name": "ma.li", "text": TYPED, "revision": "0"}
    for _ in range(10):
        last = c.post(f"{EDIT}/login", data={**login, "password": "wrong"})
        if last.status_code == 429:
            break
    assert last.status_code == 429 and "Retry-After" in last.headers
    assert textarea(last.get_data(as_text=True)) == str(escape(TYPED))


def test_an_admin_of_another_department_gets_the_text_back_to_copy_not_to_save(app: Flask) -> None:
    c = app.test_client()
    html = c.post(EDIT, data=typed_form("stale")).get_data(as_text=True)
    login = {"csrf_token": csrf_token_of(html), "name": "xu.jie", "password": "xu-jie-password"}
    other = c.post(f"{EDIT}/login", data={**login, "text": TYPED, "revision": "0"})
    page = other.get_data(as_text=True)
    assert other.status_code == 403 and 'id="studio-keep-not-yours"' in page
    assert textarea(page) == str(escape(TYPED)) and 'id="studio-save"' not in page


def test_the_session_endpoint_gives_the_token_while_the_session_holds(app: Flask) -> None:
    c = client(app, "ma.li")
    page = c.get(EDIT).get_data(as_text=True)
    assert 'data-session-url="/studio/api/session"' in page
    answer = c.get("/studio/api/session")
    assert answer.status_code == 200 and set(answer.get_json()) == {"csrf_token"}
    c.csrf_token = None  # the form sends the token answered, and it is the session's
    assert c.post(EDIT, data=typed_form(answer.get_json()["csrf_token"])).status_code == 200
    assert draft_of(app) is not None
    c.post("/logout", data={"csrf_token": answer.get_json()["csrf_token"]})
    ended = c.get("/studio/api/session")
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]
