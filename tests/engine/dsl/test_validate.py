"""engine/dsl/validate.py and the published schema: checks across files, folders and overlays."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from engine.dsl.validate import SCHEMA_FILE, validate_file, validate_paths

from .support import ACTION_NAMES, FIXTURES, VALID, fixture_workflows


def properties(node: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in (node.get("properties") or {}).items():
            yield f"{path}.{key}", value
        for key, value in node.items():
            yield from properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from properties(value, f"{path}[{index}]")


def test_the_published_schema_is_valid_and_describes_every_property() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    undescribed = [
        path for path, prop in properties(schema) if "description" not in prop and "$ref" not in prop
    ]
    assert undescribed == []
    for name, definition in schema["$defs"].items():
        if definition.get("type") == "object" and "properties" in definition:
            assert definition.get("additionalProperties") is False, name


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_root(tmp_path: Path) -> Path:
    for folder in ("forms", "rules"):
        shutil.copytree(FIXTURES / folder, tmp_path / folder)
    (tmp_path / "workflows").mkdir()
    shutil.copy(VALID / "retail-order.yaml", tmp_path / "workflows" / "retail-order.yaml")
    return tmp_path


def test_folders_are_walked_for_workflows_rules_and_forms(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    write(
        root,
        "workflows/bad.yaml",
        (VALID / "fulfilment.yaml").read_text().replace("dest: fulfilled", "dest: fulfiled"),
    )
    problems = validate_paths(
        [root / "workflows", root / "rules", root / "forms"], root, action_names=ACTION_NAMES
    )
    assert [(p.file, p.line, p.message) for p in problems] == [
        ("forms/retail/broken.json", 3, "JSON syntax error: expected a key in double quotes"),
        (
            "forms/retail/not-a-schema.json",
            4,
            "not a valid JSON Schema: 'nmber' is not valid under any of the given schemas",
        ),
        ("rules/retail/broken.yaml", 6, "unknown outcome 'aprove'; did you mean 'approve'?"),
        ("workflows/bad.yaml", 33, "unknown state 'fulfiled' in dest; did you mean 'fulfilled'?"),
    ]


def test_a_missing_path_is_a_problem(tmp_path: Path) -> None:
    problems = validate_paths([tmp_path / "nowhere.yaml"], tmp_path)
    assert [p.message for p in problems] == ["no such file or folder"]


def test_a_form_outside_the_definitions_root_is_not_read(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    write(tmp_path, "secret.json", "{}")
    text = (
        (VALID / "retail-order.yaml")
        .read_text()
        .replace("forms/retail/order.json", "forms/../../secret.json")
    )
    path = write(root, "workflows/retail-order.yaml", text)
    messages = [p.message for p in validate_file(path, root)]
    assert any("must be a path to a .json file" in m for m in messages)


def test_overlay_problems_name_the_overlay_and_base_problems_the_base(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    overlay = write(
        root,
        "workflows/north.yaml",
        """\
schema_version: 1
extends: retail-order
workflow: retail-north
add:
  transitions:
    - {trigger: rush, source: paid, dest: shiped, roles: [runner]}
replace:
  transitions:
    - {trigger: ship, source: pending_shipment, dest: shipped, when: "order.total >"}
""",
    )
    problems = validate_file(overlay, root, action_names=ACTION_NAMES)
    assert [(p.file, p.line, p.column, p.json_path, p.message) for p in problems] == [
        (
            "workflows/north.yaml",
            6,
            43,
            "$.add.transitions[0].dest",
            "unknown state 'shiped' in dest; did you mean 'shipped'?",
        ),
        ("workflows/north.yaml", 6, 59, "$.add.transitions[0].roles[0]", "unknown role 'runner'"),
        (
            "workflows/north.yaml",
            9,
            84,
            "$.replace.transitions[0].when",
            "invalid condition: invalid syntax (the expression ends too early)",
        ),
    ]


def test_an_overlay_whose_base_is_broken_says_so(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    base = root / "workflows" / "retail-order.yaml"
    base.write_text(
        base.read_text().replace("initial: pending_payment", "initial: pending_payment\nbogus: 1")
    )
    overlay = write(root, "workflows/o.yaml", "schema_version: 1\nextends: retail-order\nworkflow: o\n")
    messages = [(p.file, p.message) for p in validate_file(overlay, root)]
    assert messages == [
        ("workflows/o.yaml", "the workflow 'retail-order' it extends has problems"),
        ("workflows/retail-order.yaml", "unknown key 'bogus' in workflow"),
    ]


def test_overlays_that_extend_each_other_in_a_circle_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "workflows/a.yaml", "schema_version: 1\nextends: b\nworkflow: a\n")
    write(tmp_path, "workflows/b.yaml", "schema_version: 1\nextends: a\nworkflow: b\n")
    problems = validate_paths([tmp_path / "workflows"], tmp_path)
    assert {p.kind for p in problems} == {"extends-cycle", "bad-base"}


def test_a_block_scalar_condition_is_reported_on_its_own_line(tmp_path: Path) -> None:
    text = (
        (VALID / "retail-order.yaml")
        .read_text()
        .replace('when: "order.total > 0"', "when: >-\n      order.total >")
    )
    path = write(tmp_path, "w.yaml", text)
    [problem] = validate_file(path, FIXTURES, workflows=fixture_workflows())
    assert problem.kind == "bad-condition"
    assert (problem.line, problem.column) == (32, 20)


def test_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", "- just\n- a list\n")
    assert [p.message for p in validate_file(path, tmp_path)] == [
        "a workflow file must be a mapping (key: value)"
    ]


def test_department_and_workflow_names_may_hold_underscores(tmp_path: Path) -> None:
    text = (
        (VALID / "retail-order.yaml")
        .read_text()
        .replace("workflow: retail-order", "workflow: retail_order")
        .replace("department: retail", "department: after_sales")
    )
    path = write(tmp_path, "w.yaml", text)
    assert [p.format() for p in validate_file(path, FIXTURES, workflows=fixture_workflows())] == []


def test_department_names_still_refuse_capitals_digits_first_and_other_signs(tmp_path: Path) -> None:
    for department in ("After_sales", "9retail", "after sales", "after.sales", "_retail"):
        text = (
            (VALID / "retail-order.yaml")
            .read_text()
            .replace("department: retail", f"department: {department}")
        )
        path = write(tmp_path, "w.yaml", text)
        [problem] = validate_file(path, FIXTURES, workflows=fixture_workflows())
        assert problem.message == (
            "'department' must be a name of lower-case letters, digits, '-' and '_', starting with a letter "
            f"(got {department!r})"
        ), department
        assert problem.json_path == "$.department"
