"""The original order an order is about (``original_order:``; an after-sales request about a retail
order), as the pages show it: a read-only summary on the request's page and beside its intake, and the
requests about an order on that order's page. The engine reads both (``OrderPage.original``,
``OrderPage.about``, ``Engine.intake_original``); this module only words them in the page's language."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from engine.api import OrderAbout, OriginalSummary, translate
from web.formdata import local_time


@dataclass(frozen=True)
class ShownAbout:
    """An order about another, as a row of its table: a link only where the reader may open it."""

    id: int
    url: str | None
    kind: str
    state: str
    agreed: str
    refunded: str


@dataclass(frozen=True)
class ShownOriginal:
    """The original order's summary, in the page's language."""

    id: int
    heading: str
    facts: list[tuple[str, str]]
    lines: list[tuple[str, str, str, str | None]]  # SKU · name, quantity, unit price, left to return
    others: list[ShownAbout]


def _yuan(amount: Decimal | None) -> str:
    return "—" if amount is None else f"{amount:.2f}"


def shown_about(
    about: Sequence[OrderAbout], lang: str, url_of: Callable[[OrderAbout], str | None]
) -> list[ShownAbout]:
    """The orders about an order: number, its workflow and kind (售后申请 · 退货), its state in words,
    the refund agreed and what it paid back; ``url_of`` says where the reader may open one (None: not)."""
    return [
        ShownAbout(
            id=one.id,
            url=url_of(one),
            kind=" · ".join(text.get(lang) for text in (one.title, one.kind) if text is not None),
            state=one.state_label.get(lang),
            agreed=_yuan(one.agreed),
            refunded=_yuan(one.refunded),
        )
        for one in about
    ]


def refunded_about(
    about: Sequence[OrderAbout], lang: str, key: str = "orders.about.refunded_total"
) -> str | None:
    """What the orders about an order paid back, in words (售后已退 129.00; ``key``: the words, as the
    requests' list or the payments say it); None when nothing."""
    total = sum((one.refunded for one in about), Decimal(0))
    if not total:
        return None
    return translate(key, lang).format(amount=_yuan(total))


def shown_original(
    summary: OriginalSummary, lang: str, url_of: Callable[[OrderAbout], str | None]
) -> ShownOriginal:
    """What the summary shows: the order by number and workflow, its dates, state, customer (the mobile
    masked), address, lines, money, and the other orders about it."""

    def word(key: str) -> str:
        return translate(f"orders.original.{key}", lang)

    facts = [
        (word("placed"), local_time(summary.placed_at)),
        (word("delivered"), local_time(summary.delivered_at) if summary.delivered_at else "—"),
        (word("return_by"), local_time(summary.return_by) if summary.return_by else "—"),
        (word("state"), summary.state_label.get(lang)),
        (word("customer"), summary.customer_name or "—"),
        (word("mobile"), summary.mobile or "—"),
        (word("address"), " ".join(part.get(lang) for part in summary.address_words) or "—"),
        (word("paid"), _yuan(summary.paid)),
        (word("refunded"), _yuan(summary.refunded)),
    ]
    if summary.refunded_about:  # the requests' refunds: the order's own figure is what it paid back
        facts.append((word("refunded_about"), _yuan(summary.refunded_about)))
    if summary.return_authorized:
        facts.append((word("return_authorized"), _yuan(summary.return_authorized)))
    return ShownOriginal(
        id=summary.id,
        heading=word("heading").format(id=summary.id, workflow=summary.title.get(lang)),
        facts=facts,
        lines=[
            (
                f"{line.sku} · {line.title.get(lang) if line.title is not None else line.name}",
                str(line.qty),
                _yuan(line.unit_price),
                None if line.left is None else str(line.left),
            )
            for line in summary.lines
        ],
        others=shown_about(summary.others, lang, url_of),
    )
