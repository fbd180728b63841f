"""Tests of bench/lifecycle.py: it runs, and every contender does the same domain work.

The baselines route each order to the warehouse and carrier ``rules/retail/routing.yaml`` gives in
OrderLoom, reserve and deduct the stock, and the bench refuses to print figures when one of them routed
an order otherwise or left the stock other than the orders imply. Benchmarks are not tests: nothing here
looks at a time.
"""

from __future__ import annotations

import importlib.util
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import SpiffWorkflow  # noqa: F401  # the baselines (the dev extra): missing, the tests fail, never skip
import transitions  # noqa: F401
import yaml

from tests.bench.one_line import run_bench

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
BENCH_FILE = REPO_ROOT / "bench" / "lifecycle.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_lifecycle", BENCH_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


bench = load_bench()

# The audit rows of one retail lifecycle: its transitions (create, route, place, pay, review, complete),
# the payment record that pay adds and captures (payment.add, payment.capture) with the automatic settle
# that moves the paid order on, and the shipment record that place adds (shipment.add), shipped and
# delivered (shipment.ship, shipment.deliver) with the automatic all_shipped and all_delivered.
AUDIT_ROWS = 14
ORDER_COUNT = 40


def contender_factories() -> dict[str, Callable[[Path], Any]]:
    return {
        "orderloom": bench.OrderLoomContender,
        "spiffworkflow": bench.SpiffContender,
        "naive": bench.NaiveContender,
        "sql_only": bench.SqlReplayContender,
    }


@pytest.fixture(scope="module")
def orders() -> list[Any]:
    return bench.make_orders(ORDER_COUNT, seed=11)


@pytest.fixture(scope="module")
def routed(orders: list[Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    """Each contender's (warehouse, carrier) per order, read back by its ``check`` after a run."""
    tmp = tmp_path_factory.mktemp("lifecycle")
    choices = {}
    for name, factory in contender_factories().items():
        contender = factory(tmp / f"{name}.sqlite3")
        contender.prepare(orders)
        contender.run(orders)
        choices[name] = contender.check(orders)
    return choices


def keyed(orders: list[Any], choices: list[Any]) -> list[tuple[str, Any]]:
    return [(order.key, choice) for order, choice in zip(orders, choices, strict=True)]


def test_bench_prints_one_line_with_every_figure() -> None:
    figures, progress = run_bench(
        "lifecycle.py", "--orders", "12", "--baseline-orders", "8", "--repeat", "1", "--warmup", "3"
    )
    assert list(figures) == [
        "orders",
        "orderloom_per_s",
        "spiffworkflow_per_s",
        "naive_per_s",
        "sql_only_per_s",
        "orderloom_vs_spiff",
        "orderloom_vs_naive",
        "cpu_ms",
    ]
    assert figures["orders"] == 12
    cpu_ms = figures.pop("cpu_ms")
    assert list(cpu_ms) == ["orderloom", "spiffworkflow", "naive", "sql_only"]
    assert all(value > 0 for value in (*figures.values(), *cpu_ms.values()))
    # each baseline ran 3 + 8 orders, every one compared with OrderLoom's routing
    assert "chose the same warehouse and carrier as OrderLoom for all 22 orders compared" in progress


def test_every_contender_routes_every_order_alike(orders: list[Any], routed: dict[str, list[Any]]) -> None:
    assert routed["spiffworkflow"] == routed["orderloom"]
    assert routed["naive"] == routed["orderloom"]
    assert routed["sql_only"] == routed["orderloom"]
    assert (
        bench.compare_choices(
            {name: keyed(orders, choices) for name, choices in routed.items()}, reference="orderloom"
        )
        == 3 * ORDER_COUNT
    )
    # the shelves make routing a real choice: distance and what each warehouse holds decide
    warehouses = {warehouse for warehouse, _carrier in routed["orderloom"]}
    assert warehouses == {"SH-01", "BJ-01", "GZ-01", "CD-01"}


def test_a_baseline_that_routes_otherwise_stops_the_bench(
    orders: list[Any], routed: dict[str, list[Any]], tmp_path: Path
) -> None:
    """Distance weighed at 0: ties on stock go to file order, so SH-01 ships what a nearer one should."""
    text = (REPO_ROOT / "rules" / "retail" / "routing.yaml").read_text(encoding="utf-8")
    original = "weights: {stock: 0.4, distance: 0.3, cost: 0.15, promise: 0.15}"
    assert original in text
    rules = tmp_path / "routing.yaml"
    rules.write_text(text.replace(original, "weights: {stock: 0.4, distance: 0, cost: 0.15, promise: 0.15}"))
    naive = bench.NaiveContender(tmp_path / "naive.sqlite3", routing=bench.RetailRouting(rules))
    naive.run(orders)
    wrong = naive.check(orders)  # its stock is right for the warehouses it chose
    first = next(
        n for n, (want, got) in enumerate(zip(routed["orderloom"], wrong, strict=True)) if want != got
    )
    differing = sum(want != got for want, got in zip(routed["orderloom"], wrong, strict=True))
    with pytest.raises(SystemExit) as stopped:
        bench.compare_choices(
            {"orderloom": keyed(orders, routed["orderloom"]), "naive": keyed(orders, wrong)},
            reference="orderloom",
        )
    message = str(stopped.value)
    assert f"routed {differing} of {ORDER_COUNT} orders differently; no figures" in message
    want, got = routed["orderloom"][first], wrong[first]
    assert (
        f"order {orders[first].key}: orderloom chose {'/'.join(want)}, naive chose {'/'.join(got)}" in message
    )


def test_compare_choices_names_the_first_differing_order() -> None:
    agreed = [("7-0", ("SH-01", "jd")), ("7-1", ("BJ-01", "jd")), ("7-2", ("GZ-01", "jd"))]
    carrier_differs = [agreed[0], ("7-1", ("BJ-01", "sf")), ("7-2", ("SH-01", "jd"))]
    assert bench.compare_choices({"orderloom": agreed, "naive": agreed}, reference="orderloom") == 3
    with pytest.raises(SystemExit, match="routed 2 of 6 orders differently; no figures\n  order 7-1: "):
        bench.compare_choices(
            {"orderloom": agreed, "naive": agreed, "spiffworkflow": carrier_differs}, reference="orderloom"
        )
    with pytest.raises(SystemExit, match="orderloom chose BJ-01/jd, spiffworkflow chose BJ-01/sf"):
        bench.compare_choices({"orderloom": agreed, "spiffworkflow": carrier_differs}, reference="orderloom")


def test_compare_choices_compares_the_orders_both_ran() -> None:
    """OrderLoom runs more orders than the baselines; a baseline's orders are compared where both ran."""
    longer = [("7-0", ("SH-01", "jd")), ("7-1", ("BJ-01", "jd")), ("7-2", ("GZ-01", "jd"))]
    assert bench.compare_choices({"orderloom": longer, "naive": longer[:2]}, reference="orderloom") == 2
    with pytest.raises(SystemExit, match="no order was run by every contender"):
        bench.compare_choices(
            {"orderloom": longer, "naive": [("8-0", ("SH-01", "jd"))]}, reference="orderloom"
        )


@pytest.fixture
def small_run(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Any, Path, list[Any]]]:
    name = request.param
    db_path = tmp_path / f"{name}.sqlite3"
    contender = contender_factories()[name](db_path)
    few = bench.make_orders(5, seed=3)
    contender.prepare(few)
    contender.run(few)
    yield contender, db_path, few


@pytest.mark.parametrize("small_run", ["orderloom", "spiffworkflow", "naive"], indirect=True)
@pytest.mark.parametrize(
    ("change", "column"),
    [
        (
            "UPDATE stock SET reserved = reserved + 1 WHERE sku = 'SKU-0001' AND warehouse = 'SH-01'",
            "reserved",
        ),
        ("UPDATE stock SET on_hand = on_hand + 2 WHERE sku = 'SKU-0012' AND warehouse = 'GZ-01'", "on_hand"),
    ],
)
def test_check_refuses_stock_the_orders_do_not_imply(
    small_run: tuple[Any, Path, list[Any]], change: str, column: str
) -> None:
    contender, db_path, few = small_run
    contender.check(few)  # right as run
    with sqlite3.connect(db_path) as db:
        db.execute(change)
    with pytest.raises(RuntimeError, match=f"{contender.name}: stock of SKU-00.. in ..-01 is"):
        contender.check(few)


@pytest.mark.parametrize("small_run", ["orderloom", "spiffworkflow", "naive", "sql_only"], indirect=True)
def test_check_refuses_a_missing_order(small_run: tuple[Any, Path, list[Any]]) -> None:
    """The stock check counts the orders: one order more than was run does not pass."""
    contender, _db_path, few = small_run
    with pytest.raises(RuntimeError, match=contender.name):
        contender.check([*few, *bench.make_orders(1, seed=4)])


@pytest.mark.parametrize("name", ["spiffworkflow", "naive"])
def test_a_baseline_refuses_an_order_no_warehouse_can_fill(name: str, tmp_path: Path) -> None:
    """Too little free anywhere: nothing is routed, reserved or stored."""
    db_path = tmp_path / f"{name}.sqlite3"
    contender = contender_factories()[name](db_path)
    order = bench.make_orders(1, seed=5)[0]
    sku = order.create["lines"][0]["sku"]
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE stock SET reserved = on_hand WHERE sku = ?", (sku,))
    with pytest.raises(RuntimeError, match="could not be routed"):
        contender.create(order.create)
    with sqlite3.connect(db_path) as db:
        table = "process_instance" if name == "spiffworkflow" else "orders"
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
        assert db.execute(
            "SELECT count(*) FROM stock WHERE reserved != 0 AND sku != ?", (sku,)
        ).fetchone() == (0,)


def test_the_spiffworkflow_reservation_is_refused_when_short(tmp_path: Path) -> None:
    """The guarded UPDATE itself: asked for more than is free, it reserves nothing and says so."""
    contender = bench.SpiffContender(tmp_path / "spiffworkflow.sqlite3")
    lines = [{"sku": "SKU-0001", "qty": bench.INITIAL_ON_HAND + 1}]
    with pytest.raises(bench.OutOfStock, match="not enough SKU-0001 free in SH-01"):
        contender._reserve_stock("SH-01", lines)
    free = contender._db.execute("SELECT reserved FROM stock WHERE sku = 'SKU-0001' AND warehouse = 'SH-01'")
    assert free.fetchone() == (0,)


def test_routing_refuses_a_condition_it_does_not_implement(tmp_path: Path) -> None:
    text = (REPO_ROOT / "rules" / "retail" / "routing.yaml").read_text(encoding="utf-8")
    assert "when: order.total < 2000" in text
    rules = tmp_path / "routing.yaml"
    rules.write_text(text.replace("when: order.total < 2000", "when: order.total < 3000"))
    with pytest.raises(SystemExit, match=re.escape("candidate 'yto' has the condition 'order.total < 3000'")):
        bench.RetailRouting(rules)


def order_to(
    province: str, skus: list[str], total: int = 500, channel: str = "web", workflow: str = "retail-order"
) -> dict[str, Any]:
    return {
        "address": {"province": province},
        "lines": [{"sku": sku, "qty": 1} for sku in skus],
        "total": total,
        "channel": channel,
        "workflow": workflow,
    }


@pytest.mark.parametrize(
    ("province", "skus", "warehouse"),
    [
        ("北京市", ["SKU-0001", "SKU-0002"], "BJ-01"),  # its own province, and it holds both
        ("北京市", ["SKU-0001", "SKU-0040"], "SH-01"),  # BJ-01 lacks SKU-0040: the nearest that holds all
        ("广东省", ["SKU-0020"], "GZ-01"),
        ("四川省", ["SKU-0001", "SKU-0003"], "CD-01"),
        ("四川省", ["SKU-0002"], "BJ-01"),  # not in CD-01 nor GZ-01: BJ-01 (1800 km) before SH-01 (1950)
        ("浙江省", ["SKU-0015"], "SH-01"),
    ],
)
def test_routing_picks_the_nearest_warehouse_that_holds_the_order(
    province: str, skus: list[str], warehouse: str
) -> None:
    free = {(row["sku"], row["warehouse"]): row["on_hand"] for row in bench.initial_stock()}
    assert bench.RetailRouting().choose(order_to(province, skus), free) == (warehouse, "jd")


def test_routing_follows_the_conditions_and_the_stock_free() -> None:
    routing = bench.RetailRouting()
    free = {(row["sku"], row["warehouse"]): row["on_hand"] for row in bench.initial_stock()}
    # flash-sale stock is not held in GZ-01: a flash-sale order (its workflow's, from the app) goes to
    # the next nearest that holds it; any other app order still to GZ-01
    flash_sale = order_to("广东省", ["SKU-0020"], channel="app", workflow="retail-flash-sale")
    assert routing.choose(flash_sale, free) == ("SH-01", "jd")
    assert routing.choose(order_to("广东省", ["SKU-0020"], channel="app"), free) == ("GZ-01", "jd")
    # what is reserved is not free
    free["SKU-0020", "GZ-01"] = 0
    assert routing.choose(order_to("广东省", ["SKU-0020"]), free) == ("SH-01", "jd")
    # no warehouse holds it all: not routed (the bench never splits)
    assert routing.choose(order_to("广东省", ["SKU-0099"]), free) is None


@pytest.mark.parametrize("workflow", ["retail-order", "retail-flash-sale"])
@pytest.mark.parametrize("total", [500, 2500])
def test_the_baselines_route_as_the_shipped_routing_file_decides(workflow: str, total: int) -> None:
    """The baselines' routing beside the engine's own evaluation of rules/retail/routing.yaml, over every
    province the bench ships to, for a retail and a flash-sale order: the same warehouse and carrier."""
    from engine.rules.kinds import compile_ruleset

    doc = yaml.safe_load((REPO_ROOT / "rules" / "retail" / "routing.yaml").read_text(encoding="utf-8"))
    shipped = compile_ruleset(doc, "rules/retail/routing.yaml")
    routing = bench.RetailRouting()
    free = {(row["sku"], row["warehouse"]): row["on_hand"] for row in bench.initial_stock()}
    stock: dict[str, dict[str, int]] = {}
    for (sku, warehouse), units in free.items():
        stock.setdefault(sku, {})[warehouse] = units
    for province, _city, _district in bench.PLACES:
        for skus in (["SKU-0020"], ["SKU-0001", "SKU-0003"], ["SKU-0035"]):
            order = order_to(province, skus, total=total, channel="app", workflow=workflow)
            decision = shipped.evaluate({"order": order, "stock": stock})
            expected = (decision.outputs["warehouse"], decision.outputs["carrier"])
            assert routing.choose(order, free) == expected, (province, skus)


@pytest.mark.parametrize("small_run", ["sql_only"], indirect=True)
def test_the_sql_replay_writes_the_rows_orderloom_wrote(small_run: tuple[Any, Path, list[Any]]) -> None:
    """The ceiling is OrderLoom's own SQL: replayed, it leaves the rows OrderLoom left, row for row."""
    contender, db_path, few = small_run
    recorded = db_path.with_name(f"{db_path.stem}-recorded{db_path.suffix}")
    assert bench.first_difference(recorded, db_path) is None
    query = "SELECT count(*) FROM audit_events"
    with sqlite3.connect(recorded) as left, sqlite3.connect(db_path) as right:
        assert left.execute(query).fetchone() == right.execute(query).fetchone() == (AUDIT_ROWS * len(few),)
    contender.check(few)


def test_a_replay_that_left_out_a_statement_is_refused(tmp_path: Path) -> None:
    """Every statement counts: a replay without one audit row does not pass its check."""
    contender = bench.SqlReplayContender(tmp_path / "sql_only.sqlite3")
    few = bench.make_orders(3, seed=6)
    contender.prepare(few)
    audit = [
        n
        for n, (sql, _params) in enumerate(contender._recorded)
        if sql.startswith("INSERT INTO audit_events")
    ]
    assert len(audit) == AUDIT_ROWS * len(few)
    del contender._recorded[audit[-1]]
    contender.run(few)
    with pytest.raises(
        RuntimeError,
        match="sql_only: the replay holds other rows than OrderLoom wrote: audit_events: 42 rows against 41",
    ):
        contender.check(few)


@pytest.mark.parametrize("small_run", ["sql_only"], indirect=True)
def test_a_replay_whose_stock_moved_is_refused(small_run: tuple[Any, Path, list[Any]]) -> None:
    contender, db_path, few = small_run
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE stock SET on_hand = on_hand + 2 WHERE sku = 'SKU-0012' AND warehouse = 'GZ-01'")
    with pytest.raises(RuntimeError, match="the replay holds other rows than OrderLoom wrote: stock"):
        contender.check(few)


PAYMENTS = {"orderloom": "order_records", "spiffworkflow": "payment", "naive": "payments"}


@pytest.mark.parametrize("small_run", ["orderloom", "spiffworkflow", "naive"], indirect=True)
def test_check_refuses_a_shipment_the_ledger_does_not_tell(small_run: tuple[Any, Path, list[Any]]) -> None:
    """Every contender writes a ledger entry per shipped line: one gone, the check says which row."""
    contender, db_path, few = small_run
    with sqlite3.connect(db_path) as db:
        db.execute("DROP TRIGGER IF EXISTS stock_ledger_no_delete")  # OrderLoom's ledger refuses deletes
        (sku, warehouse) = db.execute("SELECT sku, warehouse FROM stock_ledger ORDER BY id").fetchone()
        db.execute("DELETE FROM stock_ledger WHERE id = (SELECT min(id) FROM stock_ledger)")
    with pytest.raises(RuntimeError, match=f"{contender.name}: the ledger of {sku} in {warehouse} says"):
        contender.check(few)


@pytest.mark.parametrize("small_run", ["orderloom", "spiffworkflow", "naive"], indirect=True)
def test_check_refuses_a_payment_not_recorded(small_run: tuple[Any, Path, list[Any]]) -> None:
    contender, db_path, few = small_run
    table = PAYMENTS[contender.name]
    with sqlite3.connect(db_path) as db:
        db.execute(f"DELETE FROM {table} WHERE id = (SELECT max(id) FROM {table})")
    with pytest.raises(RuntimeError, match=f"{contender.name}: 4 payments recorded for 5 orders"):
        contender.check(few)


@pytest.mark.parametrize("name", ["spiffworkflow", "naive"])
@pytest.mark.parametrize(
    ("listed", "key"),
    [("blocked-mobiles", "mobile"), ("blocked-addresses", "address"), ("restricted-skus", "sku")],
)
def test_a_baseline_s_review_holds_an_order_on_a_list(
    name: str, listed: str, key: str, tmp_path: Path
) -> None:
    """The baselines look every list of the audit up: an order whose value is on one is not approved."""
    db_path = tmp_path / f"{name}.sqlite3"
    contender = contender_factories()[name](db_path)
    order = bench.make_orders(1, seed=8)[0]
    keys = dict(bench.list_keys(order.create["customer"], order.create["address"], order.create["lines"]))
    assert list(keys) == [listed for listed, _ in bench.list_keys({}, {}, [])] == list(bench.LIST_NAMES)
    with sqlite3.connect(db_path) as db:
        db.execute("INSERT INTO list_entry (list, key) VALUES (?, ?)", (listed, keys[listed][-1]))
    order_id = contender.create(order.create)
    if name == "naive":
        contender.step(order_id, ("pay", "review"), "clerk", order.payment)
        with sqlite3.connect(db_path) as db:
            assert db.execute("SELECT state FROM orders WHERE id = ?", (order_id,)).fetchone() == ("on_hold",)
    else:
        contender.step(order_id, "pay", "clerk", order.payment)
        with pytest.raises(RuntimeError, match=r"ship is not the ready task.*approve_held"):
            contender.step(order_id, "ship", "warehouse", order.shipment)


def test_the_baselines_stop_when_the_audit_names_other_lists(tmp_path: Path) -> None:
    text = (REPO_ROOT / "rules" / "retail" / "audit.yaml").read_text(encoding="utf-8")
    assert "  restricted-skus: {kind: sku" in text
    rules = tmp_path / "audit.yaml"
    rules.write_text(
        text.replace("  restricted-skus: {kind: sku", "  vip-skus: {kind: sku"), encoding="utf-8"
    )
    with pytest.raises(SystemExit, match="the audit names the lists"):
        bench.audit_lists(rules)
