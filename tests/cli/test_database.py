"""Where the command line finds its database, and what it says when the database is not ready."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from engine.store.migrate import head_revision, upgrade
from web.app import create_app
from wiring.settings import UNSET_SECRET_KEY, Settings

HEAD = head_revision()


def orderloom(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize("command", [("orders", "list"), ("versions", "retail-order"), ("worker", "--once")])
def test_a_missing_database_is_named_not_made(tmp_path: Path, command: tuple[str, ...]) -> None:
    path = tmp_path / "var" / "orderloom.db"
    code, output = orderloom({"ORDERLOOM_DATABASE_URL": f"sqlite:///{path}"}, *command)
    assert code == 1
    assert output.endswith(
        f"error: there is no database at {path} yet: run `orderloom db upgrade` (`make run` does it)\n"
    )
    assert not path.exists() and not path.parent.exists()


def test_an_empty_or_older_database_says_to_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "orderloom.db"
    sqlite3.connect(path).close()  # a file, no tables
    env = {"ORDERLOOM_DATABASE_URL": f"sqlite:///{path}"}
    code, output = orderloom(env, "orders", "list")
    assert code == 1
    assert output == (
        f"error: the database sqlite:///{path} has no OrderLoom tables yet: run `orderloom db upgrade` "
        "(`make run` does it)\n"
    )
    upgrade(f"sqlite:///{path}", "0010")
    code, output = orderloom(env, "orders", "list")
    assert code == 1
    assert (
        f"has an older schema (revision 0010; this OrderLoom needs {HEAD}): run `orderloom db upgrade`"
        in output
    )
    assert orderloom(env, "db", "upgrade")[0] == 0
    assert orderloom(env, "orders", "list") == (0, "no orders match\n")


def test_the_app_signs_sessions_with_a_kept_random_key_when_none_is_set(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}",
        definitions_root=tmp_path,
        secret_key=UNSET_SECRET_KEY,
    )
    (tmp_path / "var").mkdir()
    upgrade(settings.database_url)
    first = secret_of(settings)
    kept = tmp_path / "var" / "secret_key"
    assert first == kept.read_text(encoding="utf-8").strip()
    assert len(first) == 64 and first != UNSET_SECRET_KEY
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    assert secret_of(settings) == first  # sessions survive a restart
    other = tmp_path / "other"
    assert secret_of(Settings(settings.database_url, other, UNSET_SECRET_KEY)) != first


def secret_of(settings: Settings) -> str:
    app = create_app(settings)
    app.extensions["orderloom"].close()
    return str(app.config["SECRET_KEY"])


def test_version_and_what_a_bad_data_option_is_called(tmp_path: Path) -> None:
    env = {"ORDERLOOM_DATABASE_URL": f"sqlite:///{tmp_path / 'orderloom.db'}"}
    code, output = orderloom(env, "--version")
    assert code == 0 and output.startswith("orderloom, version ")
    assert orderloom(env, "db", "upgrade")[0] == 0
    args = ("orders", "create", "--department", "retail", "--workflow", "retail-order", "--role", "clerk")
    code, output = orderloom(env, *args, "--data", "[1, 2]")
    assert code == 2 and "Invalid value for --data: the data must be a JSON object" in output
    code, output = orderloom(env, *args, "--data", "@/no/such/file.json")
    assert code == 2 and "Invalid value for --data: not readable JSON:" in output


def test_an_empty_listing_says_so_beside_it(tmp_path: Path) -> None:
    env = {"ORDERLOOM_DATABASE_URL": f"sqlite:///{tmp_path / 'orderloom.db'}"}
    assert orderloom(env, "db", "upgrade")[0] == 0
    result = CliRunner().invoke(main, ["orders", "list", "--state", "nosuch"], env=env)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "no orders match\n")


@pytest.mark.parametrize("key", ["x", " " * 40, "a" * 31])
def test_a_session_key_too_short_to_be_secret_is_refused_by_what_signs_sessions(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not key.strip():
        assert Settings.from_env({"ORDERLOOM_SECRET_KEY": key}).secret_key == UNSET_SECRET_KEY
        return
    env = {"ORDERLOOM_SECRET_KEY": key, "ORDERLOOM_DATABASE_URL": f"sqlite:///{tmp_path / 'orderloom.db'}"}
    assert orderloom(env, "db", "upgrade")[0] == 0
    for command in ("serve", "run"):
        code, output = orderloom(env, command, "--port", "1")
        assert code == 2 and "ORDERLOOM_SECRET_KEY: at least 32 random characters" in output, command
    monkeypatch.setenv("ORDERLOOM_SECRET_KEY", key)
    monkeypatch.setenv("ORDERLOOM_DATABASE_URL", env["ORDERLOOM_DATABASE_URL"])
    with pytest.raises(ValueError, match="ORDERLOOM_SECRET_KEY: at least 32 random characters"):
        create_app()  # settings from the environment


@pytest.mark.parametrize("key", [None, "dev"])
def test_users_add_and_the_other_commands_need_no_session_key(tmp_path: Path, key: str | None) -> None:
    """Only the web app signs sessions: adding a login, listing orders sign nothing, whatever
    ORDERLOOM_SECRET_KEY says (unset, or too short to serve with)."""
    env = {
        "ORDERLOOM_DATABASE_URL": f"sqlite:///{tmp_path / 'orderloom.db'}",
        "ORDERLOOM_DEFINITIONS": str(tmp_path),
    }
    if key is not None:
        env["ORDERLOOM_SECRET_KEY"] = key
    result = CliRunner().invoke(
        main,
        ["users", "add", "li.si", "--role", "clerk", "--department", "retail", "--password-stdin"],
        env=env,
        input="a-long-password\n",
        catch_exceptions=False,
    )
    assert (result.exit_code, result.output) == (0, "user li.si added: clerk @ retail\n")
    assert orderloom(env, "orders", "list") == (0, "no orders match\n")
    assert not (tmp_path / "var" / "secret_key").exists()  # no key made for nothing


def test_db_upgrade_says_what_it_did(tmp_path: Path) -> None:
    path = tmp_path / "var" / "orderloom.db"
    env = {"ORDERLOOM_DATABASE_URL": f"sqlite:///{path}"}
    assert orderloom(env, "db", "upgrade") == (
        0,
        f"created the database {path} and its tables from nothing (schema revision {HEAD})\n",
    )
    assert orderloom(env, "db", "upgrade") == (
        0,
        f"the database sqlite:///{path} is up to date (schema revision {HEAD})\n",
    )
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert orderloom({"ORDERLOOM_DATABASE_URL": f"sqlite:///{empty}"}, "db", "upgrade") == (
        0,
        f"created the OrderLoom tables in sqlite:///{empty} from nothing (schema revision {HEAD})\n",
    )
    older = tmp_path / "older.db"
    upgrade(f"sqlite:///{older}", "0010")
    assert orderloom({"ORDERLOOM_DATABASE_URL": f"sqlite:///{older}"}, "db", "upgrade") == (
        0,
        f"upgraded the database sqlite:///{older} from schema revision 0010 to {HEAD}\n",
    )


def test_db_upgrade_on_an_empty_postgresql_database_says_it_made_the_tables(pg_url: str) -> None:
    code, output = orderloom({"ORDERLOOM_DATABASE_URL": pg_url}, "db", "upgrade")
    assert (code, output) == (
        0,
        f"created the OrderLoom tables in {pg_url} from nothing (schema revision {HEAD})\n",
    )
    code, output = orderloom({"ORDERLOOM_DATABASE_URL": pg_url}, "db", "upgrade")
    assert (code, output) == (0, f"the database {pg_url} is up to date (schema revision {HEAD})\n")


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgres ql://x", "ArgumentError: Could not parse SQLAlchemy URL"),
        ("postgresql+nodriver://a@b/c", "NoSuchModuleError"),
    ],
)
@pytest.mark.parametrize("command", [("orders", "list"), ("db", "upgrade")])
def test_a_database_url_that_cannot_be_used_is_said_so(url: str, said: str, command: tuple[str, ...]) -> None:
    code, output = orderloom({"ORDERLOOM_DATABASE_URL": url}, *command)
    assert code == 1 and output.startswith(f"error: cannot use the database URL: {said}")
    assert "Traceback" not in output


def test_the_database_password_is_never_printed(pg_url: str) -> None:
    """The test server trusts every login, so any password gets in: it must not come out again."""
    url = pg_url.replace("postgresql+psycopg://orderloom@", "postgresql+psycopg://orderloom:s3cr%25t@")
    assert url != pg_url
    code, output = orderloom({"ORDERLOOM_DATABASE_URL": url}, "db", "upgrade")
    assert code == 0 and "s3cr" not in output and "orderloom:***@" in output
    code, output = orderloom({"ORDERLOOM_DATABASE_URL": url}, "orders", "list")
    assert code == 0 and "s3cr" not in output


def test_a_database_that_refuses_is_said_so_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "orderloom.db"
    assert orderloom({"ORDERLOOM_DATABASE_URL": f"sqlite:///{path}"}, "db", "upgrade")[0] == 0
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"  # a URI: no file named "file:..." is looked for
    code, output = orderloom({"ORDERLOOM_DATABASE_URL": read_only}, "orders", "list")
    assert code == 1 and "refused: attempt to write a readonly database" in output
    assert "there is no database" not in output and "Traceback" not in output
