"""engine/dsl/validate.py and the published schema: checks across files, folders and overlays."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from engine.dsl.compiler import load_bundle
from engine.dsl.schema_words import SCHEMA_FILE
from engine.dsl.spec import ORDER_FIELDS
from engine.dsl.validate import validate_file, validate_paths
from engine.errors import DefinitionError
from engine.rules.facts import ENGINE_FIELDS

from .support import ACTION_NAMES, ACTION_WRITES, FIXTURES, VALID, fixture_workflows


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
        [root / "workflows", root / "rules", root / "forms"],
        root,
        action_names=ACTION_NAMES,
        action_writes=ACTION_WRITES,
    )
    assert [(p.file, p.line, p.message) for p in problems] == [
        ("forms/retail/broken.json", 3, "JSON syntax error: expected a key in double quotes"),
        (
            "forms/retail/not-a-schema.json",
            4,
            "not a valid JSON Schema: 'nmber' is not a JSON type (string, number, integer, boolean, object, "
            "array, null); did you mean 'number'?",
        ),
        ("rules/retail/broken.yaml", 6, "unknown outcome 'aprove'; did you mean 'approve'?"),
        ("workflows/bad.yaml", 33, "unknown state 'fulfiled' in dest; did you mean 'fulfilled'?"),
    ]


def test_a_missing_path_is_a_problem(tmp_path: Path) -> None:
    problems = validate_paths([tmp_path / "nowhere.yaml"], tmp_path)
    assert [p.message for p in problems] == ["no such file or folder"]
    assert [p.message_in("zh") for p in problems] == ["没有这个文件或文件夹"]


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


def north_overlay(tmp_path: Path, body: str) -> tuple[Path, Path]:
    """The definitions root and ``workflows/north.yaml``, an overlay of retail-order whose lines after
    its header (three lines) are ``body``."""
    root = make_root(tmp_path)
    header = "schema_version: 1\nextends: retail-order\nworkflow: retail-north\n"
    return root, write(root, "workflows/north.yaml", header + body)


def test_overlay_problems_name_the_overlay_and_base_problems_the_base(tmp_path: Path) -> None:
    root, overlay = north_overlay(
        tmp_path,
        """\
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


def test_a_role_that_may_create_orders_must_be_one_of_the_workflows_roles(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    base = root / "workflows" / "retail-order.yaml"
    text = base.read_text().replace(
        "roles: [clerk, reviewer, warehouse, service]\n",
        "roles: [clerk, reviewer, warehouse, service]\ncreate_roles: [clerk, servce]\n",
    )
    base.write_text(text)

    def roles_problems(text: str) -> list[tuple[int, str, str]]:
        base.write_text(text)
        problems = validate_file(base, root, action_names=ACTION_NAMES, action_writes=ACTION_WRITES)
        return [(p.line, p.json_path, p.message) for p in problems if "create_roles" in p.json_path]

    assert roles_problems(text) == [
        (11, "$.create_roles[1]", "unknown role 'servce'; did you mean 'service'?")
    ]
    [problem] = [
        p
        for p in validate_file(base, root, action_names=ACTION_NAMES, action_writes=ACTION_WRITES)
        if "create_roles" in p.json_path
    ]  # the near miss is data a reader can offer, rendered only when shown
    assert (problem.text, problem.suggestion) == ("unknown role 'servce'", "service")
    assert problem.format() == (
        "workflows/retail-order.yaml:11:23: error: unknown role 'servce'; did you mean 'service'? "
        "[at $.create_roles[1]] (hint: add it to the workflow's roles: list)"
    )
    assert roles_problems(text.replace("servce", "service")) == []
    empty = roles_problems(text.replace("create_roles: [clerk, servce]", "create_roles: []"))
    assert [path for _, path, _ in empty] == ["$.create_roles"]


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
    assert {p.code for p in problems} == {"extends-cycle", "bad-base"}


def test_a_block_scalar_condition_is_reported_on_its_own_line(tmp_path: Path) -> None:
    text = (
        (VALID / "retail-order.yaml")
        .read_text()
        .replace('when: "order.total > 0"', "when: >-\n      order.total >")
    )
    path = write(tmp_path, "w.yaml", text)
    [problem] = validate_file(path, FIXTURES, workflows=fixture_workflows(), action_writes=ACTION_WRITES)
    assert problem.code == "bad-condition"
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
    assert [
        p.format()
        for p in validate_file(path, FIXTURES, workflows=fixture_workflows(), action_writes=ACTION_WRITES)
    ] == []


def test_department_names_still_refuse_capitals_digits_first_and_other_signs(tmp_path: Path) -> None:
    for department in ("After_sales", "9retail", "after sales", "after.sales", "_retail"):
        text = (
            (VALID / "retail-order.yaml")
            .read_text()
            .replace("department: retail", f"department: {department}")
        )
        path = write(tmp_path, "w.yaml", text)
        [problem] = validate_file(path, FIXTURES, workflows=fixture_workflows(), action_writes=ACTION_WRITES)
        assert problem.message == (
            "'department' must be a name of lower-case letters, digits, '-' and '_', starting with a letter "
            f"(got {department!r})"
        ), department
        assert problem.json_path == "$.department"


# -- malformed input never raises: static checks read only what is well-formed --------------------

WORDS = [
    "schema_version", "workflow", "department", "title", "channels", "data", "intake", "roles", "initial",
    "states", "transitions", "trigger", "source", "dest", "when", "rules", "form", "actions", "auto",
    "final", "timers", "after", "reason", "parallel", "label", "queue", "extends", "add", "replace",
    "remove", "zh", "en", "web", "paid", "pending_payment", "shipped", "cancelled", "*", "clerk",
    "forms/retail/order.json", "rules/retail/audit.yaml", "retail-order", "payment", "awaiting", "30m",
    "order.total > 0", "fulfilling.payment.awaiting",
]  # fmt: skip
scalars = st.one_of(
    st.sampled_from(WORDS), st.text(max_size=8), st.integers(-3, 3), st.booleans(), st.none(), st.floats(0, 2)
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(WORDS), st.text(max_size=6)), inner, max_size=5),
    ),
    max_leaves=30,
)
VALID_TREES = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(VALID.glob("*.yaml"))]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


@st.composite
def damaged_workflows(draw: st.DrawFn) -> Any:
    """A valid fixture with a few of its parts replaced by random trees (or removed)."""
    tree = copy.deepcopy(draw(st.sampled_from(VALID_TREES)))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(tree)))
        if not path:
            continue
        parent = tree
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(trees)
        if not isinstance(tree, dict):
            break
    return tree


# The fixtures' workflows by name, read once: reading them again for each example (five YAML files)
# took four fifths of an example's time, and the fixtures do not change while the tests run.
FIXTURE_WORKFLOWS = fixture_workflows()


def _never_raises(tmp_path: Path, tree: Any) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    problems = validate_file(path, FIXTURES, action_names=ACTION_NAMES, workflows=dict(FIXTURE_WORKFLOWS))
    assert all(isinstance(p.message, str) and p.line >= 0 for p in problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=trees)
def test_random_trees_never_raise(tmp_path: Path, tree: Any) -> None:
    _never_raises(tmp_path, tree)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=damaged_workflows())
def test_damaged_workflows_never_raise(tmp_path: Path, tree: Any) -> None:
    _never_raises(tmp_path, tree)


def test_a_misspelt_key_and_an_unknown_state_are_reported_together(tmp_path: Path) -> None:
    text = (
        (VALID / "retail-order.yaml")
        .read_text()
        .replace("initial: pending_payment", "initail: pending_payment")
        .replace("dest: shipped", "dest: shiped", 1)
    )
    kinds = {
        p.code
        for p in validate_file(write(tmp_path, "w.yaml", text), FIXTURES, workflows=fixture_workflows())
    }
    assert {"unknown-key", "unknown-state"} <= kinds


def test_a_transition_left_out_for_its_shape_does_not_make_states_look_unreachable(tmp_path: Path) -> None:
    text = (VALID / "retail-order.yaml").read_text().replace("dest: shipped", "dset: shipped", 1)
    problems = validate_file(write(tmp_path, "w.yaml", text), FIXTURES, workflows=fixture_workflows())
    assert {p.code for p in problems} <= {"unknown-key", "missing-key", "schema"}
    assert not {"unreachable", "dead-end", "timer-trigger"} & {p.code for p in problems}


def test_a_state_named_with_a_dot_is_refused_by_the_schema_without_a_traceback(tmp_path: Path) -> None:
    text = (VALID / "fulfilment.yaml").read_text()
    for broken in (text.replace("awaiting:", "a.b:", 1), text.replace("fulfilling:", "ful.filling:", 1)):
        problems = validate_file(write(tmp_path, "w.yaml", broken), FIXTURES, workflows=fixture_workflows())
        assert problems and {p.code for p in problems} <= {"schema-name", "unknown-state"}, problems
        assert problems[0].code == "schema-name"


def test_a_rule_file_of_a_kind_not_evaluated_is_valid_alone_but_refused_where_it_is_named() -> None:
    """``correlation`` validates as a file; naming it in ``rules:`` is refused, so it never reaches a fire."""
    fraud = FIXTURES / "rules" / "retail" / "fraud.yaml"
    assert validate_file(fraud, FIXTURES, action_names=ACTION_NAMES) == []
    workflow = FIXTURES / "invalid" / "rules-kind-not-evaluated.yaml"
    [problem] = validate_file(workflow, FIXTURES, action_names=ACTION_NAMES, workflows=fixture_workflows())
    assert (problem.code, problem.json_path) == ("unsupported-rules-kind", "$.transitions[1].rules")
    assert (problem.line, problem.column) == (18, 12)
    assert problem.hint == (
        "rules/retail/fraud.yaml declares kind 'correlation'; point 'rules:' at a rule file of kind "
        "audit, decision_table or routing"
    )
    with pytest.raises(DefinitionError, match="rule file kind 'correlation' cannot pick a destination;"):
        load_bundle(workflow, FIXTURES, action_names=ACTION_NAMES, workflows=fixture_workflows())


# --- what conditions read (engine/rules/facts.py) ---------------------------------------------------

CHECKED = """\
schema_version: 1
workflow: checked
department: retail
title: {zh: 校验, en: Checked}
data: forms/checked/order.json
roles: [clerk]
initial: open
states:
  open: {label: {zh: 打开, en: Open}}
  done: {final: true}
transitions:
  - trigger: close
    source: open
    dest: done
    roles: [clerk]
    actions: [loyalty.award]
    when: [order.cupon != None, order.address.provnce == "上海", order.points >= 0]
"""


def test_an_unknown_field_an_open_form_leaves_room_for_is_a_warning_that_never_stops_a_publish(
    tmp_path: Path,
) -> None:
    root = make_root(tmp_path)
    path = write(root, "workflows/checked.yaml", CHECKED)
    problems = validate_file(path, root, action_names={"loyalty.award"})
    assert [(p.line, p.column, p.severity, p.code, p.message) for p in problems] == [
        (
            17,
            18,
            "warning",
            "unknown-field",
            "unknown field 'order.cupon': the order has no 'cupon'; did you mean 'coupon'?",
        ),
        (
            17,
            47,
            "warning",
            "unknown-field",
            "unknown field 'order.address.provnce': order.address has no 'provnce'; did you mean 'province'?",
        ),
        (17, 70, "warning", "unknown-field", "unknown field 'order.points': the order has no 'points'"),
    ]
    assert (
        problems[0].format().startswith("workflows/checked.yaml:17:18: warning: unknown field 'order.cupon'")
    )
    assert problems[0].json_path == "$.transitions[0].when[0]"
    bundle = load_bundle(path, root, action_names={"loyalty.award"})  # warnings are not refusals
    assert bundle.name == "checked"


def test_a_field_an_action_declares_it_writes_is_known(tmp_path: Path) -> None:
    from engine.plugins import PluginRegistry, writes

    @writes("points")
    def award(ctx: Any) -> None:
        return None

    registry = PluginRegistry({"loyalty.award": award})
    assert registry.action_writes == {"loyalty.award": frozenset({"points"})}
    root = make_root(tmp_path)
    path = write(root, "workflows/checked.yaml", CHECKED)
    known = validate_file(
        path, root, action_names=registry.action_names, action_writes=registry.action_writes
    )
    assert [p.message for p in known if "points" in p.message] == []
    unknown = validate_file(path, root, action_names=registry.action_names)
    assert [p.message for p in unknown if "points" in p.message] == [
        "unknown field 'order.points': the order has no 'points'"
    ]


ROUTED = """\
schema_version: 1
workflow: routed
department: retail
title: {zh: 路由, en: Routed}
data: forms/checked/order.json
initial: open
states:
  open: {label: {zh: 打开, en: Open}}
  done: {final: true}
transitions:
  - trigger: route
    source: open
    rules: rules/checked/routing.yaml
    dest: {routed: done, split: done, no_stock: open, no_carrier: open}
  - trigger: discount
    source: open
    rules: rules/checked/discount.yaml
    dest: {none: open, discount: done}
    when:
      - order.carrier != None and order.split[0].lines[0].qty > 0 and order.rate > 0
      - order.rate == '0.1'
      - order.split[0].wherehouse != None
"""


def test_what_routing_and_a_decision_table_write_is_known_with_its_type(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    routing = Path(__file__).resolve().parents[1] / "runtime/fixtures/routing/rules/routing.yaml"
    write(root, "rules/checked/routing.yaml", routing.read_text(encoding="utf-8"))
    path = write(root, "workflows/routed.yaml", ROUTED)
    problems = [p for p in validate_file(path, root) if p.file == "workflows/routed.yaml"]
    assert [(p.line, p.column, p.code, p.message) for p in problems] == [
        (
            21,
            9,
            "type-mismatch",
            "order.rate (a number; type: [number]) is compared with '0.1' (text): "
            "'==' between text and a number is always false",
        ),
        (
            22,
            24,
            "unknown-field",
            "unknown field 'order.split[0].wherehouse': order.split[0] has no 'wherehouse'; "
            "did you mean 'warehouse'?",
        ),
    ]


def test_a_problem_in_a_base_workflow_is_reported_once_for_it_and_its_overlay(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    write(root, "workflows/checked.yaml", CHECKED)
    write(
        root,
        "workflows/checked-vip.yaml",
        "schema_version: 1\nextends: checked\nworkflow: checked-vip\ntitle: {zh: 会员, en: VIP}\n",
    )
    problems = validate_paths([root / "workflows"], root, action_names={"loyalty.award"})
    cupon = [p for p in problems if "'order.cupon'" in p.message]
    assert [(p.file, p.line, p.column) for p in cupon] == [("workflows/checked.yaml", 17, 18)]


def test_the_shipped_definitions_read_only_fields_their_forms_declare() -> None:
    """Every condition of the shipped workflows and the rule files they name reads known fields and
    compares values of one type (the declared writes of the built-in actions are not needed for it)."""
    from engine.plugins import PluginRegistry

    repo = Path(__file__).resolve().parents[3]
    registry = PluginRegistry.from_entry_points()
    for writes in (registry.action_writes, {}):
        problems = validate_paths(
            [repo / "workflows", repo / "rules", repo / "forms"],
            repo,
            action_names=registry.action_names,
            action_writes=writes,
        )
        assert [p.format() for p in problems if p.code in ("unknown-field", "type-mismatch")] == []


def test_the_built_in_actions_declare_what_the_tests_expect_them_to_write() -> None:
    """Whatever plugins/*.py declare with ``engine.plugins.writes`` matches what they return."""
    from engine.plugins import PluginRegistry

    declared = PluginRegistry.from_entry_points().action_writes
    assert set(declared) == set(ACTION_WRITES)  # every built-in action declares, none is forgotten
    for name, fields in declared.items():
        assert fields == ACTION_WRITES[name], name


def test_a_rule_file_with_only_warnings_is_usable_where_a_workflow_names_it(tmp_path: Path) -> None:
    """An unreachable row of a first-hit table is a warning: reported once, and the workflow loads."""
    from engine.dsl.compiler import load_bundle

    (tmp_path / "forms").mkdir()
    (tmp_path / "rules").mkdir()
    (tmp_path / "workflows").mkdir()
    (tmp_path / "forms/order.json").write_text(
        '{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",'
        ' "properties": {"total": {"type": "number"}}}',
        encoding="utf-8",
    )
    (tmp_path / "rules/size.yaml").write_text(
        """schema_version: 1
ruleset: size
kind: decision_table
title: {zh: 大小, en: Size}
hit_policy: first
inputs: [{name: total, expr: order.total}]
outputs: [outcome]
outcomes: [big, small]
default: small
rules:
  - {name: any, cells: {total: '-'}, then: {outcome: small}}
  - {name: big, cells: {total: '> 100'}, then: {outcome: big}}
""",
        encoding="utf-8",
    )
    workflow = tmp_path / "workflows/sized.yaml"
    workflow.write_text(
        """schema_version: 1
workflow: sized
department: retail
title: {zh: 分级, en: Sized}
data: forms/order.json
roles: [clerk]
initial: new
states:
  new: {label: {zh: 新建, en: New}}
  big: {final: true, label: {zh: 大单, en: Big}}
  small: {final: true, label: {zh: 小单, en: Small}}
transitions:
  - {trigger: size, source: new, dest: {big: big, small: small}, rules: rules/size.yaml, roles: [clerk]}
""",
        encoding="utf-8",
    )
    problems = validate_paths([tmp_path / "workflows", tmp_path / "rules"], tmp_path)
    found = [(p.severity, p.code, p.file) for p in problems]
    assert found == [("warning", "unreachable-row", "rules/size.yaml")]
    bundle = load_bundle(workflow, tmp_path)  # a warning never refuses the workflow
    assert bundle.rulesets["rules/size.yaml"]["ruleset"] == "size"


def test_leaving_a_parallel_state_warns_where_interrupts_changes_nothing_or_a_step_is_never_taken(
    tmp_path: Path,
) -> None:
    """``interrupts`` on a transition that leaves no parallel state, a step out of one that the
    unconditional automatic join always beats, a timer on one whose step waits for the join: warnings
    only, so the workflow still loads."""
    text = (VALID / "fulfilment.yaml").read_text(encoding="utf-8")
    text = text.replace("roles: [clerk], interrupts: true}", "roles: [clerk]}")
    text = text.replace("  - {trigger: accept,", "  - {trigger: accept, interrupts: true,")
    label = "  fulfilling:\n    label: {zh: 履约中, en: Fulfilling}\n"
    text = text.replace(label, label + "    timers: [{after: 7d, trigger: cancel}]\n")
    path = write(tmp_path, "workflows/w.yaml", text)
    problems = validate_file(path, FIXTURES, action_names=ACTION_NAMES, workflows={})
    assert [(p.severity, p.code, p.line) for p in problems] == [
        ("warning", "timer-join", 13),
        ("warning", "interrupts-nothing", 30),
        ("warning", "after-join", 35),
    ]
    assert problems[1].message == "transition 'accept' has interrupts: true but leaves no parallel state"
    assert problems[2].message == (
        "transition 'cancel' out of 'fulfilling' is never taken: once every region is done, the automatic "
        "transition at line 34 leaves 'fulfilling' first"
    )
    assert "add interrupts: true to this one" in (problems[2].hint or "")
    load_bundle(path, FIXTURES, action_names=ACTION_NAMES, workflows={})  # warnings refuse nothing


def test_a_rule_comparing_the_channel_with_one_the_workflow_never_takes_is_warned(tmp_path: Path) -> None:
    """The retail routing file once left GZ-01 out with ``order.channel != 'flash-sale'``: no order has
    that channel (flash-sale orders come through the app), so the condition always held."""
    repo = Path(__file__).resolve().parents[3]
    for folder in ("workflows", "forms", "rules"):
        shutil.copytree(repo / folder, tmp_path / folder)
    routing = tmp_path / "rules" / "retail" / "routing.yaml"
    text = routing.read_text(encoding="utf-8")
    fixed = "when: order.workflow != 'retail-flash-sale'"
    assert fixed in text
    routing.write_text(text.replace(fixed, "when: order.channel != 'flash-sale'"), encoding="utf-8")
    problems = validate_file(tmp_path / "workflows" / "retail" / "order.yaml", tmp_path)
    [never] = [p for p in problems if p.code == "never-value"]
    assert never.format().startswith(
        "rules/retail/routing.yaml:31:28: warning: order.channel is never 'flash-sale': it is one of 'web', "
        "'app', none (the workflow's channels), so '!=' is always true [at $.warehouses[2].when]"
    )
    assert [p for p in problems if p.severity == "error"] == []


OVERLONG_RULE = """schema_version: 1
ruleset: retail-audit
kind: audit
title: {{zh: 零售订单审核, en: Retail order audit}}
outcomes: [approve, hold, reject]
default: approve
rules:
  - name: large-amount
    when: "{when}"
    outcome: hold
    reason: {{zh: 金额过大, en: Amount too large}}
"""


def test_an_overlong_condition_is_reported_once_without_echoing_it(tmp_path: Path) -> None:
    when = "order.total > 5 and " * 45_000 + "True"  # 900 KB
    path = write(tmp_path, "rules/retail/audit.yaml", OVERLONG_RULE.format(when=when))
    problems = validate_paths([path], tmp_path)
    assert [(p.file, p.line, p.column, p.json_path) for p in problems] == [
        ("rules/retail/audit.yaml", 9, 11, "$.rules[0].when")
    ]
    (problem,) = problems
    assert "expression is 900004 characters long; the limit is 2000" in problem.message
    assert len(problem.format()) < 400


@pytest.mark.parametrize(
    ("name", "kind", "body"),
    [
        ("x", "routing", 'warehouses:\n  - {{name: SH-01, province: 上海, when: "{long}"}}\n'),
        ("x", "decision_table", 'inputs:\n  - {{name: total, expr: "{long}"}}\n'),
        ("{long}", "audit", "outcomes: [approve, hold]\ndefault: approve\nrules: []\n"),
    ],
)
def test_an_overlong_value_is_never_echoed_whole_by_any_rule_file(
    tmp_path: Path, name: str, kind: str, body: str
) -> None:
    long = "order.total + " * 60_000 + "1"
    head = f'schema_version: 1\nruleset: "{name}"\nkind: {kind}\ntitle: {{{{zh: x, en: x}}}}\n'
    text = (head + body).format(long=long)
    path = write(tmp_path, "rules/retail/x.yaml", text)
    problems = validate_paths([path], tmp_path)
    assert problems
    assert all(len(p.format()) < 600 for p in problems), [p.format()[:200] for p in problems]


def test_a_trigger_leaving_a_parallel_state_and_one_of_its_regions_takes_one_form(tmp_path: Path) -> None:
    """A transition from the parallel state also matches in every state of its regions: the two take
    the data of one form, and load_bundle (so publishing) refuses them apart."""
    root = make_root(tmp_path)
    path = write(
        root,
        "workflows/split.yaml",
        """schema_version: 1
workflow: split-order
department: retail
title: {zh: 分开履约, en: Split fulfilment}
roles: [clerk]
initial: fulfilling
states:
  fulfilling:
    parallel:
      payment: {initial: awaiting, states: {awaiting: {}, paid: {final: true}}}
      shipping: {initial: packing, states: {packing: {}, shipped: {final: true}}}
  completed: {final: true}
transitions:
  - {trigger: pay, source: fulfilling.payment.awaiting, dest: fulfilling.payment.paid, roles: [clerk]}
  - {trigger: ship, source: fulfilling.shipping.packing, dest: fulfilling.shipping.shipped, roles: [clerk]}
  - {trigger: finish, source: fulfilling, dest: completed, auto: true}
  - {trigger: finish, source: fulfilling.shipping.shipped, dest: completed, form: forms/retail/payment.json}
""",
    )
    problems = [p for p in validate_file(path, root) if p.code == "trigger-forms"]
    assert [(p.line, p.column, p.json_path) for p in problems] == [(17, 83, "$.transitions[3].form")]
    assert problems[0].message.startswith(
        "trigger 'finish' from state 'fulfilling.shipping.shipped' takes form 'forms/retail/payment.json' "
        "here but no form in the transition at line 16"
    )
    with pytest.raises(DefinitionError) as refused:
        load_bundle(path, root)
    assert "trigger-forms" in {p.code for p in refused.value.problems}


def test_a_form_field_named_like_one_of_the_orders_own_fields_is_refused(tmp_path: Path) -> None:
    """order.state is the order's state in every condition: a form field 'state' would never be read
    there. The form is refused at the field, and a workflow naming the form cannot be published."""
    root = make_root(tmp_path)
    form = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"note": {"type": "string"}, "state": {"type": "string"}},
    }
    path = write(root, "forms/retail/status.json", json.dumps(form, indent=2))
    [problem] = validate_file(path, root)
    assert (problem.code, problem.line, problem.column, problem.json_path) == (
        "order-field",
        8,
        5,
        "$.properties.state",
    )
    assert problem.message == (
        "field 'state' takes the name of the order's own field: order.state is always the order's state, "
        "never this field, in every condition and rule"
    )
    workflow = (VALID / "retail-order.yaml").read_text(encoding="utf-8")
    workflow = workflow.replace("form: forms/retail/payment.json", "form: forms/retail/status.json", 1)
    assert "forms/retail/status.json" in workflow
    with pytest.raises(DefinitionError) as refused:
        load_bundle(write(root, "workflows/status.yaml", workflow), root)
    assert "order-field" in {p.code for p in refused.value.problems}


def test_the_fields_conditions_are_told_the_engine_sets_are_the_orders_own() -> None:
    assert set(ENGINE_FIELDS) == set(ORDER_FIELDS)


def test_a_rule_file_with_its_ruleset_key_misspelled_is_checked_as_a_rule_file(tmp_path: Path) -> None:
    """Under rules/, a file without ``workflow:`` is a rule file: ``rulset:`` is one misspelling with
    its suggestion, not a workflow missing every key it needs."""
    source = (Path(__file__).resolve().parents[3] / "rules/retail/routing.yaml").read_text(encoding="utf-8")
    assert source.count("\nruleset:") == 1
    target = tmp_path / "rules" / "retail" / "routing.yaml"
    target.parent.mkdir(parents=True)
    target.write_text(source.replace("\nruleset:", "\nrulset:"), encoding="utf-8")
    problems = validate_file(target, tmp_path)
    assert [p.code for p in problems] == ["schema", "unknown-key"]
    assert problems[1].message == "unknown key 'rulset'; did you mean 'ruleset'?"
    assert not any("workflow" in p.message for p in problems)


def test_a_state_entered_only_by_an_approvers_return_is_reachable(tmp_path: Path) -> None:
    """回退 moves the order too: a state only an approval's return_to enters is not unreachable, and one
    nothing enters still is."""
    root = Path(__file__).resolve().parents[1] / "runtime" / "fixtures" / "approvals"
    text = (root / "workflows" / "approval-order.yaml").read_text(encoding="utf-8")
    text = text.replace("return_to: [draft]\n", "return_to: [sent_back]\n").replace(
        "  approved: {label:",
        "  sent_back: {label: {zh: 退回待修改, en: Sent back}}\n"
        "  nowhere: {label: {zh: 无, en: Nowhere}}\n"
        "  approved: {label:",
    )
    text += "  - {trigger: resubmit, source: [sent_back, nowhere], dest: draft, roles: [sales]}\n"
    problems = validate_file(write(tmp_path, "workflows/w.yaml", text), tmp_path)
    unreachable = {p.json_path for p in problems if p.code == "unreachable"}
    assert unreachable == {"$.states.nowhere"}


def test_an_overlays_timer_at_a_moment_is_checked_where_the_overlay_writes_it(tmp_path: Path) -> None:
    root, overlay = north_overlay(
        tmp_path,
        "replace:\n  states:\n    shipped:\n      timers:\n"
        "        - {at: ordr.shipped_at, trigger: confirm}\n"
        "        - {at: 'order.total', trigger: confirm}\n",
    )
    problems = [
        p for p in validate_file(overlay, root, action_names=ACTION_NAMES) if p.file.endswith("north.yaml")
    ]
    assert [(p.file, p.line, p.column, p.code, p.json_path) for p in problems] == [
        ("workflows/north.yaml", 8, 16, "bad-condition", "$.replace.states.shipped.timers[0].at"),
        ("workflows/north.yaml", 9, 17, "timer-at", "$.replace.states.shipped.timers[1].at"),
    ]
    assert problems[0].suggestion == "order"
