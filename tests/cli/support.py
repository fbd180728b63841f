"""What the tests of the command line share: the test definitions, and an order published and created."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

DEFS = Path(__file__).resolve().parents[1] / "web" / "defs"  # the test definitions the web tests use too
REPO = Path(__file__).resolve().parents[2]

Run = Callable[..., Result]


def publish_desk(run: Run, root: Path) -> None:
    run("publish", str(root / "workflows" / "desk.yaml"))


def create(run: Run, total: float = 120, key: str | None = None) -> int:
    data = json.dumps({"customer": "王芳", "total": total})
    args = ["orders", "create", "--department", "desk", "--workflow", "desk-order", "--channel", "phone"]
    args += ["--data", data, "--role", "clerk"]
    if key:
        args += ["--key", key]
    out = run(*args).output
    found = re.search(r"order #(\d+) created in state pending_payment \(desk-order v1\)", out)
    assert found, out
    return int(found.group(1))
