"""Definitions: `validate` workflow, form and rule files, `publish` workflows as numbered versions,
list their `versions`, and `migrate` unfinished orders onto another version."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cli.common import actor_of, echo_json, fail, open_services, plugins_checked, print_problems, settings_of
from engine.api import PluginRegistry, translate
from engine.api.definitions import (
    VersionMeta,
    bundle_sources,
    dependents,
    load_bundle,
    validate_file,
    validate_paths,
)
from engine.api.studio import MAX_BATCH, check_batch
from engine.errors import EngineError, Problem


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one path:line:col line per problem, as editors and CI read them; json: one JSON list of "
    "the problems (file, line, column, json_path, severity, kind, code, text, suggestion, hint, message).",
)
@click.option(
    "--lang", default="en", show_default=True, type=click.Choice(["en", "zh"]), help="The problems' language."
)
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...], output: str, lang: str) -> None:
    """Check workflow, form, rule and scenario files (or folders); print every problem as path:line:col.

    With no PATHS: the definitions root's workflows/, forms/, rules/ and scenarios/."""
    root = settings_of(ctx).definitions_root
    targets = list(paths) or [root / "workflows", root / "forms", root / "rules"]
    if not paths and (root / "scenarios").is_dir():
        targets.append(root / "scenarios")
    with plugins_checked(ctx):
        registry = PluginRegistry.from_entry_points()
    problems = validate_paths(
        targets, root, action_names=registry.action_names, action_writes=registry.action_writes
    )
    errors = [p for p in problems if p.severity == "error"]
    if output == "json":  # the problems alone on stdout, for a program; the exit code as in text
        echo_json([problem.to_dict(lang) for problem in problems])
        sys.exit(1 if errors else 0)
    print_problems(problems, lang)
    if errors:
        click.echo(translate("cli.validate.errors", lang).format(n=len(errors)), err=True)
        sys.exit(1)
    click.echo(f"ok: {', '.join(str(p) for p in targets)}")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--as", "actor_name", default="operator", show_default=True)
@click.option("--note", default=None, help="Why these versions are published (shown with each version).")
@click.pass_context
def publish(ctx: click.Context, files: tuple[Path, ...], actor_name: str, note: str | None) -> None:
    """Publish workflow files as immutable numbered versions (the same content twice is one version).

    Every file is checked first, and so is every overlay that extends one of them: if anything has a
    problem, nothing is published.
    """
    root = settings_of(ctx).definitions_root
    with open_services(ctx) as services:
        names = services.registry.action_names
        writes = services.registry.action_writes
        try:
            bundles = [
                load_bundle(path.resolve(), root, action_names=names, action_writes=writes) for path in files
            ]
        except EngineError as error:
            click.echo("error: nothing was published", err=True)
            fail(error, "en")
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
            print_problems(broken)
            click.echo("error: nothing was published; fix the overlays above first", err=True)
            sys.exit(1)
        for bundle in bundles:
            meta = VersionMeta(note=note, sources=bundle_sources(bundle, root))
            published = services.engine.publish(bundle, actor_of(actor_name, (), ()), meta)
            note = "published" if published.created else "unchanged, already"
            digest = published.content_hash[:12]
            click.echo(f"{published.workflow}: {note} version {published.version} (sha256 {digest})")


@click.command()
@click.argument("workflow")
@click.pass_context
def versions(ctx: click.Context, workflow: str) -> None:
    """List the published versions of a workflow."""
    with open_services(ctx) as services:
        found = services.engine.versions(workflow)
    if not found:
        click.echo(f"error: no published version of {workflow!r}", err=True)
        sys.exit(1)
    for item in found:
        click.echo(f"v{item.version}  sha256 {item.content_hash}")


@click.command()
@click.argument("workflow")
@click.option("--to", "to_version", type=int, required=True, help="The version to move orders onto.")
@click.option(
    "--from",
    "from_version",
    type=int,
    default=None,
    help="Only the orders on this version (another published version than --to); all others by default.",
)
@click.option("--map", "mappings", multiple=True, help="old=new: place orders of a removed state.")
@click.option(
    "--batch",
    type=int,
    default=None,
    help=f"Move the orders in batches of this many (1 to {MAX_BATCH}), each batch its own transaction, "
    "until none is left; all in one transaction by default.",
)
@click.option("--dry-run", is_flag=True, help="Only show which orders would move and which cannot.")
@click.option("--as", "actor_name", default="operator", show_default=True, help="Who migrates (audit trail).")
@click.option("--lang", default="en", type=click.Choice(["en", "zh"]), help="Language of messages.")
@click.pass_context
def migrate(
    ctx: click.Context,
    workflow: str,
    to_version: int,
    from_version: int | None,
    mappings: tuple[str, ...],
    batch: int | None,
    dry_run: bool,
    actor_name: str,
    lang: str,
) -> None:
    """Move unfinished orders of WORKFLOW onto another published version.

    With --batch, each batch moves the next orders able to move (by id) in its own transaction and says
    how many it moved; an order that cannot move is named once, however many batches looked at it. A
    dry run with --batch shows the whole plan and how many batches it would take.
    """
    mapping: dict[str, str] = {}
    for item in mappings:
        old, sep, new = item.partition("=")
        if not sep or not old or not new:
            raise click.BadParameter(f"{item!r}: write old=new", param_hint="--map")
        if old in mapping:
            raise click.BadParameter(f"{old!r} is mapped twice ({mapping[old]}, {new})", param_hint="--map")
        mapping[old] = new
    actor = actor_of(actor_name, (), ())
    with open_services(ctx) as services:
        engine = services.engine
        try:
            if batch is not None:
                _check_batch(batch, lang)
            if dry_run or batch is None:
                plan = engine.migrate(
                    workflow, to_version, mapping, dry_run=dry_run, actor=actor, from_version=from_version
                )
                moves, blocked = plan.moves, plan.blocked
                batches = 0
            else:
                moves, blocked, batches = [], [], 0
                stays: dict[int, dict[str, object]] = {}
                while True:
                    plan = engine.migrate(
                        workflow,
                        to_version,
                        mapping,
                        dry_run=False,
                        actor=actor,
                        from_version=from_version,
                        limit=batch,
                    )
                    for item in plan.blocked:
                        stays.setdefault(int(item["order_id"]), item)
                    if not plan.moves:
                        break
                    batches += 1
                    moves.extend(plan.moves)
                    said = translate("cli.migrate.batch", lang)
                    click.echo(said.format(batch=batches, moves=len(plan.moves)))
                # the orders still blocked at the end (one a later batch moved is not)
                moved = {int(m["order_id"]) for m in moves}
                blocked = [item for order_id, item in sorted(stays.items()) if order_id not in moved]
        except EngineError as error:
            fail(error, lang)
    key = "cli.migrate.would_move" if dry_run else "cli.migrate.moved"
    if batch is not None:
        key += "_batches"
        batches = -(-len(moves) // batch) if dry_run else batches
    said = translate(key, lang).format(
        workflow=workflow,
        version=to_version,
        moves=len(moves),
        blocked=len(blocked),
        batches=batches,
        batch=batch,
    )
    click.echo(said)
    for move in moves:
        click.echo(f"  move  #{move['order_id']}: {json.dumps(move, ensure_ascii=False, default=str)}")
    for item in blocked:
        click.echo(f"  stay  #{item['order_id']}: {item.get(lang, '')}")


def _check_batch(batch: int, lang: str) -> None:
    """Refuse a --batch out of range, naming the option, in ``lang``."""
    try:
        check_batch(batch)
    except EngineError as error:
        said = translate("cli.bad_option", lang).format(option="--batch", message=error.message(lang))
        click.echo(translate("cli.error", lang).format(message=said), err=True)
        sys.exit(2)
