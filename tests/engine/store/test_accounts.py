"""Business customers' accounts: stored, changed, read back by department and number, refused when a
figure is not one the credit check can use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.store import Store
from engine.store.accounts import CustomerAccount, find_account, list_accounts, put_account

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACCOUNT = CustomerAccount("wholesale", "W100231", "上海鑫达商贸有限公司", 500000, 80000.5, tier="gold")


@pytest.fixture
def store(db_url: str) -> Store:
    store = Store(db_url)
    store.upgrade()
    return store


def test_an_account_is_stored_once_per_department_and_number_and_its_figures_change(store: Store) -> None:
    assert put_account(store, ACCOUNT, AT) is True
    assert put_account(store, CustomerAccount("retail", "W100231", "零售部的同名账户", 1, 0), AT) is True
    changed = CustomerAccount("wholesale", "W100231", "上海鑫达商贸有限公司", 600000, 0, 45, "watch")
    assert put_account(store, changed, AT + timedelta(days=1)) is False
    assert list_accounts(store, "wholesale") == [changed]
    assert [a.department for a in list_accounts(store)] == ["retail", "wholesale"]
    with store.read() as tx:
        assert find_account(tx.connection, "wholesale", "W100231") == changed
        assert find_account(tx.connection, "wholesale", "W999999") is None
    assert changed.order_data() == {
        "company": "上海鑫达商贸有限公司",
        "account_no": "W100231",
        "credit_limit": 600000,
        "outstanding": 0,
        "overdue_days": 45,
        "status": "watch",
    }
    assert ACCOUNT.order_data()["outstanding"] == 80000.5 and ACCOUNT.order_data()["tier"] == "gold"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"company": " "}, "company is empty"),
        ({"credit_limit": -1}, "credit_limit must be an amount from 0"),
        ({"outstanding": 0.001}, "outstanding must be an amount from 0, with at most two decimals"),
        ({"outstanding": float("nan")}, "outstanding is not a number"),
        ({"credit_limit": True}, "credit_limit is not a number"),
        ({"overdue_days": -3}, "overdue_days must be a whole number from 0"),
        ({"status": "frozen"}, "status must be one of active, watch, blocked"),
        ({"tier": "diamond"}, "tier must be one of standard, silver, gold, platinum"),
    ],
)
def test_an_account_the_credit_check_could_not_use_is_refused_and_nothing_stored(
    store: Store, changes: dict[str, object], problem: str
) -> None:
    fields = {**ACCOUNT.__dict__, **changes}
    with pytest.raises(ValueError, match=problem):
        put_account(store, CustomerAccount(**fields), AT)  # type: ignore[arg-type]
    assert list_accounts(store) == []
