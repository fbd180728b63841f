"""The composition root: one place that builds the store, the plugin registry and the engine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.clock import Clock, SystemClock
from engine.plugins import PluginRegistry
from engine.runtime import Engine
from engine.store.store import Store
from web.settings import Settings


@dataclass
class Services:
    settings: Settings
    store: Store
    registry: PluginRegistry
    engine: Engine

    def close(self) -> None:
        self.store.dispose()


def ensure_sqlite_folder(url: str) -> None:
    """An embedded SQLite database lives in a folder (``var/``) that may not exist yet."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != "sqlite:///:memory:":
        Path(url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    ensure_sqlite_folder(settings.database_url)
    store = Store(settings.database_url)
    registry = PluginRegistry.from_entry_points()
    engine = Engine(store, registry, clock or SystemClock())
    return Services(settings=settings, store=store, registry=registry, engine=engine)
