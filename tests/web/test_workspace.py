"""My work, the queues and claims as pages (web/workspace.py), through Flask's test client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.dsl.compiler import load_bundle
from engine.runtime import Actor, Engine
from tests.web.conftest import REPO_ROOT, add_user, log_in, make_app, retail_app, settings_for
from web.users import create_user

WORK = REPO_ROOT / "tests" / "engine" / "runtime" / "fixtures" / "workspace"
PEOPLE = {  # login: (display name, roles, departments)
    "zhang.san": ("张三", ("clerk",), ("retail",)),
    "li.si": ("李四", ("auditor",), ("retail",)),
    "wang.wu": ("王五", ("auditor",), ("retail",)),
    "zhao.liu": ("赵六", ("clerk", "auditor", "warehouse"), ("wholesale",)),
    "qian.ba": ("钱八", ("viewer",), ("retail",)),
}
PASSWORD = "work-password-1"


def actor(login: str) -> Actor:
    _, roles, departments = PEOPLE[login]
    return Actor(login, frozenset(roles), frozenset(departments))


def work_app(tmp_path: Path) -> Flask:
    """The app with the work order published and the people of ``PEOPLE``."""
    app = make_app(settings_for(tmp_path, REPO_ROOT / "tests" / "web" / "defs", "work-tests"))
    services = app.extensions["orderloom"]
    services.engine.publish(
        load_bundle(WORK / "workflows" / "work-order.yaml", WORK, action_names={}, workflows={})
    )
    for login, (shown, roles, departments) in PEOPLE.items():
        create_user(
            services.store,
            name=login,
            password=PASSWORD,
            roles=roles,
            departments=departments,
            at=datetime.now(UTC),
            display_name=shown,
        )
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = work_app(tmp_path)
    yield app
    app.extensions["orderloom"].close()


def engine_of(app: Flask) -> Engine:
    found: Engine = app.extensions["orderloom"].engine
    return found


def client(app: Flask, login: str) -> FlaskClient:
    return log_in(app.test_client(), login, PASSWORD)


def orders(app: Flask) -> dict[str, int]:
    """An order waiting for payment (the clerks'), and one in review (the auditors', in a queue)."""
    engine = engine_of(app)
    paying = engine.create_order(actor("zhang.san"), "retail", "work-order", data={"total": 12})
    reviewing = engine.create_order(actor("zhang.san"), "retail", "work-order", data={"total": 5128})
    engine.fire(reviewing.id, "pay", actor("zhang.san"))
    return {"paying": paying.id, "reviewing": reviewing.id}


def listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="work-item[^"]*" data-order="(\d+)"', html)]


def test_my_work_shows_each_person_their_orders_and_the_queues_in_both_languages(app: Flask) -> None:
    made = orders(app)
    clerk = client(app, "zhang.san")
    zh = clerk.get("/work?lang=zh").get_data(as_text=True)
    assert 'id="work-link"' in zh and "我的工作" in zh
    assert listed(zh) == [made["paying"]]
    assert "零售：1 单可处理" in zh and "无人认领" in zh
    assert "风控审核" not in zh  # the clerk takes no step in the review queue: not theirs to look through
    en = clerk.get("/work?lang=en").get_data(as_text=True)
    assert "My work" in en and "Retail: 1 to act on" in en and "Risk review" not in en and "unassigned" in en
    auditor = client(app, "li.si")
    page = auditor.get("/work?lang=en").get_data(as_text=True)
    assert listed(page) == [made["reviewing"]]
    assert "Risk review" in page and 'class="queue-count">1<' in page and "Oldest waiting" in page
    queue = auditor.get("/work/queues/retail/risk-review?lang=zh").get_data(as_text=True)
    assert listed(queue) == [made["reviewing"]] and "风控审核 队列" in queue


def test_the_keys_help_lists_the_search_key_only_where_there_is_a_search_box(app: Flask) -> None:
    orders(app)
    auditor = client(app, "li.si")
    search_key = "<dt><kbd>/</kbd></dt>"
    mine = auditor.get("/work?lang=en").get_data(as_text=True)
    assert search_key in mine and "data-key-search" in mine
    queue = auditor.get("/work/queues/retail/risk-review?lang=en").get_data(as_text=True)
    assert 'id="keys-help"' in queue and "data-key-search" not in queue
    assert search_key not in queue


def test_another_departments_clerk_and_a_role_without_a_step_see_none_of_them(app: Flask) -> None:
    orders(app)
    for login in ("zhao.liu", "qian.ba"):
        page = client(app, login).get("/work?lang=en")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and listed(html) == []
        assert "There is no order for you to act on now." in html
    assert client(app, "zhao.liu").get("/work/queues/retail/risk-review").status_code == 404


def test_a_claim_is_seen_by_others_and_a_second_claim_is_asked_to_take_over(app: Flask) -> None:
    made = orders(app)
    order_id = made["reviewing"]
    li, wang = client(app, "li.si"), client(app, "wang.wu")
    claimed = li.post(f"/orders/{order_id}/claim", data={"next": "/work"})
    assert claimed.status_code == 303 and claimed.headers["Location"] == "/work"
    mine = li.get("/work?lang=zh").get_data(as_text=True)
    assert "我处理中" in mine
    seen = wang.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True)
    box = seen[seen.index('id="claim"') : seen.index("</section>", seen.index('id="claim"'))]
    assert "张三" not in box and "李四 处理中" in box and "接手" in box  # the holder, not who took the steps
    assert "being handled by 李四" in wang.get("/work?lang=en").get_data(as_text=True)
    refused = wang.post(f"/orders/{order_id}/claim?lang=zh", data={})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert f"订单 #{order_id} 已由 李四 自 " in text and 'name="take_over" value="li.si"' in text
    english = wang.post(f"/orders/{order_id}/claim?lang=en", data={}).get_data(as_text=True)
    assert f"Order #{order_id} is being handled by 李四 since " in english
    assert wang.post(f"/orders/{order_id}/release", data={}).status_code == 403  # only the holder
    taken = wang.post(f"/orders/{order_id}/claim", data={"take_over": "li.si"})
    assert taken.status_code == 303
    page = li.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True)
    assert "王五 处理中" in page
    assert "认领订单" in page and "接手订单" in page and "work.claim" not in page
    assert wang.post(f"/orders/{order_id}/release", data={}).status_code == 303
    assert "无人认领" in li.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True)


def three_paid_one_claimed_by_each(app: Flask) -> tuple[list[int], FlaskClient]:
    """Three paid work orders: the second claimed by li.si, the third by wang.wu; li.si's client."""
    engine = engine_of(app)
    ids = []
    for _ in range(3):
        made = engine.create_order(actor("zhang.san"), "retail", "work-order", data={"total": 1})
        engine.fire(made.id, "pay", actor("zhang.san"))
        ids.append(made.id)
    li = client(app, "li.si")
    li.post(f"/orders/{ids[1]}/claim", data={})
    client(app, "wang.wu").post(f"/orders/{ids[2]}/claim", data={})
    return ids, li


def test_the_filters_mine_and_unassigned(app: Flask) -> None:
    ids, li = three_paid_one_claimed_by_each(app)
    assert listed(li.get("/work").get_data(as_text=True)) == [ids[1], ids[0], ids[2]]
    assert listed(li.get("/work?claims=mine").get_data(as_text=True)) == [ids[1]]
    assert listed(li.get("/work?claims=unassigned").get_data(as_text=True)) == [ids[0]]
    wang = client(app, "wang.wu")
    wang.post(f"/orders/{ids[2]}/release", data={})
    mine = wang.get("/work?claims=mine&lang=zh").get_data(as_text=True)
    assert "您没有认领任何可处理的订单" in mine and "现在没有需要您处理的订单" not in mine
    li.post(f"/orders/{ids[0]}/claim", data={})
    li.post(f"/orders/{ids[2]}/claim", data={})
    nobodys = li.get("/work?claims=unassigned&lang=en").get_data(as_text=True)
    assert "No unclaimed order waits for you" in nobodys


def test_a_filter_or_a_page_address_no_page_gave_out_is_a_400_that_says_so(app: Flask) -> None:
    clerk = client(app, "zhang.san")
    bad = clerk.get("/work?claims=everyone&lang=zh")
    assert bad.status_code == 400 and "没有“everyone”这种筛选" in bad.get_data(as_text=True)
    bad = clerk.get("/work?claims=everyone&lang=en")
    assert bad.status_code == 400 and "There is no filter “everyone”" in bad.get_data(as_text=True)
    after = clerk.get("/work?department=retail&after=yesterday&lang=en")
    assert after.status_code == 400 and "after=yesterday" in after.get_data(as_text=True)
    assert "Traceback" not in after.get_data(as_text=True)
    assert clerk.get("/work/queues/retail/risk-review?after=1-x").status_code == 400


def test_a_later_page_of_a_department(app: Flask) -> None:
    engine = engine_of(app)
    made = [
        engine.create_order(actor("zhang.san"), "retail", "work-order", data={"total": n}).id
        for n in range(35)
    ]
    clerk = client(app, "zhang.san")
    first = clerk.get("/work").get_data(as_text=True)
    assert listed(first) == made[:30]
    more = re.search(r'href="([^"]+)" rel="next"', first)
    assert more is not None
    second = clerk.get(more.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert listed(second) == made[30:]
    assert 'rel="next"' not in second


def test_a_group_counts_its_orders_on_every_page_not_the_pages(app: Flask) -> None:
    engine = engine_of(app)
    for n in range(35):
        engine.create_order(actor("zhang.san"), "retail", "work-order", data={"total": n})
    clerk = client(app, "zhang.san")
    first = clerk.get("/work?lang=zh").get_data(as_text=True)
    assert "（共 35 单，本页 30 单）" in first and "：35 单可处理" in first
    more = re.search(r'href="([^"]+)" rel="next"', first)
    assert more is not None
    second = clerk.get(more.group(1).replace("&amp;", "&") + "&lang=en").get_data(as_text=True)
    assert "(35, 5 on this page)" in second
    assert re.search(r"\(\d+\)</b>", second) is None  # no group says only this page's number


def test_the_department_heading_counts_what_the_filter_shows(app: Flask) -> None:
    ids, li = three_paid_one_claimed_by_each(app)
    heading = re.compile(r'<h2 id="work-retail">([^<]+)</h2>')
    found = {
        claims: heading.findall(li.get(f"/work?claims={claims}&lang=en").get_data(as_text=True))
        for claims in ("any", "mine", "unassigned")
    }
    assert {claims: [h.split(": ")[-1] for h in found[claims]] for claims in found} == {
        "any": ["3 to act on"],
        "mine": ["1 to act on"],
        "unassigned": ["1 to act on"],
    }
    assert listed(li.get("/work?claims=mine").get_data(as_text=True)) == [ids[1]]


def test_a_claim_by_someone_without_a_step_is_refused_with_the_reason(app: Flask) -> None:
    made = orders(app)
    page = client(app, "zhang.san").post(f"/orders/{made['reviewing']}/claim?lang=zh", data={})
    assert page.status_code == 403 and "只有可处理它的人才能认领" in page.get_data(as_text=True)
    assert client(app, "zhao.liu").post(f"/orders/{made['reviewing']}/claim", data={}).status_code == 404


def test_my_work_offers_the_new_orders_the_person_may_take(tmp_path: Path) -> None:
    """A clerk lands on my work: the new orders they may take are there, as the overview offers them;
    a reviewer who takes no new orders is offered none."""
    app = retail_app(tmp_path, "work-new-orders")
    add_user(app, "li.na", "li.na-demo", ("clerk", "service"), ("retail",))
    add_user(app, "wang.qiang", "wang.qiang-demo", ("reviewer",), ("retail",))
    page = log_in(app.test_client(), "li.na", "li.na-demo").get("/work?lang=zh").text
    offered = re.findall(r'<a class="new-order" href="([^"]+)">([^<]+)</a>', page)
    assert ("/orders/new/retail/retail-order/web", "零售订单 · 网站") in offered
    for url, _ in offered:
        assert log_in(app.test_client(), "li.na", "li.na-demo").get(url).status_code == 200, url
    reviewer = log_in(app.test_client(), "wang.qiang", "wang.qiang-demo").get("/work?lang=zh").text
    assert 'id="work-new"' not in reviewer


def test_a_claim_and_a_release_are_said_on_the_page_they_return_to_once(app: Flask) -> None:
    order_id = orders(app)["reviewing"]
    li = client(app, "li.si")
    claimed = li.post(f"/orders/{order_id}/claim?lang=en", data={"next": "/work"})
    assert claimed.status_code == 303
    work = li.get("/work?lang=en").get_data(as_text=True)
    assert f'role="status" id="done-1">Order #{order_id} claimed: you are handling it now.</p>' in work
    assert "claimed: you are handling" not in li.get("/work?lang=en").get_data(as_text=True)  # said once
    li.post(f"/orders/{order_id}/release", data={})
    page = li.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True)
    assert f"已放弃认领订单 #{order_id}：其他人可以认领。" in page
    wang = client(app, "wang.wu")
    wang.post(f"/orders/{order_id}/claim", data={})
    li.post(f"/orders/{order_id}/claim", data={"take_over": "wang.wu"})
    assert f"已接手订单 #{order_id}" in li.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True)
