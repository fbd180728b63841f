"""Idempotency keys: the result of a request kept under its actor's key, so a request sent again gets
the same answer instead of a second step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, select

from engine.store import documents
from engine.store.documents import IDEMPOTENT_RESULT
from engine.store.statements import SV, Statement
from engine.store.tables import idempotency
from engine.store.transaction import TxCore

_b = bindparam
GET_IDEMPOTENT = Statement(
    "get_idempotent",
    select(idempotency.c.result, idempotency.c.request_hash, idempotency.c.schema_version).where(
        and_(idempotency.c.actor == _b("actor"), idempotency.c.key == _b("key"))
    ),
)
PUT_IDEMPOTENT = Statement(
    "put_idempotent",
    insert(idempotency).values(
        actor=_b("actor"),
        key=_b("key"),
        order_id=_b("order_id"),
        result=_b("result"),
        request_hash=_b("request_hash"),
        schema_version=SV,
        created_at=_b("at"),
    ),
)


class IdempotencyKeys(TxCore):
    """The idempotency keys of a transaction."""

    def get_idempotent(self, actor: str, key: str) -> Any | None:
        found = self.idempotent_entry(actor, key)
        return None if found is None else found[0]

    def idempotent_entry(self, actor: str, key: str) -> tuple[Any, str | None] | None:
        """The stored result of ``actor``'s ``key`` and the fingerprint of its request (None on old rows)."""
        row = self.run(GET_IDEMPOTENT, {"actor": actor, "key": key}).fetchone()
        if row is None:
            return None
        return documents.read(IDEMPOTENT_RESULT, row[2], self._json(row[0]), f"{key!r} of {actor}"), row[1]

    def put_idempotent(
        self,
        actor: str,
        key: str,
        order_id: int,
        result: Any,
        at: datetime,
        request_hash: str | None = None,
    ) -> None:
        self.run(
            PUT_IDEMPOTENT,
            {
                "actor": actor,
                "key": key,
                "order_id": order_id,
                "result": self.dumps(result),
                "request_hash": request_hash,
                "at": self.ts(at),
            },
        )


__all__ = ["IdempotencyKeys"]
