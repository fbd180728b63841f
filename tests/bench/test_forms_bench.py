"""Smoke test of bench/forms.py: it runs, prints one JSON line, and every contender agreed.

Benchmarks are not tests: nothing here looks at a time.
"""

from __future__ import annotations

from pathlib import Path

from tests.bench.one_line import run_bench

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def test_forms_bench_prints_one_line_and_the_contenders_agree() -> None:
    figures, _ = run_bench("forms.py", "--submissions", "40", "--rounds", "1", "--warmup", "5")
    assert figures["lines"] == 20 and figures["submissions"] == 40
    for key in ("orderloom_per_s", "orderloom_submit_per_s", "orderloom_page_per_s", "jsonschema_per_s"):
        assert figures[key] > 0
    assert figures["agreed"] == 40
    assert 0 < figures["invalid"] < 40  # some submissions are invalid, most are not
