"""What every command shares: the settings, the services on a database whose schema is the newest, the
actor options, data given as JSON, and errors printed as one line each (never a traceback)."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from engine.api import ALL_DEPARTMENTS, Actor, translate
from engine.api.database import schema_problem
from engine.api.forms import unstorable_refusals
from engine.errors import DefinitionError, EngineError, PluginError, Problem, TransitionRejected
from wiring.services import Services, build_services
from wiring.settings import Settings


def settings_of(ctx: click.Context) -> Settings:
    settings = ctx.find_object(Settings)
    if settings is None:  # pragma: no cover - the group always sets it
        raise click.UsageError("settings missing")
    return settings


@contextmanager
def open_services(ctx: click.Context, *, migrated: bool = True) -> Iterator[Services]:
    """The store, registry and engine; with ``migrated`` (commands that read or write orders) the
    database must exist with the newest schema, or the command stops saying how to get there."""
    settings = settings_of(ctx)
    if migrated:
        require_schema(settings)
    else:
        engine_for(settings).dispose()
    with plugins_checked(ctx):
        services = build_services(settings)
    try:
        yield services
    except OperationalError as error:  # the database refused (read-only, locked, gone): say so plainly
        shown = make_url(settings.database_url).render_as_string(hide_password=True)
        said = translate("cli.database_refused", lang_of(ctx)).format(
            database=shown, reason=error.orig or error
        )
        click.echo(translate("cli.error", lang_of(ctx)).format(message=said), err=True)
        sys.exit(1)
    finally:
        services.close()


def lang_of(ctx: click.Context) -> str:
    """The language of the command's messages: its --lang, English for a command without one."""
    return "zh" if ctx.params.get("lang") == "zh" else "en"


@contextmanager
def plugins_checked(ctx: click.Context) -> Iterator[None]:
    """A plugin the registry refuses as it loads (it does not import, or does not fit its protocol)
    stops the command with one line naming it, in the command's language: never a traceback."""
    try:
        yield
    except PluginError as error:
        lang = lang_of(ctx)
        said = translate("cli.plugin_refused", lang).format(message=" ".join(error.message(lang).split()))
        click.echo(translate("cli.error", lang).format(message=said), err=True)
        sys.exit(1)


def engine_for(settings: Settings) -> Any:
    """An engine on the configured database, or a message (not a traceback) when the URL cannot be used:
    not a URL, or a database whose driver is not installed."""
    try:
        return create_engine(make_url(settings.database_url))
    except (SQLAlchemyError, ImportError) as error:
        click.echo(f"error: cannot use the database URL: {error.__class__.__name__}: {error}", err=True)
        sys.exit(1)


def require_schema(settings: Settings) -> None:
    """Stop with a message (not a traceback) when the database is missing or its schema is not the newest."""
    engine = engine_for(settings)
    url = engine.url
    shown = url.render_as_string(hide_password=True)
    advice = "run `orderloom db upgrade` (`make run` does it)"
    file = sqlite_file_of(url)
    if file is not None and not file.exists():
        engine.dispose()
        click.echo(f"error: there is no database at {file} yet: {advice}", err=True)
        sys.exit(1)
    try:
        problem = schema_problem(engine)
    except SQLAlchemyError as error:
        click.echo(f"error: cannot open the database {shown}: {error.__class__.__name__}: {error}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    if problem is not None:
        click.echo(f"error: the database {shown} {problem}: {advice}", err=True)
        sys.exit(1)


def sqlite_file_of(url: Any) -> Path | None:
    """The file of a file-backed SQLite URL (not ``:memory:``, not a ``file:`` URI); None otherwise."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if str(database).startswith("file:"):
        return None
    return Path(str(database))


def actor_of(name: str, roles: Sequence[str], departments: Sequence[str]) -> Actor:
    return Actor(name, frozenset(roles), frozenset(departments or [ALL_DEPARTMENTS]))


MAX_DATA_BYTES = 1_000_000  # an order's data is a form's worth of fields, not a file dump


def json_option(value: str | None, option: str = "--data", lang: str = "en") -> dict[str, Any]:
    """Data given inline as JSON, or as ``@file.json``; a problem names ``option`` (and the field, in
    ``lang``, for a value JSON storage refuses: NaN, infinity, a lone surrogate such as ``"\\ud800"``)."""
    if not value:
        return {}
    try:
        if value.startswith("@"):
            path = Path(value[1:])
            if path.stat().st_size > MAX_DATA_BYTES:
                raise click.BadParameter(f"{path} is larger than {MAX_DATA_BYTES} bytes", param_hint=option)
            text = path.read_text(encoding="utf-8")
        else:
            text = value
        parsed = json.loads(text, parse_constant=_refuse_constant)
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"not readable JSON: {exc}", param_hint=option) from None
    except RecursionError:
        raise click.BadParameter("not readable JSON: nested too deeply", param_hint=option) from None
    if not isinstance(parsed, dict):
        raise click.BadParameter("the data must be a JSON object", param_hint=option)
    unstorable = unstorable_refusals(parsed)
    if unstorable:
        said = translate("cli.list_separator", lang).join(
            refusal.zh if lang == "zh" else refusal.en for refusal in unstorable
        )
        raise click.BadParameter(said, param_hint=option)
    return parsed


def _refuse_constant(name: str) -> Any:
    """JSON has no NaN or Infinity: Python's reader accepts them, an order's data must not."""
    raise ValueError(f"{name} is not a number JSON allows")


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def fail(error: EngineError, lang: str) -> NoReturn:
    if isinstance(error, TransitionRejected):
        details = (
            f"  {refusal.code}: {json.dumps(refusal.details, ensure_ascii=False)}"
            for refusal in error.refusals
            if refusal.details
        )
        refuse(error.message(lang), lang, details)
    if isinstance(error, DefinitionError):
        print_problems(error.problems, lang)
        sys.exit(1)
    # EngineError's own message(lang): an ExpressionError hides it behind its ``message`` text.
    refuse(EngineError.message(error, lang), lang)


def print_problems(problems: Sequence[Problem], lang: str = "en") -> None:
    """Each problem as ``path:line:col: error: message``, worded in ``lang``."""
    for problem in problems:
        click.echo(problem.format(lang), err=True)


LANG = click.option("--lang", default="en", type=click.Choice(["en", "zh"]), help="Language of messages.")


def refuse(message: str, lang: str, details: Iterable[str] = ()) -> NoReturn:
    """Stop the command: ``message`` as its one error line in ``lang``, then each of ``details`` (a
    problem a line), on stderr; the exit status is 1."""
    click.echo(translate("cli.error", lang).format(message=message), err=True)
    for line in details:
        click.echo(line, err=True)
    sys.exit(1)


def field_problem(field: str, problem: str, lang: str) -> str:
    """A problem of one option or argument, as a line under the error: ``  --price: …``."""
    return translate("cli.field_problem", lang).format(field=field, problem=problem)


actor_options = [
    click.option(
        "--as",
        "actor_name",
        default="operator",
        show_default=True,
        help="Who acts: recorded in the audit trail by the commands that change an order.",
    ),
    click.option("--role", "roles", multiple=True, help="A role of the actor; repeat for several."),
    click.option(
        "--works-in", "departments", multiple=True, help="A department the actor works in (default: all)."
    ),
    LANG,
]


def with_actor(func: Any) -> Any:
    """Add the actor options; the command receives one ``actor: Actor`` (and ``lang``) instead."""

    @functools.wraps(func)
    def command(
        *args: Any, actor_name: str, roles: tuple[str, ...], departments: tuple[str, ...], **kwargs: Any
    ) -> Any:
        return func(*args, actor=actor_of(actor_name, roles, departments), **kwargs)

    for option in reversed(actor_options):
        command = option(command)
    return command
