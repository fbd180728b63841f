"""Migration: the unfinished orders of a workflow moved onto another published version, in one
transaction, each with an audit event; a dry run says which would move and why the others cannot."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from engine.common.suggest import did_you_mean
from engine.dsl.spec import MIGRATE_TRIGGER, SEPARATOR
from engine.errors import ConflictError, EngineError
from engine.forms.validation import FieldError
from engine.runtime.actor import SYSTEM, Actor
from engine.runtime.approval_entry import close_tasks, open_tasks
from engine.runtime.commands import TimerKey, schedule
from engine.runtime.compiled import CompiledVersion, Conflict, StateConfig, active_paths, joined, split
from engine.runtime.decisions import LiveOrder, condition_env
from engine.runtime.parts import Parts, retried
from engine.runtime.results import BlockedCode, MigrationPlan
from engine.store import OrderRow, TimerRow, Tx
from engine.store.search import terms_of
from engine.store.statuses import TimerStatus

# What a caller writes in the migration's own transaction once its orders are moved (the studio's record
# of the batch): it commits with them or not at all.
Recorder = Callable[[Tx, MigrationPlan], None]


class Migrations:
    """Moving orders between the published versions of their workflow."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    @retried
    def migrate(
        self,
        workflow: str,
        to_version: int,
        mapping: Mapping[str, str] | None = None,
        dry_run: bool = True,
        actor: Actor = SYSTEM,
        *,
        from_version: int | None = None,
        limit: int | None = None,
        record: Recorder | None = None,
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
        A moved order's search terms are rewritten from ``to_version``'s ``search:`` when it searches by
        other fields than the version the order leaves (none are kept when it has no ``search:``).

        ``from_version``: only the orders on that version (all other versions by default). ``limit``:
        move at most that many, the first by id (a batch); the plan then tells of the orders looked at
        until the batch was full, and a later call takes the next ones. ``record(tx, plan)`` is called
        in the migration's transaction once its orders are moved (not on a dry run, nor when nothing
        moved), so what it writes commits with them or not at all. A dry run only reads (on SQLite it
        takes no write lock).
        """
        mapping = dict(mapping or {})
        if limit is not None and limit < 1:
            raise EngineError(
                f"a batch moves at least one order, not {limit}",
                zh=f"每批至少迁移一个订单，而不是 {limit} 个",
            )
        plan = MigrationPlan(workflow, to_version)
        now = self.parts.clock.now()
        with self.parts.store.read() if dry_run else self.parts.store.transaction() as tx:
            target = self.parts.compiled(tx, workflow, to_version)
            published = tx.versions(workflow)
            check_mapping(mapping, target, [self.parts.compiled(tx, workflow, v.version) for v in published])
            if from_version is not None and (
                from_version == to_version or all(v.version != from_version for v in published)
            ):
                raise EngineError(
                    f"cannot migrate from v{from_version} of {workflow}: it is not another published version"
                    f" than v{to_version}",
                    zh=f"无法从 {workflow} 的 v{from_version} 迁移：它不是 v{to_version} 以外的已发布版本",
                )
            rows = sorted(
                (
                    row
                    for version in published
                    if version.version != to_version and from_version in (None, version.version)
                    for row in tx.orders_on_version(workflow, version.version)
                    if not row.final and actor.in_department(row.department)
                ),
                key=lambda row: row.id,
            )
            movable: list[tuple[OrderRow, StateConfig]] = []
            for row in rows:
                if limit is not None and len(movable) >= limit:
                    break
                leaves = tuple(sorted({mapping.get(leaf, leaf) for leaf in split(row.state)}))
                gone = [leaf for leaf in leaves if leaf not in target.states]
                if gone:
                    plan.blocked.append(
                        {
                            "order_id": row.id,
                            "state": row.state,
                            "code": BlockedCode.STATE_GONE,
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
                    en, zh = conflict_reason(config, to_version)
                    plan.blocked.append(
                        {
                            "order_id": row.id,
                            "state": row.state,
                            "code": BlockedCode.CONFLICTING_STATES,
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
                            "code": BlockedCode.FINAL_STATE,
                            "en": f"{joined(config)} is a final state; finish the order with a transition "
                            "so its side effects run (refunds, stock release)",
                            "zh": f"{joined(config)} 是终止状态；请通过流转结束订单，以便执行其后续动作"
                            "（退款、释放库存）",
                        }
                    )
                    continue
                refused = data_refused(target, row.data, row.version)
                if refused is not None:
                    en, zh = refused
                    plan.blocked.append(
                        {
                            "order_id": row.id,
                            "state": row.state,
                            "code": BlockedCode.DATA_INVALID,
                            "en": en,
                            "zh": zh,
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
                        f"order #{row.id} changed during the migration; run it again",
                        zh=f"订单 #{row.id} 在迁移过程中被修改；请重新运行迁移",
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
                kept = scheduled_due_times(tx.order_timers(row.id), mapping)
                for state in active_paths(split(row.state)):  # the old version's timers, left or not
                    tx.cancel_timers(row.id, state)
                env = condition_env(LiveOrder.from_row(row), SYSTEM, {}, now)  # an ``at`` timer's moment read
                schedule(tx, target, row.id, sorted(active_paths(config)), now, kept, env)
                _approvals_moved(tx, target, row, config, to_version, now)
                _search_terms_moved(tx, self.parts.compiled(tx, workflow, row.version), target, row)
            plan.applied = True
            if record is not None and plan.moves:
                record(tx, plan)
        return plan


def _approvals_moved(
    tx: Tx, target: CompiledVersion, row: OrderRow, config: StateConfig, to_version: int, now: datetime
) -> None:
    """An approval step's tasks across a migration: those of a state the order left, or that is no
    approval step on ``target``, are cancelled; an approval state of ``target`` without open tasks (it
    had no approval before) gets its tasks now, as if entered by the migration's event."""
    now_in = active_paths(config)
    for state in active_paths(split(row.state)):
        if state not in now_in or state not in target.approvals:
            close_tasks(tx, row.id, state, now)
    waiting = {task.state for task in tx.order_tasks(row.id) if task.open}
    moved = LiveOrder(
        row.id, row.department, row.workflow, to_version, row.channel, config, dict(row.data), 0
    )
    for state in config:
        if state in target.approvals and state not in waiting:
            open_tasks(tx, target, moved, state, row.lock_version + 1, now)


def _search_terms_moved(tx: Tx, source: CompiledVersion, target: CompiledVersion, row: OrderRow) -> None:
    """The order's search terms across a migration: when ``target`` searches by other fields than the
    version it leaves, they are rewritten from ``target``'s ``search:`` (none when it has none), so the
    search box finds the order by what its version says."""
    if dict(source.spec.search) != dict(target.spec.search):
        tx.put_search_terms(row.id, row.department, terms_of(row.data, target.spec.search), replace=True)


def data_refused(target: CompiledVersion, data: Mapping[str, Any], version: int) -> tuple[str, str] | None:
    """Why ``target``'s data form refuses an order's ``data`` (en, zh), in the fields' labels and with
    what to do; None when it takes it.

    A field the engine writes (a rule file's output, an action's record, a ``readOnly`` field) that the
    order holds no value for yet — absent, or null as routing leaves ``warehouse`` and ``carrier`` of an
    order it found no stock for — is not asked for: the engine writes it when the step that owns it
    runs in the new version (routing again once stock arrives), and no person could fill it in before.
    A value it holds is checked like any other."""
    if target.data_form is None or target.spec.data_form is None:
        return None
    unset = {name for name in target.owned if data.get(name) is None}
    checked = {name: value for name, value in data.items() if name not in unset}
    errors = [
        error
        for error in target.data_form.messages(checked, target.layouts.get(target.spec.data_form))
        if _top_field(error) not in unset
    ]
    if not errors:
        return None
    engine_only = all(_top_field(error) in target.owned for error in errors)
    en = "; ".join(error.en.rstrip(".") for error in errors)
    zh = "；".join(error.zh.rstrip("。") for error in errors)
    if engine_only:
        return (
            f"v{target.version}'s data form refuses what the engine wrote on this order: {en}. No step "
            f"writes these fields by hand: publish a version whose data form takes these values, or let "
            f"the order finish on v{version}",
            f"v{target.version} 的数据表单不接受引擎为此订单写入的数据：{zh}。这些字段不能由人工填写："
            f"请发布一个数据表单接受这些值的版本，或让订单在 v{version} 中完成",
        )
    return (
        f"v{target.version}'s data form refuses this order's data: {en}. Correct it with a step of "
        f"v{version} whose form has these fields, let the order finish on v{version}, or publish a version "
        "whose data form takes it",
        f"v{target.version} 的数据表单不接受此订单的数据：{zh}。请在 v{version} 中通过含这些字段的步骤更正，"
        f"或让订单在 v{version} 中完成，或发布一个数据表单接受这些数据的版本",
    )


def _top_field(error: FieldError) -> str:
    """The top-level field an error is in (``lines`` for ``lines[].sku``)."""
    return error.field.split(".", 1)[0].split("[", 1)[0]


def scheduled_due_times(
    timers: Sequence[TimerRow], mapping: Mapping[str, str]
) -> dict[TimerKey, list[datetime]]:
    """The due times of an order's scheduled timers by (state as ``mapping`` renames it, trigger,
    reason), earliest first: what a migration keeps for the timers the order's states still have."""
    found: dict[TimerKey, list[datetime]] = {}
    for timer in timers:
        if timer.status is TimerStatus.SCHEDULED:
            key = (mapping.get(timer.state, timer.state), timer.trigger, timer.reason)
            found.setdefault(key, []).append(timer.due_at)
    for due_times in found.values():
        due_times.sort()
    return found


def conflict_reason(conflict: Conflict, version: int) -> tuple[str, str]:
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


def check_mapping(
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
