"""Running a scenario (``engine.dsl.scenario``) through the real Engine on a simulated clock.

:class:`ScenarioRunner` takes an engine on an empty, migrated database whose clock is a
``FrozenClock``, and ``run_worker``, one round of the worker (``orderloom worker --once``'s code, given by
the caller: the worker lives outside the engine). It publishes every workflow of the scenario's
definitions, stores its users, stock and accounts, then takes the steps in order. Every expectation that
does not hold is a :class:`~engine.errors.Problem` at the place it is written (``FILE:LINE:COL: error:
expected … got …``), in zh and en; a step the engine refuses unexpectedly is one too, and the steps after
it are not taken (they would only fail for its sake).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.clock import CHINA_TIME, FrozenClock
from engine.common.text import Text
from engine.dsl.compiler import discover, load_bundle
from engine.dsl.scenario import (
    MISSING,
    NOW,
    RECORD_STATE,
    Advance,
    Check,
    Create,
    Expect,
    Fire,
    RunWorker,
    Scenario,
    SetAccount,
    Step,
    Where,
    data_at,
)
from engine.dsl.spec import ALL_DEPARTMENTS
from engine.dsl.texts import bundle_sources
from engine.errors import DefinitionError, EngineError, Problem
from engine.rules.testing import same_value, show_value
from engine.runtime.accounts import AccountRefused, put_account
from engine.runtime.actor import Actor
from engine.runtime.compiled import active_paths, split
from engine.runtime.engine import Engine
from engine.store.accounts import CustomerAccount
from engine.store.audit import AuditRow
from engine.store.records import RecordRow
from engine.store.tables import stock
from engine.store.users import add_user
from engine.store.versions import VersionMeta

__all__ = ["ScenarioResult", "ScenarioRunner"]

# A scenario's users never log in: no password hash a login could match.
NO_PASSWORD = "!scenario"  # noqa: S105 - not a password: a hash no password has
READER = Actor("scenario", frozenset(), frozenset({ALL_DEPARTMENTS}))


@dataclass
class ScenarioResult:
    """What a run found: the failures (each at its place), how many expectations held, steps taken."""

    file: str
    name: str
    failures: list[Problem] = field(default_factory=list)
    checks: int = 0
    steps: int = 0  # steps taken
    total: int = 0  # steps written

    @property
    def passed(self) -> bool:
        return not self.failures

    def describe(self, lang: str = "en") -> str:
        """``PASS name: 9 steps, 12 expectations`` or ``FAIL name: 2 failure(s), 12 expectations`` (and the
        steps not taken after a step refused unexpectedly), in ``lang``."""
        zh = lang.startswith("zh")
        skipped = self.total - self.steps
        if self.passed:
            if zh:
                return f"通过 {self.name}：{self.steps} 个步骤，{self.checks} 项期望"
            return f"PASS {self.name}: {self.steps} steps, {self.checks} expectations"
        if zh:
            said = f"失败 {self.name}：{len(self.failures)} 处失败，{self.checks} 项期望"
            return said + (f"；其后 {skipped} 个步骤未执行" if skipped else "")
        said = f"FAIL {self.name}: {len(self.failures)} failure(s), {self.checks} expectations"
        return said + (f"; the {skipped} step(s) after it were not taken" if skipped else "")


class _Stop(Exception):
    """A step failed in a way the steps after it cannot recover from."""


class ScenarioRunner:
    """Runs scenarios on ``engine``, whose clock is a ``FrozenClock`` set to the scenario's start (one
    fresh database per scenario: the caller makes it), over the definitions under ``root``."""

    def __init__(self, engine: Engine, run_worker: Callable[[], object], root: Path) -> None:
        if not isinstance(engine.clock, FrozenClock):
            raise TypeError("a scenario runs on an engine whose clock is a FrozenClock")
        self.engine = engine
        self.clock: FrozenClock = engine.clock
        self.run_worker = run_worker
        self.root = root

    def run(self, scenario: Scenario) -> ScenarioResult:
        """Set up and take every step of ``scenario``; the result lists every failure."""
        result = ScenarioResult(scenario.file, scenario.name, total=len(scenario.steps))
        run = _Run(self, scenario, result)
        try:
            run.set_up()
            for step in scenario.steps:
                run.take(step)
                result.steps += 1
        except _Stop:
            pass
        return result


class _Run:
    def __init__(self, runner: ScenarioRunner, scenario: Scenario, result: ScenarioResult) -> None:
        self.runner = runner
        self.engine = runner.engine
        self.store = runner.engine.store
        self.scenario = scenario
        self.result = result
        self.orders: dict[str, int] = {}

    # -- failures

    def fail(self, where: Where, words: Text, code: str = "expectation") -> None:
        self.result.failures.append(
            Problem(words, where.file, where.line, where.column, where.json_path, None, code)
        )

    def at(self, path: str) -> Where:
        return Where(self.scenario.file, 1, 1, path)

    # -- set-up

    def set_up(self) -> None:
        engine, scenario = self.engine, self.scenario
        now = self.runner.clock.now()
        registry = engine.registry
        try:
            found = discover(self.runner.root)
            bundles = [
                load_bundle(
                    path,
                    self.runner.root,
                    action_names=registry.action_names,
                    workflows=found,
                    action_writes=registry.action_writes,
                )
                for _name, path in sorted(found.items())
            ]
        except DefinitionError as error:
            self.result.failures.extend(error.problems)
            raise _Stop from None
        for bundle in bundles:
            engine.publish(bundle, meta=VersionMeta(sources=bundle_sources(bundle, self.runner.root)))
        for user in scenario.users.values():
            add_user(
                self.store,
                name=user.name,
                display_name=user.display_name or user.name,
                password_hash=NO_PASSWORD,
                roles=user.roles,
                departments=user.departments,
                at=now,
            )
        if scenario.stock:
            with self.store.transaction() as tx:
                tx.add_stock(dict(scenario.stock), actor="scenario", at=now, note=scenario.name)
        for index, raw in enumerate(scenario.accounts):
            self.put_account(raw, self.at(f"$.setup.accounts[{index}]"), "setup")

    def put_account(self, raw: Mapping[str, Any], where: Where, step: str) -> None:
        """Store the account as written (``setup.accounts``, an ``account`` step); a record the orders
        cannot take fails the scenario there."""
        account = CustomerAccount(
            str(raw["department"]),
            str(raw["account_no"]),
            str(raw["company"]),
            raw["credit_limit"],
            raw.get("outstanding", 0),
            raw.get("overdue_days", 0),
            raw.get("status", "active"),
            tax_id=raw.get("tax_id"),
            tier=raw.get("tier"),
            manager=raw.get("manager"),
        )
        try:
            put_account(self.store, account, self.runner.clock.now())
        except AccountRefused as refused:
            words = Text(
                f"客户账户未能保存：{refused.message('zh')}",
                f"the account could not be stored: {refused.message('en')}",
            )
            self.fail(where, words, step)
            raise _Stop from None

    # -- steps

    def actor(self, name: str) -> Actor:
        user = self.scenario.users[name]
        return Actor(user.name, frozenset(user.roles), frozenset(user.departments))

    def take(self, step: Step) -> None:
        if isinstance(step, Advance):
            self.runner.clock.advance(seconds=step.seconds)
        elif isinstance(step, SetAccount):
            self.put_account(step.account, step.where, "account")
        elif isinstance(step, RunWorker):
            self.runner.run_worker()
        elif isinstance(step, Expect):
            self.expect(step)
        elif isinstance(step, Create):
            self.create(step)
        else:
            self.fire(step)

    def data(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The step's data with ``$now`` written as the simulated clock's time (China time)."""
        now = self.runner.clock.now().astimezone(CHINA_TIME).isoformat()

        def filled(value: Any) -> Any:
            if value == NOW:
                return now
            if isinstance(value, Mapping):
                return {key: filled(item) for key, item in value.items()}
            if isinstance(value, list):
                return [filled(item) for item in value]
            return value

        return {key: filled(value) for key, value in data.items()}

    def create(self, step: Create) -> None:
        department = step.department or self.engine.spec(step.workflow).department
        try:
            order = self.engine.create_order(
                self.actor(step.actor), department, step.workflow, step.channel, self.data(step.data)
            )
        except EngineError as error:
            self.refused(step.where, step.expect_refused, error, f"create {step.workflow}")
            return
        self.orders[step.name] = order.id
        if step.expect_refused is not None:
            self.not_refused(step.where, step.expect_refused, order.state)

    def fire(self, step: Fire) -> None:
        order_id = self.orders.get(step.order)
        if order_id is None:
            words = Text(f"订单 {step.order!r} 没有创建", f"the order {step.order!r} was not created")
            self.fail(step.where, words, "step")
            raise _Stop
        what = step.trigger if step.record is None else f"{step.record[0]}#{step.record[1]} {step.trigger}"
        try:
            if step.record is None:
                fired = self.engine.fire(order_id, step.trigger, self.actor(step.actor), self.data(step.data))
            else:
                kind, number = step.record
                actor, data = self.actor(step.actor), self.data(step.data)
                fired = self.engine.fire_record(order_id, kind, number, step.trigger, actor, data)
        except EngineError as error:
            self.refused(step.where, step.expect_refused, error, what)
            return
        if step.expect_refused is not None:
            self.not_refused(step.where, step.expect_refused, fired.to_state)

    def refused(self, where: Where, expected: str | None, error: EngineError, what: str) -> None:
        said = Text(error.message("zh"), error.message("en"))
        self.result.checks += expected is not None
        if expected is None:
            words = Text(f"步骤 {what} 被拒绝：{said.zh}", f"the step {what} was refused: {said.en}")
            self.fail(where, words, "step")
            raise _Stop
        if expected not in said.zh and expected not in said.en:
            words = Text(
                f"期望拒绝理由含有 {expected!r}，实际为：{said.zh}",
                f"expected a refusal containing {expected!r}, got: {said.en}",
            )
            self.fail(where, words)

    def not_refused(self, where: Where, expected: str, state: str) -> None:
        self.result.checks += 1
        words = Text(
            f"期望被拒绝（含有 {expected!r}），实际未被拒绝：订单到了 {state}",
            f"expected a refusal containing {expected!r}, got none: the order went to {state}",
        )
        self.fail(where, words)

    # -- expectations

    def expect(self, step: Expect) -> None:
        order_id = self.orders.get(step.order)
        if order_id is None:
            words = Text(f"订单 {step.order!r} 没有创建", f"the order {step.order!r} was not created")
            self.fail(step.where, words)
            return
        with self.store.read() as tx:
            row = tx.load_order(order_id)
            records = {(r.kind, r.number): r for r in tx.order_records(order_id)}
            history = tx.history(order_id)
            outbox = tx.outbox_list(departments=None, limit=100_000)
            stock_rows = {
                (sku, warehouse): {"on_hand": on_hand, "reserved": reserved}
                for sku, warehouse, on_hand, reserved in tx.connection.execute(
                    select(stock.c.sku, stock.c.warehouse, stock.c.on_hand, stock.c.reserved)
                ).all()
            }
        assert row is not None  # an order once created stays
        for check in step.checks:
            self.result.checks += 1
            if check.what == "state":
                states = active_paths(split(row.state))
                leaves = {state.rsplit(".", 1)[-1] for state in split(row.state)}
                if check.expected not in states and check.expected not in leaves:
                    self.mismatch(check, Text("状态", "state"), check.expected, row.state)
            elif check.what == "data":
                got = data_at(row.data, check.key["path"])
                if got is MISSING or not same_value(check.expected, got):
                    shown = Text("（没有）", "(missing)") if got is MISSING else None
                    self.mismatch(
                        check, Text(check.key["path"], check.key["path"]), check.expected, got, shown
                    )
            elif check.what == "stock":
                sku, warehouse, key = check.key["sku"], check.key["warehouse"], check.key["field"]
                found = stock_rows.get((sku, warehouse))
                got = None if found is None else found[key]
                what = f"{sku}@{warehouse} {key}"
                if found is None:
                    self.mismatch(
                        check,
                        Text(what, what),
                        check.expected,
                        None,
                        Text("（没有这一行库存）", "(no such stock row)"),
                    )
                elif got != check.expected:
                    self.mismatch(check, Text(what, what), check.expected, got)
            elif check.what == "record":
                self.record(check, records)
            elif check.what == "outbox":
                self.outbox(check, order_id, outbox)
            else:
                self.audit(check, history)

    def mismatch(self, check: Check, what: Text, expected: Any, got: Any, shown: Text | None = None) -> None:
        got_zh = shown.zh if shown else show_value(got, "zh")
        got_en = shown.en if shown else show_value(got, "en")
        words = Text(
            f"期望 {what.zh} 为 {_shown(expected, 'zh')}，实际为 {got_zh}",
            f"expected {what.en} {_shown(expected, 'en')}, got {got_en}",
        )
        self.fail(check.where, words)

    def record(self, check: Check, records: Mapping[tuple[str, int], RecordRow]) -> None:
        kind, number, name = check.key["kind"], check.key["number"], check.key["field"]
        found = records.get((kind, number))
        what = Text(f"{kind}#{number} {name}", f"{kind}#{number} {name}")
        if found is None:
            held = sorted(f"{k}#{n}" for k, n in records)
            shown = Text(
                f"（没有这条记录；订单的记录：{'、'.join(held) or '无'}）",
                f"(no such record; the order's: {', '.join(held) or 'none'})",
            )
            self.mismatch(check, what, check.expected, None, shown)
            return
        got = found.state if name == RECORD_STATE else data_at(found.data, name)
        if got is MISSING or not same_value(check.expected, got):
            self.mismatch(
                check, what, check.expected, got, Text("（没有）", "(missing)") if got is MISSING else None
            )

    def outbox(self, check: Check, order_id: int, messages: Sequence[Any]) -> None:
        topic, status = check.key["topic"], check.key["status"]
        about = [
            m for m in messages if isinstance(m.payload, Mapping) and m.payload.get("order_id") == order_id
        ]
        count = sum(1 for m in about if m.topic == topic and (status is None or str(m.status) == status))
        if count != check.expected:
            kinds = sorted({f"{m.topic} ({m.status})" for m in about})
            what = f"outbox {topic}" + (f" ({status})" if status else "")
            mine = Text("、".join(kinds) or "无", ", ".join(kinds) or "none")
            words = Text(
                f"期望 {what} 有 {check.expected} 条，实际为 {count} 条（本订单的消息：{mine.zh}）",
                f"expected {check.expected} message(s) {what}, got {count} (this order's: {mine.en})",
            )
            self.fail(check.where, words)

    def audit(self, check: Check, history: Sequence[AuditRow]) -> None:
        wanted: Mapping[str, Any] = check.expected
        matching = [event for event in history if _audit_matches(event, wanted)]
        count = wanted.get("count")
        if (count is None and matching) or (count is not None and len(matching) == count):
            return
        shown = ", ".join(f"{k}: {v}" for k, v in wanted.items() if k != "count")
        trail = "; ".join(_audit_said(event) for event in history) or "—"
        expected = f"{count} × " if count is not None else ""
        words = Text(
            f"期望审计记录 {expected}{{{shown}}}，实际有 {len(matching)} 条；审计记录：{trail}",
            f"expected audit entry {expected}{{{shown}}}, got {len(matching)}; the audit trail: {trail}",
        )
        self.fail(check.where, words)


def _shown(value: Any, lang: str) -> str:
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, default=str)
    return show_value(value, lang)


def _reasons(event: AuditRow) -> list[str]:
    """The words an audit event gives for itself: its reason, and its rule decision's reasons."""
    words = [event.reason] if event.reason else []
    decision = event.rules or {}
    for reason in decision.get("reasons") or []:
        if isinstance(reason, Mapping):
            words.extend(str(reason[key]) for key in ("zh", "en", "rule") if reason.get(key))
    return words


def _audit_matches(event: AuditRow, wanted: Mapping[str, Any]) -> bool:
    checks = {
        "trigger": event.trigger,
        "from": event.from_state,
        "to": event.to_state,
        "actor": event.actor,
        "reason": event.reason,
        "outcome": (event.rules or {}).get("outcome"),
    }
    for key, value in wanted.items():
        if key == "count":
            continue
        if key == "says":
            if not any(value in text for text in _reasons(event)):
                return False
        elif key in ("from", "to"):
            got = checks[key]
            paths = active_paths(split(got)) if got else frozenset()
            if value not in paths and value not in {p.rsplit(".", 1)[-1] for p in paths}:
                return False
        elif checks.get(key) != value:
            return False
    return True


def _audit_said(event: AuditRow) -> str:
    text = f"{event.trigger} {event.from_state or '∅'}→{event.to_state}"
    outcome = (event.rules or {}).get("outcome")
    if outcome:
        text += f" [{outcome}]"
    if event.reason:
        text += f" ({event.reason})"
    return text
