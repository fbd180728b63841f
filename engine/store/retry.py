"""Telling a transaction PostgreSQL rolled back for a deadlock or a serialization failure, which the
same work run again may well get through (``Store.retrying``), from any other error."""

from __future__ import annotations

import re

# Tries of a write transaction PostgreSQL rolled back for a deadlock or a serialization failure
# (``Store.retrying``), the first one included.
TRANSACTION_ATTEMPTS = 5
# The pause before the n-th retry is random, up to n times this many seconds.
RETRY_PAUSE = 0.01
# SQLSTATEs after which PostgreSQL has rolled the transaction back and the same work, run again, may
# well succeed: deadlock_detected and serialization_failure.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def retryable_sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of ``error`` when it is a deadlock or a serialization failure (whether the driver
    raised it or SQLAlchemy wrapped it), else None."""
    original = getattr(error, "orig", None) or error
    sqlstate = getattr(original, "sqlstate", None)
    return sqlstate if sqlstate in RETRYABLE_SQLSTATES else None


def locked_relation(error: BaseException) -> str | None:
    """The table a PostgreSQL lock error names in its context (``… in relation "stock"``), if any."""
    original = getattr(error, "orig", None) or error
    diag = getattr(original, "diag", None)
    context = getattr(diag, "context", None) or ""
    found = re.search(r'relation "([^"]+)"', str(context))
    return found.group(1) if found else None


__all__ = [
    "RETRYABLE_SQLSTATES",
    "RETRY_PAUSE",
    "TRANSACTION_ATTEMPTS",
    "locked_relation",
    "retryable_sqlstate",
]
