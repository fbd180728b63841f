"""Smoke test of bench/facts.py: it makes a few thousand orders, prints one JSON line with every case
timed, each fact's statement read through the customers' index, and it stops when a baseline reads other
figures than OrderLoom. Benchmarks are not tests: no figure is asserted."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from tests.bench.one_line import REPO_ROOT, run_bench

CASES = ("rule_with_facts", "credit_check", "facts_by_hand", "facts_without_index")


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_facts", REPO_ROOT / "bench" / "facts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_facts_bench_prints_one_line_with_every_case_read_through_the_index() -> None:
    figures, progress = run_bench("facts.py", "--orders", "3000", "--runs", "5", "--baseline-runs", "2")
    assert (figures["bench"], figures["orders"], figures["customers"]) == ("facts", 3000, 300)
    for case in CASES:
        assert figures[case]["n"] == (2 if case == "facts_without_index" else 5), case
        assert figures[case]["p50_ms"] <= figures[case]["p99_ms"], case
    assert set(figures["plans"]) == {"owed", "open_orders", "orders_in_days"}
    for fact, plan in figures["plans"].items():
        assert "ix_orders_department_customer_key_created_at" in plan, fact
        assert "SCAN orders" not in plan, fact
    assert "3,000 orders of 300 accounts made" in progress


def test_a_baseline_reading_other_figures_stops_the_bench(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_bench()
    sql, dated = bench.HAND_SQL["owed()"]
    bench.HAND_SQL["owed()"] = (sql.replace("sum(due)", "sum(total)"), dated)  # the totals, not what is owed
    with pytest.raises(SystemExit, match=r"facts: facts_by_hand read .* for account W\d+, OrderLoom"):
        bench.main(["--orders", "2000", "--runs", "3", "--baseline-runs", "1"])
    assert capsys.readouterr().out == ""  # no figures
