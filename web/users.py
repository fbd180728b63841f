"""Web logins: argon2 password hashes, checking a login, and the logged-in user as the engine's Actor.

Passwords are hashed with argon2id (``argon2-cffi``'s ``PasswordHasher``, its default parameters) and
checked by it, in constant time. A name that is not stored is checked against a hash made once for
that purpose, so a wrong name takes as long as a wrong password and the answer never says which was
wrong. A hash made with older parameters is replaced after a successful login.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from engine.runtime import Actor
from engine.runtime.actor import ALL_DEPARTMENTS
from engine.store import Store
from engine.store.users import UserExists, UserRow, add_user, find_user, set_password, user_by_id

__all__ = [
    "ALL_DEPARTMENTS",
    "LoginUser",
    "UserExists",
    "authenticate",
    "create_user",
    "hasher",
    "load_user",
]


@functools.cache
def hasher() -> PasswordHasher:
    return PasswordHasher()


@functools.cache
def _absent_hash() -> str:
    """A hash no password of a stored user is checked against: the work done for an unknown name."""
    return hasher().hash("no such user: this hash is only ever compared, never matched")


@dataclass(frozen=True)
class LoginUser:
    """The logged-in user as Flask-Login sees it (``get_id``, ``is_authenticated``…) and as the engine
    does (``actor``)."""

    id: int
    name: str
    display_name: str
    roles: tuple[str, ...]
    departments: tuple[str, ...]
    active: bool = True

    @classmethod
    def from_row(cls, row: UserRow) -> LoginUser:
        return cls(row.id, row.name, row.display_name, row.roles, row.departments, row.active)

    @property
    def actor(self) -> Actor:
        return Actor(self.name, frozenset(self.roles), frozenset(self.departments))

    def sees(self, department: str) -> bool:
        return self.actor.in_department(department)

    # Flask-Login's user protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


def load_user(store: Store, user_id: str) -> LoginUser | None:
    """Flask-Login's user loader: the stored, active user of a session's id."""
    if not user_id.isdigit():
        return None
    row = user_by_id(store, int(user_id))
    if row is None or not row.active:
        return None
    return LoginUser.from_row(row)


def authenticate(store: Store, name: str, password: str) -> LoginUser | None:
    """The user whose name and password these are, or None (which of them was wrong is not told)."""
    row = find_user(store, name.strip())
    stored = row.password_hash if row is not None else _absent_hash()
    try:
        hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None or not row.active:
        return None
    if hasher().check_needs_rehash(row.password_hash):
        set_password(store, row.name, hasher().hash(password))
    return LoginUser.from_row(row)


def create_user(
    store: Store,
    *,
    name: str,
    password: str,
    roles: Iterable[str],
    departments: Sequence[str],
    at: datetime,
    display_name: str | None = None,
) -> LoginUser:
    """Store a new user with the password argon2-hashed; ``UserExists`` when the name is taken. A user
    sees only the ``departments`` named (``"*"``: all of them); none named is refused."""
    if not departments:
        raise ValueError('a user needs at least one department ("*" for all of them)')
    row = add_user(
        store,
        name=name,
        display_name=display_name or name,
        password_hash=hasher().hash(password),
        roles=list(roles),
        departments=list(departments),
        at=at,
    )
    return LoginUser.from_row(row)
