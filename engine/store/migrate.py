"""Run the Alembic migrations from code: ``orderloom db upgrade`` calls :func:`upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolates '%': a password with '%' in the URL must survive.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (the newest by default)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database behind ``engine`` is at; None when it has no OrderLoom tables."""
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    return revision


def head_revision() -> str | None:
    """The newest schema revision this code knows."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def schema_problem(engine: Engine) -> str | None:
    """Why the database behind ``engine`` cannot be used as it is, or ``None`` when its schema is the
    newest: no OrderLoom tables yet, an older schema, or one newer than this code knows."""
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(hide_password=False)))
    head = script.get_current_head()
    if current == head:
        return None
    if current is None:
        return "has no OrderLoom tables yet"
    known = {revision.revision for revision in script.walk_revisions()}
    if current not in known:
        return f"was written by a newer OrderLoom (schema revision {current}; this one knows up to {head})"
    return f"has an older schema (revision {current}; this OrderLoom needs {head})"
