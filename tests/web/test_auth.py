"""Logging in and out: argon2 passwords, one answer for a wrong name or password, every page behind the
login, sessions that end on the server (logout, a new password, their lifetime) in every process, CSRF
on every POST, the session cookie's flags, and the users commands of the CLI."""

from __future__ import annotations

import dataclasses
import multiprocessing
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

import web.auth
from cli.main import main
from engine.clock import FrozenClock
from engine.store.users import find_user, list_users
from tests.web.conftest import (
    DEFS,
    DESK_CLERK,
    TESTER,
    TESTER_PASSWORD,
    add_user,
    csrf_token_of,
    log_in,
    make_app,
    publish_desk_orders,
    settings_for,
)
from web.app import create_app
from web.users import UserInactive, authenticate, change_password
from wiring.settings import Settings


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return make_app(settings_for(tmp_path, DEFS, "auth-tests"))


def post_login(
    client: FlaskClient, name: str, password: str, lang: str = "zh", next: str = ""
) -> tuple[int, str]:
    token = csrf_token_of(client.get(f"/login?lang={lang}").get_data(as_text=True))
    response = client.post(
        f"/login?lang={lang}", data={"name": name, "password": password, "csrf_token": token, "next": next}
    )
    return response.status_code, response.headers.get("Location") or response.get_data(as_text=True)


def test_pages_need_a_login_except_the_login_health_and_static_files(app: Flask) -> None:
    client = app.test_client()
    for path in ("/", "/forms/showroom/service-order", "/orders/1", "/orders/new/desk/desk-order/phone"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next=")
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/app.css").status_code == 200
    # an htmx refresh or a POST without a login is refused, not redirected to a page it cannot show
    refresh = client.post("/forms/showroom/service-order/refresh", headers={"HX-Request": "true"})
    assert refresh.status_code in (400, 401)


def test_a_wrong_name_and_a_wrong_password_get_the_same_answer(app: Flask) -> None:
    client = app.test_client()
    wrong_password = post_login(client, TESTER, "not-the-password")
    wrong_name = post_login(client, "nobody", TESTER_PASSWORD)
    assert wrong_password[0] == wrong_name[0] == 401
    for _, page in (wrong_password, wrong_name):
        assert "用户名或密码不正确" in page
    _, english = post_login(client, "nobody", "x", lang="en")
    assert "The user name or the password is wrong" in english
    assert 'value="nobody"' in english  # the name typed is kept; the password never comes back
    assert client.get("/").status_code == 302  # still logged out


def test_logging_in_goes_to_the_page_asked_for_and_only_to_this_site(app: Flask) -> None:
    client = app.test_client()
    code, location = post_login(client, TESTER, TESTER_PASSWORD, next="/forms/showroom/service-order?lang=en")
    assert code == 302 and location == "/forms/showroom/service-order?lang=en"
    page = client.get("/").get_data(as_text=True)
    assert TESTER in page and "退出登录" in page  # who is logged in, and the logout button
    for unsafe in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        other = app.test_client()
        code, location = post_login(other, TESTER, TESTER_PASSWORD, next=unsafe)
        assert (code, location) == (302, "/work"), unsafe  # where a login asking for nothing lands


def test_a_login_asking_for_no_page_lands_on_my_work_or_for_an_admin_on_the_overview(app: Flask) -> None:
    add_user(app, "li.na", "li.na-password", ("clerk",), ("retail",))
    add_user(app, "ma.li", "ma.li-password", ("admin",), ("retail",))
    assert post_login(app.test_client(), "li.na", "li.na-password") == (302, "/work")
    assert post_login(app.test_client(), "ma.li", "ma.li-password") == (302, "/")
    clerk = app.test_client()
    post_login(clerk, "li.na", "li.na-password")
    assert clerk.get("/login").headers["Location"] == "/work"  # the login page, once logged in


def test_logging_out_ends_the_session(app: Flask) -> None:
    client = log_in(app.test_client())
    assert client.get("/").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def desk_order(app: Flask) -> str:
    """The page of a desk order (the test definitions' orders published)."""
    engine = app.extensions["orderloom"].engine
    publish_desk_orders(engine)
    return f"/orders/{engine.list_orders(DESK_CLERK, limit=1)[0].id}"


def session_cookie(client: FlaskClient) -> str:
    found = client.get_cookie("session")
    assert found is not None
    return found.value


def test_after_logout_the_old_cookie_opens_nothing(app: Flask) -> None:
    """The cookie kept from before the logout (a copy, another tab, a stolen one) is sent again: the
    session ended on the server, so the order's page asks for a login and htmx gets a 401."""
    order = desk_order(app)
    client = log_in(app.test_client())
    assert client.get(order).status_code == 200
    kept = session_cookie(client)
    assert client.post("/logout").status_code == 302
    client.set_cookie("session", kept)
    response = client.get(order)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert client.get(order, headers={"HX-Request": "true"}).status_code == 401
    assert client.post("/logout").status_code in (400, 401)  # nothing to log out, nothing done


def _log_out_elsewhere(settings: Settings, cookie: str, answers: multiprocessing.Queue[int]) -> None:
    """Another web process: the same browser's cookie logs out there."""
    app = create_app(settings, {"TESTING": True})
    client = app.test_client()
    client.set_cookie("session", cookie)
    token = csrf_token_of(client.get("/").get_data(as_text=True))
    answers.put(client.post("/logout", data={"csrf_token": token}).status_code)
    app.extensions["orderloom"].close()


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_logout_in_one_process_ends_the_session_in_every_process(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for(tmp_path, DEFS, "sessions-tests")
    if database == "postgres":
        settings = dataclasses.replace(settings, database_url=str(request.getfixturevalue("pg_url")))
    app = make_app(settings)
    try:
        order = desk_order(app)
        client = log_in(app.test_client())
        assert client.get(order).status_code == 200
        context = multiprocessing.get_context("fork")
        answers: multiprocessing.Queue[int] = context.Queue()
        other = context.Process(target=_log_out_elsewhere, args=(settings, session_cookie(client), answers))
        other.start()
        assert answers.get(timeout=120) == 302
        other.join()
        assert other.exitcode == 0
        response = client.get(order)  # this process, the cookie it still holds
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    finally:
        app.extensions["orderloom"].close()


def test_a_new_password_ends_every_session_of_the_user(app: Flask, tmp_path: Path) -> None:
    add_user(app, "li.si", "li.si-password", ("clerk",), ("desk",))
    order = desk_order(app)
    office, phone = (
        log_in(app.test_client(), "li.si", "li.si-password"),
        log_in(app.test_client(), "li.si", "li.si-password"),
    )
    others = log_in(app.test_client())  # another user's session goes on
    env = {
        "ORDERLOOM_DEFINITIONS": str(DEFS),
        "ORDERLOOM_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}",
    }
    runner = CliRunner()
    changed = runner.invoke(
        main, ["users", "password", "li.si", "--password-stdin"], input="a-new-password\n", env=env
    )
    assert changed.exit_code == 0, changed.output
    assert "password of li.si changed; 2 session(s) ended" in changed.output
    for client in (office, phone):
        assert client.get(order).status_code == 302
    assert others.get(order).status_code == 200
    assert post_login(app.test_client(), "li.si", "li.si-password")[0] == 401
    assert post_login(app.test_client(), "li.si", "a-new-password")[0] == 302
    missing = runner.invoke(
        main, ["users", "password", "nobody", "--password-stdin"], input="long-enough\n", env=env
    )
    assert missing.exit_code == 1 and "there is no user named 'nobody'" in missing.output
    short = runner.invoke(main, ["users", "password", "li.si", "--password-stdin"], input="short\n", env=env)
    assert short.exit_code == 1 and "at least 8 characters" in short.output


def test_a_password_changed_while_a_login_checks_the_old_one_ends_that_login_too(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The admin sets a new password while argon2 is still checking the old one: the new password ends
    every session, and the login that checked the old one starts none (it did, and stayed valid)."""
    store = app.extensions["orderloom"].store

    def checked_while_changed(*args: Any, **kwargs: Any) -> Any:
        user = authenticate(*args, **kwargs)
        change_password(store, TESTER, "brand-new-password")
        return user

    monkeypatch.setattr(web.auth, "authenticate", checked_while_changed)
    client = app.test_client()
    assert post_login(client, TESTER, TESTER_PASSWORD)[0] == 401
    assert client.get("/orders").status_code == 302  # to the login page: no session
    monkeypatch.undo()
    assert post_login(app.test_client(), TESTER, "brand-new-password")[0] == 302


def test_a_rehash_at_login_ends_no_session(app: Flask) -> None:
    """A hash made with older parameters is replaced at the next login: the same password, so the
    user's other sessions go on."""
    from argon2 import PasswordHasher
    from sqlalchemy import update

    from engine.store.tables import users

    def older_hash() -> None:
        weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(TESTER_PASSWORD)
        with app.extensions["orderloom"].store.transaction() as tx:
            tx.connection.execute(update(users).where(users.c.name == TESTER).values(password_hash=weak))

    older_hash()
    first = log_in(app.test_client())
    older_hash()
    second = log_in(app.test_client())
    stored = find_user(app.extensions["orderloom"].store, TESTER)
    assert stored is not None and "m=65536" in stored.password_hash  # rehashed
    assert first.get("/").status_code == second.get("/").status_code == 200


def test_a_session_ends_after_its_lifetime(tmp_path: Path) -> None:
    clock = FrozenClock(datetime.now(UTC))
    app = make_app(
        dataclasses.replace(settings_for(tmp_path, DEFS, "sessions-tests"), session_hours=8), clock
    )
    try:
        client = log_in(app.test_client())
        clock.advance(hours=7, minutes=59)
        assert client.get("/").status_code == 200
        clock.advance(minutes=1)
        assert client.get("/").status_code == 302
        assert log_in(app.test_client()).get("/").status_code == 200  # a new login starts a new one
    finally:
        app.extensions["orderloom"].close()


def test_a_post_without_the_csrf_token_is_refused(app: Flask) -> None:
    client = log_in(app.test_client())
    client.csrf_token = None  # type: ignore[attr-defined]
    assert client.post("/logout").status_code == 400
    assert client.post("/forms/showroom/service-order", data={"customer.name": "x"}).status_code == 400
    assert client.post("/login", data={"name": TESTER, "password": TESTER_PASSWORD}).status_code == 400
    wrong = client.post("/logout", headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 400
    assert client.get("/").status_code == 200  # none of them logged out


def test_the_pages_carry_the_token_for_forms_and_htmx(app: Flask) -> None:
    client = log_in(app.test_client())
    page = client.get("/forms/showroom/service-order").get_data(as_text=True)
    token = csrf_token_of(page)
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in page
    assert page.count(f'name="csrf_token" value="{token}"') == 2  # the form and the logout button


def test_the_session_cookie_is_httponly_and_samesite_lax(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"name": TESTER, "password": TESTER_PASSWORD, "csrf_token": token})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_passwords_are_stored_as_argon2_hashes_and_inactive_users_cannot_log_in(app: Flask) -> None:
    store = app.extensions["orderloom"].store
    row = find_user(store, TESTER)
    assert row is not None and row.password_hash.startswith("$argon2id$")
    assert TESTER_PASSWORD not in row.password_hash
    user = authenticate(store, f"  {TESTER} ", TESTER_PASSWORD)
    assert user is not None and user.actor.departments == frozenset({"*"})
    assert authenticate(store, TESTER, TESTER_PASSWORD.upper()) is None
    from sqlalchemy import update

    from engine.store.tables import users

    with store.transaction() as tx:
        tx.connection.execute(update(users).where(users.c.name == TESTER).values(active=False))
    with pytest.raises(UserInactive):  # the right password: told it is deactivated
        authenticate(store, TESTER, TESTER_PASSWORD)
    assert authenticate(store, TESTER, "a wrong password") is None  # a wrong one: told nothing more
    code, page = post_login(app.test_client(), TESTER, TESTER_PASSWORD)
    assert code == 403 and "此账号已停用" in page
    code, page = post_login(app.test_client(), TESTER, "a wrong password")
    assert code == 401 and "此账号已停用" not in page


def test_a_session_of_a_user_made_inactive_is_logged_out(app: Flask) -> None:
    add_user(app, "li.si", "li.si-password", ("clerk",), ("desk",))
    client = log_in(app.test_client(), "li.si", "li.si-password")
    assert client.get("/").status_code == 200
    from sqlalchemy import update

    from engine.store.tables import users

    with app.extensions["orderloom"].store.transaction() as tx:
        tx.connection.execute(update(users).where(users.c.name == "li.si").values(active=False))
    assert client.get("/").status_code == 302


def test_cli_adds_and_lists_users_and_demo_adds_the_demo_logins(tmp_path: Path) -> None:
    env = {
        "ORDERLOOM_DEFINITIONS": str(DEFS),
        "ORDERLOOM_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}",
    }
    runner = CliRunner()
    args = ["users", "add", "zhang.san", "--role", "clerk", "--role", "service", "--department", "desk"]
    added = runner.invoke(main, [*args, "--password-stdin"], input="zhang-secret-1\n", env=env)
    assert added.exit_code == 0, added.output
    assert "user zhang.san added: clerk,service @ desk" in added.output
    again = runner.invoke(main, [*args, "--password-stdin"], input="zhang-secret-1\n", env=env)
    assert again.exit_code == 1 and "exists already" in again.output
    short = runner.invoke(main, ["users", "add", "x", "--role", "a", "--department", "d", "--password-stdin"],
                          input="short\n", env=env)  # fmt: skip
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    no_department = runner.invoke(main, ["users", "add", "y", "--role", "a", "--password-stdin"], env=env)
    assert no_department.exit_code == 2
    listed = runner.invoke(main, ["users", "list"], env=env)
    assert listed.output.strip() == "zhang.san: clerk,service @ desk"
    assert "zhang-secret-1" not in listed.output and "argon2" not in listed.output

    from demo.loader import DEMO_ACTORS, ensure_demo_users
    from wiring.services import build_services

    services = build_services(Settings.from_env(env))
    try:
        from datetime import UTC, datetime

        added_names = ensure_demo_users(services.store, datetime.now(UTC))
        assert added_names == [user.name for user in DEMO_ACTORS]
        assert ensure_demo_users(services.store, datetime.now(UTC)) == []  # only the missing ones
        li_na = authenticate(services.store, "li.na", "li.na-demo")
        assert li_na is not None and li_na.display_name == "李娜"
        assert li_na.actor.roles == frozenset({"clerk", "service"})
        assert li_na.actor.departments == frozenset({"retail"})
        assert len(list_users(services.store)) == len(DEMO_ACTORS) + 1
    finally:
        services.close()
    shown = runner.invoke(main, ["users", "list"], env=env).output
    assert re.search(r"^admin: admin @ \*$", shown, re.M), shown  # named by the login alone


def test_orderloom_demo_adds_the_logins_serve_prints(tmp_path: Path) -> None:
    env = {
        "ORDERLOOM_DEFINITIONS": str(Path(__file__).resolve().parents[2]),
        "ORDERLOOM_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}",
    }
    result = CliRunner().invoke(main, ["demo", "--orders", "3"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "demo login(s) added: li.na, storefront, wang.qiang" in result.output  # the clerk first
    again = CliRunner().invoke(main, ["demo", "--if-empty"], env=env, catch_exceptions=False)
    assert "added" not in again.output
    app = make_app(settings_for(tmp_path, Path(env["ORDERLOOM_DEFINITIONS"]), "demo-tests"))
    try:
        client = log_in(app.test_client(), "li.na", "li.na-demo")
        home = client.get("/?lang=zh").text
        assert "零售订单" in home and "批发订单" not in home  # only li.na's department
        assert 'href="/orders/new/retail/retail-order/web"' in home
    finally:
        app.extensions["orderloom"].close()


def test_serve_lists_the_demo_logins_clerk_first_with_who_each_is() -> None:
    from cli.processes import _describe_demo_actor
    from demo.loader import DEMO_ACTORS

    shown = [_describe_demo_actor(user) for user in DEMO_ACTORS]
    assert shown[0] == "li.na / li.na-demo: clerk,service @ retail  (李娜)"
    assert shown[-1] == "admin / admin-demo: admin @ *"  # known by the login alone
