"""Business customers' accounts: the record a wholesale order takes its credit limit, balance
outstanding, standing and tier from; stored only when it fits the forms of the department's published
workflows (part of ``engine.api``)."""

from engine.runtime.accounts import (
    ONLY_THE_RECORD,
    AccountProblem,
    AccountRefused,
    AccountStored,
    put_account,
)
from engine.store.accounts import AccountStatus, AccountTier, CustomerAccount, list_accounts

__all__ = [
    "ONLY_THE_RECORD",
    "AccountProblem",
    "AccountRefused",
    "AccountStatus",
    "AccountStored",
    "AccountTier",
    "CustomerAccount",
    "list_accounts",
    "put_account",
]
