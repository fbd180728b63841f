"""Where the database lives: the folder of an embedded SQLite file, made before the store opens it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.util import asbool


def ensure_sqlite_folder(url: str) -> None:
    """An embedded SQLite database lives in a folder (``var/``) that may not exist yet: it is made."""
    file = sqlite_file_to_make(url)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)


# SQLite URI modes that never make the database's file: it must exist already, or there is none.
_MODES_MAKING_NO_FILE = frozenset({"ro", "rw", "memory"})


def sqlite_file_to_make(url: str) -> Path | None:
    """The file SQLite makes when it opens ``url`` and finds none; None for any other database.

    A SQLite URI (``sqlite:///file:/srv/orderloom.db?mode=ro&uri=true``) names its file after
    ``file:``; one opened read-only or read-write (``mode=ro``, ``mode=rw``) never makes its file, and
    ``:memory:`` (``mode=memory``) has none. A URL that is no URL is left for the store to refuse."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if not asbool(_last(parsed.query.get("uri"))):
        return Path(database)
    parts = urlsplit(database)
    if parts.scheme != "file":  # in URI mode a plain file name is still a file name
        return Path(database)
    mode = _last(parsed.query.get("mode")) or _last(tuple(parse_qs(parts.query).get("mode", ())))
    path = unquote(parts.path)
    if not path or path == ":memory:" or mode in _MODES_MAKING_NO_FILE:
        return None
    return Path(path)


def _last(value: str | tuple[str, ...] | list[str] | None) -> str | None:
    """One query parameter's value: the last one given when it was given more than once."""
    if isinstance(value, tuple | list):
        return value[-1] if value else None
    return value
