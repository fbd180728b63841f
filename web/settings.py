"""Typed settings from the environment.

Flask's ``from_prefixed_env`` turns ``ORDERLOOM_X=False`` into the string ``'False'``; settings here are
read with their types instead, in one place, for both the web app and the CLI.
"""

from __future__ import annotations

import os
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
    smtp_url: str | None = None  # smtp://host:port; outbox e-mail is delivered only when set
    mail_from: str = "orderloom@localhost"
    mail_to: str | None = None  # where order notifications go when the payload names no address
    # Failed logins allowed per window before the login refuses (429): per user name and per client
    # address, counted over login_failure_window seconds from the first failure (docs/web.md).
    login_failures_per_name: int = 5
    login_failures_per_ip: int = 20
    login_failure_window: int = 15 * 60
    login_throttle_storage: str = "memory://"  # Flask-Limiter storage URI; memory counts per process

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
            secret_key=env.get("ORDERLOOM_SECRET_KEY") or UNSET_SECRET_KEY,
            debug=_bool(env.get("ORDERLOOM_DEBUG", "false")),
            smtp_url=env.get("ORDERLOOM_SMTP_URL") or None,
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
            login_throttle_storage=env.get("ORDERLOOM_LOGIN_THROTTLE_STORAGE") or "memory://",
        )


def kept_secret_key(folder: Path) -> str:
    """The random session key in ``folder/secret_key``, made (owner-only) the first time."""
    import secrets

    path = folder / "secret_key"
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if len(key) >= 32:
            return key
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key
