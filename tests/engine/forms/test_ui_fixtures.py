"""``orderloom validate`` on UI files: each fixture under tests/fixtures/form-ui reports exactly its problems.

A fixture ``<case>.ui.json`` is checked beside the shared data schema ``schema.json`` (or its own
``<case>.json``; ``orphan`` has none), copied as ``forms/t/<case>.json`` under a definitions root. The
problems it must report, in order, are in ``<case>.expect``: ``line:col: message`` in the UI file.
The fixtures live outside tests/fixtures/forms, whose every file the workflow-language tests walk.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from engine.dsl.validate import validate_file, validate_paths
from engine.errors import Problem

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "form-ui"
SOURCES = frozenset({"products", "warehouses", "carriers", "regions", "customers"})
UI = ".ui.json"


def check(case: Path, root: Path) -> list[Problem]:
    name = case.name[: -len(UI)]
    folder = root / "forms" / "t"
    folder.mkdir(parents=True)
    own = case.with_name(f"{name}.json")
    if name != "orphan":
        shutil.copy(own if own.exists() else FIXTURES / "schema.json", folder / f"{name}.json")
    shutil.copy(case, folder / case.name)
    return validate_file(folder / case.name, root, option_sources=SOURCES)


@pytest.mark.parametrize("case", sorted((FIXTURES / "valid").glob(f"*{UI}")), ids=lambda p: p.name)
def test_valid_ui_file_has_no_problem(case: Path, tmp_path: Path) -> None:
    assert [p.format() for p in check(case, tmp_path)] == []


@pytest.mark.parametrize("case", sorted((FIXTURES / "invalid").glob(f"*{UI}")), ids=lambda p: p.name)
def test_invalid_ui_file_reports_exactly_its_expected_problems(case: Path, tmp_path: Path) -> None:
    expected = case.with_name(case.name[: -len(UI)] + ".expect").read_text("utf-8").splitlines()
    problems = check(case, tmp_path)
    assert [f"{p.line}:{p.column}: {p.message}" for p in problems] == expected
    for problem in problems:
        assert problem.file == f"forms/t/{case.name}"
        assert problem.severity == "error" and problem.code and problem.json_path.startswith("$")


def test_every_code_of_ui_problem_has_a_fixture(tmp_path: Path) -> None:
    codes = set()
    for index, case in enumerate(sorted((FIXTURES / "invalid").glob(f"*{UI}"))):
        codes |= {p.code for p in check(case, tmp_path / str(index))}
    assert codes >= {
        "unknown-field",
        "widget-type",
        "unknown-source",
        "bad-computed",
        "computed-cycle",
        "duplicate-group",
        "field-twice",
        "condition-in-rows",
        "bad-condition",
        "ui-without-form",
        "bad-form",
        "unknown-key",
        "missing-key",
        "bad-value",
        "wrong-type",
    }


def test_problems_carry_the_json_path_of_the_offending_part(tmp_path: Path) -> None:
    problems = check(FIXTURES / "invalid" / "unknown-fields.ui.json", tmp_path)
    assert [p.json_path for p in problems] == [
        "$.groups[0].fields[1]",
        "$.groups[0].fields[2]",
        "$.groups[0].when.need_invoice",
        "$.fields.totl",
        '$.fields["lines[].amount"].computed',
        "$.fields.total.computed",
    ]


def test_folders_are_walked_for_ui_files_and_the_registered_sources_are_asked(tmp_path: Path) -> None:
    check(FIXTURES / "invalid" / "widgets-and-sources.ui.json", tmp_path)
    problems = validate_paths([tmp_path / "forms"], tmp_path, option_sources={"catalogue", "product"})
    assert [p.code for p in problems] == ["widget-type"] * 5
    # by default, the names registered under orderloom.option_sources (pyproject.toml)
    problems = validate_paths([tmp_path / "forms"], tmp_path)
    assert [p.message for p in problems if p.code == "unknown-source"] == [
        "unknown option source 'product'; did you mean 'products'?",
        "unknown option source 'catalogue'",
    ]


@pytest.mark.parametrize("case", sorted((FIXTURES / "data").glob("*.json")), ids=lambda p: p.name)
def test_a_data_schema_with_unknown_formats_or_stray_enum_titles_reports_them(
    case: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "forms" / "t"
    folder.mkdir(parents=True)
    shutil.copy(case, folder / case.name)
    problems = validate_file(folder / case.name, tmp_path)
    expected = case.with_suffix(".expect").read_text("utf-8").splitlines()
    assert [f"{p.line}:{p.column}: {p.severity}: {p.message}" for p in problems] == expected
    # A UI file beside it is refused with it: its data schema cannot be used.
    (folder / case.name.replace(".json", UI)).write_text('{"schema_version": 1}', "utf-8")
    [problem] = validate_file(folder / case.name.replace(".json", UI), tmp_path)
    assert problem.code == "bad-form" and "unknown format 'mobile_cn'" in problem.message


def test_missing_enum_titles_alone_are_a_warning_and_leave_the_form_usable(tmp_path: Path) -> None:
    folder = tmp_path / "forms" / "t"
    folder.mkdir(parents=True)
    schema = {"properties": {"level": {"enum": ["a", "b"], "x-enum-titles": {"a": {"zh": "甲", "en": "A"}}}}}
    (folder / "f.json").write_text(json.dumps(schema), "utf-8")
    (folder / "f.ui.json").write_text('{"schema_version": 1}', "utf-8")
    [warning] = validate_file(folder / "f.json", tmp_path)
    assert (warning.severity, warning.code, warning.message) == (
        "warning",
        "enum-title",
        "x-enum-titles gives no title to 'b'",
    )
    assert validate_file(folder / "f.ui.json", tmp_path) == []


CJK = re.compile("[\u4e00-\u9fff]")


@pytest.mark.parametrize("case", sorted((FIXTURES / "invalid").glob(f"*{UI}")), ids=lambda p: p.name)
def test_every_problem_of_a_ui_file_is_worded_in_chinese_too(case: Path, tmp_path: Path) -> None:
    problems = check(case, tmp_path)
    assert problems
    for problem in problems:
        assert CJK.search(problem.words.zh) and problem.words.zh != problem.words.en, problem.words
        assert problem.message_in("zh").startswith(problem.words.zh)
        # the hint of a computed expression the condition language refuses is that language's own
        # (engine/rules/expr.py), passed on as it words it
        if problem.hint_words is not None and not problem.text.startswith("in computed "):
            zh_hint = problem.hint_in("zh") or ""
            assert CJK.search(zh_hint) and zh_hint != problem.hint, problem.hint_words


def test_the_problems_of_a_ui_file_read_in_chinese(tmp_path: Path) -> None:
    problems = check(FIXTURES / "invalid" / "unknown-fields.ui.json", tmp_path)
    assert [p.message_in("zh") for p in problems] == [
        "分组 'customer' 列出的 'customer.mobil' 不是表单的字段；您是否想输入 'customer.mobile'？",
        "分组 'customer' 列出的 'lines[].skus' 不是表单的字段；您是否想输入 'lines[].sku'？",
        "分组 'customer' 的条件读取的 'need_invoice' 不是表单的字段；您是否想输入 'needs_invoice'？",
        "'totl' 不是表单的字段；您是否想输入 'total'？",
        "计算字段 'lines[].amount' 读取的 'line.price' 不是表单的字段；您是否想输入 'lines[].unit_price'？",
        "计算字段 'total' 读取的 'form.line[].amount' 不是表单的字段；您是否想输入 'lines[].amount'？",
    ]
    orphan = check(FIXTURES / "invalid" / "orphan.ui.json", tmp_path / "orphan")
    assert [(p.message_in("zh"), p.hint_in("zh")) for p in orphan] == [
        (
            "此界面文件旁边没有数据结构文件 'orphan.json'",
            "界面文件描述的是同一文件夹中的表单 <name>.json",
        )
    ]
