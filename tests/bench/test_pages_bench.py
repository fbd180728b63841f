"""Smoke test of bench/pages.py: it runs, prints one JSON line, and every page it asks was measured.

Benchmarks are not tests: the figures themselves are asserted by the pages' own tests.
"""

from __future__ import annotations

from tests.bench.one_line import run_bench

PAGES = ("home", "list", "order", "step_form", "step_taken", "new_form", "new_taken")


def test_pages_bench_prints_one_line_with_every_page() -> None:
    figures, _ = run_bench("pages.py")
    assert figures["bench"] == "pages"
    assert sorted(figures["pages"]) == sorted(PAGES)
    for page in PAGES:
        measured = figures["pages"][page]
        assert measured["transactions"] >= 1  # the login is read on every page
        assert measured["statements"] >= 1
    assert figures["pages"]["step_taken"]["writes"] >= 1  # a step taken is written
    assert figures["pages"]["new_taken"]["writes"] >= 1
