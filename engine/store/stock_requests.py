"""Stock changes sent once (一次性提交): a key sent with a stock change (a stock page's form draws one),
scoped to its actor, kept with the fingerprint of the change and what it made, in the change's own
transaction. The same key sent again is answered with that result instead of a second change; the same
key sent with another change is the caller's to refuse.

Each function takes the change's SQLAlchemy ``Connection`` (``engine.runtime.stock``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from engine.store import documents
from engine.store.codec import loads
from engine.store.documents import STOCK_REQUEST_RESULT
from engine.store.stock_ledger import utc
from engine.store.tables import SCHEMA_VERSION, stock_requests

__all__ = ["MAX_KEY", "StoredRequest", "keep_request", "stored_request"]

MAX_KEY = 200  # the column's width


@dataclass(frozen=True)
class StoredRequest:
    operation: str
    request_hash: str
    result: Mapping[str, Any]


def stored_request(connection: Connection, actor: str, key: str) -> StoredRequest | None:
    """What ``actor``'s ``key`` made, or None when the key is new."""
    found = connection.execute(
        select(
            stock_requests.c.operation,
            stock_requests.c.request_hash,
            stock_requests.c.result,
            stock_requests.c.schema_version,
        ).where(stock_requests.c.actor == actor, stock_requests.c.key == key)
    ).first()
    if found is None:
        return None
    operation, request_hash, result, version = found
    if isinstance(result, str | bytes):
        result = loads(result)
    kept = documents.read(STOCK_REQUEST_RESULT, version, result, f"{key!r} of {actor}")
    return StoredRequest(str(operation), str(request_hash), kept)


def keep_request(
    connection: Connection,
    actor: str,
    key: str,
    operation: str,
    request_hash: str,
    result: Mapping[str, Any],
    at: datetime,
) -> None:
    """Keep what ``actor``'s ``key`` made. A second keep of the same key (a concurrent request that
    came second) fails with the database's integrity error, and its transaction rolls back whole."""
    connection.execute(
        insert(stock_requests).values(
            actor=actor,
            key=key,
            operation=operation,
            request_hash=request_hash,
            result=dict(result),
            schema_version=SCHEMA_VERSION,
            created_at=utc(at),
        )
    )
