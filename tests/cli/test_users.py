"""``orderloom users``: an API login added as such (``add --api``), a user marked one or a person again
(``change``), the mark shown by ``list``; the demo's API login marked, a database loaded before marks
too, and ``serve`` saying which demo login is one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner, Result

from cli.main import main
from demo.loader import DEMO_ACTORS, ensure_demo_users
from engine.store import Store
from engine.store.users import api_logins, change_api_login
from tests.cli.support import DEFS

Invoke = Callable[..., Result]


def invoker(tmp_path: Path) -> tuple[Invoke, str]:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    env = {"ORDERLOOM_DEFINITIONS": str(DEFS), "ORDERLOOM_DATABASE_URL": url}

    def run(*args: str, code: int = 0, given: str | None = None) -> Result:
        result = CliRunner().invoke(main, list(args), env=env, input=given, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    return run, url


def test_an_api_login_is_added_marked_listed_and_made_a_person_again(tmp_path: Path) -> None:
    run, url = invoker(tmp_path)
    add = ["users", "add", "--role", "clerk", "--department", "desk", "--password-stdin"]
    added = run(*add[:2], "shop", *add[2:], "--api", "--display-name", "网店接口", given="shop-secret-1\n")
    assert "user shop added (API login): clerk @ desk" in added.output
    run(*add[:2], "li.na", *add[2:], given="li-na-secret\n")
    assert run("users", "list").output.splitlines() == [
        "li.na: clerk @ desk",
        "shop (网店接口): clerk @ desk  (API login)",
    ]
    assert run("users", "change", "li.na", "--api").output.strip() == "user li.na is now an API login"
    assert run("users", "change", "shop", "--person").output.strip() == "user shop is now a person"
    store = Store(url)
    try:
        assert api_logins(store) == {"li.na"}
    finally:
        store.dispose()
    assert run("users", "list").output.splitlines()[0] == "li.na: clerk @ desk  (API login)"
    unknown = run("users", "change", "no.body", "--api", code=1)
    assert "there is no user named 'no.body'" in unknown.output
    assert "--api or --person" in run("users", "change", "li.na", code=2).output


def test_the_demo_marks_its_api_login_also_in_a_database_loaded_before_marks(tmp_path: Path) -> None:
    run, url = invoker(tmp_path)
    run("db", "upgrade")
    store = Store(url)
    try:
        ensure_demo_users(store, datetime.now(UTC), {"storefront", "li.na"})
        assert api_logins(store) == {"storefront"}
        change_api_login(store, "storefront", False)  # as a database loaded before logins were marked
        assert ensure_demo_users(store, datetime.now(UTC), {"storefront", "li.na"}) == []
        assert api_logins(store) == {"storefront"}
    finally:
        store.dispose()
    assert [user.name for user in DEMO_ACTORS if user.api] == ["storefront"]


def test_serve_says_which_demo_login_is_an_api_login() -> None:
    from cli.processes import _describe_demo_actor

    shown = {user.name: _describe_demo_actor(user) for user in DEMO_ACTORS}
    assert shown["storefront"] == "storefront / storefront-demo: clerk @ retail  (网店与App接口)  [API login]"
    assert "API" not in shown["li.na"]
