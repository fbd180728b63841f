"""Keeping the catalogue: a product read from its fields as text, a CSV file read with every problem
named by row and column in zh and en, and stored whole or not at all."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.common.text import Text
from engine.runtime.catalogue import (
    MAX_CSV_BYTES,
    MAX_CSV_ROWS,
    CatalogueRefused,
    catalogue_csv,
    find_product,
    import_csv,
    line_names,
    line_products,
    list_products,
    named_lines,
    products_page,
    put_product,
    read_csv,
    read_product,
)
from engine.store import Store

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GOOD = "sku,name_zh,name_en,price,weight_kg,volume_l,kind,active\n"


def lines(data: str) -> list[str]:
    _, problems = read_csv(data.encode("utf-8"))
    return [p.line("c.csv") for p in problems]


def test_a_file_with_and_without_a_byte_order_mark_is_read() -> None:
    body = (
        GOOD
        + 'TEA-01,龙井茶,"Longjing tea, 250 g",128.5,0.25,0.8,shipped,true\n'
        + "GC-100,礼品卡,Gift card,100,,,Virtual,否\n"
    )
    for data in (
        body.encode("utf-8"),
        b"\xef\xbb\xbf" + body.encode("utf-8"),
        body.replace("\n", "\r\n").encode(),
    ):
        found, problems = read_csv(data)
        assert problems == []
        assert [(p.sku, p.name_en, p.price, p.weight_kg, p.kind, p.active) for p in found] == [
            ("TEA-01", "Longjing tea, 250 g", Decimal("128.5"), Decimal("0.25"), "shipped", True),
            ("GC-100", "Gift card", Decimal("100"), None, "virtual", False),
        ]


def test_columns_come_in_any_order_and_the_optional_ones_take_their_defaults() -> None:
    found, problems = read_csv("price,sku,name_en,name_zh\n5,AB,Ab,甲\n".encode())
    assert problems == []
    assert (found[0].sku, found[0].kind, found[0].active, found[0].weight_kg) == ("AB", "shipped", True, None)


def test_every_problem_of_every_row_is_named_with_its_row_and_column() -> None:
    data = (
        GOOD
        + "TEA-01,龙井茶,Longjing tea,12.345,-1,,virtul,true\n"
        + ",名,Name,1,,,,\n"
        + "tea-2,名,Name,abc,,-0.5,,maybe\n"
        + "\n"  # a blank line is skipped, and still counted
        + "TEA-01,龙井茶,Longjing,1,,,,\n"
        + "AB,,   ,1,,,,,\n"
    )
    assert lines(data) == [
        "c.csv:2: price: at most 2 decimal places (12.345)",
        "c.csv:2: weight_kg: a weight cannot be negative (-1)",
        "c.csv:2: kind: unknown kind 'virtul'; known: shipped, virtual; did you mean 'virtual'?",
        "c.csv:3: sku: the SKU is missing",
        "c.csv:4: sku: 'tea-2' is not a SKU: 2 to 40 capital letters, digits or hyphens, not starting with a "
        "hyphen, like TEA-01",
        "c.csv:4: price: 'abc' is not a number",
        "c.csv:4: volume_l: a volume cannot be negative (-0.5)",
        "c.csv:4: active: 'maybe' is not a yes or no: write true or false",
        "c.csv:6: sku: SKU TEA-01 is listed twice: first on row 2",
        "c.csv:7: 9 cells, but the header names 8 columns",
    ]


def test_the_problems_are_worded_in_chinese_too() -> None:
    _, problems = read_csv((GOOD + "TEA-01,,Tea,-3,,,virtul,\n").encode())
    assert [p.line("目录.csv", "zh") for p in problems] == [
        "目录.csv:2: name_zh: 不能为空",
        "目录.csv:2: price: 价格不能为负数（-3）",
        "目录.csv:2: kind: 未知的类型 'virtul'；可用：shipped、virtual；您是否想输入 'virtual'？",
    ]


def test_the_header_is_checked_before_any_row() -> None:
    assert lines("sku,name_zh,prize,name_en,sku\nTEA-01,x,1,y,TEA-01\n") == [
        "c.csv:1: prize: unknown column; the columns are sku, name_zh, name_en, price, weight_kg, volume_l, "
        "kind, active; did you mean 'price'?",
        "c.csv:1: sku: the column is named twice",
        "c.csv:1: price: a required column is missing",
    ]
    assert lines("") == [
        "c.csv: the file is empty: its first row names the columns, like sku,name_zh,name_en,price"
    ]


def test_a_file_not_utf8_or_too_large_or_too_long_is_refused_whole() -> None:
    _, problems = read_csv(GOOD.encode() + "TEA-01,龙井茶,Tea,1,,,,\n".encode("gbk"))
    assert [p.line("c.csv") for p in problems] == ["c.csv:2: not UTF-8 (byte 65): save the file as UTF-8"]
    _, problems = read_csv(b"x" * (MAX_CSV_BYTES + 1))
    assert "the file is too large" in problems[0].message.en and problems[0].row is None
    rows = "".join(f"S{n:05d},名,Name,1,,,,\n" for n in range(MAX_CSV_ROWS + 1))
    _, problems = read_csv((GOOD + rows).encode())
    assert [p.message.en for p in problems] == [
        f"the file holds {MAX_CSV_ROWS + 1:,} products, the limit is {MAX_CSV_ROWS:,}; "
        "import it in several files"
    ]


def test_an_import_stores_everything_or_nothing(store: Store) -> None:
    good = (GOOD + "TEA-01,龙井茶,Longjing tea,128,,,,\n").encode()
    assert import_csv(store, good, "a.csv", AT, "admin").added == 1
    bad = (GOOD + "TEA-01,龙井茶,Longjing tea,99,,,,\nMUG-01,杯,Mug,-1,,,,\n").encode()
    with pytest.raises(CatalogueRefused) as refused:
        import_csv(store, bad, "b.csv", AT, "admin")
    assert str(refused.value) == "b.csv:3: price: a price cannot be negative (-1)"
    assert refused.value.message("zh") == "b.csv:3: price: 价格不能为负数（-1）"
    assert [(p.sku, p.price) for p in list_products(store)] == [("TEA-01", Decimal("128"))]
    again = (GOOD + "TEA-01,龙井茶,Longjing tea,99,,,,\nMUG-01,杯,Mug,39,,,,\n").encode()
    done = import_csv(store, again, "c.csv", AT, "li.na")
    assert (done.added, done.changed) == (1, 1)
    assert find_product(store, "TEA-01") is not None and find_product(store, "TEA-01").price == 99  # type: ignore[union-attr]


def test_one_product_is_added_then_edited_and_refused_field_by_field(store: Store) -> None:
    fields = {
        "sku": "TEA-01",
        "name_zh": "龙井茶",
        "name_en": "Longjing tea",
        "price": "128",
        "kind": "shipped",
    }
    stored = put_product(store, fields, AT, "admin", new=True)
    assert stored.updated_by == "admin"
    with pytest.raises(CatalogueRefused) as refused:
        put_product(store, fields, AT, "admin", new=True)
    assert [(p.column, p.message.en) for p in refused.value.problems] == [
        ("sku", "SKU TEA-01 is already in the catalogue")
    ]
    with pytest.raises(CatalogueRefused) as refused:
        put_product(store, {**fields, "sku": "NEW-1"}, AT, "admin", new=False)
    assert refused.value.problems[0].message.en == "no product NEW-1 in the catalogue"
    with pytest.raises(CatalogueRefused) as refused:
        put_product(store, {**fields, "price": "", "name_en": "x" * 101}, AT, "admin", new=False)
    assert [(p.column, p.message.en) for p in refused.value.problems] == [
        ("name_en", "at most 100 characters (101 given)"),
        ("price", "must not be empty"),
    ]
    put_product(store, {**fields, "price": "99.9", "active": "false"}, AT, "li.na", new=False)
    tea = find_product(store, "TEA-01")
    assert tea is not None and (tea.price, tea.active, tea.updated_by) == (Decimal("99.9"), False, "li.na")


def test_a_page_says_where_the_next_one_starts(store: Store) -> None:
    rows = "".join(f"S{n:03d},名{n},Name {n},{n},,,,\n" for n in range(5))
    import_csv(store, (GOOD + rows).encode(), "a.csv", AT, "admin")
    page = products_page(store, "", None, 2)
    assert [p.sku for p in page.products] == ["S000", "S001"] and page.next_after == "S001"
    last = products_page(store, "", "S002", 2)
    assert [p.sku for p in last.products] == ["S003", "S004"] and last.next_after is None
    assert [p.sku for p in products_page(store, " name 3 ").products] == ["S003"]


MONEY = st.decimals(
    min_value=0, max_value=Decimal("9999999.99"), places=2, allow_nan=False, allow_infinity=False
)
MEASURE = st.one_of(st.none(), st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False))
NAME = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Co", "Cn")), min_size=1, max_size=30
).filter(lambda s: s.strip() == s and s.isprintable())


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[A-Z0-9][A-Z0-9-]{1,10}", fullmatch=True),
            NAME,
            NAME,
            MONEY,
            MEASURE,
            MEASURE,
            st.sampled_from(["shipped", "virtual"]),
            st.booleans(),
        ),
        max_size=6,
        unique_by=lambda row: row[0],
    )
)
def test_an_export_reads_back_as_the_same_products(
    tmp_path_factory: pytest.TempPathFactory, rows: list
) -> None:  # type: ignore[type-arg]
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('db') / 'c.db'}")
    store.upgrade()
    try:
        text = GOOD + "".join(
            ",".join(
                [
                    sku,
                    _quoted(zh),
                    _quoted(en),
                    str(price),
                    "" if w is None else str(w),
                    "" if v is None else str(v),
                    kind,
                    str(active).lower(),
                ]
            )
            + "\n"
            for sku, zh, en, price, w, v, kind, active in rows
        )
        if rows:
            import_csv(store, text.encode(), "a.csv", AT, "admin")
        exported = catalogue_csv(store)
        back, problems = read_csv(exported.encode())
        assert problems == [] or not rows
        stored = list_products(store)
        assert [
            (p.sku, p.name_zh, p.name_en, p.price, p.weight_kg, p.volume_l, p.kind, p.active) for p in back
        ] == [
            (p.sku, p.name_zh, p.name_en, p.price, p.weight_kg, p.volume_l, p.kind, p.active) for p in stored
        ]
        assert sorted(p.sku for p in stored) == sorted(row[0] for row in rows)
    finally:
        store.dispose()


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def test_read_product_alone_says_each_field() -> None:
    product, found = read_product({"sku": "AB", "name_zh": "甲", "name_en": "A", "price": "1e400"})
    assert product is None and found[0][0] == "price"


def test_a_line_of_the_catalogue_is_named_by_it_and_read_in_either_language(store: Store) -> None:
    """The catalogue's Chinese name is stored for a SKU it holds, whatever was typed; a SKU it lacks keeps
    what was typed. An order stored before (named in English) reads the catalogue's name both ways."""
    put_product(
        store, {"sku": "TEA-01", "name_zh": "龙井茶", "name_en": "Longjing tea", "price": "88"}, AT, "admin"
    )
    sent = {"lines": [{"sku": "TEA-01", "name": "Longjing tea"}, {"sku": "NEW-9", "name": "新品"}]}
    with store.read() as tx:
        known = line_products(tx, sent)
        named = named_lines(sent, known)
        assert [line["name"] for line in named["lines"]] == ["龙井茶", "新品"]
        assert sent["lines"][0]["name"] == "Longjing tea"  # what was sent is not changed in place
        labels = line_names(tx, sent)["lines[].name"]
    assert labels == {"Longjing tea": Text("龙井茶", "Longjing tea")}  # NEW-9 reads as it was typed


@pytest.mark.parametrize("typed", ["1e3", "1E2", "Infinity", "1_000"])
def test_a_price_written_other_than_in_digits_is_refused(typed: str) -> None:
    product, problems = read_product({"sku": "TEA-01", "name_zh": "茶", "name_en": "Tea", "price": typed})
    assert product is None
    assert [(field, why.en) for field, why in problems] == [
        ("price", f"'{typed}' is not a number written in digits: write it like 99.50")
    ]


@pytest.mark.parametrize(
    ("price", "problem"),
    [("99999999999", "a price must be below 10,000,000"), ("10000000", "a price must be below 10,000,000")],
)
def test_a_price_above_ten_million_is_a_typing_slip(price: str, problem: str) -> None:
    product, found = read_product({"sku": "AB", "name_zh": "甲", "name_en": "A", "price": price})
    assert product is None and found == [("price", found[0][1])] and found[0][1].en == problem
    assert found[0][1].zh == "价格须小于 10,000,000"
    fits, none = read_product({"sku": "AB", "name_zh": "甲", "name_en": "A", "price": "9999999.99"})
    assert fits is not None and none == []


def test_a_file_with_only_its_header_row_says_it_holds_no_products(store: Store) -> None:
    assert lines(GOOD) == [
        "c.csv: the file has only its header row and no products: write one product a row, from the "
        "second row on"
    ]
    with pytest.raises(CatalogueRefused) as refused:
        import_csv(store, ("\ufeff" + GOOD + "\n,,\n").encode(), "only.csv", AT, "admin")
    assert "文件只有列名这一行" in refused.value.message("zh")
    assert list_products(store) == []
