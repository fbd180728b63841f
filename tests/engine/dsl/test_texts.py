"""Definition texts being edited (engine/dsl/texts.py): kinds by path, a department's files, the span
of a problem, and a text checked as the file it would replace, with other drafts read in place of
theirs (engine/dsl/loader.py ``drafts_over_files``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.dsl.loader import definition_exists, definition_files, drafts_over_files, load_file
from engine.dsl.texts import (
    DefinitionKind,
    Span,
    check_text,
    department_files,
    department_folders,
    kind_of,
    problem_span,
)

ROOT = Path(__file__).resolve().parents[3]
WORKFLOW = "workflows/retail/order.yaml"
ORIGINAL = (ROOT / WORKFLOW).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("workflows/retail/order.yaml", DefinitionKind.WORKFLOW),
        ("workflows/retail/flash-sale.yml", DefinitionKind.WORKFLOW),
        ("forms/retail/order.json", DefinitionKind.FORM),
        ("forms/retail/intake-web.ui.json", DefinitionKind.UI),
        ("rules/retail/audit.yaml", DefinitionKind.RULES),
        ("rules/retail/audit.cases.yaml", DefinitionKind.CASES),  # a rule file's cases
        ("rules/retail/.cases.yaml", None),  # the cases of no rule file
        ("workflows/order.yaml", None),  # not in a department's folder
        ("workflows/../pyproject.toml", None),
        ("/etc/passwd", None),
        ("forms/retail/order.txt", None),
        ("other/retail/order.yaml", None),
    ],
)
def test_the_kind_of_a_file_is_where_it_sits_and_how_it_is_named(
    path: str, kind: DefinitionKind | None
) -> None:
    assert kind_of(path) == kind


def test_a_departments_files_are_those_of_its_folder() -> None:
    folders = department_folders(ROOT)
    assert folders == {"after_sales": "after-sales", "retail": "retail", "wholesale": "wholesale"}
    files = dict(department_files(ROOT, "retail"))
    assert files[WORKFLOW] is DefinitionKind.WORKFLOW
    assert files["forms/retail/intake-web.ui.json"] is DefinitionKind.UI
    assert files["rules/retail/audit.yaml"] is DefinitionKind.RULES
    assert files["rules/retail/audit.cases.yaml"] is DefinitionKind.CASES
    assert not any(path.startswith(("workflows/wholesale", "forms/after-sales")) for path in files)


@pytest.mark.parametrize(
    ("text", "line", "column", "span"),
    [
        ("    dest: piad\n", 1, 11, Span(1, 11, 1, 15)),
        ("key: value # comment", 1, 6, Span(1, 6, 1, 11)),
        ("states: [a, bb, c]", 1, 13, Span(1, 13, 1, 15)),
        ("roles:\n  clerk: x", 2, 3, Span(2, 3, 2, 8)),  # a key ends at its colon
        ('  "form": "forms/x.json",', 1, 11, Span(1, 12, 1, 24)),  # a quoted string: inside its quotes
        ('  "requird": [],', 1, 3, Span(1, 4, 1, 11)),  # a quoted key too
        ("  a: 'x y'", 1, 6, Span(1, 7, 1, 10)),
        ('  a: ""', 1, 6, Span(1, 6, 1, 8)),  # an empty string: its quotes
        ("a: 1\n", 0, 0, Span(1, 1, 1, 5)),  # the whole file: the first line
        ("a: 1", 9, 1, Span(1, 1, 1, 5)),  # past the last line: the whole file
        ("ab", 1, 9, Span(1, 3, 1, 4)),  # past the end of its line: one place there
        ("", 1, 1, Span(1, 1, 1, 2)),
        ("x: 1\r\ny: 2\r\n", 2, 4, Span(2, 4, 2, 5)),
    ],
)
def test_a_problem_spans_the_word_at_its_place(text: str, line: int, column: int, span: Span) -> None:
    assert problem_span(text, line, column) == span


def test_a_text_is_checked_as_the_file_it_replaces() -> None:
    assert check_text(ROOT, WORKFLOW, ORIGINAL) == []
    misspelt = ORIGINAL.replace("dest: paid", "dest: piad", 1)
    (found,) = check_text(ROOT, WORKFLOW, misspelt)
    line = misspelt.split("\n").index("    dest: piad") + 1
    assert found.span == Span(line, 11, line, 15)
    assert found.to_dict()["suggestion"] == "paid"
    assert found.to_dict()["severity"] == "error" and found.to_dict()["code"] == "unknown-state"
    # The file on disk is untouched, and read as it is outside the check.
    assert (ROOT / WORKFLOW).read_text(encoding="utf-8") == ORIGINAL


def test_other_drafts_are_read_in_place_of_their_files() -> None:
    broken_form = {"forms/retail/order.json": "{"}
    (found,) = check_text(ROOT, WORKFLOW, ORIGINAL, drafts=broken_form)
    assert found.problem.code == "bad-form" and "forms/retail/order.json" in found.problem.text
    # A workflow naming a form that exists only as a draft.
    named = ORIGINAL.replace("data: forms/retail/order.json", "data: forms/retail/new.json", 1)
    assert [p.problem.code for p in check_text(ROOT, WORKFLOW, named)] == ["missing-file"]
    form = (ROOT / "forms/retail/order.json").read_text(encoding="utf-8")
    assert check_text(ROOT, WORKFLOW, named, drafts={"forms/retail/new.json": form}) == []


def test_a_draft_of_a_form_is_checked_as_a_form() -> None:
    form = (ROOT / "forms/retail/order.json").read_text(encoding="utf-8")
    assert check_text(ROOT, "forms/retail/order.json", form) == []
    found = check_text(
        ROOT, "forms/retail/order.json", form.replace('"type": "object"', '"type": "objekt"', 1)
    )
    assert [(p.problem.code, p.fix) for p in found] == [("unknown-type", "object")]
    assert [p.problem.code for p in check_text(ROOT, "forms/retail/order.json", "")] == ["json-syntax"]


@pytest.mark.parametrize("path", ["pyproject.toml", "workflows/../../etc/passwd", "rules/retail/x.txt"])
def test_a_path_that_is_no_definition_file_is_one_problem(path: str) -> None:
    (found,) = check_text(ROOT, path, "x: 1")
    assert found.problem.code == "io" and "not a definition file" in found.problem.text


def test_drafts_over_files_read_in_place_and_as_new_files(tmp_path: Path) -> None:
    (tmp_path / "workflows").mkdir()
    on_disk = tmp_path / "workflows" / "a.yaml"
    on_disk.write_text("a: 1\n", encoding="utf-8")
    drafted = tmp_path / "workflows" / "sub" / "b.yaml"
    with drafts_over_files({on_disk: "a: 2\n", drafted: b"b: 3\n"}):
        assert load_file(on_disk, "a.yaml", "yaml")[0] == {"a": 2}
        assert load_file(drafted, "b.yaml", "yaml")[0] == {"b": 3}
        assert definition_exists(drafted)
        assert definition_files(tmp_path / "workflows", (".yaml",)) == [on_disk, drafted]
        with drafts_over_files({on_disk: "a: 4\n"}):  # nested: the inner text wins, the outer stays
            assert load_file(on_disk, "a.yaml", "yaml")[0] == {"a": 4}
            assert load_file(drafted, "b.yaml", "yaml")[0] == {"b": 3}
    assert load_file(on_disk, "a.yaml", "yaml")[0] == {"a": 1}
    assert not definition_exists(drafted)
    assert load_file(drafted, "b.yaml", "yaml")[2][0].code == "io"


def test_a_drafted_text_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with drafts_over_files({path: "a: " + "x" * 1_000_001}):
        tree, _, problems = load_file(path, "big.yaml", "yaml")
    assert tree is None and problems[0].code == "too-large"


def test_a_parsed_tree_is_a_copy_each_time(tmp_path: Path) -> None:
    """Parses are kept by content; a caller changing the tree it got changes no later read."""
    path = tmp_path / "a.yaml"
    path.write_text("a: {b: 1}\n", encoding="utf-8")
    first = load_file(path, "a.yaml", "yaml")[0]
    first["a"]["b"] = 2
    assert load_file(path, "a.yaml", "yaml")[0] == {"a": {"b": 1}}


# A misspelling in each kind of file, as the studio checks the text: (file, what is right, the
# misspelling, the problem's code, its severity, the Chinese and English it says).
MISSPELLINGS = [
    (
        "rules/retail/audit.yaml",
        "    queue: risk-review\n    reason: {zh: 优惠超过",
        "    queue: risk-reveiw\n    reason: {zh: 优惠超过",
        "unknown-queue",
        "warning",
        "未知的队列 'risk-reveiw'：工作流 'retail-order' 没有哪个状态使用这个队列"
        "；您是否想输入 'risk-review'？",
        "unknown queue 'risk-reveiw': no state of workflow 'retail-order' has it"
        "; did you mean 'risk-review'?",
    ),
    (
        "rules/retail/audit.yaml",
        "when: order.total > 5000",
        "when: order.totl > 5000",
        "unknown-field",
        "warning",
        "未知字段 'order.totl'：订单没有 'totl'；您是否想输入 'total'？",
        "unknown field 'order.totl': the order has no 'totl'; did you mean 'total'?",
    ),
    (
        "forms/retail/payment.json",
        '"x-title-zh": "支付方式"',
        '"x-tilte-zh": "支付方式"',
        "unknown-keyword",
        "warning",
        "'x-tilte-zh' 不是表单的扩展关键字，会被忽略（可用 x-title-zh、x-description-zh、x-enum-titles、"
        "x-pattern-hint）；您是否想输入 'x-title-zh'？",
        "'x-tilte-zh' is none of the form's extensions and is ignored (they are x-title-zh, "
        "x-description-zh, x-enum-titles, x-pattern-hint); did you mean 'x-title-zh'?",
    ),
    (
        "forms/retail/payment.ui.json",
        '"messages": {"exclusiveMinimum"',
        '"messages": {"exclusiveMinimun"',
        "unknown-message-keyword",
        "warning",
        "'amount' 的提示信息所用的键 'exclusiveMinimun' 不是校验关键字，这条提示永远不会显示"
        "；您是否想输入 'exclusiveMinimum'？",
        "'amount' has a message for 'exclusiveMinimun', which is no keyword a check fails on: it is never "
        "shown; did you mean 'exclusiveMinimum'?",
    ),
    (
        "forms/retail/payment.json",
        '"type": "number"',
        '"type": "numbr"',
        "unknown-type",
        "error",
        "不是有效的 JSON Schema：'numbr' 不是 JSON 类型"
        "（可用：string、number、integer、boolean、object、array、null）；您是否想输入 'number'？",
        "not a valid JSON Schema: 'numbr' is not a JSON type (string, number, integer, boolean, object, "
        "array, null); did you mean 'number'?",
    ),
    (
        "workflows/retail/order.yaml",
        "form: forms/retail/payment.json",
        "form: forms/retail/paymnt.json",
        "missing-file",
        "error",
        "找不到表单文件 'forms/retail/paymnt.json'；您是否想输入 'forms/retail/payment.json'？",
        "form file 'forms/retail/paymnt.json' not found; did you mean 'forms/retail/payment.json'?",
    ),
]


@pytest.mark.parametrize(
    ("path", "right", "wrong", "code", "severity", "zh", "en"), MISSPELLINGS, ids=[m[3] for m in MISSPELLINGS]
)
def test_a_misspelling_is_said_at_its_line_and_its_fix_puts_it_right(
    path: str, right: str, wrong: str, code: str, severity: str, zh: str, en: str
) -> None:
    original = (ROOT / path).read_text(encoding="utf-8")
    assert original.count(right) >= 1 and check_text(ROOT, path, original) == []
    misspelt = original.replace(right, wrong, 1)
    (found,) = check_text(ROOT, path, misspelt)
    said = found.problem
    assert (said.code, str(said.severity)) == (code, severity)
    assert (said.message_in("zh"), said.message_in("en")) == (zh, en)
    line = misspelt[: misspelt.index(wrong)].count("\n") + 1
    assert found.span.line == line and found.fix is not None
    # the one-click fix: the suggestion in place of the span puts the file right
    lines = misspelt.split("\n")
    text = lines[line - 1]
    lines[line - 1] = text[: found.span.col - 1] + found.fix + text[found.span.end_col - 1 :]
    assert "\n".join(lines) == original


# -- problems a text causes in the files that hold it ------------------------------------------------

PAYMENT = "forms/retail/payment.json"
OVERLAY = "workflows/retail/flash-sale.yaml"


def _line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.split("\n"), 1) if needle in line)


def test_a_form_change_that_breaks_a_workflow_holding_it_is_a_problem_of_the_form() -> None:
    """The retail order's guard reads ``data.amount`` of the payment form: renaming the field there is
    reported in the form's own check, naming the workflow's file and line, placed at the new name."""
    form = (ROOT / PAYMENT).read_text(encoding="utf-8")
    renamed = form.replace('"amount": {', '"paid_sum": {', 1)
    found = check_text(ROOT, PAYMENT, renamed)
    guard = [p for p in found if p.file == WORKFLOW]
    assert guard, [p.problem.text for p in found]
    (problem,) = guard
    line = _line_of(ORIGINAL, "when: data.amount <= order.total")
    assert problem.elsewhere is not None and problem.elsewhere.line == line
    assert f"{WORKFLOW}, line {line}" in problem.problem.message_in("en")
    assert f"{WORKFLOW} 第 {line} 行" in problem.problem.message_in("zh")
    assert "'data.amount'" in problem.problem.message_in("en")
    at = _line_of(renamed, '"paid_sum": {')
    assert problem.span.line == at
    assert renamed.split("\n")[at - 1][problem.span.col - 1 : problem.span.end_col - 1] == "paid_sum"
    shown = problem.to_dict("en")
    assert (shown["file"], shown["file_line"], shown["line"]) == (WORKFLOW, line, at)
    assert shown["severity"] == "error" and shown["code"] == problem.elsewhere.code
    # The form's UI file lists the field too: its problems name that file.
    assert {p.file for p in found} >= {WORKFLOW, "forms/retail/payment.ui.json"}
    # The file on disk is untouched.
    assert (ROOT / PAYMENT).read_text(encoding="utf-8") == form


def test_a_field_removed_is_reported_where_it_was_removed() -> None:
    form = (ROOT / PAYMENT).read_text(encoding="utf-8")
    lines = form.split("\n")
    start = lines.index('    "amount": {')
    end = next(i for i in range(start, len(lines)) if lines[i] == "    },")
    removed = "\n".join(lines[:start] + lines[end + 1 :]).replace('    "amount",\n', "", 1)
    (problem,) = [p for p in check_text(ROOT, PAYMENT, removed) if p.file == WORKFLOW]
    # Placed where the name first went: the line that followed its entry in "required".
    required = lines.index('    "amount",')
    assert problem.span.line == required + 1
    assert removed.split("\n")[required] == lines[required + 1]
    assert problem.elsewhere is not None and problem.elsewhere.file == WORKFLOW


def test_renaming_a_rule_files_outcome_a_workflow_routes_on_is_a_problem_of_the_rule_file() -> None:
    rules = (ROOT / "rules/retail/audit.yaml").read_text(encoding="utf-8")
    renamed = rules.replace("reject", "refuse")
    found = check_text(ROOT, "rules/retail/audit.yaml", renamed)
    elsewhere = [p for p in found if p.elsewhere is not None]
    assert elsewhere and all(p.file.startswith("workflows/retail/") for p in elsewhere)
    first = elsewhere[0]
    assert "refuse" in renamed.split("\n")[first.span.line - 1][first.span.col - 1 : first.span.end_col]


def test_renaming_a_state_an_overlay_uses_is_a_problem_of_the_base() -> None:
    renamed = ORIGINAL.replace("on_hold", "held")
    found = check_text(ROOT, WORKFLOW, renamed)
    in_overlay = [p for p in found if p.file == OVERLAY]
    assert in_overlay
    overlay = (ROOT / OVERLAY).read_text(encoding="utf-8")
    removed = _line_of(overlay, "states: [on_hold, out_of_stock]")
    (state,) = [p for p in in_overlay if p.elsewhere is not None and p.elsewhere.line == removed]
    assert f"{OVERLAY}, line {removed}" in state.problem.message_in("en")
    assert "retail-flash-sale" in state.problem.message_in("zh")
    at = _line_of(renamed, "  held:")
    assert (state.span.line, state.span.col, state.span.end_col) == (at, 3, 7)  # "held"
    # With the overlay's draft changed too, nothing is left to say.
    fixed = overlay.replace("on_hold", "held")
    assert [p for p in check_text(ROOT, WORKFLOW, renamed, drafts={OVERLAY: fixed}) if p.elsewhere] == []


def test_a_change_that_means_nothing_new_or_a_problem_the_holder_had_already_is_not_reported() -> None:
    assert check_text(ROOT, WORKFLOW, ORIGINAL + "# a comment\n") == []
    # The overlay's own draft is broken already: the base's change is not blamed for it.
    overlay = (ROOT / OVERLAY).read_text(encoding="utf-8")
    broken = overlay.replace("states: [on_hold, out_of_stock]", "states: [on_hold, out_of_stok]")
    relabelled = ORIGINAL.replace("en: Pending payment", "en: Awaiting payment", 1)
    assert check_text(ROOT, WORKFLOW, relabelled, drafts={OVERLAY: broken}) == []


def test_a_cases_text_is_checked_against_its_rule_file_as_rules_test_checks_it() -> None:
    """Its shape first; then what it says that the rule file cannot give, at its line; the rule file read
    as drafted when a draft of it is given; a cases file without its rule file is a warning."""
    cases = "rules/retail/audit.cases.yaml"
    text = (ROOT / cases).read_text(encoding="utf-8")
    assert check_text(ROOT, cases, text) == []
    wrong = text.replace(
        "expect: {outcome: reject, rules: [blacklisted-mobile]}", "expect: {outcome: rejct}", 1
    )
    (found,) = check_text(ROOT, cases, wrong)
    assert (found.problem.code, found.fix, found.span.line) == ("unknown-outcome", "reject", 68)
    assert [p.problem.code for p in check_text(ROOT, cases, "cases: []\n")] == ["schema"]
    rules = (ROOT / "rules/retail/audit.yaml").read_text(encoding="utf-8")
    renamed = rules.replace("name: blacklisted-mobile", "name: blocked-mobile", 1)
    drafted = check_text(ROOT, cases, text, drafts={"rules/retail/audit.yaml": renamed})
    assert {p.problem.code for p in drafted} == {"unknown-rule"}
    (alone,) = check_text(ROOT, "rules/retail/gone.cases.yaml", text, drafts={})
    assert alone.problem.severity == "warning" and "no rule file rules/retail/gone.yaml" in alone.problem.text
