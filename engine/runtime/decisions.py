"""How a step is decided, before anything is written: the transition and destination picked for a
trigger, the form's data taken, the guards and rule sets judged, and every refusal in both languages.

Nothing here writes; the only read is the stock a routing rule set scores (through the transaction of
the step). ``commands`` applies what ``decide`` picked; ``queries`` lists what a person could fire.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.common.list_keys import LOOKUPS
from engine.common.suggest import did_you_mean, near_miss
from engine.dsl.spec import ORDER_FIELDS, PREVIOUS_STATE, SEPARATOR
from engine.errors import PluginError, Refusal, RefusalCode, TransitionRejected
from engine.forms.validation import FieldError, without_knock_ons
from engine.rules.expr import ExpressionEvaluationError
from engine.runtime.actor import Actor
from engine.runtime.compiled import CompiledTransition, CompiledVersion, StateConfig, joined, split
from engine.runtime.named_lists import StepLookups, with_facts_read
from engine.runtime.original_order import original_order_refusals, typed_number
from engine.runtime.record_state import LiveRecord, RecordEvent
from engine.store import OrderRow, Tx
from engine.store.records import RecordRow


@dataclass
class LiveOrder:
    """The order being moved inside one transaction (or only looked at)."""

    id: int
    department: str
    workflow: str
    version: int
    channel: str | None
    config: StateConfig
    data: dict[str, Any]
    lock_version: int
    # kind -> the order's child records of that kind, by number (None: not read; the version has none)
    records: dict[str, list[LiveRecord]] | None = None

    @classmethod
    def from_row(cls, row: OrderRow) -> LiveOrder:
        """The order as stored, ready to be moved (or only looked at)."""
        return cls(
            id=row.id,
            department=row.department,
            workflow=row.workflow,
            version=row.version,
            channel=row.channel,
            config=split(row.state),
            data=dict(row.data),
            lock_version=row.lock_version,
        )


@dataclass
class Moving:
    """An order being moved: the transaction it is moved in, its compiled version, and the moment."""

    tx: Tx
    cv: CompiledVersion
    order: LiveOrder
    now: datetime
    # what happened to the order's records during the step being taken, for its audit events
    record_events: list[RecordEvent] = field(default_factory=list)
    # who took the step being taken (None: a timer, the system): the automatic steps that follow it run
    # their actions on that person's behalf (a restock's ledger entry names them, not the system)
    by: Actor | None = None

    def __post_init__(self) -> None:
        read_records(self.tx, self.cv, self.order)


def read_records(
    tx: Tx, cv: CompiledVersion, live: LiveOrder, rows: Sequence[RecordRow] | None = None
) -> LiveOrder:
    """``live`` with its child records read (once), when its version declares record kinds; ``rows``:
    its records read already (with a page's other orders, in one statement)."""
    if live.records is not None or not cv.records:
        return live
    found: dict[str, list[LiveRecord]] = {kind: [] for kind in cv.records}
    for row in tx.order_records(live.id) if rows is None else rows:
        found.setdefault(row.kind, []).append(
            LiveRecord(row.id, row.kind, row.number, row.state, dict(row.data), row.lock_version)
        )
    live.records = found
    return live


@dataclass(frozen=True)
class Decision:
    """What ``decide`` picked for a trigger: the transition and its destination, the guards' results,
    the rules' decision, the data taken (as the transition's form prepares it) and the order's fields
    the form's hidden groups drop."""

    transition: CompiledTransition
    dest: str
    guards: list[dict[str, Any]]
    rules: dict[str, Any] | None
    data: Mapping[str, Any]
    dropped: frozenset[str] = frozenset()


def condition_env(live: LiveOrder, actor: Actor, data: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The names a condition reads. ``order`` is the order's data with ``data`` merged, and the
    order's own fields (``ORDER_FIELDS``) over both: a data field of that name never shadows them."""
    order: dict[str, Any] = {**live.data, **data}
    order["id"] = live.id
    order["state"] = joined(live.config)
    order["department"] = live.department
    order["channel"] = live.channel
    order["workflow"] = live.workflow
    records = {kind: [record.view() for record in found] for kind, found in (live.records or {}).items()}
    return {"order": order, "data": dict(data), "actor": actor.as_env(), "now": now, "records": records}


def candidates(cv: CompiledVersion, live: LiveOrder, trigger: str) -> list[CompiledTransition]:
    return [ct for ct in cv.by_trigger.get(trigger, ()) if cv.source_matches(ct, live.config)]


def waiting_refusal(cv: CompiledVersion, live: LiveOrder, trigger: str) -> Refusal | None:
    """Why ``trigger`` cannot leave the order's parallel state yet: regions not done (the join)."""
    for ct in cv.by_trigger.get(trigger, ()):
        waiting = cv.waiting_for(ct, live.config)
        if waiting:
            return join_refusal(cv, ct, waiting)
    return None


def approval_state(cv: CompiledVersion, live: LiveOrder, trigger: str) -> str | None:
    """The order's active approval state whose approval fires ``trigger`` (no person fires it), or None."""
    for state in live.config:
        if trigger in cv.approval_triggers.get(state, ()):
            return state
    return None


def approval_refusal(cv: CompiledVersion, state: str, trigger: str) -> Refusal:
    label = cv.states[state].label
    return Refusal(
        RefusalCode.APPROVAL,
        f"{trigger} 由审批决定：订单处于审批步骤「{label.zh}」，请在审批中签署",
        f"{trigger!r} is decided by the approval: the order is at the approval step {label.en!r}; "
        "sign it in the approval",
        {"state": state, "trigger": trigger},
    )


def available(cv: CompiledVersion, live: LiveOrder) -> list[str]:
    return sorted(
        {ct.spec.trigger for ct in cv.transitions if not ct.spec.auto and cv.source_matches(ct, live.config)}
    )


def decide(moving: Moving, trigger: str, actor: Actor, data: Mapping[str, Any]) -> Decision:
    """Pick the transition and destination for ``trigger``, or raise TransitionRejected saying why not."""
    cv, live, now = moving.cv, moving.order, moving.now
    data = typed_number(cv.spec, data)  # an order number sent as the pages write it: its digits
    found = candidates(cv, live, trigger)
    if not found:
        joining = waiting_refusal(cv, live, trigger)
        if joining is not None:
            raise TransitionRejected([joining])
        possible = available(cv, live)
        state = joined(live.config)
        if trigger not in cv.by_trigger:
            known = sorted({ct.spec.trigger for ct in cv.transitions if not ct.spec.auto})
            raise TransitionRejected(
                [
                    Refusal(
                        RefusalCode.UNKNOWN_TRIGGER,
                        f"未知操作 {trigger!r}（流程 {cv.spec.name} 中没有）"
                        f"{did_you_mean(trigger, known, 'zh')}",
                        f"unknown trigger {trigger!r} in workflow {cv.spec.name}"
                        f"{did_you_mean(trigger, known)}",
                        {
                            "trigger": trigger,
                            "triggers": known,
                            "available": possible,
                            "suggestion": near_miss(trigger, known),
                        },
                    )
                ]
            )
        raise TransitionRejected(
            [
                Refusal(
                    RefusalCode.STATE,
                    f"当前状态 {state} 不能执行 {trigger}；当前可执行：{'、'.join(possible) or '无'}",
                    f"{trigger!r} is not available in state {state}; available now: "
                    f"{', '.join(possible) or 'none'}",
                    {"state": state, "trigger": trigger, "available": possible},
                )
            ]
        )
    approving = approval_state(cv, live, trigger)
    if approving is not None and not actor.is_system:
        raise TransitionRejected([approval_refusal(cv, approving, trigger)])
    refusals: list[Refusal] = []
    submitted_env: dict[str, Any] | None = None  # the names the guards read, over ``data`` as sent
    for ct in found:
        refusal = role_refusal(ct, actor)
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
        submitted = submission_refusals(cv, ct, taken)
        original = cv.spec.original_order
        if not submitted and original is not None and (original.refund in taken or original.lines in taken):
            # a refund asked or lines changed on a step: never more than the original order has left
            submitted = original_order_refusals(moving.tx, cv.spec, {**live.data, **taken}, live.id)
        if submitted:
            raise TransitionRejected(submitted)
        if taken is data:
            env = submitted_env = submitted_env or condition_env(live, actor, data, now)
        else:
            env = condition_env(live, actor, taken, now)
        # in_list(...) and the customer facts read the database through this step's transaction
        lookups = env[LOOKUPS] = StepLookups(moving.tx, live.department, live.id, env["order"], now)
        guards, failed = check_guard(ct, env)
        if failed is not None:
            refusals.append(failed)
            continue
        decision: dict[str, Any] | None = None
        if ct.ruleset is not None:
            scope = env
            if ct.ruleset.kind == "routing":  # routing scores stock on hand
                scope = {**env, "stock": moving.tx.stock_available(skus(env["order"]))}
            result = ct.ruleset.evaluate(scope)
            decision = with_facts_read(dict(result.to_dict()), lookups.read, scope)
            outcome = result.outcome
            dest = ct.spec.dest_by_outcome.get(outcome) if ct.spec.dest is None else ct.spec.dest
            if dest is None:
                refusals.append(
                    Refusal(
                        RefusalCode.RULES,
                        f"规则结果 {outcome} 没有对应的目标状态",
                        f"the rules decided {outcome!r}, which leads nowhere from {trigger!r}",
                        {"outcome": outcome, "decision": decision},
                    )
                )
                continue
            return Decision(ct, dest, guards, decision, taken, dropped)
        assert ct.spec.dest is not None
        if ct.spec.dest == PREVIOUS_STATE:  # back where the order came from, as the audit trail says
            back = came_from(moving)
            if back is None or back not in ct.events:
                refusals.append(previous_refusal(cv, live, trigger, back))
                continue
            return Decision(ct, back, guards, None, taken, dropped)
        return Decision(ct, ct.spec.dest, guards, None, taken, dropped)
    raise TransitionRejected(refusals)


def came_from(moving: Moving) -> str | None:
    """The state the order entered its current state from: the ``from_state`` of the last event of its
    audit trail that moved it into the state it is in (None: it started there)."""
    here = joined(moving.order.config)
    for event in reversed(moving.tx.history(moving.order.id)):
        if event.to_state == here and event.from_state is not None and event.from_state != here:
            return event.from_state
        if event.to_state != here:
            break
    return None


def previous_refusal(cv: CompiledVersion, live: LiveOrder, trigger: str, back: str | None) -> Refusal:
    here = joined(live.config)
    label = cv.states[here].label if here in cv.states else None
    shown_zh, shown_en = (label.zh, label.en) if label is not None else (here, here)
    return Refusal(
        RefusalCode.STATE,
        f"{trigger} 要把订单送回它来的状态，但订单不是从这一步可返回的状态"
        f"进入「{shown_zh}」的（来自：{back or '无'}）",
        f"{trigger!r} sends the order back where it came from, but it did not enter {shown_en!r} from a "
        f"state this step returns to (it came from: {back or 'nowhere'})",
        {"state": here, "came_from": back},
    )


def role_refusal(ct: CompiledTransition, actor: Actor) -> Refusal | None:
    roles = ct.spec.roles
    if actor.is_system or not roles or actor.roles.intersection(roles):
        return None
    return Refusal(
        RefusalCode.ROLE,
        f"需要角色 {' 或 '.join(roles)}",
        f"requires role {' or '.join(roles)}",
        {"roles": list(roles), "actor_roles": sorted(actor.roles)},
    )


def check_guard(
    ct: CompiledTransition, env: Mapping[str, Any], part: tuple[str, Any] | None = None
) -> tuple[list[dict[str, Any]], Refusal | None]:
    """The guard's verdict and the refusal saying why not; ``part``: judge only that part of it
    (``before_form``: text and compiled guard)."""
    when, guard = part if part is not None else (ct.spec.when, ct.guard)
    if guard is None:
        return [], None
    errored = False
    try:
        value, comparisons = guard.explain(env)
    except ExpressionEvaluationError as error:
        value, comparisons, errored = False, [{"error": str(error)}], True
    record = {"when": when, "result": bool(value), "comparisons": plain(comparisons)}
    if value:
        return [record], None
    shown = "; ".join(
        f"{c.get('expr')}: {c.get('left')!r} vs {c.get('right')!r}" if "expr" in c else str(c.get("error"))
        for c in record["comparisons"]
    )
    details = {"when": when, "comparisons": record["comparisons"]}
    told = ct.spec.refusal
    # the workflow's own words for a condition that does not hold (it stays in the details); one
    # that could not be evaluated is not that, and says so
    if told is not None and not errored:
        return [record], Refusal(RefusalCode.GUARD, told.zh, told.en, details)
    return [record], Refusal(
        RefusalCode.GUARD,
        f"条件不成立：{when}（{shown}）",
        f"condition not met: {when} ({shown})",
        details,
    )


def intake_refusals(cv: CompiledVersion, channel: str | None, data: Mapping[str, Any]) -> list[Refusal]:
    """Why a new order's channel or data is refused: an unlisted channel, or every field that the
    channel's intake form or the data form refuses (a field both refuse is named once, as the intake
    form words it, whatever keyword each refused it by: a mobile number the intake form checks by
    ``format`` and the data form by ``pattern`` was said twice)."""
    spec = cv.spec
    if channel is not None and channel not in spec.channels:
        allowed = list(spec.channels)
        return [
            Refusal(
                RefusalCode.CHANNEL,
                f"流程 {spec.name} 不接受渠道 {channel}；可用渠道：{'、'.join(allowed) or '无'}"
                f"{did_you_mean(channel, allowed, 'zh')}",
                f"workflow {spec.name} does not take orders from channel {channel!r}; allowed channels: "
                f"{', '.join(allowed) or 'none'}{did_you_mean(channel, allowed)}",
                {"channel": channel, "allowed": allowed, "suggestion": near_miss(channel, allowed)},
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
    refusals = order_field_refusals(data) + owned_refusals(cv, data)
    return refusals + [e.refusal(form) for form, e in found if kept is None or e in kept]


def owned_refusals(
    cv: CompiledVersion, data: Mapping[str, Any], inputs: frozenset[str] = frozenset()
) -> list[Refusal]:
    """A field of ``data`` the engine or an action owns (``CompiledVersion.owned``): only the engine
    writes it, so no data may, at creation or with a step (but as ``inputs``: what a step's form sends
    to the action of that step that writes it)."""
    return [
        Refusal(
            RefusalCode.OWNED,
            f"$.{key}：{key} 由流程记录（{owner.zh}），不能提交",
            f"$.{key}: {key!r} is recorded by the workflow ({owner.en}); it cannot be sent",
            {"path": f"$.{key}", "field": key, "owner": owner.en},
        )
        for key in data
        if (owner := cv.owned.get(key)) is not None and key not in inputs
    ]


def order_field_refusals(data: Mapping[str, Any]) -> list[Refusal]:
    """A field of ``data`` named like one of the order's own fields (``order.state`` …): never data."""
    return [
        Refusal(
            RefusalCode.FORM,
            f"$.{key}：{key} 是订单自身的字段（{ORDER_FIELDS[key].zh}），不能作为数据提交",
            f"$.{key}: {key!r} is the order's own field ({ORDER_FIELDS[key].en}); it cannot be sent as data",
            {"path": f"$.{key}", "field": key},
        )
        for key in data
        if key in ORDER_FIELDS
    ]


def prepared_intake(cv: CompiledVersion, channel: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """A new order's data as the server takes it: the original order's number as its digits, the fields
    of groups the channel's intake form (then the data form) hides for it dropped, its computed fields
    (line amounts, totals) filled."""
    spec = cv.spec
    data = dict(typed_number(spec, data))  # an order number typed as the pages write it: its digits
    for form in (spec.intake_forms.get(channel) if channel is not None else None, spec.data_form):
        layout = cv.layouts.get(form) if form is not None else None
        if layout is not None and layout.prepares:
            data = layout.prepare(data)
    return data


def submission_refusals(
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
                RefusalCode.FORM,
                f"此步骤（{trigger}）不接受数据；收到：{'、'.join(fields)}",
                f"this step ({trigger!r}) takes no data; got: {', '.join(fields)}",
                {"trigger": trigger, "fields": fields},
            )
        ]
    declared = sorted(ct.form_fields)
    refusals = [
        Refusal(
            RefusalCode.FORM,
            f"$.{key}：表单 {ct.spec.form} 没有这个字段；可填：{'、'.join(declared) or '无'}",
            f"$.{key}: field {key!r} is not on the form {ct.spec.form} of {trigger!r}; "
            f"its fields: {', '.join(declared) or 'none'}{did_you_mean(key, declared)}",
            {
                "path": f"$.{key}",
                "form": ct.spec.form,
                "allowed": declared,
                "suggestion": near_miss(key, declared),
            },
        )
        for key in data
        if key not in ct.form_fields
    ]
    declared_only = {key: value for key, value in data.items() if key in ct.form_fields}
    # a form published before its fields were checked may declare one of the order's own fields, or
    # one the engine owns
    refusals += order_field_refusals(declared_only) + owned_refusals(cv, declared_only, ct.owned_inputs)
    return refusals + [e.refusal(ct.spec.form) for e in ct.form.messages(declared_only, ct.layout)]


def join_refusal(cv: CompiledVersion, ct: CompiledTransition, waiting: Sequence[str]) -> Refusal:
    """A step out of a parallel state that waits for its regions: which regions, and where each is."""
    trigger = ct.spec.trigger
    parallel = waiting[0].split(SEPARATOR, 1)[0]
    label = cv.states[parallel].label
    regions = {leaf.split(SEPARATOR)[1]: leaf for leaf in waiting}
    zh = "、".join(f"{region}（{cv.states[leaf].label.zh}）" for region, leaf in regions.items())
    en = ", ".join(f"{region} ({cv.states[leaf].label.en})" for region, leaf in regions.items())
    return Refusal(
        RefusalCode.JOIN,
        f"{label.zh}（{parallel}）的各分区都完成后才能执行 {trigger}；尚未完成：{zh}",
        f"{trigger!r} leaves {label.en} ({parallel}) only once every region is done; not done yet: {en}",
        {"trigger": trigger, "state": parallel, "waiting": regions},
    )


def skus(order: Mapping[str, Any]) -> list[str]:
    lines = order.get("lines")
    if not isinstance(lines, list):
        return []
    return sorted({str(line["sku"]) for line in lines if isinstance(line, Mapping) and line.get("sku")})


def plain(value: Any) -> Any:
    """Comparisons as JSON (dates and decimals become text).

    The shapes JSON keeps as they are (text, numbers, booleans, null, lists, dicts keyed by text) are
    copied by exact type; anything else takes the JSON round trip, so the result is the same.
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is list or kind is tuple:
        return [plain(item) for item in value]
    if kind is dict and all(type(key) is str for key in value):
        return {key: plain(item) for key, item in value.items()}
    return json.loads(json.dumps(value, default=str))


def action_refusal(name: str, trigger: str, error: PluginError) -> Refusal:
    """The refusal an action's ``PluginError`` stands for: its own when it gave one, else ``action``."""
    details: dict[str, Any] = {**error.details, "action": name, "trigger": trigger}
    if error.zh and error.en:
        return Refusal(error.code or RefusalCode.ACTION, error.zh, error.en, details)
    details["error"] = str(error)
    return Refusal(
        RefusalCode.ACTION,
        f"动作 {name} 执行失败（{trigger}）：{error.message('zh')}",
        f"action {name} failed on {trigger!r}: {error}",
        details,
    )
