"""The throw-away app the studio's benches measure: the shipped definitions over a fresh SQLite file in a
temporary folder, migrated, with one admin of every department (``ma.li``).

Used by ``bench/studio.py`` (through Flask's test client) and ``bench/diagram.py`` (served to a browser).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from flask import Flask  # noqa: E402

from web.app import create_app  # noqa: E402
from web.users import create_user  # noqa: E402
from wiring.settings import Settings  # noqa: E402

ADMIN, PASSWORD = "ma.li", "bench-password"


@contextmanager
def admin_app(name: str, config: Mapping[str, Any] | None = None) -> Iterator[Flask]:
    """The app named ``name`` (its secret key is derived from it), with ``config`` over Flask's; its
    services are closed and its folder removed on leaving."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}",
            definitions_root=REPO_ROOT,
            secret_key=f"bench-{name}-" + "x" * 32,  # a throw-away app in a temporary folder
        )
        app = create_app(settings, dict(config or {}))
        services = app.extensions["orderloom"]
        services.store.upgrade()
        create_user(
            services.store,
            name=ADMIN,
            password=PASSWORD,
            roles=["admin"],
            departments=["*"],
            at=datetime.now(UTC),
        )
        try:
            yield app
        finally:
            services.close()
