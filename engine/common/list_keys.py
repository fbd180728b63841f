"""Managed lists (名单) and customer facts as conditions read them: the kinds of list, the key a value is
matched by, the key of an order's customer, and what a condition's functions ask the database.

A managed list (``blocked-addresses``, ``vip-customers`` …) holds values of one kind; each value is kept
as it was typed and matched by its **key**, the value normalised for its kind (:func:`list_key`):

* every kind: NFKC (full-width ``１３８`` is ``138``), every whitespace removed (full-width spaces too);
* ``address``: case folded, and the province and city written short (``广东省深圳市南山区`` and ``广东
  深圳 南山区`` are one address): a province by the region table (``engine.common.regions``: ``广西壮族
  自治区``, ``广西自治区`` and ``广西`` are one), a city of two to four characters by its ``市``, a city
  that repeats its municipality dropped (``上海市上海市浦东`` is ``上海浦东``). ``区``/``县`` stay: a
  district's name without them is often another place (``新区``, ``城区``). An address given as a
  mapping (an order's ``address``) is its ``province``, ``city``, ``district`` and ``detail`` in turn;
* ``mobile``: the digits alone, a leading ``+86``/``0086``/``86`` of a 13-digit number dropped;
* ``sku``: upper-cased; ``customer``: a mobile number as ``mobile`` makes it, anything else (an
  account number) upper-cased; ``text``: case folded.

Each rewriting only ever shortens the text and is repeated until nothing changes, so a key is its own
key (``list_key(kind, list_key(kind, v)) == list_key(kind, v)``).

This module is a leaf: the condition language (``engine.rules.expr``), the store and the runtime read it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, Protocol

from engine.common.regions import REGIONS

__all__ = [
    "ACCOUNT_KEY",
    "CUSTOMER_FACTS",
    "LIST_NAME",
    "LOOKUPS",
    "MAX_KEY",
    "OWED_OPENING",
    "ListKind",
    "Lookups",
    "customer_key",
    "list_key",
    "value_keys",
]

# Where the step's lookups sit in a condition's environment: a name no condition can spell (names with
# ``__`` never resolve), read only by the functions below (``engine.rules.expr``).
LOOKUPS = "__lookups__"
# A list's name: lower-case letters, digits, '-' and '_', as rule files name it.
LIST_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
MAX_KEY = 500  # characters of a key (the column's size); a longer value is refused when added
# How a business account's key starts (``account:W100231``), its number after it.
ACCOUNT_KEY = "account:"


class ListKind(StrEnum):
    """What a list holds, which says how its values are normalised."""

    ADDRESS = "address"
    MOBILE = "mobile"
    CUSTOMER = "customer"
    SKU = "sku"
    TEXT = "text"


# The customer facts a condition may ask for (engine.rules.expr): function name -> whether it takes a
# number of days. Each is one indexed query over the customer's other orders in the order's department.
CUSTOMER_FACTS: Mapping[str, bool] = {
    "open_orders": False,  # how many of the customer's other orders are open (not in a final state)
    "open_amount": False,  # the total of those orders
    # what the customer owes: its account's opening balance (期初欠款) and, on them, each one's total less
    # what it has been paid
    "owed": False,
    "orders_in_days": True,  # the customer's other orders placed within the last N days
    "returns_in_days": True,  # the customer's orders a return was asked for within the last N days
}

# Where a rule's trace keeps the part of ``owed()`` that is the account's opening balance (期初欠款),
# beside ``owed()`` itself: a key no condition can write, for the reason to say it (engine.rules.labels).
OWED_OPENING = "owed():opening"


class Lookups(Protocol):
    """What a condition may ask the database in the step's own transaction (``engine.runtime``)."""

    def in_list(self, name: str, value: Any) -> bool:
        """Whether ``value`` (or, for a list of values, any of them) is in the managed list ``name``
        after normalising; an unknown list raises (the step is refused, naming the list)."""
        ...

    def customer_fact(self, fact: str, days: float | None) -> float:
        """One of :data:`CUSTOMER_FACTS` for the order's customer; 0 for an order without one."""
        ...


_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\D")
_REGION_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市")
# Every way a province is written at the start of an address, longest first, with its short name.
_PROVINCES: tuple[tuple[str, str], ...] = tuple(
    sorted(
        {
            (spelled, short)
            for full, short, _en in REGIONS
            for spelled in (full, *(short + suffix for suffix in _REGION_SUFFIXES))
        },
        key=lambda pair: (-len(pair[0]), pair[0]),
    )
)
_SHORT_NAMES = tuple(sorted({short for _full, short, _en in REGIONS}, key=lambda s: (-len(s), s)))
# A city after the province: two to four characters, none of them an administrative word, then 市.
_CITY = re.compile(r"([^省市区县盟旗镇乡村路街号]{2,4})市")


def _folded(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def _address_once(text: str) -> str:
    """One pass of the address rewriting (each change shortens the text)."""
    start = 0
    for spelled, short in _PROVINCES:
        if text.startswith(spelled):
            text = short + text[len(spelled) :]
            start = len(short)
            break
    else:
        for short in _SHORT_NAMES:
            if text.startswith(short):
                start = len(short)
                break
    if start and text.startswith(text[:start], start):  # 上海上海… (the municipality written twice)
        return text[:start] + text[2 * start :]
    city = _CITY.match(text, start)
    if city is not None:
        return text[: city.end() - 1] + text[city.end() :]
    return text


def _address(text: str) -> str:
    text = _folded(text).casefold()
    while True:
        shorter = _address_once(text)
        if shorter == text:
            return text
        text = shorter


def _mobile(text: str) -> str:
    digits = _DIGITS.sub("", unicodedata.normalize("NFKC", text))
    while len(digits) > 11 and digits.startswith(("0086", "86")):
        digits = digits[4:] if digits.startswith("0086") else digits[2:]
    return digits


def list_key(kind: ListKind | str, value: str) -> str:
    """The key ``value`` is matched by in a list of ``kind`` (see the module's docstring); may be ''.

    Folding case can undo NFKC (``A`` + combining acute folds to ``a`` + it, which NFKC composes), so
    the key is taken again until it stays (once or twice)."""
    kind = ListKind(kind)
    key = _key_once(kind, value)
    for _ in range(8):
        again = _key_once(kind, key)
        if again == key:
            break
        key = again
    return key


def _key_once(kind: ListKind, value: str) -> str:
    if kind is ListKind.ADDRESS:
        return _address(value)
    if kind is ListKind.MOBILE:
        return _mobile(value)
    folded = _folded(value)
    if kind is ListKind.SKU:
        return folded.upper()
    if kind is ListKind.CUSTOMER:
        if folded and re.fullmatch(r"[+\d()-]+", folded):
            return _mobile(folded)
        return folded.upper()
    return folded.casefold()


def _as_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Mapping):  # an address: its parts in order
        parts = [value.get(name) for name in ("province", "city", "district", "detail")]
        text = "".join(part for part in parts if isinstance(part, str))
        return text or None
    return None


def value_keys(kind: ListKind | str, value: Any) -> list[str]:
    """The keys of what a condition matches: one value, or each of a list of them (none for ``None``,
    for a value of no kind a list holds — a number with a fraction, true/false — or an empty key)."""
    values: Iterable[Any] = value if isinstance(value, list | tuple) else (value,)
    keys = []
    for each in values:
        text = _as_text(each)
        if text is not None:
            key = list_key(kind, text)
            if key and key not in keys:
                keys.append(key)
    return keys


def customer_key(data: Mapping[str, Any]) -> str | None:
    """Who an order's customer is, for the facts across their orders: a business account by its number
    (``account.account_no``: ``account:W100231``), else a person by mobile (``customer.mobile``,
    ``contact.mobile`` or ``mobile``: ``mobile:13800000000``); None for an order that names neither."""
    account = data.get("account")
    if isinstance(account, Mapping):
        number = account.get("account_no")
        if isinstance(number, str) and _folded(number):
            return f"{ACCOUNT_KEY}{_folded(number).upper()}"[:200]
    for holder in ("customer", "contact"):
        found = data.get(holder)
        if isinstance(found, Mapping) and isinstance(found.get("mobile"), str):
            mobile = _mobile(found["mobile"])
            return f"mobile:{mobile}"[:200] if mobile else None
    mobile_text = data.get("mobile")
    if isinstance(mobile_text, str) and _mobile(mobile_text):
        return f"mobile:{_mobile(mobile_text)}"[:200]
    return None
