"""The studio (web/studio.py): a department's admins only, drafts with conflicts, the validate API,
publishing with a note, four eyes, rollback, and the record of it all; over the shipped definitions
(read, never written: drafts and published texts live in the database)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import insert

from engine.api import Actor
from engine.api.definitions import VersionMeta, bundle_sources, load_bundle
from engine.store import tables
from engine.store.studio import record_event
from tests.web.conftest import REPO_ROOT, add_user, log_in, make_app, settings_for
from tests.web.test_orders import STOCK, intake, key_of
from tests.web.test_studio_replay import _order

WORKFLOW = "workflows/retail/order.yaml"
FORM = "forms/retail/order.json"
EDIT = f"/studio/retail/files/{WORKFLOW}"
ORIGINAL = (REPO_ROOT / WORKFLOW).read_text(encoding="utf-8")
MISSPELT = ORIGINAL.replace("dest: paid", "dest: piad", 1)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(settings_for(tmp_path, REPO_ROOT, "studio-tests"))
    services = app.extensions["orderloom"]
    bundle = load_bundle(REPO_ROOT / WORKFLOW, REPO_ROOT, action_names=services.registry.action_names)
    services.engine.publish(bundle, meta=VersionMeta(sources=bundle_sources(bundle, REPO_ROOT)))
    add_user(app, "ma.li", "ma-li-password", ("admin",), ("retail",))
    add_user(app, "he.tao", "he-tao-password", ("admin",), ("retail",))
    add_user(app, "xu.jie", "xu-jie-password", ("admin",), ("wholesale",))
    add_user(app, "li.na", "li-na-password", ("clerk",), ("retail",))
    yield app
    services.close()


def client(app: Flask, name: str) -> FlaskClient:
    return log_in(app.test_client(), name, f"{name.replace('.', '-')}-password")


def notice(response: object) -> str:
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    found = re.search(r'id="studio-notice">([^<]*)<', html)
    return found.group(1) if found else ""


def save(c: FlaskClient, text: str, revision: int, path: str = WORKFLOW) -> object:
    return c.post(f"/studio/retail/files/{path}", data={"action": "save", "text": text, "revision": revision})


def test_only_the_departments_admins_see_its_studio(app: Flask) -> None:
    clerk = client(app, "li.na")
    assert clerk.get("/studio/").status_code == 404
    assert clerk.get("/studio/retail/").status_code == 403
    assert "studio-link" not in clerk.get("/").get_data(as_text=True)

    wholesale = client(app, "xu.jie")
    assert wholesale.get("/studio/").headers["Location"].endswith("/studio/wholesale/")
    assert wholesale.get("/studio/retail/").status_code == 403
    assert wholesale.get(EDIT).status_code == 403
    asked = {"kind": "workflow", "department": "retail", "name": WORKFLOW, "text": ORIGINAL}
    assert wholesale.post("/studio/api/validate", json=asked).status_code == 403
    assert save(wholesale, ORIGINAL, 0).status_code == 403  # type: ignore[attr-defined]

    retail = client(app, "ma.li")
    assert "studio-link" in retail.get("/").get_data(as_text=True)
    page = retail.get("/studio/retail/").get_data(as_text=True)
    assert WORKFLOW in page and FORM in page and "rules/retail/audit.yaml" in page
    assert "workflows/wholesale/order.yaml" not in page
    assert retail.get("/studio/retail/files/workflows/wholesale/order.yaml").status_code == 404
    assert retail.get("/studio/retail/files/../pyproject.toml").status_code == 404


def test_the_validate_api_places_each_problem_with_its_fix(app: Flask) -> None:
    c = client(app, "ma.li")
    answer = c.post(
        "/studio/api/validate",
        json={"kind": "workflow", "department": "retail", "name": WORKFLOW, "text": MISSPELT, "lang": "en"},
    )
    assert answer.status_code == 200
    (problem,) = answer.get_json()["problems"]
    line = MISSPELT.split("\n").index("    dest: piad") + 1
    assert problem["line"] == problem["end_line"] == line
    assert (problem["col"], problem["end_col"]) == (11, 15)  # "piad", the end exclusive
    assert problem["severity"] == "error" and problem["suggestion"] == "paid"
    assert "unknown state 'piad'" in problem["message"]  # the browser asks for no language: the body's

    clean = c.post(
        "/studio/api/validate",
        json={"kind": "workflow", "department": "retail", "name": WORKFLOW, "text": ORIGINAL},
    )
    assert clean.get_json() == {"problems": []}


def test_the_validate_api_answers_for_the_workflows_a_form_breaks(app: Flask) -> None:
    """A form change that breaks the workflow holding it is a problem of the form as it is typed, naming
    the workflow's file and line, placed at the field renamed."""
    c = client(app, "ma.li")
    form = (REPO_ROOT / "forms/retail/payment.json").read_text(encoding="utf-8")
    renamed = form.replace('"amount": {', '"paid_sum": {', 1)
    asked = {"kind": "form", "department": "retail", "name": "forms/retail/payment.json", "text": renamed}
    problems = c.post("/studio/api/validate", json={**asked, "lang": "en"}).get_json()["problems"]
    (guard,) = [p for p in problems if p["file"] == WORKFLOW]
    line = next(n for n, text in enumerate(ORIGINAL.split("\n"), 1) if "when: data.amount" in text)
    assert guard["file_line"] == line and f"{WORKFLOW}, line {line}" in guard["message"]
    at = next(n for n, text in enumerate(renamed.split("\n"), 1) if '"paid_sum"' in text)
    assert (guard["line"], guard["severity"]) == (at, "error")
    zh = c.post("/studio/api/validate", json={**asked, "lang": "zh"}).get_json()["problems"]
    assert any(f"{WORKFLOW} 第 {line} 行" in p["message"] for p in zh)
    own = c.post("/studio/api/validate", json={**asked, "text": form}).get_json()["problems"]
    assert own == []


def test_the_validate_api_words_problems_in_the_language_asked(app: Flask) -> None:
    """The body's ``lang``, else the page's language (the cookie, then Accept-Language)."""
    c = client(app, "ma.li")
    asked = {"kind": "workflow", "department": "retail", "name": WORKFLOW, "text": MISSPELT}
    (zh,) = c.post("/studio/api/validate", json={**asked, "lang": "zh"}).get_json()["problems"]
    (en,) = c.post("/studio/api/validate", json=asked, headers={"Accept-Language": "en"}).get_json()[
        "problems"
    ]
    assert zh["message"].endswith("；您是否想输入 'paid'？") and en["message"].endswith(
        "; did you mean 'paid'?"
    )
    assert zh["message"] != en["message"].replace("; did you mean 'paid'?", "；您是否想输入 'paid'？")
    c.set_cookie("lang", "en")
    (cookie,) = c.post("/studio/api/validate", json=asked).get_json()["problems"]
    assert cookie["message"] == en["message"]


@pytest.mark.parametrize(
    ("body", "error", "zh"),
    [
        ("not json", "JSON object", "JSON 对象"),
        (
            {"kind": "workflow", "department": "retail", "name": WORKFLOW},
            "'text' must be a string",
            "'text' 必须是文本",
        ),
        (
            {"kind": "flow", "department": "retail", "name": WORKFLOW, "text": ""},
            "'kind' must be one of",
            "'kind' 必须是",
        ),
        (
            {"kind": "form", "department": "retail", "name": WORKFLOW, "text": ""},
            "is not a form file",
            "不是本部门的 form 文件",
        ),
    ],
)
def test_the_validate_api_names_what_it_cannot_read(app: Flask, body: object, error: str, zh: str) -> None:
    c = client(app, "ma.li")
    for lang, expected in (("en", error), ("zh", zh)):
        if isinstance(body, str):
            answer = c.post(
                "/studio/api/validate",
                data=body,
                content_type="application/json",
                headers={"Accept-Language": lang},
            )
        else:
            answer = c.post("/studio/api/validate", json=body, headers={"Accept-Language": lang})
        assert answer.status_code == 400
        assert expected in answer.get_json()["error"]


def test_a_draft_is_checked_across_files_as_they_are_published(app: Flask) -> None:
    """A workflow naming a form that does not exist is a problem at its line; the department's draft of
    a file it names is what it is checked (and would be published) with."""
    c = client(app, "ma.li")
    named = ORIGINAL.replace("data: forms/retail/order.json", "data: forms/retail/ordr.json", 1)
    asked = {"kind": "workflow", "department": "retail", "name": WORKFLOW, "text": named}
    (problem,) = c.post("/studio/api/validate", json=asked).get_json()["problems"]
    assert problem["code"] == "missing-file"
    assert problem["line"] == named.split("\n").index("data: forms/retail/ordr.json") + 1
    save(c, "{", 0, FORM)  # a broken draft of the form the workflow names: published with it
    asked = {"kind": "workflow", "department": "retail", "name": WORKFLOW, "text": ORIGINAL}
    (broken,) = c.post("/studio/api/validate", json=asked).get_json()["problems"]
    assert broken["code"] == "bad-form" and FORM in broken["message"]


def test_without_scripts_check_lists_the_problems_with_their_lines(app: Flask) -> None:
    c = client(app, "ma.li")
    page = c.get(EDIT).get_data(as_text=True)
    assert 'class="studio-text"' in page and "<textarea" in page and "studio-check" in page
    checked = c.post(EDIT, data={"action": "check", "text": MISSPELT, "revision": 0}).get_data(as_text=True)
    line = MISSPELT.split("\n").index("    dest: piad") + 1
    assert f"第 {line} 行，第 11 列" in checked
    assert (
        "dest 中有未知的状态 &#39;piad&#39;；您是否想输入 &#39;paid&#39;？" in checked
    )  # the page's language
    english = c.post(EDIT + "?lang=en", data={"action": "check", "text": MISSPELT, "revision": 0})
    assert "unknown state &#39;piad&#39; in dest; did you mean &#39;paid&#39;?" in english.get_data(
        as_text=True
    )
    assert "piad" in checked  # the text typed is shown back, not lost


def test_two_admins_saving_the_same_draft_lose_nothing(app: Flask) -> None:
    first, second = client(app, "ma.li"), client(app, "he.tao")
    assert "第 1 稿" in notice(save(first, ORIGINAL + "\n# mine\n", 0))
    refused = save(second, ORIGINAL + "\n# theirs\n", 0)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    html = refused.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "# mine" in html and "# theirs" in html and "ma.li" in html
    # Saved from the conflict page (made from revision 1 now), the second admin's text is taken.
    assert 'name="revision" value="1"' in html
    assert "第 2 稿" in notice(save(second, ORIGINAL + "\n# merged\n", 1))
    history = app.extensions["orderloom"].studio.file("retail", WORKFLOW).history
    assert [(r.revision, r.author, r.outcome) for r in history] == [
        (2, "he.tao", "saved"),
        (1, "he.tao", "conflict"),
        (1, "ma.li", "saved"),
    ]
    assert "# theirs" in history[1].text


def test_a_check_keeps_the_revision_the_admin_started_from(app: Flask) -> None:
    """Checking without scripts shows the text back made from the same revision: a save after it from
    a text opened before another admin's save is still a conflict, never a silent overwrite."""
    first, second = client(app, "ma.li"), client(app, "he.tao")
    assert save(second, ORIGINAL + "# he.tao\n", 0).status_code == 200  # type: ignore[attr-defined]
    checked = first.post(EDIT, data={"action": "check", "text": ORIGINAL + "# ma.li\n", "revision": 0})
    kept = re.search(r'name="revision" value="(\d+)"', checked.get_data(as_text=True))
    assert kept is not None and kept.group(1) == "0"
    assert save(first, ORIGINAL + "# ma.li\n", int(kept.group(1))).status_code == 409  # type: ignore[attr-defined]


def test_the_conflict_page_marks_the_two_texts_against_each_other(app: Flask) -> None:
    first, second = client(app, "ma.li"), client(app, "he.tao")
    lines = ORIGINAL.splitlines()
    save(first, ORIGINAL.replace("initial: created", "initial: created  # mine", 1), 0)
    refused = save(second, ORIGINAL + "\n# theirs\n", 0)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    html = refused.get_data(as_text=True)  # type: ignore[attr-defined]
    at = lines.index("initial: created") + 1
    theirs = html.split('id="conflict-theirs"')[1].split("</pre>")[0]
    yours = html.split('id="conflict-yours"')[1].split("</pre>")[0]
    assert re.findall(r'<del data-line="(\d+)">([^<]*)\n</del>', theirs) == [
        (str(at), "initial: created  # mine")
    ]
    assert re.findall(r'<ins data-line="(\d+)">([^<]*)\n</ins>', yours) == [
        (str(at), "initial: created"),
        (str(len(lines) + 1), ""),
        (str(len(lines) + 2), "# theirs"),
    ]
    assert theirs.count("<span data-line=") == len(lines) - 1  # every other line, numbered, unmarked
    diff = html.split('id="conflict-diff"')[1].split("</pre>")[0]
    assert '<span class="del">-initial: created  # mine</span>' in diff
    assert '<span class="add">+# theirs</span>' in diff
    assert "已保存的草稿中有 1 行是您的文本没有的（标红），您的文本中有 3 行是它没有的（标绿）。" in html
    # The refused text stays in the editor, to be merged and saved over the revision it met.
    assert 'name="revision" value="1"' in html
    assert "# theirs\n</textarea>" in html

    same = save(second, ORIGINAL.replace("initial: created", "initial: created  # mine", 1), 0)
    page = same.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "两份文本内容相同" in page and 'id="conflict-diff"' not in page


def test_a_draft_with_errors_is_saved_but_not_published(app: Flask) -> None:
    c = client(app, "ma.li")
    saved = save(c, MISSPELT, 0)
    assert "1 个错误" in notice(saved)
    assert 'class="notice warn" role="status" id="studio-notice"' in saved.get_data(
        as_text=True
    )  # not a success
    refused = c.post(EDIT, data={"action": "publish", "revision": 1, "note": "try"})
    assert refused.status_code == 409
    assert "草稿有 1 个错误" in refused.get_data(as_text=True)
    assert [v.version for v in app.extensions["orderloom"].engine.versions("retail-order")] == [1]
    assert 'class="notice" role="status"' in save(c, ORIGINAL, 1).get_data(as_text=True)  # mended: a success


def test_a_change_that_leaves_the_workflow_as_it_is_keeps_its_version(app: Flask) -> None:
    c = client(app, "ma.li")
    save(c, ORIGINAL + "\n# a comment only\n", 0)
    published = c.post(EDIT, data={"action": "publish", "revision": 1, "note": "comment"})
    assert "零售订单 retail-order v1（未变）" in notice(published)


def test_publish_with_a_note_then_roll_back(app: Flask) -> None:
    c = client(app, "ma.li")
    changed = ORIGINAL.replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1)
    save(c, changed, 0)
    published = c.post(EDIT, data={"action": "publish", "revision": 1, "note": "加一行说明"})
    assert "retail-order v2" in notice(published)
    assert "flash-sale" not in notice(published)  # never published: not published as a side effect
    services = app.extensions["orderloom"]
    with services.store.read() as tx:
        v2 = tx.version("retail-order", 2)
        assert v2 is not None and v2.note == "加一行说明" and v2.published_by == "ma.li"
        assert tx.version_sources("retail-order", 2)[WORKFLOW] == changed
    # The published text is the file's text now: the next draft starts from it.
    assert services.studio.published_text(WORKFLOW) == changed
    versions = c.get("/studio/retail/workflows/retail-order").get_data(as_text=True)
    assert 'id="version-2"' in versions and "加一行说明" in versions

    asked = versions.split('id="rollback-1"')[1].split("</details>")[0]  # asked first, with a note
    assert "回滚到此版本…" in asked and "重新发布为第 3 版" in asked and 'name="note"' in asked
    done = c.post("/studio/retail/workflows/retail-order/rollback", data={"version": 1, "note": "退回旧标签"})
    assert done.status_code == 302
    shown = c.get(done.headers["Location"]).get_data(as_text=True)
    assert 'id="studio-rolled-back">已将第 1 版重新发布为第 3 版。' in shown and "退回旧标签" in shown
    numbers = [v.version for v in services.engine.versions("retail-order")]
    assert numbers == [1, 2, 3]
    with services.store.read() as tx:
        v1, v3 = tx.version("retail-order", 1), tx.version("retail-order", 3)
        assert v1 is not None and v3 is not None and v3.content_hash == v1.content_hash
    record = c.get("/studio/retail/").get_data(as_text=True)
    assert "v1 → v3" in record and "加一行说明" in record and "退回旧标签" in record


def test_the_department_page_says_how_many_running_orders_are_on_older_versions(app: Flask) -> None:
    services = app.extensions["orderloom"]
    with services.store.transaction() as tx:
        tx.add_stock({("XM-BAND8", "SH-01"): 5})
    clerk = Actor("li.na", frozenset({"clerk"}), frozenset({"retail"}))
    services.engine.create_order(clerk, "retail", "retail-order", "web", _order(239.0))
    c = client(app, "ma.li")
    save(c, ORIGINAL.replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1), 0)
    c.post(EDIT, data={"action": "publish", "revision": 1, "note": "v2"})
    page = c.get("/studio/retail/").get_data(as_text=True)
    row = page.split('id="studio-workflows"')[1].split("retail-order</code>")[1].split("</tr>")[0]
    assert re.search(
        r'<td class="num" data-label="[^"]+">2</td>', row
    )  # the newest, which no order runs on yet
    assert "1<br><span" in row and "其中 1 个在旧版本上" in row


def test_four_eyes_needs_another_admin(app: Flask) -> None:
    writer, approver = client(app, "ma.li"), client(app, "he.tao")
    writer.post("/studio/retail/four-eyes", data={"on": "1"})
    save(writer, ORIGINAL.replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1), 0)
    page = writer.get(EDIT).get_data(as_text=True)
    assert "studio-submit" in page and "studio-publish" not in page
    refused = writer.post(EDIT, data={"action": "publish", "revision": 1, "note": "skip"})
    assert refused.status_code == 409
    writer.post(EDIT, data={"action": "submit", "revision": 1, "note": "请审批"})
    self_approved = writer.post(EDIT, data={"action": "publish", "revision": 1})
    assert self_approved.status_code == 409
    assert "另一位管理员" in self_approved.get_data(as_text=True)
    approved = approver.post(EDIT, data={"action": "publish", "revision": 1})
    assert "retail-order v2" in notice(approved)
    with app.extensions["orderloom"].store.read() as tx:
        v2 = tx.version("retail-order", 2)
    assert v2 is not None
    assert (v2.drafted_by, v2.approved_by, v2.note) == ("ma.li", "he.tao", "请审批")


def test_the_diagram_follows_the_text_and_counts_the_orders(app: Flask) -> None:
    services = app.extensions["orderloom"]
    with services.store.engine.begin() as connection:
        rows = [{"sku": s, "warehouse": w, "on_hand": n, "reserved": 0} for s, w, n in STOCK]
        connection.execute(insert(tables.stock), rows)
    clerk = client(app, "li.na")
    new = "/orders/new/retail/retail-order/web"
    placed = clerk.post(new, data=intake(_key=key_of(clerk.get(new).get_data(as_text=True))))
    assert placed.status_code in (302, 303)
    c = client(app, "ma.li")
    asked = {"department": "retail", "name": WORKFLOW, "text": ORIGINAL}
    drawn = c.post("/studio/api/diagram", json=asked).get_json()["mermaid"]
    assert drawn.startswith("stateDiagram-v2") and "待支付" in drawn
    assert re.findall(r"^  s_(\w+) : (\d+) 个订单$", drawn, re.M) == [("pending_payment", "1")]
    grown = ORIGINAL.replace(
        "states:\n", "states:\n  on_hold_by_studio: {label: {zh: 暂停中, en: On hold}}\n", 1
    )
    assert "暂停中" in c.post("/studio/api/diagram", json={**asked, "text": grown}).get_json()["mermaid"]
    assert c.post("/studio/api/diagram", json={**asked, "text": "- not a mapping"}).get_json() == {
        "mermaid": None
    }
    assert c.post("/studio/api/diagram", json={"department": "retail"}).status_code == 400
    assert client(app, "xu.jie").post("/studio/api/diagram", json=asked).status_code == 403
    page = c.get(EDIT)
    assert 'class="studio-diagram"' in page.get_data(as_text=True)
    assert "style-src-attr 'unsafe-inline'" in page.headers["Content-Security-Policy"]
    form_page = c.get(f"/studio/retail/files/{FORM}")
    assert "studio-diagram" not in form_page.get_data(as_text=True)
    assert "unsafe-inline" not in form_page.headers["Content-Security-Policy"]


def test_two_versions_compared_part_by_part_and_line_by_line(app: Flask) -> None:
    c = client(app, "ma.li")
    changed = ORIGINAL.replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1)
    save(c, changed, 0)
    c.post(EDIT, data={"action": "publish", "revision": 1, "note": "改名"})
    versions = c.get("/studio/retail/workflows/retail-order").get_data(as_text=True)
    assert 'id="studio-compare"' in versions
    page = c.get("/studio/retail/workflows/retail-order/compare?old=1&new=2")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="changes-states"' in html and "pending_payment" in html
    assert "-    label: {zh: 待支付," in html and "+    label: {zh: 等待付款," in html
    assert c.get("/studio/retail/workflows/retail-order/compare?old=1&new=9").status_code == 404
    assert c.get("/studio/retail/workflows/retail-order/compare?old=x&new=2").status_code == 400
    assert (
        client(app, "xu.jie").get("/studio/retail/workflows/retail-order/compare?old=1&new=2").status_code
        == 403
    )


def test_with_four_eyes_one_admin_neither_publishes_a_rollback_nor_turns_it_off(app: Flask) -> None:
    c = client(app, "ma.li")
    save(c, ORIGINAL.replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1), 0)
    c.post(EDIT, data={"action": "publish", "revision": 1, "note": "v2"})
    asked = c.get("/studio/retail/").get_data(as_text=True).split('id="four-eyes-confirm"')[1]
    assert "每次发布和回滚都要先提交" in asked and "您本人不能" in asked.split("</details>")[0]
    c.post("/studio/retail/four-eyes", data={"on": "1"})
    posted = c.post("/studio/retail/workflows/retail-order/rollback", data={"version": 1})
    submitted = c.get(posted.headers["Location"])
    assert posted.status_code == 302 and "另一位管理员批准后发布" in submitted.get_data(as_text=True)
    assert [v.version for v in app.extensions["orderloom"].engine.versions("retail-order")] == [1, 2]
    off = c.post("/studio/retail/four-eyes", data={"on": "0"})
    assert off.status_code == 409 and "系统管理员" in off.get_data(as_text=True)
    assert app.extensions["orderloom"].studio.four_eyes("retail")
    record = c.get("/studio/retail/").get_data(as_text=True)
    assert "更改四眼原则：开启" in record
    # The page offers her no button that would refuse her: it says who turns it off.
    assert 'id="four-eyes-toggle"' not in record and 'id="four-eyes-who"' in record
    assert c.post("/studio/retail/workflows/retail-order/rollback", data={"version": 9}).status_code == 404
    title = re.search(
        r"<title>(.*?)</title>", c.get("/studio/retail/workflows/retail-order").get_data(as_text=True), re.S
    )
    assert title is not None and "<" not in title.group(1)


def test_the_record_pages_back_to_its_first_entry_and_forward_again(app: Flask) -> None:
    """A long history is read 30 entries a page, newest first: "older" down to the first entry, "newer"
    and "newest" back; an address naming no page is a 404."""
    services = app.extensions["orderloom"]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with services.store.transaction() as tx:
        for i in range(70):
            at = start + timedelta(minutes=i)
            record_event(tx, department="retail", at=at, actor="ma.li", action="save", subject=f"file-{i:02}")
            record_event(tx, department="wholesale", at=at, actor="xu.jie", action="save", subject=f"w-{i}")
    c = client(app, "ma.li")

    def subjects(html: str) -> list[str]:
        return re.findall(r"<code>(file-\d\d)</code>", html)

    def link(html: str, name: str) -> str | None:
        found = re.search(rf'<a href="([^"]+)" id="studio-events-{name}"', html)
        return found.group(1).replace("&amp;", "&") if found else None

    page = c.get("/studio/retail/").get_data(as_text=True)
    assert subjects(page) == [f"file-{i:02}" for i in range(69, 39, -1)]
    assert link(page, "newer") is None and link(page, "newest") is None
    seen: list[str] = subjects(page)
    older = link(page, "older")
    while older is not None:
        page = c.get(older).get_data(as_text=True)
        seen += subjects(page)
        assert link(page, "newer") is not None and link(page, "newest") is not None
        older = link(page, "older")
    assert seen == [f"file-{i:02}" for i in range(69, -1, -1)]  # each entry once, none of wholesale
    assert subjects(page) == [f"file-{i:02}" for i in range(9, -1, -1)]
    newer = link(page, "newer")
    assert newer is not None
    assert subjects(c.get(newer).get_data(as_text=True)) == [f"file-{i:02}" for i in range(39, 9, -1)]
    assert "studio-events-pages" in page and 'aria-label="操作记录的分页"' in page

    for bad in ("before=abc", "before=0", "after=-1", "before=99999999999999999999"):
        assert c.get(f"/studio/retail/?{bad}").status_code == 404, bad


def test_a_text_over_the_definition_limit_is_refused_with_the_page_and_kept(app: Flask) -> None:
    """1.5 MB pasted into a workflow (in Chinese: 4.5 MB once percent-encoded) and saved from the form,
    which posts multipart: the page again, saying the size and the limit, the text in the editor, and
    nothing saved. A text just within the limit, larger than a form field may be by default, saves."""
    c = client(app, "ma.li")
    head = ORIGINAL + "# " + "长" * 490_000
    pasted = head + "x" * (1_499_999 - len(head.encode("utf-8"))) + "\n"
    size = len(pasted.encode("utf-8"))
    assert size == 1_500_000
    refused = c.post(
        EDIT, data={"action": "save", "text": pasted, "revision": "0"}, content_type="multipart/form-data"
    )
    assert refused.status_code == 413
    html = refused.get_data(as_text=True)
    said = re.search(r'id="studio-refused"><p>([^<]*)<', html)
    assert said is not None
    assert (
        "文本为 1,500,000 字节（1.5 MB），而定义文件最多 1,000,000 字节（1 MB）：未保存任何内容"
        in said.group(1)
    )
    assert f"{escape(pasted)}</textarea>" in html  # the text kept in the page, to shorten
    assert 'name="revision" value="0"' in html
    studio = app.extensions["orderloom"].studio
    assert studio.file("retail", WORKFLOW).draft is None and studio.events("retail") == []
    english = c.post(
        f"{EDIT}?lang=en",
        data={"action": "save", "text": pasted, "revision": "0"},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "the text is 1,500,000 bytes (1.5 MB); a definition file may be at most 1,000,000 bytes" in english

    within = ORIGINAL + "# " + "长" * (300_000 - len(ORIGINAL.encode("utf-8")) // 3) + "\n"
    assert 600_000 < len(within.encode("utf-8")) <= 1_000_000
    saved = c.post(
        EDIT, data={"action": "save", "text": within, "revision": "0"}, content_type="multipart/form-data"
    )
    assert saved.status_code == 200 and "Draft saved (revision 1)" in notice(
        saved
    )  # the page is in English now
    assert studio.file("retail", WORKFLOW).draft.text == within


def test_a_request_past_the_studios_own_limit_says_so_and_saves_nothing(app: Flask) -> None:
    c = client(app, "ma.li")
    huge = "x" * (8_000_000 + 1)
    refused = c.post(
        EDIT, data={"action": "save", "text": huge, "revision": "0"}, content_type="multipart/form-data"
    )
    assert refused.status_code == 413
    html = refused.get_data(as_text=True)
    assert "超过了工作室一次请求的上限 8,000,000 字节（8 MB）（定义文件最多 1,000,000 字节（1 MB））" in html
    assert app.extensions["orderloom"].studio.file("retail", WORKFLOW).draft is None
    # Anyone but an admin keeps the app's own limit.
    assert client(app, "li.na").post(EDIT, data={"text": "x" * 3_000_000}).status_code == 413


def note_of(response: object) -> str | None:
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    found = re.search(r'id="studio-note" name="note" maxlength="2000" value="([^"]*)"', html)
    return None if found is None else found.group(1)


def test_the_note_typed_for_the_publish_is_kept_with_the_draft(app: Flask) -> None:
    """Saved with the draft: a reload, another admin and the approver find it; a publish refused keeps
    the note typed for it too."""
    ma = client(app, "ma.li")
    assert save(ma, MISSPELT, 0).status_code == 200  # type: ignore[attr-defined]
    note = "改名 <待支付> & paid"
    saved = ma.post(EDIT, data={"action": "save", "text": MISSPELT, "revision": 1, "note": note})
    assert saved.status_code == 200 and note_of(saved) == str(escape(note))
    assert note_of(ma.get(EDIT)) == str(escape(note))  # the reload
    assert note_of(client(app, "he.tao").get(EDIT)) == str(escape(note))  # another browser, another admin
    refused = ma.post(EDIT, data={"action": "publish", "text": MISSPELT, "revision": 2, "note": "second"})
    assert refused.status_code == 409 and note_of(ma.get(EDIT)) == "second"  # the draft has an error

    ma.post("/studio/retail/four-eyes", data={"on": "1"})
    ma.post(EDIT, data={"action": "save", "text": ORIGINAL + "# ok\n", "revision": 2, "note": "for he.tao"})
    assert ma.post(EDIT, data={"action": "submit", "revision": 3, "note": "for he.tao"}).status_code == 200
    approver = client(app, "he.tao").get(EDIT)
    assert note_of(approver) == "for he.tao" and 'id="studio-approve"' in approver.get_data(as_text=True)


def test_without_scripts_each_problem_links_to_its_line_in_a_numbered_listing(app: Flask) -> None:
    c = client(app, "ma.li")
    page = c.post(EDIT, data={"action": "check", "text": MISSPELT, "revision": 0}).get_data(as_text=True)
    line = MISSPELT.split("\n").index("    dest: piad") + 1
    assert f'<a href="#studio-line-{line}" data-line="{line}" data-col="11">' in page
    listing = re.search(r'<pre class="source lines" id="studio-listing">(.*?)</pre>', page, re.S)
    assert listing is not None
    numbered = r'<span id="studio-line-(\d+)" data-line="\1"( class="marked")?>(.*?)\n</span>'
    spans = re.findall(numbered, listing[1])
    assert [text for _, _, text in spans] == [str(escape(t)) for t in MISSPELT.split("\n")]
    assert [int(n) for n, marked, _ in spans if marked] == [line]
    assert "<noscript>" in page and '<details class="studio-listing" id="studio-listing-box">' in page  # long


OVERLAY = "workflows/retail/flash-sale.yaml"


def test_a_rename_the_overlay_needs_is_published_with_the_overlays_draft(app: Flask) -> None:
    """Renaming a state the flash-sale overlay removes: refused while the overlay has no draft, the page
    naming the file that must change and linking to it; with its draft, the page says before the
    publish that the overlay's draft goes with it, and one publish publishes both."""
    services = app.extensions["orderloom"]
    overlay_bundle = load_bundle(REPO_ROOT / OVERLAY, REPO_ROOT, action_names=services.registry.action_names)
    services.engine.publish(
        overlay_bundle, meta=VersionMeta(sources=bundle_sources(overlay_bundle, REPO_ROOT))
    )
    c = client(app, "ma.li")
    renamed = ORIGINAL.replace("on_hold", "held")
    save(c, renamed, 0)
    refused = c.post(EDIT + "?lang=en", data={"action": "publish", "revision": 1, "note": "rename"})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert 'id="studio-must-change"' in page and f'href="/studio/retail/files/{OVERLAY}"' in page
    assert f"This change needs {OVERLAY} to change too" in page
    zh = c.post(EDIT + "?lang=zh", data={"action": "publish", "revision": 1}).get_data(as_text=True)
    assert f"此修改需要 {OVERLAY} 一并修改" in zh
    assert [v.version for v in services.engine.versions("retail-order")] == [1]

    overlay = (REPO_ROOT / OVERLAY).read_text(encoding="utf-8")
    save(c, overlay.replace("on_hold", "held"), 0, OVERLAY)
    before = c.get(EDIT + "?lang=en").get_data(as_text=True)
    assert 'id="studio-together"' in before and f"Publishing {WORKFLOW} publishes with it" in before
    assert (
        f'href="/studio/retail/files/{OVERLAY}"><code>{OVERLAY}</code></a> (revision 1, saved by ma.li)'
        in before
    )
    published = c.post(EDIT + "?lang=en", data={"action": "publish", "revision": 1, "note": "rename"})
    assert published.status_code == 200
    assert "retail-order v2" in notice(published) and f"published with it: {OVERLAY}" in notice(published)
    assert services.studio.published_text(OVERLAY) == overlay.replace("on_hold", "held")
    with services.store.read() as tx:
        assert tx.version("retail-order", 2).note == "rename"  # type: ignore[union-attr]


def test_the_workflow_page_links_to_what_an_admin_does_with_it_and_every_link_works(app: Flask) -> None:
    c = client(app, "ma.li")
    page = c.get("/studio/retail/workflows/retail-order?lang=en").get_data(as_text=True)
    links = page.split('id="studio-workflow-links"')[1].split("</nav>")[0]
    hrefs = re.findall(r'href="([^"#]+)(?:#[^"]*)?"', links)
    assert f"/studio/retail/files/{WORKFLOW}" in hrefs and f"/studio/retail/replay/{WORKFLOW}" in hrefs
    assert "Edit its definition" in links and "State diagram" in links
    assert "/studio/retail/rules/rules/retail/audit.yaml" in hrefs  # its rule files' consoles
    assert "One version so far" in links  # nothing to compare yet
    for href in hrefs:
        assert c.get(href).status_code == 200, href
    assert 'id="diagram-heading"' in c.get(f"/studio/retail/files/{WORKFLOW}").get_data(as_text=True)
    save(c, ORIGINAL.replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1), 0)
    c.post(EDIT, data={"action": "publish", "revision": 1, "note": "v2"})
    page = c.get("/studio/retail/workflows/retail-order?lang=zh").get_data(as_text=True)
    links = page.split('id="studio-workflow-links"')[1].split("</nav>")[0]
    assert 'href="#studio-compare"' in links and 'id="studio-compare"' in page and "编辑流程定义" in links
