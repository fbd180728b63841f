"""The queries (engine/runtime/queries.py): available_triggers offers by role always, and judges a
guard now unless it reads what the transition's form fills."""

from __future__ import annotations

import pytest

from engine.runtime import Engine
from engine.runtime.compiled import _before_form, _reads_form
from tests.engine.runtime.conftest import AUDITOR, CLERK

FORM = {
    "type": "object",
    "properties": {"note": {"type": "string"}, "priority": {"type": "string"}, "amount": {"type": "number"}},
}


def test_form_transitions_check_role_and_data_free_guards_now(engine: Engine) -> None:
    order = engine.create_order(CLERK, "retail", "audited-order", None, {"customer": "张三", "total": 500})
    infos = {i.trigger: i for i in engine.available_triggers(order.id, AUDITOR)}
    assert set(infos) == {"review", "escalate", "fast_track", "cancel"}
    assert infos["review"].allowed and infos["review"].why_not == () and infos["review"].on_submit == ()
    # Reads data.priority, which cannot be known before the form is filled; but its other half reads the
    # order alone, and 500 > 1000 does not hold: the step is refused now, not on a form nobody can send.
    escalate = infos["escalate"]
    assert not escalate.allowed and [r.code for r in escalate.why_not] == ["guard"]
    assert escalate.why_not[0].en == "condition not met: order.total > 1000 (order.total > 1000: 500 vs 1000)"
    [later] = escalate.on_submit
    assert later.code == "on-submit"
    assert later.en == "decided when the form is submitted: order.total > 1000 and data.priority == 'urgent'"
    assert later.zh.startswith("提交表单时判定：")
    # Has a form, but its guard reads only the stored order: both refusals are known now.
    fast = infos["fast_track"]
    assert not fast.allowed and [r.code for r in fast.why_not] == ["role", "guard"]
    assert fast.why_not[0].en == "requires role supervisor" and "500" in fast.why_not[1].en


def test_a_guard_reading_its_form_is_offered_when_what_the_order_decides_holds(engine: Engine) -> None:
    order = engine.create_order(CLERK, "retail", "audited-order", None, {"customer": "张三", "total": 1500})
    escalate = {i.trigger: i for i in engine.available_triggers(order.id, AUDITOR)}["escalate"]
    assert escalate.allowed and escalate.why_not == ()
    assert [r.code for r in escalate.on_submit] == ["on-submit"]


@pytest.mark.parametrize(
    ("when", "before"),
    [
        ("order.total > 1000 and data.priority == 'urgent'", "order.total > 1000"),
        (
            "(order.payment_method == 'cod') and (data.amount >= order.total) and (order.shipped_qty >= 5)",
            "(order.payment_method == 'cod') and (order.shipped_qty >= 5)",
        ),
        ("data.priority == 'urgent'", None),  # nothing the order decides alone
        ("order.total > 100 or data.note != ''", None),  # an 'or' is judged whole, on submit
        ("order.total > 100", None),  # reads no form: the whole guard is judged now
    ],
)
def test_the_part_of_a_guard_judged_before_the_form(when: str, before: str | None) -> None:
    found = _before_form(when, FORM)
    assert (found[0] if found else None) == before


def test_role_refusal_shown_for_a_form_transition(engine: Engine) -> None:
    order = engine.create_order(CLERK, "retail", "audited-order", None, {"customer": "张三", "total": 50})
    infos = {i.trigger: i for i in engine.available_triggers(order.id, CLERK)}
    assert [r.code for r in infos["review"].why_not] == ["role"]
    assert [r.code for r in infos["escalate"].why_not] == ["role", "guard"] and infos["escalate"].on_submit
    assert [r.code for r in infos["fast_track"].why_not] == ["role"]  # 50 < 100 holds


@pytest.mark.parametrize(
    ("when", "reads"),
    [
        ("data.priority == 'urgent'", True),
        ("order.priority == 'urgent'", True),  # the submitted data is merged into order
        ("order['note'] != ''", True),
        ("order.total > 100", False),
        ("order['total'] > 100", False),
        ("actor.name == 'ann' and now != None", False),
        ("len(order.lines) > 0 or data.note != ''", True),
    ],
)
def test_which_guards_read_the_form(when: str, reads: bool) -> None:
    assert _reads_form(when, FORM) is reads
