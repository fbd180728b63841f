"""Business customers' accounts: the record a wholesale order takes its credit limit, standing and
tier from, and the opening balance (期初欠款) what it owes counts; stored only when it fits the forms of
the department's published workflows (part of ``engine.api``)."""

from engine.runtime.accounts import (
    ONLY_THE_RECORD,
    AccountOwing,
    AccountProblem,
    AccountRefused,
    AccountStored,
    accounts_owing,
    put_account,
)
from engine.store.accounts import AccountStatus, AccountTier, CustomerAccount, list_accounts

__all__ = [
    "ONLY_THE_RECORD",
    "AccountOwing",
    "AccountProblem",
    "AccountRefused",
    "AccountStatus",
    "AccountStored",
    "AccountTier",
    "CustomerAccount",
    "accounts_owing",
    "list_accounts",
    "put_account",
]
