"""The web app: health check and the departments page, in both languages."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.pool import Pool

from engine.clock import FrozenClock
from tests.statements import Statements, cost
from tests.web.conftest import (
    DESK_CLERK,
    TESTER,
    TESTER_PASSWORD,
    add_user,
    csrf_token_of,
    log_in,
    make_app,
    publish_desk_orders,
)
from wiring.settings import Settings

DEFS = Path(__file__).resolve().parent / "defs"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}",
        definitions_root=DEFS,
        secret_key="test",
    )
    app = make_app(settings)
    yield app
    app.extensions["orderloom"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return log_in(app.test_client())


def test_healthz_checks_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_home_says_how_to_start_when_nothing_is_published(client: FlaskClient) -> None:
    assert "orderloom demo" in client.get("/?lang=en").get_data(as_text=True)
    assert "还没有发布任何工作流" in client.get("/?lang=zh").get_data(as_text=True)


def test_home_lists_departments_workflows_and_order_counts(client: FlaskClient) -> None:
    assert client.application is not None
    engine = client.application.extensions["orderloom"].engine
    publish_desk_orders(engine)
    first = engine.list_orders(DESK_CLERK, limit=1)[0]
    engine.fire(first.id, "pay", DESK_CLERK, data={"amount": first.data["total"]})
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "Desk order" in page and "desk-order</" not in page and ">desk-order<" not in page  # no raw id
    assert '<td class="num" data-label="Orders">3</td>' in page and ">version 1</td>" in page
    assert ">Pending payment <b>2</b>" in page and ">Paid <b>1</b>" in page
    assert 'href="/orders?workflow=desk-order&amp;state=paid">Paid' in page  # the paid ones, listed
    zh = client.get("/?lang=zh").get_data(as_text=True)
    assert "柜台订单" in zh and "部门与流程" in zh and "待支付 <b>2</b>" in zh


def test_home_reads_the_counts_and_the_workflows_in_one_read(tmp_path: Path) -> None:
    """The login's session, then one read transaction for the whole page (never one per workflow)."""
    with Statements().listening() as statements:
        app = make_app(
            Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}", definitions_root=DEFS, secret_key="h")
        )
        try:
            publish_desk_orders(app.extensions["orderloom"].engine)
            add_user(app, "wang.fang", "wang.fang-password", ("clerk",), ("desk",))  # not an admin: no
            client = log_in(
                app.test_client(), "wang.fang", "wang.fang-password"
            )  # outbox count in the header
            client.get("/")  # compiled versions and statements cached, as on a running server
            with statements.during() as seen:
                page = client.get("/?lang=en").text
            assert "Desk order" in page and '<td class="num" data-label="Orders">3</td>' in page
            assert (cost(seen).transactions, cost(seen).writes) == (2, 0), seen
        finally:
            app.extensions["orderloom"].close()


def test_the_browser_language_is_the_default(client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert "Departments and workflows" in page
    page = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "部门与流程" in page


def test_the_language_choice_is_remembered(client: FlaskClient) -> None:
    response = client.get("/?lang=en")
    assert "lang=en" in response.headers["Set-Cookie"]
    assert "Departments and workflows" in client.get("/").get_data(as_text=True)


def test_the_frameworks_errors_are_pages_of_the_app_in_its_language(client: FlaskClient) -> None:
    missing = client.get("/no-such-page?lang=zh")
    assert (
        missing.status_code == 404 and "没有这个地址。" in missing.text and "部门与流程" not in missing.text
    )
    assert '<html lang="zh-CN">' in missing.text  # the app's page, with its header and language switch
    wrong = client.get("/logout?lang=en")  # a POST-only address opened directly
    assert wrong.status_code == 405 and "This address does not take this kind of request" in wrong.text
    huge = client.post("/logout?lang=zh", data=b"x" * (3 * 1024 * 1024), content_type="text/plain")
    assert huge.status_code == 413 and "提交的内容超过了 2 MiB 的上限，未做任何更改。" in huge.text


def test_an_expired_form_says_so_in_the_pages_language(client: FlaskClient) -> None:
    """The form's CSRF token is missing or stale: Flask-WTF's 400, told as the app tells it."""
    client.csrf_token = "not-the-token"  # type: ignore[attr-defined]
    expired = client.post("/logout?lang=zh")
    assert expired.status_code == 400
    assert "页面已过期" in expired.text and "未做任何更改" in expired.text
    assert "The CSRF token" not in expired.text  # not Flask-WTF's English


def test_a_crash_is_a_page_of_the_app_without_the_traceback(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as it runs in production

    def boom() -> str:
        raise RuntimeError("a bug with secrets in it")

    app.add_url_rule("/boom", view_func=boom)
    crashed = log_in(app.test_client()).get("/boom?lang=en")
    assert crashed.status_code == 500
    assert "Something went wrong handling the request; nothing was changed." in crashed.text
    assert "secrets" not in crashed.text and "Traceback" not in crashed.text


def test_the_language_link_keeps_the_page_and_its_query(app: Flask) -> None:
    login = app.test_client().get("/login?next=%2Forders%2F7&lang=zh").text
    assert 'class="lang" href="/login?next=%2Forders%2F7&amp;lang=en"' in login


def test_on_a_page_a_post_answered_the_language_link_goes_to_the_page_the_form_was_sent_from(
    app: Flask,
) -> None:
    """A GET of a POST's address is refused or means something else: the link goes back to the form's
    page, in the other language, or to the start page when the form came from elsewhere."""
    client = app.test_client()
    token = csrf_token_of(client.get("/login").text)
    sent = {"name": TESTER, "password": "wrong", "csrf_token": token}
    came_from = "http://localhost/login?next=%2Forders%2F7&lang=zh"
    refused = client.post("/login?lang=zh", data=sent, headers={"Referer": came_from})
    assert refused.status_code == 401
    assert 'class="lang" href="/login?next=%2Forders%2F7&amp;lang=en"' in refused.text
    elsewhere = client.post("/login?lang=zh", data=sent, headers={"Referer": "https://evil.example/x"})
    assert 'class="lang" href="/?lang=en"' in elsewhere.text


def test_the_icon_and_the_login_buttons_style_are_served(app: Flask) -> None:
    anonymous = app.test_client()
    icon = anonymous.get("/favicon.ico")
    assert icon.status_code == 301 and icon.headers["Location"] == "/static/favicon.svg"
    assert anonymous.get("/static/favicon.svg").status_code == 200
    assert "button.primary" in anonymous.get("/static/app.css").text  # the login page loads app.css only


def test_a_wrong_method_says_which_the_address_takes(app: Flask) -> None:
    refused = app.test_client().delete("/login?lang=en")
    assert refused.status_code == 405 and set(refused.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert "This address does not take this kind of request" in refused.text


def test_the_language_link_stays_on_the_same_address(app: Flask) -> None:
    """An encoded ? or # in the path stays encoded; under a prefix (SCRIPT_NAME) the link keeps it."""
    odd = app.test_client().get("/a%3Fb=1%23c?lang=zh").text
    assert 'class="lang" href="/a%3Fb%3D1%23c?lang=en"' in odd
    mounted = app.test_client().get("/login?lang=zh", base_url="http://localhost/orderloom/").text
    assert 'class="lang" href="/orderloom/login?lang=en"' in mounted


def test_a_request_of_a_logged_out_page_is_told_to_log_in(app: Flask) -> None:
    """htmx asks without following the login redirect: it gets 401, as a page of the app."""
    refused = app.test_client().get("/?lang=zh", headers={"HX-Request": "true"})
    assert refused.status_code == 401 and "请先登录" in refused.text and "Unauthorized" not in refused.text


# --------------------------------------------------------------------------------------------------
# Reading pages write nothing


@contextmanager
def traced_sqlite() -> Iterator[list[str]]:
    """Every statement SQLite is given on a connection opened inside the block (sqlite3's trace
    callback, the statements as the database runs them, those the store runs on the driver too)."""
    seen: list[str] = []

    def trace(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(seen.append)

    event.listen(Pool, "connect", trace)
    try:
        yield seen
    finally:
        event.remove(Pool, "connect", trace)


_WRITES = re.compile(r"\s*(BEGIN IMMEDIATE|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|LOCK)\b", re.I)


def sqlite_writes(statements: list[str]) -> list[str]:
    """The write transactions begun (``BEGIN IMMEDIATE``) and the statements that change something."""
    return [s for s in statements if _WRITES.match(s)]


def next_transaction_id(pg: Any) -> int:
    """PostgreSQL's next transaction id: only a transaction that writes takes one (a read never does),
    so the difference across a request is how many write transactions it ran."""
    return int(pg.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint").fetchone()[0])


READING_PAGES = (
    "/",
    "/?lang=en",
    "/orders",
    "/orders?workflow=desk-order&state=paid",
    "/orders/{order}",
    "/orders/{order}/fire/pay",
    "/orders/{order}/fire/complete",  # a step this order may not take now: the 409 page
    "/orders/new/desk/desk-order/phone",
    "/forms/showroom/service-order",
    "/orders/999999",  # the 404 page
    "/work",
    "/work?claims=mine",
    "/login",  # logged in: on to the home page
    "/healthz",
)


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_reading_pages_run_no_write_transaction(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A GET of each reading page, each after a new order and a minute more on the clock (so the order
    counts have events to fold, and a fold would be due): the database is asked for no write
    transaction, on either database. Folding the counts is the worker's."""
    sqlite_url = f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}"
    url = sqlite_url if database == "sqlite" else str(request.getfixturevalue("pg_url"))
    clock = FrozenClock(datetime.now(UTC))
    with traced_sqlite() as statements:
        app = make_app(Settings(database_url=url, definitions_root=DEFS, secret_key="reading-pages"), clock)
        pg = psycopg.connect(url.replace("+psycopg", ""), autocommit=True) if database == "postgres" else None
        try:
            engine = app.extensions["orderloom"].engine
            publish_desk_orders(engine)
            order = engine.list_orders(DESK_CLERK, limit=1)[0]
            engine.fire(order.id, "pay", DESK_CLERK, data={"amount": order.data["total"]})
            client, anonymous = log_in(app.test_client()), app.test_client()
            pages = [(client, path.format(order=order.id)) for path in READING_PAGES]
            for who, path in [*pages, (anonymous, "/login"), (anonymous, "/orders")]:
                clock.advance(minutes=1)
                engine.create_order(
                    DESK_CLERK, department="desk", workflow="desk-order", channel="phone",
                    data={"customer": "李娜", "total": 5},
                )  # fmt: skip
                statements.clear()
                if pg is not None:
                    # The server's transaction ids are shared by every database on it: a write elsewhere
                    # (another test's leftover) takes one too. A page that writes takes one on every GET,
                    # so a page is held to taking none on one of three.
                    taken = []
                    for _ in range(3):
                        before = next_transaction_id(pg)
                        assert who.get(path).status_code < 500, path
                        taken.append(next_transaction_id(pg) - before)
                        if taken[-1] == 0:
                            break
                    assert taken[-1] == 0, (path, taken)
                else:
                    response = who.get(path)
                    assert response.status_code < 500, path
                    assert sqlite_writes(statements) == [], path
        finally:
            if pg is not None:
                pg.close()
            app.extensions["orderloom"].close()


# --------------------------------------------------------------------------------------------------
# Security headers


def test_every_answer_carries_the_security_headers(app: Flask, client: FlaskClient) -> None:
    anonymous = app.test_client()
    answers = {
        "page": client.get("/"),
        "login": anonymous.get("/login"),
        "redirect to the login": anonymous.get("/orders"),
        "404 page": client.get("/no-such-page"),
        "405 page": client.get("/logout"),
        "static file": anonymous.get("/static/app.css"),
        "htmx refresh": client.post("/forms/showroom/service-order/refresh", headers={"HX-Request": "true"}),
        "health check": anonymous.get("/healthz"),
    }
    for what, response in answers.items():
        policy = response.headers.get("Content-Security-Policy", "")
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives.get("script-src") == "'self'", what  # no inline script, no eval, no other host
        assert directives.get("style-src") == "'self'", what
        assert directives.get("frame-ancestors") == "'none'", what
        assert directives.get("object-src") == "'none'", what
        assert response.headers.get("X-Content-Type-Options") == "nosniff", what
        assert response.headers.get("Referrer-Policy") == "same-origin", what
        assert response.headers.get("X-Frame-Options") == "DENY", what


_INLINE = re.compile(
    r"<script\b(?![^>]*\bsrc=)[^>]*>"  # a script without src
    r"|\son[a-z]+\s*="  # an event handler attribute (onclick=…)
    r"|\sstyle\s*="  # a style attribute
    r"|<style\b"  # a style element
    r"|javascript:",
    re.I,
)


def test_no_template_of_a_served_page_has_inline_script_or_style() -> None:
    """What the CSP refuses, found in the templates before a browser does (forms/standalone.html is a
    file written by `orderloom forms preview`, opened from disk, not served: its CSS is inlined)."""
    root = Path(__file__).resolve().parents[2] / "web" / "templates"
    found = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in sorted(root.rglob("*.html"))
        if path.name != "standalone.html"
        for match in _INLINE.finditer(re.sub(r"{#.*?#}", "", path.read_text("utf-8"), flags=re.S))
    ]
    assert found == []


def test_served_over_https_the_cookies_are_secure(tmp_path: Path) -> None:
    settings = dataclasses.replace(
        Settings(
            database_url=f"sqlite:///{tmp_path / 'orderloom.db'}", definitions_root=DEFS, secret_key="t"
        ),
        https=True,
    )
    app = make_app(settings)
    try:
        client = app.test_client()
        https = {"base_url": "https://orderloom.example"}
        login = client.get("/login?lang=en", **https)
        assert "Secure" in login.headers["Set-Cookie"] and login.headers["Set-Cookie"].startswith("lang=")
        token = csrf_token_of(login.text)
        referer = {"Referer": "https://orderloom.example/login"}  # Flask-WTF checks it over HTTPS
        data = {"name": TESTER, "password": TESTER_PASSWORD, "csrf_token": token}
        response = client.post("/login", data=data, headers=referer, **https)
        assert response.status_code == 302, response.text
        cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert client.get("/", **https).status_code == 200
    finally:
        app.extensions["orderloom"].close()
    plain = make_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'plain.db'}", definitions_root=DEFS, secret_key="t")
    )
    try:
        assert "Secure" not in plain.test_client().get("/login?lang=en").headers["Set-Cookie"]
    finally:
        plain.extensions["orderloom"].close()


def test_https_is_a_setting_read_from_the_environment() -> None:
    assert Settings.from_env({}).https is False
    assert Settings.from_env({"ORDERLOOM_HTTPS": "true"}).https is True
    with pytest.raises(ValueError, match="ORDERLOOM_HTTPS: not a yes/no value"):
        Settings.from_env({"ORDERLOOM_HTTPS": "sometimes"})
