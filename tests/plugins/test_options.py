"""The built-in option sources, found through their entry points, against a real stock and customers table
and the shipped routing rule files."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from engine.errors import PluginError
from engine.plugins import OptionContext, OptionSourceRegistry
from engine.store.products import Product, write_products
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
    # a department's rules folder is named with hyphens for its underscores
    assert [w["value"] for w in ask("warehouses", "after_sales")] == ["SH-01", "GZ-01", "BJ-01", "CD-01"]
    assert ask("warehouses", "no-such-department") == []
    assert ask("warehouses", "../retail") == []


def test_products_are_the_active_ones_of_the_catalogue_with_their_names_and_prices(db: Engine) -> None:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    with db.begin() as connection:
        write_products(
            connection,
            [
                Product("XM-BAND8", "小米手环8", "Xiaomi Band 8", Decimal("249")),
                Product("HR-BCD470", "海尔冰箱", "Haier fridge", Decimal("3299.5"), active=False),
                Product("GC-100", "礼品卡100元", "Gift card 100", Decimal("100"), kind="virtual"),
                Product("YL-MILK24", "伊利纯牛奶", "Yili milk", Decimal("69.9")),
            ],
            at,
            "admin",
        )
    with db.connect() as connection:
        offered = REGISTRY.options("products", OptionContext("retail", {}, connection=connection))
        assert offered == [
            {
                "value": "GC-100",
                "label": {"zh": "GC-100 · 礼品卡100元", "en": "GC-100 · Gift card 100"},
                "fills": {"name": {"zh": "礼品卡100元", "en": "Gift card 100"}, "unit_price": 100},
            },
            {
                "value": "XM-BAND8",
                "label": {"zh": "XM-BAND8 · 小米手环8", "en": "XM-BAND8 · Xiaomi Band 8"},
                "fills": {"name": {"zh": "小米手环8", "en": "Xiaomi Band 8"}, "unit_price": 249},
            },
            {
                "value": "YL-MILK24",
                "label": {"zh": "YL-MILK24 · 伊利纯牛奶", "en": "YL-MILK24 · Yili milk"},
                "fills": {"name": {"zh": "伊利纯牛奶", "en": "Yili milk"}, "unit_price": 69.9},
            },
        ]
        # in stock: units free to reserve (the fixture's stock), and the virtual ones, which need none
        in_stock = OptionContext("retail", {"in_stock": True}, connection=connection)
        assert [o["value"] for o in REGISTRY.options("products", in_stock)] == ["GC-100", "XM-BAND8"]
        goods = OptionContext("wholesale", {"kind": "shipped"}, connection=connection)
        assert [o["value"] for o in REGISTRY.options("products", goods)] == ["XM-BAND8", "YL-MILK24"]
        returns = OptionContext(
            "after_sales", {"kind": "shipped", "discontinued": True}, connection=connection
        )
        assert [o["value"] for o in REGISTRY.options("products", returns)] == [
            "HR-BCD470",
            "XM-BAND8",
            "YL-MILK24",
        ]
        with pytest.raises(PluginError, match="kind must be 'shipped' or 'virtual'"):
            REGISTRY.options("products", OptionContext("retail", {"kind": "digital"}, connection=connection))


def test_a_fill_that_is_neither_text_nor_a_number_is_refused() -> None:
    registry = OptionSourceRegistry(
        {"bad": lambda ctx: [{"value": 1, "label": {"zh": "a", "en": "a"}, "fills": [1]}]}
    )
    with pytest.raises(PluginError, match="gave fills"):
        registry.options("bad", OptionContext("retail"))


def test_a_note_that_is_not_a_text_in_both_languages_is_refused() -> None:
    registry = OptionSourceRegistry(
        {"bad": lambda ctx: [{"value": 1, "label": {"zh": "a", "en": "a"}, "note": "nothing on file"}]}
    )
    with pytest.raises(PluginError, match="gave note 'nothing on file', not"):
        registry.options("bad", OptionContext("retail"))


def test_without_a_catalogue_products_are_the_skus_of_the_stock_table(db: Engine) -> None:
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


def test_accounts_of_the_department_labelled_by_company_frozen_ones_left_out(db: Engine) -> None:
    def account(department: str, number: str, company: str, status: str = "active") -> dict[str, object]:
        return {
            "department": department, "account_no": number, "company": company, "credit_limit": 1,
            "outstanding": 0, "overdue_days": 0, "status": status, "updated_at": NOW,
        }  # fmt: skip

    with db.begin() as connection:
        connection.execute(
            insert(customer_accounts),
            [
                account("wholesale", "W100458", "杭州恒源百货有限公司"),
                account("wholesale", "W100231", "上海鑫达商贸有限公司"),
                account("retail", "W100999", "零售部的账户"),
                # frozen: its orders are refused by the credit check, so the picker does not offer it
                account("wholesale", "W102011", "深圳鹏程电子有限公司", status="blocked"),
                account("wholesale", "W100877", "东莞市长安五金制品厂", status="watch"),
            ],
        )
    with db.connect() as connection:
        found = REGISTRY.options("accounts", OptionContext("wholesale", {}, connection=connection))
    nothing = {  # none of them holds a contact: each says so once picked
        "zh": "该客户账户没有登记联系人、手机号和地址，请手动填写",
        "en": "Nothing on file for this account: type in the contact, mobile number and address",
    }
    assert found == [
        {
            "value": "W100231",
            "label": {"zh": "上海鑫达商贸有限公司（W100231）", "en": "上海鑫达商贸有限公司 (W100231)"},
            "note": nothing,
        },
        {
            "value": "W100877",
            "label": {"zh": "东莞市长安五金制品厂（W100877）", "en": "东莞市长安五金制品厂 (W100877)"},
            "note": nothing,
        },
        {
            "value": "W100458",
            "label": {"zh": "杭州恒源百货有限公司（W100458）", "en": "杭州恒源百货有限公司 (W100458)"},
            "note": nothing,
        },
    ]
    with pytest.raises(PluginError, match="no connection"):
        REGISTRY.options("accounts", OptionContext("wholesale", {}))


def test_an_account_fills_the_contact_and_the_address_it_holds(db: Engine) -> None:
    """Picking 上海鑫达 on the wholesale intake filled nothing: the account's contact, mobile and
    address are filled in (from the form's root: ``contact.name``), each left out when the record
    holds none."""
    held = {
        "contact_name": "陈静", "contact_mobile": "13912345678", "address_province": "广东省",
        "address_city": "广州市", "address_district": "天河区", "address_detail": "体育西路191号B座",
        "address_postcode": "510620",
    }  # fmt: skip
    rows = [
        {"account_no": "W100231", "company": "上海鑫达商贸有限公司", **held},
        {"account_no": "W100458", "company": "杭州恒源百货有限公司", "contact_name": "周洁"},
    ]
    with db.begin() as connection:
        for row in rows:
            connection.execute(
                insert(customer_accounts).values(
                    department="wholesale", credit_limit=1, outstanding=0, overdue_days=0, status="active",
                    updated_at=NOW, **row
                )
            )  # fmt: skip
    with db.connect() as connection:
        found = REGISTRY.options("accounts", OptionContext("wholesale", {}, connection=connection))
    assert [option.get("fills") for option in found] == [
        {
            "contact.name": "陈静",
            "contact.mobile": "13912345678",
            "address.province": "广东省",
            "address.city": "广州市",
            "address.district": "天河区",
            "address.detail": "体育西路191号B座",
            "address.postcode": "510620",
        },
        {"contact.name": "周洁"},
    ]
    # the one holding it all says nothing; the other names what it lacks, in both languages
    assert [option.get("note") for option in found] == [
        None,
        {
            "zh": "该客户账户没有登记手机号和地址，请手动填写",
            "en": "Not on file for this account, to type in: the mobile number and the address",
        },
    ]


def test_an_unknown_source_and_a_malformed_option_are_refused() -> None:
    with pytest.raises(PluginError, match="did you mean 'regions'"):
        ask("region")
    broken = OptionSourceRegistry({"broken": lambda ctx: [{"value": 1, "label": "one"}]})
    with pytest.raises(PluginError, match="not \\{value, label: \\{zh, en\\}\\}"):
        broken.options("broken", OptionContext("retail"))
    with pytest.raises(PluginError, match="registered twice"):
        broken.register("broken", lambda ctx: [])
