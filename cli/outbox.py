"""`orderloom outbox`: messages waiting, sent and dead, and replaying dead letters."""

from __future__ import annotations

from typing import Any

import click

from cli.common import echo_json, fail, open_services
from engine.api import ADMIN_ROLE, ALL_DEPARTMENTS, OUTBOX_STATUSES, Actor, OutboxStatus
from engine.errors import EngineError


@click.group()
def outbox() -> None:
    """The outbox: messages waiting, sent and dead (dead letters), and replaying them."""


def _operator(name: str) -> Actor:
    """Whoever runs these commands holds the database: an admin of every department."""
    return Actor(name, frozenset({ADMIN_ROLE}), frozenset({ALL_DEPARTMENTS}))


def _short(text: str | None, width: int = 70) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _message_row(message: Any) -> str:
    when = {
        OutboxStatus.PENDING: ("next try", message.next_attempt_at),
        OutboxStatus.SENT: ("sent", message.sent_at),
        OutboxStatus.DEAD: ("dead since", message.dead_at),
        OutboxStatus.INTERNAL: ("written", message.created_at),
    }[OutboxStatus(message.status)]
    at = when[1].isoformat(timespec="seconds") if when[1] else "-"
    error = (
        f"  {_short(message.last_error)}"
        if message.last_error and message.status != OutboxStatus.SENT
        else ""
    )
    if message.unreadable is not None:  # listed, not a traceback: a newer OrderLoom wrote it
        error += f"  unreadable: {_short(str(message.unreadable), 200)}"
    return (
        f"#{message.id:<8} {message.status:<8} {message.topic:<34} {message.department or '-':<12} "
        f"{message.attempts} attempt(s), {when[0]} {at}{error}"
    )


@outbox.command("list")
@click.option(
    "--status",
    default=None,
    type=click.Choice([status.value for status in OUTBOX_STATUSES]),
    help="Only messages in this status (dead: the dead letters).",
)
@click.option("--topic", default=None, help="Only messages of this topic.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
@click.pass_context
def outbox_list(ctx: click.Context, status: str | None, topic: str | None, limit: int, offset: int) -> None:
    """List outbox messages, newest first, with how many wait and how many are dead."""
    operator = _operator("operator")
    with open_services(ctx) as services:
        counts = services.engine.outbox_counts(operator)
        found = services.engine.outbox_messages(
            operator, status=status, topic=topic, limit=limit, offset=offset
        )
    pending, dead = counts[OutboxStatus.PENDING], counts[OutboxStatus.DEAD]
    click.echo(f"outbox: {pending} pending, {dead} dead letter(s)", err=True)
    for message in found:
        click.echo(_message_row(message))
    if not found:
        click.echo("no messages match", err=True)


@outbox.command("show")
@click.argument("message_id", type=int)
@click.pass_context
def outbox_show(ctx: click.Context, message_id: int) -> None:
    """Show one message: its topic, payload, status, attempts and last error."""
    with open_services(ctx) as services:
        try:
            message = services.engine.outbox_message(message_id, _operator("operator"))
        except EngineError as error:
            fail(error, "en")
    shown = {
        name: getattr(message, name)
        for name in (
            "id",
            "topic",
            "status",
            "department",
            "created_at",
            "attempts",
            "last_attempt_at",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "dead_at",
            "claimed_by",
            "replayed_by",
            "replayed_at",
        )
    }
    if message.unreadable is not None:
        echo_json({**shown, "unreadable": str(message.unreadable)})
    else:
        echo_json({**shown, "payload": message.payload})


@outbox.command("replay")
@click.argument("message_ids", nargs=-1, type=int)
@click.option("--dead", "all_dead", is_flag=True, help="Every dead letter (of --topic when given).")
@click.option("--topic", default=None, help="With --dead: only dead letters of this topic.")
@click.option("--as", "actor_name", default="operator", show_default=True, help="Who replays (kept on each).")
@click.pass_context
def outbox_replay(
    ctx: click.Context, message_ids: tuple[int, ...], all_dead: bool, topic: str | None, actor_name: str
) -> None:
    """Send dead letters (MESSAGE_IDS, or --dead for all of them) back to be delivered at the worker's
    next round, their attempts counted from none. A message waiting for its next try is taken now."""
    if bool(message_ids) == all_dead:
        raise click.UsageError("name the messages to replay, or pass --dead for every dead letter (not both)")
    if topic is not None and not all_dead:
        raise click.UsageError("--topic goes with --dead")
    operator = _operator(actor_name)
    with open_services(ctx) as services:
        try:
            if all_dead:
                count = services.engine.replay_dead_letters(operator, topic)
            else:
                count = services.engine.replay_outbox(list(message_ids), operator)
        except EngineError as error:
            fail(error, "en")
    click.echo(f"replayed {count} message(s): a worker delivers them at its next round")
