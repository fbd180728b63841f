"""The long-running processes: `worker` (timers, correlation, the outbox), `serve` (the web app) and
`run` (both, each its own process)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import click

from cli.common import fail, open_services, plugins_checked, require_schema, settings_of
from demo.loader import DEMO_ACTORS
from engine.api.correlation import SuggestAction, load_correlation_rulesets
from engine.errors import EngineError
from wiring.services import Services
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


@click.command()
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
    settings = settings_of(ctx)
    deliver = _delivery(settings, name)

    try:
        # Correlation rule sets: every `kind: correlation` file under the definitions root's rules/.
        correlation_rulesets = load_correlation_rulesets(settings.definitions_root)
    except EngineError as error:
        fail(error, "en")
    with open_services(ctx) as services:
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


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Start the web app (only: `orderloom run` starts a worker beside it). SIGTERM stops it."""
    from web.app import create_app  # Flask loads for `serve` alone: keeps `orderloom --help` fast

    settings = settings_of(ctx)
    _check_session_key(settings)
    require_schema(settings)
    if settings.secret_key == UNSET_SECRET_KEY:
        kept = settings.definitions_root / "var" / "secret_key"
        click.echo(f"session key: {kept} (set ORDERLOOM_SECRET_KEY to use another)")
    with plugins_checked(ctx):
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


@click.command("run")
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
    settings = settings_of(ctx)
    _check_session_key(settings)
    require_schema(settings)
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
    shown = f"{shown}  ({who})" if who else shown
    return f"{shown}  [API login]" if get("api") else shown
