"""`orderloom db`: the database's schema."""

from __future__ import annotations

import sys

import click
from sqlalchemy.exc import SQLAlchemyError

from cli.common import engine_for, open_services, settings_of, sqlite_file_of
from engine.api.database import current_revision, head_revision


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply the database migrations (creates the SQLite file under var/ when needed) and say what was
    done: the database made, its tables created, upgraded from one revision to another, or up to date."""
    engine = engine_for(settings_of(ctx))
    url = engine.url
    shown = url.render_as_string(hide_password=True)
    file = sqlite_file_of(url)
    made = file is not None and not file.exists()
    try:
        before = None if made else current_revision(engine)
    except SQLAlchemyError as error:
        click.echo(f"error: cannot open the database {shown}: {error.__class__.__name__}: {error}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    with open_services(ctx, migrated=False) as services:
        services.store.upgrade()
    head = head_revision()
    if made:
        click.echo(f"created the database {file} and its tables from nothing (schema revision {head})")
    elif before is None:
        click.echo(f"created the OrderLoom tables in {shown} from nothing (schema revision {head})")
    elif before == head:
        click.echo(f"the database {shown} is up to date (schema revision {head})")
    else:
        click.echo(f"upgraded the database {shown} from schema revision {before} to {head}")
