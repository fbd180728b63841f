"""The composition root: one place that builds the store, the plugin registries and the engine.

Every plugin is loaded (and checked against its protocol) here, when a process starts: one that does not
fit stops the start with its ``PluginError``, never a page later."""

from __future__ import annotations

from dataclasses import dataclass

from engine.api.studio import Studio
from engine.clock import Clock, SystemClock
from engine.plugins import OptionSourceRegistry, PluginRegistry
from engine.randomness import Randomness
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
    option_sources: OptionSourceRegistry
    studio: Studio

    def close(self) -> None:
        self.store.dispose()


def build_services(
    settings: Settings, clock: Clock | None = None, randomness: Randomness | None = None
) -> Services:
    ensure_sqlite_folder(settings.database_url)
    store = Store(settings.database_url)
    try:
        registry = PluginRegistry.from_entry_points()
        option_sources = OptionSourceRegistry.from_entry_points()
    except BaseException:
        store.dispose()
        raise
    engine = Engine(store, registry, clock or SystemClock(), randomness=randomness)
    studio = Studio(engine, settings.definitions_root)
    return Services(settings, store, registry, engine, option_sources, studio)
