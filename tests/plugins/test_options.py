"""The built-in option sources, found through their entry points, against a real stock and customers table
and the shipped routing rule files."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from engine.errors import PluginError
from engine.plugins import OptionContext, OptionSourceRegistry
from engine.store.tables import customer_accounts, customers

from .conftest import NOW

REPO = Path(__file__).resolve().parents[2]
REGISTRY = OptionSourceRegistry.from_entry_points()


def ask(name: str, department: str = "retail", **params: object) -> list[dict[str, object]]:
    return REGISTRY.options(name, OptionContext(department, params, definitions_root=REPO))


def test_the_built_in_sources_are_registered() -> None:
    assert REGISTRY.names >= {"products", "warehouses", "carriers", "regions", "customers", "accounts"}


def test_regions_short_and_full() -> None:
    short = ask("regions")
    assert len(short) == 34
    assert short[8] == {"value": "上海", "label": {"zh": "上海", "en": "Shanghai"}}
    full = ask("regions", names="full")
    assert {"value": "广西壮族自治区", "label": {"zh": "广西壮族自治区", "en": "Guangxi"}} in full
    with pytest.raises(PluginError, match="names must be 'short' or 'full'"):
        ask("regions", names="pinyin")


def test_warehouses_and_carriers_come_from_the_departments_routing_file() -> None:
    warehouses = ask("warehouses")
    assert warehouses[0] == {"value": "SH-01", "label": {"zh": "上海仓", "en": "Shanghai warehouse"}}
    assert [w["value"] for w in warehouses] == ["SH-01", "BJ-01", "GZ-01", "CD-01"]
    assert {"value": "sf", "label": {"zh": "顺丰速运", "en": "SF Express"}} in ask("carriers")
    assert ask("warehouses", "wholesale") and ask("carriers", "after-sales")
    assert ask("warehouses", "no-such-department") == []
    assert ask("warehouses", "../retail") == []


def test_products_are_the_skus_of_the_stock_table(db: Engine) -> None:
    with db.connect() as connection:
        context = OptionContext("retail", {}, connection=connection)
        assert [o["value"] for o in REGISTRY.options("products", context)] == ["HR-BCD470", "XM-BAND8"]
        in_gz = OptionContext("retail", {"warehouse": "GZ-01"}, connection=connection)
        assert REGISTRY.options("products", in_gz) == [
            {"value": "XM-BAND8", "label": {"zh": "XM-BAND8", "en": "XM-BAND8"}}
        ]
    with pytest.raises(PluginError, match="no connection"):
        ask("products")


def test_customers_of_the_department_with_masked_mobiles(db: Engine) -> None:
    with db.begin() as connection:
        connection.execute(
            insert(customers),
            [
                {"department": "retail", "mobile": "13812345678", "name": "张伟", "created_at": NOW},
                {"department": "retail", "mobile": "13900001111", "name": None, "created_at": NOW},
                {"department": "wholesale", "mobile": "13700002222", "name": "李娜", "created_at": NOW},
            ],
        )
    with db.connect() as connection:
        found = REGISTRY.options("customers", OptionContext("retail", {}, connection=connection))
    with db.connect() as connection:
        ids = dict(connection.execute(select(customers.c.mobile, customers.c.id)).all())
    assert sorted(found, key=lambda o: str(o["label"])) == [
        {"value": ids["13900001111"], "label": {"zh": "139****1111", "en": "139****1111"}},
        {"value": ids["13812345678"], "label": {"zh": "张伟（138****5678）", "en": "张伟 (138****5678)"}},
    ]
    assert "13812345678" not in str(found)  # the full number is nowhere in what a page lists


def test_accounts_of_the_department_labelled_by_company(db: Engine) -> None:
    def account(department: str, number: str, company: str) -> dict[str, object]:
        return {
            "department": department, "account_no": number, "company": company, "credit_limit": 1,
            "outstanding": 0, "overdue_days": 0, "status": "active", "updated_at": NOW,
        }  # fmt: skip

    with db.begin() as connection:
        connection.execute(
            insert(customer_accounts),
            [
                account("wholesale", "W100458", "杭州恒源百货有限公司"),
                account("wholesale", "W100231", "上海鑫达商贸有限公司"),
                account("retail", "W100999", "零售部的账户"),
            ],
        )
    with db.connect() as connection:
        found = REGISTRY.options("accounts", OptionContext("wholesale", {}, connection=connection))
    assert found == [
        {
            "value": "W100231",
            "label": {"zh": "上海鑫达商贸有限公司（W100231）", "en": "上海鑫达商贸有限公司 (W100231)"},
        },
        {
            "value": "W100458",
            "label": {"zh": "杭州恒源百货有限公司（W100458）", "en": "杭州恒源百货有限公司 (W100458)"},
        },
    ]
    with pytest.raises(PluginError, match="no connection"):
        REGISTRY.options("accounts", OptionContext("wholesale", {}))


def test_an_unknown_source_and_a_malformed_option_are_refused() -> None:
    with pytest.raises(PluginError, match="did you mean 'regions'"):
        ask("region")
    broken = OptionSourceRegistry({"broken": lambda ctx: [{"value": 1, "label": "one"}]})
    with pytest.raises(PluginError, match="not \\{value, label: \\{zh, en\\}\\}"):
        broken.options("broken", OptionContext("retail"))
    with pytest.raises(PluginError, match="registered twice"):
        broken.register("broken", lambda ctx: [])
