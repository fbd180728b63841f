"""The people who log in: rows of the ``users`` table, read and written with SQLAlchemy Core.

The store keeps what it is given: ``password_hash`` is already a hash (``web.users`` makes it with
argon2); this module never sees a password. ``departments`` holding ``"*"`` means every department.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, insert, select, update

from engine.store.store import Store
from engine.store.tables import users

__all__ = ["UserExists", "UserRow", "add_user", "find_user", "list_users", "set_password", "user_by_id"]


class UserExists(ValueError):
    """A user of that name is stored already."""


@dataclass(frozen=True)
class UserRow:
    id: int
    name: str
    display_name: str
    password_hash: str
    roles: tuple[str, ...]
    departments: tuple[str, ...]
    active: bool
    created_at: datetime


def _row(found: Row[tuple[object, ...]]) -> UserRow:
    m = found._mapping
    return UserRow(
        id=int(m["id"]),
        name=str(m["name"]),
        display_name=str(m["display_name"]),
        password_hash=str(m["password_hash"]),
        roles=tuple(str(r) for r in m["roles"] or ()),
        departments=tuple(str(d) for d in m["departments"] or ()),
        active=bool(m["active"]),
        created_at=m["created_at"],
    )


def add_user(
    store: Store,
    *,
    name: str,
    display_name: str,
    password_hash: str,
    roles: Sequence[str],
    departments: Sequence[str],
    at: datetime,
    active: bool = True,
) -> UserRow:
    """Store a new user; ``UserExists`` when the name is taken."""
    with store.transaction() as tx:
        taken = tx.connection.execute(select(users.c.id).where(users.c.name == name)).first()
        if taken is not None:
            raise UserExists(name)
        tx.connection.execute(
            insert(users).values(
                name=name,
                display_name=display_name,
                password_hash=password_hash,
                roles=sorted(set(roles)),
                departments=sorted(set(departments)),
                active=active,
                created_at=at,
            )
        )
        found = tx.connection.execute(select(users).where(users.c.name == name)).one()
    return _row(found)


def find_user(store: Store, name: str) -> UserRow | None:
    with store.read() as tx:
        found = tx.connection.execute(select(users).where(users.c.name == name)).first()
    return _row(found) if found is not None else None


def user_by_id(store: Store, user_id: int) -> UserRow | None:
    with store.read() as tx:
        found = tx.connection.execute(select(users).where(users.c.id == user_id)).first()
    return _row(found) if found is not None else None


def list_users(store: Store) -> list[UserRow]:
    with store.read() as tx:
        return [_row(r) for r in tx.connection.execute(select(users).order_by(users.c.name))]


def set_password(store: Store, name: str, password_hash: str) -> bool:
    """Replace a user's hash (a rehash after login, or a new password); False when there is no such user."""
    with store.transaction() as tx:
        done = tx.connection.execute(
            update(users).where(users.c.name == name).values(password_hash=password_hash)
        )
    return bool(done.rowcount)
