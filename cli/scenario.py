"""`orderloom scenario run FILE…`: whole processes run from scenario files on a throw-away database with a
simulated clock (docs/scenarios.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import plugins_checked, print_problems, settings_of
from engine.api import translate
from workers.scenario import ScenarioSession

YAML_SUFFIXES = (".yaml", ".yml")


@click.group()
def scenario() -> None:
    """Scenario files: create orders, fire steps, move the clock, run the worker, check what follows."""


def scenario_files(paths: tuple[Path, ...]) -> list[Path]:
    """The files given, and the YAML files under the folders given (sorted), each once."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in YAML_SUFFIXES))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


@scenario.command("run")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--lang", default="en", show_default=True, type=click.Choice(["en", "zh"]), help="The report's language."
)
@click.pass_context
def scenario_run(ctx: click.Context, paths: tuple[Path, ...], lang: str) -> None:
    """Run scenario files (or the folders holding them), each on its own throw-away SQLite database with a
    simulated clock. Every failed expectation is printed as FILE:LINE:COL: error: expected … got …; the
    exit status is 1 when one failed, 2 when a file is malformed (nothing of it was run)."""
    files = scenario_files(paths)
    if not files:
        click.echo(
            translate("cli.scenario.none", lang).format(paths=", ".join(str(p) for p in paths)), err=True
        )
        sys.exit(2)
    passed = failed = malformed = 0
    with plugins_checked(ctx), ScenarioSession(settings_of(ctx).definitions_root) as session:
        for file in files:
            outcome = session.run_file(file)
            if outcome.problems:
                malformed += 1
                print_problems(outcome.problems, lang)
                continue
            result = outcome.result
            assert result is not None  # a file that was not malformed was run
            print_problems(result.failures, lang)
            click.echo(result.describe(lang))
            if result.passed:
                passed += 1
            else:
                failed += 1
                for line in outcome.worker:
                    click.echo(f"  {line}", err=True)
    click.echo(
        translate("cli.scenario.summary", lang).format(passed=passed, failed=failed, malformed=malformed)
    )
    if malformed:
        sys.exit(2)
    if failed:
        sys.exit(1)
