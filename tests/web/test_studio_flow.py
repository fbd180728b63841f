"""The flow of a studio draft (web/studio_flow.py, and what it adds to the file, versions and console
pages): a rule file's cases edited, checked, saved and published in the studio and run by the console;
a draft discarded after a confirmation, or withdrawn from approval by its submitter; a rollback under
four eyes drafted and submitted in one step; and a draft approved only by an admin who wrote none of
its revisions, who sees what he approves. With the test client, over the shipped definitions."""

from __future__ import annotations

import re

from flask import Flask
from markupsafe import escape

from tests.web.conftest import REPO_ROOT, add_user
from tests.web.test_studio import EDIT, ORIGINAL, WORKFLOW, app, client, notice, save

__all__ = ["app"]  # the fixture, shared with tests/web/test_studio.py

CASES = "rules/retail/audit.cases.yaml"
RULES = "rules/retail/audit.yaml"
CASES_TEXT = (REPO_ROOT / CASES).read_text(encoding="utf-8")
RULES_TEXT = (REPO_ROOT / RULES).read_text(encoding="utf-8")
LABEL = ORIGINAL.replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1)


def html(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined,no-any-return]


def test_a_cases_file_is_listed_edited_checked_saved_and_published(app: Flask) -> None:
    c = client(app, "ma.li")
    listing = html(c.get("/studio/retail/"))
    rows = re.findall(r"<code>(rules/retail/audit[^<]*)</code></a></td>\s*<td[^>]*>([^<]*)</td>", listing)
    assert rows == [(CASES, "测试用例"), (RULES, "规则文件")]  # beside its rule file
    page = c.get(f"/studio/retail/files/{CASES}")
    assert page.status_code == 200
    assert 'data-kind="cases"' in html(page) and "studio-console-link" in html(page)

    # Checked as `orderloom rules test` checks it: a rule the rule file lacks, with its fix.
    wrong = CASES_TEXT.replace("rules: [blacklisted-mobile]}", "rules: [blacklisted-mobil]}", 1)
    body = {"kind": "cases", "department": "retail", "name": CASES, "text": wrong, "lang": "en"}
    answer = c.post("/studio/api/validate", json=body)
    assert answer.status_code == 200
    (problem,) = answer.get_json()["problems"]
    assert (problem["code"], problem["suggestion"], problem["line"]) == (
        "unknown-rule",
        "blacklisted-mobile",
        68,
    )
    assert "unknown rule 'blacklisted-mobil'" in problem["message"]
    mismatch = c.post("/studio/api/validate", json={**body, "kind": "rules"})
    assert mismatch.status_code == 400 and "is not a rules file" in mismatch.get_json()["error"]

    # Saved as a draft with its conflicts, then published as the department's text of the file.
    edited = CASES_TEXT.replace("普通订单，金额、地址、付款都正常，直接通过", "普通订单，直接通过", 1)
    assert "studio-notice" in html(save(c, edited, 0, CASES))
    other = client(app, "he.tao")
    assert save(other, edited + "# mine\n", 0, CASES).status_code == 409  # kept as a conflict
    published = c.post(
        f"/studio/retail/files/{CASES}", data={"action": "publish", "revision": 1, "note": "n"}
    )
    assert published.status_code == 200 and "已发布" in notice(published)
    assert app.extensions["orderloom"].studio.published_text(CASES) == edited
    versions = html(c.get(f"/studio/retail/cases/{CASES}"))
    assert (
        'id="cases-version-1"' in versions
        and "ma.li" in versions
        and str(escape("普通订单，直接通过")) in versions
    )
    assert (
        c.get(f"/studio/retail/cases/{RULES}").status_code == 404
    )  # a rule file's versions are its workflows'
    assert client(app, "xu.jie").get(f"/studio/retail/cases/{CASES}").status_code == 403
    assert [v.version for v in app.extensions["orderloom"].engine.versions("retail-order")] == [1]


def test_the_console_runs_the_draft_cases_against_the_draft_rule_file(app: Flask) -> None:
    c = client(app, "ma.li")
    renamed = RULES_TEXT.replace("name: blacklisted-mobile", "name: blocked-mobile", 1)
    save(c, renamed, 0, RULES)
    console = f"/studio/retail/rules/{RULES}"
    before = html(c.get(console))  # the published cases name a rule the draft renamed
    assert 'id="console-cases-problems"' in before and "blacklisted-mobile" in before
    save(c, CASES_TEXT.replace("blacklisted-mobile", "blocked-mobile"), 0, CASES)
    drafted = html(c.get(console))
    assert "运行的是用例的草稿（第 1 稿）" in drafted
    assert 'id="console-cases-problems"' not in drafted
    assert re.search(r'id="console-cases-summary">\d+ 个通过，0 个失败', drafted)
    published = html(c.get(console + "?cases=published"))
    assert "运行的是已发布的用例" in published and 'id="console-cases-problems"' in published


def test_a_draft_is_discarded_after_a_confirmation_and_its_revisions_stay(app: Flask) -> None:
    c = client(app, "ma.li")
    save(c, LABEL, 0)
    page = html(c.get(EDIT))
    assert 'id="studio-discard-link"' in page
    asked = html(c.get(f"/studio/retail/discard/{WORKFLOW}"))
    assert "放弃第 1 稿" in asked and 'id="studio-discard-confirm"' in asked and "等待付款" in asked
    assert app.extensions["orderloom"].studio.file("retail", WORKFLOW).changed  # asking discards nothing
    done = c.post(f"/studio/retail/discard/{WORKFLOW}", data={"revision": 1})
    assert done.status_code == 302
    after = html(c.get(EDIT))
    assert "草稿第 1 稿已放弃" in after and "等待付款" not in after.split('id="studio-history"')[0]
    revision = re.search(r'href="(/studio/retail/revisions/\d+/[^"]+)"', after)
    assert revision is not None and "等待付款" in html(c.get(revision.group(1)))
    assert "放弃草稿" in html(c.get("/studio/retail/"))
    again = c.post(f"/studio/retail/discard/{WORKFLOW}", data={"revision": 1})
    assert again.status_code == 409 and "没有可放弃的草稿" in html(again)
    assert c.post(f"/studio/retail/discard/{WORKFLOW}", data={"revision": "x"}).status_code == 400
    assert client(app, "xu.jie").get(f"/studio/retail/discard/{WORKFLOW}").status_code == 403


def test_a_submitted_draft_is_withdrawn_by_its_submitter_before_it_is_discarded(app: Flask) -> None:
    writer, other = client(app, "ma.li"), client(app, "he.tao")
    writer.post("/studio/retail/four-eyes", data={"on": "1"})
    save(writer, LABEL, 0)
    writer.post(EDIT, data={"action": "submit", "revision": 1, "note": "请审批"})
    refused = other.post(f"/studio/retail/discard/{WORKFLOW}", data={"revision": 1})
    assert refused.status_code == 409 and "须由提交者撤回后才能放弃" in html(refused)
    assert 'id="studio-withdraw"' not in html(other.get(EDIT))
    assert other.post(f"/studio/retail/withdraw/{WORKFLOW}", data={"revision": 1}).status_code == 409
    assert 'id="studio-withdraw"' in html(writer.get(EDIT))
    assert writer.post(f"/studio/retail/withdraw/{WORKFLOW}", data={"revision": 1}).status_code == 302
    assert writer.post(f"/studio/retail/discard/{WORKFLOW}", data={"revision": 1}).status_code == 302
    record = html(writer.get("/studio/retail/"))
    assert "撤回审批" in record and "放弃草稿" in record


def test_a_rollback_under_four_eyes_is_drafted_and_submitted_in_one_step(app: Flask) -> None:
    writer, approver = client(app, "ma.li"), client(app, "he.tao")
    save(writer, LABEL, 0)
    writer.post(EDIT, data={"action": "publish", "revision": 1, "note": "v2"})
    writer.post("/studio/retail/four-eyes", data={"on": "1"})
    posted = writer.post("/studio/retail/workflows/retail-order/rollback", data={"version": 1})
    assert posted.status_code == 302  # then the versions page, which a reload shows again
    done = writer.get(posted.headers["Location"])
    assert done.status_code == 200
    assert 'id="studio-rollback-submitted"' in html(done) and WORKFLOW in html(done)
    engine = app.extensions["orderloom"].engine
    assert [v.version for v in engine.versions("retail-order")] == [1, 2]
    mine = html(writer.get(EDIT))
    assert 'id="studio-awaiting"' in mine and 'id="studio-approve"' not in mine
    theirs = html(approver.get(EDIT))
    assert "此草稿是回滚" in theirs and "第 1 版" in theirs and 'id="studio-approve"' in theirs
    diff = re.search(r'id="studio-approval-diff">(.*?)</pre>', theirs, re.S)
    assert diff is not None and "等待付款" in diff.group(1) and "待支付" in diff.group(1)
    approved = approver.post(EDIT, data={"action": "publish", "revision": 2})
    assert "retail-order v3" in notice(approved)
    assert [v.version for v in engine.versions("retail-order")] == [1, 2, 3]
    assert "回滚到第 1 版，已提交审批" in html(writer.get("/studio/retail/"))


def test_an_approver_who_edits_a_submitted_draft_cannot_have_his_edit_approved_by_its_author(
    app: Flask,
) -> None:
    """The hole: he.tao edits ma.li's submitted draft and submits it; ma.li, its first author, may not
    approve it (she wrote revision 1), nor he (he wrote and submitted revision 2): a third admin does,
    seeing the diff against the published text."""
    add_user(app, "wang.wu", "wang-wu-password", ("admin",), ("retail",))
    ma, he, wang = client(app, "ma.li"), client(app, "he.tao"), client(app, "wang.wu")
    ma.post("/studio/retail/four-eyes", data={"on": "1"})
    save(ma, LABEL, 0)
    ma.post(EDIT, data={"action": "submit", "revision": 1})
    save(he, LABEL.replace("等待付款", "等候付款", 1), 1)
    he.post(EDIT, data={"action": "submit", "revision": 2})
    page = html(ma.get(EDIT))
    assert 'id="studio-approve"' not in page and "您编写了此草稿的第 1 稿" in page
    refused = ma.post(EDIT, data={"action": "publish", "revision": 2}, headers={"Accept-Language": "en"})
    assert refused.status_code == 409 and "you wrote revision(s) 1 of this draft" in html(refused)
    assert he.post(EDIT, data={"action": "publish", "revision": 2}).status_code == 409
    theirs = html(wang.get(EDIT))
    assert 'id="studio-approve"' in theirs
    diff = re.search(r'id="studio-approval-diff">(.*?)</pre>', theirs, re.S)
    assert diff is not None and "+" in diff.group(1) and "等候付款" in diff.group(1)
    assert "retail-order v2" in notice(wang.post(EDIT, data={"action": "publish", "revision": 2}))


def test_a_submitted_draft_is_shown_waiting_and_an_approver_sends_it_back_saying_why(app: Flask) -> None:
    ma, he = client(app, "ma.li"), client(app, "he.tao")
    ma.post("/studio/retail/four-eyes", data={"on": "1"})
    save(ma, LABEL, 0)
    ma.post(EDIT, data={"action": "submit", "revision": 1, "note": "新标签"})
    add_user(app, "root", "root-password", ("admin",), ("*",))
    index = html(client(app, "root").get("/studio/"))
    assert 'id="studio-waiting-retail">1 份待批准' in index and "studio-waiting-wholesale" not in index
    waiting = html(he.get("/studio/retail/")).split('id="studio-awaiting-list"')[1].split("</section>")[0]
    assert WORKFLOW in waiting and "由 ma.li 提交（第 1 稿" in waiting

    page = html(he.get(EDIT))
    assert 'id="studio-send-back"' in page and 'name="comment"' in page
    assert 'id="studio-send-back"' not in html(ma.get(EDIT))  # its submitter withdraws instead
    refused = he.post(f"/studio/retail/send-back/{WORKFLOW}", data={"revision": 1, "comment": "  "})
    assert refused.status_code == 409 and "请说明退回的原因" in html(refused)
    sent = he.post(f"/studio/retail/send-back/{WORKFLOW}", data={"revision": 1, "comment": "标签太长"})
    assert sent.status_code == 302
    view = app.extensions["orderloom"].studio.file("retail", WORKFLOW)
    assert view is not None and view.draft is not None and view.draft.status == "open"
    mine = html(ma.get(EDIT))
    assert 'id="studio-sent-back"' in mine and "退回了此草稿：标签太长" in mine
    assert "退回修改" in html(ma.get("/studio/retail/"))  # in the record
    assert "studio-awaiting-list" not in html(he.get("/studio/retail/"))

    # Submitted again, then saved by its writer: the save says it took the draft back from approval.
    ma.post(EDIT, data={"action": "submit", "revision": 1, "note": "新标签"})
    again = save(ma, LABEL + "# shorter\n", 1)
    assert "这次保存撤回了提交" in notice(again)


def test_a_rule_files_page_says_how_its_cases_fare_with_the_text_an_approver_reads(app: Flask) -> None:
    c = client(app, "ma.li")
    page = html(c.get(f"/studio/retail/files/{RULES}?lang=en"))
    state = page.split('id="studio-cases-state">')[1].split("</p>")[0]
    assert "passed, 0 failed." in state and 'class="notice" role="status" id="studio-cases-state"' in page
    raised = RULES_TEXT.replace("when: order.total > 5000", "when: order.total > 9000", 1)
    assert raised != RULES_TEXT
    save(c, raised, 0, RULES)
    page = html(c.get(f"/studio/retail/files/{RULES}?lang=en"))
    state = page.split('id="studio-cases-state">')[1].split("</p>")[0]
    assert "1 failed." in state and "Failing (mend the rules or the cases before publishing):" in state
    assert 'class="notice warn" role="status" id="studio-cases-state"' in page
    assert re.search(r"<code>[a-z0-9-]+</code>", state)  # the failing case, by its name
