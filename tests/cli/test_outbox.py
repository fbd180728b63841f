"""``orderloom outbox``: messages listed, shown and replayed."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import update

from engine.store import Store, tables
from tests.cli.support import Run
from tests.engine.store.support import NOW


def test_outbox_commands_list_a_message_this_orderloom_cannot_read_and_take_no_huge_id(
    run: Run, tmp_path: Path
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}")
    try:
        with store.transaction() as tx:
            for order_id in (1, 2):
                tx.insert_outbox("payments.captured", {"order_id": order_id}, NOW, department="desk")
            tx.connection.execute(update(tables.outbox).values(status="dead", dead_at=NOW))
            tx.connection.execute(
                update(tables.outbox).where(tables.outbox.c.id == 1).values(schema_version=2)
            )
    finally:
        store.dispose()
    why = (
        "outbox message 1 has schema_version 2, newer than this OrderLoom reads (up to 1): it was written by "
        "a newer OrderLoom; run that version, or upgrade this one"
    )
    listed = run("outbox", "list").output.splitlines()
    assert listed[0] == "outbox: 0 pending, 2 dead letter(s)"
    assert listed[1].startswith("#2 ") and "unreadable" not in listed[1]
    assert listed[2].startswith("#1 ") and listed[2].endswith(f"  unreadable: {why}")
    shown = json.loads(run("outbox", "show", "1").output)
    assert (shown["topic"], shown["status"], shown["unreadable"]) == ("payments.captured", "dead", why)
    assert "payload" not in shown
    assert json.loads(run("outbox", "show", "2").output)["payload"] == {"order_id": 2}

    huge = "99999999999999999999"
    assert run("outbox", "show", huge, code=1).output == f"error: no outbox message {huge}\n"
    assert run("outbox", "replay", huge, code=1).output == f"error: no outbox message {huge}\n"
    refused = run("outbox", "replay", "1", code=1).output
    elsewhere = "no worker of this OrderLoom delivers it: replay it from an OrderLoom that reads it"
    assert refused == f"error: {why}; {elsewhere}\n"
    assert run("outbox", "replay", "--dead").output.startswith("replayed 1 message(s)")
    assert run("outbox", "list", "--status", "dead").output.splitlines()[1:] == [listed[2]]
