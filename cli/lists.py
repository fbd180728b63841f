"""`orderloom lists`: a department's managed lists — blocked addresses, blocked mobiles, VIP customers,
restricted SKUs — kept as data and named by rules (``in_list('blocked-mobiles', …)``)."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from cli.common import LANG, fail, field_problem, open_services, refuse
from engine.api import translate
from engine.api.named_lists import KIND_WORDS, ListKind, ListRefused, ListShown, NamedLists
from engine.errors import EngineError

DEPARTMENT = click.option("--department", required=True, help="The department whose list it is (retail).")
BY = click.option("--by", "actor", default="cli", show_default=True, help="Who makes the change (recorded).")
# The option or argument of each field a refusal names.
_FIELDS = {
    "name": "NAME",
    "kind": "--kind",
    "label_zh": "--label-zh",
    "label_en": "--label-en",
    "value": "VALUE",
}


def _say(word: str, lang: str, **values: object) -> str:
    return translate(f"cli.lists.{word}", lang).format(**values)


def _refused(refused: ListRefused, lang: str) -> NoReturn:
    fields = [(_FIELDS.get(p.field, p.field), p.text(lang)) for p in refused.problems]
    refuse(_say("refused", lang), lang, (field_problem(field, text, lang) for field, text in fields))


@click.group()
def lists() -> None:
    """Managed lists: values kept as data, matched after normalising (an address with or without its
    province's and city's suffixes and spaces is one address; +86 138-0000-0000 is 13800000000). Rule
    files declare the lists they name (``lists:``) and publishing creates them empty; these commands fill
    them (docs/expressions.md)."""


@lists.command("create")
@click.argument("name")
@DEPARTMENT
@click.option("--kind", required=True, type=click.Choice([k.value for k in ListKind]), help="What it holds.")
@click.option("--label-zh", required=True, help="Its name in Chinese.")
@click.option("--label-en", required=True, help="Its name in English.")
@BY
@LANG
@click.pass_context
def lists_create(
    ctx: click.Context,
    name: str,
    department: str,
    kind: str,
    label_zh: str,
    label_en: str,
    actor: str,
    lang: str,
) -> None:
    """Create the list NAME of a department (empty)."""
    with open_services(ctx) as services:
        try:
            made = NamedLists(services.store, services.engine.clock).create(
                department, name, kind, label_zh, label_en, actor
            )
        except ListRefused as refused:
            _refused(refused, lang)
            return
    kind_word = KIND_WORDS[made.kind].get(lang)
    click.echo(_say("created", lang, name=made.name, department=department, kind=kind_word))


@lists.command("list")
@DEPARTMENT
@LANG
@click.pass_context
def lists_list(ctx: click.Context, department: str, lang: str) -> None:
    """The department's lists: name, kind, label and how many values each holds."""
    with open_services(ctx) as services:
        found = NamedLists(services.store, services.engine.clock).lists(department)
    if not found:
        click.echo(_say("none", lang, department=department))
        return
    for named in found:
        label = named.label_zh if lang == "zh" else named.label_en
        count = _say("count", lang, n=named.entries)
        click.echo(f"{named.name}\t{KIND_WORDS[named.kind].get(lang)}\t{label}\t{count}")


@lists.command("show")
@click.argument("name")
@DEPARTMENT
@click.option("--search", default="", help="Only the values matching this (normalised as the list's kind).")
@click.option("--changes/--no-changes", default=True, show_default=True, help="Also its latest changes.")
@LANG
@click.pass_context
def lists_show(ctx: click.Context, name: str, department: str, search: str, changes: bool, lang: str) -> None:
    """The list NAME: its values (as typed, with their notes, who added them and when) and its changes."""
    with open_services(ctx) as services:
        try:
            shown = NamedLists(services.store, services.engine.clock).show(department, name, search)
        except ListRefused as refused:
            _refused(refused, lang)
            return
    _print_shown(shown, changes, lang)


def _print_shown(shown: ListShown, changes: bool, lang: str) -> None:
    named = shown.named
    label = named.label_zh if lang == "zh" else named.label_en
    click.echo(f"{named.name} — {label} ({KIND_WORDS[named.kind].get(lang)})")
    if not shown.entries:
        click.echo(_say("no_values", lang))
    for entry in shown.entries:
        note = f"\t{entry.note}" if entry.note else ""
        click.echo(f"  {entry.value}\t[{entry.key}]\t{entry.added_by}\t{entry.added_at:%Y-%m-%d %H:%M}{note}")
    if changes and shown.changes:
        click.echo(_say("changes", lang))
        for change in shown.changes:
            action = translate(f"studio.lists.action.{change.action}", lang)
            value = f" {change.value}" if change.value else ""
            click.echo(f"  {change.at:%Y-%m-%d %H:%M}\t{change.actor}\t{action}{value}")


@lists.command("add")
@click.argument("name")
@click.argument("value")
@DEPARTMENT
@click.option("--note", default=None, help="Why it is on the list.")
@click.option(
    "--force",
    is_flag=True,
    help="A SKU list: add a SKU the product catalogue does not hold (a product not catalogued yet).",
)
@BY
@LANG
@click.pass_context
def lists_add(
    ctx: click.Context,
    name: str,
    value: str,
    department: str,
    note: str | None,
    force: bool,
    actor: str,
    lang: str,
) -> None:
    """Add VALUE to the list NAME (refused when the list holds it already, under any spelling; a SKU
    list refuses a SKU the product catalogue does not hold, unless --force)."""
    with open_services(ctx) as services:
        try:
            entry = NamedLists(services.store, services.engine.clock).add(
                department, name, value, actor, note, force=force
            )
        except ListRefused as refused:
            _refused(refused, lang)
            return
    click.echo(_say("added", lang, value=entry.value, key=entry.key, name=name))


@lists.command("remove")
@click.argument("name")
@click.argument("value")
@DEPARTMENT
@BY
@LANG
@click.pass_context
def lists_remove(ctx: click.Context, name: str, value: str, department: str, actor: str, lang: str) -> None:
    """Remove from the list NAME the value VALUE matches after normalising."""
    with open_services(ctx) as services:
        try:
            entry = NamedLists(services.store, services.engine.clock).remove(department, name, value, actor)
        except ListRefused as refused:
            _refused(refused, lang)
            return
    click.echo(_say("removed", lang, value=entry.value, name=name))


@lists.command("import")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@DEPARTMENT
@click.option(
    "--force",
    is_flag=True,
    help="A SKU list: add a SKU the product catalogue does not hold (a product not catalogued yet).",
)
@BY
@LANG
@click.pass_context
def lists_import(
    ctx: click.Context, name: str, file: Path, department: str, force: bool, actor: str, lang: str
) -> None:
    """Add the values of FILE (text or CSV, UTF-8): a value a line, a note after a comma; blank lines and
    lines starting with # skipped; a first line ``value,note`` is a header. Every bad line is reported
    with its number, and nothing is added unless every line is good."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        refuse(_say("unreadable", lang, file=file, error=error), lang)
    with open_services(ctx) as services:
        try:
            added = NamedLists(services.store, services.engine.clock).import_text(
                department, name, text, actor, force=force
            )
        except ListRefused as refused:
            refuse(
                _say("not_imported", lang, file=file),
                lang,
                [
                    (f"{file}:{p.line}: " if p.line else f"{file}: ") + p.words.get(lang)
                    for p in refused.problems
                ],
            )
        except EngineError as error:
            fail(error, lang)
    click.echo(_say("imported", lang, n=len(added), name=name))
