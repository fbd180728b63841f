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

WORDS = {
    "zh": (
        "：将自动取消（超时未支付自动取消）",
        "：将自动确认收货（",
        "到期将自动处理（2 单）：以下操作均为可选",
    ),
    "en": (
        ": Cancel by itself (cancelled: unpaid in time)",
        ": Complete by itself (",
        "Moving on by themselves (2): the steps below are optional",
    ),
}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = work_app(tmp_path)
    app.extensions["orderloom"].engine.publish(
        load_bundle(WORK / "workflows" / "timed-order.yaml", WORK, action_names={}, workflows={})
    )
    yield app
    app.extensions["orderloom"].close()


def made(app: Flask, *steps: str) -> int:
    engine, clerk = app.extensions["orderloom"].engine, actor("zhang.san")
    order_id = int(engine.create_order(clerk, "retail", "timed-order", data={"total": 10}).id)
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
    assert cancel in page and complete in page
    folded = page[page.index('<details class="work-later">') :]
    assert later in folded and all(f'data-order="{n}"' in folded for n in delivered)
    assert f'data-order="{unpaid}"' not in folded and f'data-order="{reviewed}"' not in folded
