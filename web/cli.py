"""The ``orderloom`` command line: validate, publish, versions, migrate, orders, worker, demo, serve,
users, accounts."""

from __future__ import annotations

import functools
import json
import os
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from engine.errors import DefinitionError, EngineError, Problem, TransitionRejected
from engine.runtime import ALL_DEPARTMENTS, Actor
from web.settings import Settings
from web.wiring import Services, build_services


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
    services = build_services(settings)
    try:
        yield services
    except OperationalError as error:  # the database refused (read-only, locked, gone): say so plainly
        shown = make_url(settings.database_url).render_as_string(hide_password=True)
        click.echo(f"error: the database {shown} refused: {error.orig or error}", err=True)
        sys.exit(1)
    finally:
        services.close()


def _engine_for(settings: Settings) -> Any:
    """An engine on the configured database, or a message (not a traceback) when the URL cannot be used:
    not a URL, or a database whose driver is not installed."""
    from sqlalchemy import create_engine

    try:
        return create_engine(make_url(settings.database_url))
    except (SQLAlchemyError, ImportError) as error:
        click.echo(f"error: cannot use the database URL: {error.__class__.__name__}: {error}", err=True)
        sys.exit(1)


def _require_schema(settings: Settings) -> None:
    """Stop with a message (not a traceback) when the database is missing or its schema is not the newest."""
    from engine.store.migrate import schema_problem

    engine = _engine_for(settings)
    url = engine.url
    shown = url.render_as_string(hide_password=True)
    advice = "run `orderloom db upgrade` (`make run` does it)"
    database = url.database
    is_file = url.get_backend_name() == "sqlite" and database and database != ":memory:"
    if is_file and not str(database).startswith("file:") and not Path(str(database)).exists():
        engine.dispose()
        click.echo(f"error: there is no database at {database} yet: {advice}", err=True)
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


def _json_option(value: str | None, option: str = "--data") -> dict[str, Any]:
    """Data given inline as JSON, or as ``@file.json``; a problem names ``option``."""
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
    return parsed


def _refuse_constant(name: str) -> Any:
    """JSON has no NaN or Infinity: Python's reader accepts them, an order's data must not."""
    raise ValueError(f"{name} is not a number JSON allows")


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _fail(error: EngineError, lang: str) -> None:
    if isinstance(error, TransitionRejected):
        click.echo(f"error: {error.message(lang)}", err=True)
        for refusal in error.refusals:
            if refusal.details:
                click.echo(f"  {refusal.code}: {json.dumps(refusal.details, ensure_ascii=False)}", err=True)
    elif isinstance(error, DefinitionError):
        _print_problems(error.problems)
    else:
        # EngineError's own message(lang): an ExpressionError hides it behind its ``message`` text.
        click.echo(f"error: {EngineError.message(error, lang)}", err=True)
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
    from engine.dsl.validate import validate_paths
    from engine.plugins import PluginRegistry

    root = _settings(ctx).definitions_root
    targets = list(paths) or [root / "workflows", root / "forms", root / "rules"]
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
    """Apply the database migrations (creates the SQLite file under var/ when needed)."""
    with _services(ctx, migrated=False) as services:
        services.store.upgrade()
    shown = make_url(_settings(ctx).database_url).render_as_string(hide_password=True)
    click.echo(f"database is up to date: {shown}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--as", "actor_name", default="operator", show_default=True)
@click.pass_context
def publish(ctx: click.Context, files: tuple[Path, ...], actor_name: str) -> None:
    """Publish workflow files as immutable numbered versions (the same content twice is one version).

    Every file is checked first, and so is every overlay that extends one of them: if anything has a
    problem, nothing is published.
    """
    from engine.dsl.compiler import dependents, load_bundle
    from engine.dsl.validate import validate_file

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
                data=_json_option(data),
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
                data=_json_option(data),
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
@click.option("--once", is_flag=True, help="Fire what is due now and exit.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds to wait when nothing is due.")
@click.option("--batch", default=100, show_default=True, help="Timers and outbox messages claimed per round.")
@click.pass_context
def worker(ctx: click.Context, worker_id: str | None, once: bool, interval: float, batch: int) -> None:
    """Fire due timers and deliver the outbox. Run as many workers as you like: each due timer fires once.

    Outbox e-mail goes to the SMTP server in ORDERLOOM_SMTP_URL (smtp://host:port); without it the
    outbox is left unsent.
    """
    from web.outbox import MailSender, SmtpServer

    name = worker_id or f"{socket.gethostname()}:{os.getpid()}"
    settings = _settings(ctx)
    send: MailSender | None = None
    if settings.smtp_url:
        try:
            server = SmtpServer.from_url(settings.smtp_url)
        except ValueError as error:
            raise click.UsageError(str(error)) from None
        send = MailSender(server, settings.mail_from, settings.mail_to)
        click.echo(f"{name}: outbox e-mail goes to {server.host}:{server.port}")
    else:
        click.echo(f"{name}: outbox delivery is off (ORDERLOOM_SMTP_URL is not set); messages stay unsent")
    from engine.rules.correlation import CorrelationFeed, load_correlation_rulesets
    from engine.store.reports import fold_order_counts

    try:
        # Correlation rule sets: every `kind: correlation` file under the definitions root's rules/.
        correlation_rulesets = load_correlation_rulesets(settings.definitions_root)
    except EngineError as error:
        _fail(error, "en")
    with _services(ctx) as services:
        correlate = CorrelationFeed(services.engine, correlation_rulesets, name)
        fired_total = sent_total = matched_total = 0
        while True:
            fired = services.engine.run_due_timers(name, limit=batch)
            correlated = correlate.round()
            sent = services.engine.dispatch_outbox(name, send, limit=batch) if send is not None else 0
            fold_order_counts(services.store, services.engine.clock.now())  # at most every few seconds
            fired_total += fired
            sent_total += sent
            matched_total += correlated.matches
            if once:
                click.echo(
                    f"{name}: fired {fired_total} timer(s), sent {sent_total} message(s), "
                    f"{matched_total} correlation match(es)"
                )
                return
            if fired == 0 and sent == 0 and correlated.events == 0:
                time.sleep(interval)


@main.command()
@click.option("--orders", "count", default=300, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--seed", default=7, show_default=True)
@click.option("--if-empty", is_flag=True, help="Succeed doing nothing when the database has orders.")
@click.option("--append", is_flag=True, help="Add demo orders to a database that already has orders.")
@click.pass_context
def demo(ctx: click.Context, count: int, seed: int, if_empty: bool, append: bool) -> None:
    """Load the three shipped departments with realistic demo orders in every state."""
    from web.demo import ensure_demo_users, load_demo

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
    """Start the web app."""
    from web.app import create_app
    from web.settings import UNSET_SECRET_KEY

    settings = _settings(ctx)
    _require_schema(settings)
    if settings.secret_key == UNSET_SECRET_KEY:
        kept = settings.definitions_root / "var" / "secret_key"
        click.echo(f"session key: {kept} (set ORDERLOOM_SECRET_KEY to use another)")
    app = create_app(settings)
    click.echo(f"OrderLoom is running at http://{host}:{port}/")
    try:
        from web.demo import DEMO_ACTORS
    except ImportError:  # pragma: no cover - the demo module ships with the app
        DEMO_ACTORS = []
    if DEMO_ACTORS:
        click.echo("demo logins (user / password: roles @ departments):")
        for demo_actor in DEMO_ACTORS:
            click.echo(f"  {_describe_demo_actor(demo_actor)}")
    app.run(host=host, port=port, debug=False, use_reloader=False)


def _describe_demo_actor(item: Any) -> str:
    get = item.get if isinstance(item, dict) else lambda key, default=None: getattr(item, key, default)
    roles = ",".join(sorted(get("roles", ()) or ()))
    departments = ",".join(sorted(get("departments", ()) or ()))
    who = get("display_name")
    shown = f"{get('name')} / {get('password')}: {roles} @ {departments}"
    return f"{shown}  ({who})" if who else shown


@main.group()
def users() -> None:
    """Web logins: add a user with roles and departments, list them."""


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
    from web.users import UserExists, create_user

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


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """List the web logins: name, roles @ departments, whether active (never a password or hash)."""
    from engine.store.users import list_users

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
    "--status", default="active", show_default=True, type=click.Choice(["active", "watch", "blocked"])
)
@click.option("--tier", default=None, type=click.Choice(["standard", "silver", "gold", "platinum"]))
@click.option("--tax-id", default=None, help="The unified social credit code.")
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
) -> None:
    """Store account ACCOUNT_NO of a department, or its new figures: orders placed from now on take them."""
    from engine.store.accounts import CustomerAccount, put_account

    account = CustomerAccount(
        department, account_no, company, credit_limit, outstanding, overdue_days, status, tax_id, tier
    )
    with _services(ctx) as services:
        try:
            created = put_account(services.store, account, services.engine.clock.now())
        except ValueError as error:
            click.echo(f"error: account {account_no} was not stored: {error}", err=True)
            sys.exit(1)
    click.echo(
        f"account {account_no} of {department} {'added' if created else 'updated'}: {_account_line(account)}"
    )


@accounts.command("list")
@click.option("--department", default=None, help="Only this department's accounts.")
@click.pass_context
def accounts_list(ctx: click.Context, department: str | None) -> None:
    """List the accounts: number, company, credit limit, outstanding, standing."""
    from engine.store.accounts import list_accounts

    with _services(ctx) as services:
        found = list_accounts(services.store, department)
    if not found:
        click.echo(
            "no accounts yet: `orderloom accounts set NUMBER --department … --company … --credit-limit …`"
        )
        return
    for account in found:
        click.echo(f"{account.department} {account.account_no}: {_account_line(account)}")


def _account_line(account: Any) -> str:
    extra = "".join(
        f", {name} {value}" for name, value in (("tier", account.tier), ("tax id", account.tax_id)) if value
    )
    return (
        f"{account.company}, credit limit {account.credit_limit:.2f}, outstanding {account.outstanding:.2f}, "
        f"{account.overdue_days} day(s) overdue, {account.status}{extra}"
    )


@main.group()
def rules() -> None:
    """Test rule files before publishing them: scenario cases, and a replay over recent orders."""


def _evaluable(ctx: click.Context, path: Path) -> tuple[Any, dict[str, Any], str]:
    """A rule file that decides over one order, compiled: (rule set, its document, its shown path)."""
    from engine.dsl.validate import _display, check_rules_file
    from engine.rules.ruleset import EVALUATED_KINDS, compile_ruleset

    shown = _display(path, _settings(ctx).definitions_root)
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
    from engine.dsl.validate import _display
    from engine.rules.testing import (
        CASES_SUFFIX,
        check_cases,
        coverage,
        declared_rules,
        load_cases_file,
        run_cases,
    )

    ruleset, doc, _shown = _evaluable(ctx, file)
    if cases_path is None:
        cases_path = file.with_name(file.name.removesuffix(file.suffix) + CASES_SUFFIX)
        if not cases_path.is_file():
            raise click.UsageError(f"no cases file {cases_path} beside the rule file; name one with --cases")
    cases = load_cases_file(cases_path, _display(cases_path, _settings(ctx).definitions_root))
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
    from engine.rules.testing import orders_for_replay, replay

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
    from engine.plugins import OptionSourceRegistry
    from web.forms import compile_form, render_standalone, source_options

    if file.name.endswith(".ui.json"):
        raise click.BadParameter("give the form's data file (<name>.json); its UI file is read beside it")
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
    data = _json_option(f"@{data_file}") if data_file is not None else {}
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
