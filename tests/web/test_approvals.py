"""The approval panel on the order page and an approver's actions (web/approvals.py), through the Flask
test client over a real SQLite file: who signed and who is pending, approve with a comment, a refusal in
the page's language with the comment kept, a transfer, a return."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.runtime import Actor, Engine
from engine.runtime.accounts import put_account
from engine.store.accounts import CustomerAccount
from engine.store.tables import users
from tests.test_departments import wholesale_data
from tests.web.test_approvals_browser import approvals_app

from .conftest import add_user, log_in, make_app, settings_for

ROOT = Path(__file__).resolve().parents[1] / "engine" / "runtime" / "fixtures" / "approvals"
SALES = Actor("sam", frozenset({"sales"}), frozenset({"wholesale"}))
PEOPLE = {
    "mia": ("manager",),
    "fay": ("finance",),
    "dan": ("director",),
    "lee": ("sales",),
    "ken": ("sales",),
    "sam": ("sales",),  # who takes the orders below
    "wu": ("warehouse",),
}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(settings_for(tmp_path, ROOT, "test"), FrozenClock())
    for name, roles in PEOPLE.items():
        add_user(app, name, f"{name}-password", roles, ("wholesale",))
    engine: Engine = app.extensions["orderloom"].engine
    path = ROOT / "workflows" / "approval-order.yaml"
    engine.publish(load_bundle(path, ROOT, action_names={}, workflows={}))
    yield app
    app.extensions["orderloom"].close()


def submitted(app: Flask) -> int:
    engine: Engine = app.extensions["orderloom"].engine
    data = {"total": 90, "account_manager": "ken"}
    order = engine.create_order(SALES, "wholesale", "approval-order", data=data)
    engine.fire(order.id, "submit", SALES)
    return order.id


def client_of(app: Flask, name: str) -> FlaskClient:
    return log_in(app.test_client(), name, f"{name}-password")


def own_task(html: str) -> tuple[int, str]:
    found = re.search(r'action="/orders/\d+/approval/(\d+)"', html)
    lock = re.search(r'name="_lock_version" value="(\d+)"', html)
    assert found is not None and lock is not None, "no task of the user's on the page"
    return int(found.group(1)), lock.group(1)


def test_the_order_page_shows_the_approval_and_an_approver_signs_it(app: Flask) -> None:
    order_id = submitted(app)
    mia = client_of(app, "mia")
    page = mia.get(f"/orders/{order_id}?lang=en").get_data(as_text=True)
    assert "Approval · Manager review" in page
    assert "Any one approver approves" in page and "0 approved; any one of 2 may approve" in page
    # a role approver: one signature, any holder of the role, named
    assert "manager (any one of: mia)" in page
    assert '<span class="approver">ken</span>' in page  # the account manager, read off the order
    task, lock = own_task(page)
    answer = mia.post(
        f"/orders/{order_id}/approval/{task}",
        data={"action": "approve", "comment": "好的", "_lock_version": lock},
    )
    assert answer.status_code == 302
    page = mia.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True)
    assert "审批 · 会签" in page and "会签：每位审批人都须通过" in page and "已通过 0/2" in page
    assert "截止" in page and "还剩 2 天" in page  # the board's deadline and the time left
    assert "剩 2天" not in page and "还剩 1 天 23 小时" not in page  # read as the order's timers read


def test_a_refusal_keeps_the_comment_and_says_why_in_the_pages_language(app: Flask) -> None:
    order_id = submitted(app)
    mia = client_of(app, "mia")
    task, lock = own_task(mia.get(f"/orders/{order_id}").get_data(as_text=True))
    answer = mia.post(
        f"/orders/{order_id}/approval/{task}?lang=en",
        data={"action": "transfer", "user": "nobody", "comment": "please take it", "_lock_version": lock},
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "no active user nobody" in page and "please take it" in page
    assert f'<p class="field-error" id="user-error-{task}">no active user nobody</p>' in page
    answer = mia.post(
        f"/orders/{order_id}/approval/{task}?lang=zh",
        data={"action": "transfer", "user": "dan", "comment": "请处理", "_lock_version": lock},
    )
    assert answer.status_code == 302
    dan = client_of(app, "dan")  # a director: the board's approval names the role
    page = dan.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True)
    assert "已转交" in page and "由 mia 转交" in page
    task, lock = own_task(page)
    answer = dan.post(
        f"/orders/{order_id}/approval/{task}",
        data={"action": "return", "return_to": "draft", "comment": "缺资料", "_lock_version": lock},
    )
    assert answer.status_code == 302
    engine: Engine = app.extensions["orderloom"].engine
    assert engine.get_order(order_id, SALES).state == "draft"


def test_an_outdated_page_is_told_the_order_changed(app: Flask) -> None:
    order_id = submitted(app)
    mia = client_of(app, "mia")
    task, lock = own_task(mia.get(f"/orders/{order_id}").get_data(as_text=True))
    answer = mia.post(
        f"/orders/{order_id}/approval/{task}?lang=en",
        data={"action": "approve", "comment": "late", "_lock_version": str(int(lock) - 1)},
    )
    assert answer.status_code == 409 and "late" in answer.get_data(as_text=True)
    answer = mia.post(f"/orders/{order_id}/approval/{task}", data={"action": "sing", "_lock_version": lock})
    assert answer.status_code == 422


def test_a_page_left_open_on_an_approval_another_decided_is_told_so_not_a_404(app: Flask) -> None:
    """mia's page is open on the manager's stage while another manager declines it and the order leaves
    its approval: her approve is a 409 saying the approval changed, with the way back to the order, not
    'Not found'."""
    add_user(app, "max", "max-password", ("manager",), ("wholesale",))
    order_id = submitted(app)
    mia, other = client_of(app, "mia"), client_of(app, "max")
    task, lock = own_task(mia.get(f"/orders/{order_id}").get_data(as_text=True))
    theirs, their_lock = own_task(other.get(f"/orders/{order_id}").get_data(as_text=True))
    sent = {"action": "decline", "comment": "价格不对", "_lock_version": their_lock}
    assert other.post(f"/orders/{order_id}/approval/{theirs}", data=sent).status_code == 302
    assert approval_panel_gone(app, order_id)
    late = mia.post(
        f"/orders/{order_id}/approval/{task}?lang=en",
        data={"action": "approve", "comment": "late", "_lock_version": lock},
    )
    page = late.get_data(as_text=True)
    assert late.status_code == 409, page
    assert f"order #{order_id}" in page.lower() and f'href="/orders/{order_id}"' in page


def approval_panel_gone(app: Flask, order_id: int) -> bool:
    engine: Engine = app.extensions["orderloom"].engine
    return engine.approval(order_id, SALES) is None


def test_my_work_lists_the_approvals_waiting_for_me_first(app: Flask) -> None:
    order_id = submitted(app)
    mia = client_of(app, "mia")  # a manager: the role's task is hers to sign
    page = mia.get("/work?lang=zh").get_data(as_text=True)
    assert "待我审批（1）" in page
    section = page[
        page.index('id="work-approvals-section"') : page.index(
            "</section>", page.index('id="work-approvals-section"')
        )
    ]
    assert f'href="/orders/{order_id}#approval"' in section and "请" in section
    ken = client_of(app, "ken")  # the account manager named by the order: his task by name
    assert f'href="/orders/{order_id}#approval"' in ken.get("/work?lang=en").get_data(as_text=True)
    lee = client_of(app, "lee")  # no task of his
    assert 'id="work-approvals-section"' not in lee.get("/work").get_data(as_text=True)


def hand_on(
    client: FlaskClient,
    order_id: int,
    task: int,
    lock: str,
    user: str,
    action: str = "transfer",
    lang: str = "zh",
) -> str:
    """Transfer (or add) the task to ``user`` from the page; the answer's page, with its status."""
    answer = client.post(
        f"/orders/{order_id}/approval/{task}?lang={lang}",
        data={"action": action, "user": user, "comment": "请处理", "_lock_version": lock},
    )
    return f"{answer.status_code} {answer.get_data(as_text=True)}"


def panel_of(html: str) -> str:
    start = html.index('id="approval"')
    return html[start : html.index("</section>", start)]


def test_a_decline_asks_to_confirm_and_without_a_reason_is_refused_beside_the_comment(app: Flask) -> None:
    order_id = submitted(app)
    mia = client_of(app, "mia")
    panel = panel_of(mia.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True))
    # the decline is a disclosure with a confirm button inside: it works without scripts
    confirm = panel[panel.index('<details class="approval-confirm"') :]
    confirm = confirm[: confirm.index("</details>")]
    assert "<summary>驳回…</summary>" in confirm
    assert re.search(r'<button type="submit" name="action" value="decline"[^>]*>确认驳回</button>', confirm)
    assert panel.count('value="decline"') == 1 and "<script" not in panel and "onclick" not in panel
    task, lock = own_task(panel)
    for lang, said in (("zh", "驳回须写明理由"), ("en", "a decline needs a reason")):
        answer = mia.post(
            f"/orders/{order_id}/approval/{task}?lang={lang}",
            data={"action": "decline", "comment": "   ", "_lock_version": lock},
        )
        assert answer.status_code == 422
        page = answer.get_data(as_text=True)
        beside = re.search(
            rf'<textarea id="comment-{task}"[^>]*aria-invalid="true"'
            rf'[^>]*aria-describedby="comment-error-{task}"'
            rf'[^>]*>[^<]*</textarea>\s*<p class="field-error" id="comment-error-{task}">([^<]*)</p>',
            page,
        )
        assert beside is not None and said in beside.group(1)
        listed = page[page.index('id="approval-problems"') :]
        assert f"<li>{said[:1].upper()}{said[1:]}" in listed  # above the panel, a sentence of its own
    engine: Engine = app.extensions["orderloom"].engine
    assert engine.get_order(order_id, SALES).state == "manager_review"
    answer = mia.post(
        f"/orders/{order_id}/approval/{task}",
        data={"action": "decline", "comment": "价格过低", "_lock_version": lock},
    )
    assert answer.status_code == 302 and engine.get_order(order_id, SALES).state == "declined"
    timeline = mia.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True)
    timeline = timeline[timeline.index('id="timeline"') :]
    assert "审批人驳回" in timeline and "审批通过后" not in timeline and "价格过低" in timeline


def handing_on(app: Flask, lang: str = "zh") -> tuple[int, int, str, list[tuple[str, str]]]:
    """An order submitted, and on the manager mia's page its task's chooser of whom to hand it on to:
    the order, the task, its lock version, and the options (login, name shown)."""
    order_id = submitted(app)
    panel = panel_of(client_of(app, "mia").get(f"/orders/{order_id}?lang={lang}").get_data(as_text=True))
    task, lock = own_task(panel)
    chooser = re.search(rf'<select id="user-{task}" name="user"[^>]*>(.*?)</select>', panel, re.S)
    assert chooser is not None
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', chooser.group(1))
    return order_id, task, lock, options


def test_the_person_is_chosen_from_the_departments_people_by_name(app: Flask) -> None:
    from web.users import create_user

    engine: Engine = app.extensions["orderloom"].engine
    for name, shown, departments in (("gao", "高军", ("wholesale",)), ("li", "李娜", ("retail",))):
        create_user(
            app.extensions["orderloom"].store, name=name, password=f"{name}-password", roles=("director",),
            departments=departments, at=engine.clock.now(), display_name=shown,
        )  # fmt: skip
    order_id, task, lock, options = handing_on(app)
    mia = client_of(app, "mia")
    assert options[0] == ("", "请选择…")
    assert ("gao", "高军（销售总监）") in options and ("dan", "dan（销售总监）") in options  # roles too
    offered = {value for value, _ in options}
    assert not offered & {"mia", "ken", "li"}  # not herself, not one holding a step, not retail's
    assert not offered & {"sam", "wu", "lee"}  # not the order's creator, not one no approval could ask
    for user, zh in (("sam", "sam 创建了此订单；创建人不能审批自己的订单（职责分离）"), ("wu", "wu 不担任")):
        answer = hand_on(mia, order_id, task, lock, user)
        assert answer.startswith("422") and zh in answer
    answer = hand_on(mia, order_id, task, lock, "sam", "add_before", "en")
    assert "sam created this order, and its creator cannot approve it" in answer
    answer = hand_on(mia, order_id, task, lock, "")
    assert answer.startswith("422") and "请选择要加签或转交给的人" in answer
    assert "李娜 不在批发部门" in hand_on(mia, order_id, task, lock, "li")
    answer = mia.post(
        f"/orders/{order_id}/approval/{task}?lang=zh",
        data={"action": "transfer", "user": "gao", "comment": "请处理", "_lock_version": lock},
    )
    assert answer.status_code == 302
    assert '<span class="approver">高军</span>' in mia.get(f"/orders/{order_id}").get_data(as_text=True)


def test_the_page_says_what_the_approval_offers_and_not_that_nothing_can_be_done(
    app: Flask, tmp_path: Path
) -> None:
    engine: Engine = app.extensions["orderloom"].engine
    order_id = submitted(app)
    mia = client_of(app, "mia")
    page = mia.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True)
    assert "当前没有您可执行的操作" not in page and "请在上方的审批中处理" in page
    summary = re.search(r"<details[^>]*>\s*<summary>([^<]*)</summary>\s*<label for=\"user-", page)
    assert summary is not None and summary.group(1) == "加签（在我之前或之后） · 转交 · 退回"
    # a state without return_to offers no return, and its title says none
    text = (ROOT / "workflows" / "approval-order.yaml").read_text(encoding="utf-8")
    plain = tmp_path / "plain-order.yaml"
    plain.write_text(
        text.replace("workflow: approval-order", "workflow: plain-order").replace(
            "      return_to: [draft]\n", "", 1
        ),
        encoding="utf-8",
    )
    engine.publish(load_bundle(plain, ROOT, action_names={}, workflows={}))
    order = engine.create_order(
        SALES, "wholesale", "plain-order", data={"total": 9, "account_manager": "ken"}
    )
    engine.fire(order.id, "submit", SALES)
    page = mia.get(f"/orders/{order.id}?lang=en").get_data(as_text=True)
    summary = re.search(r"<details[^>]*>\s*<summary>([^<]*)</summary>\s*<label for=\"user-", page)
    assert summary is not None and summary.group(1) == "Add an approver (before or after me) · Transfer"
    assert 'value="return"' not in page and "There is nothing for you to do on it now" not in page
    lee = client_of(app, "lee")  # no task of his: the panel offers him nothing
    page = lee.get(f"/orders/{order.id}?lang=en").get_data(as_text=True)
    assert "There is nothing for you to do on it now" in page and "in the approval above" not in page


def test_why_it_needs_approval_gives_the_reason_of_the_approver_who_returned_it(app: Flask) -> None:
    """An order returned to an earlier approval says, at the top of its page, who returned it and the
    reason they gave, in the page's language."""
    order_id = submitted(app)
    mia = client_of(app, "mia")
    task, lock = own_task(mia.get(f"/orders/{order_id}").get_data(as_text=True))
    mia.post(f"/orders/{order_id}/approval/{task}", data={"action": "approve", "_lock_version": lock})
    fay = client_of(app, "fay")
    task, lock = own_task(fay.get(f"/orders/{order_id}").get_data(as_text=True))
    answer = fay.post(
        f"/orders/{order_id}/approval/{task}",
        data={
            "action": "return",
            "return_to": "manager_review",
            "comment": "折扣超限",
            "_lock_version": lock,
        },
    )
    assert answer.status_code == 302
    for lang, words in (("zh", "（fay）：折扣超限"), ("en", " (fay): 折扣超限")):
        page = mia.get(f"/orders/{order_id}?lang={lang}").get_data(as_text=True)
        why = re.search(r'<p class="why-here" id="why-here">(.*?)</p>', page, re.S)
        assert why is not None and words in re.sub(r"\s+", " ", why.group(1))


def test_why_here_gives_the_reason_of_the_approver_who_declined_it(app: Flask) -> None:
    """An order declined says, at the top of its page, who declined it and why, not only in the
    timeline."""
    order_id = submitted(app)
    mia = client_of(app, "mia")
    task, lock = own_task(mia.get(f"/orders/{order_id}").get_data(as_text=True))
    sent = {"action": "decline", "comment": "客户信用存疑", "_lock_version": lock}
    assert mia.post(f"/orders/{order_id}/approval/{task}", data=sent).status_code == 302
    for lang in ("zh", "en"):
        page = mia.get(f"/orders/{order_id}?lang={lang}").get_data(as_text=True)
        why = re.search(r'<p class="why-here" id="why-here">(.*?)</p>', page, re.S)
        assert why is not None and "客户信用存疑" in why.group(1), lang


def test_a_wholesale_manager_is_offered_only_approvers_and_her_return_goes_to_sales(
    tmp_path: Path, demo_users_database: Path
) -> None:
    """The walk of the shipped wholesale order: sun.li (sales manager) on an order chen.jing (sales)
    took is offered finance, the director and the credit controller (who decides the credit holds), not
    its creator, the warehouse nor an admin; her return sends it to sales with her reason, where
    chen.jing resubmits it (the form prefilled from the order) and the credit controller may only
    cancel."""

    app = approvals_app(tmp_path, demo_users_database, "test")
    engine: Engine = app.extensions["orderloom"].engine
    chen = Actor("chen.jing", frozenset({"sales"}), frozenset({"wholesale"}))
    lines = [{"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 20, "unit_price": 2639, "amount": 52780}]
    data = wholesale_data(lines=lines, total=52980, purchase_order_no="PO-2026-118")
    order_id = engine.create_order(chen, "wholesale", "wholesale-order", "phone", data).id
    sun = log_in(app.test_client(), "sun.li", "sun.li-demo")
    panel = panel_of(sun.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True))
    task, lock = own_task(panel)
    chooser = re.search(rf'<select id="user-{task}" name="user"[^>]*>(.*?)</select>', panel, re.S)
    assert chooser is not None
    offered = set(re.findall(r'<option value="([^"]+)"', chooser.group(1)))
    assert {"gao.jun", "zhou.min", "liu.yang"} <= offered
    assert not offered & {"chen.jing", "zhao.lei", "admin", "xu.jie", "sun.li"}
    answer = hand_on(sun, order_id, task, lock, "chen.jing")
    assert answer.startswith("422") and "创建人不能审批自己的订单" in answer
    answer = sun.post(
        f"/orders/{order_id}/approval/{task}",
        data={"action": "return", "return_to": "sent_back", "comment": "请补交货要求", "_lock_version": lock},
    )
    assert answer.status_code == 302
    chen_client = log_in(app.test_client(), "chen.jing", "chen.jing-demo")
    page = chen_client.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True)
    why = re.search(r'<p class="why-here" id="why-here">(.*?)</p>', page, re.S)
    assert why is not None and "：请补交货要求" in why.group(1)
    assert f"/orders/{order_id}/fire/resubmit" in page
    step = chen_client.get(f"/orders/{order_id}/fire/resubmit?lang=zh")
    assert step.status_code == 200 and 'value="PO-2026-118"' in step.get_data(as_text=True)
    liu = log_in(app.test_client(), "liu.yang", "liu.yang-demo")
    page = liu.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True)
    assert f"/orders/{order_id}/fire/cancel" in page and "/fire/resubmit" not in page
    app.extensions["orderloom"].close()


def test_the_creator_of_the_order_is_told_it_is_theirs_and_offered_no_approve(app: Flask) -> None:
    add_user(app, "max", "max-password", ("sales", "manager"), ("wholesale",))
    engine: Engine = app.extensions["orderloom"].engine
    lead = Actor("max", frozenset({"sales", "manager"}), frozenset({"wholesale"}))
    order_id = engine.create_order(
        lead, "wholesale", "approval-order", data={"total": 90, "account_manager": "ken"}
    ).id
    engine.fire(order_id, "submit", lead)
    max_client = client_of(app, "max")
    for lang, note in (
        ("zh", "您创建了此订单，不能审批它"),
        ("en", "You created this order and cannot approve it"),
    ):
        panel = panel_of(max_client.get(f"/orders/{order_id}?lang={lang}").get_data(as_text=True))
        assert note in panel and 'value="approve"' not in panel and 'value="add_after"' not in panel
        assert 'value="transfer"' in panel
    mine = panel_of(client_of(app, "mia").get(f"/orders/{order_id}").get_data(as_text=True))
    assert 'value="approve"' in mine and "own-order-" not in mine
    task, lock = own_task(panel)
    answer = max_client.post(
        f"/orders/{order_id}/approval/{task}?lang=zh",
        data={"action": "approve", "comment": "", "_lock_version": lock},
    )
    assert answer.status_code == 422 and "职责分离" in answer.get_data(as_text=True)


def test_each_action_on_an_approval_is_said_on_the_order_page(app: Flask) -> None:
    order_id = submitted(app)
    mia = client_of(app, "mia")
    task, lock = own_task(mia.get(f"/orders/{order_id}").get_data(as_text=True))
    sent = {"action": "transfer", "user": "dan", "comment": "请处理", "_lock_version": lock}
    assert mia.post(f"/orders/{order_id}/approval/{task}", data=sent).status_code == 302
    assert "Handed over to dan." in mia.get(f"/orders/{order_id}?lang=en").get_data(as_text=True)
    dan = client_of(app, "dan")
    task, lock = own_task(dan.get(f"/orders/{order_id}").get_data(as_text=True))
    sent = {"action": "return", "return_to": "draft", "comment": "缺资料", "_lock_version": lock}
    assert dan.post(f"/orders/{order_id}/approval/{task}", data=sent).status_code == 302
    page = dan.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True)
    said = re.search(r'role="status" id="done-1">已回退到“([^”]+)”。</p>', page)
    assert said is not None and said.group(1) != "draft"  # the step by its label, not its code


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", ("已通过 0 人；2 位审批人中任一人通过即可", "已通过 1 人，等待加签的 {who} 审批")),
        ("en", ("0 approved; any one of 2 may approve", "approved by 1; waiting for {who}, added after")),
    ],
)
def test_the_progress_says_what_the_approval_waits_for(app: Flask, lang: str, words: tuple[str, str]) -> None:
    order_id = submitted(app)
    mia = client_of(app, "mia")
    page = mia.get(f"/orders/{order_id}?lang={lang}").get_data(as_text=True)
    progress = re.search(r'<b id="approval-progress">([^<]*)</b>', page)
    assert progress is not None and progress.group(1) == words[0]  # the manager or the account manager
    task, lock = own_task(page)
    added = mia.post(
        f"/orders/{order_id}/approval/{task}",
        data={"action": "add_after", "user": "dan", "comment": "", "_lock_version": lock},
    )
    assert added.status_code == 302
    page = mia.get(f"/orders/{order_id}?lang={lang}").get_data(as_text=True)
    progress = re.search(r'<b id="approval-progress">([^<]*)</b>', page)
    assert progress is not None and progress.group(1) == words[1].format(who="dan")


@pytest.mark.parametrize(
    ("lang", "refused"),
    [
        ("zh", "审批接口 是接口登录，不是人：不能加签或转交给其审批"),
        ("en", "审批接口 is an API login, not a person: an approval is not added or transferred to it"),
    ],
)
def test_an_api_login_is_never_offered_to_add_or_transfer_to(app: Flask, lang: str, refused: str) -> None:
    from web.users import create_user

    engine: Engine = app.extensions["orderloom"].engine
    create_user(
        app.extensions["orderloom"].store, name="sign-api", password="sign-api-password", roles=("director",),
        departments=("wholesale",), at=engine.clock.now(), display_name="审批接口", api=True,
    )  # fmt: skip
    order_id, task, lock, options = handing_on(app, lang)
    mia = client_of(app, "mia")
    offered = dict(options)
    assert "dan" in offered and "sign-api" not in offered and "审批接口" not in offered.values()
    for action in ("transfer", "add_before"):
        answer = hand_on(mia, order_id, task, lock, "sign-api", action, lang)
        assert answer.startswith("422") and refused in answer
    by_name = hand_on(
        mia, order_id, task, lock, "审批接口", "transfer", lang
    )  # its display name: no person's
    assert by_name.startswith("422") and ("找不到可用的用户" if lang == "zh" else "no active user") in by_name
    shown = mia.get(f"/orders/{order_id}").get_data(as_text=True)
    assert '<span class="approver">审批接口</span>' not in shown


def test_the_credit_controller_signs_a_credit_hold_whose_panel_names_who_may(
    tmp_path: Path, demo_users_database: Path
) -> None:
    """Over the credit limit, the order waits in 信用待审: the credit controller has the approve button,
    and the panel names the people of each role it asks, in both languages (the demo's liu.yang is the
    credit controller; a role nobody holds is said so)."""
    app = approvals_app(tmp_path, demo_users_database, "test")
    services = app.extensions["orderloom"]
    chen = Actor("chen.jing", frozenset({"sales"}), frozenset({"wholesale"}))
    account = CustomerAccount("wholesale", "W100231", "上海鑫达商贸有限公司", 10000, 0)
    put_account(services.store, account, datetime(2026, 3, 1, tzinfo=UTC))
    held = services.engine.create_order(chen, "wholesale", "wholesale-order", "phone", wholesale_data())
    order_id = held.id
    liu = log_in(app.test_client(), "liu.yang", "liu.yang-demo")
    zh = panel_of(liu.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True))
    names = re.findall(r'<span class="approver">([^<]*)</span>', zh)
    assert names[0] == "信用管理员（任一人：刘洋）"
    assert names[1].startswith("审批人（任一人：") and "孙丽" in names[1]
    en = panel_of(liu.get(f"/orders/{order_id}?lang=en").get_data(as_text=True))
    assert "Credit controller (any one of: 刘洋)" in en
    task, lock = own_task(en)
    answer = liu.post(
        f"/orders/{order_id}/approval/{task}",
        data={"action": "approve", "comment": "客户已回款", "_lock_version": lock},
    )
    assert answer.status_code == 302
    assert services.engine.get_order(order_id, chen).state.startswith("fulfilling.")
    with services.store.transaction() as tx:  # nobody holds the credit controller's role any more
        tx.connection.execute(update(users).where(users.c.name == "liu.yang").values(active=False))
    other = services.engine.create_order(chen, "wholesale", "wholesale-order", "phone", wholesale_data()).id
    sun = log_in(app.test_client(), "sun.li", "sun.li-demo")
    en = panel_of(sun.get(f"/orders/{other}?lang=en").get_data(as_text=True))
    assert "Credit controller (nobody holds this role, so nobody can sign" in en
    app.extensions["orderloom"].close()


def test_a_task_decided_by_its_own_approver_names_them_once(app: Flask) -> None:
    """A person's own task, once they signed it, says when (their name is the task's already); the
    board's other task still waits beside it."""
    order_id = submitted(app)

    def approve(client: FlaskClient) -> None:
        task, lock = own_task(client.get(f"/orders/{order_id}").get_data(as_text=True))
        sent = {"action": "approve", "comment": "同意", "_lock_version": lock}
        assert client.post(f"/orders/{order_id}/approval/{task}", data=sent).status_code == 302

    mia, fay = client_of(app, "mia"), client_of(app, "fay")
    approve(mia)  # the manager's stage; the board's (finance and the director, both) follows
    task, lock = own_task(fay.get(f"/orders/{order_id}").get_data(as_text=True))
    assert hand_on(fay, order_id, task, lock, "mia").startswith("302")
    approve(mia)
    panel = panel_of(mia.get(f"/orders/{order_id}?lang=en").get_data(as_text=True))
    rows = re.findall(r'<li class="approval-task[^"]*" data-task="\d+">(.*?)</li>', panel, re.S)
    signed = [row for row in rows if "<q>同意</q>" in row]
    assert len(signed) == 1 and signed[0].count("mia") == 1, panel
    assert re.search(r"<small>\d{4}-\d\d-\d\d \d\d:\d\d</small>", signed[0]), signed[0]
