"""Logging in and out, and the rule that every page needs a logged-in user.

``GET /login`` shows the form, ``POST /login`` checks the name and password (``web.users.authenticate``:
argon2, constant time, the same answer for a wrong name as for a wrong password) and goes on to the
page asked for; ``POST /logout`` ends the session, on the server. Every other address needs a logged-in
user, except ``/healthz`` and the static files: a page redirects to the login, an htmx request gets a
401.

A login is a session row in the database (``web.users.new_session``): the signed session cookie holds
its token, and each request reads the row (a read, never a write). Logging out deletes it, a new
password deletes the user's rows, so an old cookie opens nothing in any web process.

CSRFProtect (Flask-WTF) guards every POST: forms carry ``csrf_token`` in a hidden field, htmx requests
send it as ``X-CSRFToken`` (``hx-headers`` on ``<body>`` in base.html). The session cookie is HttpOnly and
SameSite=Lax (and Secure with ``ORDERLOOM_HTTPS``).

Failed logins are throttled per user name and per client address, the counts in the database so every
process shares them: an attempt is counted before its password is checked
(``engine.store.users.take_login_attempt``, atomic), so no more attempts than the limit are ever
checked, and given back when the password was right. Once a limit is reached ``POST /login`` answers 429
with the login page and a Retry-After header, whatever the password, until the window passes. At most
``password_checks_at_once`` passwords are hashed at once per process (``web.users.PasswordChecks``).
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from engine.api import ADMIN_ROLE, Actor, Clock, Store
from engine.api.accounts import (
    AttemptRefused,
    forget_login_attempts,
    give_back_login_attempt,
    take_login_attempt,
)
from web.users import (
    LoginUser,
    PasswordChecks,
    PasswordChecksBusy,
    UserInactive,
    authenticate,
    load_user,
    log_out,
    new_session,
)

auth = Blueprint("auth", __name__)
csrf = CSRFProtect()
login_manager = LoginManager()

# studio_keep.log_in_again: the login of the studio's page that keeps a text sent after the session ended
OPEN_ENDPOINTS = frozenset(
    {"favicon", "auth.login", "auth.login_post", "home.healthz", "static", "studio_keep.log_in_again"}
)
FORGET_EVERY = timedelta(minutes=1)  # ended counts of login attempts are deleted at most this often


@dataclass
class Logins:
    """How an app checks logins: its store and clock, the throttle's limits and window, the sessions'
    lifetime, and the slots for checking passwords (one set per app, so per process)."""

    store: Store
    clock: Clock
    per_name: int
    per_ip: int
    window: timedelta
    session_lifetime: timedelta
    checks: PasswordChecks
    _forgotten_at: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def forget_ended(self, now: datetime) -> None:
        """Delete the counts whose window is over, at most once per ``FORGET_EVERY`` in this process
        (rows another login holds are skipped: this never waits for one)."""
        with self._lock:
            if self._forgotten_at is not None and now - self._forgotten_at < FORGET_EVERY:
                return
            self._forgotten_at = now
        forget_login_attempts(self.store, now - self.window)


def _logins() -> Logins:
    found: Logins = current_app.extensions["orderloom.logins"]
    return found


@login_manager.user_loader
def _load(token: str) -> LoginUser | None:
    logins = _logins()
    return load_user(logins.store, token, logins.clock.now(), logins.session_lifetime)


def current_login() -> LoginUser:
    """The logged-in user (every page but the open ones has one)."""
    if not current_user.is_authenticated:
        abort(401)
    return cast(LoginUser, current_user._get_current_object())


def current_actor() -> Actor:
    """The logged-in user as the engine's Actor."""
    return current_login().actor


def _landing() -> str:
    """Where a login that asked for no page lands: my work for a person who works orders (any role but
    admin alone), the departments' overview for an admin."""
    if current_user.is_authenticated and any(role != ADMIN_ROLE for role in current_user.roles):
        return url_for("work.index")
    return url_for("home.index")


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (``//evil``, ``https://…``), never a backslash;
    else where the person lands (``_landing``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return _landing()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return _landing()
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
    target = request.form.get("next", "")
    refused = log_in_from_form()
    if refused is None:
        return redirect(_safe_next(target))
    if refused.status == 429:
        return _login_page(429, refused.retry_after, throttled_minutes=refused.minutes)
    if refused.status == 503:
        return _login_page(503, refused.retry_after, busy=True)
    name = request.form.get("name", "")
    inactive = refused.status == 403
    page = render_template("auth/login.html", next=target, name=name, failed=True, inactive=inactive)
    return page, refused.status


@dataclass(frozen=True)
class LoginRefused:
    """Why the posted login did not start a session: 401 a wrong name or password, 403 the right password
    of a deactivated user, 429 too many failed logins (``retry_after`` seconds to wait), 503 too many
    passwords being checked at once."""

    status: int
    retry_after: int = 0

    @property
    def minutes(self) -> int:
        return max(1, round(self.retry_after / 60))


def log_in_from_form() -> LoginRefused | None:
    """Check the request form's ``name`` and ``password``, throttled, and when they are right start a
    fresh session for the user (no fixation; a new CSRF token with it). None: logged in. The login page
    and the studio's page of a text kept when the session ended (``web.studio_keep``) both log in so."""
    name = request.form.get("name", "")
    password = request.form.get("password", "")
    logins = _logins()
    now = logins.clock.now()
    # Counted before the password is checked: attempts at the same moment, in any process, each find
    # the ones before them counted, so no more than the limit are ever checked.
    limits = [(_name_key(name), logins.per_name), (_client_key(), logins.per_ip)]
    counted = take_login_attempt(logins.store, limits, logins.window, now)
    if isinstance(counted, AttemptRefused):
        return LoginRefused(429, max(1, math.ceil((counted.retry_at - now).total_seconds())))
    logins.forget_ended(now)
    try:
        user = authenticate(logins.store, name, password, logins.checks) if name and password else None
    except PasswordChecksBusy:
        give_back_login_attempt(logins.store, counted)  # the password was not checked: no failure
        return LoginRefused(503, max(1, math.ceil(logins.checks.wait)))
    except UserInactive:  # the right password of a deactivated user: told so
        return LoginRefused(403)
    if user is not None:
        give_back_login_attempt(logins.store, counted)  # only refused passwords count
        # None: the password changed while it was checked; the old one opens nothing any more
        user = new_session(logins.store, user, now, logins.session_lifetime)
    if user is None:
        return LoginRefused(401)
    session.clear()  # a fresh session for the new login (no fixation), then a new CSRF token with it
    login_user(user)
    return None


@auth.post("/logout")
def logout() -> Any:
    log_out(_logins().store, current_login())  # the session ends on the server: its cookie opens nothing
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def _client_key() -> str:
    """The client's address as the app sees it (``request.remote_addr``; behind a proxy, see docs/web.md)."""
    return f"ip:{request.remote_addr or 'unknown'}"


def _name_key(name: str) -> str:
    """The user name tried, as a digest: the counts never hold what was typed (it may be a password)."""
    return "name:" + hashlib.sha256(name.strip().casefold().encode("utf-8")).hexdigest()


def _login_page(status: int, retry_after: int, **words: Any) -> Response:
    page = render_template(
        "auth/login.html",
        next=request.form.get("next", ""),
        name=request.form.get("name", ""),
        failed=False,
        **words,
    )
    response = make_response(page, status)
    response.headers["Retry-After"] = str(retry_after)
    return response


def init_app(app: Flask) -> None:
    """Logins for ``app``: the session's user, CSRF, the login rule, and the throttle and password
    check slots of its settings (``app.extensions["orderloom"]`` is built first)."""
    services = app.extensions["orderloom"]
    settings = services.settings
    app.extensions["orderloom.logins"] = Logins(
        store=services.store,
        clock=services.engine.clock,
        per_name=settings.login_failures_per_name,
        per_ip=settings.login_failures_per_ip,
        window=timedelta(seconds=settings.login_failure_window),
        session_lifetime=timedelta(hours=settings.session_hours),
        checks=PasswordChecks(settings.password_checks_at_once, settings.password_check_wait),
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)
    app.before_request(require_login)
    app.register_blueprint(auth)
