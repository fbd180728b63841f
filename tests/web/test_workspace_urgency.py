"""My work's order of urgency as a page (web/workspace.py): the unpaid orders their timer cancels first,
each saying when and how it moves by itself, the orders nothing presses next, and those that complete
by themselves apart, folded away after the rest, in both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from engine.dsl.compiler import load_bundle
from tests.web.conftest import log_in
from tests.web.test_workspace import PASSWORD, WORK, actor, work_app

WORDS = {  # each row's timer as a sentence: when, then what it does
    "zh": (
        r"\d+ 分钟后将自动取消（超时未支付自动取消）",
        r"\d+ 天(?: \d+ 小时)?后将自动确认收货（",
        "到期将自动处理（2 单）：以下操作均为可选",
    ),
    "en": (
        r"Automatic “Cancel” in \d+ min \(cancelled: unpaid in time\)",
        r"Automatic “Complete” in \d+ d(?: \d+ h)? \(",
        "Moving on by themselves (2): the steps below are optional",
    ),
}
TIMEOUTS = {  # an approval's timeout on a row of my work, as a sentence: when, then what it does
    "zh": (r"\d+ 小时 \d+ 分钟后提醒审批人（审批超时）", r"\d+ 天(?: \d+ 小时)?后升级给销售总监（审批超时）"),
    "en": (
        r"The approvers are reminded in \d+ h \d+ min \(approval timeout\)",
        r"Escalated to the Sales director in \d+ d(?: \d+ h)? \(approval timeout\)",
    ),
}


def work_app_with(tmp_path: Path, workflow: str) -> Iterator[Flask]:
    """My work's app with the fixtures' ``workflow`` published too."""
    app = work_app(tmp_path)
    app.extensions["orderloom"].engine.publish(
        load_bundle(WORK / "workflows" / f"{workflow}.yaml", WORK, action_names={}, workflows={})
    )
    yield app
    app.extensions["orderloom"].close()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    yield from work_app_with(tmp_path, "timed-order")


def made(app: Flask, *steps: str, workflow: str = "timed-order") -> int:
    """An order of ``workflow`` of 10 yuan the clerk zhang.san made and took ``steps`` on."""
    engine, clerk = app.extensions["orderloom"].engine, actor("zhang.san")
    order_id = int(engine.create_order(clerk, "retail", workflow, data={"total": 10}).id)
    for trigger in steps:
        engine.fire(order_id, trigger, clerk)
    return order_id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_unpaid_come_first_with_their_due_time_and_the_delivered_apart(app: Flask, lang: str) -> None:
    delivered = [made(app, "pay", "deliver") for _ in range(2)]  # the oldest
    reviewed = made(app, "pay")
    unpaid = made(app)  # the newest
    client = log_in(app.test_client(), "zhang.san", PASSWORD)
    page = client.get(f"/work?lang={lang}").get_data(as_text=True)
    shown = [int(n) for n in re.findall(r'<li class="work-item[^"]*" data-order="(\d+)"', page)]
    timed = [n for n in shown if n in (unpaid, reviewed, *delivered)]
    assert timed == [unpaid, reviewed, *delivered]
    cancel, complete, later = WORDS[lang]
    assert re.search(cancel, page) and re.search(complete, page)
    folded = page[page.index('<details class="work-later">') :]
    assert later in folded and all(f'data-order="{n}"' in folded for n in delivered)
    assert f'data-order="{unpaid}"' not in folded and f'data-order="{reviewed}"' not in folded


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_approvals_timeout_reads_as_a_sentence_of_what_it_does_and_when(app: Flask, lang: str) -> None:
    engine, clerk = app.extensions["orderloom"].engine, actor("zhang.san")
    engine.publish(
        load_bundle(WORK / "workflows" / "approved-order.yaml", WORK, action_names={}, workflows={})
    )
    for trigger in ("submit", "raise"):
        engine.fire(engine.create_order(clerk, "retail", "approved-order", data={}).id, trigger, clerk)
    client = log_in(app.test_client(), "zhang.san", PASSWORD)
    page = client.get(f"/work?lang={lang}").get_data(as_text=True)
    lines = re.findall(r'<p class="work-due[^"]*"><time datetime="[^"]*">([^<]*)</time>', page)
    remind, escalate = TIMEOUTS[lang]
    assert any(re.fullmatch(remind, line) for line in lines), lines
    assert any(re.fullmatch(escalate, line) for line in lines), lines
    assert not any("left" in line or "还剩" in line or "by itself" in line for line in lines)
