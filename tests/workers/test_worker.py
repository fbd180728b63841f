"""``orderloom worker`` as a process (workers/worker.py): stopped with SIGTERM it lets go of the correlation
feed at once; a worker that finds the feed held by another says so instead of reporting nothing; rows
written by a newer OrderLoom are said and passed over, and the worker goes on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select, update

from cli.main import main
from engine.errors import EngineError
from engine.rules.correlation import Correlator
from engine.runtime.correlation_feed import load_correlation_rulesets
from engine.store import DEFAULT_LEASE, Store
from engine.store.tables import audit_events, orders, outbox
from tests.engine.store.support import bare_order
from wiring.services import build_services
from wiring.settings import REPO_ROOT, Settings
from workers.worker import Worker

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


@contextmanager
def running_worker(env: dict[str, str], worker_id: str) -> Iterator[subprocess.Popen[str]]:
    """``orderloom worker`` in a process of its own, killed if it still runs when the block ends."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "cli", "worker", "--id", worker_id, "--interval", "0.2"],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.kill()


def stopped(worker: subprocess.Popen[str]) -> str:
    """Stop the worker as a service manager does (SIGTERM); what it printed."""
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=WAIT)
    return output


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
    with running_worker(env, "first") as worker:
        wait_until_held(store, worker, "first")
        output = stopped(worker)
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
    with running_worker(env, "crashed") as crashed:
        wait_until_held(store, crashed, "crashed")
        crashed.kill()  # no chance to let go: its lease holds the feed until it runs out
        crashed.communicate(timeout=WAIT)
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


def newer_rows(store: Store) -> tuple[int, int, int]:
    """What a newer OrderLoom writes in schema_version 2, which this one cannot read: an order (with an
    audit event and an unpaid timer due now), and an event for the correlation feed; (order id, audit
    event id, message id)."""
    now = datetime.now(UTC)
    with store.transaction() as tx:
        order_id = bare_order(tx, "pending_payment", workflow="retail-order", data={"total": 12})
        tx.connection.execute(
            insert(audit_events).values(
                order_id=order_id,
                seq=1,
                at=now,
                actor="li.na",
                trigger="create",
                to_state="pending_payment",
                data_changes={},
                guards=[],
            )
        )
        tx.schedule_timer(
            order_id=order_id, state="pending_payment", trigger="cancel", reason="unpaid_timeout", due_at=now
        )
        payload = {"order_id": order_id, "customer_mobile": "13800000001", "amount": 12}
        tx.insert_outbox("payment_failed", payload, now, department="retail", deliver=False)
        tx.connection.execute(update(orders).values(schema_version=2))
        tx.connection.execute(update(outbox).values(schema_version=2))
        audit_id = tx.connection.execute(select(audit_events.c.id)).scalar_one()
        message_id = tx.connection.execute(select(outbox.c.id)).scalar_one()
    return order_id, audit_id, message_id


def test_rows_this_orderloom_cannot_read_are_said_and_the_worker_goes_on(
    database: tuple[dict[str, str], Store],
) -> None:
    env, store = database
    order_id, audit_id, message_id = newer_rows(store)
    result = CliRunner().invoke(main, ["worker", "--once", "--id", "w1"], env=env, catch_exceptions=False)

    assert result.exit_code == 0, result.output
    newer = (
        "has schema_version 2, newer than this OrderLoom reads (up to 1): it was written by a newer "
        "OrderLoom; run that version, or upgrade this one"
    )
    said = result.output.splitlines()
    assert (
        f"w1: timer 1 not fired: the data of order {order_id} {newer}; it stays scheduled and is tried "
        "again later"
    ) in said
    cannot = "w1: correlation passed over a row this OrderLoom cannot read"
    assert f"{cannot}: audit event {audit_id}: the data of order {order_id} {newer}" in said
    assert f"{cannot}: outbox message {message_id} {newer}" in said
    assert (
        "w1: fired 0 timer(s), sent 0 message(s), 0 correlation match(es); 1 timer(s) not fired; correlation "
        "passed over 2 row(s) this OrderLoom cannot read"
    ) in said
    with store.read() as tx:
        cursor = tx.correlation_cursor("default")
        [timer] = tx.order_timers(order_id)
    assert cursor is not None and (cursor.last_audit_id, cursor.last_outbox_id) == (audit_id, message_id)
    assert timer.status == "scheduled" and (timer.note or "").startswith(
        f"not fired: the data of order {order_id}"
    )

    again = CliRunner().invoke(main, ["worker", "--once", "--id", "w2"], env=env, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    # w1 let go of the timer as it stopped: w2 tries it (and says so) again; the feed is past the rows.
    assert "passed over" not in again.output
    assert "w2: fired 0 timer(s), sent 0 message(s), 0 correlation match(es); 1 timer(s) not fired\n" in (
        again.output
    )


def test_a_worker_process_keeps_running_past_a_row_it_cannot_read(
    database: tuple[dict[str, str], Store],
) -> None:
    env, store = database
    newer_rows(store)
    with running_worker(env, "steady") as worker:
        wait_until_held(store, worker, "steady")
        with store.transaction() as tx:  # written after the feed took its cursor: read by a later round
            tx.insert_outbox("payment_failed", {"order_id": 1}, datetime.now(UTC), deliver=False)
            tx.connection.execute(update(outbox).where(outbox.c.id == 2).values(schema_version=3))
        deadline = time.monotonic() + WAIT
        while cursor_at(store) != 2:
            assert worker.poll() is None, worker.communicate()[0]
            assert time.monotonic() < deadline, "the feed never moved past the second message"
            time.sleep(0.1)
        assert worker.poll() is None  # still running
        output = stopped(worker)
    assert worker.returncode == 0, output
    assert (
        "steady: correlation passed over a row this OrderLoom cannot read: outbox message 2 has "
        "schema_version 3" in output
    )
    assert "Traceback" not in output


def cursor_at(store: Store) -> int | None:
    with store.read() as tx:
        cursor = tx.correlation_cursor("default")
    return None if cursor is None else cursor.last_outbox_id


def test_a_part_of_a_round_that_fails_is_said_once_and_the_other_parts_go_on(
    database: tuple[dict[str, str], Store],
) -> None:
    """The correlation feed fails round after round (its correlator closed under it, then no
    durable-rules state left in the process for a new one): each error is said once, the outbox is
    delivered all the same, and once states are free again the feed replays and feeds what it missed."""
    env, store = database
    services = build_services(Settings.from_env(env))
    rulesets = load_correlation_rulesets(REPO_ROOT)
    said: list[str] = []
    delivered: list[Any] = []

    def deliver(topic: str, payload: Any) -> None:
        delivered.append(payload)

    worker = Worker(services, "w", deliver=deliver, rulesets=rulesets, echo=said.append)
    others: list[Correlator] = []
    try:
        worker.round()  # takes the feed
        worker.feed.close()  # its correlator is closed: feeding it fails
        with store.transaction() as tx:
            tx.insert_outbox("payments.captured", {"order_id": 7}, datetime.now(UTC), department="retail")
        worker.round()
        assert said == ["w: correlation: error: this correlator is closed; the rest of the round goes on"]
        assert delivered == [{"order_id": 7}]  # the outbox part of the same round

        while True:  # every durable-rules state of this process taken: the feed cannot make a new one
            try:
                others.append(Correlator(rulesets))
            except EngineError as full:
                error = str(full)
                break
        worker.round()
        worker.round()  # failing the same way: not said again
        assert said[1:] == [f"w: correlation: error: {error}; the rest of the round goes on"]
        assert worker.totals.errors == 3 and worker.totals.last_error == f"correlation: {error}"
        assert worker.summary().endswith(f"; 3 error(s), the last: correlation: {error}")
        assert cursor_at(store) == 0  # the message is not fed yet

        for other in others:
            other.close()
        worker.round()
        assert said[2:] == ["w: correlation: works again"]
        assert cursor_at(store) == 1  # fed now
    finally:
        for other in others:
            other.close()
        worker.close()
        services.close()
