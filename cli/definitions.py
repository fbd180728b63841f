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
    """Check workflow, form and rule files (or folders); print every problem as path:line:col."""
    root = settings_of(ctx).definitions_root
    targets = list(paths) or [root / "workflows", root / "forms", root / "rules"]
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
    with open_services(ctx) as services:
        try:
            plan = services.engine.migrate(
                workflow, to_version, mapping, dry_run=dry_run, actor=actor_of(actor_name, (), ())
            )
        except EngineError as error:
            fail(error, lang)
    said = translate("cli.migrate.would_move" if dry_run else "cli.migrate.moved", lang)
    click.echo(
        said.format(workflow=workflow, version=to_version, moves=len(plan.moves), blocked=len(plan.blocked))
    )
    for move in plan.moves:
        click.echo(f"  move  #{move['order_id']}: {json.dumps(move, ensure_ascii=False, default=str)}")
    for blocked in plan.blocked:
        click.echo(f"  stay  #{blocked['order_id']}: {blocked.get(lang, '')}")
