"""Test set-up shared by the whole suite: real databases, never mocks.

PostgreSQL: a throw-away server is started once per test session from the distribution's binaries
(`scripts/test-deps.sh`, run by `make test`, installs them when missing) and each test that asks for
``pg_url`` gets a fresh database on it; ``tests/postgres.py`` starts both, for the benchmarks too.
``ORDERLOOM_TEST_PG_URL`` points the suite at an existing server instead (a database per test is
still created on it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.postgres import PostgresMissing, binary, fresh_database, throwaway_server

# Hypothesis' per-example deadline is a time asserted: on a loaded machine (the suite's workers share its
# cores) a slow example would fail a correct test, so none is set.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

REPO_ROOT = Path(__file__).resolve().parent.parent

pytest_plugins = ["tests.problem_words"]  # every problem the engine reports is worded in Chinese too


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Base URL (without a database name) of a running PostgreSQL server for this session."""
    existing = os.environ.get("ORDERLOOM_TEST_PG_URL")
    if existing:
        yield existing.rsplit("/", 1)[0]
        return
    try:
        binary("initdb"), binary("pg_ctl")
    except PostgresMissing as missing:
        pytest.fail(f"{missing}, or set ORDERLOOM_TEST_PG_URL", pytrace=False)
    with throwaway_server() as url:
        yield url


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL server."""
    with fresh_database(pg_server) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file."""
    return f"sqlite:///{tmp_path / 'orderloom.db'}"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
