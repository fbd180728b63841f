"""Smoke test of bench/rules.py: it runs, prints one JSON line, and both engines agreed on every order.

Benchmarks are not tests: nothing here looks at a time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import zen  # noqa: F401  # the baseline (the dev extra): missing, the test fails instead of skipping

from tests.bench.one_line import run_bench

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def test_rules_bench_prints_one_line_and_the_contenders_agree() -> None:
    figures, _ = run_bench("rules.py", "--evaluations", "200", "--rounds", "1", "--warmup", "20")
    assert figures["evaluations"] == 200
    assert figures["rules"] == 20
    for key in ("orderloom_per_s", "orderloom_stored_per_s", "zen_engine_per_s", "zen_engine_traced_per_s"):
        assert figures[key] > 0
    # every order got the same outcome and the same matching rules from both engines
    assert figures["agreed"] == 200
    outcomes = figures["outcomes"]
    assert sum(outcomes.values()) == 200
    assert outcomes["approve"] > outcomes["hold"] > 0  # the orders are varied, mostly approved


def test_rules_bench_stops_on_a_disagreement() -> None:
    """A zen model that decides differently from the rule file makes the bench fail with no figures."""
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    try:
        import rules as bench
    finally:
        sys.path.remove(str(REPO_ROOT / "bench"))
    orders = bench.make_orders(50, seed=1)
    agreeing = [("approve", frozenset())] * 50
    differing = [*agreeing[:-1], ("hold", frozenset({"large-amount"}))]
    bench.check_agreement(orders, {"orderloom": agreeing, "zen_engine": agreeing}, reference="orderloom")
    with pytest.raises(SystemExit, match="zen_engine and orderloom differ on rule large-amount: 1 of 50"):
        bench.check_agreement(orders, {"orderloom": agreeing, "zen_engine": differing}, reference="orderloom")
