"""What a new installation is seeded with, as the demo does: the workflows of a definitions folder
found and loaded (each checked before anything is published), customer accounts stored as the orders'
forms can take them, and stock received (``Tx.add_stock``) (part of ``engine.api``)."""

from engine.dsl.compiler import Bundle, discover, load_bundle
from engine.runtime.accounts import AccountRefused, AccountStored, put_account
from engine.store.accounts import CustomerAccount

__all__ = [
    "AccountRefused",
    "AccountStored",
    "Bundle",
    "CustomerAccount",
    "discover",
    "load_bundle",
    "put_account",
]
