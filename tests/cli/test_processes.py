"""`make run` (cli/processes.py `run`): the commands of the Makefile's `run` target, as `make -n` prints them,
start the web app and a worker; a due timer fires under them, the demo's mail is delivered, and Ctrl-C
stops both in good order."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from engine.store import Store
from engine.store.tables import outbox, timers
from tests.cli.support import Run, create, publish_desk
from wiring.settings import REPO_ROOT

WAIT = 120.0  # seconds a step may take before the test gives up on it


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_run_commands(port: int) -> list[str]:
    """The `orderloom` commands `make run` runs, in order (make prints them and runs nothing)."""
    printed = subprocess.run(
        ["make", "-n", "run", "HOST=127.0.0.1", f"PORT={port}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in printed.splitlines() if line.startswith(".venv/bin/orderloom ")]


def wait_for(what: str, done: Callable[[], bool], process: subprocess.Popen[str], output: list[str]) -> None:
    deadline = time.monotonic() + WAIT
    while not done():
        assert process.poll() is None, f"stopped before {what}:\n{''.join(output)}"
        assert time.monotonic() < deadline, f"no {what}:\n{''.join(output)}"
        time.sleep(0.2)


def _env(tmp_path: Path) -> dict[str, str]:
    """The environment of a run in ``tmp_path``: its own database, Maildir and key, no SMTP server."""
    env = {
        **os.environ,
        "ORDERLOOM_DATABASE_URL": f"sqlite:///{tmp_path / 'orderloom.db'}",
        "ORDERLOOM_MAIL_DIR": str(tmp_path / "mail"),  # not the repository's var/mail
        "ORDERLOOM_SECRET_KEY": "k" * 40,  # not the repository's var/secret_key
    }
    for name in ("ORDERLOOM_SMTP_URL", "ORDERLOOM_MAIL_TO", "ORDERLOOM_DEFINITIONS"):
        env.pop(name, None)
    return env


@contextmanager
def running(command: list[str], env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """``orderloom run`` started in a session of its own (Ctrl-C sent to it goes to it alone, as a
    terminal sends it), with what it prints gathered line by line; killed if still running at the end."""
    output: list[str] = []
    run = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    reader = threading.Thread(target=lambda: output.extend(iter(run.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        yield run, output
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        reader.join(timeout=10)


def test_make_run_starts_the_app_and_a_worker_and_ctrl_c_stops_both(tmp_path: Path) -> None:
    port = _free_port()
    commands = make_run_commands(port)
    assert [shlex.split(c)[1] for c in commands] == ["db", "demo", "run"]
    assert shlex.split(commands[-1])[1:] == ["run", "--host", "127.0.0.1", "--port", str(port)]
    env = _env(tmp_path)
    url = env["ORDERLOOM_DATABASE_URL"]
    for command in commands[:-1]:  # db upgrade, demo --if-empty
        done = subprocess.run(shlex.split(command), cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr

    store = Store(url)
    try:
        with running(shlex.split(commands[-1]), env) as (run, output):
            wait_for(
                "address",
                lambda: f"OrderLoom is running at http://127.0.0.1:{port}/\n" in output,
                run,
                output,
            )
            wait_for(
                "demo logins",
                lambda: any(line.startswith("  li.na / li.na-demo") for line in output),
                run,
                output,
            )
            wait_for("app", lambda: _healthy(port), run, output)

            # A timer of the demo comes due (as if its 30 minutes had passed): the worker fires it.
            with store.transaction() as tx:
                timer_id = tx.connection.execute(
                    select(timers.c.id)
                    .where(timers.c.status == "scheduled")
                    .order_by(timers.c.due_at)
                    .limit(1)
                ).scalar_one()
                past = datetime.now(UTC) - timedelta(minutes=1)
                tx.connection.execute(update(timers).where(timers.c.id == timer_id).values(due_at=past))
            wait_for("fired timer", lambda: _timer_status(store, timer_id) == "fired", run, output)
            wait_for(
                "delivered outbox", lambda: _outbox_counts(store) == {"pending": 0, "dead": 0}, run, output
            )
            assert list((tmp_path / "mail" / "new").iterdir())  # the demo's mail, in the Maildir
            wait_for("correlation feed held", lambda: _feed_holder(store) is not None, run, output)

            run.send_signal(signal.SIGINT)  # Ctrl-C
            run.wait(timeout=WAIT)
    finally:
        store.dispose()
    shown = "".join(output)
    assert run.returncode == 0, shown
    assert "orderloom run: the app and the worker stopped" in shown
    assert ": stopped; let go of the correlation feed" in shown
    assert "Traceback" not in shown
    assert not _healthy(port)  # the app is gone
    store = Store(url)
    try:
        assert _feed_holder(store) is None  # the worker let go of it
    finally:
        store.dispose()


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _timer_status(store: Store, timer_id: int) -> str | None:
    with store.read() as tx:
        timer = tx.timer(timer_id)
    return None if timer is None else timer.status


def _outbox_counts(store: Store) -> dict[str, int]:
    with store.read() as tx:
        return tx.outbox_counts(departments=None)


def _feed_holder(store: Store) -> str | None:
    with store.read() as tx:
        cursor = tx.correlation_cursor("default")
    return None if cursor is None else cursor.claimed_by


def test_a_row_this_orderloom_cannot_read_stops_neither_the_worker_nor_the_app(tmp_path: Path) -> None:
    """An outbox message written by a newer OrderLoom (schema_version 2): the worker says it passes it
    over and goes on, so `orderloom run` keeps the app up (it stopped both when the worker died of it)."""
    port = _free_port()
    env = _env(tmp_path)
    url = env["ORDERLOOM_DATABASE_URL"]
    command = [".venv/bin/orderloom"]
    upgrade = subprocess.run(
        [*command, "db", "upgrade"], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    store = Store(url)
    with store.transaction() as tx:
        tx.insert_outbox(
            "payment_failed", {"order_id": 1}, datetime.now(UTC), department="retail", deliver=False
        )
        tx.connection.execute(update(outbox).values(schema_version=2))

    passed = "correlation passed over a row this OrderLoom cannot read: outbox message 1 has schema_version 2"
    run_command = [*command, "run", "--host", "127.0.0.1", "--port", str(port), "--interval", "0.2"]
    try:
        with running(run_command, env) as (run, output):
            wait_for(
                "the worker passing the row over", lambda: any(passed in line for line in output), run, output
            )
            wait_for("app", lambda: _healthy(port), run, output)
            wait_for("the cursor past the row", lambda: _feed_cursor(store) == 1, run, output)
            assert run.poll() is None, "".join(output)
            run.send_signal(signal.SIGINT)
            run.wait(timeout=WAIT)
    finally:
        store.dispose()
    shown = "".join(output)
    assert run.returncode == 0, shown
    assert "stopping the rest" not in shown and "Traceback" not in shown
    assert "orderloom run: the app and the worker stopped" in shown


def _feed_cursor(store: Store) -> int | None:
    with store.read() as tx:
        cursor = tx.correlation_cursor("default")
    return None if cursor is None else cursor.last_outbox_id


def test_worker_fires_due_timers_once(run: Run, root: Path) -> None:
    publish_desk(run, root)
    create(run)
    # Nothing is due yet: the unpaid timeout is 30 minutes away.
    out = run("worker", "--once", "--id", "w1").output
    assert "fired 0 timer(s), sent 0 message(s)" in out
    assert "outbox delivery is off" in out
