"""The Engine facade: publish versions, create orders, fire triggers, run timers, migrate.

Every change to an order is one database transaction: load the order, check role, form, guards and
rules, let the version's shared machine compute the move, run the actions, write the audit event,
timers and outbox rows, then update the order where its ``lock_version`` still matches. Automatic
transitions that become possible run in the same transaction. Any refusal or error rolls it all back.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from engine.clock import Clock
from engine.dsl.compiler import Bundle, compile_bundle
from engine.dsl.spec import CREATE_TRIGGER, MIGRATE_TRIGGER, ORDER_FIELDS, SEPARATOR, Text, WorkflowSpec
from engine.errors import ConflictError, EngineError, NotFound, PluginError, Refusal, TransitionRejected
from engine.forms.numbers import unstorable_refusals
from engine.forms.ui import FormLayout
from engine.forms.validation import FieldError, FormValidator, without_knock_ons
from engine.plugins import ActionContext, PluginRegistry, did_you_mean
from engine.runtime import outbox as _outbox
from engine.runtime.actor import SYSTEM, Actor
from engine.runtime.compiled import (
    CompiledTransition,
    CompiledVersion,
    Conflict,
    Move,
    StateConfig,
    active_paths,
    compile_version,
    joined,
    split,
)
from engine.runtime.outbox import DispatchReport, OutboxMessage, RetryPolicy
from engine.store import DEFAULT_LEASE, INTEGRITY_ERRORS, STATE_JOIN, AuditRow, OrderRow, Store, TimerRow, Tx
from engine.store.codec import dumps, loads
from engine.store.documents import bundle_of

AUTO_LIMIT = 20  # automatic transitions taken in a row before the engine stops following them
PUBLISH_ATTEMPTS = 5  # tries at the next version number while concurrent publishes take them
BUNDLE_SCHEMA_VERSION = 1

AuditEvent = AuditRow

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _retried(method: Callable[Concatenate[Engine, _P], _R]) -> Callable[Concatenate[Engine, _P], _R]:
    """A method that is one write transaction, run again whole when PostgreSQL rolled it back for a
    deadlock or a serialization failure (``Store.retrying``: a bounded number of tries, then
    ``ContentionError``). Only for methods that open their transaction themselves."""

    @functools.wraps(method)
    def run(self: Engine, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return self.store.retrying(lambda: method(self, *args, **kwargs))

    return run


def _stored_document(bundle: Bundle) -> Any:
    """The bundle as a JSON document (not a string inside JSON), keys in their written order."""
    return json.loads(bundle.to_json())


@dataclass(frozen=True)
class PublishedVersion:
    workflow: str
    version: int
    content_hash: str
    created: bool  # False when the same content was already published


@dataclass(frozen=True)
class OrderView:
    id: int
    department: str
    workflow: str
    version: int
    channel: str | None
    state: str  # parallel: leaves joined with "|"
    states: tuple[str, ...]
    data: Mapping[str, Any]
    lock_version: int
    final: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class FireResult:
    order_id: int
    trigger: str
    from_state: str
    to_state: str  # where the order is after automatic transitions, too
    lock_version: int
    audit_event_id: int
    outcome: str | None = None
    decision: Mapping[str, Any] | None = None
    auto: tuple[str, ...] = ()  # automatic triggers taken after this one

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "auto": list(self.auto), "schema_version": 1}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> FireResult:
        fields = {k: v for k, v in doc.items() if k != "schema_version"}
        fields["auto"] = tuple(fields.get("auto", ()))
        return cls(**fields)


@dataclass(frozen=True)
class TriggerInfo:
    trigger: str
    label: Text | None
    dests: tuple[str, ...]
    form: str | None
    allowed: bool  # nothing known now refuses it (``on_submit`` may still, once the form is filled)
    why_not: tuple[Refusal, ...] = ()
    on_submit: tuple[Refusal, ...] = ()  # checks that wait for the form's data (code "on-submit")


@dataclass(frozen=True)
class PublishedForm:
    """A form as a workflow version publishes it: what a page renders, and what the engine checks a
    submission with (the same schema, layout and validator)."""

    path: str  # forms/<department>/<name>.json, as the workflow names it
    schema: Mapping[str, Any]
    layout: FormLayout
    validator: FormValidator


@dataclass
class MigrationPlan:
    workflow: str
    to_version: int
    moves: list[dict[str, Any]] = field(default_factory=list)  # order_id, from/to version and state
    blocked: list[dict[str, Any]] = field(default_factory=list)  # order_id, state, code, en, zh
    applied: bool = False


@dataclass(frozen=True)
class UnfiredTimer:
    """A due timer that could not fire for a reason of its own: its order or its workflow version is
    stored in a shape this OrderLoom cannot read (``StoredDocumentError``), or firing failed with
    another ``EngineError``. It stays scheduled, its note says why, and it is tried again once its
    claim's lease runs out (or at once by another worker, when this one stops and lets go of it)."""

    timer_id: int
    error: EngineError


@dataclass
class TimerReport:
    """What one ``fire_due_timers`` round did."""

    fired: int = 0
    unfired: list[UnfiredTimer] = field(default_factory=list)


@dataclass
class _Live:
    """The order being moved inside one transaction."""

    id: int
    department: str
    workflow: str
    version: int
    channel: str | None
    config: StateConfig
    data: dict[str, Any]
    lock_version: int

    @classmethod
    def from_row(cls, row: OrderRow) -> _Live:
        """The order as stored, ready to be moved (or only looked at)."""
        return cls(
            row.id,
            row.department,
            row.workflow,
            row.version,
            row.channel,
            split(row.state),
            dict(row.data),
            row.lock_version,
        )


@dataclass
class _Step:
    trigger: str
    actor: str
    from_state: str
    move: Move
    changes: dict[str, Any]
    guards: list[dict[str, Any]]
    rules: dict[str, Any] | None
    reason: str | None
    outbox: list[tuple[str, dict[str, Any]]]
    outcome: str | None = None


class Engine:
    def __init__(
        self,
        store: Store,
        registry: PluginRegistry,
        clock: Clock,
        *,
        lease: timedelta = DEFAULT_LEASE,
        outbox_retry: RetryPolicy | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.lease = lease  # how long a worker's claim on a timer or outbox message holds
        self.outbox_retry = outbox_retry or RetryPolicy()  # back-off and dead letters of the outbox
        self._versions: dict[tuple[str, int], CompiledVersion] = {}
        self._lock = threading.Lock()

    # -- versions ------------------------------------------------------------------------------

    def publish(self, bundle: Bundle, actor: Actor | None = None) -> PublishedVersion:
        """Store ``bundle`` as the next version of its workflow; the same content returns its version.

        The stored document is ``Bundle.to_json()`` as JSON (an object, not a string), and it is
        compiled from that document here exactly as it will be when read back.
        """
        document = _stored_document(bundle)
        spec = compile_bundle(Bundle.from_json(document))
        compile_version(spec, self.registry)  # refuse what cannot run before it is stored
        for _ in range(PUBLISH_ATTEMPTS - 1):
            try:
                return self._store_version(spec, bundle, document, actor)
            except INTEGRITY_ERRORS:
                # On PostgreSQL a concurrent publish stored this content or took this number first:
                # read again, and find the content or take the next number.
                continue
        return self._store_version(spec, bundle, document, actor)  # the last try raises what it meets

    @_retried
    def _store_version(
        self, spec: WorkflowSpec, bundle: Bundle, document: Any, actor: Actor | None
    ) -> PublishedVersion:
        with self.store.transaction() as tx:
            existing = tx.version_by_hash(spec.name, bundle.content_hash)
            if existing is not None:
                return PublishedVersion(spec.name, existing.version, existing.content_hash, created=False)
            latest = tx.latest_version(spec.name)
            number = 1 if latest is None else latest.version + 1
            tx.insert_version(
                workflow=spec.name,
                version=number,
                content_hash=bundle.content_hash,
                department=spec.department,
                bundle={"schema_version": BUNDLE_SCHEMA_VERSION, "bundle": document},
                at=self.clock.now(),
                published_by=actor.name if actor else None,
            )
        return PublishedVersion(spec.name, number, bundle.content_hash, created=True)

    def versions(self, workflow: str) -> list[PublishedVersion]:
        with self.store.read() as tx:
            rows = tx.versions(workflow)
        return [PublishedVersion(r.workflow, r.version, r.content_hash, created=False) for r in rows]

    def spec(self, workflow: str, version: int | None = None) -> WorkflowSpec:
        with self.store.read() as tx:
            return self._compiled(tx, workflow, version).spec

    def _compiled(self, tx: Tx, workflow: str, version: int | None) -> CompiledVersion:
        if version is None:  # the newest: its number is enough when it is compiled already
            version = tx.latest_version_number(workflow)
            if version is None:
                raise self._not_published(tx, workflow)
        found = self._versions.get((workflow, version))
        if found is not None:
            return found
        row = tx.version(workflow, version)
        if row is None:
            raise self._not_published(tx, workflow, version)
        key = (workflow, row.version)
        with self._lock:
            found = self._versions.get(key)
            if found is None:
                bundle = bundle_of(row.bundle, f"{workflow} v{row.version}")
                spec = compile_bundle(Bundle.from_json(bundle), row.version)
                found = compile_version(spec, self.registry)
                self._versions[key] = found
        return found

    @staticmethod
    def _not_published(tx: Tx, workflow: str, version: int | None = None) -> NotFound:
        """``workflow`` (or its ``version``) is not published: name a near miss, or the versions there are."""
        numbers = [row.version for row in tx.versions(workflow)] if version is not None else []
        if numbers:
            labels = [f"v{n}" for n in numbers]
            return NotFound(
                f"workflow {workflow} v{version} is not published; published versions: {', '.join(labels)}",
                zh=f"流程 {workflow} 没有发布 v{version}；已发布的版本：{'、'.join(labels)}",
            )
        names = tx.workflow_names()
        shown = workflow if version is None else f"{workflow} v{version}"
        return NotFound(
            f"workflow {shown} is not published{did_you_mean(workflow, names)}",
            zh=f"流程 {shown} 尚未发布{did_you_mean(workflow, names, lang='zh')}",
        )

    # -- orders --------------------------------------------------------------------------------

    def create_order(
        self,
        actor: Actor,
        department: str,
        workflow: str,
        channel: str | None = None,
        data: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> OrderView:
        data = dict(data or {})
        unstorable = unstorable_refusals(data)  # JSON has no NaN: refused before anything is written
        if unstorable:
            raise TransitionRejected(unstorable)
        now = self.clock.now()
        request = None
        if idempotency_key is not None:
            request = _request_hash(
                "create_order", department=department, workflow=workflow, channel=channel, data=data
            )
        try:
            return self._create_in(actor, department, workflow, channel, data, idempotency_key, request, now)
        except INTEGRITY_ERRORS:
            if idempotency_key is None:
                raise
            # On PostgreSQL a concurrent request with the same key stored its order first (this
            # one rolled back whole): answer with that order, as a replay would.
            with self.store.read() as tx:
                stored = _replay(tx, actor, idempotency_key, request)
                if stored is None:
                    raise
                return self._view(tx, int(stored["order_id"]), actor)

    @_retried
    def _create_in(
        self,
        actor: Actor,
        department: str,
        workflow: str,
        channel: str | None,
        data: dict[str, Any],
        idempotency_key: str | None,
        request: str | None,
        now: datetime,
    ) -> OrderView:
        with self.store.transaction() as tx:
            if idempotency_key is not None:
                stored = _replay(tx, actor, idempotency_key, request)
                if stored is not None:
                    return self._view(tx, int(stored["order_id"]), actor)
            if not actor.in_department(department):
                raise TransitionRejected(
                    [
                        Refusal(
                            "department",
                            f"无权在部门 {department} 下单",
                            f"{actor.name} may not create orders in department {department}",
                            {"department": department},
                        )
                    ]
                )
            cv = self._compiled(tx, workflow, None)
            if cv.spec.department != department:
                raise TransitionRejected(
                    [
                        Refusal(
                            "department",
                            f"流程 {workflow} 属于部门 {cv.spec.department}，不属于 {department}",
                            f"workflow {workflow} belongs to department {cv.spec.department}, "
                            f"not {department}",
                            {"department": department, "workflow_department": cv.spec.department},
                        )
                    ]
                )
            creators = cv.spec.create_roles
            if not actor.is_system and not cv.spec.takes_orders_from(actor.roles):
                title = cv.spec.title
                raise TransitionRejected(
                    [
                        Refusal(
                            "role",
                            f"需要角色 {' 或 '.join(creators)} 才能创建{title.get('zh')}",
                            f"creating a {title.get('en').lower()} requires role {' or '.join(creators)}",
                            {"roles": list(creators), "actor_roles": sorted(actor.roles)},
                        )
                    ]
                )
            # a copy: the order's steps write into it, and a retried try starts again from what was sent
            data = _prepared_intake(cv, channel, dict(data))
            refusals = _intake_refusals(cv, channel, data)
            if refusals:
                raise TransitionRejected(refusals)
            order_id = tx.insert_order(
                department=department,
                workflow=workflow,
                version=cv.version,
                channel=channel,
                state=joined(cv.initial),
                data=data,
                final=cv.is_final(cv.initial),
                at=now,
            )
            tx.insert_audit(
                order_id=order_id,
                seq=1,
                at=now,
                actor=actor.name,
                trigger=CREATE_TRIGGER,
                from_state=None,
                to_state=joined(cv.initial),
                data_changes={k: [None, v] for k, v in data.items()},
                guards=[],
                rules=None,
                reason=None,
            )
            self._schedule(tx, cv, order_id, sorted(active_paths(cv.initial)), now)
            live = _Live(order_id, department, workflow, cv.version, channel, cv.initial, data, 1)
            steps = self._follow_auto(tx, cv, live, now)
            if steps:
                self._write(tx, cv, live, steps, now)
            if idempotency_key is not None:
                tx.put_idempotent(
                    actor.name, idempotency_key, order_id, {"order_id": order_id}, now, request_hash=request
                )
            # What was just written, without reading it back: the data as its stored JSON reads.
            state, at = joined(live.config), now.astimezone(UTC)
            return OrderView(
                id=order_id,
                department=department,
                workflow=workflow,
                version=cv.version,
                channel=channel,
                state=state,
                states=split(state),
                data=loads(dumps(live.data)),
                lock_version=live.lock_version,
                final=cv.is_final(live.config),
                created_at=at,
                updated_at=at,
            )

    @_retried
    def fire(
        self,
        order_id: int,
        trigger: str,
        actor: Actor,
        data: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        *,
        expected_lock_version: int | None = None,
        reason: str | None = None,
    ) -> FireResult:
        """Fire ``trigger`` on the order in one transaction (see the module docstring).

        ``expected_lock_version``: the version the caller last saw; a different one is a ConflictError.
        Data holding NaN, an infinity or a lone surrogate is refused (code ``form``) before anything is
        written.
        """
        if data:
            unstorable = unstorable_refusals(data)
            if unstorable:
                raise TransitionRejected(unstorable)
        request = None
        if idempotency_key is not None:
            request = _request_hash("fire", order_id=order_id, trigger=trigger, data=dict(data or {}))
        with self.store.transaction() as tx:
            if idempotency_key is not None:
                stored = _replay(tx, actor, idempotency_key, request)
                if stored is not None:
                    return FireResult.from_dict(stored)
            result = self._fire_in(tx, order_id, trigger, actor, data or {}, expected_lock_version, reason)
            if idempotency_key is not None:
                tx.put_idempotent(
                    actor.name,
                    idempotency_key,
                    order_id,
                    result.to_dict(),
                    self.clock.now(),
                    request_hash=request,
                )
            return result

    def _fire_in(
        self,
        tx: Tx,
        order_id: int,
        trigger: str,
        actor: Actor,
        data: Mapping[str, Any],
        expected_lock_version: int | None,
        reason: str | None,
    ) -> FireResult:
        now = self.clock.now()
        row = self._load(tx, order_id, actor)
        if expected_lock_version is not None and row.lock_version != expected_lock_version:
            raise ConflictError(
                f"order {order_id} changed (version {row.lock_version}, expected {expected_lock_version})",
                zh=f"订单 {order_id} 已被修改（当前版本 {row.lock_version}，预期 {expected_lock_version}）；"
                "请刷新后重试",
            )
        cv = self._compiled(tx, row.workflow, row.version)
        live = _Live.from_row(row)
        from_state = row.state
        ct, dest, guards, decision, taken, dropped = self._decide(cv, live, trigger, actor, data, now, tx)
        step = self._apply(tx, cv, live, ct, dest, actor, taken, now, guards, decision, reason, dropped)
        steps = [step, *self._follow_auto(tx, cv, live, now)]
        audit_ids = self._write(tx, cv, live, steps, now)
        return FireResult(
            order_id=order_id,
            trigger=trigger,
            from_state=from_state,
            to_state=joined(live.config),
            lock_version=live.lock_version,
            audit_event_id=audit_ids[0],
            outcome=step.outcome,
            decision=decision,
            auto=tuple(s.trigger for s in steps[1:]),
        )

    def _load(self, tx: Tx, order_id: int, actor: Actor) -> OrderRow:
        row = tx.load_order(order_id)
        if row is None or not actor.in_department(row.department):
            raise NotFound(f"order {order_id} not found", zh=f"找不到订单 {order_id}")
        return row

    def _env(self, live: _Live, actor: Actor, data: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        """The names a condition reads. ``order`` is the order's data with ``data`` merged, and the
        order's own fields (``ORDER_FIELDS``) over both: a data field of that name never shadows them."""
        order: dict[str, Any] = {**live.data, **data}
        order["id"] = live.id
        order["state"] = joined(live.config)
        order["department"] = live.department
        order["channel"] = live.channel
        order["workflow"] = live.workflow
        return {"order": order, "data": dict(data), "actor": actor.as_env(), "now": now}

    def _candidates(self, cv: CompiledVersion, live: _Live, trigger: str) -> list[CompiledTransition]:
        return [ct for ct in cv.by_trigger.get(trigger, ()) if cv.source_matches(ct, live.config)]

    @staticmethod
    def _waiting_refusal(cv: CompiledVersion, live: _Live, trigger: str) -> Refusal | None:
        """Why ``trigger`` cannot leave the order's parallel state yet: regions not done (the join)."""
        for ct in cv.by_trigger.get(trigger, ()):
            waiting = cv.waiting_for(ct, live.config)
            if waiting:
                return _join_refusal(cv, ct, waiting)
        return None

    def _available(self, cv: CompiledVersion, live: _Live) -> list[str]:
        return sorted(
            {
                ct.spec.trigger
                for ct in cv.transitions
                if not ct.spec.auto and cv.source_matches(ct, live.config)
            }
        )

    def _decide(
        self,
        cv: CompiledVersion,
        live: _Live,
        trigger: str,
        actor: Actor,
        data: Mapping[str, Any],
        now: datetime,
        tx: Tx | None = None,
    ) -> _Decided:
        """Pick the transition and destination, or raise TransitionRejected saying why not; with them the
        guard results, the rules' decision, the data taken (as the transition's form prepares it) and
        the fields its form's hidden groups drop from the order."""
        candidates = self._candidates(cv, live, trigger)
        if not candidates:
            joining = self._waiting_refusal(cv, live, trigger)
            if joining is not None:
                raise TransitionRejected([joining])
            available = self._available(cv, live)
            state = joined(live.config)
            if trigger not in cv.by_trigger:
                known = sorted({ct.spec.trigger for ct in cv.transitions if not ct.spec.auto})
                raise TransitionRejected(
                    [
                        Refusal(
                            "unknown-trigger",
                            f"未知操作 {trigger!r}（流程 {cv.spec.name} 中没有）"
                            f"{did_you_mean(trigger, known, 'zh')}",
                            f"unknown trigger {trigger!r} in workflow {cv.spec.name}"
                            f"{did_you_mean(trigger, known)}",
                            {"trigger": trigger, "triggers": known, "available": available},
                        )
                    ]
                )
            raise TransitionRejected(
                [
                    Refusal(
                        "state",
                        f"当前状态 {state} 不能执行 {trigger}；当前可执行：{'、'.join(available) or '无'}",
                        f"{trigger!r} is not available in state {state}; available now: "
                        f"{', '.join(available) or 'none'}",
                        {"state": state, "trigger": trigger, "available": available},
                    )
                ]
            )
        refusals: list[Refusal] = []
        submitted_env: dict[str, Any] | None = None  # the names the guards read, over ``data`` as sent
        for ct in candidates:
            refusal = self._role_refusal(ct, actor)
            if refusal is not None:
                refusals.append(refusal)
                continue
            taken, dropped = data, frozenset[str]()
            if ct.layout is not None and ct.layout.prepares:
                # The form as its page shows it: what the order holds of the form's fields, then what
                # was sent; hidden groups' fields dropped (from the order too), computed fields filled.
                shown = {
                    key: live.data[key]
                    for key in ct.form_fields
                    if key in live.data and (key not in cv.owned or key in ct.owned_inputs)
                }
                shown.update(data)
                taken = ct.layout.prepare(shown)
                dropped = frozenset(shown).difference(taken)
            submitted = _submission_refusals(cv, ct, taken)
            if submitted:
                raise TransitionRejected(submitted)
            if taken is data:
                env = submitted_env = submitted_env or self._env(live, actor, data, now)
            else:
                env = self._env(live, actor, taken, now)
            guards, failed = self._check_guard(ct, env)
            if failed is not None:
                refusals.append(failed)
                continue
            decision: dict[str, Any] | None = None
            if ct.ruleset is not None:
                scope = env
                if ct.ruleset.kind == "routing" and tx is not None:  # routing scores stock on hand
                    scope = {**env, "stock": tx.stock_available(_skus(env["order"]))}
                result = ct.ruleset.evaluate(scope)
                decision = dict(result.to_dict())
                outcome = result.outcome
                dest = ct.spec.dest_by_outcome.get(outcome) if ct.spec.dest is None else ct.spec.dest
                if dest is None:
                    refusals.append(
                        Refusal(
                            "rules",
                            f"规则结果 {outcome} 没有对应的目标状态",
                            f"the rules decided {outcome!r}, which leads nowhere from {trigger!r}",
                            {"outcome": outcome, "decision": decision},
                        )
                    )
                    continue
                return ct, dest, guards, decision, taken, dropped
            assert ct.spec.dest is not None
            return ct, ct.spec.dest, guards, None, taken, dropped
        raise TransitionRejected(refusals)

    @staticmethod
    def _role_refusal(ct: CompiledTransition, actor: Actor) -> Refusal | None:
        roles = ct.spec.roles
        if actor.is_system or not roles or actor.roles.intersection(roles):
            return None
        return Refusal(
            "role",
            f"需要角色 {' 或 '.join(roles)}",
            f"requires role {' or '.join(roles)}",
            {"roles": list(roles), "actor_roles": sorted(actor.roles)},
        )

    @staticmethod
    def _check_guard(
        ct: CompiledTransition, env: Mapping[str, Any], part: tuple[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], Refusal | None]:
        """The guard's verdict and the refusal saying why not; ``part``: judge only that part of it
        (``before_form``: text and compiled guard)."""
        when, guard = part if part is not None else (ct.spec.when, ct.guard)
        if guard is None:
            return [], None
        from engine.rules.expr import ExpressionEvaluationError

        errored = False
        try:
            value, comparisons = guard.explain(env)
        except ExpressionEvaluationError as error:
            value, comparisons, errored = False, [{"error": str(error)}], True
        record = {"when": when, "result": bool(value), "comparisons": _plain(comparisons)}
        if value:
            return [record], None
        shown = "; ".join(
            f"{c.get('expr')}: {c.get('left')!r} vs {c.get('right')!r}"
            if "expr" in c
            else str(c.get("error"))
            for c in record["comparisons"]
        )
        details = {"when": when, "comparisons": record["comparisons"]}
        told = ct.spec.refusal
        # the workflow's own words for a condition that does not hold (it stays in the details); one
        # that could not be evaluated is not that, and says so
        if told is not None and not errored:
            return [record], Refusal("guard", told.zh, told.en, details)
        return [record], Refusal(
            "guard",
            f"条件不成立：{when}（{shown}）",
            f"condition not met: {when} ({shown})",
            details,
        )

    def _apply(
        self,
        tx: Tx,
        cv: CompiledVersion,
        live: _Live,
        ct: CompiledTransition,
        dest: str,
        actor: Actor,
        data: Mapping[str, Any],
        now: datetime,
        guards: list[dict[str, Any]],
        decision: dict[str, Any] | None,
        reason: str | None,
        dropped: frozenset[str] = frozenset(),
    ) -> _Step:
        """Move the order in memory and run the actions; the writes come after, in ``_write``.
        ``dropped``: fields of the order the transition's form hides now (they leave the order).

        What ``data`` (the step's submission) holds is merged into the order, but the owned fields it
        sends to this step's actions (``owned_inputs``): only what the actions return is kept of those.
        The actions see the order's data without what other steps sent (``step_fields`` this step did
        not send), with this step's submission over it."""
        before = dict(live.data)
        from_state = joined(live.config)
        move = cv.move(live.config, ct, dest)
        for key in dropped:
            live.data.pop(key, None)
        inputs = {key: value for key, value in data.items() if key in ct.owned_inputs}
        live.data.update(data if not inputs else {k: v for k, v in data.items() if k not in inputs})
        if decision is not None and decision.get("outputs"):
            # What the rules decided becomes order data: routing's warehouse, carrier and split,
            # a decision table's outputs (the outcome and the scores stay in the audit event only).
            live.data.update(
                (key, value) for key, value in decision["outputs"].items() if key not in _DECISION_ONLY
            )
        earlier = cv.step_fields.difference(data)  # what earlier steps sent, left out of the actions' view
        seen = {key: value for key, value in live.data.items() if key not in earlier}
        seen.update(inputs)
        outbox: list[tuple[str, dict[str, Any]]] = []
        labels = _step_labels(cv, ct, from_state, joined(move.to)) if ct.actions else {}
        for name, action in ct.actions:
            ctx = ActionContext(
                connection=tx.connection,
                order_id=live.id,
                department=live.department,
                workflow=live.workflow,
                trigger=ct.spec.trigger,
                source=from_state,
                dest=joined(move.to),
                actor=actor.name,
                data=dict(seen),
                now=now,
                outbox=outbox,
                labels=labels,
            )
            try:
                changes = action(ctx)
            except PluginError as error:
                raise TransitionRejected([_action_refusal(name, ct.spec.trigger, error)]) from error
            if changes:
                live.data.update(changes)
                seen.update(changes)
        live.config = move.to
        # ``before`` is a shallow copy: a value no step touched is the same object, compared by identity
        # before its (deep) equality
        after = live.data
        diff = {
            key: [old, new]
            for key in before.keys() | after.keys()
            if (old := before.get(key)) is not (new := after.get(key)) and old != new
        }
        return _Step(
            trigger=ct.spec.trigger,
            actor=actor.name,
            from_state=from_state,
            move=move,
            changes=diff,
            guards=guards,
            rules=decision,
            reason=reason,
            outbox=outbox,
            outcome=None if decision is None else decision.get("outcome"),
        )

    def _follow_auto(self, tx: Tx, cv: CompiledVersion, live: _Live, now: datetime) -> list[_Step]:
        """Take automatic transitions while one is possible (at most ``AUTO_LIMIT`` in a row)."""
        steps: list[_Step] = []
        while cv.auto and len(steps) < AUTO_LIMIT:
            for ct in cv.auto:
                if not cv.source_matches(ct, live.config):
                    continue
                try:
                    picked, dest, guards, decision, _, _ = self._decide(
                        cv, live, ct.spec.trigger, SYSTEM, {}, now, tx
                    )
                except TransitionRejected:
                    continue
                if not picked.spec.auto:
                    continue
                steps.append(
                    self._apply(tx, cv, live, picked, dest, SYSTEM, {}, now, guards, decision, "auto")
                )
                break
            else:
                break
        return steps

    def _write(
        self, tx: Tx, cv: CompiledVersion, live: _Live, steps: Sequence[_Step], now: datetime
    ) -> list[int]:
        expected = live.lock_version
        live.lock_version = expected + len(steps)
        if not tx.update_order(
            live.id,
            expected_lock_version=expected,
            new_lock_version=live.lock_version,
            state=joined(live.config),
            data=live.data,
            final=cv.is_final(live.config),
            at=now,
        ):
            raise ConflictError(
                f"order {live.id} was changed by someone else; reload it and try again",
                zh=f"订单 {live.id} 已被他人修改；请刷新后重试",
            )
        ids = []
        for k, step in enumerate(steps, 1):
            ids.append(
                tx.insert_audit(
                    order_id=live.id,
                    seq=expected + k,
                    at=now,
                    actor=step.actor,
                    trigger=step.trigger,
                    from_state=step.from_state,
                    to_state=joined(step.move.to),
                    data_changes=step.changes,
                    guards=step.guards,
                    rules=step.rules,
                    reason=step.reason,
                )
            )
            for state in step.move.left:
                if state in cv.timers:
                    tx.cancel_timers(live.id, state)
            self._schedule(tx, cv, live.id, step.move.entered, now)
            for topic, payload in step.outbox:
                internal = topic in self.registry.internal_topics  # for the correlation feed alone
                tx.insert_outbox(topic, payload, now, department=live.department, deliver=not internal)
        return ids

    @staticmethod
    def _schedule(
        tx: Tx,
        cv: CompiledVersion,
        order_id: int,
        states: Sequence[str],
        now: datetime,
        kept: Mapping[_TimerKey, list[datetime]] | None = None,
    ) -> None:
        """Schedule the timers of ``states``, due ``after`` from ``now``; a timer with a due time in
        ``kept`` (state, trigger, reason -> due times, earliest first) takes that one instead."""
        for state in states:
            for timer in cv.timers.get(state, ()):
                due = kept.get((state, timer.trigger, timer.reason)) if kept else None
                tx.schedule_timer(
                    order_id=order_id,
                    state=state,
                    trigger=timer.trigger,
                    reason=timer.reason,
                    due_at=due.pop(0) if due else now + timedelta(seconds=timer.after_seconds),
                )

    # -- reading -------------------------------------------------------------------------------

    def _view(self, tx: Tx, order_id: int, actor: Actor) -> OrderView:
        row = self._load(tx, order_id, actor)
        return _order_view(row)

    def get_order(self, order_id: int, actor: Actor) -> OrderView:
        with self.store.read() as tx:
            return self._view(tx, order_id, actor)

    def list_orders(
        self,
        actor: Actor,
        department: str | None = None,
        state: str | None = None,
        limit: int = 50,
        offset: int = 0,
        workflow: str | None = None,
    ) -> list[OrderView]:
        with self.store.read() as tx:
            rows = tx.list_orders(
                departments=actor.scope,
                department=department,
                state=state,
                workflow=workflow,
                limit=limit,
                offset=offset,
            )
        return [_order_view(r) for r in rows]

    def history(self, order_id: int, actor: Actor) -> list[AuditEvent]:
        with self.store.read() as tx:
            self._load(tx, order_id, actor)
            return tx.history(order_id)

    def available_triggers(self, order_id: int, actor: Actor) -> list[TriggerInfo]:
        """Every trigger a person could fire from the order's state, and why each is not allowed.

        The role is always checked (the department already was: an order outside the actor's
        departments is not found). A guard is evaluated now unless it reads what the transition's
        form fills (``data``, or an ``order`` field the form has); such a guard is listed in
        ``on_submit`` as decided when the form is submitted, and the conditions of its top-level
        ``and`` that read the order alone (``before_form``) are judged now all the same.
        """
        now = self.clock.now()
        with self.store.read() as tx:
            row = self._load(tx, order_id, actor)
            cv = self._compiled(tx, row.workflow, row.version)
        live = _Live.from_row(row)
        env = self._env(live, actor, {}, now)
        found = []
        for ct in cv.transitions:
            if ct.spec.auto:
                continue
            why: list[Refusal] = []
            later: list[Refusal] = []
            if not cv.source_matches(ct, live.config):
                waiting = cv.waiting_for(ct, live.config)
                if not waiting:
                    continue
                why.append(_join_refusal(cv, ct, waiting))  # listed, not offered: regions still run
            role = self._role_refusal(ct, actor)
            if role is not None:
                why.append(role)
            if ct.guard is not None and ct.guard_reads_form:
                if ct.before_form is not None:  # what the order alone decides, judged now
                    _, failed = self._check_guard(ct, env, ct.before_form)
                    if failed is not None:
                        why.append(failed)
                later.append(
                    Refusal(
                        "on-submit",
                        f"提交表单时判定：{ct.spec.when}",
                        f"decided when the form is submitted: {ct.spec.when}",
                        {"when": ct.spec.when, "form": ct.spec.form},
                    )
                )
            else:
                _, failed = self._check_guard(ct, env)
                if failed is not None:
                    why.append(failed)
            found.append(
                TriggerInfo(
                    trigger=ct.spec.trigger,
                    label=ct.spec.label,
                    dests=ct.dests,
                    form=ct.spec.form,
                    allowed=not why,
                    why_not=tuple(why),
                    on_submit=tuple(later),
                )
            )
        return found

    def intake_form(self, workflow: str, channel: str | None) -> PublishedForm | None:
        """The form a new order of ``workflow`` from ``channel`` is filled in, as the newest version
        publishes it: the channel's intake form, else the workflow's data form (None: it names neither).
        ``NotFound`` when the workflow is not published."""
        with self.store.read() as tx:
            cv = self._compiled(tx, workflow, None)
        spec = cv.spec
        path = spec.intake_forms.get(channel) if channel is not None else None
        validator = cv.intake_forms.get(channel) if channel is not None else None
        if path is None or validator is None:
            path, validator = spec.data_form, cv.data_form
        if path is None or validator is None:
            return None
        return PublishedForm(path, spec.forms[path], cv.layouts[path], validator)

    def published_forms(self, workflow: str, version: int | None = None) -> list[PublishedForm]:
        """Every form a version of ``workflow`` publishes (the newest when ``version`` is None): the data
        form, then the channels' intake forms, then the transitions' forms, each once."""
        with self.store.read() as tx:
            cv = self._compiled(tx, workflow, version)
        spec = cv.spec
        validators: dict[str, FormValidator] = {}
        if spec.data_form is not None and cv.data_form is not None:
            validators[spec.data_form] = cv.data_form
        for channel, path in spec.intake_forms.items():
            validators.setdefault(path, cv.intake_forms[channel])
        for ct in cv.transitions:
            if ct.spec.form is not None and ct.form is not None:
                validators.setdefault(ct.spec.form, ct.form)
        return [PublishedForm(p, spec.forms[p], cv.layouts[p], v) for p, v in validators.items()]

    def transition_form(self, order_id: int, trigger: str, actor: Actor) -> PublishedForm | None:
        """The form a person fills to fire ``trigger`` on the order now (the transition leaving its
        active state), as the order's version publishes it; None when that step takes no form or no
        such step leaves the state. ``NotFound`` when the order is outside the actor's departments."""
        with self.store.read() as tx:
            row = self._load(tx, order_id, actor)
            cv = self._compiled(tx, row.workflow, row.version)
        config = split(row.state)
        for ct in cv.by_trigger.get(trigger, ()):
            if ct.spec.auto or not cv.source_matches(ct, config):
                continue
            if ct.form is None or ct.spec.form is None:
                return None
            path = ct.spec.form
            return PublishedForm(path, cv.spec.forms[path], cv.layouts[path], ct.form)
        return None

    # -- timers --------------------------------------------------------------------------------

    def run_due_timers(self, worker_id: str, limit: int = 100, lease: timedelta | None = None) -> int:
        """Fire the due timers this worker claims; returns how many fired (``fire_due_timers`` also
        says which could not)."""
        return self.fire_due_timers(worker_id, limit, lease).fired

    def fire_due_timers(
        self, worker_id: str, limit: int = 100, lease: timedelta | None = None
    ) -> TimerReport:
        """Fire the due timers this worker claims; the report says how many fired and which could not.

        A claim lasts ``lease`` (the engine's by default): a timer claimed by a worker that died is
        taken over by another once the claim is older than that. It still fires at most once: the
        timer is marked fired, only if still scheduled and claimed by this worker, in the same
        transaction as its transition. A timer whose state the order has left, or whose condition
        no longer holds, is cancelled. A timer whose order changed under it stays claimed and is
        tried again when its lease runs out. So does one that cannot fire for a reason of its own (its
        order or workflow version stored in a shape this OrderLoom cannot read, written by a newer
        one; any other ``EngineError``): nothing of its fire is written, the error is kept in its note
        and in the report (``UnfiredTimer``), and the other timers go on. It is not cancelled: a worker
        that reads it (the newer OrderLoom, during a rolling upgrade) fires it once the lease lapses.
        """
        now = self.clock.now()
        with self.store.transaction() as tx:
            claimed = tx.claim_due_timers(worker_id, now, limit, self.lease if lease is None else lease)
        report = TimerReport()
        for timer_id in claimed:
            try:
                report.fired += self._fire_timer(timer_id, worker_id, now)
            except ConflictError:
                continue
            except EngineError as error:
                with self.store.transaction() as tx:
                    tx.note_timer(timer_id, worker_id, f"not fired: {error}")
                report.unfired.append(UnfiredTimer(timer_id, error))
        return report

    @_retried
    def _fire_timer(self, timer_id: int, worker_id: str, now: datetime) -> bool:
        with self.store.transaction() as tx:
            timer = tx.timer(timer_id)
            if timer is None:
                return False
            # The order first (locked on PostgreSQL, as every step locks it before anything else), then
            # the timer marked (and its row locked): leaving the timer's state must not cancel it, and a
            # worker that took the timer over after this one's lease lapsed finds it fired.
            row = tx.load_order(timer.order_id)
            assert row is not None
            if not tx.fire_timer(timer_id, worker_id):
                return False
            if timer.state not in active_paths(split(row.state)):
                tx.finish_timer(timer_id, "cancelled")
                return False
            cv = self._compiled(tx, row.workflow, row.version)
            condition = cv.timer_conditions.get((timer.state, timer.trigger, timer.reason))
            if condition is not None:
                live = _Live.from_row(row)
                holds, note = _timer_condition_holds(condition, self._env(live, SYSTEM, {}, now))
                if not holds:
                    tx.finish_timer(timer_id, "cancelled", note)
                    return False
            try:
                # A savepoint: an action refused after another one wrote leaves none of its writes.
                with tx.connection.begin_nested():
                    self._fire_in(tx, row.id, timer.trigger, SYSTEM, {}, row.lock_version, timer.reason)
            except TransitionRejected:
                tx.finish_timer(timer_id, "cancelled")
                return False
            return True

    # -- outbox --------------------------------------------------------------------------------

    def dispatch_outbox(
        self,
        worker_id: str,
        send: Callable[[str, Any], None],
        limit: int = 100,
        lease: timedelta | None = None,
        *,
        stop: Callable[[], bool] | None = None,
    ) -> DispatchReport:
        """Hand the pending messages this worker claims, earliest due first, to ``send(topic, payload)``.

        A message is marked sent only after ``send`` returned. When it raises, the attempt and its error
        are recorded and the message is put off by ``self.outbox_retry`` (doubling, capped), dead after
        its last attempt or at once when ``send`` raised ``Undeliverable``; ``Unreachable`` also gives
        the rest of the batch back untried (engine/runtime/outbox.py), and so does ``stop()`` turning
        true (the worker is stopping). Delivery is at least once: a
        worker that dies between sending and marking leaves the claim to lapse, and the message is sent
        again, so receivers deduplicate on the payload.
        """
        return _outbox.dispatch(
            self.store,
            self.clock,
            worker_id,
            send,
            limit=limit,
            lease=self.lease if lease is None else lease,
            policy=self.outbox_retry,
            stop=stop,
        )

    def release_claims(self, worker_id: str) -> tuple[int, int]:
        """A worker stopping in good order lets go of the timers and messages it claimed and did not
        finish, so that others take them now rather than after the lease: (timers, messages)."""
        with self.store.transaction() as tx:
            return tx.release_claims(worker_id)

    def outbox_messages(
        self,
        actor: Actor,
        *,
        status: str | None = None,
        topic: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[OutboxMessage]:
        """Outbox messages newest first, of ``status`` (pending, sent, dead, internal) and ``topic``
        when given, of the departments the actor administers; ``Forbidden`` for anyone but an admin."""
        scope = _outbox.operator_scope(actor)
        _outbox.check_status(status)
        with self.store.read() as tx:
            return tx.outbox_list(departments=scope, status=status, topic=topic, limit=limit, offset=offset)

    def outbox_counts(self, actor: Actor) -> dict[str, int]:
        """How many messages of the actor's departments are pending and how many dead."""
        scope = _outbox.operator_scope(actor)
        with self.store.read() as tx:
            return tx.outbox_counts(departments=scope)

    def outbox_message(self, message_id: int, actor: Actor) -> OutboxMessage:
        """One message; ``NotFound`` when it is not there or outside the actor's departments."""
        return _outbox.visible_message(self.store, message_id, actor)

    def replay_outbox(self, message_ids: Sequence[int], actor: Actor) -> int:
        """Send dead letters (or pending messages put off) back to be delivered now, their attempts
        counted from none; the actor is kept as who replayed them. All or none: ``ConflictError`` for a
        message sent already, internal, or being sent now."""
        return _outbox.replay(self.store, self.clock, message_ids, actor, self.lease)

    def replay_dead_letters(self, actor: Actor, topic: str | None = None) -> int:
        """Send every dead letter the actor sees (of ``topic`` when given) back to be delivered now."""
        return _outbox.replay_dead(self.store, self.clock, actor, topic, self.lease)

    # -- migration -----------------------------------------------------------------------------

    @_retried
    def migrate(
        self,
        workflow: str,
        to_version: int,
        mapping: Mapping[str, str] | None = None,
        dry_run: bool = True,
        actor: Actor = SYSTEM,
    ) -> MigrationPlan:
        """Move the unfinished orders of ``workflow`` onto ``to_version``.

        A state missing from the new version must be mapped (``mapping[old] = new``); orders whose
        state cannot be placed (gone, or leaves that cannot be active together there), whose data the
        new data form refuses, or that would land in a final state (finishing takes a transition, so
        its side effects run) stay where they are. A region of the order's parallel state that it has
        no leaf in (one the new version adds) starts at its initial state (``started`` in the plan's
        move), and its timers are due from now. A mapping naming a state that no published version
        has, or a target missing from ``to_version``, is refused before any order is looked at. A
        moved order's timers are cancelled and those of the states it is now in are scheduled per
        ``to_version``: a timer it already had there (same state, or the state ``mapping`` renames,
        trigger and reason) keeps its due time, one new to it is due ``after`` from now.
        """
        mapping = dict(mapping or {})
        plan = MigrationPlan(workflow, to_version)
        now = self.clock.now()
        with self.store.transaction() as tx:
            target = self._compiled(tx, workflow, to_version)
            _check_mapping(
                mapping, target, [self._compiled(tx, workflow, v.version) for v in tx.versions(workflow)]
            )
            rows = [
                row
                for version in tx.versions(workflow)
                if version.version != to_version
                for row in tx.orders_on_version(workflow, version.version)
                if not row.final and actor.in_department(row.department)
            ]
            movable: list[tuple[OrderRow, StateConfig]] = []
            for row in rows:
                leaves = tuple(sorted({mapping.get(leaf, leaf) for leaf in split(row.state)}))
                gone = [leaf for leaf in leaves if leaf not in target.states]
                if gone:
                    plan.blocked.append(
                        {
                            "order_id": row.id,
                            "state": row.state,
                            "code": "state-gone",
                            "en": f"state {', '.join(gone)} does not exist in v{to_version}; map it",
                            "zh": f"状态 {'、'.join(gone)} 在 v{to_version} 中不存在，请指定映射",
                        }
                    )
                    continue
                # Every region of the parallel state the order is in gets a state: one the order has no
                # leaf in (a region the new version adds) starts at its initial state, so the join waits
                # for it too.
                config = target.configuration(leaves)
                if isinstance(config, Conflict):
                    en, zh = _conflict_reason(config, to_version)
                    plan.blocked.append(
                        {
                            "order_id": row.id,
                            "state": row.state,
                            "code": "conflicting-states",
                            "en": en,
                            "zh": zh,
                        }
                    )
                    continue
                if target.is_final(config):
                    plan.blocked.append(
                        {
                            "order_id": row.id,
                            "state": row.state,
                            "code": "final-state",
                            "en": f"{joined(config)} is a final state; finish the order with a transition "
                            "so its side effects run (refunds, stock release)",
                            "zh": f"{joined(config)} 是终止状态；请通过流转结束订单，以便执行其后续动作"
                            "（退款、释放库存）",
                        }
                    )
                    continue
                data_form = target.spec.data_form
                errors = (
                    target.data_form.messages(row.data, target.layouts.get(data_form))
                    if target.data_form is not None and data_form is not None
                    else []
                )
                if errors:
                    plan.blocked.append(
                        {
                            "order_id": row.id,
                            "state": row.state,
                            "code": "data-invalid",
                            "en": "; ".join(f"{e.path}: {e.en}" for e in errors),
                            "zh": "；".join(f"{e.path}：{e.zh}" for e in errors),
                        }
                    )
                    continue
                plan.moves.append(
                    {
                        "order_id": row.id,
                        "from_version": row.version,
                        "to_version": to_version,
                        "from_state": row.state,
                        "to_state": joined(config),
                        "started": [leaf for leaf in config if leaf not in leaves],  # regions entered anew
                    }
                )
                movable.append((row, config))
            if dry_run:
                return plan
            for row, config in movable:
                if not tx.update_order(
                    row.id,
                    expected_lock_version=row.lock_version,
                    state=joined(config),
                    data=row.data,
                    version=to_version,
                    final=target.is_final(config),
                    at=now,
                ):
                    raise ConflictError(
                        f"order {row.id} changed during the migration; run it again",
                        zh=f"订单 {row.id} 在迁移过程中被修改；请重新运行迁移",
                    )
                tx.insert_audit(
                    order_id=row.id,
                    seq=row.lock_version + 1,
                    at=now,
                    actor=actor.name,
                    trigger=MIGRATE_TRIGGER,
                    from_state=row.state,
                    to_state=joined(config),
                    data_changes={},
                    guards=[],
                    rules=None,
                    reason=f"v{row.version} -> v{to_version}",
                )
                # The timers its states still have keep their due times (through the mapping when a
                # state was renamed); the old rows are cancelled, the new version's scheduled.
                kept = _scheduled_due_times(tx.order_timers(row.id), mapping)
                for state in active_paths(split(row.state)):  # the old version's timers, left or not
                    tx.cancel_timers(row.id, state)
                self._schedule(tx, target, row.id, sorted(active_paths(config)), now, kept)
            plan.applied = True
        return plan


_TimerKey = tuple[str, str, str | None]  # a timer's state, trigger and reason


def _scheduled_due_times(
    timers: Sequence[TimerRow], mapping: Mapping[str, str]
) -> dict[_TimerKey, list[datetime]]:
    """The due times of an order's scheduled timers by (state as ``mapping`` renames it, trigger,
    reason), earliest first: what a migration keeps for the timers the order's states still have."""
    found: dict[_TimerKey, list[datetime]] = {}
    for timer in timers:
        if timer.status == "scheduled":
            key = (mapping.get(timer.state, timer.state), timer.trigger, timer.reason)
            found.setdefault(key, []).append(timer.due_at)
    for due_times in found.values():
        due_times.sort()
    return found


def _conflict_reason(conflict: Conflict, version: int) -> tuple[str, str]:
    """Why a migration cannot place an order whose leaves ``conflict``: (en, zh)."""
    first, second = conflict.states
    if conflict.region is not None:
        parallel, region = conflict.region.rsplit(SEPARATOR, 1)
        return (
            f"{first} and {second} are both in region {region} of {parallel} in v{version}, and a region "
            "is in one state at a time; map one of them to another state",
            f"{first} 和 {second} 都在 v{version} 中 {parallel} 的分区 {region} 内，一个分区同一时刻只能处于"
            "一个状态；请把其中一个映射到其他状态",
        )
    return (
        f"{first} and {second} cannot be active together in v{version}: only the regions of one parallel "
        "state run side by side; map them to one state, or into the regions of one parallel state",
        f"{first} 和 {second} 在 v{version} 中不能同时处于激活状态：只有同一并行状态的各分区可以同时进行；"
        "请把它们映射到同一状态，或映射到同一并行状态的各分区",
    )


def _check_mapping(
    mapping: Mapping[str, str], target: CompiledVersion, published: Sequence[CompiledVersion]
) -> None:
    """Refuse, all at once, mapped states that no published version has and targets ``target`` lacks."""
    known = sorted({state for cv in published for state in cv.states})
    targets = sorted(target.states)
    en: list[str] = []
    zh: list[str] = []
    for old, new in mapping.items():
        if old not in known:
            en.append(
                f"state {old!r} is in no published version of {target.spec.name}{did_you_mean(old, known)}"
            )
            zh.append(
                f"流程 {target.spec.name} 的已发布版本中没有状态 {old!r}{did_you_mean(old, known, 'zh')}"
            )
        if new not in target.states:
            en.append(f"state {new!r} does not exist in v{target.version}{did_you_mean(new, targets)}")
            zh.append(f"状态 {new!r} 在 v{target.version} 中不存在{did_you_mean(new, targets, 'zh')}")
    if en:
        raise EngineError("cannot migrate: " + "; ".join(en), zh="无法迁移：" + "；".join(zh))


def _order_view(row: OrderRow) -> OrderView:
    return OrderView(
        id=row.id,
        department=row.department,
        workflow=row.workflow,
        version=row.version,
        channel=row.channel,
        state=row.state,
        states=split(row.state),
        data=row.data,
        lock_version=row.lock_version,
        final=row.final,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


_DECISION_ONLY = frozenset({"outcome", "scores"})
# What _decide picks: the transition, its destination, the guard results, the rules' decision, the
# data taken and the order's fields the transition's form drops.
_Decided = tuple[
    CompiledTransition, str, list[dict[str, Any]], dict[str, Any] | None, Mapping[str, Any], frozenset[str]
]


def _skus(order: Mapping[str, Any]) -> list[str]:
    lines = order.get("lines")
    if not isinstance(lines, list):
        return []
    return sorted({str(line["sku"]) for line in lines if isinstance(line, Mapping) and line.get("sku")})


def _step_labels(
    cv: CompiledVersion, ct: CompiledTransition, source: str, dest: str
) -> dict[str, dict[str, str]]:
    """How people read a step, in both languages: the workflow's title, the transition's label (its
    trigger when it has none) and the states' labels (a parallel state's regions joined by " | ")."""

    def state(name: str) -> dict[str, str]:
        parts = name.split(STATE_JOIN)
        return {
            lang: " | ".join(cv.states[p].label.get(lang) if p in cv.states else p for p in parts)
            for lang in ("zh", "en")
        }

    title, label = cv.spec.title, ct.spec.label
    trigger = ct.spec.trigger
    return {
        "workflow": {"zh": title.zh, "en": title.en},
        "trigger": {"zh": label.zh, "en": label.en} if label is not None else {"zh": trigger, "en": trigger},
        "from": state(source),
        "to": state(dest),
    }


def _intake_refusals(cv: CompiledVersion, channel: str | None, data: Mapping[str, Any]) -> list[Refusal]:
    """Why a new order's channel or data is refused: an unlisted channel, or every field that the
    channel's intake form or the data form refuses (a field both refuse is named once, as the intake
    form words it, whatever keyword each refused it by: a mobile number the intake form checks by
    ``format`` and the data form by ``pattern`` was said twice)."""
    spec = cv.spec
    if channel is not None and channel not in spec.channels:
        allowed = list(spec.channels)
        return [
            Refusal(
                "channel",
                f"流程 {spec.name} 不接受渠道 {channel}；可用渠道：{'、'.join(allowed) or '无'}"
                f"{did_you_mean(channel, allowed, 'zh')}",
                f"workflow {spec.name} does not take orders from channel {channel!r}; allowed channels: "
                f"{', '.join(allowed) or 'none'}{did_you_mean(channel, allowed)}",
                {"channel": channel, "allowed": allowed},
            )
        ]
    # The channel's intake form first: it is the one the clerk fills, so a field both forms refuse is
    # named in its words.
    checks = [(spec.intake_forms.get(channel), cv.intake_forms.get(channel))] if channel is not None else []
    checks.append((spec.data_form, cv.data_form))
    found: list[tuple[str, FieldError]] = []
    refused: set[str] = set()  # the fields an earlier form refused: a later one's words would repeat it
    for form, validator in checks:
        if validator is None or form is None:
            continue
        errors = validator.messages(data, cv.layouts.get(form))
        found += [(form, error) for error in errors if error.path not in refused]
        refused |= {error.path for error in errors}
    # A field the intake form computes and could not (a 400-digit price leaves its line amount out) is
    # missing for the data form too: the refused price says what to fix, not "enter the line amount".
    intake = spec.intake_forms.get(channel) if channel is not None else None
    layout = cv.layouts.get(intake) if intake is not None else None
    kept = without_knock_ons([error for _, error in found], layout) if layout is not None else None
    refusals = _order_field_refusals(data) + _owned_refusals(cv, data)
    return refusals + [e.refusal(form) for form, e in found if kept is None or e in kept]


def _owned_refusals(
    cv: CompiledVersion, data: Mapping[str, Any], inputs: frozenset[str] = frozenset()
) -> list[Refusal]:
    """A field of ``data`` the engine or an action owns (``CompiledVersion.owned``): only the engine
    writes it, so no data may, at creation or with a step (but as ``inputs``: what a step's form sends
    to the action of that step that writes it)."""
    return [
        Refusal(
            "owned",
            f"$.{key}：{key} 由流程记录（{owner.zh}），不能提交",
            f"$.{key}: {key!r} is recorded by the workflow ({owner.en}); it cannot be sent",
            {"path": f"$.{key}", "field": key, "owner": owner.en},
        )
        for key in data
        if (owner := cv.owned.get(key)) is not None and key not in inputs
    ]


def _order_field_refusals(data: Mapping[str, Any]) -> list[Refusal]:
    """A field of ``data`` named like one of the order's own fields (``order.state`` …): never data."""
    return [
        Refusal(
            "form",
            f"$.{key}：{key} 是订单自身的字段（{ORDER_FIELDS[key].zh}），不能作为数据提交",
            f"$.{key}: {key!r} is the order's own field ({ORDER_FIELDS[key].en}); it cannot be sent as data",
            {"path": f"$.{key}", "field": key},
        )
        for key in data
        if key in ORDER_FIELDS
    ]


def _prepared_intake(cv: CompiledVersion, channel: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """A new order's data as the server takes it: the fields of groups the channel's intake form (then
    the data form) hides for it dropped, its computed fields (line amounts, totals) filled."""
    spec = cv.spec
    for form in (spec.intake_forms.get(channel) if channel is not None else None, spec.data_form):
        layout = cv.layouts.get(form) if form is not None else None
        if layout is not None and layout.prepares:
            data = layout.prepare(data)
    return data


def _submission_refusals(
    cv: CompiledVersion, ct: CompiledTransition, data: Mapping[str, Any]
) -> list[Refusal]:
    """Why ``data`` may not be submitted with ``ct``: a step without a form takes none; with a form,
    only the fields its top-level ``properties`` declare (whatever ``additionalProperties`` says),
    none the engine owns (but what the step's own actions write: ``owned_inputs``), each filled as
    the form asks. Nothing submitted reaches the order unless this is empty."""
    trigger = ct.spec.trigger
    if ct.form is None:
        if not data:
            return []
        fields = sorted(data)
        return [
            Refusal(
                "form",
                f"此步骤（{trigger}）不接受数据；收到：{'、'.join(fields)}",
                f"this step ({trigger!r}) takes no data; got: {', '.join(fields)}",
                {"trigger": trigger, "fields": fields},
            )
        ]
    declared = sorted(ct.form_fields)
    refusals = [
        Refusal(
            "form",
            f"$.{key}：表单 {ct.spec.form} 没有这个字段；可填：{'、'.join(declared) or '无'}",
            f"$.{key}: field {key!r} is not on the form {ct.spec.form} of {trigger!r}; "
            f"its fields: {', '.join(declared) or 'none'}{did_you_mean(key, declared)}",
            {"path": f"$.{key}", "form": ct.spec.form, "allowed": declared},
        )
        for key in data
        if key not in ct.form_fields
    ]
    declared_only = {key: value for key, value in data.items() if key in ct.form_fields}
    # a form published before its fields were checked may declare one of the order's own fields, or
    # one the engine owns
    refusals += _order_field_refusals(declared_only) + _owned_refusals(cv, declared_only, ct.owned_inputs)
    return refusals + [e.refusal(ct.spec.form) for e in ct.form.messages(declared_only, ct.layout)]


def _request_hash(operation: str, **arguments: Any) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of an operation and its arguments."""
    text = json.dumps(
        {"operation": operation, **arguments},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _replay(tx: Tx, actor: Actor, key: str, request: str | None) -> Any | None:
    """The stored result of ``actor``'s ``key``, or None when the key is new.

    The same key sent with a different request is refused (code ``idempotency``); a key stored
    before requests were fingerprinted replays its result whatever the request.
    """
    found = tx.idempotent_entry(actor.name, key)
    if found is None:
        return None
    result, stored = found
    if stored is not None and stored != request:
        raise TransitionRejected(
            [
                Refusal(
                    "idempotency",
                    f"幂等键 {key} 已用于另一个请求；新的请求请使用新的键",
                    f"idempotency key {key!r} was already used for a different request; "
                    "use a new key for a new request",
                    {"idempotency_key": key},
                )
            ]
        )
    return result


def _timer_condition_holds(condition: Any, env: Mapping[str, Any]) -> tuple[bool, str | None]:
    """Whether a due timer's ``when`` holds, and a note when it could not be evaluated at all.

    An evaluation failure (a field of the wrong kind, a date that does not parse) counts as "does
    not hold": the timer is cancelled with the error as its note, and the other timers go on.
    """
    from engine.rules.expr import ExpressionEvaluationError

    try:
        return bool(condition(env)), None
    except ExpressionEvaluationError as error:
        return False, f"condition could not be evaluated: {error}"


def _join_refusal(cv: CompiledVersion, ct: CompiledTransition, waiting: Sequence[str]) -> Refusal:
    """A step out of a parallel state that waits for its regions: which regions, and where each is."""
    trigger = ct.spec.trigger
    parallel = waiting[0].split(SEPARATOR, 1)[0]
    label = cv.states[parallel].label
    regions = {leaf.split(SEPARATOR)[1]: leaf for leaf in waiting}
    zh = "、".join(f"{region}（{cv.states[leaf].label.zh}）" for region, leaf in regions.items())
    en = ", ".join(f"{region} ({cv.states[leaf].label.en})" for region, leaf in regions.items())
    return Refusal(
        "join",
        f"{label.zh}（{parallel}）的各分区都完成后才能执行 {trigger}；尚未完成：{zh}",
        f"{trigger!r} leaves {label.en} ({parallel}) only once every region is done; not done yet: {en}",
        {"trigger": trigger, "state": parallel, "waiting": regions},
    )


def _action_refusal(name: str, trigger: str, error: PluginError) -> Refusal:
    """The refusal an action's ``PluginError`` stands for: its own when it gave one, else ``action``."""
    details: dict[str, Any] = {**error.details, "action": name, "trigger": trigger}
    if error.zh and error.en:
        return Refusal(error.code or "action", error.zh, error.en, details)
    details["error"] = str(error)
    return Refusal(
        "action",
        f"动作 {name} 执行失败（{trigger}）：{error.message('zh')}",
        f"action {name} failed on {trigger!r}: {error}",
        details,
    )


def _plain(value: Any) -> Any:
    """Comparisons as JSON (dates and decimals become text).

    The shapes JSON keeps as they are (text, numbers, booleans, null, lists, dicts keyed by text) are
    copied by exact type; anything else takes the JSON round trip, so the result is the same.
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is list or kind is tuple:
        return [_plain(item) for item in value]
    if kind is dict and all(type(key) is str for key in value):
        return {key: _plain(item) for key, item in value.items()}
    return json.loads(json.dumps(value, default=str))
