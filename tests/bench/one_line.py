"""Running a benchmark as its users do, for the smoke tests: one JSON line on stdout, or the test fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def run_bench(script: str, *arguments: str) -> tuple[dict[str, Any], str]:
    """Run ``bench/<script>`` with ``arguments`` from the repository root: its one JSON line, parsed,
    and what it said on stderr (its progress)."""
    run = subprocess.run(
        [sys.executable, f"bench/{script}", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 1, run.stdout
    figures: dict[str, Any] = json.loads(lines[0])
    return figures, run.stderr
