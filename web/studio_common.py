"""What every blueprint of the studio (``/studio``) shares: the studio itself, the department a request
is about when the user administers it (a 403 naming the department when it is another's, a 404 when
there is no such department), and a posted text as stored.

The studio's views (``web.studio``, ``web.studio_console``, ``web.studio_keep``, ``web.studio_migrate``,
``web.studio_replay``, ``web.studio_revisions``, ``web.studio_users``) take these from here, so none
reaches into another's private names.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, make_response, render_template, request, url_for
from flask_login import current_user

from engine.api import Actor, term, translate
from engine.api.studio import ADMIN_ROLE, MAX_TEXT_BYTES, Studio
from web.auth import current_actor
from web.i18n import current_lang

__all__ = ["TEXT_ENDPOINTS", "TEXT_REQUEST_LIMIT", "administered", "init_app", "normalised", "studio_of_app"]

# The studio's pages that post a definition's whole text, and how large a request to them may be. A text
# over the definition limit (``MAX_TEXT_BYTES``) must reach the view, to be refused with the page and the
# text kept (nothing saved); the app's own limit (MAX_CONTENT_LENGTH) would cut it off with a bare 413.
TEXT_ENDPOINTS = frozenset({"studio.file_post"})
TEXT_REQUEST_LIMIT = 8 * MAX_TEXT_BYTES


def studio_of_app() -> Studio:
    """The app's studio (``wiring.services``)."""
    found: Studio = current_app.extensions["orderloom"].studio
    return found


def administered(department: str) -> tuple[Studio, Actor]:
    """The studio and the actor, when the actor administers ``department``. Otherwise the request ends:
    403 with a page naming the department when there is one (another department's studio, or a user
    who administers none), with a link to the studio of those they administer; 404 when there is no such
    department."""
    found = studio_of_app()
    actor = current_actor()
    if found.administers(actor, department):
        return found, actor
    if department not in found.departments():
        abort(404)
    lang = current_lang()
    own = found.departments_of(actor)
    page = render_template(
        "error.html",
        code=403,
        key="studio.not_yours",
        values={"department": term("department", department, lang)},
        back=(url_for("studio.index"), translate("studio.back", lang)) if own else None,
    )
    abort(make_response(page, 403))


def normalised(text: str) -> str:
    """The text as stored: line ends as ``\\n`` (a browser posts a text area's with ``\\r\\n``)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def init_app(app: Flask) -> None:
    """Let a logged-in admin's post of a definition's text be up to ``TEXT_REQUEST_LIMIT`` (a text field
    of a multipart form too). Registered before the CSRF check, which reads the form first."""

    @app.before_request
    def larger_texts_for_admins() -> None:
        if request.endpoint not in TEXT_ENDPOINTS or request.method != "POST":
            return
        if current_user.is_authenticated and ADMIN_ROLE in current_user.roles:
            request.max_content_length = TEXT_REQUEST_LIMIT
            request.max_form_memory_size = TEXT_REQUEST_LIMIT
