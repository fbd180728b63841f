"""Smoke test of bench/workspace.py: it runs on both databases with a few thousand orders, prints one JSON
line, and every case and baseline was timed. Benchmarks are not tests: no figure is asserted."""

from __future__ import annotations

from tests.bench.one_line import run_bench

CASES = (
    "list_newest",
    "list_workflow_state",
    "list_amount_high",
    "list_week_channel",
    "list_three_departments",
    "list_three_departments_updated",
    "list_deep_keyset_page",
    "search_mobile_last4",
    "search_mobile_whole",
    "search_name",
    "search_waybill",
    "search_payment_ref",
    "search_order_number",
    "baseline_list_deep_offset_page",
    "baseline_search_mobile_by_scanning_data",
)


def test_workspace_bench_prints_one_line_with_every_case_on_both_databases() -> None:
    figures, _ = run_bench("workspace.py", "--orders", "3000", "--runs", "3", "--baseline-runs", "1")
    assert (figures["bench"], figures["orders"]) == ("workspace", 3000)
    for database in ("sqlite", "postgres"):
        measured = figures[database]
        assert set(CASES) <= set(measured), database
        for case in CASES:
            assert measured[case]["n"] >= 1 and measured[case]["p50_ms"] <= measured[case]["p99_ms"]
