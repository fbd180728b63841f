"""Logging in and out, and the rule that every page needs a logged-in user.

``GET /login`` shows the form, ``POST /login`` checks the name and password (``web.users.authenticate``:
argon2, constant time, the same answer for a wrong name as for a wrong password) and goes on to the
page asked for; ``POST /logout`` ends the session. Every other address needs a logged-in user, except
``/healthz`` and the static files: a page redirects to the login, an htmx request gets a 401.

CSRFProtect (Flask-WTF) guards every POST: forms carry ``csrf_token`` in a hidden field, htmx requests
send it as ``X-CSRFToken`` (``hx-headers`` on ``<body>`` in base.html). The session cookie is HttpOnly and
SameSite=Lax.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from engine.runtime import Actor
from web.users import LoginUser, authenticate, load_user

auth = Blueprint("auth", __name__)
csrf = CSRFProtect()
login_manager = LoginManager()

OPEN_ENDPOINTS = frozenset({"auth.login", "auth.login_post", "home.healthz", "static"})


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


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)
    app.before_request(require_login)
    app.register_blueprint(auth)
