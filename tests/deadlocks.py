"""A real deadlock on the suite's PostgreSQL server, with the code under test as the one rolled back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg

WAIT = 120  # seconds before a wait is taken for a hang (a guard, never a time asserted)


def collide(url: str, step: Callable[[], Any], first: str = "B", then: str = "A") -> Any:
    """Run ``step`` in a thread while another client holds the stock rows of sku ``first``; once the
    step waits for them (holding those of ``then``, which every stock step locks first), take those
    too: a deadlock. The other client never looks for it (a minute's ``deadlock_timeout``), so
    PostgreSQL breaks it by rolling the step's transaction back; the other client then commits and
    lets go of both. Returns what ``step`` returned, or the exception it raised."""
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(step())
        except Exception as error:  # handed to the test
            outcome.append(error)

    with psycopg.connect(plain) as other, psycopg.connect(plain, autocommit=True) as watch:
        other.execute("SET deadlock_timeout = '1min'")
        other.execute("SELECT 1 FROM stock WHERE sku = %s FOR UPDATE", (first,))
        thread = threading.Thread(target=run)
        thread.start()
        waiting = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        for _ in range(WAIT * 100):
            row = watch.execute(waiting).fetchone()
            if (row is not None and row[0] >= 1) or not thread.is_alive():
                break
            time.sleep(0.01)
        other.execute(
            "SELECT 1 FROM stock WHERE sku = %s FOR UPDATE", (then,)
        )  # once the step is rolled back
        other.commit()
        thread.join(WAIT)
    return outcome[0]
