"""The composition root (wiring/services.py): the services built from the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import PluginError
from wiring.services import build_services
from wiring.settings import Settings


def test_services_on_a_read_only_sqlite_uri_leave_the_working_directory_as_it_was(
    tmp_path: Path, elsewhere: Path
) -> None:
    path = tmp_path / "orderloom.db"
    settings = Settings(
        database_url=f"sqlite:///file:{path}?mode=ro&uri=true", definitions_root=tmp_path, secret_key="k" * 32
    )
    build_services(settings).close()
    assert list(elsewhere.iterdir()) == []


def test_a_refused_option_source_stops_the_services_from_being_built_not_a_page_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = tmp_path / "site" / "broken_options-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: broken-options\nVersion: 1.0\n", encoding="utf-8"
    )
    # os.getcwd takes no argument: it is no option source
    (info / "entry_points.txt").write_text(
        "[orderloom.option_sources]\nbroken = os:getcwd\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'orderloom.db'}", definitions_root=tmp_path, secret_key="k" * 32
    )
    with pytest.raises(PluginError) as refused:
        build_services(settings)
    assert "entry point 'broken' (os:getcwd) in orderloom.option_sources" in str(refused.value)
