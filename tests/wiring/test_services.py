"""The composition root (wiring/services.py): the services built from the settings."""

from __future__ import annotations

from pathlib import Path

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
