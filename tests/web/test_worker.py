"""``orderloom worker`` as a process (web/worker.py): stopped with SIGTERM it lets go of the correlation
feed at once; a worker that finds the feed held by another says so instead of reporting nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.store import DEFAULT_LEASE, Store
from web.cli import main
from web.settings import REPO_ROOT

WAIT = 60.0  # seconds a test waits for a process to get somewhere before it gives up


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[dict[str, str], Store]]:
    url = f"sqlite:///{tmp_path / 'orderloom.db'}"
    env = {**os.environ, "ORDERLOOM_DATABASE_URL": url, "ORDERLOOM_DEFINITIONS": str(REPO_ROOT)}
    for name in ("ORDERLOOM_SMTP_URL", "ORDERLOOM_MAIL_DIR"):
        env.pop(name, None)
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    store = Store(url)
    yield env, store
    store.dispose()


def start_worker(env: dict[str, str], worker_id: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "web.cli", "worker", "--id", worker_id, "--interval", "0.2"],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def holder(store: Store) -> str | None:
    with store.read() as tx:
        cursor = tx.correlation_cursor("default")
    return None if cursor is None else cursor.claimed_by


def wait_until_held(store: Store, worker: subprocess.Popen[str], worker_id: str) -> None:
    deadline = time.monotonic() + WAIT
    while holder(store) != worker_id:
        assert worker.poll() is None, worker.communicate()[0]
        assert time.monotonic() < deadline, f"{worker_id} never took the correlation feed"
        time.sleep(0.1)


def test_a_worker_stopped_with_sigterm_lets_go_of_the_correlation_feed(
    database: tuple[dict[str, str], Store],
) -> None:
    env, store = database
    worker = start_worker(env, "first")
    try:
        wait_until_held(store, worker, "first")
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=WAIT)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    assert "first: stopped; let go of the correlation feed" in output
    assert holder(store) is None
    # The next worker takes the feed at once, not after the five minutes of the lease.
    result = CliRunner().invoke(main, ["worker", "--once", "--id", "next"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "next: fired 0 timer(s), sent 0 message(s), 0 correlation match(es)\n" in result.output
    assert "skipped" not in result.output


def test_a_worker_says_when_another_ones_lease_on_the_feed_skipped_correlation(
    database: tuple[dict[str, str], Store],
) -> None:
    env, store = database
    crashed = start_worker(env, "crashed")
    try:
        wait_until_held(store, crashed, "crashed")
        crashed.kill()  # no chance to let go: its lease holds the feed until it runs out
        crashed.communicate(timeout=WAIT)
    finally:
        if crashed.poll() is None:
            crashed.kill()
    with store.read() as tx:
        cursor = tx.correlation_cursor("default")
    assert cursor is not None and cursor.claimed_by == "crashed" and cursor.claimed_at is not None
    until = (cursor.claimed_at + DEFAULT_LEASE).isoformat(timespec="seconds")
    result = CliRunner().invoke(main, ["worker", "--once", "--id", "late"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    said = f"the feed is held by worker crashed (its lease runs to {until} unless it renews it"
    assert f"late: correlation skipped: {said}" in result.output
    assert (
        f"late: fired 0 timer(s), sent 0 message(s), 0 correlation match(es); correlation skipped: {said}"
        in (result.output)
    )
    assert holder(store) == "crashed"  # not taken, not let go of: it is not this worker's
