"""Finding orders (查找订单): what the list asks for, read from what a person typed, and what matched.

``read_list_query`` reads the list's filters (department, workflow, state, channel, created from/to as
days in China time, amount from/to), its sort, its keyset cursor and the search box's query from the
text a page sent; every value it cannot read is a ``QueryProblem`` naming its field, in both languages,
and is left out of the query (the list is still shown). ``Pages.order_list`` runs the query.

A cursor is the sort value of the order a page ends (or starts) with and its id, ``<value>_<id>``: a
time as microseconds since the epoch, an amount as written. The next page reads the orders after it
from the index of that sort; nothing is skipped by OFFSET, so page 1,000 costs what page 1 costs.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from engine.clock import CHINA_TIME
from engine.common.text import Text
from engine.common.words import word
from engine.store.orders import ListFilter, OrderRow
from engine.store.search import MOBILE_TAIL, normalized

SORTS = ("newest", "oldest", "updated", "amount_high", "amount_low")
MAX_AMOUNT = 10**12  # beyond any order's total (the column holds 14 digits before the point)
MAX_QUERY = 100  # characters of a query read; a longer one is cut
FILTER_FIELDS = (
    "department",
    "workflow",
    "state",
    "channel",
    "created_from",
    "created_to",
    "amount_from",
    "amount_to",
)
_CURSOR = re.compile(r"(-?[0-9]{1,20}(?:\.[0-9]{1,6})?)_([0-9]{1,19})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class QueryProblem:
    """A value of the list's query that could not be read: its field and why, in both languages."""

    field: str
    words: Text


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after (or, ``before``, before) the order with sort value ``value``."""

    value: float | int
    id: int
    before: bool = False


@dataclass(frozen=True)
class ListQuery:
    """What the list is asked for. Dates are days in China time, both ends included."""

    department: str | None = None
    workflow: str | None = None
    state: str | None = None
    channel: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    amount_from: float | None = None
    amount_to: float | None = None
    sort: str = "newest"
    q: str | None = None
    cursor: Cursor | None = None

    def list_filter(self) -> ListFilter:
        """The filters as the store compares them: days as UTC instants (the end day's midnight after)."""

        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(), CHINA_TIME).astimezone(UTC)

        return ListFilter(
            workflow=self.workflow,
            state=self.state,
            channel=self.channel,
            created_from=midnight(self.created_from) if self.created_from else None,
            created_before=midnight(self.created_to + timedelta(days=1)) if self.created_to else None,
            amount_from=self.amount_from,
            amount_to=self.amount_to,
        )

    def params(self) -> dict[str, str]:
        """The query as the page's address carries it (without the cursor): to keep it in a link."""
        found: dict[str, str] = {}
        for name in FILTER_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            found[name] = f"{value:g}" if isinstance(value, float) else str(value)
        if self.sort != "newest":
            found["sort"] = self.sort
        if self.q:
            found["q"] = self.q
        return found


def _typed(text: str | None) -> str:
    """What was typed, as read: NFKC (full-width digits and letters as ASCII), spaces trimmed."""
    return unicodedata.normalize("NFKC", text or "").strip()


def _day(name: str, typed: str, problems: list[QueryProblem]) -> date | None:
    if not typed:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", typed):
            raise ValueError(typed)
        return date.fromisoformat(typed)
    except ValueError:
        shown = typed[:40]
        problems.append(
            QueryProblem(
                field=name,
                words=Text(
                    f"日期 {shown!r} 不存在或格式不对：请写成 2026-12-07 这样的日期",
                    f"{shown!r} is not a date there is: write a day as 2026-12-07",
                ),
            )
        )
        return None


def _amount(name: str, typed: str, problems: list[QueryProblem]) -> float | None:
    if not typed:
        return None
    shown = typed[:40]
    try:
        amount = float(typed.replace(",", ""))
    except ValueError:
        amount = math.nan
    if not math.isfinite(amount) or not re.fullmatch(r"-?[\d,]*\.?\d*", typed):
        problems.append(
            QueryProblem(
                field=name,
                words=Text(
                    f"金额 {shown!r} 不是数字：请写 100 或 99.50",
                    f"{shown!r} is not an amount: write 100 or 99.50",
                ),
            )
        )
        return None
    if amount < 0 or amount >= MAX_AMOUNT:
        problems.append(
            QueryProblem(
                field=name,
                words=Text(
                    f"金额 {shown} 超出范围：请写 0 到 {MAX_AMOUNT:,} 元之间的金额",
                    f"amount {shown} is out of range: write an amount from 0 to {MAX_AMOUNT:,} CNY",
                ),
            )
        )
        return None
    return amount


def read_list_query(args: Mapping[str, str]) -> tuple[ListQuery, tuple[QueryProblem, ...]]:
    """The list's query from the text a page sent (``?workflow=…&created_from=…&sort=…&q=…``), and a
    problem per value it could not read (left out of the query)."""
    problems: list[QueryProblem] = []

    def text(name: str) -> str | None:
        value = _typed(args.get(name))
        return value[:MAX_QUERY] or None

    created_from = _day("created_from", _typed(args.get("created_from")), problems)
    created_to = _day("created_to", _typed(args.get("created_to")), problems)
    if created_from and created_to and created_to < created_from:
        problems.append(
            QueryProblem(
                field="created_to",
                words=Text(
                    f"截止日期 {created_to} 早于起始日期 {created_from}",
                    f"the end day {created_to} is before the first day {created_from}",
                ),
            )
        )
        created_to = None
    amount_from = _amount("amount_from", _typed(args.get("amount_from")), problems)
    amount_to = _amount("amount_to", _typed(args.get("amount_to")), problems)
    if amount_from is not None and amount_to is not None and amount_to < amount_from:
        problems.append(
            QueryProblem(
                field="amount_to",
                words=Text(
                    f"最高金额 {amount_to:g} 小于最低金额 {amount_from:g}",
                    f"the highest amount {amount_to:g} is below the lowest {amount_from:g}",
                ),
            )
        )
        amount_to = None
    sort = _typed(args.get("sort")) or "newest"
    if sort not in SORTS:
        problems.append(
            QueryProblem(
                field="sort",
                words=Text(
                    f"没有排序方式 {sort[:40]!r}；可选：{'、'.join(SORTS)}",
                    f"there is no sort {sort[:40]!r}; choose one of {', '.join(SORTS)}",
                ),
            )
        )
        sort = "newest"
    cursor = None
    for name, before in (("after", False), ("before", True)):
        typed = _typed(args.get(name))
        if not typed:
            continue
        found = _CURSOR.fullmatch(typed)
        if found is None or int(found[2]) >= 2**63:
            problems.append(
                QueryProblem(
                    field="page",
                    words=Text(
                        "翻页位置无法识别：已从第一页显示",
                        "the page's place in the list could not be read: shown from the first page",
                    ),
                )
            )
            continue
        value = float(found[1]) if "." in found[1] or sort.startswith("amount") else int(found[1])
        cursor = Cursor(value, int(found[2]), before)
    query = ListQuery(
        department=text("department"),
        workflow=text("workflow"),
        state=text("state"),
        channel=text("channel"),
        created_from=created_from,
        created_to=created_to,
        amount_from=amount_from,
        amount_to=amount_to,
        sort=sort,
        q=text("q"),
        cursor=cursor,
    )
    return query, tuple(problems)


def sort_value(row: OrderRow, sort: str) -> float | int:
    """The order's value of ``sort`` as a cursor holds it (times as microseconds since the epoch)."""
    if sort.startswith("amount"):
        return row.total
    moment = row.created_at if sort in ("newest", "oldest") else row.updated_at
    return (moment - _EPOCH) // timedelta(microseconds=1)


def cursor_value(value: float | int, sort: str) -> Any:
    """A cursor's value as the store compares it with the sort's column."""
    if sort.startswith("amount"):
        return float(value)
    return _EPOCH + timedelta(microseconds=int(value))


def cursor_text(row: OrderRow, sort: str) -> str:
    """The cursor of ``row`` as a page's address carries it."""
    value = sort_value(row, sort)
    shown = f"{value:.2f}" if isinstance(value, float) else str(value)
    return f"{shown}_{row.id}"


def order_number(query: str) -> int | None:
    """The order number a query names (``294``, ``#294``, ``＃２９４``), or None."""
    typed = _typed(query).lstrip("#").strip()
    if typed.isascii() and typed.isdigit() and len(typed) <= 18:
        number = int(typed)
        return number or None
    return None


def search_term(query: str) -> str:
    """The term a query is looked up by: normalized as the stored terms are (engine.store.search)."""
    return normalized(query)


MATCH_KINDS = ("number", "mobile", MOBILE_TAIL, "name", "waybill", "payment_ref")


def matched_text(kind: str, shown: str) -> Text:
    """What matched, as the results say it: ``手机尾号 1234`` / ``mobile ending 1234``."""
    words = word(f"search.kind.{kind}") if kind in MATCH_KINDS else Text(kind, kind)
    return Text(f"{words.zh} {shown}", f"{words.en} {shown}")


__all__ = [
    "FILTER_FIELDS",
    "MATCH_KINDS",
    "SORTS",
    "Cursor",
    "ListQuery",
    "QueryProblem",
    "cursor_text",
    "cursor_value",
    "matched_text",
    "order_number",
    "read_list_query",
    "search_term",
    "sort_value",
]
