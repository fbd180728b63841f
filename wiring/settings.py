"""Typed settings from the environment.

Flask's ``from_prefixed_env`` turns ``ORDERLOOM_X=False`` into the string ``'False'``; settings here are
read with their types instead, in one place, for both the web app and the CLI.
"""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Stands for "ORDERLOOM_SECRET_KEY is not set": the app then signs sessions with a random key kept in
# var/secret_key (made once, readable by its owner only), never with this text.
UNSET_SECRET_KEY = "unset: the app makes var/secret_key"  # noqa: S105  # a marker, not a key


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


def _setting_bool(value: str, name: str) -> bool:
    try:
        return _bool(value)
    except ValueError:
        raise ValueError(f"{name}: not a yes/no value (true/false, yes/no, on/off, 1/0): {value!r}") from None


def _secret_key(value: str | None) -> str:
    if value is None or not value.strip():
        return UNSET_SECRET_KEY
    return value


def check_secret_key(value: str) -> str:
    """``value`` as a session key: at least ``MIN_SECRET_KEY`` characters (or the marker of none set,
    for which the app makes a random key); ValueError otherwise. Only what signs sessions (the web
    app) asks: commands that sign nothing (``users add``, ``orders …``) run whatever the setting says."""
    if value == UNSET_SECRET_KEY:
        return value
    length = len(value.strip())
    if length < MIN_SECRET_KEY:
        raise ValueError(f"ORDERLOOM_SECRET_KEY: at least {MIN_SECRET_KEY} random characters, not {length}")
    return value


def _positive_int(value: str, name: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise ValueError(f"{name}: not a whole number: {value!r}") from None
    if number < 1:
        raise ValueError(f"{name}: must be at least 1, not {number}")
    return number


@dataclass(frozen=True)
class Settings:
    database_url: str
    definitions_root: Path
    secret_key: str
    debug: bool = False
    smtp_url: str | None = None  # smtp://host:port: outbox mail goes to this server
    mail_dir: Path | None = None  # else outbox mail is written to this Maildir (`orderloom run`: var/mail)
    mail_from: str = "orderloom@localhost"
    mail_to: str | None = None  # the service desk: operations mail, notifications without an address
    # Failed logins allowed per window before the login refuses (429): per user name and per client
    # address, counted over login_failure_window seconds from the first attempt counted, in the
    # database (every web process shares the counts; docs/web.md).
    login_failures_per_name: int = 5
    login_failures_per_ip: int = 20
    login_failure_window: int = 15 * 60
    # Passwords checked at once per web process (argon2: 64 MiB each), and how many seconds a login
    # waits for one of those slots before the page says the server is busy.
    password_checks_at_once: int = 4
    password_check_wait: int = 10
    session_hours: int = 12  # a session ends this long after its login, if not logged out before
    # Served over HTTPS (behind a proxy that terminates TLS, say): cookies are marked Secure, so a
    # browser never sends them over plain HTTP.
    https: bool = False

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        root = Path(env.get("ORDERLOOM_DEFINITIONS", str(REPO_ROOT))).resolve()
        # The embedded database sits beside the definitions, whatever the working directory.
        default_db = f"sqlite:///{root / 'var' / 'orderloom.db'}"
        url = env.get("ORDERLOOM_DATABASE_URL") or env.get("DATABASE_URL") or default_db
        return cls(
            database_url=url,
            definitions_root=root,
            secret_key=_secret_key(env.get("ORDERLOOM_SECRET_KEY")),
            debug=_bool(env.get("ORDERLOOM_DEBUG", "false")),
            smtp_url=env.get("ORDERLOOM_SMTP_URL") or None,
            mail_dir=root / env["ORDERLOOM_MAIL_DIR"] if env.get("ORDERLOOM_MAIL_DIR") else None,
            mail_from=env.get("ORDERLOOM_MAIL_FROM") or "orderloom@localhost",
            mail_to=env.get("ORDERLOOM_MAIL_TO") or None,
            login_failures_per_name=_positive_int(
                env.get("ORDERLOOM_LOGIN_FAILURES_PER_NAME", "5"), "ORDERLOOM_LOGIN_FAILURES_PER_NAME"
            ),
            login_failures_per_ip=_positive_int(
                env.get("ORDERLOOM_LOGIN_FAILURES_PER_IP", "20"), "ORDERLOOM_LOGIN_FAILURES_PER_IP"
            ),
            login_failure_window=_positive_int(
                env.get("ORDERLOOM_LOGIN_FAILURE_WINDOW", "900"), "ORDERLOOM_LOGIN_FAILURE_WINDOW"
            ),
            password_checks_at_once=_positive_int(
                env.get("ORDERLOOM_PASSWORD_CHECKS_AT_ONCE", "4"), "ORDERLOOM_PASSWORD_CHECKS_AT_ONCE"
            ),
            password_check_wait=_positive_int(
                env.get("ORDERLOOM_PASSWORD_CHECK_WAIT", "10"), "ORDERLOOM_PASSWORD_CHECK_WAIT"
            ),
            session_hours=_positive_int(env.get("ORDERLOOM_SESSION_HOURS", "12"), "ORDERLOOM_SESSION_HOURS"),
            https=_setting_bool(env.get("ORDERLOOM_HTTPS", "false"), "ORDERLOOM_HTTPS"),
        )


MIN_SECRET_KEY = 32  # characters of a session key: shorter ones can be guessed and sessions forged


def kept_secret_key(folder: Path) -> str:
    """The random session key in ``folder/secret_key``, made the first time, readable by its owner only.

    Made whole in a file of its own, then linked into place, so processes starting together (several
    web workers) all end with the one key that won; a key file anyone but its owner may read is made
    owner-only. A file holding less than a key is an error, not silently replaced (other processes may
    be signing with what it held)."""
    import secrets
    import stat
    import tempfile

    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, made = tempfile.mkstemp(dir=folder, prefix=".secret_key-")  # mode 0600
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_hex(32) + "\n")
            with suppress(FileExistsError):  # another process linked its key first: that one is kept
                os.link(made, path)
        finally:
            os.unlink(made)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_SECRET_KEY:
        raise ValueError(
            f"{path} holds {len(key)} characters, not a session key of at least {MIN_SECRET_KEY}: "
            "delete it to have a new one made, or set ORDERLOOM_SECRET_KEY"
        )
    return key
