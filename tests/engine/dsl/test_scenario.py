"""Scenario files read with their marks: the steps they hold, every problem of their shape at its line and
column, and what they name that their definitions lack (engine/dsl/scenario.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from engine.dsl.scenario import (
    DEFAULT_CLOCK,
    MISSING,
    Advance,
    Create,
    Expect,
    Fire,
    RunWorker,
    SetAccount,
    check_scenario,
    data_at,
    duration,
    is_scenario,
    load_scenario,
    scenario_root,
)

REPO = Path(__file__).resolve().parents[3]

GOOD = """\
schema_version: 1
scenario: unpaid
clock: '2026-05-01T10:00:00+08:00'
setup:
  stock: [{sku: XM-BAND8, warehouse: SH-01, on_hand: 10}]
  users:
    storefront: {roles: [clerk], departments: [retail]}
steps:
  - create: retail-order
    as: storefront
    channel: web
    data: {total: 478}
  - fire: pay
    as: storefront
    data: {amount: 478}
    expect_refused: less than
  - advance: 1d2h31m
  - worker: once
  - expect:
      state: cancelled
      data:
        lines[0].sku: XM-BAND8
      stock: [{sku: XM-BAND8, warehouse: SH-01, reserved: 0}]
      outbox: {notifications.order_status: 1, other: {count: 2, status: sent}}
      audit: [{trigger: cancel, reason: unpaid_timeout}]
"""


def test_a_scenario_file_is_read_into_its_steps_with_their_places() -> None:
    read = load_scenario(GOOD, "s.yaml")
    assert read.problems == ()
    scenario = read.scenario
    assert scenario is not None
    assert scenario.clock == datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
    assert scenario.stock == {("XM-BAND8", "SH-01"): 10}
    assert scenario.users["storefront"].roles == ("clerk",)
    create, fire, advance, worker, expect = scenario.steps
    assert isinstance(create, Create) and (create.workflow, create.name, create.actor) == (
        "retail-order",
        "order",
        "storefront",
    )
    assert (create.where.line, create.where.column) == (9, 5)
    assert isinstance(fire, Fire) and fire.order == "order" and fire.expect_refused == "less than"
    assert isinstance(advance, Advance) and advance.seconds == 86400 + 2 * 3600 + 31 * 60
    assert isinstance(worker, RunWorker)
    assert isinstance(expect, Expect)
    kinds = [(check.what, check.where.line) for check in expect.checks]
    assert kinds == [
        ("state", 20),
        ("data", 22),
        ("stock", 23),
        ("outbox", 24),
        ("outbox", 24),
        ("audit", 25),
    ]
    assert expect.checks[3].key == {"topic": "notifications.order_status", "status": None}
    assert expect.checks[4].expected == 2 and expect.checks[4].key["status"] == "sent"


def test_without_a_clock_a_scenario_starts_at_the_default_and_steps_name_the_last_order() -> None:
    text = GOOD.replace("clock: '2026-05-01T10:00:00+08:00'\n", "").replace(
        "  - fire: pay\n", "  - create: retail-order\n    name: second\n    as: storefront\n  - fire: pay\n"
    )
    scenario = load_scenario(text).scenario
    assert scenario is not None
    assert scenario.clock == DEFAULT_CLOCK
    fire = scenario.steps[2]
    assert isinstance(fire, Fire) and fire.order == "second"


def problems(text: str) -> list[str]:
    return [f"{p.line}:{p.column}: {p.message}" for p in load_scenario(text, "s.yaml").problems]


def test_every_problem_of_the_shape_is_reported_at_its_place() -> None:
    text = GOOD.replace("advance: 1d2h31m", "advance: 31 minutes").replace("worker: once", "worker: 2")
    text = text.replace("    as: storefront\n    channel: web", "    as: storefront\n    chanel: web")
    text = text.replace("status: sent", "status: gone")
    assert problems(text) == [
        "11:5: unknown key 'chanel' in a 'create' step; did you mean 'channel'?",
        "17:14: '31 minutes' is not a duration",
        "18:13: write 'worker: once': the worker runs one round",
        "24:73: unknown status 'gone'",
    ]


def test_a_step_is_exactly_one_kind_and_create_and_fire_say_who_acts() -> None:
    text = GOOD.replace("  - worker: once\n", "  - worker: once\n    advance: 2h\n  - wiat: 2h\n")
    text = text.replace("  - fire: pay\n    as: storefront\n", "  - fire: pay\n")
    assert problems(text) == [
        "13:5: a 'fire' step needs 'as': which user acts",
        "17:5: each step is exactly one of: create, fire, advance, worker, account, expect "
        "(not worker, advance)",
        "19:5: each step is exactly one of: create, fire, advance, worker, account, expect",
    ]


def test_an_account_step_is_read_as_setup_accounts_are_and_refused_at_its_place() -> None:
    account = "{department: wholesale, account_no: W1, company: 某公司, credit_limit: 100, outstanding: 50}"
    text = GOOD.replace("  - worker: once\n", f"  - worker: once\n  - account: {account}\n")
    read = load_scenario(text, "s.yaml")
    assert read.problems == () and read.scenario is not None
    [step] = [s for s in read.scenario.steps if isinstance(s, SetAccount)]
    assert step.account["outstanding"] == 50 and step.where.json_path == "$.steps[4]"
    lacking = text.replace(", credit_limit: 100", "").replace("outstanding: 50", "outstandng: 50")
    assert problems(lacking) == [
        "19:68: unknown key 'outstandng' in an account; did you mean 'outstanding'?",
        "19:14: an account needs 'credit_limit'",
    ]


def test_the_loader_refuses_aliases_and_malformed_yaml_at_their_place() -> None:
    aliased = GOOD.replace("data: {total: 478}", "data: &d {total: 478}").replace(
        "data: {amount: 478}", "data: *d"
    )
    assert problems(aliased)[0].startswith("15:11: aliases (*name) are not allowed")
    assert problems("scenario: x\nsteps: [\n")[0].startswith("3:1:")


def test_a_file_without_steps_or_name_or_with_a_bad_clock_is_refused() -> None:
    assert problems("schema_version: 1\nclock: yesterday\n") == [
        "1:1: a scenario file needs 'scenario': its name",
        "2:8: 'clock' must be an ISO-8601 time with an offset, not 'yesterday'",
        "1:1: a scenario file needs a non-empty 'steps' list",
    ]


@given(
    st.integers(0, 400),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    st.sets(st.sampled_from("dhms"), min_size=1),
)
def test_a_duration_is_its_parts_added(
    days: int, hours: int, minutes: int, seconds: int, parts: set[str]
) -> None:
    values = {"d": days, "h": hours, "m": minutes, "s": seconds}
    text = "".join(f"{values[unit]}{unit}" for unit in "dhms" if unit in parts)
    expected = timedelta(
        **{name: values[name[0]] for name in ("days", "hours", "minutes", "seconds") if name[0] in parts}
    )
    assert duration(text) == int(expected.total_seconds())


def test_what_is_not_a_duration() -> None:
    for text in ("", "31", "m", "31 m", "2h1d", "-1d", "1.5h", "31min", None, 31):
        assert duration(text) is None, text


def test_data_paths_reach_into_mappings_and_lists() -> None:
    data = {"customer": {"name": "王芳"}, "lines": [{"sku": "A"}, {"sku": "B"}]}
    assert data_at(data, "customer.name") == "王芳"
    assert data_at(data, "lines[1].sku") == "B"
    assert data_at(data, "lines[-1].sku") == "B"
    assert data_at(data, "lines[2].sku") is MISSING
    assert data_at(data, "customer.mobile") is MISSING
    assert data_at(data, "customer.name.first") is MISSING
    assert data_at(data, "not a path") is MISSING


def test_a_scenario_is_known_by_its_key_or_its_folder() -> None:
    assert is_scenario({"scenario": "x"}, "anywhere/x.yaml")
    assert is_scenario({"steps": []}, "scenarios/retail/x.yaml")
    assert not is_scenario({"workflow": "x", "scenario": "y"}, "scenarios/x.yaml")
    assert not is_scenario({"ruleset": "x"}, "scenarios/x.yaml")
    assert not is_scenario({"steps": []}, "workflows/x.yaml")


def test_the_definitions_root_is_relative_to_the_file() -> None:
    scenario = load_scenario(
        GOOD.replace("scenario: unpaid\n", "scenario: unpaid\ndefinitions: ..\n")
    ).scenario
    assert scenario is not None
    assert scenario_root(scenario, Path("/a/b/scenarios/x.yaml"), Path("/elsewhere")) == Path("/a/b")
    plain = load_scenario(GOOD).scenario
    assert plain is not None
    assert scenario_root(plain, Path("/a/b/scenarios/x.yaml"), Path("/elsewhere")) == Path("/elsewhere")


def test_names_the_definitions_lack_are_problems_with_the_near_miss() -> None:
    text = GOOD.replace("fire: pay", "fire: pya").replace("state: cancelled", "state: canceled")
    text = text.replace("channel: web", "channel: fax").replace("trigger: cancel,", "trigger: cancle,")
    read = load_scenario(text, "s.yaml")
    assert read.scenario is not None
    found, specs = check_scenario(read.scenario, REPO, marks=read.marks)
    assert [f"{p.line}:{p.column}: {p.code}: {p.message}" for p in found] == [
        "11:14: unknown-channel: workflow 'retail-order' has no channel 'fax'",
        "13:11: unknown-trigger: unknown trigger 'pya' in workflow 'retail-order'; did you mean 'pay'?",
        "20:14: unknown-state: unknown state 'canceled' in workflow 'retail-order'; "
        "did you mean 'cancelled'?",
        "25:25: unknown-trigger: unknown trigger 'cancle' in workflow 'retail-order'; did you mean 'cancel'?",
    ]
    assert set(specs) == {"retail-order"}


def test_the_shipped_scenarios_name_only_what_their_definitions_have() -> None:
    files = sorted((REPO / "scenarios").rglob("*.yaml"))
    assert len(files) >= 6
    for path in files:
        read = load_scenario(path.read_bytes(), str(path))
        assert read.problems == (), path
        assert read.scenario is not None
        found, _ = check_scenario(read.scenario, scenario_root(read.scenario, path, REPO), marks=read.marks)
        assert found == [], path


def test_a_missing_definitions_root_is_one_problem() -> None:
    read = load_scenario(
        GOOD.replace("scenario: unpaid\n", "scenario: unpaid\ndefinitions: nowhere\n"), "s.yaml"
    )
    assert read.scenario is not None
    found, _ = check_scenario(read.scenario, Path("/nowhere/at/all"), marks=read.marks)
    assert [(p.line, p.code) for p in found] == [(3, "io")]


def test_a_clock_keeps_its_offset() -> None:
    scenario = load_scenario(GOOD).scenario
    assert scenario is not None
    assert scenario.clock.utcoffset() == timezone(timedelta(hours=8)).utcoffset(None)


SCHEMA = json.loads((REPO / "engine" / "schema" / "scenario.schema.json").read_text(encoding="utf-8"))


def test_the_published_schema_takes_every_shipped_scenario_and_the_reader_agrees() -> None:
    validator = Draft202012Validator(SCHEMA)
    files = sorted((REPO / "scenarios").rglob("*.yaml")) + sorted(
        (REPO / "docs" / "examples").glob("*/scenarios/*.yaml")
    )
    for path in files:
        assert list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))) == [], path
    assert list(validator.iter_errors(yaml.safe_load(GOOD))) == []
    for broken in (
        GOOD.replace("advance: 1d2h31m", "advance: 31 minutes"),
        GOOD.replace("worker: once", "worker: twice"),
        GOOD.replace("  - worker: once\n", "  - worker: once\n    advance: 2h\n"),
        GOOD.replace("      state: cancelled\n", "      state: cancelled\n      color: red\n"),
    ):
        assert list(validator.iter_errors(yaml.safe_load(broken))), broken
        assert load_scenario(broken).problems, broken


RECORDS = """\
  - fire: ship
    record: shipment#1
    as: storefront
    data: {carrier: sf}
  - expect:
      records:
        shipment#1: {state: shipped, warehouse: SH-01, 'lines[0].qty': 2}
      audit: [{trigger: shipment.ship}, {trigger: shipment.add}]
"""


def test_a_fire_on_a_record_and_a_record_expectation_are_read_by_kind_and_number() -> None:
    read = load_scenario(GOOD + RECORDS, "s.yaml")
    assert read.problems == (), [p.format() for p in read.problems]
    assert read.scenario is not None
    fire, expect = read.scenario.steps[-2:]
    assert isinstance(fire, Fire) and (fire.trigger, fire.record, fire.where.line) == (
        "ship",
        ("shipment", 1),
        26,
    )
    assert isinstance(expect, Expect)
    assert [(c.what, dict(c.key), c.expected) for c in expect.checks[:3]] == [
        ("record", {"kind": "shipment", "number": 1, "field": "state"}, "shipped"),
        ("record", {"kind": "shipment", "number": 1, "field": "warehouse"}, "SH-01"),
        ("record", {"kind": "shipment", "number": 1, "field": "lines[0].qty"}, 2),
    ]
    found, _ = check_scenario(read.scenario, REPO, marks=read.marks)
    assert found == []


def test_a_record_named_wrong_or_unknown_to_the_workflow_is_a_problem_at_its_place() -> None:
    shape = RECORDS.replace("record: shipment#1", "record: shipment-1").replace(
        "shipment#1: {", "shipment#0: {"
    )
    assert problems(GOOD + shape) == [
        "27:13: 'shipment-1' does not name a record: write its kind, # and its number",
        "32:9: 'shipment#0' does not name a record: write its kind, # and its number",
    ]
    text = RECORDS.replace("fire: ship", "fire: shipp").replace("state: shipped", "state: sent")
    text = text.replace("trigger: shipment.ship}", "trigger: shipment.shipp}")
    text += "  - fire: ship\n    record: shipmnet#2\n    as: storefront\n"
    read = load_scenario(GOOD + text, "s.yaml")
    assert read.scenario is not None
    found, _ = check_scenario(read.scenario, REPO, marks=read.marks)
    assert [f"{p.line}:{p.column}: {p.code}: {p.message}" for p in found] == [
        "26:11: unknown-trigger: unknown trigger 'shipp' of record kind 'shipment' in workflow "
        "'retail-order'; did you mean 'ship'?",
        "32:29: unknown-state: unknown state 'sent' in record kind 'shipment'",
        "33:25: unknown-trigger: unknown trigger 'shipment.shipp' in workflow 'retail-order'; "
        "did you mean 'shipment.ship'?",
        "35:13: unknown-record-kind: workflow 'retail-order' has no record kind 'shipmnet'; "
        "did you mean 'shipment'?",
    ]
