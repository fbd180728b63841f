"""Logging in and out, and the rule that every page needs a logged-in user.

``GET /login`` shows the form, ``POST /login`` checks the name and password (``web.users.authenticate``:
argon2, constant time, the same answer for a wrong name as for a wrong password) and goes on to the
page asked for; ``POST /logout`` ends the session. Every other address needs a logged-in user, except
``/healthz`` and the static files: a page redirects to the login, an htmx request gets a 401.

CSRFProtect (Flask-WTF) guards every POST: forms carry ``csrf_token`` in a hidden field, htmx requests
send it as ``X-CSRFToken`` (``hx-headers`` on ``<body>`` in base.html). The session cookie is HttpOnly and
SameSite=Lax.

Failed logins are throttled with Flask-Limiter (``init_throttle``): per user name and per client address,
only answers that refused the password (401) count, and once a limit is reached ``POST /login`` answers
429 with the login page and a Retry-After header, whatever the password, until the window passes.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from engine.runtime import Actor
from web.settings import Settings
from web.users import LoginUser, authenticate, load_user

auth = Blueprint("auth", __name__)
csrf = CSRFProtect()
login_manager = LoginManager()

OPEN_ENDPOINTS = frozenset({"favicon", "auth.login", "auth.login_post", "home.healthz", "static"})


def _store() -> Any:
    return current_app.extensions["orderloom"].store


@login_manager.user_loader
def _load(user_id: str) -> LoginUser | None:
    return load_user(_store(), user_id)


def current_login() -> LoginUser:
    """The logged-in user (every page but the open ones has one)."""
    if not current_user.is_authenticated:
        abort(401)
    return cast(LoginUser, current_user._get_current_object())


def current_actor() -> Actor:
    """The logged-in user as the engine's Actor."""
    return current_login().actor


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (``//evil``, ``https://…``), never a backslash."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("home.index")
    return target


def require_login() -> Any:
    """Every request but the open ones needs a logged-in user."""
    if request.endpoint in OPEN_ENDPOINTS or request.endpoint is None:
        return None
    if current_user.is_authenticated:
        return None
    if request.headers.get("HX-Request") or request.method != "GET":
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@auth.get("/login")
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", next=request.args.get("next", ""), name="", failed=False)


@auth.post("/login")
def login_post() -> Any:
    name = request.form.get("name", "")
    password = request.form.get("password", "")
    target = request.form.get("next", "")
    user = authenticate(_store(), name, password) if name and password else None
    if user is None:
        page = render_template("auth/login.html", next=target, name=name, failed=True)
        return page, 401
    session.clear()  # a fresh session for the new login (no fixation), then a new CSRF token with it
    login_user(user)
    return redirect(_safe_next(target))


@auth.post("/logout")
def logout() -> Any:
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def _client_key() -> str:
    """The client's address as the app sees it (``request.remote_addr``; behind a proxy, see docs/web.md)."""
    return f"ip:{get_remote_address()}"


def _name_key() -> str:
    """The user name tried, as a digest: the counts never hold what was typed (it may be a password)."""
    name = request.form.get("name", "").strip().casefold()
    return "name:" + hashlib.sha256(name.encode("utf-8")).hexdigest()


def _refused_password(response: Response) -> bool:
    """Only a refused login counts (401); a correct one, a CSRF refusal or a 429 does not."""
    return response.status_code == 401


def _throttled_page(limit: RequestLimit) -> Response:
    """The login page again, saying about how long to wait, with the seconds in Retry-After."""
    seconds = max(1, math.ceil(limit.reset_at - time.time()))
    page = render_template(
        "auth/login.html",
        next=request.form.get("next", ""),
        name=request.form.get("name", ""),
        failed=False,
        throttled_minutes=max(1, round(seconds / 60)),
    )
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def init_throttle(app: Flask, settings: Settings) -> Limiter:
    """Throttle failed logins of ``app``: a limiter of its own (its own counts), wrapped around
    ``POST /login`` after the blueprint is registered, with the limits and storage of ``settings``."""
    limiter = Limiter(
        _client_key,
        app=app,
        storage_uri=settings.login_throttle_storage,
        strategy="fixed-window",  # the window starts at the first failure and ends window seconds later
        # no X-RateLimit-* on every answer (nor a Retry-After on a 401): only the 429 says when to retry
        headers_enabled=False,
        key_prefix="orderloom-login",
    )
    window = settings.login_failure_window
    per_name = limiter.limit(
        f"{settings.login_failures_per_name} per {window} second",
        key_func=_name_key,
        deduct_when=_refused_password,
        on_breach=_throttled_page,
    )
    per_client = limiter.limit(
        f"{settings.login_failures_per_ip} per {window} second",
        key_func=_client_key,
        deduct_when=_refused_password,
        on_breach=_throttled_page,
    )
    app.view_functions["auth.login_post"] = per_name(per_client(login_post))
    return limiter


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)
    app.before_request(require_login)
    app.register_blueprint(auth)
