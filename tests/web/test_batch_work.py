"""Many at once from the clerk's pages (web/batch.py, web/workspace.py), through Flask's test client over
a real SQLite file: a queue page and my work offer the steps of each workflow and state for the orders
selected, through the same batch pages, which return to the page the batch was chosen on; orders
assigned to a colleague (指派), each in its own transaction with an event on its timeline, refused one by
one with the reason; approval tasks signed from my work with one comment, a result per task."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from engine.api import Actor, Engine
from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.store import tables
from tests.engine.runtime.test_races import together
from tests.web.conftest import log_in, make_app, retail_app, settings_for
from tests.web.test_orders import create
from web.users import create_user

STOCK = [("TEA-01", "SH-01", 500), ("CUP-02", "SH-01", 800)]
CLERK = Actor("li.na", frozenset({"clerk", "service"}), frozenset({"retail"}))
PEOPLE = {  # login: (display name, roles, departments)
    "li.na": ("李娜", ("clerk", "service"), ("retail",)),
    "wang.qiang": ("王强", ("reviewer",), ("retail",)),
    "liu.yang": ("刘洋", ("reviewer",), ("retail",)),
    "zhao.lei": ("赵磊", ("warehouse",), ("retail",)),
    "chen.jing": ("陈静", ("reviewer", "sales"), ("wholesale",)),
}
QUEUE = "/work/queues/retail/risk-review"


def people(app: Flask, who: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]) -> None:
    for login, (shown, roles, departments) in who.items():
        create_user(
            app.extensions["orderloom"].store,
            name=login,
            password=f"{login}-demo",
            roles=roles,
            departments=departments,
            at=datetime.now(UTC),
            display_name=shown,
        )


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = retail_app(tmp_path, "batch-work-tests", stock=STOCK)
    people(app, PEOPLE)
    yield app
    app.extensions["orderloom"].close()


def client(app: Flask, login: str) -> FlaskClient:
    return log_in(app.test_client(), login, f"{login}-demo")


def engine_of(app: Flask) -> Engine:
    found: Engine = app.extensions["orderloom"].engine
    return found


_made = itertools.count(1)


def unpaid(app: Flask) -> int:
    return create(client(app, "li.na"), note=f"batch work order {next(_made)}")


def held(app: Flask) -> int:
    """A paid order over 5,000 yuan: the audit holds it (the risk-review queue)."""
    n = next(_made)
    order_id = create(
        client(app, "li.na"), **{"lines[0].qty": "10", "lines[0].unit_price": "600", "note": f"大单 {n}"}
    )
    data = {"method": "alipay", "amount": 6010, "transaction_ref": f"20261207{n:04d}"}
    engine_of(app).fire(order_id, "pay", CLERK, data)
    assert engine_of(app).get_order(order_id, CLERK).state == "on_hold"
    return order_id


def row_of(app: Flask, order_id: int) -> tuple[str, str | None]:
    with app.extensions["orderloom"].store.engine.connect() as connection:
        found = connection.execute(
            select(tables.orders.c.state, tables.orders.c.assignee).where(tables.orders.c.id == order_id)
        ).one()
        return str(found.state), found.assignee


def posted(page: str) -> MultiDict[str, str]:
    """What a batch page's form sends, as drawn (its hidden fields)."""
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return MultiDict([(name, value.replace("&amp;", "&")) for name, value in fields if name != "csrf_token"])


def boxes(html: str, name: str = "o") -> dict[str, str]:
    """The selection's checkboxes of a page: value -> the form they belong to."""
    found = re.findall(rf'<input type="checkbox" name="{name}" value="([^"]+)" form="([^"]+)"', html)
    return dict(found)


def results(body: str) -> dict[int, tuple[bool, str]]:
    """A batch's result rows: order -> (done, the row's text)."""
    rows = re.findall(
        r'<tr class="(?:done|refused)" data-done="([01])">\s*<td><a href="/orders/(\d+)">#\d+</a></td>\s*'
        r"<td>(.*?)</td>",
        body,
        re.S,
    )
    return {int(order): (done == "1", re.sub(r"<[^>]+>", "", text).strip()) for done, order, text in rows}


# -- a batch from a queue page and from my work --------------------------------------------------


def test_a_queue_page_offers_its_steps_on_the_orders_selected_and_the_batch_returns_to_it(app: Flask) -> None:
    ids = [held(app) for _ in range(3)]
    reviewer = client(app, "wang.qiang")
    page = reviewer.get(f"{QUEUE}?lang=zh").text
    selectable = boxes(page)
    assert set(selectable) == {str(i) for i in ids}
    form = next(iter(selectable.values()))
    assert set(selectable.values()) == {form}  # one workflow, one state: one form for them all
    bar = page[page.index(f'id="{form}"') : page.index("</form>", page.index(f'id="{form}"'))]
    assert 'value="release"' in bar and "批量审核通过" in bar and "data-key-approve" in bar
    assert 'value="reject"' in bar and "批量驳回" in bar
    assert f'name="next" value="{QUEUE}?lang=zh"' in bar
    assert "data-keys" in page and 'id="keys-help"' in page  # the keys: x selects, a takes the step

    chosen = ids[:2]
    batch = reviewer.get(
        "/orders/batch?trigger=release&" + "&".join(f"o={i}" for i in chosen) + f"&next={QUEUE}"
    ).text
    assert 'name="next" value="/work/queues/retail/risk-review"' in batch
    body = reviewer.post("/orders/batch?lang=zh", data=posted(batch)).get_data(as_text=True)
    assert results(body) == dict.fromkeys(chosen, (True, "已完成 现为「待发货」"))
    assert f'href="{QUEUE}" id="batch-back"' in body and "返回队列" in body
    assert [row_of(app, i)[0] for i in ids] == ["pending_shipment", "pending_shipment", "on_hold"]
    assert set(boxes(reviewer.get(QUEUE).text)) == {str(ids[2])}


def test_my_work_offers_a_batch_for_each_workflow_and_state(app: Flask) -> None:
    first, second = unpaid(app), unpaid(app)
    paid = unpaid(app)
    engine_of(app).fire(
        paid, "pay", CLERK, {"method": "alipay", "amount": 186, "transaction_ref": "202612070099"}
    )
    assert row_of(app, paid)[0] == "pending_shipment"
    clerk = client(app, "li.na")
    page = clerk.get("/work?lang=en").text
    selectable = boxes(page)
    assert set(selectable) == {str(first), str(second), str(paid)}
    assert selectable[str(first)] == selectable[str(second)] != selectable[str(paid)]
    unpaid_bar = page[page.index(f'id="{selectable[str(first)]}"') :]
    unpaid_bar = unpaid_bar[: unpaid_bar.index("</form>")]
    assert (
        "Pending payment" in unpaid_bar
        and 'value="cancel"' in unpaid_bar
        and "Selected: Cancel (Pending payment)" in unpaid_bar  # each button names its group
        and "Selected: Assign (Pending payment)" in unpaid_bar
    )
    paid_bar = page[page.index(f'id="{selectable[str(paid)]}"') :]
    paid_bar = paid_bar[: paid_bar.index("</form>")]
    assert "Selected: Cancel and refund (Pending shipment)" in paid_bar
    assert "Selected: Assign (Pending shipment)" in paid_bar

    batch = clerk.get(f"/orders/batch?trigger=cancel&o={first}&o={second}&next=/work").text
    body = clerk.post("/orders/batch?lang=en", data=posted(batch)).get_data(as_text=True)
    assert results(body) == {first: (True, "Done now “Cancelled”"), second: (True, "Done now “Cancelled”")}
    assert 'href="/work" id="batch-back"' in body
    assert set(boxes(clerk.get("/work").text)) == {str(paid)}


@pytest.mark.parametrize("target", ["https://example.com/", "//example.com/work", "/work\\..\\x"])
def test_a_batch_returns_only_to_a_page_of_this_site(app: Flask, target: str) -> None:
    order_id = unpaid(app)
    clerk = client(app, "li.na")
    batch = clerk.get("/orders/batch", query_string={"trigger": "cancel", "o": order_id, "next": target}).text
    assert 'name="next"' not in batch
    body = clerk.post("/orders/batch", data=posted(batch)).get_data(as_text=True)
    assert 'href="/orders?workflow=retail-order&amp;state=pending_payment" id="batch-back"' in body


# -- assigning -------------------------------------------------------------------------------


def assign_page(who: FlaskClient, ids: list[int], lang: str = "en", back: str = QUEUE) -> str:
    query = "&".join(f"o={i}" for i in ids)
    return who.get(f"/orders/batch/assign?{query}&next={back}&lang={lang}").text


def assign(who: FlaskClient, page: str, to: str, lang: str = "en") -> str:
    sent = posted(page)
    sent["to"] = to
    return who.post(f"/orders/batch/assign?lang={lang}", data=sent).get_data(as_text=True)


def test_a_reviewer_assigns_held_orders_to_a_colleague_who_sees_them_first(app: Flask) -> None:
    ids = [held(app) for _ in range(3)]
    reviewer = client(app, "wang.qiang")
    queue = reviewer.get(f"{QUEUE}?lang=zh").text
    assert "批量指派" in queue and 'formaction="/orders/batch/assign"' in queue
    page = assign_page(reviewer, ids[:2], "zh")
    options = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', page))
    # the reviewers of retail, no clerk, each with their roles
    assert options == {"liu.yang": "刘洋（审核员）", "wang.qiang": "王强（审核员）"}
    assert "指派 2 个订单" in page
    body = assign(reviewer, page, "liu.yang", "zh")
    assert results(body) == dict.fromkeys(ids[:2], (True, "已完成 指派给 刘洋"))
    assert f'href="{QUEUE}" id="batch-back"' in body
    assert [row_of(app, i)[1] for i in ids] == ["liu.yang", "liu.yang", None]
    timeline = reviewer.get(f"/orders/{ids[0]}?lang=zh").text
    assert "指派给 刘洋" in timeline and "王强" in timeline
    assert "Assigned to 刘洋" in reviewer.get(f"/orders/{ids[0]}?lang=en").text

    colleague = client(app, "liu.yang").get("/work?lang=en").text
    shown = [int(n) for n in re.findall(r'class="work-item[^"]*" data-order="(\d+)"', colleague)]
    assert sorted(shown[:2]) == sorted(ids[:2]) and ids[2] in shown  # those assigned to her first
    assert colleague.count("being handled by you") == 2
    mine = client(app, "liu.yang").get("/work?claims=mine").text
    assert {int(n) for n in re.findall(r'data-order="(\d+)"', mine)} == set(ids[:2])


def test_each_order_assigned_is_refused_alone_with_why(app: Flask) -> None:
    ids = [held(app) for _ in range(4)]
    reviewer = client(app, "wang.qiang")
    page = assign_page(reviewer, ids)
    engine_of(app).fire(ids[1], "release", Actor("liu.yang", frozenset({"reviewer"}), frozenset({"retail"})))
    with app.extensions["orderloom"].store.engine.begin() as connection:  # another's claim, meanwhile
        connection.execute(
            update(tables.orders)
            .where(tables.orders.c.id == ids[2])
            .values(assignee="liu.yang", lock_version=tables.orders.c.lock_version + 1)
        )
    body = assign(reviewer, page, "wang.qiang")
    found = results(body)
    assert found[ids[0]] == (True, "Done Assigned to 王强")
    assert (
        not found[ids[1]][0]
        and "changed since the page was drawn (now: Pending shipment)" in found[ids[1]][1]
    )
    assert not found[ids[2]][0] and "handled by 刘洋" in found[ids[2]][1]
    assert found[ids[3]][0]
    assert "2 done, 2 refused" in body
    assert [row_of(app, i)[1] for i in ids] == ["wang.qiang", None, "liu.yang", "wang.qiang"]


def test_an_order_is_assigned_only_to_one_who_may_act_on_it_in_its_department(app: Flask) -> None:
    ids = [held(app) for _ in range(2)]
    reviewer = client(app, "wang.qiang")
    page = assign_page(reviewer, ids)
    clerk_body = assign(reviewer, page, "li.na", "zh")  # a clerk: no step of hers leaves 挂起待审
    assert all(
        not done and "李娜 在「挂起待审」没有可执行的操作" in text
        for done, text in results(clerk_body).values()
    )
    other = assign(reviewer, page, "chen.jing")  # a reviewer, of wholesale
    assert all(
        not done and "陈静 does not work in department" in text for done, text in results(other).values()
    )
    nobody = assign(reviewer, page, "no.body")
    assert all("no active user no.body" in text for _, text in results(nobody).values())
    assert [row_of(app, i)[1] for i in ids] == [None, None]


def test_one_who_may_not_act_on_an_order_may_not_assign_it(app: Flask) -> None:
    order_id = held(app)
    clerk = client(app, "li.na")
    page = assign_page(clerk, [order_id], "zh")
    assert "只有可处理它的人才能指派" in page and "<select" not in page
    sent = MultiDict([("o", f"{order_id}:{engine_of(app).get_order(order_id, CLERK).lock_version}")])
    sent["to"] = "li.na"
    body = clerk.post("/orders/batch/assign?lang=en", data=sent).get_data(as_text=True)
    assert results(body) == {
        order_id: (
            False,
            f"Refused order #{order_id} has no step of yours in “On hold”: only one "
            "who may act on it assigns it",
        )
    }
    assert row_of(app, order_id)[1] is None
    other = client(app, "chen.jing").get(f"/orders/batch/assign?o={order_id}&lang=en")  # wholesale's
    assert other.status_code == 200 and "No such order, or it is not in your departments" in other.text


@pytest.mark.parametrize("query", ["", "o=abc", "o=0"])
def test_a_bad_assign_selection_is_a_400(app: Flask, query: str) -> None:
    assert client(app, "wang.qiang").get(f"/orders/batch/assign?{query}").status_code == 400


def test_the_list_offers_assigning_with_its_steps(app: Flask) -> None:
    held(app)
    page = client(app, "wang.qiang").get("/orders?workflow=retail-order&state=on_hold&lang=en").text
    bar = page[page.index('id="batch-select"') : page.index("</form>", page.index('id="batch-select"'))]
    assert 'formaction="/orders/batch/assign"' in bar and "Selected: Assign" in bar


# -- approval tasks signed from my work --------------------------------------------------------

APPROVALS = Path(__file__).resolve().parents[1] / "engine" / "runtime" / "fixtures" / "approvals"
SALES = Actor("sam", frozenset({"sales"}), frozenset({"wholesale"}))


@pytest.fixture
def approvals_app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(settings_for(tmp_path, APPROVALS, "batch-sign-tests"), FrozenClock())
    people(
        app,
        {
            "mia": ("米娅", ("manager",), ("wholesale",)),
            "ken": ("肯", ("sales",), ("wholesale",)),
        },
    )
    path = APPROVALS / "workflows" / "approval-order.yaml"
    engine_of(app).publish(load_bundle(path, APPROVALS, action_names={}, workflows={}))
    yield app
    app.extensions["orderloom"].close()


def submitted(app: Flask) -> int:
    engine = engine_of(app)
    order = engine.create_order(
        SALES, "wholesale", "approval-order", data={"total": 90, "account_manager": "ken"}
    )
    engine.fire(order.id, "submit", SALES)
    return order.id


def signing(html: str) -> tuple[MultiDict[str, str], list[str]]:
    """My work's approvals form, as drawn: its hidden fields, and the tasks' checkboxes' values."""
    start = html.index('id="approvals-batch"')
    form = html[start : html.index("</form>", start)]
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
    sent = MultiDict([(n, v) for n, v in fields if n != "csrf_token"])
    return sent, list(boxes(html, "t"))


def test_a_manager_approves_three_tasks_from_my_work_with_one_comment(approvals_app: Flask) -> None:
    ids = [submitted(approvals_app) for _ in range(3)]
    mia = client(approvals_app, "mia")
    page = mia.get("/work?lang=zh").text
    sent, tasks = signing(page)
    assert len(tasks) == 3 and all(boxes(page, "t")[t] == "approvals-batch" for t in tasks)
    assert 'value="approve"' in page and 'value="decline"' in page and 'name="comment"' in page
    for task in tasks:
        sent.add("t", task)
    sent["action"], sent["comment"] = "approve", "同意，按合同执行"
    body = mia.post("/work/approvals/batch?lang=zh", data=sent).get_data(as_text=True)
    found = results(body)
    assert set(found) == set(ids) and all(done for done, _ in found.values())
    assert all("现为「会签」" in text for _, text in found.values())
    assert 'href="/work?lang=zh" id="batch-back"' in body  # back to my work, as it was
    for order_id in ids:
        assert engine_of(approvals_app).get_order(order_id, SALES).state == "board_review"
        assert "同意，按合同执行" in mia.get(f"/orders/{order_id}").text
    again = mia.post("/work/approvals/batch?lang=en", data=sent).get_data(as_text=True)  # sent twice
    assert [done for done, _ in results(again).values()] == [False] * 3 and "0 done, 3 refused" in again
    assert all("changed" in text for _, text in results(again).values())
    assert {engine_of(approvals_app).get_order(i, SALES).state for i in ids} == {"board_review"}


def test_tasks_declined_at_once_and_a_task_signed_meanwhile_is_refused_alone(approvals_app: Flask) -> None:
    first, second = submitted(approvals_app), submitted(approvals_app)
    mia = client(approvals_app, "mia")
    sent, tasks = signing(mia.get("/work").text)
    ken = client(approvals_app, "ken")  # the account manager signs the second first: it moves on
    own = re.search(rf'action="/orders/{second}/approval/(\d+)"', ken.get(f"/orders/{second}").text)
    lock = re.search(r'name="_lock_version" value="(\d+)"', ken.get(f"/orders/{second}").text)
    assert own is not None and lock is not None
    answer = ken.post(
        f"/orders/{second}/approval/{own.group(1)}",
        data={"action": "approve", "_lock_version": lock.group(1)},
    )
    assert answer.status_code == 302
    for task in tasks:
        sent.add("t", task)
    sent["action"], sent["comment"] = "decline", "credit too low"
    body = mia.post("/work/approvals/batch?lang=en", data=sent).get_data(as_text=True)
    found = results(body)
    assert found[first] == (True, "Done now “Declined”")
    assert not found[second][0] and "changed" in found[second][1]
    assert "1 done, 1 refused" in body
    assert engine_of(approvals_app).get_order(first, SALES).state == "declined"
    assert engine_of(approvals_app).get_order(second, SALES).state == "board_review"


def test_a_decline_from_my_work_asks_to_confirm_and_needs_a_reason_before_any_task_is_touched(
    approvals_app: Flask,
) -> None:
    ids = [submitted(approvals_app), submitted(approvals_app)]
    mia = client(approvals_app, "mia")
    page = mia.get("/work?lang=zh").text
    form = page[
        page.index('id="approvals-batch"') : page.index("</form>", page.index('id="approvals-batch"'))
    ]
    confirm = form[form.index('<details class="batch-confirm"') : form.index("</details>")]
    assert "<summary>驳回所选…</summary>" in confirm and 'value="decline"' in confirm
    assert form.count('value="decline"') == 1
    sent, tasks = signing(page)
    for task in tasks:
        sent.add("t", task)
    sent["action"], sent["comment"] = "decline", "  "
    for lang, said in (("zh", "驳回须写明理由"), ("en", "a decline needs a reason")):
        answer = mia.post(f"/work/approvals/batch?lang={lang}", data=sent)
        assert answer.status_code == 422 and said in answer.text
        assert 'id="batch-results"' not in answer.text  # no row: nothing was taken
    assert {engine_of(approvals_app).get_order(i, SALES).state for i in ids} == {"manager_review"}
    assert "approval.decline" not in {
        e.trigger for i in ids for e in engine_of(approvals_app).history(i, SALES)
    }


def test_a_comment_longer_than_is_kept_is_refused_with_the_comment_kept_not_cut(approvals_app: Flask) -> None:
    ids = [submitted(approvals_app), submitted(approvals_app)]
    mia = client(approvals_app, "mia")
    sent, tasks = signing(mia.get("/work").text)
    for task in tasks:
        sent.add("t", task)
    long = "同意" * 1000 + "。"  # 2,001 characters: the browser's maxlength bypassed
    sent["action"], sent["comment"] = "approve", long
    answer = mia.post("/work/approvals/batch?lang=zh", data=sent)
    assert answer.status_code == 422 and "意见最多 2,000 字，现有 2,001 字" in answer.text
    assert "审批未执行" in answer.text and 'value="approve"' in answer.text and long in answer.text
    assert 'value="decline"' not in answer.text  # the approve is sent again, never turned into a decline
    english = mia.post("/work/approvals/batch?lang=en", data=sent).text
    assert "Comment: at most 2,000 characters; this one has 2,001" in english
    assert {engine_of(approvals_app).get_order(i, SALES).state for i in ids} == {"manager_review"}
    order_id = ids[0]
    own = re.search(rf'action="/orders/{order_id}/approval/(\d+)"', mia.get(f"/orders/{order_id}").text)
    lock = re.search(r'name="_lock_version" value="(\d+)"', mia.get(f"/orders/{order_id}").text)
    assert own is not None and lock is not None
    panel = mia.post(
        f"/orders/{order_id}/approval/{own.group(1)}?lang=en",
        data={"action": "approve", "_lock_version": lock.group(1), "comment": long},
    )
    assert panel.status_code == 422 and "at most 2,000 characters" in panel.text
    assert engine_of(approvals_app).get_order(order_id, SALES).state == "manager_review"


@pytest.mark.parametrize(
    ("action", "task"), [("transfer", None), ("", None), ("approve", "12"), ("approve", "1:x:2")]
)
def test_a_bad_signing_is_a_400(approvals_app: Flask, action: str, task: str | None) -> None:
    order_id = submitted(approvals_app)
    mia = client(approvals_app, "mia")
    sent, tasks = signing(mia.get("/work").text)
    sent.add("t", task if task is not None else tasks[0])
    sent["action"] = action
    assert mia.post("/work/approvals/batch", data=sent).status_code == 400
    assert engine_of(approvals_app).get_order(order_id, SALES).state == "manager_review"


# -- assigning racing a claim, on PostgreSQL ---------------------------------------------------


@pytest.mark.postgres
def test_an_assignment_racing_a_claim_leaves_one_of_them(tmp_path: Path, pg_url: str) -> None:
    app = retail_app(tmp_path, "batch-work-pg", stock=STOCK, database_url=pg_url)
    services = app.extensions["orderloom"]
    people(app, PEOPLE)
    try:
        ids = [held(app) for _ in range(6)]
        reviewer, colleague = client(app, "wang.qiang"), client(app, "liu.yang")
        pages = {order_id: assign_page(reviewer, [order_id]) for order_id in ids}
        # each order: wang.qiang gives it to himself while liu.yang claims it, the claim sent a little
        # later each time, so that either may come first
        for order_id, late in zip(ids, (0, 0.005, 0.01, 0.02, 0.05, 0.1), strict=True):

            def claim(order_id: int = order_id, late: float = late) -> int:
                time.sleep(late)
                return colleague.post(f"/orders/{order_id}/claim?lang=en").status_code

            assigned, claimed = together(
                [lambda order_id=order_id: assign(reviewer, pages[order_id], "wang.qiang"), claim]
            )
            done = results(assigned)[order_id][0]
            assert done != (claimed == 303), (assigned, claimed)  # one of them, never both nor neither
            winner = "wang.qiang" if done else "liu.yang"
            assert row_of(app, order_id)[1] == winner
            with services.store.engine.connect() as connection:
                events = connection.execute(
                    select(tables.audit_events.c.trigger, tables.audit_events.c.actor).where(
                        tables.audit_events.c.order_id == order_id,
                        tables.audit_events.c.trigger.in_(["work.assign", "work.claim"]),
                    )
                ).all()
            assert [tuple(e) for e in events] == [
                ("work.assign", "wang.qiang") if done else ("work.claim", "liu.yang")
            ]
    finally:
        services.close()


# -- a held order rejected: a reason asked once, where the orders go said first --------------------


def data_of(app: Flask, order_id: int) -> dict[str, object]:
    with app.extensions["orderloom"].store.engine.connect() as connection:
        found = connection.execute(select(tables.orders.c.data).where(tables.orders.c.id == order_id)).one()
        return dict(found.data)


def test_a_held_order_is_rejected_on_its_page_only_with_a_reason(app: Flask) -> None:
    order_id = held(app)
    reviewer = client(app, "wang.qiang")
    page = reviewer.get(f"/orders/{order_id}/fire/reject?lang=zh").text
    assert 'name="reject_reason"' in page and "驳回原因" in page
    assert "执行「驳回」后，订单将转到「已取消」，此后不能再更改。" in page
    english = reviewer.get(f"/orders/{order_id}/fire/reject?lang=en").text
    assert "Reason for rejecting" in english and "the order goes to “Cancelled”, for good" in english
    lock = re.search(r'name="_lock_version" value="(\d+)"', page)
    assert lock is not None
    refused = reviewer.post(f"/orders/{order_id}/fire/reject?lang=zh", data={"_lock_version": lock.group(1)})
    assert refused.status_code == 422 and "驳回原因" in refused.text
    assert row_of(app, order_id)[0] == "on_hold"  # nothing done without a reason
    sent = {"_lock_version": lock.group(1), "reject_reason": "收货地址与欺诈订单一致"}
    done = reviewer.post(f"/orders/{order_id}/fire/reject?lang=zh", data=sent)
    assert done.status_code == 302
    assert row_of(app, order_id)[0] == "cancelled"
    assert data_of(app, order_id)["reject_reason"] == "收货地址与欺诈订单一致"
    assert "收货地址与欺诈订单一致" in reviewer.get(f"/orders/{order_id}?lang=zh").text


def test_a_batch_reject_asks_for_the_reason_once_and_lists_each_order_with_its_amount_and_customer(
    app: Flask,
) -> None:
    ids = [held(app) for _ in range(2)]
    reviewer = client(app, "wang.qiang")
    query = "&".join(f"o={i}" for i in ids)
    page = reviewer.get(f"/orders/batch?trigger=reject&{query}&next={QUEUE}&lang=zh").text
    assert page.count('name="reject_reason"') == 1
    assert "执行「驳回」后，这些订单将转到「已取消」，此后不能再更改。" in page
    for order_id in ids:
        listed = re.search(rf'<li><a href="/orders/{order_id}">#{order_id}</a>(.*?)</li>', page, re.S)
        assert listed is not None and "王芳" in listed.group(1) and "¥6010.00" in listed.group(1)
    assert f'<a href="{QUEUE}" id="batch-back-top">返回队列</a>' in page
    english = reviewer.get(f"/orders/batch?trigger=reject&{query}&next=/work&lang=en").text
    assert '<a href="/work" id="batch-back-top">Back to My work</a>' in english
    assert "these orders go to “Cancelled”" in english

    without = reviewer.post("/orders/batch?lang=zh", data=posted(page))
    assert without.status_code == 422 and "驳回原因" in without.get_data(as_text=True)
    spaces = {**posted(page), "reject_reason": "   "}  # the browser's required lets spaces through
    refused = reviewer.post("/orders/batch?lang=zh", data=spaces).get_data(as_text=True)
    assert "写明原因的文字，不能只有空格" in refused
    assert [row_of(app, i)[0] for i in ids] == ["on_hold", "on_hold"]  # no order touched
    listed = re.search(rf'<a href="/orders/{ids[0]}">#{ids[0]}</a>(.*?)</li>', page, re.S)
    assert listed is not None and '<span class="order-who">王芳</span>' in listed.group(
        1
    )  # not white on white
    sent = posted(page)
    sent["reject_reason"] = "同一设备短时间内多次下单"
    body = reviewer.post("/orders/batch?lang=zh", data=sent).get_data(as_text=True)
    assert results(body) == dict.fromkeys(ids, (True, "已完成 现为「已取消」"))
    assert [data_of(app, i)["reject_reason"] for i in ids] == ["同一设备短时间内多次下单"] * 2


# -- a batch button pressed with nothing ticked, and assigning when no one else may act ------------


def test_a_batch_step_with_nothing_ticked_says_so_with_the_way_back(app: Flask) -> None:
    reviewer = client(app, "wang.qiang")
    page = reviewer.get(f"/orders/batch?trigger=release&next={QUEUE}&lang=zh")
    assert page.status_code == 400
    assert (
        "请至少勾选一个订单" in page.text and f'<a href="{QUEUE}" id="problem-back">返回队列</a>' in page.text
    )
    sent = reviewer.post("/orders/batch?lang=en", data={"trigger": "release", "next": "/work"})
    assert sent.status_code == 400
    assert "Tick at least one order" in sent.text and '<a href="/work" id="problem-back">' in sent.text


def test_assigning_with_nothing_ticked_says_so_with_the_way_back(app: Flask) -> None:
    reviewer = client(app, "wang.qiang")
    page = reviewer.get("/orders/batch/assign?next=/work&lang=en")
    assert page.status_code == 400
    assert (
        "Tick at least one order" in page.text
        and '<a href="/work" id="problem-back">Back to My work</a>' in page.text
    )
    sent = reviewer.post("/orders/batch/assign?lang=zh", data={"to": "liu.yang", "next": QUEUE})
    assert sent.status_code == 400 and "请至少勾选一个订单" in sent.text and f'href="{QUEUE}"' in sent.text


def test_assigning_when_no_one_else_may_act_says_so_instead_of_a_list_of_one(app: Flask) -> None:
    ids = [unpaid(app) for _ in range(2)]
    with app.extensions["orderloom"].store.engine.begin() as connection:  # the suite's user of every role
        connection.execute(update(tables.users).where(tables.users.c.name == "tester").values(active=False))
    # now only 李娜 is a retail clerk: no one else may cancel or pay them
    clerk = client(app, "li.na")
    page = assign_page(clerk, ids, "zh", back="/work")
    assert "部门里没有其他可处理这些订单的人" in page
    assert "<select" not in page and 'id="assign-form"' not in page
    for order_id in ids:
        listed = re.search(rf'<li><a href="/orders/{order_id}">#{order_id}</a>(.*?)</li>', page, re.S)
        assert listed is not None and "王芳" in listed.group(1) and "¥186.00" in listed.group(1)
    assert "No one else in the department may act on these orders" in assign_page(clerk, ids, "en")
    reviewer_page = assign_page(client(app, "wang.qiang"), [held(app)])
    assert "<select" in reviewer_page and "No one else" not in reviewer_page  # 刘洋 may act too


def test_signing_with_no_task_ticked_says_so_with_the_way_back(approvals_app: Flask) -> None:
    submitted(approvals_app)
    mia = client(approvals_app, "mia")
    sent, _ = signing(mia.get("/work").text)
    sent["action"] = "approve"
    answer = mia.post("/work/approvals/batch?lang=zh", data=sent)
    assert answer.status_code == 400 and "请至少勾选一个订单" in answer.text
    assert '<a href="/work" id="problem-back">返回「我的工作」</a>' in answer.text


def test_a_step_without_a_form_says_where_it_takes_the_order_before_it_is_taken(app: Flask) -> None:
    order_id = held(app)
    reviewer = client(app, "wang.qiang")
    page = reviewer.get(f"/orders/{order_id}/fire/release?lang=zh").text
    # and what may follow by itself at once from there
    assert "执行「审核通过」后，订单将转到「待发货」；" in page
    assert "若「全部发货」的条件成立，将随即自动转到「已发货」" in page
    assert "此后不能再更改" not in page
    english = reviewer.get(f"/orders/{order_id}/fire/release?lang=en").text
    assert "After “Approve” the order goes to “Pending shipment”; " in english
    assert "if “All shipped” holds then" in english
    batch = reviewer.get(f"/orders/batch?trigger=release&o={order_id}&lang=zh").text
    assert "执行「审核通过」后，这些订单将转到「待发货」；" in batch and "若「全部发货」的条件成立" in batch


@pytest.mark.parametrize(
    ("lang", "refused"),
    [
        ("zh", "风控接口 是接口登录，不是人：订单不能指派给其处理"),
        ("en", "风控接口 is an API login, not a person: the order cannot be theirs"),
    ],
)
def test_an_api_login_is_never_offered_nor_taken_as_an_assignee(app: Flask, lang: str, refused: str) -> None:
    """A reviewer's API login (a program reviewing orders through the API) may act on a held order, but
    is no colleague to hand it to: left out of the picker, and refused when named anyway."""
    create_user(
        app.extensions["orderloom"].store, name="risk-api", password="risk-api-demo", roles=("reviewer",),
        departments=("retail",), at=datetime.now(UTC), display_name="风控接口", api=True,
    )  # fmt: skip
    ids = [held(app) for _ in range(2)]
    reviewer = client(app, "wang.qiang")
    page = assign_page(reviewer, ids, lang)
    options = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', page))
    role = "（审核员）" if lang == "zh" else " (Reviewer)"
    assert options == {"liu.yang": f"刘洋{role}", "wang.qiang": f"王强{role}"}  # people only, by their role
    found = results(assign(reviewer, page, "risk-api", lang))
    assert set(found) == set(ids) and all(not done and refused in text for done, text in found.values())
    assert [row_of(app, i)[1] for i in ids] == [None, None]
    engine_of(app).fire(ids[0], "release", Actor("risk-api", frozenset({"reviewer"}), frozenset({"retail"})))
    assert row_of(app, ids[0])[0] == "pending_shipment"  # it still acts through the API
