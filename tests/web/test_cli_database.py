"""Where the command line finds its database, and what it says when the database is not ready."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from engine.store.migrate import alembic_config, upgrade
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
    head = ScriptDirectory.from_config(alembic_config(f"sqlite:///{path}")).get_current_head()
    assert head is not None and head > "0010"
    said = f"has an older schema (revision 0010; this OrderLoom needs {head}): run `orderloom db upgrade`"
    assert said in output
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


def _key_in(folder: str) -> str:
    from web.settings import kept_secret_key

    return kept_secret_key(Path(folder))


def test_workers_starting_together_all_take_the_one_kept_key(tmp_path: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor

    for trial in range(5):
        folder = tmp_path / f"trial-{trial}" / "var"
        with ProcessPoolExecutor(max_workers=6) as pool:
            keys = set(pool.map(_key_in, [str(folder)] * 12))
        assert keys == {(folder / "secret_key").read_text(encoding="utf-8").strip()}
        assert [p.name for p in folder.iterdir()] == ["secret_key"]  # no half-made file left behind


def test_a_kept_key_anyone_may_read_is_made_owner_only_and_a_short_one_refused(tmp_path: Path) -> None:
    from web.settings import kept_secret_key

    folder = tmp_path / "var"
    folder.mkdir()
    kept = folder / "secret_key"
    kept.write_text("k" * 64 + "\n", encoding="utf-8")
    kept.chmod(0o644)
    assert kept_secret_key(folder) == "k" * 64
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    kept.write_text("short\n", encoding="utf-8")
    with pytest.raises(ValueError, match="holds 5 characters, not a session key of at least 32: delete it"):
        kept_secret_key(folder)


@pytest.mark.parametrize("key", ["x", " " * 40, "a" * 31])
def test_a_session_key_too_short_to_be_secret_is_refused(key: str) -> None:
    if not key.strip():
        assert Settings.from_env({"ORDERLOOM_SECRET_KEY": key}).secret_key == UNSET_SECRET_KEY
        return
    with pytest.raises(ValueError, match="ORDERLOOM_SECRET_KEY: at least 32 random characters"):
        Settings.from_env({"ORDERLOOM_SECRET_KEY": key})
    code, output = orderloom({"ORDERLOOM_SECRET_KEY": key}, "orders", "list")
    assert code == 2 and "ORDERLOOM_SECRET_KEY: at least 32 random characters" in output


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
