"""Throttling of failed logins (Flask-Limiter): per user name and per client address, counting refused
passwords only, answered with 429, the login page saying to wait, and a Retry-After header.

The limits are lowered through Settings; the window test uses a one-second window and waits it out
(Flask-Limiter's storage reads the system clock and takes no clock of ours)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import DEFS, TESTER, TESTER_PASSWORD, add_user, csrf_token_of, make_app, settings_for
from web.settings import Settings

OTHER = "li.si"
OTHER_PASSWORD = "li-si-password"


def throttled_app(tmp_path: Path, per_name: int, per_ip: int, window: int = 900) -> Flask:
    settings = dataclasses.replace(
        settings_for(tmp_path, DEFS, "throttle-tests"),
        login_failures_per_name=per_name,
        login_failures_per_ip=per_ip,
        login_failure_window=window,
    )
    app = make_app(settings)
    add_user(app, name=OTHER, password=OTHER_PASSWORD)
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = throttled_app(tmp_path, per_name=3, per_ip=5)
    yield app
    app.extensions["orderloom"].close()


def attempt(
    client: FlaskClient, name: str, password: str, lang: str = "zh"
) -> tuple[int, str, dict[str, str]]:
    """One login through the form; a successful one is logged out again, so the next starts afresh."""
    token = csrf_token_of(client.get(f"/login?lang={lang}").get_data(as_text=True))
    response = client.post(
        f"/login?lang={lang}", data={"name": name, "password": password, "csrf_token": token}
    )
    status, page, headers = response.status_code, response.get_data(as_text=True), dict(response.headers)
    if status == 302:
        home = client.get("/").get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token_of(home)})
    return status, page, headers


def test_after_n_failures_the_name_is_refused_even_with_the_right_password(app: Flask) -> None:
    client = app.test_client()
    for _ in range(3):
        status, _, headers = attempt(client, TESTER, "wrong-password")
        assert status == 401
        assert "Retry-After" not in headers  # only a refusal for too many failures says when to retry
    status, page, headers = attempt(client, TESTER, TESTER_PASSWORD)
    assert status == 429
    assert "登录失败次数过多" in page
    assert 'id="login-throttled"' in page
    assert "用户名或密码不正确" not in page  # it does not say whether the password was right
    assert headers["Retry-After"].isdigit()  # delta-seconds until the window ends
    status, page, _ = attempt(client, TESTER, TESTER_PASSWORD, lang="en")
    assert status == 429
    assert "Too many failed logins" in page
    # still refused: the 429s did not end or extend anything, and the page never logged the user in
    assert client.get("/").status_code == 302


def test_the_name_limit_counts_a_name_however_it_is_typed(app: Flask) -> None:
    client = app.test_client()
    for name in (TESTER, " Tester", "TESTER"):
        assert attempt(client, name, "wrong-password")[0] == 401
    assert attempt(client, TESTER, TESTER_PASSWORD)[0] == 429


def test_another_name_from_the_same_address_logs_in_until_the_address_limit(app: Flask) -> None:
    client = app.test_client()
    for _ in range(3):
        assert attempt(client, TESTER, "wrong-password")[0] == 401
    assert attempt(client, TESTER, TESTER_PASSWORD)[0] == 429
    assert attempt(client, OTHER, OTHER_PASSWORD)[0] == 302  # another name: not blocked by tester's
    # two more failures of other names reach the address's limit of five
    assert attempt(client, "nobody", "wrong-password")[0] == 401
    assert attempt(client, OTHER, "wrong-password")[0] == 401
    status, page, headers = attempt(client, OTHER, OTHER_PASSWORD)
    assert status == 429
    assert "登录失败次数过多" in page
    assert "Retry-After" in headers
    # another address is not held back by this one's failures
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert attempt(elsewhere, OTHER, OTHER_PASSWORD)[0] == 302


def test_successful_logins_do_not_count(app: Flask) -> None:
    client = app.test_client()
    for _ in range(6):  # more than either limit
        assert attempt(client, TESTER, TESTER_PASSWORD)[0] == 302
    for _ in range(2):  # one short of the name's limit
        assert attempt(client, TESTER, "wrong-password")[0] == 401
    assert attempt(client, TESTER, TESTER_PASSWORD)[0] == 302


def test_a_refusal_without_the_csrf_token_does_not_count(app: Flask) -> None:
    client = app.test_client()
    for _ in range(5):
        response = client.post("/login", data={"name": TESTER, "password": "wrong-password"})
        assert response.status_code == 400
    assert attempt(client, TESTER, TESTER_PASSWORD)[0] == 302


def test_the_right_password_works_again_after_the_window(tmp_path: Path) -> None:
    app = throttled_app(tmp_path, per_name=1, per_ip=20, window=1)
    try:
        client = app.test_client()
        assert attempt(client, TESTER, "wrong-password")[0] == 401
        assert attempt(client, TESTER, TESTER_PASSWORD)[0] == 429
        time.sleep(1.2)  # the one-second window, counted from the failure, has passed
        assert attempt(client, TESTER, TESTER_PASSWORD)[0] == 302
    finally:
        app.extensions["orderloom"].close()


def test_each_app_keeps_its_own_counts(tmp_path: Path) -> None:
    first = throttled_app(tmp_path / "first", per_name=1, per_ip=20)
    second = throttled_app(tmp_path / "second", per_name=1, per_ip=20)
    try:
        assert attempt(first.test_client(), TESTER, "wrong-password")[0] == 401
        assert attempt(first.test_client(), TESTER, TESTER_PASSWORD)[0] == 429
        assert attempt(second.test_client(), TESTER, TESTER_PASSWORD)[0] == 302
    finally:
        first.extensions["orderloom"].close()
        second.extensions["orderloom"].close()


def test_the_limits_are_settings_read_from_the_environment() -> None:
    defaults = Settings.from_env({})
    assert (defaults.login_failures_per_name, defaults.login_failures_per_ip) == (5, 20)
    assert defaults.login_failure_window == 900
    assert defaults.login_throttle_storage == "memory://"
    lowered = Settings.from_env(
        {
            "ORDERLOOM_LOGIN_FAILURES_PER_NAME": "2",
            "ORDERLOOM_LOGIN_FAILURES_PER_IP": "4",
            "ORDERLOOM_LOGIN_FAILURE_WINDOW": "60",
        }
    )
    assert (lowered.login_failures_per_name, lowered.login_failures_per_ip) == (2, 4)
    assert lowered.login_failure_window == 60
    with pytest.raises(ValueError, match="ORDERLOOM_LOGIN_FAILURES_PER_NAME"):
        Settings.from_env({"ORDERLOOM_LOGIN_FAILURES_PER_NAME": "0"})
    with pytest.raises(ValueError, match="ORDERLOOM_LOGIN_FAILURE_WINDOW"):
        Settings.from_env({"ORDERLOOM_LOGIN_FAILURE_WINDOW": "fifteen minutes"})
