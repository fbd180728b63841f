"""Migrating running orders from the studio (web/studio_migrate.py): the plan of a dry run over retail
orders made through the engine (who moves, who stays and why, the state map), a mapping chosen for a
state the new version lacks, then the run in batches with "n of m", each batch recorded; on SQLite and
on PostgreSQL."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from demo.loader import stock_warehouses
from engine.api import Actor
from engine.api.definitions import load_bundle
from tests.web.conftest import REPO_ROOT, LoggedInClient, add_user, log_in, make_app, settings_for
from tests.web.test_app import next_transaction_id, sqlite_writes, traced_sqlite
from tests.web.test_studio_replay import _order
from web.app import create_app
from wiring.settings import Settings

WORKFLOW = "workflows/retail/order.yaml"
ORIGINAL = (REPO_ROOT / WORKFLOW).read_text(encoding="utf-8")
RENAMED = ORIGINAL.replace("on_hold", "held")  # v2: the state on_hold is gone, held in its place
CLERK = Actor("li.na", frozenset({"clerk"}), frozenset({"retail"}))
PLAN = "/studio/retail/workflows/retail-order/migrate"


@pytest.fixture(params=["sqlite", "postgres"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The app over the shipped definitions on SQLite or PostgreSQL, ``prepare``d."""
    if request.param == "postgres":
        settings = Settings(
            database_url=str(request.getfixturevalue("pg_url")),
            definitions_root=REPO_ROOT,
            secret_key="studio-migrate-tests",
        )
    else:
        settings = settings_for(tmp_path, REPO_ROOT, "studio-migrate-tests")
    app = make_app(settings)
    app.config["SETTINGS"] = settings
    prepare(app)
    yield app
    app.extensions["orderloom"].close()


def prepare(app: Flask) -> None:
    """retail-order v1 with four running orders (``app.config["ORDERS"]``: waiting for payment, waiting
    for shipment, on hold, on hold) and a cancelled one; the admins and a clerk; then v2, published from
    the studio, which renames on_hold to held."""
    services = app.extensions["orderloom"]
    engine = services.engine
    engine.publish(load_bundle(REPO_ROOT / WORKFLOW, REPO_ROOT, action_names=services.registry.action_names))
    stock_warehouses(services.store, {("NB-PRO-14", "SH-01"): 50})
    orders: dict[str, int] = {}
    for name, total, paid in (("waiting", 100.0, False), ("approved", 300.0, True), ("held", 6200.0, True)):
        order = engine.create_order(CLERK, "retail", "retail-order", "web", _order(total))
        if paid:
            payment = {
                "method": "alipay",
                "amount": total,
                "transaction_ref": f"2026120622001400{order.id:04d}",
            }
            engine.fire(order.id, "pay", CLERK, payment)
        orders[name] = order.id
    held_too = engine.create_order(CLERK, "retail", "retail-order", "web", _order(7000.0))
    engine.fire(
        held_too.id, "pay", CLERK, {"method": "alipay", "amount": 7000.0, "transaction_ref": "20261206x7"}
    )
    orders["held_too"] = held_too.id
    cancelled = engine.create_order(CLERK, "retail", "retail-order", "web", _order(50.0))
    engine.fire(cancelled.id, "cancel", CLERK)
    app.config["ORDERS"] = orders
    add_user(app, "ma.li", "ma-li-password", ("admin",), ("retail",))
    add_user(app, "he.tao", "he-tao-password", ("admin",), ("retail",))
    add_user(app, "xu.jie", "xu-jie-password", ("admin",), ("wholesale",))
    add_user(app, "li.na", "li-na-password", ("clerk",), ("retail",))
    admin = client(app)
    saved = admin.post(
        f"/studio/retail/files/{WORKFLOW}", data={"action": "save", "text": RENAMED, "revision": 0}
    )
    assert saved.status_code == 200
    published = admin.post(f"/studio/retail/files/{WORKFLOW}", data={"action": "publish", "revision": 1})
    assert "retail-order v2" in published.get_data(as_text=True)


def client(app: Flask, name: str = "ma.li") -> FlaskClient:
    return log_in(app.test_client(), name, f"{name.replace('.', '-')}-password")


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def table(html: str, table_id: str) -> list[str]:
    """The rows of a table, as text."""
    body = html.split(f'id="{table_id}"')[1].split("</table>")[0]
    return [text(row).strip() for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("<tbody>")[1], re.S)]


def orders_on(app: Flask) -> dict[int, tuple[int, str]]:
    engine = app.extensions["orderloom"].engine
    admin = Actor("ma.li", frozenset({"admin"}), frozenset({"retail"}))
    return {o.id: (o.version, o.state) for o in engine.list_orders(admin, department="retail", limit=100)}


def test_the_plan_names_who_moves_who_stays_and_why_with_the_state_map(app: Flask) -> None:
    c = client(app)
    versions = c.get("/studio/retail/workflows/retail-order").get_data(as_text=True)
    v1 = versions.split('id="version-1"')[1].split("</tr>")[0]
    assert f'href="{PLAN}?to=2&amp;from=1"' in v1 and "Move to v2" in c.get(
        "/studio/retail/workflows/retail-order?lang=en"
    ).get_data(as_text=True)
    assert "migrate-link" not in versions.split('id="version-2"')[1].split("</tr>")[0]  # the newest

    before = orders_on(app)
    page = c.get(f"{PLAN}?to=2&from=1&lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    ids = app.config["ORDERS"]
    assert "2 order(s) would move; 2 stay where they are." in html
    assert table(html, "migrate-state-map") == [
        "Pending payment pending_payment Pending payment pending_payment 1",
        "Pending shipment pending_shipment Pending shipment pending_shipment 1",
        "On hold on_hold stays: its state is gone 2",
    ]
    assert table(html, "migrate-movers") == [
        f"#{ids['waiting']} v1 Pending payment pending_payment Pending payment pending_payment",
        f"#{ids['approved']} v1 Pending shipment pending_shipment Pending shipment pending_shipment",
    ]
    assert table(html, "migrate-blocked") == [
        f"#{ids[name]} On hold on_hold its state is gone : state on_hold does not exist in v2; map it"
        for name in ("held", "held_too")
    ]
    assert 'name="map"' in html and 'value="on_hold=held"' in html  # a new state for on_hold
    zh = c.get(f"{PLAN}?to=2&from=1&lang=zh").get_data(as_text=True)
    assert "2 个订单将被迁移，2 个留在原处" in zh and "状态 on_hold 在 v2 中不存在，请指定映射" in zh
    assert orders_on(app) == before  # a plan moves nothing

    mapped = c.get(f"{PLAN}?to=2&from=1&map=on_hold=held&lang=en").get_data(as_text=True)
    assert "4 order(s) would move; 0 stay where they are." in mapped
    assert table(mapped, "migrate-state-map")[0] == "On hold on_hold On hold held 2"  # label kept
    assert 'value="on_hold=held" selected' in mapped
    final = c.get(f"{PLAN}?to=2&map=on_hold=cancelled&lang=en").get_data(as_text=True)
    assert "cancelled is a final state; finish the order with a transition" in final


def test_the_states_orders_are_in_keep_the_words_of_the_version_they_run_on(app: Flask) -> None:
    c = client(app)
    relabelled = RENAMED.replace("en: Pending payment}", "en: Awaiting payment}", 1)
    assert relabelled != RENAMED
    c.post(f"/studio/retail/files/{WORKFLOW}", data={"action": "save", "text": relabelled, "revision": 1})
    published = c.post(f"/studio/retail/files/{WORKFLOW}", data={"action": "publish", "revision": 2})
    assert "retail-order v3" in published.get_data(as_text=True)
    html = c.get(f"{PLAN}?to=3&from=1&lang=en").get_data(as_text=True)
    waiting = app.config["ORDERS"]["waiting"]
    assert table(html, "migrate-state-map")[0] == (
        "Pending payment pending_payment Awaiting payment pending_payment 1"  # v1's words, then v3's
    )
    assert f"#{waiting} v1 Pending payment pending_payment Awaiting payment pending_payment" in table(
        html, "migrate-movers"
    )


def test_running_it_in_batches_moves_them_and_records_each_batch(app: Flask) -> None:
    c = client(app)
    ids = app.config["ORDERS"]
    started = c.post(PLAN, data={"to": "2", "from": "1", "map": "on_hold=held", "batch": "3"})
    assert started.status_code == 303
    run_page = started.headers["Location"]
    assert re.fullmatch(r"/studio/retail/workflows/retail-order/migrate/runs/\d+\?go=1", run_page)
    html = c.get(run_page + "&lang=en").get_data(as_text=True)
    assert "Moved 3 of 4 orders" in html and '<progress max="4" value="3">' in html
    assert "load delay:300ms" in html  # with scripts, the next batch is asked for at once
    moved = orders_on(app)
    first_three = sorted(ids.values())[:3]
    assert [moved[i] for i in first_three] == [(2, "pending_payment"), (2, "pending_shipment"), (2, "held")]
    assert moved[ids["held_too"]] == (1, "on_hold")

    # Without scripts: a plain form for the next batch, then the run's page again.
    plain = c.get(run_page.split("?")[0] + "?lang=en").get_data(as_text=True)
    assert "load delay" not in plain and 'id="migration-continue"' in plain
    following = c.post(run_page.split("?")[0], data={"batch": "3"})
    assert following.status_code == 303
    done = c.get(following.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "Moved 4 of 4 orders" in done and "Done: 4 order(s) moved to v2." in done
    assert 'id="migration-continue"' not in done
    assert orders_on(app)[ids["held_too"]] == (2, "held")
    # Each batch the run ran, listed with n of m, what it moved and left, who ran it and when.
    batches = table(done, "migration-batches")
    assert [re.sub(r" \d{4}-\d\d-\d\d \d\d:\d\d$", " (when)", row) for row in batches] == [
        "1 of 2 3 0 Moved 3 of 4 orders ma.li (when)",
        "2 of 2 1 0 Moved 4 of 4 orders ma.li (when)",
    ]
    chinese = table(
        c.get(following.headers["Location"] + "?lang=zh").get_data(as_text=True), "migration-batches"
    )
    assert chinese[0].startswith("第 1 批，共 2 批 3 0 已迁移 3 / 4 个订单 ma.li")

    engine = app.extensions["orderloom"].engine
    admin = Actor("ma.li", frozenset({"admin"}), frozenset({"retail"}))
    last = engine.history(ids["held_too"], admin)[-1]
    assert (last.trigger, last.actor, last.from_state, last.to_state) == (
        "migrate",
        "ma.li",
        "on_hold",
        "held",
    )
    events = [
        e for e in app.extensions["orderloom"].studio.events("retail") if e.action == "migrate"
    ]  # newest first
    run = int(run_page.split("/runs/")[1].split("?")[0])
    assert [(e.id == run, e.detail["run"], e.detail["moved"], e.actor) for e in reversed(events)] == [
        (True, None, first_three, "ma.li"),
        (False, run, [ids["held_too"]], "ma.li"),
    ]
    assert events[0].detail["mapping"] == {"on_hold": "held"} and events[0].detail["version"] == 2
    record = c.get("/studio/retail/?lang=en").get_data(as_text=True)
    assert "migrated orders" in record and "v1 → v2" in record

    # Another admin continuing a finished run moves nothing more.
    again = client(app, "he.tao").post(run_page.split("?")[0], data={"batch": "3"})
    assert again.status_code == 303
    assert len([e for e in app.extensions["orderloom"].studio.events("retail") if e.action == "migrate"]) == 2


def test_an_htmx_batch_answers_with_the_run_asking_for_the_next(app: Flask) -> None:
    c = client(app)
    started = c.post(PLAN, data={"to": "2", "batch": "1"})
    run = started.headers["Location"].split("?")[0]
    answer = c.post(run, data={"batch": "1"}, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert 'id="migration-run"' in html and "已迁移 2 / 2 个订单" in html  # on_hold unmapped: 2 stay
    assert "迁移完成：2 个订单已迁移到 v2" in html and "load delay" not in html
    assert table(html, "migration-blocked")[0].endswith("状态 on_hold 在 v2 中不存在，请指定映射")


def test_a_batch_says_how_many_orders_it_left_where_they_are(app: Flask) -> None:
    """Without a mapping for on_hold, the batch moves the two orders it can and leaves the two on hold."""
    c = client(app)
    started = c.post(PLAN, data={"to": "2", "batch": "10"})
    html = c.get(started.headers["Location"].split("?")[0] + "?lang=en").get_data(as_text=True)
    (batch,) = table(html, "migration-batches")
    assert batch.startswith("1 of 1 2 2 Moved 2 of 2 orders ma.li ")


def test_nothing_to_move_draws_the_plan_again(app: Flask) -> None:
    c = client(app)
    assert c.post(PLAN, data={"to": "2", "batch": "10"}).status_code == 303  # the two that can move
    nothing = c.post(PLAN, data={"to": "2", "batch": "10"}, query_string={"lang": "en"})
    assert nothing.status_code == 409
    html = nothing.get_data(as_text=True)
    assert "No order can move." in html and "0 order(s) would move; 2 stay where they are." in html


@pytest.mark.parametrize(
    ("query", "status", "said"),
    [
        ({"to": "abc"}, 400, "to must be the number of a published version, not “abc”"),
        ({}, 400, "to must be the number of a published version, not “”"),
        ({"to": "2", "from": "x1"}, 400, "from must be the number of a published version, not “x1”"),
        ({"to": "9"}, 404, "workflow retail-order v9 is not published; published versions: v1, v2"),
        (
            {"to": "2", "from": "2"},
            400,
            "cannot migrate from v2 of retail-order: it is not another published",
        ),
        ({"to": "2", "map": "on_hold"}, 400, "A mapping (map) is written old=new, not “on_hold”"),
        (
            {"to": "2", "map": ["on_hold=held", "on_hold=paid"]},
            400,
            "State on_hold is mapped twice (held, paid)",
        ),
        ({"to": "2", "map": "on_hold=hled"}, 400, "state 'hled' does not exist in v2; did you mean 'held'?"),
    ],
)
def test_bad_input_is_named_and_nothing_moves(
    app: Flask, query: dict[str, object], status: int, said: str
) -> None:
    c = client(app)
    before = orders_on(app)
    page = c.get(PLAN, query_string={**query, "lang": "en"})
    assert page.status_code == status
    assert said in page.get_data(as_text=True).replace("&#39;", "'")
    posted = c.post(PLAN, data={**query, "batch": "5"}, query_string={"lang": "en"})
    assert posted.status_code == status
    assert said in posted.get_data(as_text=True).replace("&#39;", "'")
    assert orders_on(app) == before


def test_a_bad_batch_is_named_and_nothing_moves(app: Flask) -> None:
    c = client(app)
    before = orders_on(app)
    for batch in ("0", "1001", "many"):
        answer = c.post(PLAN, data={"to": "2", "batch": batch}, query_string={"lang": "en"})
        assert answer.status_code == 400
        said = "The orders per batch (batch) must be a whole number from 1 to 1000"
        assert said in answer.get_data(as_text=True)
    assert orders_on(app) == before
    run = c.post(PLAN, data={"to": "2", "batch": "1"}).headers["Location"].split("?")[0]
    refused = c.post(run, data={"batch": "-1"}, query_string={"lang": "zh"})
    assert refused.status_code == 400
    assert "每批订单数（batch）须是 1 到 1000 之间的整数，而不是“-1”" in refused.get_data(as_text=True)
    assert sum(1 for v, _ in orders_on(app).values() if v == 2) == 1


def test_only_the_departments_admins_plan_or_run_a_migration(app: Flask) -> None:
    for name in ("li.na", "xu.jie"):
        other = client(app, name)
        assert other.get(f"{PLAN}?to=2").status_code == 403
        assert other.post(PLAN, data={"to": "2"}).status_code == 403
    c = client(app)
    assert c.get("/studio/retail/workflows/wholesale-order/migrate?to=1").status_code == 404
    run = c.post(PLAN, data={"to": "2", "batch": "1"}).headers["Location"].split("?")[0]
    assert client(app, "xu.jie").get(run).status_code == 403
    assert client(app, "xu.jie").post(run, data={"batch": "1"}).status_code == 403
    assert c.get(run.replace("/runs/", "/runs/9")).status_code == 404


def test_the_plan_writes_nothing(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    postgres = not settings.database_url.startswith("sqlite")
    with traced_sqlite() as statements:  # an app of its own, so every connection it opens is traced
        second = create_app(settings, {"TESTING": True})
        second.test_client_class = LoggedInClient
        pg = (
            psycopg.connect(settings.database_url.replace("+psycopg", ""), autocommit=True)
            if postgres
            else None
        )
        try:
            c = client(second)
            statements.clear()
            # PostgreSQL's transaction ids are the whole server's: another app of this test worker (a live
            # server's worker, on its own database) may take one meanwhile. The plan's own writes would
            # show in every try, so the fewest seen in three tries is the page's.
            tries = []
            for _ in range(3 if pg is not None else 1):
                before = next_transaction_id(pg) if pg is not None else 0
                answer = c.get(f"{PLAN}?to=2&map=on_hold=held")
                tries.append(
                    next_transaction_id(pg) - before if pg is not None else len(sqlite_writes(statements))
                )
            written = min(tries)
        finally:
            if pg is not None:
                pg.close()
            second.extensions["orderloom"].close()
    assert answer.status_code == 200 and 'id="mover-' in answer.get_data(as_text=True)
    assert written == 0
    assert postgres or statements  # SQLite's statements were seen: the trace works


def test_an_order_changed_while_its_batch_runs_leaves_the_batch_unwritten(pg_url: str) -> None:
    """On PostgreSQL a batch reads its orders without locking them: a step that commits on one of them
    before the batch writes it makes the whole batch write nothing (409, saying so); the next batch
    moves them. (On SQLite a batch holds the write lock from its start: nothing changes under it.)"""
    settings = Settings(database_url=pg_url, definitions_root=REPO_ROOT, secret_key="studio-migrate-race")
    app = make_app(settings)
    try:
        prepare(app)
        c = client(app)
        ids = app.config["ORDERS"]
        run = (
            c.post(PLAN, data={"to": "2", "map": "on_hold=held", "batch": "1"})
            .headers["Location"]
            .split("?")[0]
        )
        store = app.extensions["orderloom"].store
        answers: list[object] = []
        with (
            store.transaction() as tx,
            psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as pg,
        ):
            row = tx.load_order(ids["approved"])  # the next to move, locked by this step
            assert row is not None
            tx.update_order(
                row.id, expected_lock_version=row.lock_version, state=row.state, data=row.data,
                version=row.version, final=row.final, at=row.updated_at,
            )  # fmt: skip
            batch = threading.Thread(
                target=lambda: answers.append(c.post(run, data={"batch": "2"}, query_string={"lang": "en"}))
            )
            batch.start()
            while not pg.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0]:  # type: ignore[index]
                batch.join(0.01)  # until the batch waits for the row this step holds
        batch.join()
        (answer,) = answers
        assert answer.status_code == 409  # type: ignore[attr-defined]
        html = answer.get_data(as_text=True)  # type: ignore[attr-defined]
        assert "An order changed while this batch ran, so nothing of the batch was written" in html
        assert f"order #{ids['approved']} changed during the migration" in html
        assert "Moved 1 of 4 orders" in html
        assert orders_on(app)[ids["held"]] == (1, "on_hold")  # the batch's other order did not move
        done = c.post(run, data={"batch": "10"})
        assert done.status_code == 303
        assert sorted(v for v, _ in orders_on(app).values()) == [1, 2, 2, 2, 2]  # the cancelled one stays
    finally:
        app.extensions["orderloom"].close()
