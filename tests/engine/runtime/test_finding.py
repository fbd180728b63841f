"""The list's query read from what a page sent (engine/runtime/finding.py), and the list and the search
run through ``Engine.order_list`` on SQLite and PostgreSQL: filters, keyset pages, what matched,
departments, masked numbers."""

from __future__ import annotations

from datetime import date

import pytest

from engine.runtime import Engine, ListQuery, read_list_query
from engine.runtime.finding import Cursor
from engine.store import Store
from tests.engine.runtime.conftest import AUDITOR, CLERK, OUTSIDER, bundle

MOBILE = "13812345678"


def test_a_query_is_read_from_text_with_full_width_digits() -> None:
    query, problems = read_list_query(
        {"created_from": "２０２６-１２-０１", "amount_from": "1,000", "sort": "amount_low", "q": " 5678 "}
    )
    assert problems == ()
    assert (query.created_from, query.amount_from, query.sort, query.q) == (
        date(2026, 12, 1),
        1000.0,
        "amount_low",
        "5678",
    )
    assert query.params() == {
        "created_from": "2026-12-01",
        "amount_from": "1000",
        "sort": "amount_low",
        "q": "5678",
    }


@pytest.mark.parametrize(
    ("args", "field", "en"),
    [
        ({"created_from": "2026-02-30"}, "created_from", "'2026-02-30' is not a date there is"),
        ({"created_to": "tomorrow"}, "created_to", "'tomorrow' is not a date there is"),
        ({"amount_from": "-1"}, "amount_from", "amount -1 is out of range"),
        ({"amount_to": "nan"}, "amount_to", "'nan' is not an amount"),
        ({"amount_from": "9", "amount_to": "1"}, "amount_to", "the highest amount 1 is below the lowest 9"),
        ({"created_from": "2026-12-02", "created_to": "2026-12-01"}, "created_to", "is before the first day"),
        ({"sort": "cheap"}, "sort", "there is no sort 'cheap'"),
        ({"after": "x_1"}, "page", "could not be read"),
        ({"after": "1_" + "9" * 30}, "page", "could not be read"),
    ],
)
def test_a_value_that_cannot_be_read_is_a_problem_naming_its_field(
    args: dict[str, str], field: str, en: str
) -> None:
    query, problems = read_list_query(args)
    assert [p.field for p in problems] == [field]
    assert en in problems[0].words.en and problems[0].words.zh
    assert query.sort in ("newest",) and query.cursor is None
    assert field == "sort" or getattr(query, field, None) is None  # left out (the sort: the default)


@pytest.fixture
def searched(engine: Engine) -> list[int]:
    """Three searched orders of 10, 20 and 30 yuan; the second paid with reference TX-778899."""
    engine.publish(bundle("searched-order"))
    ids = []
    for n, (name, mobile) in enumerate(
        (("王芳", MOBILE), ("李雷", "13900001234"), ("韩梅梅", "13611115678")), 1
    ):
        data = {
            "customer": {
                "name": name,
                "mobile": mobile,
                "id_number": "11010519491231002X",
                "note": "VIP-1234",
            },
            "total": 10 * n,
        }
        ids.append(engine.create_order(CLERK, "retail", "searched-order", "web", data).id)
    engine.fire(ids[1], "pay", CLERK, {"transaction_ref": "TX-778899"})
    return ids


def _ids(engine: Engine, q: str, actor=CLERK) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    found = engine.order_list(actor, ListQuery(q=q))
    assert found.searched
    return [(listed.order.id, listed.matched.en if listed.matched else "") for listed in found.orders]


def test_the_search_finds_by_tail_whole_mobile_name_reference_and_number(
    engine: Engine, searched: list[int]
) -> None:
    a, b, c = searched
    assert _ids(engine, "5678") == [(c, "mobile ending 5678"), (a, "mobile ending 5678")]
    assert _ids(engine, MOBILE) == [(a, "mobile 138****5678")]  # the clerk's role does not reveal it
    assert _ids(engine, MOBILE, AUDITOR) == [(a, f"mobile {MOBILE}")]
    assert _ids(engine, "李雷") == [(b, "name 李雷")]
    assert _ids(engine, "tx778899") == [(b, "payment reference tx778899")]  # written by the pay step
    assert _ids(engine, f"＃{b}") == [(b, f"order number #{b}")]
    assert _ids(engine, "TX-778899", OUTSIDER) == [] and _ids(engine, f"#{a}", OUTSIDER) == []
    assert _ids(engine, "0000") == []
    page = engine.order_list(CLERK, ListQuery(q="5678"), limit=1)
    assert [o.order.id for o in page.orders] == [c] and page.more and page.next_after is not None
    cursor = Cursor(c, c)
    rest = engine.order_list(CLERK, ListQuery(q="5678", cursor=cursor), limit=1)
    assert [o.order.id for o in rest.orders] == [a] and not rest.more


def test_the_pages_read_the_order_masked_unless_a_role_reveals_it(
    engine: Engine, searched: list[int]
) -> None:
    a = searched[0]
    customer = engine.order_page(a, CLERK).order.data["customer"]
    assert customer == {
        "name": "王芳",
        "mobile": "138****5678",
        "id_number": "110105********002X",
        "note": "****1234",
    }
    assert engine.step_page(a, "pay", CLERK).order.data["customer"]["mobile"] == "138****5678"
    listed = engine.order_list(CLERK, ListQuery(workflow="searched-order")).orders
    assert {o.order.data["customer"]["mobile"] for o in listed} == {
        "138****5678",
        "139****1234",
        "136****5678",
    }
    assert engine.order_page(a, AUDITOR).order.data["customer"]["mobile"] == MOBILE
    assert engine.get_order(a, CLERK).data["customer"]["mobile"] == MOBILE  # not a page: the API's own read


def test_the_list_filters_sorts_and_pages_by_keyset(
    engine: Engine, store: Store, searched: list[int]
) -> None:
    a, b, c = searched
    first = engine.order_list(CLERK, ListQuery(sort="amount_high"), limit=2)
    assert [o.order.id for o in first.orders] == [c, b] and first.more and not first.previous
    _, problems = read_list_query({"sort": "amount_high", "after": first.next_after or ""})
    assert problems == ()
    query, _ = read_list_query({"sort": "amount_high", "after": first.next_after or ""})
    second = engine.order_list(CLERK, query, limit=2)
    assert [o.order.id for o in second.orders] == [a] and second.previous and not second.more
    back, _ = read_list_query({"sort": "amount_high", "before": second.previous_before or ""})
    assert [o.order.id for o in engine.order_list(CLERK, back, limit=2).orders] == [c, b]
    assert [o.order.id for o in engine.order_list(CLERK, ListQuery(amount_from=15, amount_to=25)).orders] == [
        b
    ]
    assert [
        o.order.id
        for o in engine.order_list(CLERK, ListQuery(workflow="searched-order", state="paid")).orders
    ] == [b]
    assert engine.order_list(CLERK, ListQuery(department="wholesale")).orders == ()
    assert engine.order_list(OUTSIDER, ListQuery()).orders == ()
    assert {spec.name for spec in engine.order_list(CLERK).workflows} >= {"searched-order", "retail-order"}
