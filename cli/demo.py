"""`orderloom demo`: the shipped departments loaded with demo orders and logins."""

from __future__ import annotations

import sys

import click

from cli.common import actor_of, fail, open_services, settings_of
from demo.loader import ensure_demo_users, load_demo
from engine.errors import EngineError


@click.command()
@click.option("--orders", "count", default=300, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--seed", default=7, show_default=True)
@click.option("--if-empty", is_flag=True, help="Succeed doing nothing when the database has orders.")
@click.option("--append", is_flag=True, help="Add demo orders to a database that already has orders.")
@click.pass_context
def demo(ctx: click.Context, count: int, seed: int, if_empty: bool, append: bool) -> None:
    """Load the three shipped departments with realistic demo orders in every state."""
    settings = settings_of(ctx)
    with open_services(ctx, migrated=False) as services:
        services.store.upgrade()
        added = ensure_demo_users(services.store, services.engine.clock.now())
        if added:
            click.echo(f"demo: {len(added)} demo login(s) added: {', '.join(added)}")
        everyone = actor_of("demo", (), ())
        if not append and services.engine.list_orders(everyone, limit=1):
            if if_empty:
                click.echo("demo: the database already has orders; nothing loaded")
                return
            click.echo("error: the database already has orders; pass --append to add demo orders", err=True)
            sys.exit(1)
        try:
            summary = load_demo(
                services.engine, services.store, settings.definitions_root, orders=count, seed=seed
            )
        except EngineError as error:
            click.echo("demo: nothing was loaded: the shipped definitions have problems", err=True)
            fail(error, "en")
    click.echo(f"demo: loaded {summary}")
