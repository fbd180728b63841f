"""The ``orderloom`` command line: validate, publish, versions, migrate, orders, worker, outbox, demo,
serve, run, users, accounts."""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from demo.loader import DEMO_ACTORS, ensure_demo_users, load_demo
from engine.api import ADMIN_ROLE, ALL_DEPARTMENTS, OUTBOX_STATUSES, Actor, PluginRegistry, translate
from engine.api.accounts import UserExists, list_users
from engine.api.customer_accounts import (
    ONLY_THE_RECORD,
    AccountRefused,
    AccountStatus,
    AccountTier,
    CustomerAccount,
    list_accounts,
    put_account,
)
from engine.api.database import current_revision, head_revision, schema_problem
from engine.api.definitions import (
    CASES_SUFFIX,
    EVALUATED_KINDS,
    SuggestAction,
    check_cases,
    check_rules_file,
    compile_ruleset,
    coverage,
    declared_rules,
    dependents,
    load_bundle,
    load_cases_file,
    load_correlation_rulesets,
    orders_for_replay,
    replay,
    run_cases,
    shown_path,
    validate_file,
    validate_paths,
)
from engine.api.forms import OptionSourceRegistry, unstorable_refusals
from engine.errors import DefinitionError, EngineError, PluginError, Problem, TransitionRejected
from wiring.services import Services, build_services
from wiring.settings import UNSET_SECRET_KEY, Settings, check_secret_key
from workers.mail import (
    MailDelivery,
    MaildirTransport,
    SmtpServer,
    SmtpTransport,
    Transport,
    undelivered_topics,
)
from workers.worker import Worker


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.find_object(Settings)
    if settings is None:  # pragma: no cover - the group always sets it
        raise click.UsageError("settings missing")
    return settings


@contextmanager
def _services(ctx: click.Context, *, migrated: bool = True) -> Iterator[Services]:
    """The store, registry and engine; with ``migrated`` (commands that read or write orders) the
    database must exist with the newest schema, or the command stops saying how to get there."""
    settings = _settings(ctx)
    if migrated:
        _require_schema(settings)
    else:
        _engine_for(settings).dispose()
    with _plugins_checked(ctx):
        services = build_services(settings)
    try:
        yield services
    except OperationalError as error:  # the database refused (read-only, locked, gone): say so plainly
        shown = make_url(settings.database_url).render_as_string(hide_password=True)
        click.echo(f"error: the database {shown} refused: {error.orig or error}", err=True)
        sys.exit(1)
    finally:
        services.close()


def _lang(ctx: click.Context) -> str:
    """The language of the command's messages: its --lang, English for a command without one."""
    return "zh" if ctx.params.get("lang") == "zh" else "en"


@contextmanager
def _plugins_checked(ctx: click.Context) -> Iterator[None]:
    """A plugin the registry refuses as it loads (it does not import, or does not fit its protocol)
    stops the command with one line naming it, in the command's language: never a traceback."""
    try:
        yield
    except PluginError as error:
        lang = _lang(ctx)
        said = translate("cli.plugin_refused", lang).format(message=" ".join(error.message(lang).split()))
        click.echo(translate("cli.error", lang).format(message=said), err=True)
        sys.exit(1)


def _engine_for(settings: Settings) -> Any:
    """An engine on the configured database, or a message (not a traceback) when the URL cannot be used:
    not a URL, or a database whose driver is not installed."""
    try:
        return create_engine(make_url(settings.database_url))
    except (SQLAlchemyError, ImportError) as error:
        click.echo(f"error: cannot use the database URL: {error.__class__.__name__}: {error}", err=True)
        sys.exit(1)


def _require_schema(settings: Settings) -> None:
    """Stop with a message (not a traceback) when the database is missing or its schema is not the newest."""
    engine = _engine_for(settings)
    url = engine.url
    shown = url.render_as_string(hide_password=True)
    advice = "run `orderloom db upgrade` (`make run` does it)"
    file = _sqlite_file_of(url)
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


def _actor(name: str, roles: Sequence[str], departments: Sequence[str]) -> Actor:
    return Actor(name, frozenset(roles), frozenset(departments or [ALL_DEPARTMENTS]))


MAX_DATA_BYTES = 1_000_000  # an order's data is a form's worth of fields, not a file dump


def _json_option(value: str | None, option: str = "--data", lang: str = "en") -> dict[str, Any]:
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


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _fail(error: EngineError, lang: str) -> None:
    if isinstance(error, TransitionRejected):
        click.echo(translate("cli.error", lang).format(message=error.message(lang)), err=True)
        for refusal in error.refusals:
            if refusal.details:
                click.echo(f"  {refusal.code}: {json.dumps(refusal.details, ensure_ascii=False)}", err=True)
    elif isinstance(error, DefinitionError):
        _print_problems(error.problems)
    else:
        # EngineError's own message(lang): an ExpressionError hides it behind its ``message`` text.
        click.echo(translate("cli.error", lang).format(message=EngineError.message(error, lang)), err=True)
    sys.exit(1)


def _print_problems(problems: Sequence[Problem]) -> None:
    for problem in problems:
        click.echo(problem.format(), err=True)


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
    click.option("--lang", default="en", type=click.Choice(["en", "zh"]), help="Language of messages."),
]


def with_actor(func: Any) -> Any:
    """Add the actor options; the command receives one ``actor: Actor`` (and ``lang``) instead."""

    @functools.wraps(func)
    def command(
        *args: Any, actor_name: str, roles: tuple[str, ...], departments: tuple[str, ...], **kwargs: Any
    ) -> Any:
        return func(*args, actor=_actor(actor_name, roles, departments), **kwargs)

    for option in reversed(actor_options):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="orderloom", prog_name="orderloom")
@click.pass_context
def main(ctx: click.Context) -> None:
    """OrderLoom: run order processes described as YAML workflows, forms and rule files.

    The database is ORDERLOOM_DATABASE_URL (or DATABASE_URL), by default var/orderloom.db beside the
    definitions, which are read from ORDERLOOM_DEFINITIONS, by default the repository.
    """
    try:
        ctx.obj = Settings.from_env()
    except ValueError as error:  # a setting that cannot be used: say which, not a traceback
        raise click.UsageError(str(error)) from None


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check workflow, form and rule files (or folders); print every problem as path:line:col."""
    root = _settings(ctx).definitions_root
    targets = list(paths) or [root / "workflows", root / "forms", root / "rules"]
    with _plugins_checked(ctx):
        registry = PluginRegistry.from_entry_points()
    problems = validate_paths(
        targets, root, action_names=registry.action_names, action_writes=registry.action_writes
    )
    _print_problems(problems)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        click.echo(f"{len(errors)} error(s) found.", err=True)
        sys.exit(1)
    click.echo(f"ok: {', '.join(str(p) for p in targets)}")


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply the database migrations (creates the SQLite file under var/ when needed) and say what was
    done: the database made, its tables created, upgraded from one revision to another, or up to date."""
    engine = _engine_for(_settings(ctx))
    url = engine.url
    shown = url.render_as_string(hide_password=True)
    file = _sqlite_file_of(url)
    made = file is not None and not file.exists()
    try:
        before = None if made else current_revision(engine)
    except SQLAlchemyError as error:
        click.echo(f"error: cannot open the database {shown}: {error.__class__.__name__}: {error}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    with _services(ctx, migrated=False) as services:
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


def _sqlite_file_of(url: Any) -> Path | None:
    """The file of a file-backed SQLite URL (not ``:memory:``, not a ``file:`` URI); None otherwise."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if str(database).startswith("file:"):
        return None
    return Path(str(database))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--as", "actor_name", default="operator", show_default=True)
@click.pass_context
def publish(ctx: click.Context, files: tuple[Path, ...], actor_name: str) -> None:
    """Publish workflow files as immutable numbered versions (the same content twice is one version).

    Every file is checked first, and so is every overlay that extends one of them: if anything has a
    problem, nothing is published.
    """
    root = _settings(ctx).definitions_root
    with _services(ctx) as services:
        names = services.registry.action_names
        writes = services.registry.action_writes
        try:
            bundles = [
                load_bundle(path.resolve(), root, action_names=names, action_writes=writes) for path in files
            ]
        except EngineError as error:
            click.echo("error: nothing was published", err=True)
            _fail(error, "en")
        broken: list[Problem] = []
        for overlay, path in dependents(root, [b.name for b in bundles]).items():
            problems = [
                p
                for p in validate_file(path, root, action_names=names, action_writes=writes)
                if p.severity == "error"
            ]
            if problems:
                click.echo(f"error: {overlay} extends what is published here and has problems:", err=True)
                broken.extend(problems)
        if broken:
            _print_problems(broken)
            click.echo("error: nothing was published; fix the overlays above first", err=True)
            sys.exit(1)
        for bundle in bundles:
            published = services.engine.publish(bundle, _actor(actor_name, (), ()))
            note = "published" if published.created else "unchanged, already"
            digest = published.content_hash[:12]
            click.echo(f"{published.workflow}: {note} version {published.version} (sha256 {digest})")


@main.command()
@click.argument("workflow")
@click.pass_context
def versions(ctx: click.Context, workflow: str) -> None:
    """List the published versions of a workflow."""
    with _services(ctx) as services:
        found = services.engine.versions(workflow)
    if not found:
        click.echo(f"error: no published version of {workflow!r}", err=True)
        sys.exit(1)
    for item in found:
        click.echo(f"v{item.version}  sha256 {item.content_hash}")


@main.command()
@click.argument("workflow")
@click.option("--to", "to_version", type=int, required=True, help="The version to move orders onto.")
@click.option("--map", "mappings", multiple=True, help="old=new: place orders of a removed state.")
@click.option("--dry-run", is_flag=True, help="Only show which orders would move and which cannot.")
@click.option("--as", "actor_name", default="operator", show_default=True, help="Who migrates (audit trail).")
@click.option("--lang", default="en", type=click.Choice(["en", "zh"]), help="Language of messages.")
@click.pass_context
def migrate(
    ctx: click.Context,
    workflow: str,
    to_version: int,
    mappings: tuple[str, ...],
    dry_run: bool,
    actor_name: str,
    lang: str,
) -> None:
    """Move unfinished orders of WORKFLOW onto another published version."""
    mapping: dict[str, str] = {}
    for item in mappings:
        old, sep, new = item.partition("=")
        if not sep or not old or not new:
            raise click.BadParameter(f"{item!r}: write old=new", param_hint="--map")
        if old in mapping:
            raise click.BadParameter(f"{old!r} is mapped twice ({mapping[old]}, {new})", param_hint="--map")
        mapping[old] = new
    with _services(ctx) as services:
        try:
            plan = services.engine.migrate(
                workflow, to_version, mapping, dry_run=dry_run, actor=_actor(actor_name, (), ())
            )
        except EngineError as error:
            _fail(error, lang)
    verb = "would move" if dry_run else "moved"
    click.echo(
        f"{workflow} -> v{to_version}: {verb} {len(plan.moves)} order(s); {len(plan.blocked)} cannot move"
    )
    for move in plan.moves:
        click.echo(f"  move  #{move['order_id']}: {json.dumps(move, ensure_ascii=False, default=str)}")
    for blocked in plan.blocked:
        click.echo(f"  stay  #{blocked['order_id']}: {blocked.get(lang, '')}")


@main.group()
def orders() -> None:
    """Create, fire, show and list orders."""


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
    with _services(ctx) as services:
        try:
            order = services.engine.create_order(
                actor,
                department=department,
                workflow=workflow,
                channel=channel,
                data=_json_option(data, lang=lang),
                idempotency_key=idempotency_key,
            )
        except EngineError as error:
            _fail(error, lang)
    click.echo(f"order #{order.id} created in state {order.state} ({order.workflow} v{order.version})")


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
    with _services(ctx) as services:
        try:
            result = services.engine.fire(
                order_id,
                trigger,
                actor,
                data=_json_option(data, lang=lang),
                idempotency_key=idempotency_key,
            )
        except EngineError as error:
            _fail(error, lang)
    extra = f" (then {', '.join(result.auto)})" if result.auto else ""
    click.echo(f"order #{order_id}: {result.from_state} --{trigger}--> {result.to_state}{extra}")


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
    with _services(ctx) as services:
        try:
            order = services.engine.get_order(order_id, actor)
            triggers = services.engine.available_triggers(order_id, actor)
            events = services.engine.history(order_id, actor)
        except EngineError as error:
            _fail(error, lang)
    _echo_json(
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
    with _services(ctx) as services:
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
        click.echo("no orders match", err=True)  # on stderr: the listing itself stays empty for scripts


@main.command()
@click.option("--id", "worker_id", default=None, help="Worker name (default: host:pid).")
@click.option("--once", is_flag=True, help="Do one round of what is due now and exit.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds to wait when nothing is due.")
@click.option("--batch", default=100, show_default=True, help="Timers and outbox messages claimed per round.")
@click.pass_context
def worker(ctx: click.Context, worker_id: str | None, once: bool, interval: float, batch: int) -> None:
    """Fire due timers, run the correlation rule sets and deliver the outbox. Run as many workers as you
    like: each due timer fires once, each message is delivered by one of them.

    Outbox mail goes to the SMTP server in ORDERLOOM_SMTP_URL (smtp://host:port), else into the Maildir
    ORDERLOOM_MAIL_DIR; with neither, delivery is off and messages wait. SIGTERM or Ctrl-C stops the
    worker after what it has in hand, and it lets go of the correlation feed and its claims.
    """
    name = worker_id or f"{socket.gethostname()}:{os.getpid()}"
    settings = _settings(ctx)
    deliver = _delivery(settings, name)

    try:
        # Correlation rule sets: every `kind: correlation` file under the definitions root's rules/.
        correlation_rulesets = load_correlation_rulesets(settings.definitions_root)
    except EngineError as error:
        _fail(error, "en")
    with _services(ctx) as services:
        if deliver is not None:
            _say_undelivered_topics(services, correlation_rulesets, name)
        loop = Worker(
            services,
            name,
            deliver=deliver,
            rulesets=correlation_rulesets,
            batch=batch,
            interval=interval,
            echo=click.echo,
        )
        previous = {sig: signal.signal(sig, loop.request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            loop.run(once=once)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            loop.close()
        if once:
            click.echo(loop.summary())


def _delivery(settings: Settings, name: str) -> Any:
    """The outbox delivery the settings name (SMTP, else a Maildir), said once; None when delivery is off."""
    transport: Transport
    if settings.smtp_url:
        try:
            transport = SmtpTransport(SmtpServer.from_url(settings.smtp_url))
        except ValueError as error:
            raise click.UsageError(str(error)) from None
    elif settings.mail_dir is not None:
        transport = MaildirTransport(settings.mail_dir)
    else:
        click.echo(
            f"{name}: outbox delivery is off (neither ORDERLOOM_SMTP_URL nor ORDERLOOM_MAIL_DIR is set); "
            "messages wait unsent"
        )
        return None
    desk = settings.mail_to or "nobody: ORDERLOOM_MAIL_TO is not set"
    click.echo(f"{name}: outbox mail goes to {transport.where} (the service desk: {desk})")
    return MailDelivery(transport, settings.mail_from, settings.mail_to)


def _say_undelivered_topics(services: Services, rulesets: Sequence[Any], name: str) -> None:
    """Name the topics that would be written for delivery and that nothing here delivers."""
    suggested = {
        pattern.then.topic
        for ruleset in rulesets
        for pattern in ruleset.patterns
        if isinstance(pattern.then, SuggestAction)
    }
    missing = undelivered_topics(services.registry.topics, suggested)
    if missing:
        click.echo(
            f"{name}: warning: no delivery for topic(s) {', '.join(missing)}: their messages become dead "
            "letters (`orderloom outbox list --status dead`)",
            err=True,
        )


@main.command()
@click.option("--orders", "count", default=300, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--seed", default=7, show_default=True)
@click.option("--if-empty", is_flag=True, help="Succeed doing nothing when the database has orders.")
@click.option("--append", is_flag=True, help="Add demo orders to a database that already has orders.")
@click.pass_context
def demo(ctx: click.Context, count: int, seed: int, if_empty: bool, append: bool) -> None:
    """Load the three shipped departments with realistic demo orders in every state."""
    settings = _settings(ctx)
    with _services(ctx, migrated=False) as services:
        services.store.upgrade()
        added = ensure_demo_users(services.store, services.engine.clock.now())
        if added:
            click.echo(f"demo: {len(added)} demo login(s) added: {', '.join(added)}")
        everyone = _actor("demo", (), ())
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
            _fail(error, "en")
    click.echo(f"demo: loaded {summary}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Start the web app (only: `orderloom run` starts a worker beside it). SIGTERM stops it."""
    from web.app import create_app  # Flask loads for `serve` alone: keeps `orderloom --help` fast

    settings = _settings(ctx)
    _check_session_key(settings)
    _require_schema(settings)
    if settings.secret_key == UNSET_SECRET_KEY:
        kept = settings.definitions_root / "var" / "secret_key"
        click.echo(f"session key: {kept} (set ORDERLOOM_SECRET_KEY to use another)")
    with _plugins_checked(ctx):
        app = create_app(settings)
    click.echo(f"OrderLoom is running at http://{host}:{port}/")
    if DEMO_ACTORS:
        click.echo("demo logins (user / password: roles @ departments):")
        for demo_actor in DEMO_ACTORS:
            click.echo(f"  {_describe_demo_actor(demo_actor)}")
    signal.signal(signal.SIGTERM, _exit_quietly)  # stopped like Ctrl-C: the server returns, no traceback
    try:
        app.run(host=host, port=port, debug=False, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        app.extensions["orderloom"].close()


def _exit_quietly(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _check_session_key(settings: Settings) -> None:
    """The app signs sessions with ORDERLOOM_SECRET_KEY: a key too short to be secret is a usage error."""
    try:
        check_secret_key(settings.secret_key)
    except ValueError as error:
        raise click.UsageError(str(error)) from None


# How long `orderloom run` waits for the app and the worker to stop before it kills them.
STOP_TIMEOUT = 15.0


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--interval", default=1.0, show_default=True, help="The worker's wait when nothing is due.")
@click.pass_context
def run_all(ctx: click.Context, host: str, port: int, interval: float) -> None:
    """Run all the product needs on one machine: the web app (`serve`) and a worker (`worker`: timers,
    the correlation rule sets, the outbox), each its own process. Ctrl-C (or SIGTERM) stops both.

    Without ORDERLOOM_SMTP_URL the outbox's mail is written to the Maildir var/mail/ (ORDERLOOM_MAIL_DIR
    to choose another) and the service desk is service-desk@localhost (ORDERLOOM_MAIL_TO), so nothing
    piles up undelivered.
    """
    settings = _settings(ctx)
    _check_session_key(settings)
    _require_schema(settings)
    env = dict(os.environ)
    if not settings.smtp_url and settings.mail_dir is None:
        env["ORDERLOOM_MAIL_DIR"] = str(settings.definitions_root / "var" / "mail")
    if not settings.mail_to:
        env["ORDERLOOM_MAIL_TO"] = "service-desk@localhost"
    command = [sys.executable, "-m", "cli"]
    name = f"{socket.gethostname()}:{os.getpid()}:worker"
    stop = {"signal": 0}

    def ask_to_stop(signum: int, frame: Any) -> None:
        stop["signal"] = signum

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, ask_to_stop)
    # Each child in a process group of its own: Ctrl-C reaches this process only, which then stops the
    # two in order, rather than each of them at once from the terminal.
    children = {
        "worker": subprocess.Popen(  # noqa: S603  # our own command, no shell
            [*command, "worker", "--id", name, "--interval", str(interval)], env=env, process_group=0
        ),
        "serve": subprocess.Popen(  # noqa: S603
            [*command, "serve", "--host", host, "--port", str(port)], env=env, process_group=0
        ),
    }
    click.echo("orderloom run: the app and a worker (timers, correlation, the outbox); Ctrl-C stops both")
    ended: tuple[str, int] | None = None
    while not stop["signal"] and ended is None:
        for label, child in children.items():
            code = child.poll()
            if code is not None:
                ended = (label, code)
                break
        else:
            time.sleep(0.2)
    if ended is not None:
        click.echo(
            f"orderloom run: the {ended[0]} stopped (exit code {ended[1]}); stopping the rest", err=True
        )
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    codes = {}
    for label, child in children.items():
        try:
            codes[label] = child.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            codes[label] = child.wait()
            click.echo(f"orderloom run: the {label} did not stop within {STOP_TIMEOUT:g}s: killed", err=True)
    if ended is not None:
        sys.exit(ended[1] or 1)
    click.echo("orderloom run: the app and the worker stopped")
    sys.exit(max(codes.values()))


def _describe_demo_actor(item: Any) -> str:
    get = item.get if isinstance(item, dict) else lambda key, default=None: getattr(item, key, default)
    roles = ",".join(sorted(get("roles", ()) or ()))
    departments = ",".join(sorted(get("departments", ()) or ()))
    who = get("display_name")
    shown = f"{get('name')} / {get('password')}: {roles} @ {departments}"
    return f"{shown}  ({who})" if who else shown


@main.group()
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
        "pending": ("next try", message.next_attempt_at),
        "sent": ("sent", message.sent_at),
        "dead": ("dead since", message.dead_at),
        "internal": ("written", message.created_at),
    }[message.status]
    at = when[1].isoformat(timespec="seconds") if when[1] else "-"
    error = f"  {_short(message.last_error)}" if message.last_error and message.status != "sent" else ""
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
    with _services(ctx) as services:
        counts = services.engine.outbox_counts(operator)
        found = services.engine.outbox_messages(
            operator, status=status, topic=topic, limit=limit, offset=offset
        )
    click.echo(f"outbox: {counts['pending']} pending, {counts['dead']} dead letter(s)", err=True)
    for message in found:
        click.echo(_message_row(message))
    if not found:
        click.echo("no messages match", err=True)


@outbox.command("show")
@click.argument("message_id", type=int)
@click.pass_context
def outbox_show(ctx: click.Context, message_id: int) -> None:
    """Show one message: its topic, payload, status, attempts and last error."""
    with _services(ctx) as services:
        try:
            message = services.engine.outbox_message(message_id, _operator("operator"))
        except EngineError as error:
            _fail(error, "en")
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
        _echo_json({**shown, "unreadable": str(message.unreadable)})
    else:
        _echo_json({**shown, "payload": message.payload})


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
    with _services(ctx) as services:
        try:
            if all_dead:
                count = services.engine.replay_dead_letters(operator, topic)
            else:
                count = services.engine.replay_outbox(list(message_ids), operator)
        except EngineError as error:
            _fail(error, "en")
    click.echo(f"replayed {count} message(s): a worker delivers them at its next round")


@main.group()
def users() -> None:
    """Web logins: add a user with roles and departments, change a password, list them."""


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help="A role (repeat for more).")
@click.option(
    "--department", "departments", multiple=True, required=True, help='A department (repeat; "*" for all).'
)
@click.option("--display-name", default=None, help="The name shown in the page header.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.pass_context
def users_add(
    ctx: click.Context,
    name: str,
    roles: tuple[str, ...],
    departments: tuple[str, ...],
    display_name: str | None,
    password_stdin: bool,
) -> None:
    """Add a web login NAME; the password is asked for (twice), or read from stdin."""
    from web.users import create_user  # hashing loads when used: keeps `orderloom --help` fast

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        click.echo("error: a password needs at least 8 characters", err=True)
        sys.exit(1)
    with _services(ctx, migrated=False) as services:
        services.store.upgrade()
        try:
            user = create_user(
                services.store,
                name=name,
                password=password,
                roles=roles,
                departments=departments,
                at=services.engine.clock.now(),
                display_name=display_name,
            )
        except UserExists:
            click.echo(f"error: a user named {name!r} exists already", err=True)
            sys.exit(1)
    click.echo(f"user {user.name} added: {','.join(user.roles)} @ {','.join(user.departments)}")


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.pass_context
def users_password(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Give the web login NAME a new password; every session of NAME ends (on every web process)."""
    from web.users import MIN_PASSWORD, change_password  # keeps `orderloom --help` fast

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("new password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        click.echo(f"error: a password needs at least {MIN_PASSWORD} characters", err=True)
        sys.exit(1)
    with _services(ctx) as services:
        ended = change_password(services.store, name, password)
    if ended is None:
        click.echo(f"error: there is no user named {name!r} (`orderloom users list` lists them)", err=True)
        sys.exit(1)
    click.echo(f"password of {name} changed; {ended} session(s) ended")


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """List the web logins: name, roles @ departments, whether active (never a password or hash)."""
    with _services(ctx, migrated=False) as services:
        services.store.upgrade()
        found = list_users(services.store)
    if not found:
        click.echo("no users yet: `orderloom users add NAME --role … --department …`, or `orderloom demo`")
        return
    for user in found:
        state = "" if user.active else "  (inactive)"
        shown = f" ({user.display_name})" if user.display_name != user.name else ""
        click.echo(f"{user.name}{shown}: {','.join(user.roles)} @ {','.join(user.departments)}{state}")


@main.group()
def accounts() -> None:
    """Business customers' accounts: the record a wholesale order takes its credit limit, balance
    outstanding, standing and tier from (docs/departments.md)."""


@accounts.command("set")
@click.argument("account_no")
@click.option("--department", required=True, help="The department whose account it is (wholesale).")
@click.option("--company", required=True, help="The company's name.")
@click.option("--credit-limit", required=True, type=click.FloatRange(min=0), help="Credit limit in yuan.")
@click.option(
    "--outstanding", default=0.0, show_default=True, type=click.FloatRange(min=0), help="Yuan owed."
)
@click.option("--overdue-days", default=0, show_default=True, type=click.IntRange(min=0), help="Oldest debt.")
@click.option(
    "--status",
    default="active",
    show_default=True,
    type=click.Choice([status.value for status in AccountStatus]),
)
@click.option("--tier", default=None, type=click.Choice([tier.value for tier in AccountTier]))
@click.option("--tax-id", default=None, help="The unified social credit code.")
@click.option("--lang", default="en", type=click.Choice(["en", "zh"]), help="Language of messages.")
@click.pass_context
def accounts_set(
    ctx: click.Context,
    account_no: str,
    department: str,
    company: str,
    credit_limit: float,
    outstanding: float,
    overdue_days: int,
    status: str,
    tier: str | None,
    tax_id: str | None,
    lang: str,
) -> None:
    """Store account ACCOUNT_NO of a department, or its new figures: orders placed from now on take them.

    The record is checked against the forms of the department's published workflows (the account
    number, company and tax id as their data and intake forms take them); nothing is stored when it
    does not fit."""
    account = CustomerAccount(
        department, account_no, company, credit_limit, outstanding, overdue_days, status, tax_id, tier
    )
    with _services(ctx) as services:
        try:
            stored = put_account(services.store, account, services.engine.clock.now())
        except AccountRefused as refused:
            heading = translate("cli.refused_heading", lang).format(headline=refused.headline.get(lang))
            click.echo(translate("cli.error", lang).format(message=heading), err=True)
            for problem in refused.problems:
                field = _ACCOUNT_OPTIONS.get(problem.field, problem.field)
                said = problem.zh if lang == "zh" else problem.en
                line = translate("cli.field_problem", lang).format(field=field, problem=said)
                if problem.forms:
                    forms = translate("cli.list_separator", lang).join(problem.forms)
                    line += translate("cli.in_forms", lang).format(forms=forms)
                click.echo(line, err=True)
            sys.exit(1)
        except EngineError as error:  # a published version this code cannot read, say
            _fail(error, lang)
    done = "cli.account.added" if stored.created else "cli.account.updated"
    record = _account_line(account, lang)
    click.echo(translate(done, lang).format(account_no=account_no, department=department, record=record))
    if stored.checked:
        forms = translate("cli.list_separator", lang).join(stored.checked)
        click.echo(translate("cli.account.checked", lang).format(forms=forms))
    else:
        said = ONLY_THE_RECORD.get(lang).format(department=department)
        click.echo(translate("cli.note", lang).format(message=said))


# The option of ``accounts set`` that gives each field of a record (the number is its argument).
_ACCOUNT_OPTIONS = {
    "account_no": "ACCOUNT_NO",
    "department": "--department",
    "company": "--company",
    "credit_limit": "--credit-limit",
    "outstanding": "--outstanding",
    "overdue_days": "--overdue-days",
    "status": "--status",
    "tier": "--tier",
    "tax_id": "--tax-id",
}


@accounts.command("list")
@click.option("--department", default=None, help="Only this department's accounts.")
@click.option("--lang", default="en", type=click.Choice(["en", "zh"]), help="Language of messages.")
@click.pass_context
def accounts_list(ctx: click.Context, department: str | None, lang: str) -> None:
    """List the accounts: number, company, credit limit, outstanding, standing."""
    with _services(ctx) as services:
        found = list_accounts(services.store, department)
    if not found:
        click.echo(
            "no accounts yet: `orderloom accounts set NUMBER --department … --company … --credit-limit …`"
        )
        return
    for account in found:
        record = _account_line(account, lang)
        click.echo(
            translate("cli.account.listed", lang).format(
                department=account.department, account_no=account.account_no, record=record
            )
        )


def _account_line(account: CustomerAccount, lang: str) -> str:
    """An account's figures in one line: ``ACME, credit limit 500000.00, outstanding …, watch, tier gold``."""
    extra = "".join(
        translate(f"cli.account.{name}", lang).format(**{name: value})
        for name, value in (("tier", account.tier), ("tax_id", account.tax_id))
        if value
    )
    return translate("cli.account.record", lang).format(
        company=account.company,
        credit_limit=f"{account.credit_limit:.2f}",
        outstanding=f"{account.outstanding:.2f}",
        overdue_days=account.overdue_days,
        status=account.status,
        extra=extra,
    )


@main.group()
def rules() -> None:
    """Test rule files before publishing them: scenario cases, and a replay over recent orders."""


def _evaluable(ctx: click.Context, path: Path) -> tuple[Any, dict[str, Any], str]:
    """A rule file that decides over one order, compiled: (rule set, its document, its shown path)."""
    shown = shown_path(path, _settings(ctx).definitions_root)
    tree, problems = check_rules_file(path, shown)
    if tree is None:
        _print_problems(problems)
        errors = [p for p in problems if p.severity == "error"]
        click.echo(f"{len(errors)} error(s) found.", err=True)
        sys.exit(1)
    _print_problems(problems)  # warnings: shown, and the rule set still runs
    if tree.get("kind") not in EVALUATED_KINDS:
        kinds = ", ".join(sorted(EVALUATED_KINDS))
        click.echo(
            f"{shown}:1:1: error: a rule set of kind {tree.get('kind')!r} does not decide over one order; "
            f"only these kinds can be tested: {kinds}",
            err=True,
        )
        sys.exit(1)
    return compile_ruleset(tree, shown), dict(tree), shown


@rules.command("test")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--cases",
    "cases_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The cases file (default: FILE's name with .cases.yaml, beside it).",
)
@click.option("--strict", is_flag=True, help="Also fail when a rule was not seen both matching and not.")
@click.pass_context
def rules_test(ctx: click.Context, file: Path, cases_path: Path | None, strict: bool) -> None:
    """Run the scenario cases of rule file FILE; report failures and the rules no case exercised."""
    ruleset, doc, _shown = _evaluable(ctx, file)
    if cases_path is None:
        cases_path = file.with_name(file.name.removesuffix(file.suffix) + CASES_SUFFIX)
        if not cases_path.is_file():
            raise click.UsageError(f"no cases file {cases_path} beside the rule file; name one with --cases")
    cases = load_cases_file(cases_path, shown_path(cases_path, _settings(ctx).definitions_root))
    rule_names = declared_rules(doc)
    problems = list(cases.problems) or check_cases(cases, ruleset, rule_names)
    if problems:
        _print_problems(problems)
        click.echo(f"{len(problems)} error(s) found.", err=True)
        sys.exit(1)
    results = run_cases(ruleset, cases.cases)
    for result in results:
        click.echo(result.describe())
    failed = sum(1 for result in results if not result.passed)
    click.echo(f"{ruleset.name} (version {ruleset.version}): {len(results) - failed} passed, {failed} failed")
    covered = coverage(results, rule_names)
    click.echo(covered.describe())
    if not covered.complete and strict:
        click.echo(
            "error: --strict: every rule must be seen matching in one case and not in another", err=True
        )
    if failed or (strict and not covered.complete):
        sys.exit(1)


@rules.command("replay")
@click.argument("draft", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--last", default=100, show_default=True, type=click.IntRange(1, 10_000), help="How many orders."
)
@click.option("--department", default=None, help="Only orders of this department.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_actor
@click.pass_context
def rules_replay(
    ctx: click.Context,
    draft: Path,
    last: int,
    department: str | None,
    as_json: bool,
    actor: Actor,
    lang: str,
) -> None:
    """Evaluate the DRAFT rule file over the newest orders that run its published version; show what changes.

    Only orders whose published workflow version uses a rule set of the same name count; each is compared
    with the version it runs on, over its current data.
    """
    ruleset, _doc, _shown = _evaluable(ctx, draft)
    with _services(ctx) as services:
        try:
            found = orders_for_replay(services.engine, ruleset.name, actor, last=last, department=department)
            report = replay(ruleset, found)
        except EngineError as error:
            _fail(error, lang)
    if as_json:
        _echo_json(report.to_dict())
        return
    if not report.orders:
        click.echo(f"{ruleset.name}: no order you may see runs a published version of this rule set")
        return
    click.echo(
        f"{ruleset.name}: draft version {ruleset.version} over the last {report.orders} order(s): "
        f"{len(report.changes)} would change"
    )
    for (old, new), count in sorted(report.counts.items()):
        click.echo(f"  {old} -> {new}: {count}")
    for change in report.changes:
        shown = change.to_dict()
        before, after = shown["old"], shown["new"]
        spoke = f"published: {_names(before['rules'])}; draft: {_names(after['rules'])}"
        click.echo(f"  #{change.order_id} {change.department}: {_said(before)} -> {_said(after)} ({spoke})")


def _names(rules: Sequence[str]) -> str:
    return ", ".join(rules) or "none"


def _said(summary: dict[str, Any]) -> str:
    """``hold (risk-review)``: an outcome with its queue, and routing's or a table's outputs."""
    text = str(summary["outcome"])
    if summary.get("queue"):
        text += f" ({summary['queue']})"
    if summary.get("outputs"):
        text += " " + json.dumps(summary["outputs"], ensure_ascii=False, sort_keys=True)
    return text


@main.group("forms")
def forms_group() -> None:
    """Forms: see a form as clerks will (docs/forms-rendering.md)."""


@forms_group.command("preview")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The HTML file."
)
@click.option("--lang", default="zh", show_default=True, type=click.Choice(["zh", "en"]))
@click.option(
    "--data",
    "data_file",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON file of data to fill the form with (its errors are shown beside their fields).",
)
@click.pass_context
def forms_preview(ctx: click.Context, file: Path, output: Path, lang: str, data_file: Path | None) -> None:
    """Write FILE (forms/<department>/<name>.json, with its UI file beside it) as one HTML page that
    opens on its own: the CSS inlined, no script, computed fields computed."""
    # Jinja and the form renderer load for a preview alone: keeps `orderloom --help` fast
    from web.forms import compile_form, render_standalone, source_options

    if file.name.endswith(".ui.json"):
        raise click.BadParameter("give the form's data file (<name>.json); its UI file is read beside it")
    with _plugins_checked(ctx):
        registry = OptionSourceRegistry.from_entry_points()
    try:
        compiled = compile_form(file.resolve(), registry.names, shown=str(file))
    except DefinitionError as error:
        _print_problems(error.problems)
        click.echo(f"error: {file} cannot be shown; nothing was written", err=True)
        sys.exit(1)
    except ValueError as error:  # not JSON
        click.echo(f"{file}:1:1: error: not a JSON form file: {error}", err=True)
        sys.exit(1)
    data = _json_option(f"@{data_file}", lang=lang) if data_file is not None else {}
    folder = file.resolve().parent.parent
    root = folder.parent if folder.name == "forms" else _settings(ctx).definitions_root
    # No database here: sources that read tables (products, customers, accounts) offer nothing, and the
    # page shows a text box for their fields.
    options_for, close = source_options(registry, compiled.department, root, None)
    try:
        html = render_standalone(compiled, data, lang, options_for)
    finally:
        close()
    output.write_text(html, encoding="utf-8")
    errors = len(compiled.validator.messages(compiled.layout.prepare(data), compiled.layout)) if data else 0
    note = f"; the data has {errors} error(s), shown beside their fields" if errors else ""
    click.echo(f"wrote {output} ({compiled.layout.title.get(lang)}{note})")
