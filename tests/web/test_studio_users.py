"""The users and roles of a department in the studio (web/studio_users.py): its admins only; add a user
who then logs in, deactivate (their sessions end, no login), reactivate, change roles (others kept),
reset a password (sessions end); every bad input beside its field, in zh and en, with nothing written;
no admin deactivating or demoting themselves, no department left without an admin; a user of every
department shown, not changed; CSRF; each change in the studio's record, on its pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from engine.api.accounts import find_user, list_users, user_email
from engine.api.definitions import load_bundle
from tests.web.conftest import (
    REPO_ROOT,
    LiveServer,
    add_user,
    log_in,
    log_in_page,
    make_app,
    serve,
    settings_for,
)

USERS = "/studio/retail/users"
RETAIL_ROLES = [
    "admin",
    "clerk",
    "purchaser",
    "reviewer",
    "service",
    "warehouse",
]  # workflows/retail/order.yaml, admin, and the stock pages' purchaser and warehouse


def build(tmp_path: Path) -> Flask:
    app = make_app(settings_for(tmp_path, REPO_ROOT, "studio-users-tests"))
    services = app.extensions["orderloom"]
    for workflow in ("workflows/retail/order.yaml", "workflows/wholesale/order.yaml"):
        services.engine.publish(
            load_bundle(REPO_ROOT / workflow, REPO_ROOT, action_names=services.registry.action_names)
        )
    add_user(app, "ma.li", "ma-li-password", ("admin",), ("retail",))
    add_user(app, "he.tao", "he-tao-password", ("admin",), ("retail",))
    add_user(app, "xu.jie", "xu-jie-password", ("admin",), ("wholesale",))
    add_user(app, "li.na", "li-na-password", ("clerk",), ("retail",))
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = build(tmp_path)
    yield app
    app.extensions["orderloom"].close()


def client(app: Flask, name: str, password: str | None = None) -> FlaskClient:
    """A client logged in as ``name``, reading the pages in English (``?lang=zh`` switches)."""
    c = log_in(app.test_client(), name, password or f"{name.replace('.', '-')}-password")
    c.get("/?lang=en")
    return c


def html(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined,no-any-return]


def beside(page: str, element_id: str) -> str:
    """The text of the problem shown with the id ``element_id`` (beside its field)."""
    found = re.search(rf'id="{element_id}" role="alert">([^<]*)<', page)
    assert found is not None, f"no #{element_id} on the page"
    return unescape(found.group(1))


def can_log_in(app: Flask, name: str, password: str) -> bool:
    c = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html(c.get("/login")))
    assert token is not None
    answer = c.post("/login", data={"name": name, "password": password, "csrf_token": token.group(1)})
    return answer.status_code == 302


def add(c: FlaskClient, **fields: object) -> object:
    data: dict[str, object] = {
        "name": "zhao.lei",
        "display_name": "赵雷",
        "roles": ["clerk", "reviewer"],
        "password": "zhao-lei-password",
        "password_again": "zhao-lei-password",
    }
    data.update(fields)
    return c.post(USERS, data=data)


def record(app: Flask) -> str:
    """The record as the department's studio page shows it."""
    return html(client(app, "he.tao").get("/studio/retail/"))


def test_only_the_departments_admins_see_its_users_and_only_its_users(app: Flask) -> None:
    clerk = client(app, "li.na")
    assert clerk.get(USERS).status_code == 403
    assert add(clerk).status_code == 403

    wholesale = client(app, "xu.jie")
    assert wholesale.get(USERS).status_code == 403
    assert wholesale.get(f"{USERS}/li.na").status_code == 403
    assert add(wholesale).status_code == 403
    assert wholesale.post(f"{USERS}/li.na/active", data={"active": "0"}).status_code == 403
    assert wholesale.get("/studio/wholesale/users/li.na").status_code == 404  # a user of another department

    retail = client(app, "ma.li")
    assert 'id="studio-users-link"' in html(retail.get("/studio/retail/"))
    page = html(retail.get(USERS))
    listed = re.findall(r'<tr data-user="([^"]+)"', page)
    assert listed == ["he.tao", "li.na", "ma.li", "tester"]  # xu.jie is wholesale's
    assert retail.get(f"{USERS}/xu.jie").status_code == 404
    assert retail.post(f"{USERS}/xu.jie/roles", data={"roles": ["clerk"]}).status_code == 404
    assert retail.post(f"{USERS}/nobody/password", data={"password": "x" * 9}).status_code == 404
    assert "roles-global" in page  # the page says roles are the user's, in every department
    offered = re.findall(r'name="roles" value="([^"]+)"', page)
    assert offered == RETAIL_ROLES


def test_an_admin_adds_a_user_who_logs_in_with_the_roles_chosen(app: Flask) -> None:
    c = client(app, "ma.li")
    answer = add(c)
    assert answer.status_code == 303  # type: ignore[attr-defined]
    shown = html(c.get(answer.headers["Location"]))  # type: ignore[attr-defined]
    assert "User zhao.lei added." in shown and '<tr data-user="zhao.lei"' in shown
    row = find_user(app.extensions["orderloom"].store, "zhao.lei")
    assert row is not None
    assert (row.display_name, row.roles, row.departments, row.active) == (
        "赵雷",
        ("clerk", "reviewer"),
        ("retail",),
        True,
    )
    assert row.password_hash.startswith("$argon2id$")
    assert can_log_in(app, "zhao.lei", "zhao-lei-password")
    home = html(client(app, "zhao.lei").get("/"))
    assert "赵雷" in home
    assert "ma.li" in record(app) and "added the user: Clerk, Reviewer" in record(app)
    in_chinese = html(client(app, "he.tao").get("/studio/retail/?lang=zh"))
    assert "添加用户: 订单专员、审核员" in in_chinese  # roles by their names, not their codes


@pytest.mark.parametrize(
    ("fields", "field_id", "en", "zh"),
    [
        ({"name": "li.na"}, "user-name-error", "the user name li.na is taken", "用户名 li.na 已被使用"),
        (
            {"name": "LI.NA"},
            "user-name-error",
            "there is a user li.na: LI.NA differs from it only in case",
            "已有用户 li.na，与 LI.NA 只差大小写",
        ),
        ({"name": ""}, "user-name-error", "a user name is needed", "请填写用户名"),
        (
            {"name": "zhao lei"},
            "user-name-error",
            "a user name has 1 to 100 characters",
            "用户名为 1 到 100 个字符",
        ),
        (
            {"password": "short", "password_again": "short"},
            "user-password-error",
            "a password needs at least 8 characters",
            "密码至少需要 8 个字符",
        ),
        (
            {"password_again": "zhao-lei-passwort"},
            "user-password-again-error",
            "the two passwords are not the same",
            "两次输入的密码不一致",
        ),
        ({"roles": ["clark"]}, "user-roles-error", "declares the role clark; did you mean 'clerk'?", "clerk"),
        ({"roles": ["sales"]}, "user-roles-error", "no published workflow of this department", "sales"),
        ({"roles": []}, "user-roles-error", "choose at least one role", "请至少选择一个角色"),
        (
            {"display_name": "x" * 201},
            "user-display-name-error",
            "a display name has at most 200",
            "显示名称最多 200",
        ),
    ],
)
def test_a_bad_new_user_is_refused_beside_its_field_in_both_languages_with_nothing_written(
    app: Flask, fields: dict[str, object], field_id: str, en: str, zh: str
) -> None:
    c = client(app, "ma.li")
    answer = add(c, **fields)
    assert answer.status_code == 422  # type: ignore[attr-defined]
    page = html(answer)
    assert en in beside(page, field_id)
    assert f'aria-describedby="{field_id}"' in page and 'aria-invalid="true"' in page
    assert "Nothing was saved" in page
    kept = fields.get("display_name", "赵雷")
    assert f'value="{kept}"' in page  # what was typed is kept, but no password
    assert "zhao-lei-password" not in page
    c.get(f"{USERS}?lang=zh")
    assert zh in beside(html(add(c, **fields)), field_id)
    names = [u.name for u in list_users(app.extensions["orderloom"].store)]
    assert "zhao.lei" not in names and "zhao lei" not in names
    assert "changed a user" not in record(app)


def test_every_problem_of_the_form_is_shown_at_once(app: Flask) -> None:
    page = html(
        add(client(app, "ma.li"), name="li.na", roles=["clark"], password="short", password_again="x")
    )
    assert "is taken" in beside(page, "user-name-error")
    assert "clark" in beside(page, "user-roles-error")
    assert "at least 8" in beside(page, "user-password-error")


def test_a_deactivated_user_loses_their_sessions_and_cannot_log_in_until_reactivated(app: Flask) -> None:
    li = client(app, "li.na")
    assert li.get("/").status_code == 200
    admin = client(app, "ma.li")
    answer = admin.post(f"{USERS}/li.na/active", data={"active": "0"})
    assert answer.status_code == 303
    page = html(admin.get(answer.headers["Location"]))
    assert "li.na deactivated; every session of theirs ended." in page
    assert 'id="user-status">Inactive<' in page
    assert li.get("/").status_code == 302  # the session ended: to the login page
    assert not can_log_in(app, "li.na", "li-na-password")
    shown = html(admin.get(USERS))
    assert re.search(r'<tr data-user="li.na" class="muted">.*?Inactive', shown, re.S)
    assert "deactivated · 1 session(s) ended" in shown  # the record of user changes

    assert admin.post(f"{USERS}/li.na/active", data={"active": "1"}).status_code == 303
    assert can_log_in(app, "li.na", "li-na-password")
    assert "reactivated" in record(app)
    assert admin.post(f"{USERS}/li.na/active", data={"active": "maybe"}).status_code == 400


def test_a_deactivation_is_asked_twice_and_a_user_of_other_departments_is_locked_out_elsewhere(
    app: Flask,
) -> None:
    c = client(app, "ma.li")
    page = html(c.get(f"{USERS}/li.na"))
    confirm = page.split('id="user-deactivate-confirm"')[1].split("</details>")[0]
    assert (
        "Deactivate…" in confirm and "Deactivate li.na?" in confirm and 'id="user-active-toggle"' in confirm
    )
    assert "其所有会话" in html(c.get(f"{USERS}/li.na?lang=zh"))  # no "his" for every user

    add_user(app, "zhao.lei", "zhao-lei-password", ("warehouse",), ("retail", "wholesale"))
    shared = html(c.get(f"{USERS}/zhao.lei?lang=en"))
    assert 'id="user-active-toggle"' not in shared and 'id="user-password-form"' not in shared
    assert "zhao.lei also works in Wholesale: a deactivation or a new password reaches there too" in shared
    assert 'id="user-roles-form"' in shared  # roles still change here
    refused = c.post(f"{USERS}/zhao.lei/active", data={"active": "0"})
    assert refused.status_code == 409 and "also works in Wholesale" in html(refused)
    assert can_log_in(app, "zhao.lei", "zhao-lei-password")


def test_roles_change_here_and_the_roles_of_other_departments_are_kept(app: Flask) -> None:
    add_user(app, "sun.yu", "sun-yu-password", ("clerk", "sales"), ("retail", "wholesale"))
    c = client(app, "ma.li")
    page = html(c.get(f"{USERS}/sun.yu"))
    assert "Other roles kept (not of this department&#39;s workflows): sales" in page
    assert re.findall(r'value="([^"]+)" checked', page) == ["clerk"]
    answer = c.post(f"{USERS}/sun.yu/roles", data={"roles": ["reviewer", "warehouse"]})
    assert answer.status_code == 303
    assert "The roles of sun.yu changed." in html(c.get(answer.headers["Location"]))
    row = find_user(app.extensions["orderloom"].store, "sun.yu")
    assert row is not None and row.roles == ("reviewer", "sales", "warehouse")
    shown = record(app)
    assert "changed the roles · added: Reviewer, Warehouse · removed: Clerk" in shown

    refused = c.post(f"{USERS}/sun.yu/roles", data={"roles": ["director"]})
    assert refused.status_code == 422
    assert "director" in beside(html(refused), "user-roles-error")
    same = c.post(f"{USERS}/sun.yu/roles", data={"roles": ["reviewer", "warehouse"]})
    assert "Nothing changed for sun.yu." in html(c.get(same.headers["Location"]))


def test_an_admin_sets_the_email_approval_tasks_are_mailed_to(app: Flask) -> None:
    store = app.extensions["orderloom"].store
    c = client(app, "ma.li")
    refused = c.post(f"{USERS}/li.na/email?lang=zh", data={"email": "li.na at example"})
    assert refused.status_code == 422
    assert "邮箱应形如 name@example.com" in beside(html(refused), "user-email-error")
    assert 'value="li.na at example"' in html(refused)  # what was typed is kept
    assert user_email(store, "li.na") is None
    c.get("/?lang=en")
    answer = c.post(f"{USERS}/li.na/email", data={"email": " li.na@example.com "})
    assert answer.status_code == 303
    page = html(c.get(answer.headers["Location"]))
    assert "The e-mail address of li.na changed." in page and 'value="li.na@example.com"' in page
    assert user_email(store, "li.na") == "li.na@example.com"
    assert "changed the e-mail address" in record(app)
    cleared = c.post(f"{USERS}/li.na/email", data={"email": ""})
    assert cleared.status_code == 303 and user_email(store, "li.na") is None


def test_a_reset_password_ends_every_session_and_follows_the_rules(app: Flask) -> None:
    li = client(app, "li.na")
    c = client(app, "ma.li")
    weak = c.post(f"{USERS}/li.na/password", data={"password": "short", "password_again": "short"})
    assert weak.status_code == 422
    assert "at least 8 characters" in beside(html(weak), "user-password-error")
    assert li.get("/").status_code == 200  # refused: nothing ended
    answer = c.post(
        f"{USERS}/li.na/password", data={"password": "a-new-password", "password_again": "a-new-password"}
    )
    assert answer.status_code == 303
    assert "The password of li.na reset" in html(c.get(answer.headers["Location"]))
    assert li.get("/").status_code == 302
    assert not can_log_in(app, "li.na", "li-na-password")
    assert can_log_in(app, "li.na", "a-new-password")
    assert "reset the password · 1 session(s) ended" in record(app)


def test_an_admin_can_neither_deactivate_nor_demote_themselves(app: Flask) -> None:
    c = client(app, "ma.li")
    own = html(c.get(f"{USERS}/ma.li"))
    assert 'id="self-note"' in own
    assert 'id="user-active-toggle"' not in own  # no button that would only refuse her
    assert 'id="user-active-toggle"' in html(c.get(f"{USERS}/li.na"))
    refused = c.post(f"{USERS}/ma.li/active", data={"active": "0"})
    assert refused.status_code == 409
    assert "you cannot deactivate yourself: ask another admin" in html(refused)
    demoted = c.post(f"{USERS}/ma.li/roles", data={"roles": ["clerk"]})
    assert demoted.status_code == 409
    assert "you cannot take away your own admin role" in html(demoted)
    row = find_user(app.extensions["orderloom"].store, "ma.li")
    assert row is not None and row.active and row.roles == ("admin",)
    assert c.get("/").status_code == 200  # still logged in


def test_a_department_keeps_its_last_active_admin(app: Flask) -> None:
    add_user(app, "sun.yu", "sun-yu-password", ("admin",), ("retail", "wholesale"))
    add_user(app, "root", "root-password", ("admin",), ("*",))  # of every department: no admin of its own
    sun = client(app, "sun.yu")
    assert sun.post("/studio/wholesale/users/xu.jie/active", data={"active": "0"}).status_code == 303
    c, root = client(app, "ma.li"), client(app, "root")  # root may lock sun.yu out of both departments
    for who, path, data in (
        (root, f"{USERS}/sun.yu/active", {"active": "0"}),
        (c, f"{USERS}/sun.yu/roles", {"roles": ["clerk"]}),
    ):
        refused = who.post(path, data=data)
        assert refused.status_code == 409
        assert "sun.yu is the last active admin of department wholesale" in html(refused)
    root.get(f"{USERS}?lang=zh")
    assert "sun.yu 是部门 wholesale 最后一位启用的管理员" in html(
        root.post(f"{USERS}/sun.yu/active", data={"active": "0"})
    )
    assert sun.post("/studio/wholesale/users/xu.jie/active", data={"active": "1"}).status_code == 303
    assert root.post(f"{USERS}/sun.yu/active", data={"active": "0"}).status_code == 303


def test_a_user_of_every_department_is_shown_but_not_changed_here(app: Flask) -> None:
    c = client(app, "ma.li")
    listed = html(c.get(USERS))
    assert re.search(r'<tr data-user="tester">.*?Of every department: not changed here', listed, re.S)
    assert f'href="{USERS}/tester"' not in listed
    page = html(c.get(f"{USERS}/tester"))
    assert "user-roles-form" not in page and "user-password-form" not in page
    refused = c.post(f"{USERS}/tester/roles", data={"roles": ["clerk"]})
    assert refused.status_code == 403
    assert "tester belongs to every department and is not changed here" in html(refused)


def test_a_change_without_the_forms_csrf_token_is_refused(app: Flask) -> None:
    c = client(app, "ma.li")
    c.csrf_token = None  # type: ignore[attr-defined]
    assert add(c).status_code == 400  # type: ignore[attr-defined]
    assert c.post(f"{USERS}/li.na/active", data={"active": "0"}).status_code == 400
    row = find_user(app.extensions["orderloom"].store, "li.na")
    assert row is not None and row.active
    assert find_user(app.extensions["orderloom"].store, "zhao.lei") is None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    yield from serve(build(tmp_path))


def test_in_a_browser_an_admin_adds_a_user_after_fixing_the_form(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    log_in_page(page, server, "ma.li", "ma-li-password")
    page.goto(server("/studio/retail/"))
    page.click("#studio-users-link")
    page.fill("#user-name", "li.na")
    page.check("input[name=roles][value=clerk]")
    page.fill("#user-password", "zhao-lei-password")
    page.fill("#user-password-again", "zhao-lei-password")
    page.click("#add-user button[type=submit]")
    expect(page.locator("#user-name-error")).to_have_text("the user name li.na is taken")
    expect(page.locator("#user-name")).to_have_attribute("aria-invalid", "true")
    page.fill("#user-name", "zhao.lei")
    page.fill("#user-password", "zhao-lei-password")
    page.fill("#user-password-again", "zhao-lei-password")
    page.click("#add-user button[type=submit]")
    expect(page.locator("#users-done")).to_have_text("User zhao.lei added.")
    expect(page.locator('tr[data-user="zhao.lei"] .status')).to_have_text("Active")
    expect(page.locator("#studio-events")).to_contain_text("added the user: Clerk")
    screenshot("added")

    page.click('tr[data-user="zhao.lei"] a')
    page.goto(page.url + "?lang=zh")
    page.fill("#user-password", "zhao-lei-new-password")
    page.fill("#user-password-again", "zhao-lei-other-password")
    page.click("#user-password-form button[type=submit]")
    expect(page.locator("#user-password-again-error")).to_have_text("两次输入的密码不一致")
    expect(page.locator("#users-refused")).to_contain_text("未保存")
    page.click("#user-deactivate-confirm summary")  # asked first
    expect(page.locator("#user-deactivate-confirm")).to_contain_text("确定停用 zhao.lei？")
    screenshot("deactivate-asked")
    page.click("#user-active-toggle")
    expect(page.locator("#users-done")).to_contain_text("已停用 zhao.lei")
    expect(page.locator("#user-status")).to_have_text("已停用")
    expect(page.locator("#studio-events")).to_contain_text("停用")


def test_a_purchaser_is_made_in_a_department_whose_workflows_name_no_such_role_and_shown_by_name(
    app: Flask,
) -> None:
    """The stock pages' roles are in no workflow: every department offers them, by their words."""
    c = client(app, "xu.jie")
    offered = re.findall(r'name="roles" value="([^"]+)"', html(c.get("/studio/wholesale/users")))
    assert "purchaser" in offered and "warehouse" in offered
    made = c.post(
        "/studio/wholesale/users",
        data={
            "name": "qian.hui",
            "display_name": "钱慧",
            "roles": ["purchaser"],
            "password": "qian-hui-password",
            "password_again": "qian-hui-password",
        },
    )
    assert made.status_code == 303
    row = find_user(app.extensions["orderloom"].store, "qian.hui")
    assert row is not None and row.roles == ("purchaser",)
    listed = html(c.get("/studio/wholesale/users?lang=en")).split('data-user="qian.hui"')[1].split("</tr>")[0]
    assert "Purchaser" in listed and ">purchaser<" not in listed
    chinese = html(c.get("/studio/wholesale/users/qian.hui?lang=zh"))
    assert "采购员" in chinese and 'id="kept-roles"' not in chinese
    assert re.findall(r'value="([^"]+)" checked', chinese) == ["purchaser"]


@pytest.mark.parametrize(("lang", "mark"), [("zh", "接口登录"), ("en", "API login")])
def test_the_users_page_marks_an_api_login(app: Flask, lang: str, mark: str) -> None:
    from engine.api.accounts import change_api_login

    change_api_login(app.extensions["orderloom"].store, "li.na", True)
    page = client(app, "ma.li").get(f"{USERS}?lang={lang}").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-user="([^"]+)"[^>]*>(.*?)</tr>', page, re.S))
    assert 'class="chip api-login"' in rows["li.na"] and f">{mark}</span>" in rows["li.na"]
    assert "api-login" not in rows["he.tao"]
