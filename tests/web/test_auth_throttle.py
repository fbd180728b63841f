"""Throttling of failed logins: per user name and per client address, counting refused passwords only,
answered with 429, the login page saying to wait, and a Retry-After header; counted in the database
before the password is checked, so attempts at the same moment in several processes never pass the
limit; and at most a few passwords hashed at once per process.

The limits are lowered through Settings; the window is passed by moving the app's frozen clock."""

from __future__ import annotations

import dataclasses
import multiprocessing
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import FrozenClock
from tests.web.conftest import DEFS, TESTER, TESTER_PASSWORD, add_user, csrf_token_of, make_app, settings_for
from web.app import create_app
from wiring.settings import Settings

OTHER = "li.si"
OTHER_PASSWORD = "li-si-password"


def throttled_settings(
    tmp_path: Path, per_name: int, per_ip: int, window: int = 900, **more: Any
) -> Settings:
    return dataclasses.replace(
        settings_for(tmp_path, DEFS, "throttle-tests"),
        login_failures_per_name=per_name,
        login_failures_per_ip=per_ip,
        login_failure_window=window,
        **more,
    )


def throttled_app(
    tmp_path: Path,
    per_name: int,
    per_ip: int,
    window: int = 900,
    clock: FrozenClock | None = None,
    **more: Any,
) -> Flask:
    app = make_app(throttled_settings(tmp_path, per_name, per_ip, window, **more), clock)
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
    clock = FrozenClock(datetime.now(UTC))
    app = throttled_app(tmp_path, per_name=1, per_ip=20, window=60, clock=clock)
    try:
        client = app.test_client()
        assert attempt(client, TESTER, "wrong-password")[0] == 401
        clock.advance(seconds=30)
        status, _, headers = attempt(client, TESTER, TESTER_PASSWORD)
        assert (status, headers["Retry-After"]) == (429, "30")  # the window counts from the failure
        clock.advance(seconds=30)
        assert attempt(client, TESTER, TESTER_PASSWORD)[0] == 302
    finally:
        app.extensions["orderloom"].close()


def test_apps_on_one_database_share_their_counts(tmp_path: Path) -> None:
    """Two web processes (two apps here) over one database: failures counted by one hold the other."""
    first = throttled_app(tmp_path, per_name=2, per_ip=20)
    second = create_app(throttled_settings(tmp_path, per_name=2, per_ip=20), {"TESTING": True})
    elsewhere = throttled_app(tmp_path / "elsewhere", per_name=2, per_ip=20)  # another database
    try:
        assert attempt(first.test_client(), TESTER, "wrong-password")[0] == 401
        assert attempt(second.test_client(), TESTER, "wrong-password")[0] == 401
        assert attempt(first.test_client(), TESTER, TESTER_PASSWORD)[0] == 429
        assert attempt(second.test_client(), TESTER, TESTER_PASSWORD)[0] == 429
        assert attempt(elsewhere.test_client(), TESTER, TESTER_PASSWORD)[0] == 302
    finally:
        for app in (first, second, elsewhere):
            app.extensions["orderloom"].close()


def _attempts_in_a_process(
    settings: Settings, threads: int, start: Any, answers: multiprocessing.Queue[list[int]]
) -> None:
    """A web process of its own: ``threads`` clients send a wrong password for one name, all at once."""
    app = create_app(settings, {"TESTING": True})
    clients = [app.test_client() for _ in range(threads)]
    tokens = [csrf_token_of(client.get("/login").get_data(as_text=True)) for client in clients]
    codes: list[int] = []

    def send(client: FlaskClient, token: str) -> None:
        start.wait()
        data = {"name": TESTER, "password": "wrong-password", "csrf_token": token}
        codes.append(client.post("/login", data=data).status_code)

    running = [threading.Thread(target=send, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    app.extensions["orderloom"].close()
    answers.put(codes)


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_attempts_at_once_in_several_processes_never_pass_the_limit(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """30 wrong passwords for one name at the same moment, from 3 processes of 10 threads, limit 5: the
    first 5 counted have their password checked (401), the other 25 are refused unchecked (429)."""
    settings = throttled_settings(tmp_path, per_name=5, per_ip=1000)
    if database == "postgres":
        settings = dataclasses.replace(settings, database_url=str(request.getfixturevalue("pg_url")))
    app = make_app(settings)  # migrated, with the user
    app.extensions["orderloom"].close()
    context = multiprocessing.get_context("fork")
    start = context.Barrier(30)
    answers: multiprocessing.Queue[list[int]] = context.Queue()
    processes = [
        context.Process(target=_attempts_in_a_process, args=(settings, 10, start, answers)) for _ in range(3)
    ]
    for process in processes:
        process.start()
    codes = [code for _ in processes for code in answers.get(timeout=120)]
    for process in processes:
        process.join()
    assert [process.exitcode for process in processes] == [0, 0, 0]
    assert Counter(codes) == {401: 5, 429: 25}


def test_no_more_passwords_are_hashed_at_once_than_the_slots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 logins at once, each a name and an address of its own (no limit holds them): the real argon2
    check runs at most two at a time (the setting; 40 at once took 984 MiB), and every login is
    answered."""
    # each check waits as long as it takes (here 40 checks share two slots; none is told "busy")
    app = throttled_app(tmp_path, per_name=5, per_ip=5, password_checks_at_once=2, password_check_wait=600)
    running = peak = 0
    lock = threading.Lock()
    verify = PasswordHasher.verify

    def watched(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return verify(self, hash, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(PasswordHasher, "verify", watched)
    start = threading.Barrier(40)
    codes: list[int] = []

    def one(index: int) -> None:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{index + 1}"
        token = csrf_token_of(client.get("/login").get_data(as_text=True))
        start.wait()
        data = {"name": f"nobody-{index}", "password": "wrong-password", "csrf_token": token}
        codes.append(client.post("/login", data=data).status_code)

    try:
        threads = [threading.Thread(target=one, args=(index,)) for index in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        app.extensions["orderloom"].close()
    assert Counter(codes) == {401: 40}
    assert 1 <= peak <= 2


def test_a_login_finding_no_free_slot_is_told_the_server_is_busy_and_not_counted(tmp_path: Path) -> None:
    app = throttled_app(tmp_path, per_name=1, per_ip=20, password_checks_at_once=1, password_check_wait=1)
    try:
        client = app.test_client()
        with app.extensions["orderloom.logins"].checks.slot():  # another login's password is being checked
            for lang, words in (
                ("zh", "服务器正在核对其他登录"),
                ("en", "The server is busy checking other logins"),
            ):
                status, page, headers = attempt(client, TESTER, "wrong-password", lang=lang)
                assert (status, headers["Retry-After"]) == (503, "1")
                assert words in page
        # the busy answers counted nothing: the one failure the name is allowed is still there
        assert attempt(client, TESTER, "wrong-password")[0] == 401
        assert attempt(client, TESTER, TESTER_PASSWORD)[0] == 429
    finally:
        app.extensions["orderloom"].close()


def test_the_limits_are_settings_read_from_the_environment() -> None:
    defaults = Settings.from_env({})
    assert (defaults.login_failures_per_name, defaults.login_failures_per_ip) == (5, 20)
    assert defaults.login_failure_window == 900
    assert (defaults.password_checks_at_once, defaults.password_check_wait) == (4, 10)
    assert defaults.session_hours == 12
    lowered = Settings.from_env(
        {
            "ORDERLOOM_LOGIN_FAILURES_PER_NAME": "2",
            "ORDERLOOM_LOGIN_FAILURES_PER_IP": "4",
            "ORDERLOOM_LOGIN_FAILURE_WINDOW": "60",
            "ORDERLOOM_PASSWORD_CHECKS_AT_ONCE": "2",
            "ORDERLOOM_PASSWORD_CHECK_WAIT": "3",
            "ORDERLOOM_SESSION_HOURS": "8",
        }
    )
    assert (lowered.login_failures_per_name, lowered.login_failures_per_ip) == (2, 4)
    assert lowered.login_failure_window == 60
    assert (lowered.password_checks_at_once, lowered.password_check_wait, lowered.session_hours) == (2, 3, 8)
    with pytest.raises(ValueError, match="ORDERLOOM_LOGIN_FAILURES_PER_NAME"):
        Settings.from_env({"ORDERLOOM_LOGIN_FAILURES_PER_NAME": "0"})
    with pytest.raises(ValueError, match="ORDERLOOM_LOGIN_FAILURE_WINDOW"):
        Settings.from_env({"ORDERLOOM_LOGIN_FAILURE_WINDOW": "fifteen minutes"})
