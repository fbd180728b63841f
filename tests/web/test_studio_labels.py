"""The studio's pages name workflows by their titles and people by their display names
(web/studio_labels.py, studio/_labels.html): the department page, its record, the versions, the draft's
history and its revisions, an approval waiting, in zh and en; the login only where two people share a
display name, the workflow's name small beside its title."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.api.definitions import VersionMeta, bundle_sources, load_bundle
from tests.web.conftest import REPO_ROOT, log_in, make_app, settings_for
from web.users import create_user

WORKFLOW = "workflows/retail/order.yaml"
EDIT = f"/studio/retail/files/{WORKFLOW}"
ORIGINAL = (REPO_ROOT / WORKFLOW).read_text(encoding="utf-8")
PEOPLE = {"ma.li": "李马", "he.tao": "何涛", "wang.fang": "王芳", "wang.fang2": "王芳"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(settings_for(tmp_path, REPO_ROOT, "studio-label-tests"))
    services = app.extensions["orderloom"]
    bundle = load_bundle(REPO_ROOT / WORKFLOW, REPO_ROOT, action_names=services.registry.action_names)
    services.engine.publish(bundle, meta=VersionMeta(sources=bundle_sources(bundle, REPO_ROOT)))
    for name, shown in PEOPLE.items():
        create_user(
            services.store,
            name=name,
            password=f"{name}-password",
            roles=("admin",),
            departments=("retail",),
            at=datetime.now(UTC),
            display_name=shown,
        )
    yield app
    services.close()


def client(app: Flask, name: str, lang: str = "zh") -> FlaskClient:
    c = log_in(app.test_client(), name, f"{name}-password")
    c.set_cookie("lang", lang)
    return c


def text_of(html: str, element_id: str) -> str:
    """The words of the element ``element_id`` as a reader sees them (tags dropped, blanks folded)."""
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(table|p|h1)>', html, re.S)
    assert found, element_id
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def save(c: FlaskClient, text: str, revision: int) -> None:
    assert c.post(EDIT, data={"action": "save", "text": text, "revision": revision}).status_code == 200


def publish(c: FlaskClient, text: str, revision: int, note: str) -> None:
    assert c.post(EDIT, data={"action": "save", "text": text, "revision": revision}).status_code == 200
    assert c.post(EDIT, data={"action": "publish", "revision": revision + 1, "note": note}).status_code == 200


def test_the_department_page_names_workflows_by_title_and_people_by_display_name(app: Flask) -> None:
    title = "title: {zh: 零售订单, en: Retail order}"
    changed = ORIGINAL.replace(title, "title: {zh: 门店订单, en: Shop order}", 1)
    publish(client(app, "ma.li"), changed, 0, "second")

    zh = client(app, "he.tao").get("/studio/retail/").get_data(as_text=True)
    workflows = text_of(zh, "studio-workflows")
    assert "门店订单 retail-order" in workflows  # the title, the name small beside it
    assert "李马" in workflows and "ma.li" not in workflows
    record = text_of(zh, "studio-events")
    assert "李马" in record and "ma.li" not in record
    assert "门店订单 retail-order v2" in record

    en = client(app, "he.tao", "en").get("/studio/retail/").get_data(as_text=True)
    assert "Shop order retail-order" in text_of(en, "studio-workflows")

    versions = client(app, "he.tao", "en").get("/studio/retail/workflows/retail-order").get_data(as_text=True)
    assert "Shop order" in text_of(versions, "studio-versions-heading")
    rows = text_of(versions, "studio-versions")
    assert "李马" in rows and "ma.li" not in rows


def test_people_who_share_a_display_name_are_told_apart_by_their_logins(app: Flask) -> None:
    first = client(app, "wang.fang")
    save(first, ORIGINAL + "\n# 1\n", 0)
    save(client(app, "wang.fang2"), ORIGINAL + "\n# 2\n", 1)

    page = client(app, "ma.li").get(EDIT).get_data(as_text=True)
    history = text_of(page, "studio-history")
    assert "王芳 (wang.fang)" in history and "王芳 (wang.fang2)" in history
    # the draft's status line names its last author so too
    assert "王芳 (wang.fang2)" in page

    revision = re.search(r'href="(/studio/retail/revisions/\d+/[^"]+)"', page)
    assert revision
    meta = text_of(client(app, "ma.li").get(revision.group(1)).get_data(as_text=True), "studio-revision-meta")
    assert meta.startswith("王芳 (wang.fang")


def test_an_approval_waiting_names_who_submitted_it(app: Flask) -> None:
    ma = client(app, "ma.li")
    assert ma.post("/studio/retail/four-eyes", data={"on": "1"}).status_code == 302
    save(ma, ORIGINAL + "\n# x\n", 0)
    assert ma.post(EDIT, data={"action": "submit", "revision": 1, "note": "n"}).status_code == 200

    files = text_of(client(app, "he.tao").get("/studio/retail/").get_data(as_text=True), "studio-files")
    assert "李马" in files and "ma.li" not in files


def test_the_compare_page_words_states_and_transitions_for_a_person(app: Flask) -> None:
    changed = ORIGINAL.replace(
        "- after: 30m\n        trigger: cancel", "- after: 45m\n        trigger: cancel", 1
    )
    assert changed != ORIGINAL
    publish(client(app, "ma.li"), changed, 0, "longer")
    address = "/studio/retail/workflows/retail-order/compare?old=1&new=2"

    zh = client(app, "ma.li").get(address).get_data(as_text=True)
    states = text_of(zh, "changes-states")
    assert "待支付 pending_payment" in states
    assert "计时器：30 分钟后 取消" in states and "计时器：45 分钟后 取消" in states
    assert "after 30m" not in states
    transitions = text_of(zh, "changes-transitions")
    assert "取消：从 待支付" in transitions and "在 待支付 45 分钟后" in transitions

    en = text_of(client(app, "ma.li", "en").get(address).get_data(as_text=True), "changes-transitions")
    assert "Cancel: from Pending payment" in en and "after 45 minutes in Pending payment" in en


def test_the_compare_page_lists_a_record_kinds_step_changed(app: Flask) -> None:
    deliver = "form: forms/retail/delivery.json"
    assert ORIGINAL.count("roles: [warehouse, service]\n        " + deliver) == 1
    changed = ORIGINAL.replace(
        "roles: [warehouse, service]\n        " + deliver, "roles: [warehouse]\n        " + deliver
    )
    publish(client(app, "ma.li"), changed, 0, "only the warehouse delivers")
    address = "/studio/retail/workflows/retail-order/compare?old=1&new=2"
    zh = text_of(client(app, "ma.li").get(address).get_data(as_text=True), "changes-records")
    assert "记录流转" in zh and "发货单：签收：从 已发货" in zh and "shipment.deliver from shipped" in zh
    en = text_of(client(app, "ma.li", "en").get(address).get_data(as_text=True), "changes-records")
    assert "Shipment: Deliver: from Shipped" in en and "Roles: Warehouse" in en
