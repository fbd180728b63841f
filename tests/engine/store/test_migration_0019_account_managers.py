"""0019 gives customer accounts an account manager (a user's login name, none for the accounts there
were), keeps the accounts' figures, and takes it away again."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from engine.store import Store
from engine.store.migrate import downgrade, upgrade
from engine.store.tables import customer_accounts
from tests.engine.store.support import ACCOUNT_ROW, table_columns


def test_0019_adds_the_account_manager_and_takes_it_away_again(db_url: str) -> None:
    store = Store(db_url)
    upgrade(db_url, "0018")
    assert "account_manager" not in table_columns(store, "customer_accounts")
    with store.transaction() as tx:
        tx.connection.execute(insert(customer_accounts).values(ACCOUNT_ROW))
        tx.connection.execute(insert(customer_accounts).values({**ACCOUNT_ROW, "account_no": "W100458"}))
    upgrade(db_url)
    assert "account_manager" in table_columns(store, "customer_accounts")
    with store.transaction() as tx:
        tx.connection.execute(
            update(customer_accounts)
            .where(customer_accounts.c.account_no == "W100458")
            .values(account_manager="sun.li")
        )
    read = select(customer_accounts.c.account_no, customer_accounts.c.credit_limit)
    with store.read() as tx:
        managers = dict(
            tx.connection.execute(
                select(customer_accounts.c.account_no, customer_accounts.c.account_manager)
            ).all()
        )
        figures = tx.connection.execute(read.order_by(customer_accounts.c.account_no)).all()
    assert managers == {"W100231": None, "W100458": "sun.li"}
    downgrade(db_url, "0018")
    assert "account_manager" not in table_columns(store, "customer_accounts")
    with store.read() as tx:  # the accounts and their figures kept
        assert tx.connection.execute(read.order_by(customer_accounts.c.account_no)).all() == figures
    assert figures == [("W100231", 500000.5), ("W100458", 500000.5)]
    upgrade(db_url)
    store.dispose()
