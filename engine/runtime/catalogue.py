"""Keeping the product catalogue (商品目录): a product is stored only when it is whole and sound, and a
CSV file of products is stored whole or not at all.

A product's fields arrive as text (a CSV cell, a command-line option, a field of the web page) and are
read by one set of rules (:func:`read_product`), each problem naming its field in zh and en:

* ``sku``: 2 to 40 capital letters, digits or hyphens, not starting with a hyphen (as the order forms
  take it, ``TEA-01``);
* ``name_zh``, ``name_en``: 1 to 100 characters, not blank;
* ``price``: yuan, at least 0, at most two decimals, below ten million (:data:`MAX_PRICE`);
* ``weight_kg`` (kilograms), ``volume_l`` (litres): empty, or at least 0 with at most three decimals;
* ``kind``: ``shipped`` or ``virtual`` ("did you mean" for a near miss); empty: ``shipped``;
* ``active``: ``true``/``false`` (also ``yes``/``no``, ``1``/``0``, ``是``/``否``); empty: ``true``.

A CSV file (:func:`read_csv`) is UTF-8, with or without a byte-order mark, at most
:data:`MAX_CSV_BYTES` bytes and :data:`MAX_CSV_ROWS` products, with a header row naming its columns
(``sku``, ``name_zh``, ``name_en`` and ``price`` required, the others optional, in any order). Every
problem is listed, each with its row and column (:class:`CatalogueProblem`), and nothing is stored
while there is one (:func:`import_csv`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.common.suggest import did_you_mean
from engine.common.text import Text
from engine.common.words import word
from engine.errors import EngineError, Refusal, RefusalCode, brief
from engine.forms.data_paths import ITEMS
from engine.forms.formats import MONEY_TEXT
from engine.runtime.results import PublishedForm, RecordView
from engine.store import Store, Tx
from engine.store.products import (
    PRODUCT_KINDS,
    Product,
    ProductKind,
    catalogue_kept,
    find_products,
    product_page,
    write_products,
)
from engine.store.users import display_names

__all__ = [
    "CATALOGUE_KINDS",
    "CATALOGUE_PRICES",
    "COLUMNS",
    "MAX_CSV_BYTES",
    "MAX_CSV_ROWS",
    "CatalogueImported",
    "CatalogueProblem",
    "CatalogueRefused",
    "ProductPage",
    "catalogue_csv",
    "catalogue_form",
    "changed_by",
    "find_product",
    "import_csv",
    "line_names",
    "line_products",
    "list_products",
    "marked_lines",
    "named_lines",
    "priced_lines",
    "product_fields",
    "products_page",
    "put_product",
    "put_products",
    "read_csv",
    "read_product",
]

MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CSV_ROWS = 10_000
PAGE_SIZE = 50
SKU_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{1,39}")
# Ten million yuan: above any product the shops sell, and a price of 99,999,999,999 is a typing slip, not
# a product (the order forms' money format bounds amounts only by what a column holds, 10^13).
MAX_PRICE = Decimal("10000000")
MAX_MEASURE = Decimal("1000000000")  # the weight and volume columns hold 9 digits before the point

# The columns of a catalogue file, in the order an export writes them (their words: ``catalogue.<column>``).
COLUMNS: tuple[str, ...] = ("sku", "name_zh", "name_en", "price", "weight_kg", "volume_l", "kind", "active")
REQUIRED = ("sku", "name_zh", "name_en", "price")
_TRUE = frozenset({"true", "yes", "1", "是", "y"})
_FALSE = frozenset({"false", "no", "0", "否", "n"})


@dataclass(frozen=True)
class CatalogueProblem:
    """One thing keeping products from being stored: the row of the file (1 is the header; None for the
    file as a whole, or a product not read from a file), the column (None: the row or file as a whole)
    and why, in zh and en."""

    row: int | None
    column: str | None
    message: Text

    def said(self, lang: str = "en") -> str:
        """As a page lists it, like the other row messages: ``Row 3, price: …`` / ``第 3 行，price：…``
        (the parts it has; a problem of the whole file is its message alone)."""
        said = self.message.get(lang)
        zh = lang.startswith("zh")
        where = "" if self.row is None else word("catalogue.row").get(lang).format(row=self.row)
        if self.column:
            where = f"{where}{'，' if zh else ', '}{self.column}" if where else self.column
        return f"{where}{'：' if zh else ': '}{said}" if where else said

    def line(self, file: str, lang: str = "en") -> str:
        """``FILE:ROW: column: message`` (the parts it has), as editors and CI read it."""
        where = file if self.row is None else f"{file}:{self.row}"
        said = self.message.get(lang)
        return f"{where}: {self.column}: {said}" if self.column else f"{where}: {said}"


class CatalogueRefused(EngineError):
    """Products the catalogue could not take: nothing was stored. ``problems`` name each row and field."""

    def __init__(self, problems: Sequence[CatalogueProblem], file: str = "<input>") -> None:
        self.problems = tuple(problems)
        self.file = file
        super().__init__(
            "\n".join(p.line(file, "en") for p in self.problems),
            zh="\n".join(p.line(file, "zh") for p in self.problems),
        )


@dataclass(frozen=True)
class CatalogueImported:
    added: int
    changed: int


@dataclass(frozen=True)
class ProductPage:
    """A page of the catalogue: its products, the search it answers, and the SKU the next page starts
    after (None: the last page)."""

    products: tuple[Product, ...]
    search: str
    next_after: str | None


def _text_problem(column: str, raw: str, limit: int) -> Text | None:
    if not raw.strip():
        return Text("不能为空", "must not be empty")
    if len(raw) > limit:
        return Text(
            f"最多 {limit} 个字符（现有 {len(raw)} 个）", f"at most {limit} characters ({len(raw)} given)"
        )
    if not raw.isprintable():
        return Text("含有不可打印的字符", "holds a character that cannot be printed")
    return None


def _decimal(raw: str, places: int, ceiling: Decimal, what: Text, required: bool) -> Decimal | Text | None:
    """``raw`` as a decimal number of at most ``places`` decimals from 0 to below ``ceiling``; None when
    empty and not ``required``; else the problem."""
    cleaned = raw.strip()
    if not cleaned:
        return Text("不能为空", "must not be empty") if required else None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return Text(f"{brief(cleaned, lang='zh')} 不是数字", f"{brief(cleaned)} is not a number")
    if not MONEY_TEXT.fullmatch(cleaned):  # 1e3, Infinity, 1_000: Decimal reads them, a person does not
        return Text(
            f"{brief(cleaned, lang='zh')} 不是按数字书写的数：请用数字和小数点，如 99.50",
            f"{brief(cleaned)} is not a number written in digits: write it like 99.50",
        )
    if not value.is_finite():
        return Text(f"{brief(cleaned, lang='zh')} 不是数字", f"{brief(cleaned)} is not a number")
    if value < 0:
        return Text(f"{what.zh}不能为负数（{cleaned}）", f"a {what.en} cannot be negative ({cleaned})")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        return Text(f"最多 {places} 位小数（{cleaned}）", f"at most {places} decimal places ({cleaned})")
    if value >= ceiling:
        return Text(f"{what.zh}须小于 {ceiling:,}", f"a {what.en} must be below {ceiling:,}")
    return value


def read_product(fields: Mapping[str, str]) -> tuple[Product | None, list[tuple[str, Text]]]:
    """A product read from its fields as text (see the module's docstring): the product, or None and every
    problem as (field, why). Fields absent from ``fields`` take their defaults; a missing SKU, name or
    price is a problem."""
    found: list[tuple[str, Text]] = []
    sku = fields.get("sku", "").strip()
    if not sku:
        found.append(("sku", Text("缺少商品编码", "the SKU is missing")))
    elif not SKU_PATTERN.fullmatch(sku):
        found.append(
            (
                "sku",
                Text(
                    f"{brief(sku, lang='zh')} 不是有效的商品编码："
                    "应为2至40位大写字母、数字或连字符，不以连字符开头，如 TEA-01",
                    f"{brief(sku)} is not a SKU: 2 to 40 capital letters, digits or hyphens, not starting "
                    "with a hyphen, like TEA-01",
                ),
            )
        )
    names: dict[str, str] = {}
    for column in ("name_zh", "name_en"):
        raw = fields.get(column, "")
        problem = _text_problem(column, raw, 100)
        if problem is not None:
            found.append((column, problem))
        names[column] = raw.strip()
    price = _decimal(fields.get("price", ""), 2, MAX_PRICE, Text("价格", "price"), required=True)
    if isinstance(price, Text):
        found.append(("price", price))
    weight = _decimal(fields.get("weight_kg", ""), 3, MAX_MEASURE, Text("重量", "weight"), required=False)
    if isinstance(weight, Text):
        found.append(("weight_kg", weight))
    volume = _decimal(fields.get("volume_l", ""), 3, MAX_MEASURE, Text("体积", "volume"), required=False)
    if isinstance(volume, Text):
        found.append(("volume_l", volume))
    kind = fields.get("kind", "").strip().lower() or ProductKind.SHIPPED.value
    kinds = [k.value for k in PRODUCT_KINDS]
    if kind not in kinds:
        found.append(
            (
                "kind",
                Text(
                    f"未知的类型 {brief(kind, lang='zh')}；可用：{'、'.join(kinds)}"
                    f"{did_you_mean(kind, kinds, 'zh')}",
                    f"unknown kind {brief(kind)}; known: {', '.join(kinds)}{did_you_mean(kind, kinds)}",
                ),
            )
        )
    active_raw = fields.get("active", "").strip().lower()
    active = True
    if active_raw in _FALSE:
        active = False
    elif active_raw and active_raw not in _TRUE:
        found.append(
            (
                "active",
                Text(
                    f"{brief(active_raw, lang='zh')} 不是是否值：请写 true 或 false",
                    f"{brief(active_raw)} is not a yes or no: write true or false",
                ),
            )
        )
    if found:
        return None, found
    assert isinstance(price, Decimal) and not isinstance(weight, Text) and not isinstance(volume, Text)
    return (
        Product(sku, names["name_zh"], names["name_en"], price, weight, volume, kind, active),
        found,
    )


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """The CSV records of ``text`` with the line each starts on (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for record in reader:
        yield start, record
        start = reader.line_num + 1


def read_csv(data: bytes) -> tuple[list[Product], list[CatalogueProblem]]:
    """The products of a catalogue file (see the module's docstring), and every problem found in it."""
    if len(data) > MAX_CSV_BYTES:
        return [], [
            CatalogueProblem(
                None,
                None,
                Text(
                    f"文件过大：{len(data):,} 字节，上限 {MAX_CSV_BYTES:,} 字节；请分成几个文件导入",
                    f"the file is too large: {len(data):,} bytes, the limit is {MAX_CSV_BYTES:,}; "
                    "import it in several files",
                ),
            )
        ]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        return [], [
            CatalogueProblem(
                row,
                None,
                Text(
                    f"不是 UTF-8 编码（第 {error.start + 1} 个字节）：请以 UTF-8 保存文件",
                    f"not UTF-8 (byte {error.start + 1}): save the file as UTF-8",
                ),
            )
        ]
    try:
        records = [(row, cells) for row, cells in _rows(text) if any(cell.strip() for cell in cells)]
    except csv.Error as error:
        return [], [CatalogueProblem(None, None, Text(f"CSV 格式错误：{error}", f"not a CSV file: {error}"))]
    if not records:
        return [], [
            CatalogueProblem(
                None,
                None,
                Text(
                    "文件是空的：第一行应是列名，如 sku,name_zh,name_en,price",
                    "the file is empty: its first row names the columns, like sku,name_zh,name_en,price",
                ),
            )
        ]
    header_row, header = records[0]
    problems: list[CatalogueProblem] = []
    columns = [cell.strip().lower() for cell in header]
    known = list(COLUMNS)
    seen: set[str] = set()
    for column in columns:
        if column not in COLUMNS:
            problems.append(
                CatalogueProblem(
                    header_row,
                    column or "''",
                    Text(
                        f"未知的列；可用的列：{'、'.join(known)}{did_you_mean(column, known, 'zh')}",
                        f"unknown column; the columns are {', '.join(known)}{did_you_mean(column, known)}",
                    ),
                )
            )
        elif column in seen:
            problems.append(
                CatalogueProblem(header_row, column, Text("该列出现了两次", "the column is named twice"))
            )
        seen.add(column)
    for column in REQUIRED:
        if column not in seen:
            problems.append(
                CatalogueProblem(
                    header_row,
                    column,
                    Text(f"缺少必需的列（{word('catalogue.' + column).zh}）", "a required column is missing"),
                )
            )
    if problems:
        return [], problems
    body = records[1:]
    if not body:
        return [], [
            CatalogueProblem(
                None,
                None,
                Text(
                    "文件只有列名这一行，没有任何商品：请在第二行起每行写一个商品",
                    "the file has only its header row and no products: write one product a row, from "
                    "the second row on",
                ),
            )
        ]
    if len(body) > MAX_CSV_ROWS:
        return [], [
            CatalogueProblem(
                None,
                None,
                Text(
                    f"文件有 {len(body):,} 个商品，上限 {MAX_CSV_ROWS:,} 个；请分成几个文件导入",
                    f"the file holds {len(body):,} products, the limit is {MAX_CSV_ROWS:,}; "
                    "import it in several files",
                ),
            )
        ]
    read: list[Product] = []
    first_row: dict[str, int] = {}
    for row, cells in body:
        if len(cells) > len(columns):
            problems.append(
                CatalogueProblem(
                    row,
                    None,
                    Text(
                        f"有 {len(cells)} 个单元格，而列名只有 {len(columns)} 个",
                        f"{len(cells)} cells, but the header names {len(columns)} columns",
                    ),
                )
            )
            continue
        fields = dict(zip(columns, cells + [""] * (len(columns) - len(cells)), strict=True))
        product, found = read_product(fields)
        problems.extend(CatalogueProblem(row, column, why) for column, why in found)
        sku = fields["sku"].strip()
        if sku and sku in first_row:
            problems.append(
                CatalogueProblem(
                    row,
                    "sku",
                    Text(
                        f"商品编码 {sku} 重复：第 {first_row[sku]} 行已有",
                        f"SKU {sku} is listed twice: first on row {first_row[sku]}",
                    ),
                )
            )
        elif sku:
            first_row[sku] = row
        if product is not None:
            read.append(product)
    return (read, []) if not problems else ([], problems)


def import_csv(store: Store, data: bytes, file: str, at: datetime, by: str) -> CatalogueImported:
    """Store every product of a catalogue file in one transaction, or none: :class:`CatalogueRefused`
    lists every problem of the file."""
    items, problems = read_csv(data)
    if problems:
        raise CatalogueRefused(problems, file)
    with store.transaction() as tx:
        added, changed = write_products(tx.connection, items, at, by)
    return CatalogueImported(added, changed)


def put_product(
    store: Store, fields: Mapping[str, str], at: datetime, by: str, *, new: bool | None = None
) -> Product:
    """Store one product from its fields as text (the web page's, the command line's). ``new``: it must
    not be in the catalogue yet (the page that adds one); False: it must be (the page that edits one);
    None: either (the command line's ``set``).
    :class:`CatalogueRefused` names every field that does not fit; nothing is stored then."""
    product, found = read_product(fields)
    problems = [CatalogueProblem(None, column, why) for column, why in found]
    with store.transaction() as tx:
        if product is not None:
            stored = find_products(tx, [product.sku])
            if new and stored:
                problems.append(
                    CatalogueProblem(
                        None,
                        "sku",
                        Text(
                            f"商品编码 {product.sku} 已存在", f"SKU {product.sku} is already in the catalogue"
                        ),
                    )
                )
            elif new is False and not stored:
                problems.append(
                    CatalogueProblem(
                        None,
                        "sku",
                        Text(f"目录中没有商品 {product.sku}", f"no product {product.sku} in the catalogue"),
                    )
                )
        if problems or product is None:
            raise CatalogueRefused(problems, fields.get("sku", "").strip() or "<product>")
        write_products(tx.connection, [product], at, by)
    return replace(product, updated_at=at, updated_by=by)


def product_fields(product: Product) -> dict[str, str]:
    """A product's fields as text, as :func:`read_product` reads them back (a page's form, a CSV row)."""
    return {
        "sku": product.sku,
        "name_zh": product.name_zh,
        "name_en": product.name_en,
        "price": _cell(product.price),
        "weight_kg": _cell(product.weight_kg),
        "volume_l": _cell(product.volume_l),
        "kind": str(product.kind),
        "active": "true" if product.active else "false",
    }


def put_products(store: Store, items: Sequence[Product], at: datetime, by: str) -> CatalogueImported:
    """Store ``items`` in one transaction, each checked as :func:`read_product` checks its fields, or none:
    :class:`CatalogueRefused` names every problem (the row is the product's place in ``items``, from 1)."""
    problems: list[CatalogueProblem] = []
    checked: list[Product] = []
    for number, item in enumerate(items, start=1):
        product, found = read_product(product_fields(item))
        problems.extend(CatalogueProblem(number, column, why) for column, why in found)
        if product is not None:
            checked.append(product)
    if problems:
        raise CatalogueRefused(problems, "<products>")
    with store.transaction() as tx:
        added, changed = write_products(tx.connection, checked, at, by)
    return CatalogueImported(added, changed)


def find_product(store: Store, sku: str) -> Product | None:
    with store.read() as tx:
        return find_products(tx, [sku]).get(sku)


def changed_by(store: Store, product: Product) -> str:
    """Who last changed ``product``, by their display name (a login no user holds any more: as it is)."""
    login = product.updated_by
    if not login:
        return ""
    with store.read() as tx:
        return display_names(tx, [login]).get(login, login)


def list_products(store: Store) -> list[Product]:
    """Every product, by SKU."""
    with store.read() as tx:
        found: list[Product] = []
        after: str | None = None
        while True:
            page, more = product_page(tx.connection, "", after, 500)
            found.extend(page)
            if not more or not page:
                return found
            after = page[-1].sku


def products_page(
    store: Store, search: str = "", after: str | None = None, limit: int = PAGE_SIZE
) -> ProductPage:
    """One page of the catalogue, by SKU, after SKU ``after``, of the products whose SKU or a name holds
    ``search``."""
    search = search.strip()[:100]
    with store.read() as tx:
        page, more = product_page(tx.connection, search, after, limit)
    return ProductPage(tuple(page), search, page[-1].sku if more and page else None)


def _cell(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def catalogue_csv(store: Store) -> str:
    """The whole catalogue as a CSV file :func:`read_csv` reads back (header row first)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(COLUMNS))
    for p in list_products(store):
        writer.writerow(
            [
                p.sku,
                p.name_zh,
                p.name_en,
                _cell(p.price),
                _cell(p.weight_kg),
                _cell(p.volume_l),
                p.kind,
                "true" if p.active else "false",
            ]
        )
    return out.getvalue()


# --------------------------------------------------------------------------------------------------
# A new order's lines, as a workflow's ``catalogue:`` asks (docs/catalogue.md)

CATALOGUE_PRICES, CATALOGUE_KINDS = "prices", "kinds"


def _yuan(value: Decimal) -> int | float:
    """A price as the orders' data writes money: whole yuan as an int, else with its decimals."""
    return int(value) if value == value.to_integral() else float(value)


def _lines(data: Mapping[str, Any]) -> list[Any] | None:
    lines = data.get("lines")
    return lines if isinstance(lines, list) else None


def _skus(lines: Sequence[Any]) -> list[str]:
    return [line["sku"] for line in lines if isinstance(line, Mapping) and isinstance(line.get("sku"), str)]


def line_products(tx: Tx, data: Mapping[str, Any]) -> dict[str, Product]:
    """The products of the catalogue a new order's lines name, by SKU (one read for both of what
    follows)."""
    lines = _lines(data)
    return find_products(tx, _skus(lines)) if lines else {}


LINES_FIELD = "lines"
PRICED_FIELD = f"{LINES_FIELD}{ITEMS}.unit_price"
NAMED_FIELD = f"{LINES_FIELD}{ITEMS}.name"
SKU_FIELD = f"{LINES_FIELD}{ITEMS}.sku"
PRODUCTS_SOURCE = "products"


def catalogue_form(form: PublishedForm | None, mode: str | None) -> PublishedForm | None:
    """The intake form of a workflow that reads a kept catalogue (``catalogue: prices`` or ``kinds``) as
    its page draws it: the lines' name read-only (each line naming a product of the catalogue takes the
    catalogue's name when the order is created), under ``prices`` the unit price too, the lines' help
    saying why. Under ``kinds`` only where the lines' SKU is picked from the catalogue (every line then
    names one of its products); a form whose SKU is typed keeps the name to type."""
    fields = form.layout.fields if form is not None else {}
    lines, name, price, sku = (fields.get(f) for f in (LINES_FIELD, NAMED_FIELD, PRICED_FIELD, SKU_FIELD))
    if form is None or lines is None or mode not in (CATALOGUE_PRICES, CATALOGUE_KINDS):
        return form
    changed: dict[str, Any] = {}
    if mode == CATALOGUE_PRICES and price is not None:
        changed[PRICED_FIELD] = replace(price, readonly=True, filled=True)
    picked = sku is not None and sku.source is not None and sku.source.source == PRODUCTS_SOURCE
    if name is not None and (mode == CATALOGUE_PRICES or picked):
        changed[NAMED_FIELD] = replace(name, readonly=True, filled=True)
    if not changed:
        return form
    said = word("catalogue.priced" if PRICED_FIELD in changed else "catalogue.named")
    if lines.help is not None:
        said = Text(f"{lines.help.zh} {said.zh}", f"{lines.help.en} {said.en}")
    changed[LINES_FIELD] = replace(lines, help=said)
    return replace(form, layout=replace(form.layout, fields={**fields, **changed}))


def line_names(tx: Tx, *documents: Mapping[str, Any]) -> dict[str, dict[str, Text]]:
    """The names product lines are shown by in the reader's language: a line whose SKU the catalogue
    holds reads the catalogue's name in Chinese on the Chinese page and in English on the English one,
    whatever name the line was stored with (an order placed before the catalogue named its lines keeps
    the words it was typed in). Every list of lines ``documents`` hold is read, wherever it is (an order's
    ``lines``, the lines a return names, ``returned``, a record's lines, what a step sent), a line being an
    item with a ``sku`` and a ``name``. As a page's value labels: each such list's ``name`` field (by its
    path, ``returned[].name``), then the name a line holds; none when no line's SKU is in the catalogue.
    A line of a SKU the catalogue lacks reads as it was typed."""
    found = [named for document in documents for named in _named_lines(document, "")]
    known = find_products(tx, sorted({sku for _, sku, _ in found})) if found else {}
    names: dict[str, dict[str, Text]] = {}
    for path, sku, name in found:
        product = known.get(sku)
        if product is not None:
            names.setdefault(path, {}).setdefault(name, Text(product.name_zh, product.name_en))
    return names


def _named_lines(value: Any, path: str) -> Iterator[tuple[str, str, str]]:
    """The path of each line's name under ``value`` (at ``path``), with its SKU and the name it holds."""
    if isinstance(value, Mapping):
        sku, name = value.get("sku"), value.get("name")
        if path and isinstance(sku, str) and isinstance(name, str):
            yield f"{path}.name", sku, name
        for key, inner in value.items():
            if isinstance(inner, Mapping | list):
                yield from _named_lines(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for item in value:
            yield from _named_lines(item, f"{path}{ITEMS}")


def named_record_lines(data: Mapping[str, Any], records: Sequence[RecordView]) -> tuple[RecordView, ...]:
    """The order's records as its page shows them: each line of a record that names no product (a
    shipment's: SKU and quantity) named beside its SKU by the order's line of that SKU, which the page
    then reads in its language as it reads the order's lines (:func:`line_names`: the catalogue's name
    in Chinese or English). A SKU the order's lines lack stays as it is; the records keep what they hold
    (``Engine.records`` reads them unnamed)."""
    names = {
        line["sku"]: line["name"]
        for line in _lines(data) or ()
        if isinstance(line, Mapping)
        and isinstance(line.get("sku"), str)
        and isinstance(line.get("name"), str)
    }

    def named(line: Any) -> Any:
        if not isinstance(line, Mapping) or "name" in line or line.get("sku") not in names:
            return line
        out: dict[str, Any] = {}
        for key, value in line.items():
            out[key] = value
            if key == "sku":  # beside its SKU, as the order's lines read
                out["name"] = names[value]
        return out

    shown = []
    for record in records:
        lines = _lines(record.data)
        if lines and names:
            record = replace(record, data={**record.data, LINES_FIELD: [named(line) for line in lines]})
        shown.append(record)
    return tuple(shown)


def named_lines(data: dict[str, Any], known: Mapping[str, Product]) -> dict[str, Any]:
    """A new order's data with each line that names a product of the catalogue named by it: the
    catalogue's Chinese name, whatever the page sent (a page fills the name in its reader's language, and
    a name typed over the catalogue's is not the product's); the order page shows it in the reader's
    language (:func:`line_names`). A line of a SKU the catalogue lacks keeps the name typed. ``known``:
    :func:`line_products` of the data as sent."""
    return _product_lines(data, known, lambda product: {"name": product.name_zh})


def _product_lines(
    data: dict[str, Any], known: Mapping[str, Product], fields: Callable[[Product], Mapping[str, Any]]
) -> dict[str, Any]:
    """``data`` with each line whose SKU ``known`` holds given the ``fields`` of its product; the others
    as they are (the data itself when no line names a known product)."""
    lines = _lines(data)
    if not lines or not known:
        return data
    changed: list[Any] = []
    for line in lines:
        sku = line.get("sku") if isinstance(line, Mapping) else None
        product = known.get(sku) if isinstance(sku, str) else None
        changed.append(line if product is None else {**line, **fields(product)})
    return {**data, "lines": changed}


def priced_lines(
    tx: Tx, data: dict[str, Any], known: Mapping[str, Product]
) -> tuple[dict[str, Any], list[Refusal]]:
    """A new order's data with every line priced from the catalogue (``catalogue: prices``), before its
    form computes the line amounts and the total: the unit price is the product's, whatever was sent (the
    name is :func:`named_lines`'). Refused, each at its line's SKU: a product
    discontinued, and a SKU the catalogue lacks while it holds any product (a catalogue not kept prices
    nothing)."""
    lines = _lines(data)
    if not lines:
        return data, []
    skus = _skus(lines)
    kept = bool(known) or (bool(skus) and catalogue_kept(tx))
    if not kept:
        return data, []
    refusals: list[Refusal] = []
    priced: list[Any] = []
    for index, line in enumerate(lines):
        sku = line.get("sku") if isinstance(line, Mapping) else None
        if not isinstance(sku, str):
            priced.append(line)  # the form says what is wrong with it
            continue
        assert isinstance(line, Mapping)
        path = f"$.lines[{index}].sku"
        product = known.get(sku)
        if product is None:
            refusals.append(
                Refusal(
                    RefusalCode.FORM,
                    f"{path}：商品目录中没有商品 {brief(sku, lang='zh')}",
                    f"{path}: the product catalogue has no product {brief(sku)}",
                    {"path": path, "sku": sku},
                )
            )
        elif not product.active:
            refusals.append(
                Refusal(
                    RefusalCode.FORM,
                    f"{path}：商品 {sku}（{product.name_zh}）已停售",
                    f"{path}: product {sku} ({product.name_en}) is discontinued",
                    {"path": path, "sku": sku},
                )
            )
        changed = dict(line)
        if product is not None:
            changed["unit_price"] = _yuan(product.price)
        priced.append(changed)
    return {**data, "lines": priced}, refusals


def marked_lines(data: dict[str, Any], known: Mapping[str, Product]) -> dict[str, Any]:
    """A new order's data with each line that names a product of the catalogue marked ``virtual`` (true
    for a virtual product, false for goods that ship), which routing, the stock actions and conditions
    (``all(pluck(order.lines, 'virtual'))``) read; lines of SKUs the catalogue lacks are left unmarked.
    ``known``: :func:`line_products` of the data as sent (pricing changes no SKU)."""
    return _product_lines(data, known, lambda product: {"virtual": product.virtual})
