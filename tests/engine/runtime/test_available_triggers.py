"""available_triggers: roles always, guards now unless they read what the transition's form fills."""

from __future__ import annotations

import pytest

from engine.runtime import Engine
from engine.runtime.compiled import _reads_form
from tests.engine.runtime.conftest import AUDITOR, CLERK

FORM = {"type": "object", "properties": {"note": {"type": "string"}, "priority": {"type": "string"}}}


def test_form_transitions_check_role_and_data_free_guards_now(engine: Engine) -> None:
    order = engine.create_order(CLERK, "retail", "audited-order", None, {"customer": "张三", "total": 500})
    infos = {i.trigger: i for i in engine.available_triggers(order.id, AUDITOR)}
    assert set(infos) == {"review", "escalate", "fast_track", "cancel"}
    assert infos["review"].allowed and infos["review"].why_not == () and infos["review"].on_submit == ()
    # Reads data.priority: cannot be known before the form is filled, so it is not a refusal yet.
    escalate = infos["escalate"]
    assert escalate.allowed and escalate.why_not == ()
    [later] = escalate.on_submit
    assert later.code == "on-submit"
    assert later.en == "decided when the form is submitted: order.total > 1000 and data.priority == 'urgent'"
    assert later.zh.startswith("提交表单时判定：")
    # Has a form, but its guard reads only the stored order: both refusals are known now.
    fast = infos["fast_track"]
    assert not fast.allowed and [r.code for r in fast.why_not] == ["role", "guard"]
    assert fast.why_not[0].en == "requires role supervisor" and "500" in fast.why_not[1].en


def test_role_refusal_shown_for_a_form_transition(engine: Engine) -> None:
    order = engine.create_order(CLERK, "retail", "audited-order", None, {"customer": "张三", "total": 50})
    infos = {i.trigger: i for i in engine.available_triggers(order.id, CLERK)}
    assert [r.code for r in infos["review"].why_not] == ["role"]
    assert [r.code for r in infos["escalate"].why_not] == ["role"] and infos["escalate"].on_submit
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
