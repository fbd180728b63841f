"""The people who log in: rows of the ``users`` table, their sessions and the count of login attempts,
read and written with SQLAlchemy Core.

The store keeps what it is given: ``password_hash`` is already a hash (``web.users`` makes it with
argon2) and a session is known by its token's SHA-256; this module never sees a password or a token.
``departments`` holding ``"*"`` means every department.

Sessions (``login_sessions``) live in the database, so every web process sees one end: a session is
a row, deleted at logout (:func:`end_session`), with every other row of its user when the password
changes (:func:`set_password`) or the user is made inactive (:func:`change_user`), and past its
lifetime by the next login (:func:`start_session`).

An API login (``api``, migration 0028) is a program acting through the API (the web shop), not a person:
:func:`people_of`, the people an order is assigned to or an approval handed on to, leaves it out;
:func:`is_api_login` tells it from a person, :func:`set_api_login` marks it.

A change that decides on what other users are (the studio's: no department left without an active admin)
reads them with :func:`lock_users` and writes with :func:`insert_user` and :func:`change_user` in the
same transaction (``Tx``); the functions taking a ``Store`` are each one transaction of their own.

Login attempts (``login_attempts``) are counted before a password is checked: :func:`take_login_attempt`
counts one against each key in one write transaction, each by one conditional statement that adds only
while the key is under its limit (or its window is over), so concurrent attempts in any number of
processes never pass the limit; when a key is full nothing is counted against any key.
:func:`give_back_login_attempt` takes it back when the password was right.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    DateTime,
    Row,
    bindparam,
    case,
    delete,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.dsl.spec import ALL_DEPARTMENTS
from engine.store.connection import INTEGRITY_ERRORS
from engine.store.store import Store, Tx
from engine.store.tables import login_attempts, login_sessions, users

__all__ = [
    "AttemptRefused",
    "UserExists",
    "UserRow",
    "add_user",
    "api_logins",
    "approver_emails",
    "change_api_login",
    "change_email",
    "change_user",
    "end_session",
    "find_user",
    "forget_login_attempts",
    "give_back_login_attempt",
    "insert_user",
    "is_api_login",
    "list_users",
    "lock_users",
    "people_of",
    "rehash_password",
    "session_user",
    "set_api_login",
    "set_email",
    "set_password",
    "start_session",
    "take_login_attempt",
    "user_by_id",
    "user_email",
    "user_named",
]


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


# What a user row is read as: every column but ``email`` (migration 0018), which only the mail of approval
# tasks reads, and ``api`` (migration 0028), which the functions about API logins read, so that reading
# users works on a database at any revision since 0008 (the migrations' tests); ``people_of`` and the API
# login functions need 0028.
_USER = select(*(column for column in users.c if column.name not in ("email", "api")))


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
    api: bool = False,
) -> UserRow:
    """Store a new user (``api``: an API login, not a person); ``UserExists`` when the name is taken."""
    with store.transaction() as tx:
        return insert_user(
            tx,
            name=name,
            display_name=display_name,
            password_hash=password_hash,
            roles=roles,
            departments=departments,
            at=at,
            active=active,
            api=api,
        )


def insert_user(
    tx: Tx,
    *,
    name: str,
    display_name: str,
    password_hash: str,
    roles: Sequence[str],
    departments: Sequence[str],
    at: datetime,
    active: bool = True,
    api: bool = False,
) -> UserRow:
    """Store a new user in ``tx`` (``api``: an API login, the column written only then, so a person is
    stored on a database of any revision since 0008); ``UserExists`` when the name is taken (by another
    transaction at the same moment too: the unique name refuses the second, and the caller's transaction
    rolls back)."""
    taken = tx.connection.execute(select(users.c.id).where(users.c.name == name)).first()
    if taken is not None:
        raise UserExists(name)
    try:
        tx.connection.execute(
            insert(users).values(
                name=name,
                display_name=display_name,
                password_hash=password_hash,
                roles=sorted(set(roles)),
                departments=sorted(set(departments)),
                active=active,
                created_at=at,
                **({"api": True} if api else {}),
            )
        )
    except INTEGRITY_ERRORS as error:
        raise UserExists(name) from error
    return _row(tx.connection.execute(_USER.where(users.c.name == name)).one())


def lock_users(tx: Tx) -> list[UserRow]:
    """Every user, by name, their rows locked until ``tx`` ends (``FOR UPDATE`` on PostgreSQL; on SQLite
    the write transaction holds the whole database): two changes that each count the others (the last
    admin of a department) run one after the other, the second reading what the first wrote."""
    rows = tx.connection.execute(_USER.order_by(users.c.name).with_for_update())
    return [_row(r) for r in rows]


def change_user(
    tx: Tx,
    user_id: int,
    *,
    roles: Sequence[str] | None = None,
    active: bool | None = None,
    password_hash: str | None = None,
) -> int:
    """Change a user's roles, whether they are active, or their password's hash, in ``tx`` (None: left as
    it is). A new password or a deactivation ends every session of the user, in the same transaction:
    how many ended."""
    values: dict[str, Any] = {}
    if roles is not None:
        values["roles"] = sorted(set(roles))
    if active is not None:
        values["active"] = active
    if password_hash is not None:
        values["password_hash"] = password_hash
    if values:
        tx.connection.execute(update(users).where(users.c.id == user_id).values(**values))
    if password_hash is None and active is not False:
        return 0
    ended = tx.connection.execute(delete(login_sessions).where(login_sessions.c.user_id == user_id))
    return int(ended.rowcount)


def find_user(store: Store, name: str) -> UserRow | None:
    with store.read() as tx:
        found = tx.connection.execute(_USER.where(users.c.name == name)).first()
    return _row(found) if found is not None else None


def user_by_id(store: Store, user_id: int) -> UserRow | None:
    with store.read() as tx:
        found = tx.connection.execute(_USER.where(users.c.id == user_id)).first()
    return _row(found) if found is not None else None


def list_users(store: Store) -> list[UserRow]:
    with store.read() as tx:
        return [_row(r) for r in tx.connection.execute(_USER.order_by(users.c.name))]


def set_password(store: Store, name: str, password_hash: str) -> int | None:
    """A new password for the user ``name``: its hash replaced and every session of the user ended, in
    one transaction. How many sessions ended; None when there is no such user."""
    with store.transaction() as tx:
        found = tx.connection.execute(select(users.c.id).where(users.c.name == name)).first()
        if found is None:
            return None
        return change_user(tx, int(found.id), password_hash=password_hash)


def rehash_password(store: Store, user_id: int, old_hash: str, new_hash: str) -> bool:
    """The same password hashed with newer parameters (after a login): replaced only while the stored
    hash is still ``old_hash`` (a new password set meanwhile stays), and no session ends."""
    with store.transaction() as tx:
        done = tx.connection.execute(
            update(users)
            .where(users.c.id == user_id, users.c.password_hash == old_hash)
            .values(password_hash=new_hash)
        )
    return bool(done.rowcount)


# --------------------------------------------------------------------------------------------------
# Sessions


def _at(store: Store, moment: datetime) -> datetime:
    """``moment`` as a column stores it: UTC; SQLite keeps no zone, so its wall time without one."""
    utc = moment.astimezone(UTC)
    return utc.replace(tzinfo=None) if store.is_sqlite else utc


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def start_session(
    store: Store,
    user_id: int,
    token_hash: str,
    at: datetime,
    lifetime: timedelta,
    *,
    password_hash: str | None = None,
) -> bool:
    """A new session of ``user_id``; the sessions of every user past their ``lifetime`` end with it.

    ``password_hash``: the hash the login's password was checked against. The session starts only while
    the user is active and still has that hash, in the same statement, so a password changed (or a user
    deactivated) while the old password was being checked ends this login too (False: no session)."""
    with store.transaction() as tx:
        tx.connection.execute(
            delete(login_sessions).where(login_sessions.c.created_at <= _at(store, at - lifetime))
        )
        if password_hash is None:
            tx.connection.execute(
                insert(login_sessions).values(
                    token_hash=token_hash, user_id=user_id, created_at=_at(store, at)
                )
            )
            return True
        still = select(
            literal(token_hash, login_sessions.c.token_hash.type),
            users.c.id,
            literal(_at(store, at), login_sessions.c.created_at.type),
        ).where(users.c.id == user_id, users.c.password_hash == password_hash, users.c.active.is_(True))
        done = tx.connection.execute(
            insert(login_sessions).from_select(["token_hash", "user_id", "created_at"], still)
        )
    return bool(done.rowcount)


def session_user(store: Store, token_hash: str, now: datetime, lifetime: timedelta) -> UserRow | None:
    """The user of a live session: the row is there and younger than ``lifetime`` (a read: nothing is
    written, whatever the answer)."""
    query = _USER.join(login_sessions, login_sessions.c.user_id == users.c.id).where(
        login_sessions.c.token_hash == token_hash,
        login_sessions.c.created_at > _at(store, now - lifetime),
    )
    with store.read() as tx:
        found = tx.connection.execute(query).first()
    return _row(found) if found is not None else None


def end_session(store: Store, token_hash: str) -> bool:
    """End one session (a logout); False when it had ended already."""
    with store.transaction() as tx:
        done = tx.connection.execute(delete(login_sessions).where(login_sessions.c.token_hash == token_hash))
    return bool(done.rowcount)


# --------------------------------------------------------------------------------------------------
# Login attempts


@dataclass(frozen=True)
class AttemptRefused:
    """A key had its limit of attempts in its window: nothing was counted; try again at ``retry_at``."""

    key: str
    retry_at: datetime


class _Full(Exception):
    def __init__(self, refused: AttemptRefused) -> None:
        self.refused = refused


def _count_attempt(store: Store) -> Any:
    """``INSERT … ON CONFLICT DO UPDATE … WHERE``: a key's first attempt, or one more while it is under
    its limit, or the first of a new window once the last is over; no row returned when it is full."""
    insert_into = sqlite_insert if store.is_sqlite else postgresql_insert
    moment = DateTime(timezone=True)
    statement = insert_into(login_attempts).values(
        key=bindparam("key"), window_start=bindparam("now", type_=moment), attempts=1
    )
    fresh = or_(
        login_attempts.c.window_start <= bindparam("expired", type_=moment), login_attempts.c.attempts <= 0
    )
    return statement.on_conflict_do_update(
        index_elements=[login_attempts.c.key],
        set_={
            "attempts": case((fresh, 1), else_=login_attempts.c.attempts + 1),
            "window_start": case(
                (fresh, statement.excluded.window_start), else_=login_attempts.c.window_start
            ),
        },
        where=or_(fresh, login_attempts.c.attempts < bindparam("limit")),
    ).returning(login_attempts.c.window_start)


def take_login_attempt(
    store: Store, limits: Sequence[tuple[str, int]], window: timedelta, now: datetime
) -> dict[str, datetime] | AttemptRefused:
    """Count one attempt against each ``(key, limit)``, in the order given, all or none: the window each
    was counted in (``give_back_login_attempt`` needs it), or the first key that is full and when its
    window ends. Every caller must name its keys in the same order (no two transactions then wait for
    each other's rows the other way round)."""
    statement = _count_attempt(store)
    expired = _at(store, now - window)
    try:
        with store.transaction() as tx:
            counted: dict[str, datetime] = {}
            for key, limit in limits:
                params = {"key": key, "now": _at(store, now), "expired": expired, "limit": limit}
                started = tx.connection.execute(statement, params).scalar_one_or_none()
                if started is None:
                    full = tx.connection.execute(
                        select(login_attempts.c.window_start).where(login_attempts.c.key == key)
                    ).scalar_one()
                    raise _Full(AttemptRefused(key, _utc(full) + window))  # rolls back the others too
                counted[key] = started
    except _Full as full:
        return full.refused
    return counted


def give_back_login_attempt(store: Store, counted: Mapping[str, datetime]) -> None:
    """Take back attempts ``take_login_attempt`` counted (the password was right), each only in the window
    it was counted in."""
    with store.transaction() as tx:
        for key, started in counted.items():
            tx.connection.execute(
                update(login_attempts)
                .where(
                    login_attempts.c.key == key,
                    login_attempts.c.window_start == started,
                    login_attempts.c.attempts > 0,
                )
                .values(attempts=login_attempts.c.attempts - 1)
            )


def forget_login_attempts(store: Store, before: datetime, limit: int = 1000) -> int:
    """Delete up to ``limit`` counts whose window began at or before ``before`` (ended ones); on
    PostgreSQL rows another transaction holds are skipped, so this never waits for a login."""
    ended = (
        select(login_attempts.c.key)
        .where(login_attempts.c.window_start <= _at(store, before))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with store.transaction() as tx:
        done = tx.connection.execute(
            delete(login_attempts).where(login_attempts.c.key.in_(ended.scalar_subquery()))
        )
    return int(done.rowcount)


def set_email(tx: Tx, name: str, email: str | None) -> bool:
    """Set (None: clear) the address the user's approval tasks are mailed to; False: no such user."""
    done = tx.connection.execute(update(users).where(users.c.name == name).values(email=email))
    return bool(done.rowcount == 1)


def change_email(store: Store, name: str, email: str | None) -> bool:
    """``set_email`` in a transaction of its own."""
    with store.transaction() as tx:
        return set_email(tx, name, email)


def user_email(store: Store, name: str) -> str | None:
    """The address the user's approval tasks are mailed to, if any."""
    with store.read() as tx:
        found = tx.connection.execute(select(users.c.email).where(users.c.name == name)).first()
    return None if found is None or found[0] is None else str(found[0])


def approver_emails(tx: Tx, kind: str, approver: str, department: str) -> list[str]:
    """The addresses of the active users an approval task goes to: the user ``approver`` (``kind`` user),
    or every user of the role ``approver`` who works in ``department`` (``kind`` role), who have one."""
    query = select(users.c.name, users.c.roles, users.c.departments, users.c.email).where(
        users.c.active.is_(True), users.c.email.is_not(None)
    )
    found = []
    for name, roles, departments, email in tx.connection.execute(query):
        if kind == "user" and name != approver:
            continue
        if kind == "role" and (
            approver not in (roles or ()) or not {"*", department} & set(departments or ())
        ):
            continue
        if isinstance(email, str) and "@" in email:
            found.append(email)
    return sorted(found)


def user_named(tx: Tx, name: str) -> UserRow | None:
    """The user ``name``, read in the caller's transaction; None when there is none."""
    found = tx.connection.execute(_USER.where(users.c.name == name)).first()
    return _row(found) if found is not None else None


def people_of(tx: Tx, department: str) -> list[UserRow]:
    """The active people who work in ``department`` (it named, or every department), by name, read in the
    caller's transaction (an order is assigned to one of them, an account managed by one, an approval
    handed on to one): API logins are no people, and are left out."""
    query = _USER.where(users.c.active.is_(True), users.c.api.is_(False)).order_by(users.c.name)
    rows = tx.connection.execute(query)
    return [
        row for row in map(_row, rows) if department in row.departments or ALL_DEPARTMENTS in row.departments
    ]


def display_names(tx: Tx, names: Collection[str] | None = None) -> dict[str, str]:
    """Every user's name -> display name (of ``names`` only, when given), read in the caller's
    transaction (the studio's pages and an order's timeline name people by the latter)."""
    query = select(users.c.name, users.c.display_name)
    if names is not None:
        if not names:
            return {}
        query = query.where(users.c.name.in_(sorted(names)))
    return {str(name): str(shown) for name, shown in tx.connection.execute(query)}


def is_api_login(tx: Tx, name: str) -> bool:
    """Whether the user ``name`` is an API login (False for a person, and for no such user)."""
    found = tx.connection.execute(select(users.c.api).where(users.c.name == name)).first()
    return found is not None and bool(found[0])


def api_logins(store: Store) -> frozenset[str]:
    """The names of the users who are API logins."""
    with store.read() as tx:
        return frozenset(
            str(n) for n in tx.connection.execute(select(users.c.name).where(users.c.api.is_(True))).scalars()
        )


def set_api_login(tx: Tx, name: str, api: bool) -> bool:
    """Mark the user ``name`` an API login (``api``) or a person; False: no such user."""
    done = tx.connection.execute(update(users).where(users.c.name == name).values(api=api))
    return bool(done.rowcount == 1)


def change_api_login(store: Store, name: str, api: bool) -> bool:
    """``set_api_login`` in a transaction of its own."""
    with store.transaction() as tx:
        return set_api_login(tx, name, api)
