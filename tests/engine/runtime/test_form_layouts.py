"""A form's UI file at work in the engine: published with the workflow, hidden groups dropped and computed
fields filled before the data is validated, refusals worded from the fields' labels."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from engine.clock import FrozenClock
from engine.dsl.compiler import Bundle, load_bundle
from engine.errors import DefinitionError, TransitionRejected
from engine.plugins import PluginRegistry
from engine.runtime import Actor, Engine
from engine.store import Store
from engine.store.tables import stock

ROOT = Path(__file__).resolve().parents[3]
REGISTRY = PluginRegistry.from_entry_points()
CLERK = Actor("li.na", frozenset({"clerk"}), frozenset({"retail"}))
RETAIL = ROOT / "workflows" / "retail" / "order.yaml"


def web_order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "customer": {"name": "张伟", "mobile": "13812345678"},
        "address": {
            "province": "上海市",
            "city": "上海市",
            "district": "浦东新区",
            "detail": "世纪大道1198号",
        },
        "lines": [
            {"sku": "XM-BAND8", "name": "小米手环8", "qty": 2, "unit_price": 239, "amount": 1},
            {"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": 199.5, "amount": 1},
        ],
        "shipping_fee": 10,
        "discount": 5,
        "total": 1,
    }
    order.update(changes)
    return order


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    store = Store(sqlite_url)
    store.upgrade()
    with store.transaction() as tx:
        tx.connection.execute(insert(stock).values(sku="XM-BAND8", warehouse="SH-01", on_hand=50, reserved=0))
    engine = Engine(store, REGISTRY, FrozenClock(datetime(2026, 11, 30, 1, 0, tzinfo=UTC)))
    engine.publish(load_bundle(RETAIL, ROOT, action_names=REGISTRY.action_names))
    yield engine
    store.dispose()


def test_the_ui_files_of_its_forms_are_published_with_the_workflow() -> None:
    bundle = load_bundle(RETAIL, ROOT, action_names=REGISTRY.action_names)
    assert "forms/retail/intake-web.json" in bundle.layouts
    assert bundle.layouts["forms/retail/intake-web.json"]["groups"][0]["name"] == "customer"
    stored = Bundle.from_json(bundle.to_json())
    assert stored.layouts == bundle.layouts and stored.content_hash == bundle.content_hash
    # a bundle without UI files hashes as it did before they existed
    bare = Bundle(bundle.workflow, bundle.forms, bundle.rulesets, bundle.source_path)
    assert "layouts" not in bare.content() and bare.content_hash != bundle.content_hash


def test_a_broken_ui_file_stops_the_workflow_from_loading(tmp_path: Path) -> None:
    for folder in ("workflows", "forms", "rules"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    ui = tmp_path / "forms" / "retail" / "intake-web.ui.json"
    doc = json.loads(ui.read_text(encoding="utf-8"))
    doc["groups"][0]["fields"].append("customer.nmae")
    ui.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(DefinitionError) as refused:
        load_bundle(
            tmp_path / "workflows" / "retail" / "order.yaml", tmp_path, action_names=REGISTRY.action_names
        )
    [problem] = refused.value.problems
    assert problem.file == "forms/retail/intake-web.ui.json" and "customer.nmae" in problem.message


def test_computed_fields_are_the_servers_whatever_was_sent(engine: Engine) -> None:
    order = engine.create_order(CLERK, "retail", "retail-order", "web", web_order())
    assert [line["amount"] for line in order.data["lines"]] == [478, 199.5]
    assert order.data["total"] == 682.5  # 478 + 199.5 + 10 - 5
    assert order.state == "pending_payment"  # the audit sees the computed total


def test_a_hidden_group_is_not_stored(engine: Engine) -> None:
    invoice = {"type": "company", "title": "上海某某科技有限公司", "tax_id": "91310000MA1FL8XX3K"}
    order = engine.create_order(
        CLERK, "retail", "retail-order", "web", web_order(needs_invoice=False, invoice=invoice)
    )
    assert "invoice" not in order.data and order.data["needs_invoice"] is False
    wanted = engine.create_order(
        CLERK, "retail", "retail-order", "web", web_order(needs_invoice=True, invoice=invoice)
    )
    assert wanted.data["invoice"] == invoice


def test_refusals_are_worded_from_the_labels_in_both_languages(engine: Engine) -> None:
    data = web_order(customer={"name": "张伟"}, needs_invoice=True)
    with pytest.raises(TransitionRejected) as refused:
        engine.create_order(CLERK, "retail", "retail-order", "web", data)
    by_path = {r.details["path"]: r for r in refused.value.refusals}
    mobile = by_path["$.customer.mobile"]
    assert (mobile.zh, mobile.en) == ("请填写收货人手机号", "Recipient's mobile number: enter a value")
    assert by_path["$.invoice"].details["keyword"] == "required"
    assert all(r.details["form"].startswith("forms/retail/") for r in refused.value.refusals)


def test_a_stored_version_loads_its_layouts_without_checking_them_again() -> None:
    from engine.dsl.compiler import compile_bundle
    from engine.runtime.compiled import compile_version

    bundle = load_bundle(RETAIL, ROOT, action_names=REGISTRY.action_names)
    layouts = {path: dict(ui) for path, ui in bundle.layouts.items()}
    # a key today's ui.schema.json does not know, as a version published under other rules may hold
    layouts["forms/retail/intake-web.json"]["x-retired"] = True
    stored = Bundle(bundle.workflow, bundle.forms, bundle.rulesets, bundle.source_path, layouts)
    version = compile_version(compile_bundle(stored, 7), REGISTRY)
    assert version.layouts["forms/retail/intake-web.json"].groups[0].name == "customer"
