"""Smoke test of bench/forms.py: it runs, prints one JSON line, and every contender agreed.

Benchmarks are not tests: nothing here looks at a time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def test_forms_bench_prints_one_line_and_the_contenders_agree() -> None:
    run = subprocess.run(
        [sys.executable, "bench/forms.py", "--submissions", "40", "--rounds", "1", "--warmup", "5"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 1, run.stdout
    figures = json.loads(lines[0])
    assert figures["lines"] == 20 and figures["submissions"] == 40
    for key in ("orderloom_per_s", "orderloom_submit_per_s", "orderloom_page_per_s", "jsonschema_per_s"):
        assert figures[key] > 0
    assert figures["agreed"] == 40
    assert 0 < figures["invalid"] < 40  # some submissions are invalid, most are not
