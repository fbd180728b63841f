"""Built-in option sources: the choices of select and radio fields (entry-point group
``orderloom.option_sources``; a UI file names one in ``options.source``).

- ``products``: the active products of the catalogue (``products``), value the SKU, label ``SKU · name``
  in each language, and choosing one fills the line's ``name`` (in the page's language) and
  ``unit_price`` (``fills``); params ``in_stock`` (only products with units free to reserve, and the
  virtual ones, which need none), ``warehouse`` (only those stocked there) and ``kind`` (``shipped`` or
  ``virtual``: only those; wholesale and after-sales offer goods only) and ``discontinued`` (the
  discontinued products too: after-sales requests name what was bought). Where no catalogue is
  kept (the table is empty), the SKUs of the ``stock`` table, each once, with no name and no price;
- ``warehouses`` and ``carriers``: those of the department's routing rule file (the ``kind: routing``
  file under ``rules/<department>/``), with their labels; a department without one has none;
- ``regions``: the 34 provincial-level divisions of China, a static list; param ``names``: ``short``
  (上海, as routing files name them; the default) or ``full`` (上海市, as addresses write them);
- ``customers``: the customers of the department (the ``customers`` table ``customers.register`` fills),
  value the customer's id, label the name with the mobile masked (张伟（138****5678）);
- ``accounts``: the business customers' accounts of the department (``customer_accounts``), value the
  account number, label the company with it (上海鑫达商贸有限公司（W100231）), and choosing one fills
  the contact, mobile and address the record holds (``fills`` by the form's field path from its root,
  ``contact.name``, ``address.province``: the order's own objects, not the account's), and an account
  lacking some of them says so once picked (``note``: 该客户账户没有登记联系人、手机号和地址 / Nothing on
  file for this account); a frozen account (``blocked``) is not offered, since the credit check cancels
  every order of it.

Each returns ``[{"value": ..., "label": {"zh": ..., "en": ...}}, ...]``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from engine.common.regions import REGIONS
from engine.common.text import Text
from engine.common.words import word
from engine.errors import PluginError
from engine.plugins import OptionContext
from engine.store import tables
from engine.store.accounts import accounts_of
from engine.store.products import catalogue_size, offered_products

Options = list[dict[str, Any]]


def _option(value: Any, zh: str, en: str) -> dict[str, Any]:
    return {"value": value, "label": {"zh": zh, "en": en}}


def _connection(ctx: OptionContext, source: str) -> Any:
    if ctx.connection is None:
        raise PluginError(
            f"option source {source!r} reads the database and was given no connection",
            zh=f"选项来源 {source!r} 需要读取数据库，但没有提供数据库连接",
        )
    return ctx.connection


def regions(ctx: OptionContext) -> Options:
    names = ctx.params.get("names", "short")
    if names not in ("short", "full"):
        raise PluginError(
            f"regions: names must be 'short' or 'full', not {names!r}",
            zh=f"regions：names 只能是 'short' 或 'full'，而不是 {names!r}",
        )
    return [_option(full if names == "full" else short, full if names == "full" else short, en)
            for full, short, en in REGIONS]  # fmt: skip


def _yuan(value: Decimal) -> int | float:
    """A price as the orders' data writes money: whole yuan as an int, else two decimals."""
    return int(value) if value == value.to_integral() else float(value)


def _kind(kind: Any) -> str | None:
    if kind is None or kind in ("shipped", "virtual"):
        return str(kind) if kind is not None else None
    raise PluginError(
        f"products: kind must be 'shipped' or 'virtual', not {kind!r}",
        zh=f"products：kind 只能是 'shipped' 或 'virtual'，而不是 {kind!r}",
    )


def products(ctx: OptionContext) -> Options:
    connection = _connection(ctx, "products")
    warehouse = ctx.params.get("warehouse")
    in_stock = bool(ctx.params.get("in_stock"))
    if catalogue_size(connection):
        return [
            {
                **_option(p.sku, f"{p.sku} · {p.name_zh}", f"{p.sku} · {p.name_en}"),
                "fills": {"name": {"zh": p.name_zh, "en": p.name_en}, "unit_price": _yuan(p.price)},
            }
            for p in offered_products(
                connection,
                in_stock,
                None if warehouse is None else str(warehouse),
                _kind(ctx.params.get("kind")),
                discontinued=bool(ctx.params.get("discontinued")),
            )
        ]
    query = select(tables.stock.c.sku).distinct().order_by(tables.stock.c.sku)
    if warehouse is not None:
        query = query.where(tables.stock.c.warehouse == str(warehouse))
    if in_stock:
        query = query.where(tables.stock.c.on_hand - tables.stock.c.reserved > 0)
    return [_option(sku, sku, sku) for (sku,) in connection.execute(query)]


def _definitions_root(ctx: OptionContext) -> Path:
    if ctx.definitions_root is not None:
        return ctx.definitions_root
    return Path(os.environ.get("ORDERLOOM_DEFINITIONS") or Path.cwd())


def _routing(ctx: OptionContext) -> Mapping[str, Any]:
    """The department's routing rule file (``kind: routing`` under its rules folder), or {}. The folder
    is named as the department is, or with hyphens for its underscores (``after_sales`` keeps its
    definitions under ``rules/after-sales/``)."""
    if "/" in ctx.department or "\\" in ctx.department or ctx.department.startswith("."):
        return {}
    rules = _definitions_root(ctx) / "rules"
    folders = [rules / name for name in dict.fromkeys((ctx.department, ctx.department.replace("_", "-")))]
    folder = next((found for found in folders if found.is_dir()), None)
    if folder is None:
        return {}
    for path in sorted(folder.glob("*.y*ml")):
        if path.name.endswith(".cases.yaml"):
            continue
        try:
            tree = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(tree, dict) and tree.get("kind") == "routing":
            return tree
    return {}


def _named(entries: Any) -> Options:
    found: Options = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            continue
        given = entry.get("label")
        label: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        name = entry["name"]
        found.append(_option(name, str(label.get("zh", name)), str(label.get("en", name))))
    return found


def warehouses(ctx: OptionContext) -> Options:
    return _named(_routing(ctx).get("warehouses"))


def carriers(ctx: OptionContext) -> Options:
    return _named(_routing(ctx).get("carriers"))


def _masked(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) >= 8 else mobile


def customers(ctx: OptionContext) -> Options:
    table = tables.customers
    connection = _connection(ctx, "customers")
    query = (
        select(table.c.id, table.c.mobile, table.c.name)
        .where(table.c.department == ctx.department)
        .order_by(table.c.name, table.c.mobile)
    )
    found: Options = []
    # The value is the customer's id: a page lists its options in its HTML, and a full mobile number
    # there would show what the masked label hides.
    for customer_id, mobile, name in connection.execute(query):
        shown = f"{name}（{_masked(mobile)}）" if name else _masked(mobile)
        found.append(_option(customer_id, shown, f"{name} ({_masked(mobile)})" if name else _masked(mobile)))
    return found


def accounts(ctx: OptionContext) -> Options:
    connection = _connection(ctx, "accounts")
    found: Options = []
    for a in accounts_of(connection, ctx.department):
        if a.status == "blocked":  # frozen (冻结): the credit check refuses its orders, so it is not offered
            continue
        option = _option(a.account_no, f"{a.company}（{a.account_no}）", f"{a.company} ({a.account_no})")
        fills = a.fills()  # the contact and address it holds, by the form's field path
        if fills:
            option["fills"] = fills
        note = _not_on_file(fills)
        if note is not None:  # said beside the picker: nothing is filled in for what the record lacks
            option["note"] = {"zh": note.zh, "en": note.en}
        found.append(option)
    return found


# What an account's record may hold for an order, part by part, each by the form fields it fills.
_ON_FILE = (
    ("contact", ("contact.name",)),
    ("mobile", ("contact.mobile",)),
    ("address", ("address.province", "address.city", "address.district", "address.detail")),
)


def _not_on_file(fills: Mapping[str, str]) -> Text | None:
    """What a picked account's page says of the parts of its contact its record lacks (None: it holds
    them all): nothing on file at all, or which of the contact, the mobile and the address."""
    missing = [part for part, paths in _ON_FILE if not any(path in fills for path in paths)]
    if not missing:
        return None
    if len(missing) == len(_ON_FILE):
        return word("options.accounts.nothing_on_file")
    parts = [word(f"options.accounts.{part}") for part in missing]
    said = word("options.accounts.not_on_file")
    return Text(
        said.zh.format(missing="和".join(p.zh for p in parts)),
        said.en.format(missing=" and ".join(p.en for p in parts)),
    )
