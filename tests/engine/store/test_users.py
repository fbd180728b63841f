"""0008 adds the users table; the users repository stores, finds and lists users and keeps names unique."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect

from engine.store import Store
from engine.store.migrate import downgrade, upgrade
from engine.store.users import UserExists, add_user, find_user, list_users, set_password, user_by_id

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
    assert set_password(store, "li.na", "h4") and not set_password(store, "nobody", "h5")
    found = find_user(store, "li.na")
    assert found is not None and found.password_hash == "h4"
    store.dispose()
