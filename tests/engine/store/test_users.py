"""0008 adds the users table; the users repository stores, finds and lists users and keeps names unique.
0013 adds sessions, which end at logout, at a new password and past their lifetime, and the count of
login attempts, taken against a limit in a window, all keys or none. 0028 marks API logins, which are
no people to hand work to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from engine.store import Store
from engine.store.migrate import downgrade, upgrade
from engine.store.tables import login_attempts, login_sessions
from engine.store.users import (
    AttemptRefused,
    UserExists,
    add_user,
    api_logins,
    change_api_login,
    change_user,
    end_session,
    find_user,
    forget_login_attempts,
    give_back_login_attempt,
    insert_user,
    is_api_login,
    list_users,
    lock_users,
    people_of,
    rehash_password,
    session_user,
    set_password,
    start_session,
    take_login_attempt,
    user_by_id,
)
from tests.engine.store.support import table_columns

NOW = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def tables(store: Store) -> set[str]:
    with store.read() as tx:
        return set(inspect(tx.connection).get_table_names())


def test_0008_adds_the_users_table_and_takes_it_away_again(db_url: str) -> None:
    store = Store(db_url)
    upgrade(db_url, "0007")
    assert "users" not in tables(store)
    upgrade(db_url)
    assert "users" in tables(store)
    add_user(store, name="li.na", display_name="李娜", password_hash="$argon2id$x", roles=["clerk"],
             departments=["retail"], at=NOW)  # fmt: skip
    downgrade(db_url, "0007")
    assert "users" not in tables(store)
    upgrade(db_url)
    assert list_users(store) == []
    store.dispose()


def test_users_are_stored_found_listed_and_unique_by_name(db_url: str) -> None:
    store = Store(db_url)
    upgrade(db_url)
    li = add_user(store, name="li.na", display_name="李娜", password_hash="h1", roles=["service", "clerk"],
                  departments=["retail"], at=NOW)  # fmt: skip
    admin = add_user(store, name="admin", display_name="管理员", password_hash="h2", roles=["admin"],
                     departments=["*"], at=NOW)  # fmt: skip
    assert li.roles == ("clerk", "service") and li.departments == ("retail",) and li.active
    assert li.created_at.replace(tzinfo=li.created_at.tzinfo or UTC) == NOW
    assert find_user(store, "li.na") == li
    assert user_by_id(store, admin.id) == admin
    assert find_user(store, "nobody") is None and user_by_id(store, 10_000) is None
    assert [u.name for u in list_users(store)] == ["admin", "li.na"]
    with pytest.raises(UserExists):
        add_user(
            store, name="li.na", display_name="x", password_hash="h3", roles=[], departments=["*"], at=NOW
        )
    assert set_password(store, "li.na", "h4") == 0 and set_password(store, "nobody", "h5") is None
    found = find_user(store, "li.na")
    assert found is not None and found.password_hash == "h4"
    store.dispose()


def test_0013_adds_sessions_and_login_attempts_and_takes_them_away_again(db_url: str) -> None:
    store = Store(db_url)
    upgrade(db_url, "0012")
    assert not {"login_sessions", "login_attempts"} & tables(store)
    li = add_user(store, name="li.na", display_name="李娜", password_hash="h", roles=["clerk"],
                  departments=["retail"], at=NOW)  # fmt: skip
    upgrade(db_url)
    assert {"login_sessions", "login_attempts"} <= tables(store)
    start_session(store, li.id, "a" * 64, NOW, DAY)
    assert take_login_attempt(store, [("name:x", 5)], DAY, NOW) != {}
    downgrade(db_url, "0012")
    assert not {"login_sessions", "login_attempts"} & tables(store)
    assert find_user(store, "li.na") == li  # the users kept
    upgrade(db_url)
    assert session_user(store, "a" * 64, NOW, DAY) is None  # back up empty
    store.dispose()


DAY = timedelta(hours=12)


def two_users(store: Store) -> tuple[int, int]:
    li = add_user(store, name="li.na", display_name="李娜", password_hash="h1", roles=["clerk"],
                  departments=["retail"], at=NOW)  # fmt: skip
    wang = add_user(store, name="wang.fang", display_name="王芳", password_hash="h2", roles=["clerk"],
                    departments=["retail"], at=NOW)  # fmt: skip
    return li.id, wang.id


def test_a_session_is_there_until_logout_a_new_password_or_its_lifetime(store: Store) -> None:
    li, wang = two_users(store)
    for token, user in (("li-1", li), ("li-2", li), ("wang-1", wang)):
        start_session(store, user, token, NOW, DAY)
    found = session_user(store, "li-1", NOW + timedelta(hours=1), DAY)
    assert found is not None and found.name == "li.na"
    assert session_user(store, "nobody", NOW, DAY) is None
    assert end_session(store, "li-1") and not end_session(store, "li-1")  # a logout, then again
    assert session_user(store, "li-1", NOW, DAY) is None
    assert session_user(store, "li-2", NOW, DAY) is not None  # the user's other session goes on
    assert set_password(store, "li.na", "h9") == 1  # a new password ends every session of the user
    assert session_user(store, "li-2", NOW, DAY) is None
    assert session_user(store, "wang-1", NOW, DAY) is not None  # another user's does not
    # past its lifetime a session is no longer read, and the next login deletes it
    assert session_user(store, "wang-1", NOW + DAY, DAY) is None
    start_session(store, li, "li-3", NOW + DAY, DAY)
    with store.read() as tx:
        left = tx.connection.execute(select(login_sessions.c.token_hash)).scalars().all()
    assert left == ["li-3"]


def test_a_rehash_keeps_the_sessions_and_never_undoes_a_new_password(store: Store) -> None:
    li, _ = two_users(store)
    start_session(store, li, "li-1", NOW, DAY)
    assert rehash_password(store, li, "h1", "h1-newer")
    assert session_user(store, "li-1", NOW, DAY) is not None
    assert not rehash_password(store, li, "h1", "h1-stale")  # changed meanwhile: kept as it is
    found = find_user(store, "li.na")
    assert found is not None and found.password_hash == "h1-newer"


def test_login_attempts_are_counted_to_the_limit_in_a_window_all_keys_or_none(store: Store) -> None:
    window = timedelta(minutes=15)
    keys = [("name:li", 3), ("ip:192.0.2.1", 4)]
    counted = [take_login_attempt(store, keys, window, NOW + timedelta(seconds=n)) for n in range(3)]
    assert all(isinstance(c, dict) and set(c) == {"name:li", "ip:192.0.2.1"} for c in counted)
    full = take_login_attempt(store, keys, window, NOW + timedelta(minutes=1))
    assert full == AttemptRefused("name:li", NOW + window)  # the window began at the first attempt
    # nothing was counted against the address when the name was full: one more fits there
    assert isinstance(take_login_attempt(store, [("ip:192.0.2.1", 4)], window, NOW), dict)
    assert isinstance(take_login_attempt(store, [("ip:192.0.2.1", 4)], window, NOW), AttemptRefused)
    # a right password gives its attempt back, in the window it was counted in
    first = counted[0]
    assert isinstance(first, dict)
    give_back_login_attempt(store, {"name:li": first["name:li"]})
    assert isinstance(take_login_attempt(store, [("name:li", 3)], window, NOW), dict)
    # the window over, counting starts again
    again = take_login_attempt(store, keys, window, NOW + window)
    assert isinstance(again, dict)
    began = again["name:li"]
    assert (began if began.tzinfo else began.replace(tzinfo=UTC)) == NOW + window
    # counts whose window is over are forgotten (the caller names when the windows still open began)
    assert forget_login_attempts(store, NOW) == 0  # both windows began again at NOW + window
    assert forget_login_attempts(store, NOW + window) == 2
    with store.read() as tx:
        assert tx.connection.execute(select(login_attempts.c.key)).all() == []


def test_a_change_in_a_transaction_ends_the_sessions_of_a_deactivation_or_a_new_password(
    store: Store,
) -> None:
    li, wang = two_users(store)
    for token, user in (("li-1", li), ("li-2", li), ("wang-1", wang)):
        start_session(store, user, token, NOW, DAY)
    with store.transaction() as tx:
        assert [u.name for u in lock_users(tx)] == ["li.na", "wang.fang"]
        assert change_user(tx, li, roles=["reviewer", "clerk", "clerk"]) == 0  # new roles: sessions go on
        assert change_user(tx, wang, active=True) == 0
    assert session_user(store, "li-1", NOW, DAY) is not None
    with store.transaction() as tx:
        assert change_user(tx, li, active=False) == 2
        assert change_user(tx, wang, password_hash="h9") == 1
    found = find_user(store, "li.na")
    assert found is not None and not found.active and found.roles == ("clerk", "reviewer")
    assert session_user(store, "wang-1", NOW, DAY) is None
    with store.transaction() as tx:
        row = insert_user(tx, name="zhao.lei", display_name="赵雷", password_hash="h", roles=["clerk"],
                          departments=["retail"], at=NOW)  # fmt: skip
        assert row.name == "zhao.lei" and row.active
        with pytest.raises(UserExists):
            insert_user(tx, name="li.na", display_name="x", password_hash="h", roles=[],
                        departments=["retail"], at=NOW)  # fmt: skip


def test_0028_marks_no_user_an_api_login_and_takes_the_mark_away_again(db_url: str) -> None:
    """Every user kept is a person; one marked an API login is no one's colleague: ``people_of`` leaves
    it out, active or not; downgraded, the mark goes and the users stay."""
    store = Store(db_url)
    upgrade(db_url, "0027")
    assert "api" not in table_columns(store, "users")
    two_users(store)  # stored before the column is there
    upgrade(db_url, "0028")
    assert "api" in table_columns(store, "users")
    with store.read() as tx:
        assert not is_api_login(tx, "li.na") and not is_api_login(tx, "nobody")
        assert [p.name for p in people_of(tx, "retail")] == ["li.na", "wang.fang"]
    add_user(store, name="shop", display_name="网店接口", password_hash="h", roles=["clerk"],
             departments=["retail"], at=NOW, api=True)  # fmt: skip
    assert api_logins(store) == {"shop"}
    assert change_api_login(store, "wang.fang", True) and not change_api_login(store, "nobody", True)
    with store.read() as tx:
        assert is_api_login(tx, "shop") and is_api_login(tx, "wang.fang")
        assert [p.name for p in people_of(tx, "retail")] == ["li.na"]
    assert change_api_login(store, "wang.fang", False)
    with store.read() as tx:
        assert [p.name for p in people_of(tx, "retail")] == ["li.na", "wang.fang"]
    downgrade(db_url, "0027")
    assert "api" not in table_columns(store, "users")
    assert [u.name for u in list_users(store)] == ["li.na", "shop", "wang.fang"]
    upgrade(db_url)
    assert api_logins(store) == frozenset()  # back up, every user a person
    store.dispose()
