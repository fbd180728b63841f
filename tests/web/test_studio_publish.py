"""Publishing from the studio's file page (web/studio.py) loses nothing and says everything once: the
note typed for a publish through checks, saves and refusals (and no used note on the next draft), an
approver's edit refused with the page rather than dropped, a refusal's problems listed once, and the
versions page's compare form shown once."""

from __future__ import annotations

import json
import re
from html import unescape

from flask import Flask
from flask.testing import FlaskClient

from engine.api.definitions import VersionMeta, bundle_sources, load_bundle
from tests.web.conftest import REPO_ROOT, add_user
from tests.web.test_studio import (
    EDIT,
    MISSPELT,
    ORIGINAL,
    app,  # noqa: F401 - the fixture of the studio's tests
    client,
    notice,
    save,
)

CHANGED = ORIGINAL.replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1)


def note_field(response: object) -> str | None:
    """The value of the publish note's field on the page (None: the page has no such field)."""
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    found = re.search(
        r'<input type="text" id="studio-note" name="note" maxlength="2000" value="([^"]*)"', html
    )
    return unescape(found.group(1)) if found else None


def editor_text(response: object) -> str:
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    found = re.search(r'<textarea id="studio-text"[^>]*>(.*?)</textarea>', html, re.S)
    assert found is not None
    return unescape(found.group(1))


def versions(flask_app: Flask, workflow: str = "retail-order") -> list[int]:
    return [v.version for v in flask_app.extensions["orderloom"].engine.versions(workflow)]


def test_the_note_typed_stays_through_check_save_and_refusal(app: Flask) -> None:  # noqa: F811
    c = client(app, "ma.li")
    save(c, CHANGED, 0)
    note = "改名 <待支付> & “说明”"
    checked = c.post(EDIT, data={"action": "check", "text": CHANGED, "revision": 1, "note": note})
    assert note_field(checked) == note
    saved = c.post(EDIT, data={"action": "save", "text": MISSPELT, "revision": 1, "note": note})
    assert "第 2 稿" in notice(saved) and note_field(saved) == note
    refused = c.post(EDIT, data={"action": "publish", "text": MISSPELT, "revision": 2, "note": note})
    assert refused.status_code == 409 and "草稿有 1 个错误" in refused.get_data(as_text=True)
    assert note_field(refused) == note and editor_text(refused) == MISSPELT
    conflict = c.post(EDIT, data={"action": "save", "text": CHANGED, "revision": 1, "note": note})
    assert conflict.status_code == 409 and note_field(conflict) == note


def test_a_draft_after_a_publish_starts_without_the_used_note(app: Flask) -> None:  # noqa: F811
    c = client(app, "ma.li")
    save(c, CHANGED, 0)
    published = c.post(EDIT, data={"action": "publish", "revision": 1, "note": "第二版说明"})
    assert "retail-order v2" in notice(published)
    again = save(c, CHANGED + "\n# next round\n", 1)
    assert note_field(again) == ""
    assert note_field(c.get(EDIT)) == ""
    assert app.extensions["orderloom"].studio.file("retail", "workflows/retail/order.yaml").draft.note is None


def test_an_approvers_edit_is_refused_with_the_page_never_dropped(app: Flask) -> None:  # noqa: F811
    writer, approver = client(app, "ma.li"), client(app, "he.tao")
    writer.post("/studio/retail/four-eyes", data={"on": "1"})
    save(writer, CHANGED, 0)
    writer.post(EDIT, data={"action": "submit", "text": CHANGED, "revision": 1, "note": "请审批"})
    edited = CHANGED.replace("label: {zh: 等待付款,", "label: {zh: 等候付款,", 1)
    refused = approver.post(EDIT, data={"action": "publish", "text": edited, "revision": 1, "note": "请审批"})
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "编辑器中的文本与提交审批的第 1 稿不同：未发布任何版本" in html
    assert editor_text(refused) == edited and note_field(refused) == "请审批"
    assert 'name="revision" value="1"' in html  # saved from here, the edit becomes revision 2
    assert versions(app) == [1]
    approver.set_cookie("lang", "en")
    english = approver.post(EDIT, data={"action": "publish", "text": edited, "revision": 1})
    assert "the text in the editor differs from revision 1, the one submitted for approval" in (
        english.get_data(as_text=True)
    )
    # His edit saved is a new draft, which needs a submission of its own (and another admin than him).
    assert "revision 2" in notice(save(approver, edited, 1))
    draft = app.extensions["orderloom"].studio.file("retail", "workflows/retail/order.yaml").draft
    assert draft.status == "open" and draft.text == edited
    # The submitted text as it is, approved: published, by an admin who wrote none of its revisions
    # (he wrote revision 2, so he approves none of this round).
    save(writer, CHANGED, 2)
    writer.post(EDIT, data={"action": "submit", "text": CHANGED, "revision": 3, "note": "请审批"})
    wrote = approver.post(EDIT, data={"action": "publish", "text": CHANGED, "revision": 3})
    assert wrote.status_code == 409 and "you wrote revision(s) 2 of this draft" in wrote.get_data(
        as_text=True
    )
    add_user(app, "wang.wu", "wang-wu-password", ("admin",), ("retail",))
    approved = client(app, "wang.wu").post(EDIT, data={"action": "publish", "text": CHANGED, "revision": 3})
    assert "retail-order v2" in notice(approved)


def test_publishing_with_an_unsaved_edit_is_refused_too(app: Flask) -> None:  # noqa: F811
    c = client(app, "ma.li")
    save(c, CHANGED, 0)
    refused = c.post(EDIT, data={"action": "publish", "text": CHANGED + "# more\n", "revision": 1})
    assert refused.status_code == 409
    assert "编辑器中的文本与已保存的第 1 稿不同" in refused.get_data(as_text=True)
    assert editor_text(refused) == CHANGED + "# more\n" and versions(app) == [1]


def test_a_refusal_lists_each_problem_once(app: Flask) -> None:  # noqa: F811
    """A form both retail workflows hold (the flash sale extends the retail order): what breaks them is
    met by each, and said once."""
    services = app.extensions["orderloom"]
    flash = load_bundle(
        REPO_ROOT / "workflows/retail/flash-sale.yaml", REPO_ROOT, action_names=services.registry.action_names
    )
    services.engine.publish(flash, meta=VersionMeta(sources=bundle_sources(flash, REPO_ROOT)))
    path = "forms/retail/delivery.json"
    form = json.loads((REPO_ROOT / path).read_text(encoding="utf-8"))
    del form["properties"]["delivered_at"]
    form["required"].remove("delivered_at")
    text = json.dumps(form, ensure_ascii=False, indent=2) + "\n"
    c = client(app, "ma.li")
    save(c, text, 0, path)
    refused = c.post(f"/studio/retail/files/{path}", data={"action": "publish", "text": text, "revision": 1})
    assert refused.status_code == 409
    box = refused.get_data(as_text=True).split('id="studio-refused"')[1].split("</div>")[0]
    listed = re.findall(r"<li>(.*?)</li>", box, re.S)
    # a shipment's deliver reads it in both conditions of its `when:`, and the form's UI file prefills it
    assert len(listed) == 3 and len(set(listed)) == 3
    prefilled = [item for item in listed if "delivery.ui.json" in item]
    assert len(prefilled) == 1
    listed = [item for item in listed if item not in prefilled]
    assert all("data.delivered_at" in item for item in listed)
    order = (REPO_ROOT / "workflows/retail/order.yaml").read_text(encoding="utf-8").splitlines()
    reading = [str(n) for n, line in enumerate(order, 1) if "data.delivered_at" in line]
    assert [re.findall(r"第 (\d+) 行", item) for item in listed] == [[n] for n in reading]


def test_the_versions_page_shows_the_compare_form_once(app: Flask) -> None:  # noqa: F811
    c: FlaskClient = client(app, "ma.li")
    save(c, CHANGED, 0)
    c.post(EDIT, data={"action": "publish", "revision": 1})
    page = c.get("/studio/retail/workflows/retail-order").get_data(as_text=True)
    assert page.count('id="studio-compare"') == 1 and page.count('id="compare-old"') == 1
