"""The studio's rule console (engine/runtime/rule_console.py) on SQLite and PostgreSQL, over the shipped
definitions: a rule file's draft is tried beside its published text, over an order of the department
(the runtime's names) or pasted data (every problem at its line), a text with an error is never
evaluated, and the cases beside it run with their failures and the coverage of the rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from engine.clock import FrozenClock
from engine.dsl.compiler import discover, load_bundle
from engine.dsl.texts import bundle_sources
from engine.errors import NotFound
from engine.plugins import PluginRegistry
from engine.runtime import Actor, Engine
from engine.runtime.rule_console import RuleConsole, cases_path_for, names_text
from engine.runtime.studio import Studio
from engine.store import Store
from engine.store.studio import SaveConflict
from engine.store.tables import stock
from engine.store.versions import VersionMeta

ROOT = Path(__file__).resolve().parents[3]
REGISTRY = PluginRegistry.from_entry_points()
MA = Actor("ma.li", frozenset({"admin"}), frozenset({"retail"}))
XU = Actor("xu.jie", frozenset({"admin"}), frozenset({"wholesale"}))
CLERK = Actor("li.na", frozenset({"clerk"}), frozenset({"retail"}))
AUDIT = "rules/retail/audit.yaml"
ROUTING = "rules/retail/routing.yaml"
AUDIT_TEXT = (ROOT / AUDIT).read_text(encoding="utf-8")
CASES_TEXT = (ROOT / "rules/retail/audit.cases.yaml").read_text(encoding="utf-8")
RAISED = AUDIT_TEXT.replace("when: order.total > 5000", "when: order.total > 9000", 1)


def order_data(total: float = 6000) -> dict[str, Any]:
    return {
        "customer": {"name": "张伟", "mobile": "13812345678"},
        "address": {
            "province": "上海市",
            "city": "上海市",
            "district": "浦东新区",
            "detail": "世纪大道1198号3栋",
        },
        "lines": [
            {"sku": "XM-BAND8", "name": "小米手环8", "qty": 2, "unit_price": total / 2, "amount": total}
        ],
        "shipping_fee": 0,
        "discount": 0,
        "total": total,
    }


PASTED = """
order:
  customer: {name: 张伟, mobile: '13812345678'}
  address: {province: 上海市, detail: 世纪大道1198号3栋}
  lines: [{sku: XM-BAND8, qty: 2, unit_price: 3000, amount: 6000}]
  shipping_fee: 0
  discount: 0
  total: 6000
  paid_amount: 6000
now: '2026-11-30T10:00:00+08:00'
"""


@pytest.fixture
def studio(store: Store) -> Studio:
    engine = Engine(store, REGISTRY, FrozenClock())
    for path in sorted(p for p in discover(ROOT).values() if p.parent.name == "retail"):
        bundle = load_bundle(
            path, ROOT, action_names=REGISTRY.action_names, action_writes=REGISTRY.action_writes
        )
        engine.publish(bundle, meta=VersionMeta(sources=bundle_sources(bundle, ROOT)))
    return Studio(engine, ROOT)


def draft(studio: Studio, path: str, text: str) -> None:
    view = studio.file("retail", path)
    assert view is not None
    saved = studio.save("retail", path, text, view.revision, MA)
    assert not isinstance(saved, SaveConflict)


def test_the_published_text_is_tried_when_there_is_no_draft(studio: Studio) -> None:
    console = RuleConsole(studio)
    file = console.open("retail", AUDIT)
    assert file is not None and file.ruleset is not None
    assert not file.drafted and file.published is None and file.text == AUDIT_TEXT
    names, problems = console.pasted_names(PASTED, MA)
    assert problems == [] and names is not None
    evaluation = console.evaluate(file, names)
    assert evaluation.decision is not None
    assert (evaluation.decision.outcome, evaluation.decision.queue) == ("hold", "risk-review")
    assert evaluation.spoke == ("large-amount",)
    large = next(e for e in evaluation.decision.trace if e["rule"] == "large-amount")
    assert large["matched"] is True and large["values"] == {"order.total": 6000}
    assert evaluation.published is None and not evaluation.changed
    # what the paste left out is filled as the runtime fills it
    assert names["actor"] == MA.as_env() and names["data"] == {}
    assert names["now"].isoformat() == "2026-11-30T10:00:00+08:00"


def test_a_draft_is_tried_beside_the_published_text(studio: Studio) -> None:
    draft(studio, AUDIT, RAISED)
    console = RuleConsole(studio)
    file = console.open("retail", AUDIT)
    assert file is not None and file.drafted and file.text == RAISED
    names, _ = console.pasted_names(PASTED, MA)
    assert names is not None
    evaluation = console.evaluate(file, names)
    assert evaluation.decision is not None and evaluation.published is not None
    assert evaluation.decision.outcome == "approve" and evaluation.spoke == ()
    assert evaluation.published.outcome == "hold" and evaluation.published_spoke == ("large-amount",)
    assert evaluation.changed


def test_an_order_of_the_department_is_evaluated_over_the_runtimes_names(studio: Studio) -> None:
    order = studio.engine.create_order(CLERK, "retail", "retail-order", "web", order_data(6000))
    console = RuleConsole(studio)
    names = console.order_names("retail", order.id, MA)
    assert names["order"]["id"] == order.id and names["order"]["total"] == 6000
    assert names["order"]["state"] == order.state and names["order"]["workflow"] == "retail-order"
    assert names["actor"] == MA.as_env()
    file = console.open("retail", AUDIT)
    assert file is not None
    evaluation = console.evaluate(file, names)
    assert evaluation.decision is not None and evaluation.decision.outcome == "hold"
    # the names as an admin reads them, and pastes them back
    again, problems = console.pasted_names(names_text(evaluation.names), MA)
    assert problems == [] and again is not None
    assert again["order"] == names["order"] and again["now"] == names["now"]

    with pytest.raises(NotFound) as unknown:
        console.order_names("retail", order.id + 100, MA)
    assert unknown.value.message("zh") == f"本部门没有订单 #{order.id + 100}"
    assert unknown.value.message("en") == f"no order #{order.id + 100} in this department"
    with pytest.raises(NotFound):  # another department's console does not show a retail order
        console.order_names("wholesale", order.id, Actor("root", frozenset({"admin"}), frozenset({"*"})))


def test_a_routing_file_is_given_the_stock_on_hand_unless_the_data_says_it(
    studio: Studio, store: Store
) -> None:
    with store.transaction() as tx:
        tx.connection.execute(
            insert(stock),
            [
                {"sku": "XM-BAND8", "warehouse": "SH-01", "on_hand": 1, "reserved": 0},
                {"sku": "XM-BAND8", "warehouse": "GZ-01", "on_hand": 5, "reserved": 0},
            ],
        )
    console = RuleConsole(studio)
    file = console.open("retail", ROUTING)
    assert file is not None and file.ruleset is not None
    names, _ = console.pasted_names(PASTED, MA)
    assert names is not None
    evaluation = console.evaluate(file, names)
    assert evaluation.names["stock"] == {"XM-BAND8": {"SH-01": 1, "GZ-01": 5}}
    assert evaluation.decision is not None and evaluation.decision.outputs["warehouse"] == "GZ-01"
    given, _ = console.pasted_names(PASTED + "stock: {XM-BAND8: {BJ-01: 9}}\n", MA)
    assert given is not None
    chosen = console.evaluate(file, given)
    assert chosen.decision is not None and chosen.decision.outputs["warehouse"] == "BJ-01"


@pytest.mark.parametrize(
    ("text", "where", "said"),
    [
        ("order: {total: 6000\nfoo: 1", (2, 4), "YAML syntax error"),
        ('{"order": {"total": 6000,}}', (1, 26), "JSON syntax error"),
        ("ordr: {total: 6000}", (1, 1), "unknown key 'ordr' in the data; did you mean 'order'?"),
        ("order: 6000", (1, 8), "input 'order' must be a mapping"),
        ("record: [1]", (1, 9), "input 'record' must be a mapping"),
        ("records: [{captured: 1}]", (1, 10), "input 'records' must be a mapping"),
        ("- order\n", (1, 1), "the data must be a mapping of names"),
        ("now: yesterday", (1, 6), "input 'now' must be an ISO-8601 time"),
        ("   \n", (1, 1), "there is no data"),
        ("order: {note: '" + "x" * 70_000 + "'}", (1, 1), "the limit is 65536"),
    ],
)
def test_pasted_data_that_cannot_be_used_is_named_at_its_line(
    studio: Studio, text: str, where: tuple[int, int], said: str
) -> None:
    names, problems = RuleConsole(studio).pasted_names(text, MA)
    assert names is None
    (problem,) = problems
    assert (problem.line, problem.column) == where
    assert said in problem.message
    assert problem.file == "data"


def test_a_text_with_an_error_is_shown_with_its_lines_and_never_evaluated(studio: Studio) -> None:
    broken = AUDIT_TEXT.replace(
        "outcome: hold\n    queue: risk-review\n", "outcome: hodl\n    queue: risk-review\n", 1
    )
    draft(studio, AUDIT, broken)
    console = RuleConsole(studio)
    file = console.open("retail", AUDIT)
    assert file is not None and file.ruleset is None
    (error,) = file.errors
    assert error.span.line == broken.split("\n").index("    outcome: hodl") + 1
    assert error.problem.suggestion == "hold"
    assert console.run_cases(file) is None
    with pytest.raises(ValueError, match="nothing to evaluate"):
        console.evaluate(file, {"order": {}})


def test_a_correlation_file_is_said_to_decide_nothing_over_one_order(studio: Studio) -> None:
    file = RuleConsole(studio).open("retail", "rules/retail/fraud.yaml")
    assert file is not None and file.errors == [] and file.ruleset is None
    assert file.refusal is not None
    assert "correlation" in file.refusal.en and "audit, decision_table, routing" in file.refusal.en
    assert "不对单个订单作出决定" in file.refusal.zh


def test_only_the_departments_rule_files_open(studio: Studio) -> None:
    console = RuleConsole(studio)
    assert console.open("retail", "workflows/retail/order.yaml") is None
    assert console.open("retail", "rules/wholesale/credit.yaml") is None
    assert console.open("retail", "rules/retail/audit.cases.yaml") is None
    assert console.open("retail", "rules/retail/../../pyproject.toml") is None


def test_the_cases_run_over_the_draft_with_failures_and_coverage(studio: Studio) -> None:
    console = RuleConsole(studio)
    file = console.open("retail", AUDIT)
    assert file is not None
    run = console.run_cases(file)
    assert (
        run is not None and run.found and run.file == cases_path_for(AUDIT) == "rules/retail/audit.cases.yaml"
    )
    assert run.failed == [] and run.passed == len(run.results) > 0
    assert run.coverage is not None and run.coverage.complete

    never = (
        "  - name: huge-quantity\n    when: 'max(pluck(order.lines, \"qty\")) > 999'\n    outcome: reject\n"
    )
    draft(studio, AUDIT, RAISED + never)
    file = console.open("retail", AUDIT)
    assert file is not None
    run = console.run_cases(file)
    assert run is not None
    (failed,) = run.failed
    assert failed.name == "large-amount"
    assert [(m.key, m.expected, m.got) for m in failed.mismatches] == [
        ("outcome", "hold", "approve"),
        ("queue", "risk-review", None),
        ("rules", ["large-amount"], []),
    ]
    assert run.coverage is not None and run.coverage.unexercised == ("huge-quantity",)
    assert run.coverage.never_matched == ("huge-quantity",)


def test_the_draft_cases_run_against_the_draft_rule_file_and_the_published_ones_on_asking(
    studio: Studio,
) -> None:
    """A rule change makes a case fail; the admin fixes the case in a draft: the console runs the
    draft cases against the draft rule file, and the published cases when asked (or once the cases'
    draft is published, they are what it runs)."""
    console = RuleConsole(studio)
    draft(studio, AUDIT, RAISED)
    cases = cases_path_for(AUDIT)
    fixed = CASES_TEXT.replace(
        "expect: {outcome: hold, queue: risk-review, rules: [large-amount]}",
        "expect: {outcome: approve, queue: null, rules: []}",
        1,
    )
    assert fixed != CASES_TEXT
    draft(studio, cases, fixed)
    file = console.open("retail", AUDIT)
    assert file is not None
    run = console.run_cases(file)
    assert run is not None and run.drafted == 1 and run.has_draft and run.failed == []
    published = console.run_cases(file, draft=False)
    assert published is not None and published.drafted is None and published.has_draft
    assert [r.name for r in published.failed] == ["large-amount"]
    studio.publish("retail", cases, 1, "", MA)
    after = console.run_cases(file)
    assert after is not None and after.drafted is None and not after.has_draft and after.failed == []


def test_a_rule_file_without_cases_or_with_broken_cases_says_so(studio: Studio) -> None:
    console = RuleConsole(studio)
    discount = console.open("wholesale", "rules/wholesale/discount.yaml")
    assert discount is not None and discount.ruleset is not None
    run = console.run_cases(discount)
    assert run is not None and not run.found and run.file == "rules/wholesale/discount.cases.yaml"

    renamed = AUDIT_TEXT.replace("ruleset: retail-audit", "ruleset: retail-audit-2", 1)
    draft(studio, AUDIT, renamed)
    file = console.open("retail", AUDIT)
    assert file is not None
    run = console.run_cases(file)
    assert run is not None and run.found and run.results == ()
    (problem,) = run.problems
    assert problem.code == "wrong-ruleset" and problem.file == "rules/retail/audit.cases.yaml"
    assert problem.line == 4
