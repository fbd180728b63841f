"""The Flask application factory."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from engine.api import Clock, term, translate
from engine.api.studio import MAX_TEXT_BYTES, size_text
from web import auth, params, static_files, studio_common, studio_keep
from web.approvals import approvals
from web.batch import batch
from web.forms import forms
from web.headers import SECURITY_HEADERS
from web.i18n import current_lang, done_messages
from web.orders import orders
from web.outbox_page import outbox_page
from web.products import catalogue_link, products
from web.stock import stock_pages
from web.studio import studio
from web.studio_console import studio_console
from web.studio_flow import studio_flow
from web.studio_labels import studio_names
from web.studio_lists import studio_lists
from web.studio_migrate import studio_migrate
from web.studio_replay import studio_replay
from web.studio_revisions import studio_revisions
from web.studio_users import studio_users
from web.workspace import work
from wiring.services import Services, build_services
from wiring.settings import UNSET_SECRET_KEY, Settings, check_secret_key, kept_secret_key

home = Blueprint("home", __name__)


def services() -> Services:
    found: Services = current_app.extensions["orderloom"]
    return found


@home.get("/healthz")
def healthz() -> Any:
    services().engine.check_database()
    return jsonify(status="ok", database="ok")


@home.get("/")
def index() -> Any:
    """The workflows of the user's departments with their order counts, in one read (``Engine.home``):
    a page only reads; folding the counts is the worker's (docs/architecture.md)."""
    return render_template("home.html", rows=services().engine.home(auth.current_actor()))


def create_app(
    settings: Settings | None = None, config: dict[str, Any] | None = None, clock: Clock | None = None
) -> Flask:
    """The app over ``settings`` (from the environment by default); ``clock`` is the engine's and the
    login throttle's (the system's by default: tests move a frozen one instead of sleeping)."""
    if settings is None:
        settings = Settings.from_env()
        check_secret_key(settings.secret_key)  # a ValueError saying why, before anything is signed
    if settings.secret_key == UNSET_SECRET_KEY:  # never sign sessions with a text anyone can read
        kept = kept_secret_key(settings.definitions_root / "var")
        settings = dataclasses.replace(settings, secret_key=kept)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,  # no script reads the session
        SESSION_COOKIE_SAMESITE="Lax",  # another site's form does not carry it (CSRF checks too)
        SESSION_COOKIE_SECURE=settings.https,  # served over HTTPS: never sent over plain HTTP
    )
    if config:
        app.config.update(config)
    app.extensions["orderloom"] = build_services(settings, clock)

    @app.context_processor
    def inject_language() -> dict[str, Any]:
        lang = current_lang()
        return {
            "lang": lang,
            "t": lambda key: translate(key, lang),
            "term": lambda kind, code: term(kind, code, lang),
            "lang_url": _lang_url,
            "done_messages": done_messages,
        }

    @app.after_request
    def remember_language(response: Any) -> Any:
        from flask import request

        asked = request.args.get("lang")
        if asked in ("zh", "en"):
            response.set_cookie(
                "lang", asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True, secure=settings.https
            )
        return response

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    _error_pages(app)
    studio_common.init_app(app)  # before the CSRF check reads a form: the studio's texts may be larger
    studio_keep.init_app(app)  # before the CSRF check: an ended session's post keeps its text
    auth.init_app(app)  # logins: sessions, CSRF, the throttle of failed logins (docs/web.md)
    app.add_url_rule(  # browsers ask for it whatever the page says
        "/favicon.ico", "favicon", lambda: redirect(url_for("static", filename="favicon.svg"), 301)
    )
    params.init_app(app)  # <id:…> in the blueprints' addresses
    static_files.init_app(app)  # large scripts sent precompressed (gzip, Brotli) to browsers that accept it
    app.register_blueprint(home)
    app.register_blueprint(forms)
    app.register_blueprint(orders)
    app.register_blueprint(batch)
    app.register_blueprint(approvals)
    app.register_blueprint(outbox_page)
    app.register_blueprint(stock_pages)
    app.register_blueprint(studio)
    app.register_blueprint(studio_users)
    app.register_blueprint(studio_lists)
    app.register_blueprint(studio_console)
    app.register_blueprint(studio_replay)
    app.register_blueprint(studio_migrate)
    app.register_blueprint(studio_revisions)
    app.register_blueprint(studio_names)
    app.register_blueprint(studio_keep.studio_keep)
    app.register_blueprint(studio_flow)
    app.register_blueprint(work)
    app.register_blueprint(products)
    app.context_processor(catalogue_link)
    return app


def _error_pages(app: Flask) -> None:
    """The framework's own errors as pages of the app, in the page's language (not Werkzeug's English):
    an expired form (CSRF), a bad request, an unknown address, a wrong method, too large, a crash."""
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import HTTPException

    def page(code: int, key: str, **values: Any) -> Any:
        return render_template("error.html", code=code, key=key, values=values), code

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> Any:
        return page(400, "errors.csrf")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        code = error.code or 500
        if code == 413:
            if request.endpoint in studio_common.TEXT_ENDPOINTS:  # a definition's text, far too large
                lang = current_lang()
                return page(
                    413,
                    "studio.size.request_too_large",
                    size=size_text(request.content_length or 0, lang),
                    request_limit=size_text(request.max_content_length or 0, lang),
                    limit=size_text(MAX_TEXT_BYTES, lang),
                )
            limit = app.config.get("MAX_CONTENT_LENGTH") or 0
            return page(413, "errors.413", limit=f"{limit // (1024 * 1024)} MiB")
        if code in (400, 401, 403, 404, 405):
            body, status = page(code, f"errors.{code}")
            # keep what the error says in its headers (405: the methods the address takes, in Allow)
            headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
            return body, status, headers
        return error  # the others (409, 429, …) come with their own pages

    @app.errorhandler(500)
    def crashed(error: Exception) -> Any:
        return page(500, "errors.500")


def _lang_url(lang: str) -> str:
    """This page in another language: its address and query (``next`` on the login page, filters) kept.
    A page a form's POST answered has no address of its own to ask again (a GET there is refused or
    means something else): the page the form was sent from, when it is one of this site's, else the
    start page."""
    from flask import request

    path, args = request.path, request.args.to_dict()
    if request.method != "GET":
        sent_from = urlsplit(request.referrer or "")
        if sent_from.netloc == request.host and sent_from.path.startswith(request.script_root or "/"):
            path = sent_from.path[len(request.script_root) :]
            args = dict(parse_qsl(sent_from.query))
        else:
            path, args = "/", {}
    query = {**args, "lang": lang}
    return f"{request.script_root}{quote(path)}?{urlencode(query)}"
