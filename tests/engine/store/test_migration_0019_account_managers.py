"""0019 gives customer accounts an account manager (a user's login name, none for the accounts there
were), keeps the accounts' figures, and takes it away again."""

from __future__ import annotations

from sqlalchemy import insert, inspect, select, update

from engine.store import Store
from engine.store.migrate import downgrade, upgrade
from engine.store.tables import customer_accounts
from tests.engine.store.support import NOW


def columns(store: Store) -> set[str]:
    with store.read() as tx:
        return {c["name"] for c in inspect(tx.connection).get_columns("customer_accounts")}


def test_0019_adds_the_account_manager_and_takes_it_away_again(db_url: str) -> None:
    store = Store(db_url)
    upgrade(db_url, "0018")
    assert "account_manager" not in columns(store)
    account = {
        "department": "wholesale",
        "account_no": "W100231",
        "company": "上海鑫达商贸有限公司",
        "credit_limit": 500000,
        "outstanding": 80000.5,
        "overdue_days": 0,
        "status": "active",
        "updated_at": NOW,
    }
    with store.transaction() as tx:
        tx.connection.execute(insert(customer_accounts).values(account))
        tx.connection.execute(insert(customer_accounts).values({**account, "account_no": "W100458"}))
    upgrade(db_url)
    assert "account_manager" in columns(store)
    with store.transaction() as tx:
        tx.connection.execute(
            update(customer_accounts)
            .where(customer_accounts.c.account_no == "W100458")
            .values(account_manager="sun.li")
        )
    read = select(customer_accounts.c.account_no, customer_accounts.c.outstanding)
    with store.read() as tx:
        managers = dict(
            tx.connection.execute(
                select(customer_accounts.c.account_no, customer_accounts.c.account_manager)
            ).all()
        )
        figures = tx.connection.execute(read.order_by(customer_accounts.c.account_no)).all()
    assert managers == {"W100231": None, "W100458": "sun.li"}
    downgrade(db_url, "0018")
    assert "account_manager" not in columns(store)
    with store.read() as tx:  # the accounts and their figures kept
        assert tx.connection.execute(read.order_by(customer_accounts.c.account_no)).all() == figures
    assert figures == [("W100231", 80000.5), ("W100458", 80000.5)]
    upgrade(db_url)
    store.dispose()
