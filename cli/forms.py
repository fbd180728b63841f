"""`orderloom forms`: a form previewed as clerks will see it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import json_option, plugins_checked, print_problems, settings_of
from engine.api import translate
from engine.api.forms import OptionSourceRegistry
from engine.errors import DefinitionError


@click.group("forms")
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
    with plugins_checked(ctx):
        registry = OptionSourceRegistry.from_entry_points()
    try:
        compiled = compile_form(file.resolve(), registry.names, shown=str(file))
    except DefinitionError as error:
        print_problems(error.problems)
        said = translate("cli.form.not_shown", lang).format(file=file)
        click.echo(translate("cli.error", lang).format(message=said), err=True)
        sys.exit(1)
    except ValueError as error:  # not JSON
        click.echo(f"{file}:1:1: error: not a JSON form file: {error}", err=True)
        sys.exit(1)
    data = json_option(f"@{data_file}", lang=lang) if data_file is not None else {}
    folder = file.resolve().parent.parent
    root = folder.parent if folder.name == "forms" else settings_of(ctx).definitions_root
    # No database here: sources that read tables (products, customers, accounts) offer nothing, and the
    # page shows a text box for their fields.
    options_for, close = source_options(registry, compiled.department, root, None)
    try:
        html = render_standalone(compiled, data, lang, options_for)
    finally:
        close()
    output.write_text(html, encoding="utf-8")
    errors = len(compiled.validator.messages(compiled.layout.prepare(data), compiled.layout)) if data else 0
    note = translate("cli.form.data_errors", lang).format(count=errors) if errors else ""
    title = compiled.layout.title.get(lang)
    click.echo(translate("cli.form.wrote", lang).format(output=output, title=title, note=note))
