"""The typed settings (wiring/settings.py): where the embedded database sits by default, and the session key
kept in var/secret_key when none is set."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from wiring.settings import Settings, kept_secret_key


def test_the_default_database_sits_beside_the_definitions_wherever_the_command_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = Settings.from_env({"ORDERLOOM_DEFINITIONS": str(tmp_path / "defs")})
    assert settings.database_url == f"sqlite:///{tmp_path / 'defs' / 'var' / 'orderloom.db'}"


def _key_in(folder: str) -> str:
    return kept_secret_key(Path(folder))


def test_workers_starting_together_all_take_the_one_kept_key(tmp_path: Path) -> None:
    for trial in range(5):
        folder = tmp_path / f"trial-{trial}" / "var"
        with ProcessPoolExecutor(max_workers=6) as pool:
            keys = set(pool.map(_key_in, [str(folder)] * 12))
        assert keys == {(folder / "secret_key").read_text(encoding="utf-8").strip()}
        assert [p.name for p in folder.iterdir()] == ["secret_key"]  # no half-made file left behind


def test_a_kept_key_anyone_may_read_is_made_owner_only_and_a_short_one_refused(tmp_path: Path) -> None:
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
