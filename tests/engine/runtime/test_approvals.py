"""Approval steps on a real database (SQLite and PostgreSQL): tasks made when the order enters the
state, any / all, approve / decline, add before / after, transfer, return, timeouts, the refusals."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from engine.clock import FrozenClock
from engine.common.words import term
from engine.dsl.compiler import load_bundle
from engine.errors import RefusalCode, TransitionRejected
from engine.plugins import PluginRegistry
from engine.runtime import Actor, Engine
from engine.runtime.approvals import ApprovalAction, ApprovalRequest
from engine.runtime.batch import SelectedTask
from engine.runtime.workspace import OrdersSection
from engine.store import Store
from engine.store.users import add_user, change_user
from tests.engine.store.support import add_people

ROOT = Path(__file__).resolve().parent / "fixtures" / "approvals"
WHOLESALE = frozenset({"wholesale"})
SALES = Actor("sam", frozenset({"sales"}), WHOLESALE)
MANAGER = Actor("mia", frozenset({"manager"}), WHOLESALE)
KEN = Actor("ken", frozenset({"sales"}), WHOLESALE)  # the account manager of the orders below
FINANCE = Actor("fay", frozenset({"finance"}), WHOLESALE)
DIRECTOR = Actor("dan", frozenset({"director"}), WHOLESALE)
BOTH = Actor("bo", frozenset({"finance", "director"}), WHOLESALE)
LEE = Actor("lee", frozenset({"sales", "manager"}), WHOLESALE)  # a sales lead, a manager too


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def engine(store: Store, clock: FrozenClock) -> Engine:
    engine = Engine(store, PluginRegistry({}), clock)
    path = ROOT / "workflows" / "approval-order.yaml"
    engine.publish(load_bundle(path, ROOT, action_names={}, workflows={}))
    for actor in (SALES, MANAGER, KEN, FINANCE, DIRECTOR, BOTH, LEE):
        add_user(
            store,
            name=actor.name,
            display_name=actor.name.title(),
            password_hash="x",
            roles=sorted(actor.roles),
            departments=sorted(actor.departments),
            at=clock.now(),
        )
    return engine


def submitted(engine: Engine, total: int = 100) -> int:
    order = engine.create_order(
        SALES, "wholesale", "approval-order", data={"total": total, "account_manager": "ken"}
    )
    engine.fire(order.id, "submit", SALES)
    return order.id


def act(engine: Engine, order_id: int, actor: Actor, action: ApprovalAction, **more: str) -> object:
    panel = engine.approval(order_id, actor)
    assert panel is not None
    task = next(t for t in panel.tasks if t.yours)
    return engine.act_on_approval(ApprovalRequest(order_id, task.id, action, actor, **more))


def test_entering_an_approval_state_makes_a_task_per_approver(engine: Engine) -> None:
    order_id = submitted(engine)
    panel = engine.approval(order_id, MANAGER)
    assert panel is not None and panel.state == "manager_review" and panel.sign == "any"
    assert [(t.approver_kind, t.approver, t.status) for t in panel.tasks] == [
        ("role", "manager", "pending"),
        ("user", "ken", "pending"),  # order.account_manager, read when the order entered
    ]
    assert [t.yours for t in panel.tasks] == [True, False]
    assert [t.order_id for t in engine.approval_tasks(KEN)] == [order_id]


def test_any_one_approves_and_the_approve_trigger_fires(engine: Engine) -> None:
    order_id = submitted(engine)
    result = act(engine, order_id, KEN, ApprovalAction.APPROVE, comment="ok by me")
    assert result.fired == "manager_ok" and result.state == "board_review"
    history = engine.history(order_id, SALES)
    assert [(e.trigger, e.actor) for e in history[-2:]] == [
        ("approval.approve", "ken"),
        ("manager_ok", "ken"),
    ]
    assert history[-2].reason == "ok by me"
    board = engine.approval(order_id, FINANCE)
    assert board is not None and board.required == 2 and board.approved == 0
    assert engine.approval_tasks(MANAGER) == []  # the manager's task of the state left is closed


def test_all_must_approve_and_one_person_signs_once(engine: Engine) -> None:
    order_id = submitted(engine)
    act(engine, order_id, MANAGER, ApprovalAction.APPROVE)
    first = act(engine, order_id, BOTH, ApprovalAction.APPROVE)
    assert first.fired is None and first.state == "board_review"
    panel = engine.approval(order_id, BOTH)
    assert panel is not None and panel.approved == 1 and not any(t.yours for t in panel.tasks)
    other = next(t for t in panel.tasks if t.status == "pending")
    with pytest.raises(TransitionRejected) as refused:
        engine.act_on_approval(ApprovalRequest(order_id, other.id, ApprovalAction.APPROVE, BOTH))
    assert refused.value.refusals[0].code == RefusalCode.APPROVAL
    assert "签" in refused.value.refusals[0].zh and "once" in refused.value.refusals[0].en
    done = act(engine, order_id, DIRECTOR, ApprovalAction.APPROVE)
    assert done.fired == "board_ok" and done.state == "approved"


def test_decline_fires_decline(engine: Engine) -> None:
    order_id = submitted(engine)
    result = act(engine, order_id, MANAGER, ApprovalAction.DECLINE, comment="price too low")
    assert result.fired == "decline" and result.state == "declined"
    assert engine.history(order_id, SALES)[-2].trigger == "approval.decline"


def test_a_person_cannot_fire_the_approvals_trigger_nor_sign_anothers_task(engine: Engine) -> None:
    order_id = submitted(engine)
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(order_id, "manager_ok", MANAGER)
    assert refused.value.refusals[0].code == RefusalCode.APPROVAL
    assert "manager_ok" not in [t.trigger for t in engine.available_triggers(order_id, MANAGER)]
    panel = engine.approval(order_id, LEE)
    assert panel is not None
    with pytest.raises(TransitionRejected) as refused:
        engine.act_on_approval(ApprovalRequest(order_id, panel.tasks[1].id, ApprovalAction.APPROVE, LEE))
    assert "不是你的" in refused.value.refusals[0].zh and "not yours" in refused.value.refusals[0].en


def test_an_order_at_an_approval_step_is_no_ones_step_work_nor_claim(engine: Engine) -> None:
    """The approval's own triggers are the approval's: my work counts and lists the order for nobody
    (it is on their approval list instead), and nobody claims it for a step they cannot take."""
    order_id = submitted(engine)
    for actor in (MANAGER, KEN, LEE, FINANCE):
        work = engine.my_work(actor)
        counted = [s for s in work.sections if isinstance(s, OrdersSection)]
        assert counted == [], (actor.name, counted)
        assert not engine.claim_view(order_id, actor).may_claim
    assert [t.order_id for t in engine.approval_tasks(MANAGER)] == [order_id]


def test_a_decided_task_and_an_order_moved_on_are_refused(engine: Engine) -> None:
    order_id = submitted(engine)
    panel = engine.approval(order_id, MANAGER)
    assert panel is not None
    engine.act_on_approval(ApprovalRequest(order_id, panel.tasks[0].id, ApprovalAction.APPROVE, MANAGER))
    with pytest.raises(TransitionRejected) as refused:  # the order is at the board review now
        engine.act_on_approval(ApprovalRequest(order_id, panel.tasks[1].id, ApprovalAction.APPROVE, KEN))
    assert "not part of" in refused.value.refusals[0].en
    act(engine, order_id, FINANCE, ApprovalAction.DECLINE, comment="no budget")
    with pytest.raises(TransitionRejected) as refused:
        engine.act_on_approval(ApprovalRequest(order_id, panel.tasks[1].id, ApprovalAction.APPROVE, KEN))
    assert "no longer at an approval step" in refused.value.refusals[0].en
    assert "已不在审批步骤" in refused.value.refusals[0].zh


def test_add_before_waits_for_the_added_approver(engine: Engine) -> None:
    order_id = submitted(engine)
    act(engine, order_id, MANAGER, ApprovalAction.APPROVE)
    act(engine, order_id, FINANCE, ApprovalAction.ADD_BEFORE, target="lee", comment="lee knows the customer")
    panel = engine.approval(order_id, FINANCE)
    assert panel is not None
    assert [(t.approver, t.status, t.origin) for t in panel.tasks] == [
        ("lee", "pending", "added"),
        ("finance", "waiting", "declared"),
        ("director", "pending", "declared"),
    ]
    assert act(engine, order_id, DIRECTOR, ApprovalAction.APPROVE).fired is None
    assert act(engine, order_id, LEE, ApprovalAction.APPROVE).fired is None  # finance signs again now
    assert act(engine, order_id, FINANCE, ApprovalAction.APPROVE).fired == "board_ok"
    assert [e.trigger for e in engine.history(order_id, SALES)].count("approval.add") == 1


def test_add_after_approves_and_the_added_approver_must_too(engine: Engine) -> None:
    order_id = submitted(engine)
    result = act(engine, order_id, MANAGER, ApprovalAction.ADD_AFTER, target="lee")
    assert result.fired is None and result.state == "manager_review"  # any: yet the added one must sign
    panel = engine.approval(order_id, LEE)  # read 已通过 1/1 while lee had still to sign
    assert panel is not None and (panel.approved, panel.required) == (1, 2)
    assert ("lee", "pending", "added") in [(t.approver, t.status, t.origin) for t in panel.tasks]
    assert act(engine, order_id, LEE, ApprovalAction.APPROVE).fired == "manager_ok"


def test_add_before_counts_the_added_approver_among_those_to_sign(engine: Engine) -> None:
    order_id = submitted(engine)
    act(engine, order_id, MANAGER, ApprovalAction.ADD_BEFORE, target="lee")
    panel = engine.approval(order_id, LEE)
    assert panel is not None and (panel.approved, panel.required) == (0, 2)
    act(engine, order_id, LEE, ApprovalAction.APPROVE)
    panel = engine.approval(order_id, MANAGER)
    assert panel is not None and (panel.approved, panel.required) == (1, 2)
    assert panel.state == "manager_review"


def test_transfer_gives_the_task_to_another_user(engine: Engine) -> None:
    order_id = submitted(engine)
    act(engine, order_id, MANAGER, ApprovalAction.APPROVE)
    act(engine, order_id, FINANCE, ApprovalAction.TRANSFER, target="lee", comment="on leave")
    panel = engine.approval(order_id, LEE)
    assert panel is not None
    assert [(t.approver, t.status) for t in panel.tasks] == [
        ("finance", "transferred"),
        ("lee", "pending"),
        ("director", "pending"),
    ]
    assert panel.required == 2  # the transferred task counts as its successor
    with pytest.raises(TransitionRejected) as refused:
        act(engine, order_id, DIRECTOR, ApprovalAction.TRANSFER, target="nobody")
    assert "nobody" in refused.value.refusals[0].en and "找不到" in refused.value.refusals[0].zh
    act(engine, order_id, LEE, ApprovalAction.APPROVE)
    assert act(engine, order_id, DIRECTOR, ApprovalAction.APPROVE).state == "approved"


def test_return_sends_the_order_back_and_a_new_visit_starts_afresh(engine: Engine) -> None:
    order_id = submitted(engine)
    act(engine, order_id, MANAGER, ApprovalAction.APPROVE)
    with pytest.raises(TransitionRejected) as refused:
        act(engine, order_id, FINANCE, ApprovalAction.RETURN, target="approved", comment="recheck")
    assert "draft, manager_review" in refused.value.refusals[0].en
    result = act(engine, order_id, FINANCE, ApprovalAction.RETURN, target="manager_review", comment="recheck")
    assert result.state == "manager_review"
    event = engine.history(order_id, SALES)[-1]
    assert (event.trigger, event.actor, event.reason) == ("approval.return", "fay", "recheck")
    panel = engine.approval(order_id, MANAGER)
    assert panel is not None and [t.status for t in panel.tasks] == ["pending", "pending"]
    assert engine.approval_tasks(DIRECTOR) == []  # the board's open task was closed on leaving


def test_timeout_returns_the_order(engine: Engine, clock: FrozenClock) -> None:
    order_id = submitted(engine)
    act(engine, order_id, MANAGER, ApprovalAction.APPROVE)
    panel = engine.approval(order_id, FINANCE)
    assert panel is not None and panel.deadline == clock.now() + timedelta(days=2)
    assert engine.fire_due_timers("w1").fired == 0
    clock.advance(days=2)
    assert engine.fire_due_timers("w1").fired == 1
    assert engine.get_order(order_id, SALES).state == "draft"
    triggers = [e.trigger for e in engine.history(order_id, SALES)]
    assert triggers[-2:] == ["approval.timeout", "approval.return"]


def test_an_expression_approver_naming_nobody_refuses_the_step(engine: Engine) -> None:
    order = engine.create_order(SALES, "wholesale", "approval-order", data={"total": 1})
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(order.id, "submit", SALES)
    assert "order.account_manager" in refused.value.refusals[0].en
    assert engine.get_order(order.id, SALES).state == "draft"


@pytest.mark.parametrize(
    ("data", "task"),
    [
        ({"account_manager": "ken"}, ("user", "ken")),  # the account manager by name
        ({"account_manager": " ken "}, ("user", "ken")),
        ({}, ("role", "manager")),  # none on the order
        ({"account_manager": ""}, ("role", "manager")),
        ({"account_manager": 7}, ("role", "manager")),  # not a name
        ({"account_manager": "nobody"}, ("role", "manager")),  # no such user
        ({"account_manager": "ola"}, ("role", "manager")),  # no longer active
        ({"account_manager": "rita"}, ("role", "manager")),  # works in another department
    ],
)
def test_an_expression_approver_naming_nobody_who_can_sign_falls_back_to_its_else(
    engine: Engine, store: Store, clock: FrozenClock, data: dict[str, object], task: tuple[str, str]
) -> None:
    path = ROOT / "workflows" / "fallback-order.yaml"
    engine.publish(load_bundle(path, ROOT, action_names={}, workflows={}))
    # no longer active, and of another department
    add_people(store, [("ola", ["wholesale"], False), ("rita", ["retail"], True)], ["sales"], clock.now())
    order = engine.create_order(SALES, "wholesale", "fallback-order", data=data)
    assert engine.fire(order.id, "submit", SALES).to_state == "manager_review"
    panel = engine.approval(order.id, MANAGER)
    assert panel is not None
    assert [(t.approver_kind, t.approver) for t in panel.tasks] == [task]
    signer = KEN if task == ("user", "ken") else MANAGER
    assert act(engine, order.id, signer, ApprovalAction.APPROVE).state == "approved"


def statuses(engine: Engine, order_id: int) -> list[tuple[str, str]]:
    panel = engine.approval(order_id, SALES)
    assert panel is not None
    return [(t.approver, t.status) for t in panel.tasks]


@pytest.mark.parametrize(
    ("action", "target", "zh", "en"),
    [
        (ApprovalAction.DECLINE, None, "驳回须写明理由", "a decline needs a reason"),
        (ApprovalAction.RETURN, "draft", "退回须写明理由", "a return needs a reason"),
    ],
)
def test_a_decline_or_a_return_without_a_reason_is_refused_and_nothing_changes(
    engine: Engine, action: ApprovalAction, target: str | None, zh: str, en: str
) -> None:
    order_id = submitted(engine)
    before, events = statuses(engine, order_id), len(engine.history(order_id, SALES))
    for comment in ("", "  \n "):
        more = {"comment": comment} | ({"target": target} if target else {})
        with pytest.raises(TransitionRejected) as refused:
            act(engine, order_id, MANAGER, action, **more)
        found = refused.value.refusals[0]
        assert found.code == RefusalCode.APPROVAL and found.details["field"] == "comment"
        assert zh in found.zh and en in found.en
    assert statuses(engine, order_id) == before and len(engine.history(order_id, SALES)) == events
    assert engine.get_order(order_id, SALES).state == "manager_review"


def test_many_tasks_declined_without_a_reason_are_refused_before_any_is_touched(engine: Engine) -> None:
    ids = [submitted(engine) for _ in range(2)]
    tasks = []
    for order_id in ids:
        panel = engine.approval(order_id, MANAGER)
        assert panel is not None
        tasks.append(SelectedTask(order_id, panel.tasks[0].id, panel.lock_version))
    with pytest.raises(TransitionRejected) as refused:
        engine.sign_batch(tasks, ApprovalAction.DECLINE, MANAGER, " ")
    assert "驳回须写明理由" in refused.value.refusals[0].zh
    assert {engine.get_order(i, SALES).state for i in ids} == {"manager_review"}
    assert all(s == "pending" for i in ids for _, s in statuses(engine, i))


def test_the_step_a_decline_fires_is_told_as_a_decline(engine: Engine) -> None:
    declined, approved = submitted(engine), submitted(engine)
    act(engine, declined, MANAGER, ApprovalAction.DECLINE, comment="price too low")
    act(engine, approved, MANAGER, ApprovalAction.APPROVE)
    step = engine.history(declined, SALES)[-1]
    assert step.trigger == "decline" and step.reason == "approval_declined"
    assert engine.history(approved, SALES)[-1].reason == "approval"
    assert "驳回" in term("reason", step.reason, "zh") and "通过" not in term("reason", step.reason, "zh")
    assert "declined" in term("reason", step.reason, "en")


@pytest.mark.parametrize(
    ("action", "actor", "target", "zh", "en"),
    [
        (ApprovalAction.ADD_BEFORE, MANAGER, "mia", "不能加签自己", "cannot add yourself"),
        (ApprovalAction.ADD_AFTER, MANAGER, "mia", "不能加签自己", "cannot add yourself"),
        (ApprovalAction.TRANSFER, MANAGER, "mia", "不能转交给自己", "cannot transfer it to yourself"),
        (ApprovalAction.ADD_BEFORE, MANAGER, "ken", "Ken 已有此审批的待办", "Ken already holds"),
        (ApprovalAction.TRANSFER, KEN, " ", "请选择", "choose"),
    ],
)
def test_adding_or_transferring_to_oneself_or_to_one_who_holds_a_step_is_refused(
    engine: Engine, action: ApprovalAction, actor: Actor, target: str, zh: str, en: str
) -> None:
    order_id = submitted(engine)
    before = statuses(engine, order_id)
    with pytest.raises(TransitionRejected) as refused:
        act(engine, order_id, actor, action, target=target)
    assert zh in refused.value.refusals[0].zh and en in refused.value.refusals[0].en
    assert statuses(engine, order_id) == before


def test_one_who_signed_this_approval_cannot_be_added(engine: Engine) -> None:
    order_id = submitted(engine)
    act(engine, order_id, MANAGER, ApprovalAction.ADD_AFTER, target="lee")
    with pytest.raises(TransitionRejected) as refused:  # mia signed: she could not sign again
        act(engine, order_id, LEE, ApprovalAction.ADD_AFTER, target="mia")
    assert "Mia 已签署过此审批" in refused.value.refusals[0].zh
    assert "Mia has signed this approval" in refused.value.refusals[0].en


def test_a_user_of_another_department_is_named_with_the_departments_name(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    add_user(
        store, name="xu", display_name="徐丽", password_hash="x", roles=["sales"], departments=["retail"],
        at=clock.now(),
    )  # fmt: skip
    order_id = submitted(engine)
    with pytest.raises(TransitionRejected) as refused:
        act(engine, order_id, MANAGER, ApprovalAction.TRANSFER, target="xu")
    assert refused.value.refusals[0].zh == "徐丽 不在批发部门，不能审批此订单"
    assert refused.value.refusals[0].en == "徐丽 does not work in Wholesale and cannot approve this order"


def test_a_display_name_is_taken_for_the_person_it_names(engine: Engine) -> None:
    order_id = submitted(engine)
    act(engine, order_id, MANAGER, ApprovalAction.TRANSFER, target="Lee")  # lee's display name
    assert ("lee", "pending") in statuses(engine, order_id)


def test_the_panel_offers_the_active_people_of_the_department_who_may_be_given_the_task(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    for name, departments in (("xu", ["retail"]), ("old", ["wholesale"])):
        made = add_user(
            store, name=name, display_name=name.title(), password_hash="x", roles=["sales"],
            departments=departments, at=clock.now(),
        )  # fmt: skip
    with store.transaction() as tx:
        change_user(tx, made.id, active=False)  # old, who left
    order_id = submitted(engine)
    panel = engine.approval(order_id, MANAGER)
    assert panel is not None
    # not mia herself, not ken (his task is pending), not another department's, not an inactive user,
    # not sam (who created the order)
    assert [(login, name) for login, name, _ in panel.people] == [
        ("bo", "Bo"),
        ("dan", "Dan"),
        ("fay", "Fay"),
        ("lee", "Lee"),
    ]


def test_a_transfer_moves_the_users_own_step_waiting_behind_one_added_for_them(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    order_id = submitted(engine)
    panel = engine.approval(order_id, KEN)
    assert panel is not None
    own = next(t for t in panel.tasks if t.approver == "ken")
    with store.transaction() as tx:  # ken added before himself, as could be done once
        assert tx.reopen_task(own.id, "pending", "waiting")
        tx.insert_task(
            order_id=order_id, state="manager_review", entered_seq=next(
                t.entered_seq for t in tx.order_tasks(order_id) if t.id == own.id
            ), seq=own.seq - 1, approver_kind="user", approver="ken", origin="added", at=clock.now(),
            blocks=own.id, added_by="ken", comment=None, deadline=None,
        )  # fmt: skip
    act(engine, order_id, KEN, ApprovalAction.TRANSFER, target="lee", comment="on leave")
    assert statuses(engine, order_id) == [
        ("manager", "pending"),
        ("ken", "transferred"),  # the step added before his own
        ("ken", "transferred"),  # his own: the order no longer waits for him
        ("lee", "pending"),
    ]
    assert act(engine, order_id, LEE, ApprovalAction.APPROVE).fired == "manager_ok"  # nobody else waited for


def test_only_one_who_could_be_an_approver_and_did_not_create_the_order_is_given_a_step(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """Separation of duties: the order's creator (sam) is refused, and so is one of the department whom
    no approval of the workflow could ask (a warehouse clerk, an admin only), in both languages; the
    panel offers neither, and nothing changes."""
    for name, shown, roles in (("wu", "Wu", ["warehouse"]), ("root", "Root", ["admin"])):
        add_user(
            store, name=name, display_name=shown, password_hash="x", roles=roles, departments=["*"],
            at=clock.now(),
        )  # fmt: skip
    order_id = submitted(engine)
    before = statuses(engine, order_id)
    panel = engine.approval(order_id, MANAGER)
    assert panel is not None
    offered = {name for name, _, _ in panel.people}
    assert not offered & {"sam", "wu", "root"} and "lee" in offered
    cases = (
        (ApprovalAction.TRANSFER, "sam", "Sam 创建了此订单", "Sam created this order"),
        (ApprovalAction.ADD_BEFORE, "sam", "职责分离", "separation of duties"),
        (ApprovalAction.ADD_AFTER, "wu", "Wu 不担任", "Wu holds no role"),
        (ApprovalAction.TRANSFER, "root", "Root 不担任", "Root holds no role"),
    )
    for action, target, zh, en in cases:
        with pytest.raises(TransitionRejected) as refused:
            act(engine, order_id, MANAGER, action, target=target)
        first = refused.value.refusals[0]
        assert first.code == RefusalCode.APPROVAL and first.details["field"] == "user"
        assert zh in first.zh and en in first.en
    assert statuses(engine, order_id) == before


def test_a_role_another_approval_of_the_workflow_names_may_be_given_a_step(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """The roles an approval names anywhere count: the director (who signs the board's approval) takes
    a transfer of the manager's step, though the manager's approval does not name the role."""
    order_id = submitted(engine)
    act(engine, order_id, MANAGER, ApprovalAction.TRANSFER, target="dan")
    assert ("dan", "pending") in statuses(engine, order_id)


def test_the_orders_creator_holding_an_approvers_role_cannot_sign_it_but_may_hand_it_on(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """Separation of duties: a sales lead who is a manager too takes an order; at its manager review the
    panel says it is his own, approving (or adding after himself) is refused in both languages and
    nothing changes, and he transfers the step to another manager, who approves."""
    lead = Actor("max", frozenset({"sales", "manager"}), WHOLESALE)
    add_user(
        store, name="max", display_name="Max", password_hash="x", roles=sorted(lead.roles),
        departments=["wholesale"], at=clock.now(),
    )  # fmt: skip
    order = engine.create_order(
        lead, "wholesale", "approval-order", data={"total": 100, "account_manager": "ken"}
    )
    engine.fire(order.id, "submit", lead)
    panel = engine.approval(order.id, lead)
    assert panel is not None and panel.own_order and any(t.yours for t in panel.tasks)
    other = engine.approval(order.id, MANAGER)
    assert other is not None and not other.own_order
    before = statuses(engine, order.id)
    for action in (ApprovalAction.APPROVE, ApprovalAction.ADD_AFTER):
        with pytest.raises(TransitionRejected) as refused:
            act(engine, order.id, lead, action, target="lee")
        assert "您创建了此订单" in refused.value.refusals[0].zh
        assert "you created this order" in refused.value.refusals[0].en
    assert statuses(engine, order.id) == before
    act(engine, order.id, lead, ApprovalAction.TRANSFER, target="lee", comment="my own order")
    assert act(engine, order.id, LEE, ApprovalAction.APPROVE).fired == "manager_ok"


def escalating(engine: Engine) -> int:
    """An order at a board review whose timeout escalates to the director."""
    path = ROOT / "workflows" / "escalate-order.yaml"
    engine.publish(load_bundle(path, ROOT, action_names={}, workflows={}))
    order = engine.create_order(SALES, "wholesale", "escalate-order", data={})
    engine.fire(order.id, "submit", SALES)
    return order.id


def scheduled(store: Store, order_id: int) -> list[str]:
    with store.read() as tx:
        return [t.trigger for t in tx.order_timers(order_id) if t.status == "scheduled"]


def test_an_escalation_ends_when_the_role_it_escalates_to_has_signed(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    order_id = escalating(engine)
    assert scheduled(store, order_id) == ["approval.timeout"]
    act(engine, order_id, FINANCE, ApprovalAction.APPROVE)
    assert scheduled(store, order_id) == ["approval.timeout"]  # the director has yet to sign
    other = escalating(engine)
    act(engine, other, DIRECTOR, ApprovalAction.APPROVE)
    assert scheduled(store, other) == []  # cancelled in the transaction the director signed in
    clock.advance(days=3)
    assert engine.fire_due_timers("w1").fired == 1  # the first order's alone
    panel = engine.approval(other, FINANCE)
    assert panel is not None and [t.status for t in panel.tasks] == ["pending", "approved"]
    assert act(engine, other, FINANCE, ApprovalAction.APPROVE).state == "approved"


def test_an_approval_timeout_ends_with_the_decided_approval(engine: Engine, store: Store) -> None:
    order_id = escalating(engine)
    act(engine, order_id, FINANCE, ApprovalAction.APPROVE)
    act(engine, order_id, DIRECTOR, ApprovalAction.APPROVE)
    with store.read() as tx:
        timers = [(t.trigger, t.status) for t in tx.order_timers(order_id)]
    assert timers == [("approval.timeout", "cancelled")]
