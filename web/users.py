"""Web logins: argon2 password hashes, checking a login, sessions, and the logged-in user as the engine's
Actor.

Passwords are hashed with argon2id (``argon2-cffi``'s ``PasswordHasher``, its default parameters) and
checked by it, in constant time. A name that is not stored is checked against a hash made once for
that purpose, so a wrong name takes as long as a wrong password and the answer never says which was
wrong. A hash made with older parameters is replaced after a successful login (the user's sessions go
on). Each check takes 64 MiB for its moment: :class:`PasswordChecks` bounds how many run at once in a
process, and an attempt that finds no free slot in time is told the server is busy.

A session is a random token the browser's (signed) session cookie carries; the database keeps its
SHA-256 (``engine.store.users``), and a request is logged in only while that row is there: logging out
and a new password end sessions on the server, for every web process, and a session lasts at most its
lifetime. Flask-Login knows the session by :meth:`LoginUser.get_id`, which is the token, not the user id.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import secrets
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from engine.api import ALL_DEPARTMENTS, Actor, Store
from engine.api.accounts import (
    UserExists,
    UserRow,
    add_user,
    end_session,
    find_user,
    rehash_password,
    session_user,
    set_password,
    start_session,
)
from engine.api.department_users import MIN_PASSWORD

__all__ = [
    "ALL_DEPARTMENTS",
    "MIN_PASSWORD",
    "LoginUser",
    "PasswordChecks",
    "PasswordChecksBusy",
    "UserExists",
    "UserInactive",
    "authenticate",
    "change_password",
    "create_user",
    "hasher",
    "load_user",
    "log_out",
    "new_session",
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
    does (``actor``); ``session`` is its session's token (empty until a session is started)."""

    id: int
    name: str
    display_name: str
    roles: tuple[str, ...]
    departments: tuple[str, ...]
    active: bool = True
    session: str = dataclasses.field(default="", repr=False, compare=False)
    # the hash the login's password was checked against (set by ``authenticate``, never stored in a cookie)
    checked_hash: str = dataclasses.field(default="", repr=False, compare=False)

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
        """What the session cookie holds: the session's token (so a session ends when its row does)."""
        return self.session


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_session(store: Store, user: LoginUser, at: datetime, lifetime: timedelta) -> LoginUser | None:
    """A new session of ``user`` (a random token, its digest stored): the user to log in with it. None
    when the password was changed (or the user deactivated) while it was being checked: the new password
    ends every session, this one too."""
    token = secrets.token_urlsafe(32)
    if not start_session(store, user.id, _token_hash(token), at, lifetime, password_hash=user.checked_hash):
        return None
    return dataclasses.replace(user, session=token)


def load_user(store: Store, token: str, now: datetime, lifetime: timedelta) -> LoginUser | None:
    """Flask-Login's user loader: the active user of a live session (a read; None ends the login)."""
    if not token or len(token) > 200:
        return None
    row = session_user(store, _token_hash(token), now, lifetime)
    if row is None or not row.active:
        return None
    return dataclasses.replace(LoginUser.from_row(row), session=token)


def log_out(store: Store, user: LoginUser) -> None:
    """End ``user``'s session on the server: its cookie opens nothing any more, in any process."""
    if user.session:
        end_session(store, _token_hash(user.session))


class PasswordChecksBusy(Exception):
    """No slot to check a password came free in time: the server is checking too many at once."""


class PasswordChecks:
    """At most ``slots`` passwords checked at once in this process: argon2 takes 64 MiB for each check,
    so 40 at once took 984 MiB. A check waits up to ``wait`` seconds for a slot, then
    :class:`PasswordChecksBusy` (the login page says the server is busy)."""

    def __init__(self, slots: int, wait: float) -> None:
        self._slots = threading.BoundedSemaphore(slots)
        self.wait = wait

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.wait):
            raise PasswordChecksBusy
        try:
            yield
        finally:
            self._slots.release()


class UserInactive(Exception):
    """The name and password are right, but the user is deactivated: told as such (only to whoever knows
    the password), so that they ask an admin instead of trying again."""


def authenticate(
    store: Store, name: str, password: str, checks: PasswordChecks | None = None
) -> LoginUser | None:
    """The user whose name and password these are, or None (which of them was wrong is not told). The
    hashing runs in one of ``checks``' slots (``PasswordChecksBusy`` when none came free). A deactivated
    user with the right password: ``UserInactive``."""
    row = find_user(store, name.strip())
    with checks.slot() if checks is not None else nullcontext():
        stored = row.password_hash if row is not None else _absent_hash()
        try:
            hasher().verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if not row.active:
            raise UserInactive(row.name)
        newer = hasher().hash(password) if hasher().check_needs_rehash(row.password_hash) else None
    checked = row.password_hash
    if newer is not None and rehash_password(store, row.id, row.password_hash, newer):
        checked = newer
    return dataclasses.replace(LoginUser.from_row(row), checked_hash=checked)


def change_password(store: Store, name: str, password: str) -> int | None:
    """Give the user ``name`` a new password: every session of the user ends (how many did; None when
    there is no such user)."""
    return set_password(store, name, hasher().hash(password))


def create_user(
    store: Store,
    *,
    name: str,
    password: str,
    roles: Iterable[str],
    departments: Sequence[str],
    at: datetime,
    display_name: str | None = None,
    api: bool = False,
) -> LoginUser:
    """Store a new user with the password argon2-hashed; ``UserExists`` when the name is taken. A user
    sees only the ``departments`` named (``"*"``: all of them); none named is refused. ``api``: an API
    login (a program, not a person: never offered as whom to hand an order or an approval to)."""
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
        api=api,
    )
    return LoginUser.from_row(row)
