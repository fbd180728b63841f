"""Smoke test of bench/my_work.py: it runs on both databases, prints one JSON line, and every read it
times was measured beside its baseline. Benchmarks are not tests: no figure is asserted."""

from __future__ import annotations

import pytest

from tests.bench.one_line import run_bench

READS = (
    "my_work",
    "my_work_page",
    "my_work_deep",
    "my_work_mine",
    "queue",
    "naive_my_work",
    "naive_my_work_page",
    "naive_my_work_deep",
    "naive_queues",
)


def test_my_work_bench_prints_one_line_for_both_databases(
    pg_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERLOOM_BENCH_PG_URL", pg_server)
    figures, _ = run_bench("my_work.py", "--orders", "12000", "--rounds", "3")
    assert figures["bench"] == "my_work" and figures["orders"] == 12000
    for database in ("sqlite", "postgresql"):
        measured = figures[database]
        assert measured["work_count"] > 0
        for read in READS:
            assert 0 < measured[read]["p50_ms"] <= measured[read]["p99_ms"], (database, read)
