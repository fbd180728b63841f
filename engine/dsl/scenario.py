"""Scenario files: whole processes written down as steps and expectations, run on a simulated clock.

A scenario file (``scenarios/retail/unpaid-timeout.yaml``) names the definitions it runs on, when its
clock starts, what is there before the first step (stock, business customers' accounts, users), and its
steps: ``create`` an order, ``fire`` a trigger (on the order, or on one of its child records: ``record:
shipment#2``), ``advance`` the clock, run the ``worker`` once, set an ``account`` anew (as finance lowers
its opening balance), and ``expect`` what the order, its records, the stock, the outbox and the audit
trail then hold. :func:`load_scenario_file`
reads one into a :class:`Scenario`, every problem of its shape yielded as data with its line and column;
:func:`check_scenario` says what it names that its definitions do not have (a workflow, a trigger, a
state, a user, an order), with the near miss. ``engine.runtime.scenario`` runs it. The shape is
documented in docs/scenarios.md and published as engine/schema/scenario.schema.json.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.common.json_path import child_path
from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.dsl.compiler import compile_bundle, discover, load_bundle
from engine.dsl.loader import MarkedReader, Marks, load_yaml, read_or_problem, shown_path
from engine.dsl.spec import RESERVED_TRIGGERS, RecordKindSpec, WorkflowSpec
from engine.errors import DefinitionError, Problem

__all__ = [
    "DEFAULT_CLOCK",
    "NOW",
    "SCENARIO_SCHEMA_VERSION",
    "Advance",
    "Check",
    "Create",
    "Expect",
    "Fire",
    "RunWorker",
    "Scenario",
    "ScenarioFile",
    "SetAccount",
    "Step",
    "UserSpec",
    "Where",
    "check_scenario",
    "data_at",
    "duration",
    "is_scenario",
    "load_scenario",
    "load_scenario_file",
]

SCENARIO_SCHEMA_VERSION = 1
DEFAULT_CLOCK = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
NOW = "$now"  # a data value written so is the simulated clock's time when the step runs
ADD = "add"  # the audit trail's trigger of a record added: ``shipment.add``
TOP_KEYS = ("schema_version", "scenario", "title", "description", "definitions", "clock", "setup", "steps")
SETUP_KEYS = ("stock", "accounts", "users")
STOCK_KEYS = ("sku", "warehouse", "on_hand")
ACCOUNT_KEYS = (
    "department",
    "account_no",
    "company",
    "credit_limit",
    "outstanding",
    "overdue_days",
    "status",
    "tax_id",
    "tier",
    "manager",
)
USER_KEYS = ("roles", "departments", "display_name")
STEP_KINDS = ("create", "fire", "advance", "worker", "account", "expect")
STEP_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "create": ("name", "as", "channel", "data", "department", "expect_refused"),
    "fire": ("order", "record", "as", "data", "expect_refused"),
    "advance": (),
    "worker": (),
    "account": (),
    "expect": (),
}
EXPECT_KEYS = ("order", "state", "data", "records", "stock", "outbox", "audit")
STOCK_EXPECT_KEYS = ("sku", "warehouse", "on_hand", "reserved")
OUTBOX_EXPECT_KEYS = ("count", "status")
AUDIT_EXPECT_KEYS = ("trigger", "from", "to", "actor", "reason", "outcome", "says", "count")
DEFAULT_ORDER = "order"
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_SCENARIO_FOLDER = re.compile(r"(^|/)scenarios/")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_RECORD = re.compile(r"^([a-z][a-z0-9_]*)#([1-9][0-9]{0,8})$")  # shipment#2: a record by its kind and number
RECORD_STATE = "state"  # what a record expectation names to check the record's state, not a field


@dataclass(frozen=True)
class Where:
    """Where a step or an expectation is written: a failure is reported there."""

    file: str
    line: int
    column: int
    json_path: str


@dataclass(frozen=True)
class UserSpec:
    name: str
    roles: tuple[str, ...]
    departments: tuple[str, ...]
    display_name: str | None = None


@dataclass(frozen=True)
class Create:
    where: Where
    workflow: str
    name: str  # what later steps call the order
    actor: str
    channel: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    department: str | None = None  # by default the workflow's
    expect_refused: str | None = None


@dataclass(frozen=True)
class Fire:
    where: Where
    trigger: str
    order: str
    actor: str
    data: Mapping[str, Any] = field(default_factory=dict)
    expect_refused: str | None = None
    record: tuple[str, int] | None = None  # (kind, number): the trigger is that record's, not the order's


@dataclass(frozen=True)
class Advance:
    where: Where
    seconds: int
    text: str


@dataclass(frozen=True)
class RunWorker:
    where: Where


@dataclass(frozen=True)
class SetAccount:
    """A business customer's account set anew, every figure as written (``orderloom accounts set``):
    what finance does when the opening balance is paid down, say."""

    where: Where
    account: Mapping[str, Any]


@dataclass(frozen=True)
class Check:
    """One thing an ``expect`` step checks: ``what`` is state, data, record, stock, outbox or audit;
    ``key`` picks what is read (a data path, a record's kind, number and field, a sku and warehouse, a
    topic), ``expected`` is what it must be."""

    what: str
    where: Where
    key: Mapping[str, Any]
    expected: Any


@dataclass(frozen=True)
class Expect:
    where: Where
    order: str
    checks: tuple[Check, ...]


Step = Create | Fire | Advance | RunWorker | SetAccount | Expect


@dataclass(frozen=True)
class Scenario:
    file: str
    name: str
    title: str | None
    definitions: str | None  # the definitions root, relative to the file's folder (None: the default)
    clock: datetime
    stock: Mapping[tuple[str, str], int]
    accounts: tuple[Mapping[str, Any], ...]
    users: Mapping[str, UserSpec]
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class ScenarioFile:
    """A read scenario file: the scenario only when it has no problem (a half-read file runs nothing)."""

    file: str
    scenario: Scenario | None
    problems: tuple[Problem, ...]
    marks: Marks = field(default_factory=Marks, repr=False, compare=False)


def is_scenario(tree: Any, shown: str) -> bool:
    """A YAML file is a scenario when it has a ``scenario:`` key and no ``workflow:`` or ``ruleset:``, or
    when it lies under a ``scenarios/`` folder."""
    if isinstance(tree, dict) and ("workflow" in tree or "ruleset" in tree):
        return False
    return (isinstance(tree, dict) and "scenario" in tree) or _SCENARIO_FOLDER.search(shown) is not None


def duration(text: Any) -> int | None:
    """``31m``, ``6d``, ``2h``, ``45s``, ``1d12h`` -> seconds; None when it is not one."""
    if not isinstance(text, str) or not text:
        return None
    found = _DURATION.match(text.strip())
    if found is None or not any(found.groups()):
        return None
    days, hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def load_scenario_file(path: Path, shown: str) -> ScenarioFile:
    """Read a scenario file; never raises."""
    data = read_or_problem(path, shown)
    if isinstance(data, Problem):
        return ScenarioFile(shown, None, (data,))
    return load_scenario(data, shown)


def load_scenario(text: str | bytes, file: str = "<scenario>") -> ScenarioFile:
    """Parse and check the text of a scenario file; every problem carries its line and column."""
    tree, marks, problems = load_yaml(text, file)
    if tree is None or problems:
        return ScenarioFile(file, None, tuple(problems), marks)
    reader = _Reader(file, marks)
    scenario = reader.read(tree)
    if reader.problems or scenario is None:
        return ScenarioFile(file, None, tuple(reader.problems), marks)
    return ScenarioFile(file, scenario, (), marks)


# --- reading ---------------------------------------------------------------------------------------


def _kind(value: Any) -> str:
    return (
        "mapping" if isinstance(value, dict) else "list" if isinstance(value, list) else type(value).__name__
    )


class _Reader(MarkedReader):
    code = "scenario"

    def where(self, path: str) -> Where:
        line, column = self.marks.at(path)
        return Where(self.file, line, column, path)

    def mapping(self, value: Any, path: str, what: Text) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.problem(
            Text(
                f"{what.zh}必须是映射，而不是 {_kind(value)}",
                f"{what.en} must be a mapping, not a {_kind(value)}",
            ),
            path,
            code="schema",
        )
        return None

    def text(self, value: Any, path: str, what: str) -> str | None:
        if isinstance(value, str) and value.strip():
            return value
        self.problem(
            Text(f"'{what}' 必须是非空文本", f"'{what}' must be non-empty text"), path, code="schema"
        )
        return None

    def read(self, tree: Any) -> Scenario | None:
        top = self.mapping(tree, "$", Text("场景文件", "a scenario file"))
        if top is None:
            return None
        self.unknown_keys(top, "$", TOP_KEYS, Text("场景文件", "a scenario file"))
        version = top.get("schema_version", SCENARIO_SCHEMA_VERSION)
        if version != SCENARIO_SCHEMA_VERSION:
            self.problem(
                Text(
                    f"此版本不能读取 schema_version {version!r}；请写 {SCENARIO_SCHEMA_VERSION}",
                    f"schema_version {version!r} is not read here; write {SCENARIO_SCHEMA_VERSION}",
                ),
                "$.schema_version",
                code="schema",
            )
        if "scenario" not in top:
            self.problem(
                Text("场景文件需要 'scenario'：它的名称", "a scenario file needs 'scenario': its name"),
                "$",
                code="schema",
            )
        name = self.text(top.get("scenario"), "$.scenario", "scenario") if "scenario" in top else None
        title = top.get("title")
        if title is not None and not isinstance(title, str):
            self.problem(Text("'title' 必须是文本", "'title' must be text"), "$.title", code="schema")
        description = top.get("description")
        if description is not None and not isinstance(description, str):
            self.problem(
                Text("'description' 必须是文本", "'description' must be text"), "$.description", code="schema"
            )
        definitions = top.get("definitions")
        if definitions is not None and not (isinstance(definitions, str) and definitions.strip()):
            self.problem(
                Text(
                    "'definitions' 必须是定义根目录的路径（相对于本文件所在的文件夹）",
                    "'definitions' must be the path of the definitions root (relative to this file's folder)",
                ),
                "$.definitions",
                code="schema",
            )
            definitions = None
        clock = self.clock(top["clock"]) if "clock" in top else DEFAULT_CLOCK
        setup = self.mapping(top.get("setup", {}), "$.setup", Text("'setup'", "'setup'")) or {}
        self.unknown_keys(setup, "$.setup", SETUP_KEYS, Text("'setup'", "'setup'"))
        stock = self.stock(setup.get("stock", []))
        accounts = self.accounts(setup.get("accounts", []))
        users = self.users(setup.get("users", {}))
        steps = self.steps(top.get("steps"))
        if name is None or clock is None:
            return None
        return Scenario(self.file, name, title, definitions, clock, stock, accounts, users, steps)

    def clock(self, value: Any) -> datetime | None:
        moment = _moment(value)
        if moment is None:
            self.problem(
                Text(
                    f"'clock' 必须是带时区偏移的 ISO-8601 时间，而不是 {value!r}",
                    f"'clock' must be an ISO-8601 time with an offset, not {value!r}",
                ),
                "$.clock",
                Text("例如：clock: '2026-05-01T10:00:00+08:00'", "clock: '2026-05-01T10:00:00+08:00'"),
                "bad-time",
            )
        return moment

    def stock(self, value: Any) -> dict[tuple[str, str], int]:
        levels: dict[tuple[str, str], int] = {}
        if not isinstance(value, list):
            self.problem(
                Text("'stock' 必须是库存行的列表", "'stock' must be a list of stock rows"),
                "$.setup.stock",
                Text(
                    "例如：stock: [{sku: XM-BAND8, warehouse: SH-01, on_hand: 10}]",
                    "stock: [{sku: XM-BAND8, warehouse: SH-01, on_hand: 10}]",
                ),
                "schema",
            )
            return levels
        for index, raw in enumerate(value):
            path = f"$.setup.stock[{index}]"
            row = self.mapping(raw, path, Text("库存行", "a stock row"))
            if row is None:
                continue
            self.unknown_keys(row, path, STOCK_KEYS, Text("库存行", "a stock row"))
            sku = self.text(row.get("sku"), f"{path}.sku", "sku")
            warehouse = self.text(row.get("warehouse"), f"{path}.warehouse", "warehouse")
            units: Any = row.get("on_hand")
            if not _is_count(units):
                self.problem(
                    Text("'on_hand' 必须是不小于 0 的整数", "'on_hand' must be a whole number, 0 or more"),
                    f"{path}.on_hand",
                    code="schema",
                )
                continue
            if sku and warehouse:
                if (sku, warehouse) in levels:
                    self.problem(
                        Text(
                            f"{sku} 在 {warehouse} 的库存写了两次",
                            f"the stock of {sku} at {warehouse} is given twice",
                        ),
                        path,
                        code="duplicate",
                    )
                levels[(sku, warehouse)] = int(units)
        return levels

    def accounts(self, value: Any) -> tuple[dict[str, Any], ...]:
        if not isinstance(value, list):
            self.problem(
                Text("'accounts' 必须是客户账户的列表", "'accounts' must be a list of customer accounts"),
                "$.setup.accounts",
                code="schema",
            )
            return ()
        found = (self.account(raw, f"$.setup.accounts[{index}]") for index, raw in enumerate(value))
        return tuple(account for account in found if account is not None)

    def account(self, raw: Any, path: str) -> dict[str, Any] | None:
        """A customer account as ``setup.accounts`` and an ``account`` step write it; None when it lacks
        what a record needs."""
        account = self.mapping(raw, path, Text("客户账户", "an account"))
        if account is None:
            return None
        self.unknown_keys(account, path, ACCOUNT_KEYS, Text("客户账户", "an account"))
        needed = ("department", "account_no", "company", "credit_limit")
        missing = [key for key in needed if key not in account]
        for key in missing:
            self.problem(Text(f"客户账户缺少 {key!r}", f"an account needs {key!r}"), path, code="schema")
        return None if missing else dict(account)

    def users(self, value: Any) -> dict[str, UserSpec]:
        users: dict[str, UserSpec] = {}
        table = self.mapping(
            value,
            "$.setup.users",
            Text("'users'（登录名到角色与部门）", "'users' (login name -> roles and departments)"),
        )
        if table is None:
            return users
        for name, raw in table.items():
            path = child_path("$.setup.users", str(name))
            user = self.mapping(raw, path, Text(f"用户 {name!r}", f"user {name!r}"))
            if user is None:
                continue
            self.unknown_keys(user, path, USER_KEYS, Text(f"用户 {name!r}", f"user {name!r}"))
            roles = self.names(user.get("roles"), f"{path}.roles", "roles")
            departments = self.names(user.get("departments"), f"{path}.departments", "departments")
            display = user.get("display_name")
            if display is not None and not isinstance(display, str):
                self.problem(
                    Text("'display_name' 必须是文本", "'display_name' must be text"),
                    f"{path}.display_name",
                    code="schema",
                )
                display = None
            if roles is not None and departments is not None:
                users[str(name)] = UserSpec(str(name), roles, departments, display)
        return users

    def names(self, value: Any, path: str, what: str) -> tuple[str, ...] | None:
        if isinstance(value, list) and value and all(isinstance(item, str) and item for item in value):
            return tuple(value)
        self.problem(
            Text(f"'{what}' 必须是非空的名称列表", f"'{what}' must be a non-empty list of names"),
            path,
            code="schema",
        )
        return None

    def steps(self, value: Any) -> tuple[Step, ...]:
        if not isinstance(value, list) or not value:
            self.problem(
                Text("场景文件需要非空的 'steps' 列表", "a scenario file needs a non-empty 'steps' list"),
                "$.steps" if value is not None else "$",
                Text(
                    "例如：steps: [{create: ...}, {advance: 31m}, {worker: once}, {expect: {state: ...}}]",
                    "steps: [{create: ...}, {advance: 31m}, {worker: once}, {expect: {state: ...}}]",
                ),
                "schema",
            )
            return ()
        steps: list[Step] = []
        last_order = DEFAULT_ORDER
        for index, raw in enumerate(value):
            step = self.step(raw, f"$.steps[{index}]", last_order)
            if isinstance(step, Create):
                last_order = step.name
            if step is not None:
                steps.append(step)
        return tuple(steps)

    def step(self, raw: Any, path: str, last_order: str) -> Step | None:
        step = self.mapping(raw, path, Text("步骤", "a step"))
        if step is None:
            return None
        kinds = [key for key in step if key in STEP_KINDS]
        if len(kinds) != 1:
            unknown = [str(key) for key in step if key not in STEP_KINDS and key not in _ALL_OPTIONS]
            self.problem(
                Text(
                    "每个步骤恰好写一种："
                    + "、".join(STEP_KINDS)
                    + (f"（而不是 {', '.join(kinds)}）" if kinds else ""),
                    "each step is exactly one of: "
                    + ", ".join(STEP_KINDS)
                    + (f" (not {', '.join(kinds)})" if kinds else ""),
                ),
                path,
                code="bad-step" if not unknown else "unknown-key",
                suggestion=near_miss(unknown[0], STEP_KINDS) if unknown else None,
            )
            return None
        kind = kinds[0]
        self.unknown_keys(step, path, (kind, *STEP_OPTIONS[kind]), Text(f"'{kind}' 步骤", f"a '{kind}' step"))
        value = step[kind]
        at = child_path(path, kind)
        where = self.where(path)
        before = len(self.problems)
        if kind == "advance":
            seconds = duration(value)
            if seconds is None:
                self.problem(
                    Text(f"{value!r} 不是时长", f"{value!r} is not a duration"),
                    at,
                    Text("写 31m、6d、2h、45s 或 1d12h", "write 31m, 6d, 2h, 45s or 1d12h"),
                    "bad-duration",
                )
                return None
            return Advance(where, seconds, str(value))
        if kind == "worker":
            if value not in ("once", True):
                self.problem(
                    Text(
                        "写 'worker: once'：工作进程运行一轮",
                        "write 'worker: once': the worker runs one round",
                    ),
                    at,
                    code="schema",
                )
                return None
            return RunWorker(where)
        if kind == "expect":
            return self.expect(value, at, where, last_order)
        if kind == "account":
            account = self.account(value, at)
            return None if account is None else SetAccount(where, account)
        target = self.text(value, at, kind)
        actor = self.text(step.get("as"), child_path(path, "as"), "as") if "as" in step else None
        if "as" not in step:
            self.problem(
                Text(
                    f"'{kind}' 步骤需要 'as'：由哪个用户操作", f"a '{kind}' step needs 'as': which user acts"
                ),
                path,
                Text("用户写在 setup.users 中", "users are listed under setup.users"),
                "schema",
            )
        data = self.mapping(step.get("data", {}), child_path(path, "data"), Text("'data'", "'data'")) or {}
        refused = step.get("expect_refused")
        if refused is not None and not (isinstance(refused, str) and refused.strip()):
            self.problem(
                Text(
                    "'expect_refused' 必须是拒绝理由中应含的文字",
                    "'expect_refused' must be text the refusal must contain",
                ),
                child_path(path, "expect_refused"),
                code="schema",
            )
        if len(self.problems) > before or target is None or actor is None:
            return None
        if kind == "create":
            name = step.get("name", DEFAULT_ORDER)
            if not isinstance(name, str) or not _NAME.match(name):
                self.problem(
                    Text(
                        "'name' 必须是订单的简短名称（字母、数字、-、_）",
                        "'name' must be a short name for the order (letters, digits, -, _)",
                    ),
                    child_path(path, "name"),
                    code="schema",
                )
                return None
            channel = step.get("channel")
            department = step.get("department")
            for key, item in (("channel", channel), ("department", department)):
                if item is not None and not isinstance(item, str):
                    self.problem(
                        Text(f"'{key}' 必须是文本", f"'{key}' must be text"),
                        child_path(path, key),
                        code="schema",
                    )
                    return None
            return Create(where, target, name, actor, channel, data, department, refused)
        order = step.get("order", last_order)
        if not isinstance(order, str):
            self.problem(
                Text("'order' 必须是订单的名称", "'order' must be the name of an order"),
                child_path(path, "order"),
                code="schema",
            )
            return None
        record = None
        if "record" in step:
            record = self.record_name(step["record"], child_path(path, "record"))
            if record is None:
                return None
        return Fire(where, target, order, actor, data, refused, record)

    def record_name(self, value: Any, path: str, *, key: bool = False) -> tuple[str, int] | None:
        """``shipment#2`` -> ``("shipment", 2)``; a problem at ``path`` when it is not one."""
        found = _RECORD.match(value) if isinstance(value, str) else None
        if found is None:
            self.problem(
                Text(
                    f"{value!r} 不是记录的名称：写记录类型、# 和编号",
                    f"{value!r} does not name a record: write its kind, # and its number",
                ),
                path,
                Text("例如：shipment#2", "shipment#2"),
                "bad-record",
                key=key,
            )
            return None
        return found.group(1), int(found.group(2))

    def expect(self, value: Any, path: str, where: Where, last_order: str) -> Expect | None:
        expect = self.mapping(value, path, Text("'expect'", "'expect'"))
        if expect is None:
            return None
        if not expect:
            self.problem(Text("'expect' 不能为空", "'expect' must check something"), path, code="schema")
            return None
        self.unknown_keys(expect, path, EXPECT_KEYS, Text("'expect'", "'expect'"))
        order = expect.get("order", last_order)
        if not isinstance(order, str):
            self.problem(
                Text("'order' 必须是订单的名称", "'order' must be the name of an order"),
                f"{path}.order",
                code="schema",
            )
            return None
        checks: list[Check] = []
        if "state" in expect:
            at = f"{path}.state"
            if self.text(expect["state"], at, "state") is not None:
                checks.append(Check("state", self.where(at), {}, expect["state"]))
        if "data" in expect:
            data = (
                self.mapping(
                    expect["data"], f"{path}.data", Text("'data'（路径到值）", "'data' (path -> value)")
                )
                or {}
            )
            for key, wanted in data.items():
                at = child_path(f"{path}.data", str(key))
                if not self.is_data_path(
                    key, at, Text("customer.name、lines[0].sku", "customer.name, lines[0].sku")
                ):
                    continue
                checks.append(Check("data", self.where(at), {"path": str(key)}, wanted))
        if "records" in expect:
            checks.extend(self.record_checks(expect["records"], f"{path}.records"))
        if "stock" in expect:
            checks.extend(self.stock_checks(expect["stock"], f"{path}.stock"))
        if "outbox" in expect:
            checks.extend(self.outbox_checks(expect["outbox"], f"{path}.outbox"))
        if "audit" in expect:
            checks.extend(self.audit_checks(expect["audit"], f"{path}.audit"))
        return Expect(where, order, tuple(checks))

    def is_data_path(self, key: Any, path: str, examples: Text) -> bool:
        """Whether ``key`` is a data path (``lines[0].sku``); a problem at the key when it is not."""
        if _data_path(str(key)) is not None:
            return True
        self.problem(
            Text(f"{key!r} 不是数据路径", f"{key!r} is not a data path"),
            path,
            Text(f"例如：{examples.zh}", examples.en),
            "bad-path",
            key=True,
        )
        return False

    def record_checks(self, value: Any, path: str) -> list[Check]:
        """``records: {shipment#1: {state: shipped, warehouse: SH-01}}``: each record's state and fields."""
        checks: list[Check] = []
        what = Text("'records'（记录到期望）", "'records' (record -> what it holds)")
        for name, raw in (self.mapping(value, path, what) or {}).items():
            at = child_path(path, str(name))
            record = self.record_name(name, at, key=True)
            wanted = self.mapping(
                raw, at, Text("记录的期望（state 或数据路径到值）", "a record's expectation")
            )
            if record is None or wanted is None:
                continue
            if not wanted:
                self.problem(
                    Text("记录的期望至少写一个键", "a record's expectation names at least one key"),
                    at,
                    code="schema",
                )
            kind, number = record
            for key, expected in wanted.items():
                where = child_path(at, str(key))
                examples = Text("state、warehouse、lines[0].sku", "state, warehouse, lines[0].sku")
                if key != RECORD_STATE and not self.is_data_path(key, where, examples):
                    continue
                checks.append(
                    Check(
                        "record",
                        self.where(where),
                        {"kind": kind, "number": number, "field": str(key)},
                        expected,
                    )
                )
        return checks

    def stock_checks(self, value: Any, path: str) -> list[Check]:
        checks: list[Check] = []
        if not isinstance(value, list):
            self.problem(
                Text("'stock' 必须是库存行的列表", "'stock' must be a list of stock rows"),
                path,
                code="schema",
            )
            return checks
        for index, raw in enumerate(value):
            at = f"{path}[{index}]"
            row = self.mapping(raw, at, Text("库存行", "a stock row"))
            if row is None:
                continue
            self.unknown_keys(row, at, STOCK_EXPECT_KEYS, Text("库存行", "a stock row"))
            sku = self.text(row.get("sku"), f"{at}.sku", "sku")
            warehouse = self.text(row.get("warehouse"), f"{at}.warehouse", "warehouse")
            wanted = {key: row[key] for key in ("on_hand", "reserved") if key in row}
            if not wanted:
                self.problem(
                    Text("库存行要检查 on_hand 或 reserved", "a stock row checks on_hand or reserved"),
                    at,
                    code="schema",
                )
            for key, units in wanted.items():
                if not _is_count(units):
                    self.problem(
                        Text(f"'{key}' 必须是不小于 0 的整数", f"'{key}' must be a whole number, 0 or more"),
                        f"{at}.{key}",
                        code="schema",
                    )
            if sku and warehouse and wanted:
                for key, units in wanted.items():
                    checks.append(
                        Check(
                            "stock",
                            self.where(f"{at}.{key}"),
                            {"sku": sku, "warehouse": warehouse, "field": key},
                            units,
                        )
                    )
        return checks

    def outbox_checks(self, value: Any, path: str) -> list[Check]:
        checks: list[Check] = []
        table = self.mapping(value, path, Text("'outbox'（主题到条数）", "'outbox' (topic -> count)"))
        for topic, raw in (table or {}).items():
            at = child_path(path, str(topic))
            wanted = {"count": raw} if not isinstance(raw, dict) else dict(raw)
            if isinstance(raw, dict):
                self.unknown_keys(raw, at, OUTBOX_EXPECT_KEYS, Text("outbox 的期望", "an outbox expectation"))
            count = wanted.get("count")
            if not _is_count(count):
                self.problem(
                    Text("条数必须是不小于 0 的整数", "the count must be a whole number, 0 or more"),
                    at,
                    code="schema",
                )
                continue
            status = wanted.get("status")
            if status is not None and status not in ("pending", "sent", "dead", "internal"):
                self.problem(
                    Text(f"未知的状态 {status!r}", f"unknown status {status!r}"),
                    f"{at}.status",
                    Text("pending、sent、dead、internal", "pending, sent, dead, internal"),
                    "schema",
                    suggestion=near_miss(str(status), ("pending", "sent", "dead", "internal")),
                )
                continue
            checks.append(Check("outbox", self.where(at), {"topic": str(topic), "status": status}, count))
        return checks

    def audit_checks(self, value: Any, path: str) -> list[Check]:
        checks: list[Check] = []
        if not isinstance(value, list):
            self.problem(
                Text("'audit' 必须是审计记录的列表", "'audit' must be a list of audit entries"),
                path,
                code="schema",
            )
            return checks
        for index, raw in enumerate(value):
            at = f"{path}[{index}]"
            entry = self.mapping(raw, at, Text("审计记录", "an audit entry"))
            if entry is None:
                continue
            if not entry:
                self.problem(
                    Text("审计记录至少写一个键", "an audit entry names at least one key"), at, code="schema"
                )
                continue
            self.unknown_keys(entry, at, AUDIT_EXPECT_KEYS, Text("审计记录", "an audit entry"))
            wanted = {key: item for key, item in entry.items() if key in AUDIT_EXPECT_KEYS}
            if "count" in wanted and not _is_count(wanted["count"]):
                self.problem(
                    Text("条数必须是不小于 0 的整数", "the count must be a whole number, 0 or more"),
                    f"{at}.count",
                    code="schema",
                )
                continue
            bad = [key for key, item in wanted.items() if key != "count" and not isinstance(item, str)]
            for key in bad:
                self.problem(
                    Text(f"'{key}' 必须是文本", f"'{key}' must be text"), f"{at}.{key}", code="schema"
                )
            if not bad:
                checks.append(Check("audit", self.where(at), {}, wanted))
        return checks


_ALL_OPTIONS = frozenset(option for options in STEP_OPTIONS.values() for option in options)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().upper())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


# --- data paths ------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)((?:\[-?\d+\])*)$")
_INDEX = re.compile(r"\[(-?\d+)\]")
MISSING = object()


def _data_path(path: str) -> list[str | int] | None:
    """``lines[0].sku`` -> ``['lines', 0, 'sku']``; None when it is not a path."""
    steps: list[str | int] = []
    for segment in path.split("."):
        found = _SEGMENT.match(segment)
        if found is None:
            return None
        steps.append(found.group(1))
        steps.extend(int(index) for index in _INDEX.findall(found.group(2)))
    return steps


def data_at(data: Any, path: str) -> Any:
    """The value at a data path (``customer.name``, ``shipments[-1].waybill``), or ``MISSING``."""
    steps = _data_path(path)
    if steps is None:
        return MISSING
    current = data
    for step in steps:
        if isinstance(step, int):
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                return MISSING
            current = current[step]
        elif isinstance(current, Mapping) and step in current:
            current = current[step]
        else:
            return MISSING
    return current


# --- checks against the definitions ----------------------------------------------------------------


def scenario_root(scenario: Scenario, path: Path, default: Path) -> Path:
    """The definitions root a scenario runs on: its ``definitions:`` beside the file, else ``default``."""
    if scenario.definitions is None:
        return default
    return (path.parent / scenario.definitions).resolve()


def check_scenario(
    scenario: Scenario,
    root: Path,
    *,
    action_names: Sequence[str] | None = None,
    marks: Marks | None = None,
) -> tuple[list[Problem], dict[str, WorkflowSpec]]:
    """What the scenario names that the definitions under ``root`` do not have: workflows, triggers,
    states, users and orders, each a problem at its place with the near miss; and the specs it reads."""
    problems: list[Problem] = []
    at = marks or Marks()

    def problem(words: Text, where: Where, path: str, code: str, choices: Sequence[str], word: str) -> None:
        line, column = at.at(path) if marks is not None else (where.line, where.column)
        hint = Text("可用的：" + "、".join(choices), "known: " + ", ".join(choices)) if choices else None
        problems.append(
            Problem(words, scenario.file, line, column, path, hint, code, suggestion=near_miss(word, choices))
        )

    def unknown_trigger(workflow: str, trigger: str, where: Where, path: str, known: Sequence[str]) -> None:
        words = Text(
            f"工作流 {workflow!r} 中没有触发器 {trigger!r}",
            f"unknown trigger {trigger!r} in workflow {workflow!r}",
        )
        problem(words, where, path, "unknown-trigger", known, trigger)

    def record_kind(name: str, where: Where, path: str, spec: WorkflowSpec) -> RecordKindSpec | None:
        kind = spec.records.get(name)
        if kind is None:
            problem(
                Text(
                    f"工作流 {spec.name!r} 没有记录类型 {name!r}",
                    f"workflow {spec.name!r} has no record kind {name!r}",
                ),
                where,
                path,
                "unknown-record-kind",
                sorted(spec.records),
                name,
            )
        return kind

    if not root.is_dir():
        words = Text(f"定义根目录 {root} 不存在", f"the definitions root {root} does not exist")
        problems.append(Problem(words, scenario.file, *at.at("$.definitions"), "$.definitions", None, "io"))
        return problems, {}
    try:
        found = discover(root)
    except DefinitionError as error:
        return list(error.problems), {}
    specs: dict[str, WorkflowSpec] = {}
    broken: set[str] = set()

    def spec_of(name: str) -> WorkflowSpec | None:
        if name not in specs and name not in broken:
            try:
                specs[name] = compile_bundle(
                    load_bundle(found[name], root, action_names=action_names, workflows=found)
                )
            except DefinitionError as error:
                broken.add(name)
                problems.extend(error.problems)
        return specs.get(name)

    orders: dict[str, str] = {}  # order name -> workflow
    for index, step in enumerate(scenario.steps):
        path = f"$.steps[{index}]"
        actor = step.actor if isinstance(step, Create | Fire) else None
        if actor is not None and actor not in scenario.users:
            users = sorted(scenario.users)
            problem(
                Text(
                    f"未知的用户 {actor!r}（写在 setup.users 中）",
                    f"unknown user {actor!r} (list it under setup.users)",
                ),
                step.where,
                f"{path}.as",
                "unknown-user",
                users,
                actor,
            )
        if isinstance(step, Create):
            if step.workflow not in found:
                problem(
                    Text(f"未知的工作流 {step.workflow!r}", f"unknown workflow {step.workflow!r}"),
                    step.where,
                    f"{path}.create",
                    "unknown-workflow",
                    sorted(found),
                    step.workflow,
                )
                continue
            spec = spec_of(step.workflow)
            if (
                spec is not None
                and step.channel is not None
                and spec.channels
                and step.channel not in spec.channels
            ):
                problem(
                    Text(
                        f"工作流 {spec.name!r} 没有渠道 {step.channel!r}",
                        f"workflow {spec.name!r} has no channel {step.channel!r}",
                    ),
                    step.where,
                    f"{path}.channel",
                    "unknown-channel",
                    list(spec.channels),
                    step.channel,
                )
            orders[step.name] = step.workflow
            continue
        if isinstance(step, Fire | Expect):
            if step.order not in orders:
                problem(
                    Text(
                        f"前面的步骤没有创建名为 {step.order!r} 的订单",
                        f"no step before this one creates an order named {step.order!r}",
                    ),
                    step.where,
                    f"{path}.order" if isinstance(step, Fire) else f"{path}.expect.order",
                    "unknown-order",
                    sorted(orders),
                    step.order,
                )
                continue
            spec = spec_of(orders[step.order])
            if spec is None:
                continue
            if isinstance(step, Fire) and step.record is not None:
                kind = record_kind(step.record[0], step.where, f"{path}.record", spec)
                if kind is not None:
                    triggers = sorted({t.trigger for t in kind.transitions})
                    if step.trigger not in triggers:
                        words = Text(
                            f"工作流 {spec.name!r} 的记录类型 {kind.name!r} 中没有触发器 {step.trigger!r}",
                            f"unknown trigger {step.trigger!r} of record kind {kind.name!r} in workflow "
                            f"{spec.name!r}",
                        )
                        problem(words, step.where, f"{path}.fire", "unknown-trigger", triggers, step.trigger)
            elif isinstance(step, Fire):
                triggers = sorted({t.trigger for t in spec.transitions})
                if step.trigger not in triggers:
                    unknown_trigger(spec.name, step.trigger, step.where, f"{path}.fire", triggers)
            else:
                states = [state.name for state in spec.states]
                leaves = {name.rsplit(".", 1)[-1] for name in states}
                for check in step.checks:
                    if (
                        check.what == "state"
                        and check.expected not in states
                        and check.expected not in leaves
                    ):
                        problem(
                            Text(
                                f"工作流 {spec.name!r} 中没有状态 {check.expected!r}",
                                f"unknown state {check.expected!r} in workflow {spec.name!r}",
                            ),
                            check.where,
                            check.where.json_path,
                            "unknown-state",
                            states,
                            str(check.expected),
                        )
                    if check.what == "record":
                        at_kind = check.where.json_path.rsplit(".", 1)[0]
                        kind = record_kind(check.key["kind"], check.where, at_kind, spec)
                        names = [state.name for state in kind.states] if kind is not None else []
                        if (
                            kind is not None
                            and check.key["field"] == RECORD_STATE
                            and check.expected not in names
                        ):
                            problem(
                                Text(
                                    f"记录类型 {kind.name!r} 中没有状态 {check.expected!r}",
                                    f"unknown state {check.expected!r} in record kind {kind.name!r}",
                                ),
                                check.where,
                                check.where.json_path,
                                "unknown-state",
                                names,
                                str(check.expected),
                            )
                    if check.what == "audit" and "trigger" in check.expected:
                        trigger = check.expected["trigger"]
                        known = sorted(
                            {t.trigger for t in spec.transitions}
                            | RESERVED_TRIGGERS
                            | {f"{name}.{ADD}" for name in spec.records}
                            | {
                                f"{name}.{t.trigger}"
                                for name, k in spec.records.items()
                                for t in k.transitions
                            }
                        )
                        if trigger not in known and not trigger.startswith("approval."):
                            unknown_trigger(
                                spec.name, trigger, check.where, f"{check.where.json_path}.trigger", known
                            )
    return problems, specs


def shown_scenario(path: Path, root: Path) -> str:
    """A scenario file's path as problems show it."""
    return shown_path(path, root)
