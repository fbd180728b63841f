"""Account records in the store: written (new, or new figures of the same number), read back by
department and number; their standings and tiers are enums of what the wholesale data form lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from engine.store import Store
from engine.store.accounts import (
    ACCOUNT_STATUSES,
    ACCOUNT_TIERS,
    AccountStatus,
    AccountTier,
    CustomerAccount,
    accounts_of,
    find_account,
    list_accounts,
    write_account,
)

REPO = Path(__file__).resolve().parents[3]
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_standings_and_tiers_are_those_the_wholesale_form_lists() -> None:
    form = json.loads((REPO / "forms/wholesale/order.json").read_text(encoding="utf-8"))
    account = form["properties"]["account"]["properties"]
    assert [s.value for s in AccountStatus] == account["status"]["enum"] == list(ACCOUNT_STATUSES)
    assert [t.value for t in AccountTier] == account["tier"]["enum"] == list(ACCOUNT_TIERS)
    assert CustomerAccount("wholesale", "W1", "A", 1, 0).status is AccountStatus.ACTIVE


def test_a_record_is_written_then_its_figures_replaced_and_read_back(store: Store) -> None:
    first = CustomerAccount(
        "wholesale", "W100231", "上海鑫达商贸有限公司", 500000, 80000.5, tier=AccountTier.GOLD
    )
    with store.transaction() as tx:
        assert write_account(tx.connection, first, AT) is True
        assert write_account(tx.connection, CustomerAccount("retail", "W100231", "同号", 1, 0), AT) is True
    watched = CustomerAccount(
        "wholesale", "W100231", "上海鑫达商贸有限公司", 400000, 0, overdue_days=12, status=AccountStatus.WATCH
    )
    with store.transaction() as tx:
        assert write_account(tx.connection, watched, AT) is False  # the same number: new figures
    with store.read() as tx:
        found = find_account(tx.connection, "wholesale", "W100231")
        assert found == watched and found is not None and found.tier is None
        assert (found.status, type(found.status)) == ("watch", str)  # read back as the column holds it
        assert find_account(tx.connection, "wholesale", "W999999") is None
        assert accounts_of(tx.connection, "retail") == [CustomerAccount("retail", "W100231", "同号", 1, 0)]
    assert [a.department for a in list_accounts(store)] == ["retail", "wholesale"]


def test_the_account_manager_is_written_changed_and_taken_onto_the_order_as_manager(store: Store) -> None:
    managed = CustomerAccount("wholesale", "W100458", "杭州恒源百货有限公司", 300000, 0, manager="sun.li")
    with store.transaction() as tx:
        write_account(tx.connection, managed, AT)
        write_account(tx.connection, CustomerAccount("wholesale", "W100231", "上海鑫达", 1, 0), AT)
    with store.read() as tx:
        found = find_account(tx.connection, "wholesale", "W100458")
        unmanaged = find_account(tx.connection, "wholesale", "W100231")
    assert found == managed and found is not None and found.order_data()["manager"] == "sun.li"
    assert unmanaged is not None and unmanaged.manager is None and "manager" not in unmanaged.order_data()
    with store.transaction() as tx:  # new figures without a manager: the record has none any more
        write_account(tx.connection, CustomerAccount("wholesale", "W100458", "杭州恒源", 300000, 0), AT)
    assert [a.manager for a in list_accounts(store, "wholesale")] == [None, None]
