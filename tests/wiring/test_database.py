"""Where an embedded SQLite database's folder is made (wiring/database.py), and where it is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from wiring.database import ensure_sqlite_folder


def test_the_folder_of_a_sqlite_file_is_made(tmp_path: Path, elsewhere: Path) -> None:
    ensure_sqlite_folder(f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}")
    ensure_sqlite_folder(f"sqlite+pysqlite:///{tmp_path / 'other' / 'orderloom.db'}")
    ensure_sqlite_folder("sqlite:///relative/orderloom.db")
    assert (tmp_path / "var").is_dir() and (tmp_path / "other").is_dir()
    assert [path.name for path in elsewhere.iterdir()] == ["relative"]


@pytest.mark.parametrize(
    "query",
    ["?uri=true", "?mode=rwc&uri=true", "?uri=1&cache=shared"],
)
def test_a_sqlite_uri_gets_the_folder_of_its_file_not_one_named_file(
    tmp_path: Path, elsewhere: Path, query: str
) -> None:
    ensure_sqlite_folder(f"sqlite:///file:{tmp_path / 'var' / 'orderloom.db'}{query}")
    assert (tmp_path / "var").is_dir()
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///file:{folder}/orderloom.db?mode=ro&uri=true",
        "sqlite:///file:{folder}/orderloom.db?mode=rw&uri=true",
        "sqlite:///file::memory:?cache=shared&uri=true",
        "sqlite:///file:orderloom?mode=memory&cache=shared&uri=true",
        "sqlite:///:memory:",
        "sqlite://",
        "postgresql+psycopg://orderloom@localhost/orderloom",
        "postgres ql://not a url",
    ],
)
def test_nothing_is_made_for_a_database_whose_file_is_not_to_be_made(
    tmp_path: Path, elsewhere: Path, url: str
) -> None:
    ensure_sqlite_folder(url.format(folder=tmp_path / "var"))
    assert not (tmp_path / "var").exists()
    assert list(elsewhere.iterdir()) == []
