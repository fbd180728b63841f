"""The fixtures of the command line's tests: a copy of the test definitions, and ``run``, the
``orderloom`` command run in-process against a real SQLite file upgraded to the newest schema."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from tests.cli.support import DEFS, Run


@pytest.fixture
def root(tmp_path: Path) -> Path:
    copied = tmp_path / "defs"
    shutil.copytree(DEFS, copied)
    return copied


@pytest.fixture
def run(root: Path, tmp_path: Path) -> Run:
    env = {
        "ORDERLOOM_DEFINITIONS": str(root),
        "ORDERLOOM_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}",
    }

    def invoke(*args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    invoke("db", "upgrade")
    return invoke
