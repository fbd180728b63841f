"""The product catalogue (商品目录): rows of the ``products`` table, read and written with SQLAlchemy Core.

A product is its SKU, its names in zh and en, its price in yuan, its weight in kilograms and its volume in
litres (both optional), its kind (``shipped``: goods a warehouse holds and a carrier takes; ``virtual``: a
gift card, an extended warranty, which need neither) and whether it is still sold (``active``: a
discontinued product stays for the orders that name it). What a product must be to be stored is checked
above the store (``engine.runtime.catalogue``), which then writes it here (:func:`write_products`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import Numeric, Row, and_, bindparam, func, insert, or_, select, update

from engine.store.statements import ONE, Statement
from engine.store.tables import products, stock
from engine.store.transaction import TxCore

__all__ = [
    "PRODUCT_KINDS",
    "Product",
    "ProductKind",
    "catalogue_kept",
    "catalogue_size",
    "find_products",
    "offered_products",
    "product_page",
    "write_products",
]


class ProductKind(StrEnum):
    """What a product is to the warehouse: the very strings the ``kind`` column holds."""

    SHIPPED = "shipped"
    VIRTUAL = "virtual"


PRODUCT_KINDS: tuple[ProductKind, ...] = tuple(ProductKind)


@dataclass(frozen=True)
class Product:
    sku: str
    name_zh: str
    name_en: str
    price: Decimal  # yuan
    weight_kg: Decimal | None = None
    volume_l: Decimal | None = None  # litres
    kind: str = ProductKind.SHIPPED  # a product not yet checked may hold any text
    active: bool = True
    updated_at: datetime | None = None  # set by the store
    updated_by: str | None = None

    @property
    def virtual(self) -> bool:
        return self.kind == ProductKind.VIRTUAL

    def name(self, lang: str) -> str:
        return self.name_zh if lang.startswith("zh") else self.name_en


def _product(found: Row[Any]) -> Product:
    m = found._mapping
    return Product(
        sku=str(m["sku"]),
        name_zh=str(m["name_zh"]),
        name_en=str(m["name_en"]),
        price=Decimal(m["price"]),
        weight_kg=None if m["weight_kg"] is None else Decimal(m["weight_kg"]),
        volume_l=None if m["volume_l"] is None else Decimal(m["volume_l"]),
        kind=str(m["kind"]),
        active=bool(m["active"]),
        updated_at=_utc(m["updated_at"]),
        updated_by=m["updated_by"],
    )


def _utc(value: datetime | None) -> datetime | None:
    """A stored time as UTC (SQLite gives it back without its zone)."""
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


# A read names at most this many SKUs (a bound parameter each); more are read in as many turns.
_SKUS_AT_ONCE = 32


@cache
def _products_statement(count: int) -> Statement:
    """The products of ``count`` SKUs (``:sku_0`` …); built once per count, run on the driver cursor (an
    order's creation reads its lines' products, and through SQLAlchemy's ``Connection.execute`` that
    cost more than the query)."""
    return Statement(
        f"products_{count}",
        select(*_COLUMNS).where(products.c.sku.in_([bindparam(f"sku_{i}") for i in range(count)])),
    )


_COLUMNS = (
    products.c.sku,
    products.c.name_zh,
    products.c.name_en,
    products.c.price,
    products.c.weight_kg,
    products.c.volume_l,
    products.c.kind,
    products.c.active,
    products.c.updated_at,
    products.c.updated_by,
)
# Whether the catalogue holds any product: one step into the primary key, however many it holds.
_KEPT = Statement("catalogue_kept", select(select(ONE).select_from(products).exists()))


def _number(value: Any, scale: int | None) -> Decimal | None:
    """A stored number as SQLAlchemy's ``Numeric`` reads it: PostgreSQL gives a ``Decimal``, SQLite the
    float it keeps, written out to the column's scale."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(f"{value:.{scale}f}") if scale is not None else Decimal(str(value))


def _scale(column: Any) -> int | None:
    kind = column.type
    assert isinstance(kind, Numeric)
    return kind.scale


_PRICE_SCALE = _scale(products.c.price)
_SIZE_SCALE = _scale(products.c.weight_kg)


def _driver_product(tx: TxCore, row: Sequence[Any]) -> Product:
    sku, name_zh, name_en, price, weight_kg, volume_l, kind, active, updated_at, updated_by = row
    found_price = _number(price, _PRICE_SCALE)
    assert found_price is not None
    return Product(
        sku=str(sku),
        name_zh=str(name_zh),
        name_en=str(name_en),
        price=found_price,
        weight_kg=_number(weight_kg, _SIZE_SCALE),
        volume_l=_number(volume_l, _SIZE_SCALE),
        kind=str(kind),
        active=bool(active),
        updated_at=tx.read_time(updated_at),
        updated_by=updated_by,
    )


def find_products(tx: TxCore, skus: Iterable[str]) -> dict[str, Product]:
    """The products of ``skus`` the catalogue holds, by SKU (an action reads them in its step's
    transaction)."""
    wanted = sorted(set(skus))
    found: dict[str, Product] = {}
    for start in range(0, len(wanted), _SKUS_AT_ONCE):
        part = wanted[start : start + _SKUS_AT_ONCE]
        params = {f"sku_{i}": sku for i, sku in enumerate(part)}
        for row in tx.run(_products_statement(len(part)), params).fetchall():
            product = _driver_product(tx, row)
            found[product.sku] = product
    return found


def catalogue_size(connection: Any) -> int:
    """How many products the catalogue holds (0: it is not kept)."""
    return int(connection.execute(select(func.count()).select_from(products)).scalar_one())


def catalogue_kept(tx: TxCore) -> bool:
    """Whether the catalogue holds any product (none: it is not kept)."""
    (kept,) = tx.run(_KEPT, {}).fetchone()
    return bool(kept)


def product_page(
    connection: Any, search: str = "", after: str | None = None, limit: int = 50
) -> tuple[list[Product], bool]:
    """Up to ``limit`` products by SKU after SKU ``after`` (keyset paging), those whose SKU or either
    name holds ``search`` (case-insensitive); and whether more follow."""
    query = select(products).order_by(products.c.sku).limit(limit + 1)
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (products.c.sku, products.c.name_zh, products.c.name_en)
                )
            )
        )
    if after is not None:
        query = query.where(products.c.sku > after)
    found = [_product(row) for row in connection.execute(query)]
    return found[:limit], len(found) > limit


def offered_products(
    connection: Any,
    in_stock: bool = False,
    warehouse: str | None = None,
    kind: str | None = None,
    discontinued: bool = False,
) -> list[Product]:
    """The active products an order may name, by SKU; ``in_stock``: only those with units free to reserve
    (in ``warehouse`` when given) and the virtual ones, which need none; ``kind``: only those of that
    kind (a process that ships everything it takes offers ``shipped`` ones only); ``discontinued``: the
    discontinued products too (an after-sales request names what was bought, sold or not)."""
    query = select(products).order_by(products.c.sku)
    if not discontinued:
        query = query.where(products.c.active.is_(True))
    if kind is not None:
        query = query.where(products.c.kind == kind)
    if in_stock or warehouse is not None:
        free = select(stock.c.sku).where(stock.c.sku == products.c.sku)
        if in_stock:
            free = free.where(stock.c.on_hand - stock.c.reserved > 0)
        if warehouse is not None:
            free = free.where(stock.c.warehouse == warehouse)
        query = query.where(or_(products.c.kind == ProductKind.VIRTUAL.value, free.exists()))
    return [_product(row) for row in connection.execute(query)]


def write_products(connection: Any, items: Sequence[Product], at: datetime, by: str) -> tuple[int, int]:
    """Store ``items`` through ``connection`` (a write transaction): new products, or the new details of
    stored ones. Nothing is checked here (``engine.runtime.catalogue.put_products`` checks first).
    Returns how many were added and how many changed."""
    added = changed = 0
    for product in items:
        values = {
            "name_zh": product.name_zh,
            "name_en": product.name_en,
            "price": product.price,
            "weight_kg": product.weight_kg,
            "volume_l": product.volume_l,
            "kind": str(product.kind),
            "active": product.active,
            "updated_at": at,
            "updated_by": by,
        }
        result = connection.execute(
            update(products).where(and_(products.c.sku == product.sku)).values(values)
        )
        if result.rowcount:
            changed += 1
        else:
            connection.execute(insert(products).values(sku=product.sku, **values))
            added += 1
    return added, changed
