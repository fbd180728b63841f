"""Demo data: the shipped workflows published, warehouses stocked, and a few hundred orders worked.

``load_demo(engine, store, root)`` publishes every workflow under ``root/workflows``, stocks four
warehouses, stores the wholesale customers' accounts (``ACCOUNTS``, with their account manager, whose
demo login it adds when missing), and then plays three weeks of
business through the real Engine: web and app shoppers, a flash sale, wholesale accounts ordering by
phone and email, and after-sales requests. Each order follows
a story (pay, get reviewed, ship, deliver, complete, return, cancel, time out…) whose steps are spread over
time; the engine's clock is moved from step to step and due timers run on the way, so unpaid orders
cancel themselves and delivered ones confirm themselves exactly as they would in production.

An engine on a ``FrozenClock`` is moved as it is; any other engine is replaced, for the demo, by a twin on
the same store and registry whose clock (``demo_clock()``) ends at the present. The result depends only
on ``seed``, ``orders`` and the clock's start.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.api import (
    Actor,
    ApprovalAction,
    ApprovalRequest,
    Engine,
    FrozenClock,
    OrderView,
    PublishedVersion,
    Store,
)
from engine.api.accounts import change_api_login, change_email, find_user
from engine.api.catalogue import Product as CatalogueProduct
from engine.api.catalogue import put_products
from engine.api.customer_accounts import CustomerAccount, put_account
from engine.api.definitions import VersionMeta, bundle_sources, discover, load_bundle
from engine.api.named_lists import NamedLists
from engine.api.stock import adjust_stock, receive_stock, set_safety_stock, stock_levels, transfer_stock
from engine.errors import EngineError
from web.users import create_user

DEMO_DAYS = 21
BACKLOG_FROM = 100  # from this many orders on, some are the open work at the demo's end (see _backlog)
WORKER = "demo-loader"


# -- people ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    """A demo login: the engine's Actor plus what the web login needs; ``api``: an API login (a program,
    never offered as a person to hand work to)."""

    name: str
    display_name: str
    password: str
    roles: frozenset[str]
    departments: frozenset[str]
    api: bool = False
    former: tuple[str, ...] = ()  # display names the demo gave the login before (a database loaded then)

    @property
    def actor(self) -> Actor:
        return Actor(self.name, self.roles, self.departments)


def _user(
    name: str,
    display_name: str,
    roles: Sequence[str],
    departments: Sequence[str],
    *,
    api: bool = False,
    former: tuple[str, ...] = (),
) -> DemoUser:
    return DemoUser(name, display_name, f"{name}-demo", frozenset(roles), frozenset(departments), api, former)


# li.na first: the clerk who can take a retail order from placing to completion. The administrator sees
# every department's orders and takes no step in any (no workflow gives the role a transition). A display
# name is the person's name alone: a page that says who someone is names their roles beside it by the
# glossary's words in its own language (孙丽（审批人） / 孙丽 (Approver)); the storefront's orders come
# through the web shop's and the app's interface, which goes by its login, and so does the administrator.
DEMO_ACTORS: tuple[DemoUser, ...] = (
    _user("li.na", "李娜", ["clerk", "service"], ["retail"]),
    # the web shop and the app placing and paying orders: an API login, never offered as an assignee
    _user("storefront", "storefront", ["clerk"], ["retail"], api=True, former=("网店与App接口",)),
    _user("wang.qiang", "王强", ["reviewer"], ["retail"]),
    _user("zhao.lei", "赵磊", ["warehouse"], ["retail", "wholesale", "after_sales"]),
    # 采购: mailed a reorder suggestion when a stock row falls below its safety stock (docs/stock.md)
    _user("qian.hui", "钱慧", ["purchaser"], ["retail", "wholesale", "after_sales"]),
    _user("chen.jing", "陈静", ["sales"], ["wholesale"]),
    _user("liu.yang", "刘洋", ["credit_controller"], ["wholesale"]),
    _user("sun.li", "孙丽", ["approver"], ["wholesale"]),
    _user("gao.jun", "高军", ["director"], ["wholesale"]),
    _user("zhou.min", "周敏", ["finance"], ["wholesale"]),
    _user("huang.fang", "黄芳", ["service"], ["after_sales"]),
    _user("wu.gang", "吴刚", ["inspector"], ["after_sales"]),
    # the departments' own admins, who edit and publish their department's definitions in the studio
    _user("ma.li", "马丽", ["admin"], ["retail"]),
    _user("he.tao", "何涛", ["admin"], ["retail"]),
    _user("xu.jie", "徐杰", ["admin"], ["wholesale"]),
    _user("admin", "admin", ["admin"], ["*"]),
)


def demo_actors() -> list[Actor]:
    """The demo users as engine Actors (what ``orderloom demo`` prints)."""
    return [user.actor for user in DEMO_ACTORS]


def ensure_demo_users(store: Store, at: datetime, names: Collection[str] | None = None) -> list[str]:
    """Store the demo logins that are missing (password ``<name>-demo``, argon2-hashed), so the
    logins ``orderloom serve`` prints work; returns the names added. Existing users are left as they are,
    but for the demo's API logins, marked as such where the demo made them (their display name is the
    demo's): a database loaded before logins were marked. ``names``: only those of the demo logins."""
    added: list[str] = []
    for user in DEMO_ACTORS:
        if names is not None and user.name not in names:
            continue
        found = find_user(store, user.name)
        if found is not None and user.api and found.display_name in (user.display_name, *user.former):
            change_api_login(store, user.name, True)
        if found is None:
            create_user(
                store,
                name=user.name,
                password=user.password,
                roles=sorted(user.roles),
                departments=sorted(user.departments),
                at=at,
                display_name=user.display_name,
                api=user.api,
            )
            change_email(store, user.name, demo_email(user.name))  # approval tasks are mailed there
            added.append(user.name)
    return added


def demo_email(name: str) -> str:
    """A demo login's e-mail address (``orderloom run`` delivers into the Maildir ``var/mail``)."""
    return f"{name}@demo.orderloom.example"


def demo_clock(now: datetime | None = None) -> FrozenClock:
    """A clock starting ``DEMO_DAYS`` before ``now`` (to the minute): the demo ends near the present."""
    end = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    return FrozenClock(end - timedelta(days=DEMO_DAYS))


# -- the catalogue and the places --------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: Decimal
    retail_stock: int  # per warehouse
    wholesale: bool = False
    name_en: str = ""
    weight_kg: Decimal | None = None
    volume_l: Decimal | None = None  # litres
    virtual: bool = False  # a gift card, an extended warranty: no stock, no warehouse, no carrier
    active: bool = True  # discontinued: kept for the orders and requests that name it, sold no more
    restricted: bool = False  # on the restricted-skus list: an order of it is held for review, none made


CATALOGUE: tuple[Product, ...] = (
    Product("XM-BAND8", "小米手环8", Decimal("239"), 400, True, "Xiaomi Smart Band 8", Decimal("0.2"),
            Decimal("0.5")),
    Product("XM-14PRO", "小米14 Pro 手机 12GB+256GB", Decimal("4999"), 60, False,
            "Xiaomi 14 Pro phone 12GB+256GB", Decimal("0.6"), Decimal("1.2")),
    Product("HW-FBP3", "华为 FreeBuds Pro 3 无线耳机", Decimal("1199"), 80, False,
            "Huawei FreeBuds Pro 3 earbuds", Decimal("0.3"), Decimal("0.6")),
    Product("HR-BCD470", "海尔冰箱 BCD-470WGHTD", Decimal("3299"), 120, True,
            "Haier fridge BCD-470WGHTD", Decimal("85"), Decimal("620")),
    Product("MD-KFR35", "美的空调 KFR-35GW 1.5匹", Decimal("2599"), 60, False,
            "Midea air conditioner KFR-35GW 1.5 HP", Decimal("42"), Decimal("180")),
    Product("LX-Y9000P", "联想拯救者 Y9000P 笔记本", Decimal("9999"), 15, False,
            "Lenovo Legion Y9000P laptop", Decimal("3.8"), Decimal("12")),
    Product("AT-C202", "安踏 C202 跑鞋", Decimal("399"), 300, True, "Anta C202 running shoes", Decimal("0.9"),
            Decimal("9")),
    Product("LN-TS01", "李宁 速干运动T恤", Decimal("129"), 600, True, "Li-Ning quick-dry sports T-shirt",
            Decimal("0.25"), Decimal("1.5")),
    Product("SDB-COF24", "三顿半 精品速溶咖啡 24颗", Decimal("199"), 300, True,
            "Saturnbird instant coffee, 24 cups", Decimal("0.4"), Decimal("1.8")),
    Product("YL-MILK24", "伊利 纯牛奶 250ml×24盒", Decimal("69.9"), 800, True, "Yili whole milk 250 ml × 24",
            Decimal("6.5"), Decimal("8")),
    Product("BK-SANTI", "《三体》全集（典藏版）", Decimal("99"), 300, True,
            "The Three-Body Problem trilogy (collector's edition)", Decimal("1.6"), Decimal("3")),
    Product("SP-TRIAL", "三顿半 试饮装（0元领取）", Decimal("0"), 300, False, "Saturnbird trial pack (free)",
            Decimal("0.05"), Decimal("0.2")),
    # Virtual products: nothing to stock or ship (docs/catalogue.md); a few retail orders include one.
    Product("GC-200", "电子礼品卡 200元", Decimal("200"), 0, False, "E-gift card, 200 CNY", virtual=True),
    Product("WTY-EXT1", "延长保修 1年", Decimal("199"), 0, False, "Extended warranty, 1 year", virtual=True),
    # Discontinued: after-sales requests still name it (an exchange of a product no longer sold).
    Product("XM-BAND7", "小米手环7", Decimal("199"), 0, False, "Xiaomi Smart Band 7", Decimal("0.2"),
            active=False),
    # Restricted (限售): on the retail restricted-skus list, so an order of it is held for review.
    Product("TOBACCO-01", "电子烟烟弹套装", Decimal("129"), 0, False, "E-cigarette pod kit", Decimal("0.1"),
            Decimal("0.3"), restricted=True),
)  # fmt: skip
PRODUCTS = {p.sku: p for p in CATALOGUE}
GOODS = tuple(p for p in CATALOGUE if not p.virtual and p.active and not p.restricted)


def catalogue_products() -> list[CatalogueProduct]:
    """The demo catalogue as the product catalogue stores it (names in zh and en, prices, kinds)."""
    return [
        CatalogueProduct(
            p.sku,
            p.name,
            p.name_en,
            p.price,
            p.weight_kg,
            p.volume_l,
            "virtual" if p.virtual else "shipped",
            p.active,
        )
        for p in CATALOGUE
    ]


WAREHOUSES = {"SH-01": "上海仓", "GZ-01": "广州仓", "BJ-01": "北京仓", "CD-01": "成都仓"}
WHOLESALE_STOCK = 4000  # extra units per warehouse of every wholesale product

# (province, city, district, postcode, street)
PLACES: tuple[tuple[str, str, str, str, str], ...] = (
    ("北京市", "北京市", "朝阳区", "100020", "建国路88号SOHO现代城"),
    ("北京市", "北京市", "海淀区", "100080", "中关村大街27号"),
    ("上海市", "上海市", "浦东新区", "200120", "世纪大道1198号"),
    ("上海市", "上海市", "徐汇区", "200030", "漕溪北路398号"),
    ("广东省", "广州市", "天河区", "510620", "体育西路191号"),
    ("广东省", "深圳市", "南山区", "518057", "科技南十二路18号"),
    ("浙江省", "杭州市", "西湖区", "310013", "文三路478号"),
    ("江苏省", "南京市", "鼓楼区", "210008", "中山路321号"),
    ("江苏省", "苏州市", "姑苏区", "215000", "人民路1188号"),
    ("四川省", "成都市", "武侯区", "610041", "天府大道北段1700号"),
    ("湖北省", "武汉市", "洪山区", "430070", "珞喻路1037号"),
    ("陕西省", "西安市", "雁塔区", "710061", "小寨东路126号"),
    ("山东省", "青岛市", "市南区", "266071", "香港中路76号"),
    ("福建省", "厦门市", "思明区", "361003", "湖滨南路90号"),
    ("湖南省", "长沙市", "岳麓区", "410083", "麓山南路932号"),
    ("重庆市", "重庆市", "渝中区", "400010", "民族路188号"),
    ("天津市", "天津市", "和平区", "300041", "南京路219号"),
    ("河南省", "郑州市", "金水区", "450008", "花园路39号"),
    ("辽宁省", "沈阳市", "和平区", "110001", "太原北街86号"),
    ("云南省", "昆明市", "五华区", "650031", "东风西路99号"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN_NAMES = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "浩然",
    "子涵",
    "欣怡",
    "宇轩",
    "梓萱",
    "一诺",
    "思远",
    "雨桐",
    "俊杰",
    "佳怡",
    "晓东",
    "海燕",
    "建华",
    "志强",
]
# The retail department's managed lists (rules/retail/audit.yaml names them; publishing creates them
# empty): the mobiles the audit rejects, written as clerks type them, and an address it holds.
BLACKLISTED_MOBILES = ("13800000000", "13900001111", "17000000000")
BLOCKED_MOBILES_TYPED = ("+86 138 0000 0000", "139-0000-1111", "0086 17000000000")
BLOCKED_ADDRESSES = ("广东省深圳市 南山区科技园南区粤海街道88号",)
RESTRICTED_SKUS = ("tobacco-01",)  # as typed: the list matches it as TOBACCO-01, a product of the catalogue
CARRIERS = ("sf", "jd", "zto", "yto", "sto", "yunda", "ems")
# Why a reviewer rejects a held order, and why the service desk declines an after-sales request.
REJECT_REASONS = ("收货地址与历史欺诈订单一致", "同一设备短时间内多次下单", "客户电话无法核实身份")
DECLINE_REASONS = ("已超过售后期限", "商品已使用，不符合退换条件", "无法提供购买凭证")


# Each business customer's buyer and delivery address (contact, mobile, province, city, district, street
# address, postcode), by account number: what the intake's account picker fills in.
_CONTACTS: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "W100231": ("陈立新", "13912345678", "上海市", "上海市", "浦东新区", "张杨路500号时代广场12楼", "200120"),
    "W100458": ("周建华", "13757112345", "浙江省", "杭州市", "上城区", "解放路138号恒源大厦5楼", "310002"),
    "W100872": ("李婷", "13880012345", "四川省", "成都市", "锦江区", "春熙路88号蜀丰大厦8楼", "610021"),
    "W101066": ("王磊", "13971234567", "湖北省", "武汉市", "江汉区", "解放大道688号汇通中心15楼", "430022"),
    "W101234": ("黄伟", "13622223333", "广东省", "广州市", "天河区", "体育西路191号B座", "510620"),
    "W101577": ("刘芳", "13801234567", "北京市", "北京市", "朝阳区", "建国路88号现代城A座1001室", "100022"),
    "W101890": ("孙浩", "13913812345", "江苏省", "南京市", "秦淮区", "中山南路122号金陵大厦9楼", "210005"),
    "W102011": ("赵敏", "13923456789", "广东省", "深圳市", "南山区", "科技南十二路18号鹏程大厦3楼", "518057"),
    "W102345": ("吴倩", "13962112345", "江苏省", "苏州市", "姑苏区", "人民路1188号吴越大厦6楼", "215000"),
}
_CONTACT_FIELDS = (
    "contact_name",
    "contact_mobile",
    "address_province",
    "address_city",
    "address_district",
    "address_detail",
    "address_postcode",
)


def _account(
    company: str,
    number: str,
    tier: str,
    limit: int,
    opening_balance: int,
    overdue_days: int = 0,
    status: str = "active",
    manager: str | None = "sun.li",
) -> CustomerAccount:
    return CustomerAccount(
        "wholesale",
        number,
        company,
        limit,
        opening_balance,
        overdue_days,
        status,
        tier=tier,
        manager=manager,
        **dict(zip(_CONTACT_FIELDS, _CONTACTS[number], strict=True)),
    )


# The wholesale department's business customers (customer_accounts): an order names one by its number
# and takes the rest from this record (customers.load_account), its tier included, which the approval
# table reads (rules/wholesale/approval.yaml): the first is silver, so that its large orders wait for a
# manager or the director; every tier has an account. Most are looked after by sun.li, their account
# manager, who then signs their orders' manager approval by name; the three without one have it signed
# by any one of the sales managers (the workflow's else). Each holds its buyer and delivery address, and
# an opening balance (期初欠款: what it owed before its orders were kept here), which what it owes counts.
ACCOUNTS: tuple[CustomerAccount, ...] = (
    _account("上海鑫达商贸有限公司", "W100231", "silver", 500_000, 80_000),
    _account("杭州恒源百货有限公司", "W100458", "platinum", 300_000, 40_000),
    # close to its limit: 150,000 owed from before, so a larger order of its waits in credit review
    _account("成都蜀丰贸易有限公司", "W100872", "standard", 200_000, 150_000, manager=None),
    # overdue: held
    _account("武汉汇通供应链有限公司", "W101066", "silver", 400_000, 60_000, overdue_days=45),
    _account("广州粤隆批发有限公司", "W101234", "gold", 600_000, 20_000),
    _account("北京京华商贸有限公司", "W101577", "standard", 250_000, 30_000, status="watch", manager=None),
    _account("南京金陵日用品有限公司", "W101890", "gold", 150_000, 10_000),
    _account("深圳鹏程电子有限公司", "W102011", "standard", 100_000, 0, status="blocked", manager=None),
)
# The large orders the demo leaves waiting for their approvers (and the one sent back to sales) are taken
# for an account of their own, silver like the first: the random orders of an account may hold its credit,
# and they would then wait in the credit check instead.
APPROVAL_ACCOUNT = _account("苏州吴越商贸有限公司", "W102345", "silver", 500_000, 0)


# -- loading -------------------------------------------------------------------------------------


@dataclass
class DemoSummary:
    """What ``load_demo`` did: versions published, orders created, where they ended up."""

    published: list[PublishedVersion] = field(default_factory=list)
    created: int = 0
    refused: list[str] = field(default_factory=list)  # orders the engine refused to create, and why
    states: Counter[tuple[str, str]] = field(default_factory=Counter)  # (workflow, state) -> orders
    actors: list[Actor] = field(default_factory=demo_actors)

    def __str__(self) -> str:
        workflows = Counter[str]()
        for (workflow, _state), count in self.states.items():
            workflows[workflow] += count
        per_workflow = ", ".join(f"{name} {count}" for name, count in sorted(workflows.items()))
        refused = f", {len(self.refused)} refused" if self.refused else ""
        return f"{self.created} orders ({per_workflow}){refused}; {len(self.published)} workflows published"


def load_demo(engine: Engine, store: Store, root: Path, *, orders: int = 300, seed: int = 7) -> DemoSummary:
    """Publish the shipped workflows, stock the warehouses and play ``orders`` orders through the engine."""
    clock = engine.clock
    if not isinstance(clock, FrozenClock):
        # The demo moves time: play it on a twin engine whose clock ends at the present.
        clock = demo_clock()
        engine = Engine(store, engine.registry, clock)
    summary = DemoSummary()
    names = engine.registry.action_names
    # Every definition is checked before anything is written: a broken file loads nothing.
    bundles = [load_bundle(path, root, action_names=names) for _name, path in sorted(discover(root).items())]
    publisher = _by_name("admin").actor  # the studio names who published each version: the administrator
    for bundle in bundles:  # with the texts of its files, which the studio's drafts start from
        summary.published.append(
            engine.publish(bundle, publisher, VersionMeta(sources=bundle_sources(bundle, root)))
        )
    put_products(store, catalogue_products(), clock.now(), "admin")
    stock_warehouses(store, initial_stock(), clock.now())
    set_safety_stocks(store)
    # the account managers are logins of the department: a record naming someone else is refused
    # and the purchaser, whom a low-stock alert is mailed to
    managers = {account.manager for account in (*ACCOUNTS, APPROVAL_ACCOUNT) if account.manager}
    ensure_demo_users(store, clock.now(), managers | {PURCHASER})
    for account in (*ACCOUNTS, APPROVAL_ACCOUNT):
        put_account(store, account, clock.now())
    fill_lists(NamedLists(store, clock))
    run = _DemoRun(engine, clock, random.Random(seed), summary)  # noqa: S311 - demo data, seeded on purpose
    run.play(orders)
    # earbuds on their way to Guangzhou, below its safety stock: in transit until zhao.lei receives them
    transfer_stock(store, "zhao.lei", "HW-FBP3", "BJ-01", "GZ-01", 20, clock.now(), "补广州仓")
    for order in engine.list_orders(_by_name("admin").actor, limit=orders * 2):
        summary.states[(order.workflow, order.state)] += 1
    return summary


def fill_lists(lists: NamedLists) -> None:
    """The retail department's managed lists, filled as its admin would (published empty)."""
    for name, values, note in (
        ("blocked-mobiles", BLOCKED_MOBILES_TYPED, "历史欺诈订单"),
        ("blocked-addresses", BLOCKED_ADDRESSES, "多次拒收"),
        ("restricted-skus", RESTRICTED_SKUS, "限售"),
    ):
        lists.add_many("retail", name, [(value, note) for value in values], "admin")


def initial_stock() -> dict[tuple[str, str], int]:
    """(sku, warehouse) -> units on hand at the start of the demo: uneven on purpose (``STOCK_SHARES``,
    and ``NOT_STOCKED`` rows none at all), so routing sends orders to different warehouses and splits
    some of them across two."""
    levels = {}
    for product in GOODS:
        for warehouse, share in STOCK_SHARES.items():
            if (product.sku, warehouse) in NOT_STOCKED:
                continue
            levels[(product.sku, warehouse)] = max(1, round(product.retail_stock * share)) + (
                WHOLESALE_STOCK if product.wholesale else 0
            )
    return levels


# Each warehouse's share of a product's ``retail_stock``, and the rows it does not stock at all.
STOCK_SHARES = {"SH-01": 1.5, "GZ-01": 1.0, "BJ-01": 0.6, "CD-01": 0.3}
NOT_STOCKED = frozenset(
    {
        ("LX-Y9000P", "GZ-01"),  # the laptop in SH-01 and CD-01 only,
        ("LX-Y9000P", "BJ-01"),
        ("HW-FBP3", "SH-01"),  # the earbuds and the air conditioner in GZ-01 and BJ-01 only:
        ("HW-FBP3", "CD-01"),  # an order of the laptop with either ships in two parcels
        ("MD-KFR35", "SH-01"),
        ("MD-KFR35", "CD-01"),
        ("XM-14PRO", "BJ-01"),
    }
)
PURCHASER = "qian.hui"
# Safety stocks (安全库存) the purchaser watches: below them, 钱慧 is mailed a reorder suggestion.
SAFETY_STOCK = {("LX-Y9000P", "SH-01"): 20, ("XM-14PRO", "SH-01"): 80, ("HW-FBP3", "GZ-01"): 75}


def stock_warehouses(store: Store, levels: Mapping[tuple[str, str], int], at: datetime | None = None) -> None:
    """Receive the units of ``levels`` per (sku, warehouse) through the stock operations (入库, one
    ledger entry each, by zhao.lei); a row is created for a new sku and warehouse."""
    moment = at or datetime.now(UTC)
    for (sku, warehouse), units in sorted(levels.items()):
        receive_stock(
            store, "zhao.lei", sku, warehouse, units, moment, new=True, reference="demo", note="期初入库"
        )


def set_safety_stocks(store: Store) -> None:
    for (sku, warehouse), units in sorted(SAFETY_STOCK.items()):
        set_safety_stock(store, sku, warehouse, units)


def _by_name(name: str) -> DemoUser:
    return next(user for user in DEMO_ACTORS if user.name == name)


Story = Iterator[timedelta]  # yields how long to wait before its next step


class _DemoRun:
    """A small discrete-event simulation: stories wait on a heap ordered by time."""

    def __init__(self, engine: Engine, clock: FrozenClock, rng: random.Random, summary: DemoSummary) -> None:
        self.engine = engine
        self.clock = clock
        self.rng = rng
        self.extras = random.Random(sum(rng.getstate()[1]))  # noqa: S311 - seeded by rng, not drawn from it
        self.summary = summary
        self.start = clock.now()
        self.end = self.start + timedelta(days=DEMO_DAYS)
        self._heap: list[tuple[datetime, int, Story]] = []
        self._seq = 0
        self._order_no = 0
        # retail orders delivered and not returned, each the original order of at most one after-sales
        # request: (order id, when it was delivered, a line of goods it bought)
        self._delivered: list[tuple[int, datetime, dict[str, Any]]] = []

    # -- the simulation --------------------------------------------------------------------

    def play(self, orders: int) -> None:
        span = (self.end - self.start).total_seconds()
        kinds: list[Callable[[], Story]] = [self.retail, self.flash_sale, self.wholesale, self.after_sales]
        # Part of the orders is the open work at the end: each waits at a step where nobody has acted yet.
        backlog = self._backlog() if orders >= BACKLOG_FROM else []
        random_orders = orders - len(backlog)
        recent = max(4, random_orders // 25)  # the last few arrive in the final 20 minutes: still open now
        for n in range(random_orders):
            if n < random_orders - recent:
                at = self.start + timedelta(seconds=span * (n + self.rng.random()) / (random_orders - recent))
            else:
                at = self.end - self.minutes(0.5, 20)
            kind = self.rng.choices(kinds, weights=[55, 7, 18, 20])[0]
            self._push(at, kind())
        for at, story in backlog:
            self._push(at, story)
        while self._heap:
            at, _, story = heapq.heappop(self._heap)
            if at >= self.end:
                continue  # after the demo's end: the order stays where it is
            self._move_to(at)
            try:
                wait = next(story)
            except StopIteration:
                continue
            self._push(self.clock.now() + wait, story)
        self._move_to(self.end)

    def _backlog(self) -> list[tuple[datetime, Story]]:
        """Orders started early enough to reach their step, and late enough to still wait there at the end."""
        plan: list[tuple[Callable[[str], Story], str, timedelta]] = [
            (self.retail, "pending_payment", self.minutes(2, 25)),
            (self.retail, "return_requested", self.days(11, 13)),
            (self.flash_sale, "pending_payment", self.minutes(1, 9)),
            (self.flash_sale, "pending_shipment", self.hours(1, 3)),
            (self.flash_sale, "shipped", self.days(1.5, 2.5)),
            (self.flash_sale, "delivered", self.days(5, 6)),
            (self.flash_sale, "return_requested", self.days(11, 13)),
            (self.flash_sale, "returned", self.days(17, 19)),
            (self.wholesale, "credit_hold", self.hours(1, 20)),
            (self.wholesale, "pending_approval", self.hours(1, 20)),
            (self.after_sales, "pending_review", self.hours(1, 20)),
            (self.after_sales, "inspecting", self.days(5, 6)),
            (self.after_sales, "replacement_pending", self.days(6, 7)),
        ]
        # Placed late, at a fixed time, so that the draws of the stories above stay as they were.
        plan.append((self.retail, "out_of_stock", timedelta(minutes=20)))
        plan.append((self.wholesale, "out_of_stock", timedelta(minutes=10)))
        plan.append((self.wholesale, "fulfilling.payment.paid", timedelta(minutes=5)))
        plan.append((self.after_sales, "replacement_backordered", timedelta(minutes=3)))
        plan.append((self.wholesale, "board_approval", timedelta(minutes=2)))
        plan.append((self.wholesale, "sent_back", timedelta(minutes=1)))  # returned to sales by the manager
        # one line (or one unit) of a delivered order back on the shelf, the rest still returnable
        plan.append((self.retail, "partly_returned", timedelta(days=7, hours=12)))
        plan.append((self.flash_sale, "partly_returned", timedelta(days=7, hours=6)))
        # shipped and delivered from every warehouse, the transfer not yet in
        plan.append((self.wholesale, "fulfilling.shipping.delivered_all", timedelta(days=12)))
        # a passed return whose refund the service desk has still to pay
        plan.append((self.after_sales, "refunding", timedelta(minutes=4)))
        return [(self.end - before, story(target)) for story, target, before in plan]

    def _push(self, at: datetime, story: Story) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, story))

    def _move_to(self, at: datetime) -> None:
        if at > self.clock.now():
            self.clock.advance(seconds=(at - self.clock.now()).total_seconds())
        while self.engine.run_due_timers(WORKER, limit=500):
            pass

    # -- helpers ---------------------------------------------------------------------------

    def create(
        self, user: str, department: str, workflow: str, channel: str, data: dict[str, Any]
    ) -> OrderView | None:
        try:
            order = self.engine.create_order(
                _by_name(user).actor, department=department, workflow=workflow, channel=channel, data=data
            )
        except EngineError as error:
            self.summary.refused.append(f"{workflow}: {error}")
            return None
        self.summary.created += 1
        return order

    def fire(self, order_id: int, trigger: str, user: str, data: Mapping[str, Any] | None = None) -> str:
        """Fire and return the order's state afterwards (automatic transitions included)."""
        return self.engine.fire(order_id, trigger, _by_name(user).actor, data).to_state

    def fire_each(
        self, order_id: int, kind: str, trigger: str, user: str, data: Mapping[str, Any] | None = None
    ) -> str:
        """Fire ``trigger`` on each of the order's records of ``kind`` that offers it to ``user`` (each
        shipment of a split order); the order's state afterwards (automatic transitions included)."""
        actor = _by_name(user).actor
        state = self.state(order_id)
        for record in self.engine.records(order_id, actor):
            if record.kind == kind and any(s.trigger == trigger and s.allowed for s in record.steps):
                state = self.engine.fire_record(order_id, kind, record.number, trigger, actor, data).to_state
        return state

    def fire_record(
        self, order_id: int, kind: str, number: int, trigger: str, user: str, data: Mapping[str, Any]
    ) -> str:
        """Fire a record's trigger and return the order's state afterwards (automatic transitions
        included)."""
        return self.engine.fire_record(order_id, kind, number, trigger, _by_name(user).actor, data).to_state

    def state(self, order_id: int) -> str:
        return self.engine.get_order(order_id, _by_name("admin").actor).state

    def sign(
        self,
        order_id: int,
        user: str,
        action: ApprovalAction = ApprovalAction.APPROVE,
        comment: str = "",
        target: str | None = None,
    ) -> str:
        """``user`` takes ``action`` on their task of the order's approval (with ``comment``, which a decline
        or a return needs as its reason, and ``target``, the state a return goes to); the order's state
        afterwards."""
        actor = _by_name(user).actor
        panel = self.engine.approval(order_id, actor)
        assert panel is not None, f"order {order_id} is not at an approval step"
        task = next(t for t in panel.tasks if t.yours)
        request = ApprovalRequest(order_id, task.id, action, actor, comment, target)
        return self.engine.act_on_approval(request).state

    @staticmethod
    def approvers(state: str) -> tuple[str, ...]:
        """Who signs a wholesale approval: finance and the sales director above the higher limit, else
        the sales manager."""
        return ("zhou.min", "gao.jun") if state == "board_approval" else ("sun.li",)

    def minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(low, high))

    def hours(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    def days(self, low: float, high: float) -> timedelta:
        return timedelta(days=self.rng.uniform(low, high))

    def person(self, *, blacklisted: bool = True) -> dict[str, Any]:
        """A customer; ``blacklisted=False`` leaves out the mobiles the audit rejects."""
        rng = self.rng
        mobile = f"1{rng.choice('356789')}{rng.randrange(10**9):09d}"
        if rng.random() < 0.02 and blacklisted:
            mobile = rng.choice(BLACKLISTED_MOBILES)
        return {"name": rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES), "mobile": mobile}

    def address(self) -> dict[str, Any]:
        rng = self.rng
        province, city, district, postcode, street = rng.choice(PLACES)
        room = f"{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(1, 32)}0{rng.randint(1, 4)}室"
        return {
            "province": province,
            "city": city,
            "district": district,
            "detail": street + room,
            "postcode": postcode,
        }

    @staticmethod
    def line(product: Product, qty: int, price: Decimal | None = None) -> dict[str, Any]:
        unit = product.price if price is None else price
        return {
            "sku": product.sku,
            "name": product.name,
            "qty": qty,
            "unit_price": _number(unit),
            "amount": _number(unit * qty),
        }

    def order_no(self, prefix: str) -> str:
        self._order_no += 1
        return f"{prefix}{self.clock.now():%Y%m%d}{self._order_no:06d}"

    # -- stories ---------------------------------------------------------------------------

    # A story with a ``target`` takes the way to that step and waits there (the next person has not acted).

    def retail(self, target: str | None = None) -> Story:
        rng = self.rng
        if rng.random() < 0.04 and target is None:
            lines = [self.line(PRODUCTS["SP-TRIAL"], 1)]
            shipping, discount = Decimal(0), Decimal(0)
        else:
            goods = [p for p in GOODS if p.price > 0]
            if target is not None:
                goods = [p for p in goods if p.price <= 1500]  # kept below the audit's review threshold
            picked = rng.sample(goods, k=rng.choices([1, 2, 3], weights=[60, 30, 10])[0])
            lines = [self.line(p, rng.choices([1, 2, 3], weights=[75, 20, 5])[0]) for p in picked]
            if target == "partly_returned" and sum(line["qty"] for line in lines) == 1:
                lines = [self.line(picked[0], 2)]  # one of two comes back
            if (
                target is None
            ):  # a few orders buy something virtual (drawn apart: the others stay as they were)
                extra = self.extras.random()
                if extra < 0.03:  # a gift card alone: nothing to ship, done once paid
                    lines = [self.line(PRODUCTS["GC-200"], self.extras.choice([1, 2]))]
                elif extra < 0.10:  # goods with an extended warranty: only the goods ship
                    lines = [*lines, self.line(PRODUCTS["WTY-EXT1"], 1)]
            if target == "out_of_stock":  # more than all warehouses ever held: it waits for stock
                held: dict[str, int] = {}
                for (sku, _), units in initial_stock().items():
                    held[sku] = held.get(sku, 0) + units
                product = min(goods, key=lambda p: held[p.sku])
                lines = [self.line(product, held[product.sku] + 1)]
            goods_value = sum((Decimal(str(line["amount"])) for line in lines), Decimal(0))
            shipping = Decimal(0) if goods_value >= 99 else Decimal(10)
            discount = Decimal(rng.choice([0, 0, 0, 5, 10, 20])) if goods_value > 200 else Decimal(0)
        total = sum((Decimal(str(line["amount"])) for line in lines), Decimal(0)) + shipping - discount
        channel = rng.choice(["web", "app"])
        data: dict[str, Any] = {
            "customer": self.person(blacklisted=target is None),
            "address": self.address(),
            "lines": lines,
            "shipping_fee": _number(shipping),
            "discount": _number(discount),
            "total": _number(total),
        }
        if channel == "app":
            data["app_user_id"] = f"U{rng.randrange(10**8):08d}"
        if rng.random() < 0.15:
            data["note"] = rng.choice(["请尽快发货", "工作日送货", "放快递柜", "需要开发票"])
        order = self.create("storefront", "retail", "retail-order", channel, data)
        if order is None or order.state == "out_of_stock":
            return
        oid = order.id
        yield from self._retail_payment(oid, data, target, timeout_share=0.10)
        yield from self._retail_after_payment(oid, data, target)

    def _retail_payment(
        self,
        oid: int,
        data: Mapping[str, Any],
        target: str | None,
        timeout_share: float,
        pay_within: float = 15,
    ) -> Story:
        if self.state(oid) != "pending_payment" or target == "pending_payment":
            return  # a free order skipped payment, or the customer has not paid yet
        chance = self.rng.random() if target is None else 1.0
        if chance < timeout_share:
            return  # never paid: the timer cancels it
        if chance < timeout_share + 0.05:
            yield self.minutes(3, 25)
            if self.state(oid) == "pending_payment":  # unless the payment window has closed already
                self.fire(oid, "cancel", "li.na")
            return
        yield self.minutes(1, pay_within)
        method = self.rng.choices(["wechat_pay", "alipay", "card"], weights=[50, 40, 10])[0]
        payment = {"method": method, "amount": data["total"], "transaction_ref": self._ref(method)}
        self.fire(oid, "pay", "storefront", payment)

    def _retail_after_payment(self, oid: int, data: Mapping[str, Any], target: str | None) -> Story:
        rng = self.rng
        state = self.state(oid)
        if state == "on_hold":
            yield self.hours(0.5, 10)
            choice = rng.random() if target is None else 0.5
            if choice < 0.15:
                return  # still waiting for a reviewer
            if choice < 0.8:
                state = self.fire(oid, "release", "wang.qiang")
            else:
                reason = REJECT_REASONS[
                    oid % len(REJECT_REASONS)
                ]  # not drawn: the demo's draws stay as they were
                state = self.fire(oid, "reject", "wang.qiang", {"reject_reason": reason})
        if state != "pending_shipment" or target == "pending_shipment":
            return
        if rng.random() < 0.06 and target is None:
            yield self.hours(1, 12)
            self.fire(oid, "cancel", "li.na")
            return
        yield self.hours(3, 30)
        # each shipment (one per warehouse of a split order) leaves its own shelf, then is delivered
        self.fire_each(oid, "shipment", "ship", "zhao.lei", {"carrier": rng.choice(CARRIERS), "packages": 1})
        if target == "shipped":
            return
        yield self.days(1, 3.5)
        delivery = {"delivered_at": self.clock.now().isoformat(), "signed_by": "本人"}
        self.fire_each(oid, "shipment", "deliver", "zhao.lei", delivery)
        choice = rng.random()
        if target in ("return_requested", "returned", "partly_returned"):
            choice = 0.0
        elif target is not None:
            return
        goods = [
            line for line in data["lines"] if line["sku"] in PRODUCTS and not PRODUCTS[line["sku"]].virtual
        ]
        if choice >= 0.14 and goods and goods[0]["unit_price"]:  # kept: an after-sales request may name it
            self._delivered.append((oid, self.clock.now(), goods[0]))
        if choice < 0.14:
            lines = data["lines"]
            # the first line of several comes back (the order is partly returned), else the whole order;
            # one unit of it only for an order kept partly returned, every line for one kept returned
            if target == "partly_returned":
                yield self.days(0.5, 1)
                back = [{"sku": lines[0]["sku"], "qty": 1}]
            else:
                yield self.days(0.5, 6)
                returning = lines if len(lines) == 1 or target == "returned" else lines[:1]
                back = [{"sku": line["sku"], "qty": line["qty"]} for line in returning]
            if not any(line["unit_price"] for line in lines if line["sku"] in {b["sku"] for b in back}):
                return  # nothing paid for it: nothing to refund
            reason = rng.choice(["no_reason", "quality", "wrong_item", "damaged_in_transit"])
            self.fire(oid, "request_return", "li.na", {"return_reason": reason, "return_lines": back})
            if target == "return_requested":
                return
            yield self.days(0.2, 0.5) if target == "partly_returned" else self.days(2, 5)
            if rng.random() < 0.8 or target == "returned":
                self.fire(oid, "receive_return", "zhao.lei")
            else:
                self.fire(oid, "reject_return", "li.na")
        elif choice < 0.55:
            yield self.days(0.5, 5)
            self.fire(oid, "complete", "li.na")
        # otherwise the 7-day timer confirms receipt

    def flash_sale(self, target: str | None = None) -> Story:
        rng = self.rng
        band = PRODUCTS["XM-BAND8"]
        qty = rng.choices([1, 2, 3], weights=[70, 22, 8])[0]
        if target is not None:
            qty = 2 if target == "partly_returned" else min(qty, 2)  # within the per-customer limit
        lines = [self.line(band, qty, price=Decimal("199"))]
        total = Decimal("199") * qty
        data: dict[str, Any] = {
            "customer": self.person(blacklisted=target is None),
            "address": self.address(),
            "lines": lines,
            "shipping_fee": 0,
            "discount": 0,
            "total": _number(total),
            "app_user_id": f"U{rng.randrange(10**8):08d}",
        }
        order = self.create("storefront", "retail", "retail-flash-sale", "app", data)
        if order is None:
            return
        yield from self._retail_payment(order.id, data, target, timeout_share=0.25, pay_within=8)
        yield from self._retail_after_payment(order.id, data, target)

    def wholesale(self, target: str | None = None) -> Story:
        rng = self.rng
        account = rng.choice(ACCOUNTS)
        goods = [p for p in GOODS if p.wholesale]
        picked = rng.sample(goods, k=rng.randint(1, 3))
        if target == "credit_hold":
            account = next(a for a in ACCOUNTS if a.status == "watch")
        elif target in ("fulfilling.payment.paid", "fulfilling.shipping.delivered_all"):
            account = ACCOUNTS[0]  # in good standing: past the credit check
        elif target in ("pending_approval", "board_approval", "sent_back"):
            # A large order from an account in good standing (silver): over the approval limit, within its
            # credit; 20 fridges go to the sales manager, 60 (above 100000 CNY) to finance and the director.
            account = APPROVAL_ACCOUNT
            picked = [PRODUCTS["HR-BCD470"]]
        lines = [
            self.line(
                p, rng.choice([20, 30, 50, 60, 80, 100, 120]), price=(p.price * Decimal("0.8")).quantize(1)
            )
            for p in picked
        ]
        if target in ("pending_approval", "board_approval", "sent_back"):
            fridge = PRODUCTS["HR-BCD470"]
            qty = 60 if target == "board_approval" else 20
            lines = [self.line(fridge, qty, price=(fridge.price * Decimal("0.8")).quantize(1))]
        if target == "out_of_stock":
            # More laptops than all warehouses hold, for the account with most credit left (its limit less
            # its opening balance): approved by the director, then backordered by routing.
            account = max(
                ACCOUNTS, key=lambda a: a.credit_limit - a.outstanding if a.status == "active" else 0
            )
            laptop = PRODUCTS["LX-Y9000P"]
            held = sum(units for (sku, _), units in initial_stock().items() if sku == laptop.sku)
            lines = [self.line(laptop, held + 1, price=(laptop.price * Decimal("0.8")).quantize(1))]
        freight = Decimal(rng.choice([0, 200, 500]))
        total = sum((Decimal(str(line["amount"])) for line in lines), Decimal(0)) + freight
        channel = rng.choice(["phone", "email"])
        contact = self.person()
        data: dict[str, Any] = {
            "account": {"account_no": account.account_no},  # the rest comes from its record
            "contact": {**contact, "email": f"purchase{account.account_no[1:]}@example.com"},
            "address": self.address(),
            "lines": lines,
            "payment_method": rng.choices(["bank_transfer", "cod"], weights=[70, 30])[0]
            if target is None
            else "bank_transfer",
            "shipping_fee": _number(freight),
            "discount": 0,
            "total": _number(total),
            "purchase_order_no": f"PO{rng.randrange(10**8):08d}",
        }
        if channel == "email":
            data["email_message_id"] = f"<{rng.randrange(10**12)}@mail.example.com>"
        else:
            data["call_ref"] = f"C{rng.randrange(10**9):09d}"
        order = self.create("chen.jing", "wholesale", "wholesale-order", channel, data)
        if order is None:
            return
        oid = order.id
        state = order.state
        if state == "credit_hold":
            if target == "credit_hold":
                return
            yield self.hours(2, 30)
            if rng.random() < 0.3 and target is None:
                self.fire(oid, "cancel", "liu.yang")
                return
            state = self.sign(oid, "liu.yang")  # above the credit limit: the credit controller decides
        if state in ("pending_approval", "board_approval"):
            if target in ("pending_approval", "board_approval"):
                return
            if target == "sent_back":  # back to sales, with the manager's reason
                self.sign(oid, "sun.li", ApprovalAction.RETURN, "请补上客户的交货要求后重新提交", "sent_back")
                return
            if target not in ("out_of_stock", "fulfilling.payment.paid"):  # those: at once, late in the demo
                yield self.hours(2, 40)
            signers = self.approvers(state)
            if rng.random() < 0.2 and target is None:
                self.sign(oid, signers[0], ApprovalAction.DECLINE, "价格低于本季度底价，请与客户重新议价")
                return
            for user in signers:
                state = self.sign(oid, user)
        if not state.startswith("fulfilling"):
            return
        if target == "fulfilling.payment.paid":  # paid by transfer before the first shipment is out
            transfer = {"method": "bank_transfer", "amount": data["total"], "transaction_ref": self._ref("x")}
            self.fire(oid, "confirm_transfer", "zhou.min", transfer)
            return
        # one shipment record per warehouse routing split the order across; a transfer in full, or in
        # two parts (each a payment record); cash on delivery collected once every shipment is out
        warehouse = _by_name("zhao.lei").actor
        shipments = [r.number for r in self.engine.records(oid, warehouse) if r.kind == "shipment"]
        cod = data["payment_method"] == "cod"
        total = Decimal(str(data["total"]))
        first = (total * Decimal(rng.choice([3, 4, 5, 6]) / 10)).quantize(Decimal("0.01"))
        transfers = [] if cod else [total] if rng.random() < 0.6 else [first, total - first]
        if target == "fulfilling.shipping.delivered_all":
            transfers = []  # delivered, the transfer not yet in
        for n, number in enumerate(shipments):
            yield self.days(0.5, 2)
            if transfers and (n > 0 or rng.random() < 0.5):
                yield self.hours(1, 8)
                self._transfer(oid, transfers.pop(0))
            if n == 0 and rng.random() < 0.08 and target is None:  # before anything ships (not after)
                self.fire(oid, "cancel", "sun.li")
                return
            carrier = rng.choice(["deppon", "sf", "jd"])
            self.fire_record(oid, "shipment", number, "ship", "zhao.lei", {"carrier": carrier})
        yield self.days(1, 4)
        for number in shipments:
            delivered = {"delivered_at": self.clock.now().isoformat(), "signed_by": "仓库收货员"}
            self.fire_record(oid, "shipment", number, "deliver", "zhao.lei", delivered)
        if cod:
            receipt = {"method": "cod", "amount": data["total"], "transaction_ref": self._ref("cod")}
            self.fire(oid, "collect_cod", "zhou.min", receipt)
        if target == "fulfilling.shipping.delivered_all":
            return
        for amount in transfers:
            self._transfer(oid, amount)

    def _recall(self, sku: str) -> None:
        """The maker recalls a batch of ``sku``: the warehouse takes every unit on hand and not yet reserved
        off the shelves (库存调整), so that none is left to ship (an exchange of it waits for stock)."""
        store = self.engine.store
        for level in stock_levels(store, sku=sku, limit=100):
            if level.sku == sku and level.available > 0:
                adjust_stock(
                    store,
                    "zhao.lei",
                    sku,
                    level.warehouse,
                    -level.available,
                    "厂家召回，下架",
                    self.clock.now(),
                )

    def _transfer(self, order_id: int, amount: Decimal) -> None:
        """Finance confirms a bank transfer of ``amount`` on the wholesale order (a payment record)."""
        transfer = {
            "method": "bank_transfer",
            "amount": _number(amount),
            "transaction_ref": self._ref("bank_transfer"),
            "payer_account": f"6222{self.rng.randrange(10**15):015d}",
        }
        self.fire(order_id, "confirm_transfer", "zhou.min", transfer)

    def after_sales(self, target: str | None = None) -> Story:
        rng = self.rng
        # Every draw as it always was, before anything else: the stories drawn after this one stay as they
        # were (the product, the delivery time and the old invented order number are drawn and not used).
        rng.choice([p for p in GOODS if p.price > 0])
        kind = rng.choices(["return", "exchange"], weights=[65, 35])[0]
        reason = rng.choices(
            ["no_reason", "quality", "wrong_item", "damaged_in_transit", "size"], weights=[40, 25, 10, 10, 15]
        )[0]
        self.days(0.5, 9 if target is None else 5)
        rng.randrange(10**6)
        data: dict[str, Any] = {
            "type": kind,
            "reason_code": reason,
            "reason": rng.choice(
                ["不想要了", "屏幕有坏点", "尺码偏小", "外包装破损", "发错颜色", "无法开机"]
            ),
            "customer": self.person(),
            "address": self.address(),
            "item_condition": rng.choices(
                ["unopened", "opened_intact", "used", "damaged"], weights=[40, 40, 12, 8]
            )[0],
        }
        channel = rng.choice(["web", "app", "phone"])
        if channel == "phone":
            data["ticket_no"] = f"T{rng.randrange(10**10):010d}"
        # The original order: the retail order delivered longest ago within the window that no request
        # names yet. In the demo's first days, while there is none, the customer writes a day later.
        window = timedelta(days=9 if target is None else 5)
        while not (candidates := [kept for kept in self._delivered if kept[1] >= self.clock.now() - window]):
            yield timedelta(days=1)
        original, delivered, bought = candidates[0]
        self._delivered.remove(candidates[0])
        bought_on = self.engine.get_order(original, _by_name("admin").actor).data
        paid = bought_on.get("paid_amount") or 0
        # the customer who bought it asks, from where it was delivered (the person and the address drawn
        # above keep the draws after them as they were)
        data["customer"] = {**data["customer"], **bought_on.get("customer", {})}
        data["address"] = bought_on.get("address", data["address"])
        line = {**bought, "qty": 1, "amount": bought["unit_price"]}
        data["original_order_no"] = str(original)
        data["lines"] = [line]
        data["delivered_at"] = delivered.isoformat()
        data["return_warehouse"] = sorted(WAREHOUSES)[original % len(WAREHOUSES)]  # where it comes back
        if target == "pending_review":
            kind, data["item_condition"] = "return", "used"  # a used item is reviewed by a person
        elif target == "replacement_pending":
            kind, data["item_condition"] = "exchange", "opened_intact"
        elif target == "refunding":
            kind, data["item_condition"] = "return", "unopened"
        elif target == "replacement_backordered":
            # the exchange of what the original order delivered (a request names no more than that), of a
            # product the warehouses have none left of by the time it is inspected (recalled, below)
            kind, data["item_condition"] = "exchange", "opened_intact"
        elif target is not None and data["item_condition"] == "damaged":
            data["item_condition"] = "opened_intact"  # eligible, so it reaches its step
        data["type"] = kind
        if kind == "return":  # never more than the original order paid
            data["refund_amount"] = min(line["amount"], paid)
        order = self.create("huang.fang", "after_sales", "after-sales-request", channel, data)
        if order is None:
            return
        oid = order.id
        state = order.state
        if state == "pending_review":
            if target == "pending_review":
                return
            yield self.hours(1, 24)
            if rng.random() < 0.3 and target is None:
                self.fire(
                    oid,
                    "decline",
                    "huang.fang",
                    {"decline_reason": DECLINE_REASONS[oid % len(DECLINE_REASONS)]},
                )
                return
            state = self.fire(oid, "accept", "huang.fang")
        # placed minutes before the end: every step at once
        late = target in ("replacement_backordered", "refunding")
        if state != "awaiting_goods" or (rng.random() < 0.12 and target is None):
            return  # rejected, or the goods never come back (the 10-day timer withdraws it)
        if not late:
            yield self.days(1, 4)
        receipt = {
            "return_waybill": f"SF{rng.randrange(10**12):012d}",
            "received_at": self.clock.now().isoformat(),
        }
        self.fire(oid, "receive_goods", "zhao.lei", receipt)
        if target == "inspecting":
            return
        if not late:
            yield self.hours(3, 30)
        if target == "replacement_backordered":
            self._recall(line["sku"])
        passed = rng.random() < 0.85 or target is not None
        inspection = {
            "inspection_result": "pass" if passed else "fail",
            "found_condition": data["item_condition"] if passed else "damaged",
            "inspection_note": "外观完好，功能正常" if passed else "人为损坏，不符合售后条件",
        }
        state = self.fire(oid, "inspect", "wu.gang", inspection)
        if state == "refunding":
            if target == "refunding":
                return
            # the service desk pays the agreed refund back (no draw of its own: the story stays as it was)
            yield timedelta(hours=2)
            desk = _by_name("huang.fang").actor
            [refund] = self.engine.records(oid, desk)
            self.engine.fire_record(oid, "refund", 1, "pay", desk, {"pay_amount": refund.data["amount"]})
            return
        if state == "replacement_pending":
            if target == "replacement_pending":
                return
            yield self.hours(4, 30)
            self.fire(oid, "ship_replacement", "zhao.lei", {"carrier": rng.choice(CARRIERS)})

    def _ref(self, method: str) -> str:
        prefix = {"wechat_pay": "4200", "alipay": "2026", "card": "UP", "bank_transfer": "BT", "cod": "COD"}
        return f"{prefix.get(method, 'REF')}{self.rng.randrange(10**14):014d}"


def _number(value: Decimal) -> int | float:
    """JSON-friendly yuan: whole amounts as int, others as a float with two decimals."""
    value = value.quantize(Decimal("0.01"))
    return int(value) if value == value.to_integral_value() else float(value)
