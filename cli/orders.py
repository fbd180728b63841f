"""`orderloom orders`: create, fire, show and list orders, and build their search terms again."""

from __future__ import annotations

from typing import Any

import click

from cli.common import echo_json, fail, json_option, open_services, with_actor
from engine.api import MAX_REINDEX_CHUNK, REINDEX_CHUNK, Actor, translate
from engine.errors import EngineError


@click.group()
def orders() -> None:
    """Create, fire, show and list orders, and build their search terms again."""


@orders.command("create")
@click.option("--department", required=True)
@click.option("--workflow", required=True)
@click.option("--channel", default=None, help="web, app, phone or email.")
@click.option("--data", default=None, help="JSON object, or @file.json.")
@click.option("--key", "idempotency_key", default=None, help="Idempotency key: the same key creates once.")
@with_actor
@click.pass_context
def orders_create(
    ctx: click.Context,
    department: str,
    workflow: str,
    channel: str | None,
    data: str | None,
    idempotency_key: str | None,
    actor: Actor,
    lang: str,
) -> None:
    """Create an order on the newest published version of WORKFLOW."""
    with open_services(ctx) as services:
        try:
            order = services.engine.create_order(
                actor,
                department=department,
                workflow=workflow,
                channel=channel,
                data=json_option(data, lang=lang),
                idempotency_key=idempotency_key,
            )
        except EngineError as error:
            fail(error, lang)
    click.echo(
        translate("cli.order.created", lang).format(
            order_id=order.id, state=order.state, workflow=order.workflow, version=order.version
        )
    )


@orders.command("fire")
@click.argument("order_id", type=int)
@click.argument("trigger")
@click.option("--data", default=None, help="JSON object, or @file.json.")
@click.option("--key", "idempotency_key", default=None, help="Idempotency key: the same key fires once.")
@with_actor
@click.pass_context
def orders_fire(
    ctx: click.Context,
    order_id: int,
    trigger: str,
    data: str | None,
    idempotency_key: str | None,
    actor: Actor,
    lang: str,
) -> None:
    """Fire TRIGGER on order ORDER_ID."""
    with open_services(ctx) as services:
        try:
            result = services.engine.fire(
                order_id,
                trigger,
                actor,
                data=json_option(data, lang=lang),
                idempotency_key=idempotency_key,
            )
        except EngineError as error:
            fail(error, lang)
    then = translate("cli.order.then", lang).format(triggers=", ".join(result.auto)) if result.auto else ""
    said = translate("cli.order.fired", lang)
    click.echo(
        said.format(
            order_id=order_id,
            from_state=result.from_state,
            trigger=trigger,
            to_state=result.to_state,
            then=then,
        )
    )


@orders.command("show")
@click.argument("order_id", type=int)
@click.option("--trace", is_flag=True, help="Also show every rule's evaluation, with the values compared.")
@with_actor
@click.pass_context
def orders_show(
    ctx: click.Context,
    order_id: int,
    trace: bool,
    actor: Actor,
    lang: str,
) -> None:
    """Show an order: state, data, the triggers available now, and its audit trail."""
    with open_services(ctx) as services:
        try:
            order = services.engine.get_order(order_id, actor)
            triggers = services.engine.available_triggers(order_id, actor)
            events = services.engine.history(order_id, actor)
        except EngineError as error:
            fail(error, lang)
    echo_json(
        {
            "id": order.id,
            "department": order.department,
            "workflow": f"{order.workflow} v{order.version}",
            "channel": order.channel,
            "state": order.state,
            "lock_version": order.lock_version,
            "data": order.data,
            "triggers": [
                {"trigger": t.trigger, "dests": list(t.dests), "allowed": t.allowed} for t in triggers
            ],
            "history": [_event_dict(e, lang, trace) for e in events],
        }
    )


def _event_dict(event: Any, lang: str, trace: bool) -> dict[str, Any]:
    fields = ("seq", "at", "actor", "trigger", "from_state", "to_state", "reason", "data_changes")
    shown = {name: getattr(event, name, None) for name in fields}
    if event.guards:
        shown["guards"] = event.guards
    if event.rules:
        # Why the rules decided as they did: the outcome and the reason of every rule that spoke.
        decision = event.rules
        shown["decision"] = {
            "ruleset": decision.get("ruleset"),
            "outcome": decision.get("outcome"),
            "queue": decision.get("queue"),
            "reasons": [
                {"rule": r.get("rule"), "reason": r.get("zh" if lang == "zh" else "en")}
                for r in decision.get("reasons", [])
            ],
        }
        if trace:
            shown["decision"]["trace"] = decision.get("trace", [])
    return shown


@orders.command("list")
@click.option("--department", default=None)
@click.option("--workflow", default=None)
@click.option("--state", default=None)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
@with_actor
@click.pass_context
def orders_list(
    ctx: click.Context,
    department: str | None,
    workflow: str | None,
    state: str | None,
    limit: int,
    offset: int,
    actor: Actor,
    lang: str,
) -> None:
    """List orders, newest first."""
    with open_services(ctx) as services:
        found = services.engine.list_orders(
            actor,
            department=department,
            state=state,
            workflow=workflow,
            limit=limit,
            offset=offset,
        )
    for order in found:
        columns = (f"#{order.id:<8}", f"{order.department:<12}", f"{order.workflow:<22}", order.state)
        click.echo(" ".join(columns) + f"  {order.channel or ''}")
    if not found:
        click.echo(
            translate("cli.orders.none", lang), err=True
        )  # on stderr: the listing itself stays empty for scripts


@orders.command("reindex")
@click.option("--department", default=None, help="Only the orders of this department.")
@click.option("--workflow", default=None, help="Only the orders of this workflow.")
@click.option(
    "--chunk",
    default=REINDEX_CHUNK,
    show_default=True,
    type=click.IntRange(1, MAX_REINDEX_CHUNK),
    help="Orders read and written per transaction.",
)
@click.option("--lang", default="en", type=click.Choice(["en", "zh"]), help="Language of messages.")
@click.pass_context
def orders_reindex(
    ctx: click.Context, department: str | None, workflow: str | None, chunk: int, lang: str
) -> None:
    """Build the search terms of orders again from the search: of the version each order is on.

    Orders are read by id a chunk at a time, each chunk in its own transaction; only the orders whose
    terms are missing or stale are written, so running it again changes nothing.
    """
    total = rewritten = terms = 0
    first = 1
    with open_services(ctx) as services:
        try:
            for number, done in enumerate(
                services.engine.reindex_search(department, workflow, chunk), start=1
            ):
                total += done.orders
                rewritten += done.rewritten
                terms += done.terms
                said = translate("cli.reindex.chunk", lang).format(
                    chunk=number, first=first, last=done.last_id, orders=done.orders, rewritten=done.rewritten
                )
                click.echo(said)
                first = done.last_id + 1
        except EngineError as error:
            fail(error, lang)
    click.echo(translate("cli.reindex.done", lang).format(orders=total, terms=terms, rewritten=rewritten))
