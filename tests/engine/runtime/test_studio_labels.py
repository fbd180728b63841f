"""What the studio's pages name things by (engine/runtime/studio_labels.py), on SQLite and PostgreSQL:
a workflow by the title of its newest version, a person by the display name, with the login only where
two people would read alike."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from engine.clock import FrozenClock
from engine.common.text import Text
from engine.dsl.compiler import load_bundle
from engine.dsl.texts import bundle_sources
from engine.plugins import PluginRegistry
from engine.runtime import Engine
from engine.runtime.studio_labels import Person, StudioLabels, studio_labels
from engine.store import Store
from engine.store.users import add_user
from engine.store.versions import VersionMeta

ROOT = Path(__file__).resolve().parents[3]
REGISTRY = PluginRegistry.from_entry_points()


def _user(store: Store, name: str, display_name: str) -> None:
    add_user(
        store,
        name=name,
        display_name=display_name,
        password_hash="-",
        roles=("admin",),
        departments=("retail",),
        at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_the_titles_of_the_departments_workflows_and_the_display_names(store: Store) -> None:
    engine = Engine(store, REGISTRY, FrozenClock())
    for path in ("workflows/retail/order.yaml", "workflows/wholesale/order.yaml"):
        bundle = load_bundle(
            ROOT / path, ROOT, action_names=REGISTRY.action_names, action_writes=REGISTRY.action_writes
        )
        engine.publish(bundle, meta=VersionMeta(sources=bundle_sources(bundle, ROOT)))
    _user(store, "ma.li", "李马")
    _user(store, "wang.fang", "王芳")
    _user(store, "wang.fang2", "王芳")

    labels = studio_labels(engine, "retail")

    assert labels.workflow("retail-order", "zh") == "零售订单"
    assert labels.workflow("retail-order", "en") == "Retail order"
    # another department's workflow, or one never published, is named by its name
    assert labels.workflow("wholesale-order", "zh") == "wholesale-order"
    assert studio_labels(engine, "wholesale").workflow("wholesale-order", "zh") == "批发订单"
    assert labels.person("ma.li") == Person("李马", None)
    assert labels.person("wang.fang") == Person("王芳", "wang.fang")
    assert labels.person("wang.fang2") == Person("王芳", "wang.fang2")
    assert labels.person("cli") == Person("cli", None)  # no such user: the name as written


def test_a_display_name_that_is_another_users_login_keeps_the_login_beside_it() -> None:
    titles = {"retail-order": Text("零售订单", "Retail order")}
    labels = StudioLabels(titles, {"he.tao": "何涛", "x": "he.tao"})
    assert labels.person("x") == Person("he.tao", "x")
    assert labels.person("he.tao") == Person("何涛", None)
    assert StudioLabels({}, {"ma.li": "ma.li"}).person("ma.li") == Person("ma.li", None)
    assert StudioLabels({}, {"ma.li": "  "}).person("ma.li") == Person("ma.li", None)
