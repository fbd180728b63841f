"""The users and roles of a department, in the studio (工作室 · 用户与角色; docs/web.md).

``GET /studio/<department>/users`` lists the users of the department (those of every department too,
not changed here), the form to add one, and the record of user changes; ``POST`` the same adds a user.
``GET /studio/<department>/users/<name>`` shows one user with the forms that change their roles
(``POST …/roles``), deactivate or reactivate them (``POST …/active``), set the e-mail address their
approval tasks are mailed to (``POST …/email``) and reset their password
(``POST …/password``). The engine decides and records each change (``engine.api.department_users``);
passwords are hashed here, with argon2 (``web.users.hasher``), before the engine sees the hash.

As everywhere in the studio, a department the user does not administer is a 404, and so is a user of
another department. A refused change draws its page again, nothing written, each problem beside its
field in the page's language: 422 for what the form said, 409 for a rule (the last admin, oneself), 403
for a user of every department. A change done redirects (303) to the page with what was done said.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from engine.api import Actor
from engine.api.department_users import (
    MIN_PASSWORD,
    DepartmentUser,
    DepartmentUsers,
    UserChange,
    UserField,
    UserProblemCode,
    UserRefused,
    UsersPage,
    outside,
)
from engine.errors import NotFound
from web.formdata import local_time
from web.studio_common import administered
from web.users import hasher

studio_users = Blueprint("studio_users", __name__, url_prefix="/studio")

DONE = frozenset({*(change.value for change in UserChange), "none"})


def _users(department: str) -> tuple[DepartmentUsers, Actor]:
    """The department's users and the actor, when the actor administers ``department``; a 404
    otherwise."""
    studio, actor = administered(department)
    return DepartmentUsers(studio.engine, hasher().hash), actor


def _done() -> str | None:
    done = request.args.get("done")
    return done if done in DONE else None


def _status(refused: UserRefused) -> int:
    """403 for a user not changed here, 422 for what the form said, 409 for a rule of the department."""
    if UserProblemCode.EVERY_DEPARTMENT in refused.codes:
        return 403
    return 422 if refused.of_the_form else 409


def _list_page(
    users: DepartmentUsers,
    department: str,
    actor: Actor,
    *,
    refused: UserRefused | None = None,
    sent: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    page: UsersPage = users.page(department)
    body = render_template(
        "studio/users.html",
        page=page,
        me=actor.name,
        refused=refused,
        fields=UserField,
        sent=sent or {"name": "", "display_name": "", "roles": []},
        min_password=MIN_PASSWORD,
        done=_done(),
        done_user=request.args.get("user", ""),
        when=local_time,
    )
    return body, status


def _user_page(
    users: DepartmentUsers,
    department: str,
    actor: Actor,
    name: str,
    *,
    refused: UserRefused | None = None,
    status: int = 200,
    sent_email: str | None = None,
) -> Any:
    try:
        user: DepartmentUser = users.user(department, name)
    except NotFound:
        abort(404)
    page = users.page(department)
    body = render_template(
        "studio/user.html",
        page=page,
        user=user,
        kept=[role for role in user.roles if role not in page.roles],
        others=outside(user.departments, actor),  # departments where the actor may not lock them out
        events=[e for e in page.events if e.subject == user.name],
        me=actor.name,
        refused=refused,
        fields=UserField,
        min_password=MIN_PASSWORD,
        done=_done(),
        when=local_time,
        sent_email=sent_email,
    )
    return body, status


@studio_users.get("/<department>/users")
def users(department: str) -> Any:
    found, actor = _users(department)
    return _list_page(found, department, actor)


@studio_users.post("/<department>/users")
def add(department: str) -> Any:
    found, actor = _users(department)
    sent = {
        "name": request.form.get("name", ""),
        "display_name": request.form.get("display_name", ""),
        "roles": request.form.getlist("roles"),
    }
    try:
        added = found.add(
            department,
            actor,
            name=sent["name"],
            display_name=sent["display_name"],
            roles=sent["roles"],
            password=request.form.get("password", ""),
            password_again=request.form.get("password_again", ""),
        )
    except UserRefused as refused:
        return _list_page(found, department, actor, refused=refused, sent=sent, status=_status(refused))
    return redirect(
        url_for("studio_users.users", department=department, done=UserChange.ADD.value, user=added.user.name),
        303,
    )


def _changed(department: str, name: str, change: UserChange | None) -> Any:
    done = "none" if change is None else change.value
    return redirect(url_for("studio_users.user", department=department, name=name, done=done), 303)


@studio_users.get("/<department>/users/<path:name>")
def user(department: str, name: str) -> Any:
    found, actor = _users(department)
    return _user_page(found, department, actor, name)


@studio_users.post("/<department>/users/<path:name>/roles")
def roles(department: str, name: str) -> Any:
    found, actor = _users(department)
    try:
        changed = found.set_roles(department, actor, name, request.form.getlist("roles"))
    except NotFound:
        abort(404)
    except UserRefused as refused:
        return _user_page(found, department, actor, name, refused=refused, status=_status(refused))
    return _changed(department, name, changed.change)


@studio_users.post("/<department>/users/<path:name>/email")
def email(department: str, name: str) -> Any:
    found, actor = _users(department)
    sent = request.form.get("email", "")[:1000]
    try:
        changed = found.set_email(department, actor, name, sent)
    except NotFound:
        abort(404)
    except UserRefused as refused:
        page = _user_page(
            found, department, actor, name, refused=refused, status=_status(refused), sent_email=sent
        )
        return page
    return _changed(department, name, changed.change)


@studio_users.post("/<department>/users/<path:name>/active")
def active(department: str, name: str) -> Any:
    found, actor = _users(department)
    asked = request.form.get("active")
    if asked not in ("0", "1"):
        abort(400)
    try:
        changed = found.set_active(department, actor, name, asked == "1")
    except NotFound:
        abort(404)
    except UserRefused as refused:
        return _user_page(found, department, actor, name, refused=refused, status=_status(refused))
    return _changed(department, name, changed.change)


@studio_users.post("/<department>/users/<path:name>/password")
def password(department: str, name: str) -> Any:
    found, actor = _users(department)
    try:
        changed = found.reset_password(
            department,
            actor,
            name,
            request.form.get("password", ""),
            request.form.get("password_again", ""),
        )
    except NotFound:
        abort(404)
    except UserRefused as refused:
        return _user_page(found, department, actor, name, refused=refused, status=_status(refused))
    return _changed(department, name, changed.change)
