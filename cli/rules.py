"""`orderloom rules`: rule files tested before publishing, by scenario cases and by a replay over
recent orders."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from cli.common import echo_json, fail, open_services, print_problems, settings_of, with_actor
from engine.api import Actor, translate
from engine.api.definitions import (
    CASES_SUFFIX,
    EVALUATED_KINDS,
    cases_at,
    check_cases,
    check_rules_file,
    compile_ruleset,
    coverage,
    declared_rules,
    load_cases_file,
    orders_for_replay,
    parse_moment,
    replay,
    run_cases,
    shown_path,
)
from engine.errors import EngineError


@click.group()
def rules() -> None:
    """Test rule files before publishing them: scenario cases, and a replay over recent orders."""


def _evaluable(ctx: click.Context, path: Path, lang: str = "en") -> tuple[Any, dict[str, Any], str]:
    """A rule file that decides over one order, compiled: (rule set, its document, its shown path)."""
    shown = shown_path(path, settings_of(ctx).definitions_root)
    tree, problems = check_rules_file(path, shown)
    if tree is None:
        print_problems(problems, lang)
        errors = [p for p in problems if p.severity == "error"]
        click.echo(translate("cli.validate.errors", lang).format(n=len(errors)), err=True)
        sys.exit(1)
    print_problems(problems, lang)  # warnings: shown, and the rule set still runs
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
@click.option(
    "--published",
    is_flag=True,
    help="Read FILE and its cases as published from the studio (the database's texts over the files).",
)
@click.option(
    "--at",
    "at_text",
    default=None,
    metavar="TIME",
    help="Evaluate the cases at this moment (ISO-8601 with its offset, e.g. 2026-05-01T10:00+08:00): "
    "'now', days_since() and the like read it in every case that gives no 'now' of its own.",
)
@click.option(
    "--lang", default="en", show_default=True, type=click.Choice(["en", "zh"]), help="The report's language."
)
@click.pass_context
def rules_test(
    ctx: click.Context,
    file: Path,
    cases_path: Path | None,
    strict: bool,
    published: bool,
    at_text: str | None,
    lang: str,
) -> None:
    """Run the scenario cases of rule file FILE; report failures and the rules no case exercised.

    With --published, FILE and its cases are read as the studio published them: a text published from
    the studio stands in place of its file, as the studio's rule console reads it. With --at, rules that
    read the time are evaluated at that moment.
    """
    at = None
    if at_text is not None:
        at = parse_moment(at_text)
        if at is None:
            raise click.BadParameter(
                f"{at_text!r} is not an ISO-8601 time with its offset (2026-05-01T10:00+08:00)",
                param_hint="--at",
            )
    with ExitStack() as reading:
        if published:
            services = reading.enter_context(open_services(ctx))
            reading.enter_context(services.studio.as_published())
        _test(ctx, file, cases_path, strict, lang, at)


def _test(
    ctx: click.Context, file: Path, cases_path: Path | None, strict: bool, lang: str, at: datetime | None
) -> None:
    ruleset, doc, _shown = _evaluable(ctx, file, lang)
    if cases_path is None:
        cases_path = file.with_name(file.name.removesuffix(file.suffix) + CASES_SUFFIX)
        if not cases_path.is_file():
            raise click.UsageError(f"no cases file {cases_path} beside the rule file; name one with --cases")
    cases = load_cases_file(cases_path, shown_path(cases_path, settings_of(ctx).definitions_root))
    rule_names = declared_rules(doc)
    problems = list(cases.problems) or check_cases(cases, ruleset, rule_names)
    if problems:
        print_problems(problems, lang)
        click.echo(translate("cli.validate.errors", lang).format(n=len(problems)), err=True)
        sys.exit(1)
    tested = cases.cases
    if at is not None:
        tested = cases_at(tested, at)
        click.echo(translate("cli.rules.at", lang).format(at=at.isoformat()))
    results = run_cases(ruleset, tested)
    for result in results:
        click.echo(result.describe(lang))
    failed = sum(1 for result in results if not result.passed)
    click.echo(
        translate("cli.rules.tested", lang).format(
            name=ruleset.name, version=ruleset.version, passed=len(results) - failed, failed=failed
        )
    )
    covered = coverage(results, rule_names)
    click.echo(covered.describe(lang))
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
    with open_services(ctx) as services:
        try:
            found = orders_for_replay(services.engine, ruleset.name, actor, last=last, department=department)
            report = replay(ruleset, found)
        except EngineError as error:
            fail(error, lang)
    if as_json:
        echo_json(report.to_dict())
        return
    if not report.orders:
        click.echo(translate("cli.replay.no_orders", lang).format(ruleset=ruleset.name))
        return
    said = translate("cli.replay.summary", lang)
    click.echo(
        said.format(
            ruleset=ruleset.name, version=ruleset.version, orders=report.orders, changes=len(report.changes)
        )
    )
    for (old, new), count in sorted(report.counts.items()):
        click.echo(f"  {old} -> {new}: {count}")
    for change in report.changes:
        shown = change.to_dict()
        before, after = shown["old"], shown["new"]
        spoke = translate("cli.replay.spoke", lang).format(
            published=_names(before["rules"], lang), draft=_names(after["rules"], lang)
        )
        click.echo(f"  #{change.order_id} {change.department}: {_said(before)} -> {_said(after)} ({spoke})")


def _names(rules: Sequence[str], lang: str) -> str:
    return ", ".join(rules) or translate("cli.replay.none", lang)


def _said(summary: dict[str, Any]) -> str:
    """``hold (risk-review)``: an outcome with its queue, and routing's or a table's outputs."""
    text = str(summary["outcome"])
    if summary.get("queue"):
        text += f" ({summary['queue']})"
    if summary.get("outputs"):
        text += " " + json.dumps(summary["outputs"], ensure_ascii=False, sort_keys=True)
    return text
