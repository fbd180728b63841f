"""Nothing an admin typed in the studio's editor is lost when the session ended in the meantime (logged
out in another tab, or expired): docs/web.md, "The studio".

Without scripts, the editor's form posted after the session ended does not meet the "page expired"
error: before the CSRF check (which the ended session fails) the post is answered with this module's page
(401), which holds the text, the note and the revision it was made from, says that nothing was saved, and
asks for the name and password. ``POST /studio/<department>/files/<path>/login`` logs in
(``web.auth.log_in_from_form``: the same throttle and checks as the login page) and shows the text again
with the new session's token, to be saved with one press (it goes to the editor's own address, so a
conflict or a refusal is answered there) or taken back to the editor. Nothing is saved before the admin
says so: a text another site posted in the admin's name is shown, never saved.

With scripts (``web/static/studio-keep.js``), the editor asks ``GET /studio/api/session`` before sending
its form: while the session holds, the answer is the session's CSRF token (``{"csrf_token": …}``), put in
the form (a login in another tab renews it); when it ended (a redirect to the login), the text stays in
the editor and in the browser's storage (keyed by department, file and revision), the page says to log
in again with a link opening the login in a new tab, and the form is sent as soon as the session holds
again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from web.auth import current_actor, log_in_from_form
from web.studio_common import TEXT_ENDPOINTS, normalised, studio_of_app

__all__ = ["init_app", "studio_keep"]

studio_keep = Blueprint("studio_keep", __name__, url_prefix="/studio")

MAX_NOTE = 2000
ACTIONS = ("check", "save", "submit", "publish")


def _kept() -> dict[str, Any]:
    """What the editor's form posted, to be shown and carried on: the text as stored, the note, the
    revision it was made from (carried as sent: the editor's address reads it) and the action asked."""
    action = request.form.get("action", "check")
    return {
        "text": normalised(request.form.get("text", "")),
        "note": request.form.get("note", "").strip()[:MAX_NOTE],
        "revision": request.form.get("revision", "0")[:12],
        "action": action if action in ACTIONS else "check",
    }


def _login_page(department: str, path: str, status: int, **shown: Any) -> Any:
    page = render_template("studio/keep_login.html", department=department, path=path, kept=_kept(), **shown)
    return page, status


def init_app(app: Flask) -> None:
    """Answer a post of the editor's form made after the session ended with the page that keeps its
    text. Registered before the CSRF check, which an ended session fails (its token is gone with it)."""

    @app.before_request
    def keep_the_text_of_an_ended_session() -> Any:
        if request.endpoint not in TEXT_ENDPOINTS or request.method != "POST":
            return None
        if current_user.is_authenticated:
            return None
        where = request.view_args or {}
        return _login_page(str(where.get("department", "")), str(where.get("path", "")), 401)


@studio_keep.post("/<department>/files/<path:path>/login")
def log_in_again(department: str, path: str) -> Any:
    """Log in from the page of a kept text; then the text again, with the new session's token."""
    refused = log_in_from_form()
    if refused is not None:
        headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else {}
        body, status = _login_page(
            department,
            path,
            refused.status,
            name=request.form.get("name", ""),
            failed=refused.status in (401, 403),
            inactive=refused.status == 403,
            throttled_minutes=refused.minutes if refused.status == 429 else None,
            busy=refused.status == 503,
        )
        return body, status, headers
    found = studio_of_app()
    may_save = found.administers(current_actor(), department) and found.owns(department, path)
    page = render_template(
        "studio/keep_resume.html", department=department, path=path, kept=_kept(), may_save=may_save
    )
    return page, 200 if may_save else 403


@studio_keep.get("/api/session")
def session_token() -> Any:
    """The logged-in session's CSRF token, for the editor's script to send its form with (a login in
    another tab renewed it). An ended session is redirected to the login, as every page is."""
    return jsonify({"csrf_token": generate_csrf()})
