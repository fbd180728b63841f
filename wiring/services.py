"""The composition root: one place that builds the store, the plugin registry and the engine."""

from __future__ import annotations

from dataclasses import dataclass

from engine.clock import Clock, SystemClock
from engine.plugins import PluginRegistry
from engine.runtime import Engine
from engine.store.store import Store
from wiring.database import ensure_sqlite_folder
from wiring.settings import Settings


@dataclass
class Services:
    settings: Settings
    store: Store
    registry: PluginRegistry
    engine: Engine

    def close(self) -> None:
        self.store.dispose()


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    ensure_sqlite_folder(settings.database_url)
    store = Store(settings.database_url)
    registry = PluginRegistry.from_entry_points()
    engine = Engine(store, registry, clock or SystemClock())
    return Services(settings=settings, store=store, registry=registry, engine=engine)
