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
from typing import Any

from sqlalchemy import Row, and_, func, insert, or_, select, update

from engine.store.tables import products, stock

__all__ = [
    "PRODUCT_KINDS",
    "Product",
    "ProductKind",
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


def find_products(connection: Any, skus: Iterable[str]) -> dict[str, Product]:
    """The products of ``skus`` the catalogue holds, by SKU (an action reads them in its step's
    transaction)."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = connection.execute(select(products).where(products.c.sku.in_(wanted)))
    return {product.sku: product for product in map(_product, rows)}


def catalogue_size(connection: Any) -> int:
    """How many products the catalogue holds (0: it is not kept)."""
    return int(connection.execute(select(func.count()).select_from(products)).scalar_one())


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
