"""Smoke test of bench/workspace.py: it runs on both databases with a few thousand orders, prints one JSON
line, and every case and baseline was timed. Benchmarks are not tests: no figure is asserted."""

from __future__ import annotations

import pytest

from tests.bench.one_line import run_bench

CASES = (
    "my_work_first_page",
    "my_work_later_page",
    "my_work_deep_keyset_page",
    "my_work_mine",
    "my_work_queue",
    "baseline_my_work_first_page_by_sorting",
    "baseline_my_work_later_page_by_sorting",
    "baseline_my_work_deep_offset_page",
    "baseline_my_work_queues_by_counting",
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


def test_workspace_bench_prints_one_line_with_every_case_on_both_databases(
    pg_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERLOOM_BENCH_PG_URL", pg_server)  # the suite's server, not one more
    figures, _ = run_bench("workspace.py", "--orders", "3000", "--runs", "3", "--baseline-runs", "1")
    assert (figures["bench"], figures["orders"]) == ("workspace", 3000)
    for database in ("sqlite", "postgres"):
        measured = figures[database]
        assert set(CASES) <= set(measured), database
        assert measured["my_work_orders"] > 30, database  # more than a page: a later page was read
        for case in CASES:
            assert measured[case]["n"] >= 1 and measured[case]["p50_ms"] <= measured[case]["p99_ms"]
