"""`orderloom stock`: stock, managed (docs/stock.md). Receive goods, transfer between warehouses (in
transit until received), stock-takes (open, count, review, post), adjust with a reason, set a safety
stock; read the levels, the ledger, the transfers and the low-stock alerts.

Every change is one transaction with its ledger entries; a bad input is refused in the chosen language
(``--lang``), naming what is wrong, and nothing is written. ``--as`` names who acts (kept in the ledger).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from cli.common import LANG, open_services, refuse
from engine.api import translate
from engine.api.stock import (
    LARGE_SHARE,
    LARGE_UNITS,
    LEDGER_KINDS,
    StockLevel,
    StockRefused,
    StockTake,
    Transfer,
    adjust_stock,
    cancel_stock_take,
    enter_count,
    ledger_entries,
    low_stock_alerts,
    open_stock_take,
    post_stock_take,
    receive_stock,
    receive_transfer,
    review_stock_take,
    set_safety_stock,
    stock_levels,
    transfer_stock,
    transfers,
)

T = TypeVar("T")

_AS = click.option(
    "--as", "actor", default="operator", show_default=True, help="Who acts: kept in the stock ledger."
)


def said(key: str, lang: str, **values: Any) -> str:
    return translate(f"cli.stock.{key}", lang).format(**values)


def row_said(key: str, lang: str, row: StockLevel, **values: Any) -> str:
    """A line about a stock row: its sku, warehouse, units on hand and reserved, and ``values``."""
    return said(
        key, lang, sku=row.sku, warehouse=row.warehouse, on_hand=row.on_hand, reserved=row.reserved, **values
    )


def refused(action: Callable[[], T], lang: str) -> T:
    """Run ``action``; a refusal is printed as one line in ``lang`` and the command exits 1."""
    try:
        return action()
    except StockRefused as error:
        refuse(error.message(lang), lang)


def number(value: str, prefix: str, lang: str) -> int:
    """A transfer's (``T12``) or a stock-take's (``C3``) number, with or without its letter."""
    text = value.strip().upper().removeprefix(prefix)
    if not text.isdigit() or len(text) > 18:
        raise click.BadParameter(said("not_a_number", lang, value=value, prefix=prefix))
    return int(text)


@click.group()
def stock() -> None:
    """Stock, managed: receive, transfer, stock-take, adjust, safety stock, levels, ledger, alerts."""


@stock.command("receive")
@click.argument("sku")
@click.argument("warehouse")
@click.argument("qty", type=int)
@click.option("--note", default=None, help="A note kept in the ledger (the supplier's delivery note…).")
@click.option("--reference", default=None, help="The delivery's reference (a purchase order number…).")
@click.option("--new", is_flag=True, help="The sku or the warehouse may be one no stock row names yet.")
@_AS
@LANG
@click.pass_context
def stock_receive(
    ctx: click.Context,
    sku: str,
    warehouse: str,
    qty: int,
    note: str | None,
    reference: str | None,
    new: bool,
    actor: str,
    lang: str,
) -> None:
    """Receive QTY units of SKU into WAREHOUSE."""
    with open_services(ctx) as services:
        now = services.engine.clock.now()
        row = refused(
            lambda: receive_stock(
                services.store, actor, sku, warehouse, qty, now, note=note, reference=reference, new=new
            ),
            lang,
        )
    click.echo(row_said("received", lang, row, qty=qty))


@stock.command("adjust")
@click.argument("sku")
@click.argument("warehouse")
@click.argument("change", type=int)
@click.option("--reason", required=True, help="Why (kept in the ledger): damaged, lost, found…")
@_AS
@LANG
@click.pass_context
def stock_adjust(
    ctx: click.Context, sku: str, warehouse: str, change: int, reason: str, actor: str, lang: str
) -> None:
    """Add (CHANGE > 0) or take away (CHANGE < 0, after --) units on hand of SKU in WAREHOUSE."""
    with open_services(ctx) as services:
        now = services.engine.clock.now()
        row = refused(lambda: adjust_stock(services.store, actor, sku, warehouse, change, reason, now), lang)
    click.echo(row_said("adjusted", lang, row, change=change))


@stock.command("safety")
@click.argument("sku")
@click.argument("warehouse")
@click.argument("units", type=int, required=False)
@LANG
@click.pass_context
def stock_safety(ctx: click.Context, sku: str, warehouse: str, units: int | None, lang: str) -> None:
    """Set the safety stock of SKU in WAREHOUSE to UNITS (left out: none). Below it, the users with the
    purchaser role are mailed a reorder suggestion."""
    with open_services(ctx) as services:
        now = services.engine.clock.now()
        row = refused(lambda: set_safety_stock(services.store, sku, warehouse, units, at=now), lang)
    click.echo(said("safety", lang, sku=row.sku, warehouse=row.warehouse, safety=row.safety_stock))


def _transfer_line(found: Transfer, lang: str) -> str:
    return said(
        "transfer",
        lang,
        id=found.id,
        sku=found.sku,
        qty=found.qty,
        source=found.from_warehouse,
        dest=found.to_warehouse,
        state=found.state,
        in_transit=found.in_transit,
    )


@stock.command("transfer")
@click.argument("sku")
@click.argument("source")
@click.argument("dest")
@click.argument("qty", type=int)
@click.option("--note", default=None, help="A note kept with the transfer and in the ledger.")
@_AS
@LANG
@click.pass_context
def stock_transfer(
    ctx: click.Context, sku: str, source: str, dest: str, qty: int, note: str | None, actor: str, lang: str
) -> None:
    """Send QTY units of SKU from SOURCE to DEST: they leave SOURCE now and are in transit until
    `orderloom stock receive-transfer`."""
    with open_services(ctx) as services:
        now = services.engine.clock.now()
        found = refused(
            lambda: transfer_stock(services.store, actor, sku, source, dest, qty, now, note), lang
        )
    click.echo(_transfer_line(found, lang))


@stock.command("receive-transfer")
@click.argument("transfer")
@click.option("--qty", type=int, default=None, help="Units received (left out: all still in transit).")
@_AS
@LANG
@click.pass_context
def stock_receive_transfer(ctx: click.Context, transfer: str, qty: int | None, actor: str, lang: str) -> None:
    """Receive a transfer (T12) at its destination, partly (--qty) or wholly."""
    transfer_id = number(transfer, "T", lang)
    with open_services(ctx) as services:
        now = services.engine.clock.now()
        found = refused(lambda: receive_transfer(services.store, actor, transfer_id, qty, now), lang)
    click.echo(_transfer_line(found, lang))


@stock.command("transfers")
@click.option("--in-transit", is_flag=True, help="Only those not received in full.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@LANG
@click.pass_context
def stock_transfers(ctx: click.Context, in_transit: bool, limit: int, lang: str) -> None:
    """The transfers, newest first."""
    with open_services(ctx) as services:
        found = transfers(services.store, state="in_transit" if in_transit else None, limit=limit)
    for item in found:
        click.echo(_transfer_line(item, lang))
    if not found:
        click.echo(said("none", lang))


def _take_lines(take: StockTake, lang: str) -> None:
    click.echo(said("take", lang, id=take.id, warehouse=take.warehouse, state=take.state))
    for line in take.lines:
        click.echo(
            said(
                "count_line",
                lang,
                sku=line.sku,
                book=line.book,
                counted=line.counted,
                difference=line.difference,
                reserved=line.reserved,
            )
            # the one rule the web sheet calls out too (CountLine.large)
            + (said("large", lang, units=LARGE_UNITS, share=f"{LARGE_SHARE:.0%}") if line.large else "")
        )


@stock.group("take")
def stock_take_group() -> None:
    """Stock-takes: open a count, enter counts, review the differences, post them."""


@stock_take_group.command("open")
@click.argument("warehouse")
@_AS
@LANG
@click.pass_context
def take_open(ctx: click.Context, warehouse: str, actor: str, lang: str) -> None:
    """Open a count for WAREHOUSE."""
    with open_services(ctx) as services:
        now = services.engine.clock.now()
        take = refused(lambda: open_stock_take(services.store, actor, warehouse, now), lang)
    _take_lines(take, lang)


@stock_take_group.command("count")
@click.argument("take")
@click.argument("sku")
@click.argument("counted", type=int)
@_AS
@LANG
@click.pass_context
def take_count(ctx: click.Context, take: str, sku: str, counted: int, actor: str, lang: str) -> None:
    """Enter (or correct) the count of SKU in the open stock-take TAKE (C3)."""
    take_id = number(take, "C", lang)
    with open_services(ctx) as services:
        now = services.engine.clock.now()
        found = refused(lambda: enter_count(services.store, actor, take_id, sku, counted, now), lang)
    _take_lines(found, lang)


@stock_take_group.command("review")
@click.argument("take")
@LANG
@click.pass_context
def take_review(ctx: click.Context, take: str, lang: str) -> None:
    """Each count of TAKE against the book as it stands now, with the difference posting would write."""
    take_id = number(take, "C", lang)
    with open_services(ctx) as services:
        found = refused(lambda: review_stock_take(services.store, take_id), lang)
    _take_lines(found, lang)


@stock_take_group.command("post")
@click.argument("take")
@_AS
@LANG
@click.pass_context
def take_post(ctx: click.Context, take: str, actor: str, lang: str) -> None:
    """Post TAKE: the differences go to the ledger. A count below what is reserved is refused."""
    take_id = number(take, "C", lang)
    with open_services(ctx) as services:
        now = services.engine.clock.now()
        found = refused(lambda: post_stock_take(services.store, actor, take_id, now), lang)
    _take_lines(found, lang)


@stock_take_group.command("cancel")
@click.argument("take")
@_AS
@LANG
@click.pass_context
def take_cancel(ctx: click.Context, take: str, actor: str, lang: str) -> None:
    """Cancel the open stock-take TAKE: nothing is posted."""
    take_id = number(take, "C", lang)
    with open_services(ctx) as services:
        now = services.engine.clock.now()
        found = refused(lambda: cancel_stock_take(services.store, actor, take_id, now), lang)
    _take_lines(found, lang)


@stock.command("levels")
@click.option("--sku", default=None, help="Skus starting with this.")
@click.option("--warehouse", default=None, help="Only this warehouse.")
@click.option("--low", is_flag=True, help="Only the rows below their safety stock.")
@click.option("--after", default=None, help="The page after this row: SKU@WAREHOUSE (keyset paging).")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@LANG
@click.pass_context
def stock_levels_command(
    ctx: click.Context,
    sku: str | None,
    warehouse: str | None,
    low: bool,
    after: str | None,
    limit: int,
    lang: str,
) -> None:
    """The stock rows by sku and warehouse: on hand, reserved, free, safety stock."""
    key: tuple[str, str] | None = None
    if after:
        sku_after, _, warehouse_after = after.partition("@")
        key = (sku_after, warehouse_after)
    with open_services(ctx) as services:
        rows = stock_levels(services.store, sku=sku, warehouse=warehouse, low=low, after=key, limit=limit + 1)
    for row in rows[:limit]:
        click.echo(
            row_said(
                "level",
                lang,
                row,
                available=row.available,
                safety="-" if row.safety_stock is None else row.safety_stock,
                low=said("low", lang) if row.low else "",
            )
        )
    if not rows:
        click.echo(said("none", lang))
    if len(rows) > limit:
        last = rows[limit - 1]
        click.echo(said("more", lang, option="--after", value=f"{last.sku}@{last.warehouse}"))


@stock.command("ledger")
@click.option("--sku", default=None)
@click.option("--warehouse", default=None)
@click.option("--kind", default=None, type=click.Choice(LEDGER_KINDS))
@click.option("--reference", default=None, help="An order id, a transfer (T12) or a stock-take (C3).")
@click.option("--before", type=int, default=None, help="Entries before this one (keyset paging).")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@LANG
@click.pass_context
def stock_ledger_command(
    ctx: click.Context,
    sku: str | None,
    warehouse: str | None,
    kind: str | None,
    reference: str | None,
    before: int | None,
    limit: int,
    lang: str,
) -> None:
    """The stock ledger, newest first: every change to the stock on hand, who made it and why."""
    with open_services(ctx) as services:
        found = ledger_entries(
            services.store,
            sku=sku,
            warehouse=warehouse,
            kind=kind,
            reference=reference,
            before=before,
            limit=limit + 1,
        )
    for entry in found[:limit]:
        click.echo(
            said(
                "entry",
                lang,
                id=entry.id,
                at=entry.at.isoformat(timespec="seconds"),
                sku=entry.sku,
                warehouse=entry.warehouse,
                change=entry.change,
                kind=entry.kind,
                reference=entry.reference or "-",
                actor=entry.actor,
                note=entry.note or "",
            )
        )
    if not found:
        click.echo(said("none", lang))
    if len(found) > limit:
        click.echo(said("more", lang, option="--before", value=found[limit - 1].id))


@stock.command("alerts")
@LANG
@click.pass_context
def stock_alerts(ctx: click.Context, lang: str) -> None:
    """The open low-stock alerts, each with its reorder suggestion and the figures it came from."""
    with open_services(ctx) as services:
        found = low_stock_alerts(services.store, services.engine.clock.now())
    for alert in found:
        click.echo(
            said(
                "alert",
                lang,
                sku=alert.sku,
                warehouse=alert.warehouse,
                available=alert.available,
                safety=alert.safety_stock,
                shipped=alert.shipped_30d,
                in_transit=alert.in_transit,
                suggested=alert.suggested,
            )
        )
    if not found:
        click.echo(said("none", lang))
