"""Managed lists (名单) as a department's admins keep them (``engine.runtime.named_lists``): create a list,
add, remove and import its values, read it with its latest changes; every change recorded."""

from engine.common.list_keys import LIST_NAME, ListKind, list_key
from engine.runtime.named_lists import (
    KIND_WORDS,
    MAX_IMPORT_LINES,
    MAX_LABEL,
    MAX_NOTE,
    ListChange,
    ListEntry,
    ListFault,
    ListRefused,
    ListShown,
    ListUse,
    NamedList,
    NamedLists,
    entries_text,
)

__all__ = [
    "KIND_WORDS",
    "LIST_NAME",
    "MAX_IMPORT_LINES",
    "MAX_LABEL",
    "MAX_NOTE",
    "ListChange",
    "ListEntry",
    "ListFault",
    "ListKind",
    "ListRefused",
    "ListShown",
    "ListUse",
    "NamedList",
    "NamedLists",
    "entries_text",
    "list_key",
]
