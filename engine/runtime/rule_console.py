"""The studio's rule console (规则控制台): a department's rule file tried before it is published, over
one of the department's orders or over data an admin pastes, with the whole explanation of the
decision; and its scenario cases run, with the coverage of its rules.

What is tried is what a publish would publish: the file's draft when it has one, else its published
text (``Studio.file``), checked as the studio checks it. While the text has an error nothing is
evaluated: the problems are shown with their lines. A draft that differs from the published text is
evaluated beside it, so the console says what the change does to the same data.

The names a rule set is evaluated over are the runtime's (``engine.runtime.decisions.condition_env``):
an order's data with its own fields as ``order``, the admin as ``actor``, the clock's ``now``, and for a
routing file the stock on hand of the order's skus as ``stock``. Pasted data is written as a case's
``input`` is (``engine.rules.testing.read_input``: JSON or YAML by the safe loaders, size-limited);
what it leaves out is filled the same way.

The cases file beside the rule file (``<name>.cases.yaml``) is read as ``orderloom rules test`` reads it,
with the texts published from the studio over the files (``Studio.as_published``), and run with the
same functions (``engine.rules.testing``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from engine.common.list_keys import LOOKUPS
from engine.common.text import Text
from engine.dsl.loader import definition_exists, load_yaml
from engine.dsl.texts import DefinitionKind, TextProblem, place_problem
from engine.errors import DefinitionError, EngineError, NotFound, Problem, Severity
from engine.rules.kinds import EVALUATED_KINDS, compile_ruleset
from engine.rules.ruleset import Decision, Evaluable
from engine.rules.testing import (
    CASES_SUFFIX,
    CaseResult,
    Coverage,
    check_cases,
    coverage,
    declared_rules,
    load_cases_file,
    read_input,
    rules_that_spoke,
    run_cases,
)
from engine.runtime.actor import Actor
from engine.runtime.decisions import LiveOrder, condition_env, skus
from engine.runtime.named_lists import ReadLookups
from engine.runtime.studio import FileView, Studio
from engine.store.studio import draft_of

__all__ = [
    "PASTED",
    "CasesRun",
    "ConsoleFile",
    "Evaluation",
    "RuleConsole",
    "cases_path_for",
    "names_text",
]

PASTED = "data"  # how the pasted data is named in its problems


@dataclass(frozen=True)
class ConsoleFile:
    """A rule file as the console tries it: its text (the draft's, else the published one), the
    problems of that text, and the rule set compiled from it when it has no error and decides over one
    order (audit, decision table, routing)."""

    department: str
    path: str
    text: str
    drafted: bool  # the text is a draft's
    problems: Sequence[TextProblem]
    ruleset: Evaluable | None = None
    rule_names: tuple[str, ...] = ()
    published: Evaluable | None = None  # the published text's rule set, when a draft differs from it
    refusal: Text | None = None  # why a file without errors cannot be tried (a correlation file)

    @property
    def errors(self) -> list[TextProblem]:
        return [p for p in self.problems if p.problem.severity == Severity.ERROR]


@dataclass(frozen=True)
class Evaluation:
    """What the rule file decides over ``names``, and what the published text decides over them when
    the file is a draft that differs from it. ``error``: the rule set refused to decide (a decision
    table whose rows cannot settle it and that cannot hold), in zh and en."""

    names: Mapping[str, Any]
    decision: Decision | None
    error: Text | None = None
    published: Decision | None = None
    published_error: Text | None = None

    @property
    def spoke(self) -> tuple[str, ...]:
        """The rules whose condition held or could not be evaluated."""
        return rules_that_spoke(self.decision) if self.decision is not None else ()

    @property
    def published_spoke(self) -> tuple[str, ...]:
        return rules_that_spoke(self.published) if self.published is not None else ()

    @property
    def changed(self) -> bool:
        """Whether the draft decides otherwise than the published text: outcome, queue or outputs."""
        if self.published is None or self.decision is None:
            return False
        mine, theirs = self.decision.to_dict(), self.published.to_dict()
        return any(mine.get(key) != theirs.get(key) for key in ("outcome", "queue", "outputs"))


@dataclass(frozen=True)
class CasesRun:
    """The cases file beside a rule file, run: each case's result and the coverage of the rules; or the
    problems that stop the cases from running (each with its line in the cases file)."""

    file: str
    found: bool
    problems: Sequence[Problem] = ()
    results: Sequence[CaseResult] = ()
    coverage: Coverage | None = None
    drafted: int | None = None  # the revision of the cases' draft run, when a draft was run
    has_draft: bool = False  # the cases file has a draft being written (run, or left for the published)

    @property
    def failed(self) -> list[CaseResult]:
        return [result for result in self.results if not result.passed]

    @property
    def passed(self) -> int:
        return len(self.results) - len(self.failed)


def cases_path_for(path: str) -> str:
    """``rules/retail/audit.yaml`` -> ``rules/retail/audit.cases.yaml``: where its cases are kept."""
    return path[: -len(".yaml")] + CASES_SUFFIX if path.endswith(".yaml") else path + CASES_SUFFIX


def names_text(names: Mapping[str, Any]) -> str:
    """The names as JSON an admin can read, change and paste back (times as ISO-8601 text)."""
    shown = {name: value for name, value in names.items() if name != LOOKUPS}
    return json.dumps(shown, ensure_ascii=False, indent=2, default=_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, frozenset | set):
        return sorted(value, key=str)
    return str(value)


class RuleConsole:
    """The console over a :class:`Studio`: what a department's admin tries a rule file with."""

    def __init__(self, studio: Studio) -> None:
        self.studio = studio

    def open(
        self,
        department: str,
        path: str,
        *,
        view: FileView | None = None,
        problems: Sequence[TextProblem] | None = None,
    ) -> ConsoleFile | None:
        """The rule file ``path`` of ``department`` as the console tries it; None when it is not one of
        the department's rule files. A page that has read the file (``view``) and checked its text
        (``problems``) already passes them, so neither is done twice."""
        view = self.studio.file(department, path) if view is None else view
        if view is None or view.kind is not DefinitionKind.RULES:
            return None
        text = view.text
        problems = list(self.studio.check(department, path, text) if problems is None else problems)
        drafted = view.draft is not None and not view.draft.status.closed  # a draft being written
        found = ConsoleFile(department, path, text, drafted, problems)
        if found.errors:
            return found
        tree = _tree(text, path)
        if tree is None:  # the checks found nothing, yet it does not read as a mapping: nothing to try
            return found
        if tree.get("kind") not in EVALUATED_KINDS:
            kinds = ", ".join(sorted(EVALUATED_KINDS))
            refusal = Text(
                zh=f"{tree.get('kind')} 类规则集不对单个订单作出决定，不能在此试算；可试算的类型：{kinds}",
                en=f"a rule set of kind {tree.get('kind')!r} does not decide over one order, so it cannot "
                f"be tried here; these kinds can: {kinds}",
            )
            return ConsoleFile(department, path, text, found.drafted, problems, refusal=refusal)
        try:
            ruleset: Evaluable = compile_ruleset(tree, path)
        except DefinitionError as error:  # the studio's checks and the compiler agree; kept to be sure
            placed = [place_problem(p, text) for p in error.problems]
            return ConsoleFile(department, path, text, found.drafted, [*problems, *placed])
        published = None
        if view.draft is not None and view.changed:
            published = _compiled(view.published_text, path)
        return ConsoleFile(
            department,
            path,
            text,
            found.drafted,
            problems,
            ruleset,
            tuple(declared_rules(tree)),
            published,
        )

    # -- what to evaluate over ----------------------------------------------------------------------

    def order_names(self, department: str, order_id: int, actor: Actor) -> dict[str, Any]:
        """The names the runtime evaluates order ``order_id`` over, the admin as the actor; ``NotFound``
        when it is no order of ``department``."""
        with self.studio.store.read() as tx:
            row = tx.load_order(order_id)
            if row is None or row.department != department or not actor.in_department(row.department):
                raise NotFound(f"no order #{order_id} in this department", zh=f"本部门没有订单 #{order_id}")
            return condition_env(LiveOrder.from_row(row), actor, {}, self.studio.clock.now())

    def pasted_names(self, text: str, actor: Actor) -> tuple[dict[str, Any] | None, list[Problem]]:
        """The names written in ``text`` (as a case's ``input``: JSON or YAML), with what it leaves out
        filled as the runtime fills it (``order`` and ``data`` empty, the admin, the clock's ``now``);
        or None and every problem, each at its line and column."""
        names, problems = read_input(text, PASTED)
        if names is None:
            return None, problems
        names.setdefault("order", {})
        names.setdefault("data", {})
        names.setdefault("actor", actor.as_env())
        names.setdefault("now", self.studio.clock.now())
        return names, []

    # -- evaluating ------------------------------------------------------------------------------------

    def evaluate(self, file: ConsoleFile, names: Mapping[str, Any]) -> Evaluation:
        """What ``file`` decides over ``names`` (and its published text, when the file is a draft that
        differs from it). A routing file is given the stock on hand of the order's skus when the names
        carry no ``stock``, as the runtime gives it."""
        if file.ruleset is None:
            raise ValueError("the rule file has errors or cannot be tried: nothing to evaluate")
        scope = dict(names)
        if "stock" not in scope and (file.ruleset.kind == "routing" or _kind(file.published) == "routing"):
            order = scope.get("order")
            with self.studio.store.read() as tx:
                scope["stock"] = tx.stock_available(skus(order)) if isinstance(order, Mapping) else {}
        if LOOKUPS not in scope:  # in_list(...) and the customer facts: the department's, as they are now
            given, moment = scope.get("order"), scope.get("now")
            tried: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
            order_id = tried.get("id")
            now = moment if isinstance(moment, datetime) else self.studio.clock.now()
            number = order_id if isinstance(order_id, int) else 0
            scope[LOOKUPS] = ReadLookups(self.studio.store, file.department, number, tried, now)
        decision, error = _decide(file.ruleset, scope)
        if file.published is None:
            return Evaluation(scope, decision, error)
        published, published_error = _decide(file.published, scope)
        return Evaluation(scope, decision, error, published, published_error)

    def run_cases(self, file: ConsoleFile, *, draft: bool = True) -> CasesRun | None:
        """The cases beside ``file``, run over its rule set (the rule file's draft, when it has one),
        with the coverage of its rules; None when the file cannot be tried. The cases are their draft's
        while one is being written (``draft``; False: the published cases, as ``orderloom rules test``
        and a publish read them), else the published text of the cases file."""
        if file.ruleset is None:
            return None
        shown = cases_path_for(file.path)
        written = draft_of(self.studio.store, file.department, shown)
        has_draft = written is not None and not written.status.closed
        run_draft = written if has_draft and draft else None
        overlay = {shown: run_draft.text} if run_draft is not None else {}
        with self.studio.as_published(overlay):
            target = self.studio.root / shown
            if not definition_exists(target):
                return CasesRun(shown, found=False, has_draft=has_draft)
            cases = load_cases_file(target, shown)
        drafted = run_draft.revision if run_draft is not None else None
        problems = list(cases.problems) or check_cases(cases, file.ruleset, file.rule_names)
        if problems:
            return CasesRun(shown, True, problems, drafted=drafted, has_draft=has_draft)
        results = run_cases(file.ruleset, cases.cases)
        covered = coverage(results, file.rule_names)
        return CasesRun(shown, True, (), results, covered, drafted, has_draft)


def _tree(text: str, path: str) -> Mapping[str, Any] | None:
    tree, _marks, problems = load_yaml(text, path)
    if tree is None or any(p.severity == Severity.ERROR for p in problems) or not isinstance(tree, dict):
        return None
    return tree


def _compiled(text: str, path: str) -> Evaluable | None:
    """The published text's rule set, or None when it does not compile to one that decides over one
    order (then only the draft is shown)."""
    tree = _tree(text, path)
    if tree is None or tree.get("kind") not in EVALUATED_KINDS:
        return None
    try:
        compiled: Evaluable = compile_ruleset(tree, path)
    except DefinitionError:
        return None
    return compiled


def _kind(ruleset: Evaluable | None) -> str | None:
    return ruleset.kind if ruleset is not None else None


def _decide(ruleset: Evaluable, names: Mapping[str, Any]) -> tuple[Decision | None, Text | None]:
    try:
        return ruleset.evaluate(names), None
    except EngineError as error:
        return None, Text(zh=error.message("zh"), en=error.message("en"))
