"""Where the command line finds its database, and what it says when the database is not ready."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.store.migrate import upgrade
from web.app import create_app
from web.cli import main
from web.settings import UNSET_SECRET_KEY, Settings


def orderloom(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_the_default_database_sits_beside_the_definitions_wherever_the_command_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = Settings.from_env({"ORDERLOOM_DEFINITIONS": str(tmp_path / "defs")})
    assert settings.database_url == f"sqlite:///{tmp_path / 'defs' / 'var' / 'orderloom.db'}"


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
        "has an older schema (revision 0010; this OrderLoom needs 0011): run `orderloom db upgrade`" in output
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
