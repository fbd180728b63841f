"""Audit decisions per second: a 20-rule rule set in OrderLoom beside the same decision in zen-engine.

Both contenders decide the same seeded, varied retail orders (3 to 6 lines, Chinese names and addresses;
most are approved, some held, a few rejected) in the same run, taking turns within every round:

- ``orderloom``: ``bench/audit-20.yaml`` compiled once by ``engine.rules.kinds.compile_ruleset``, then
  ``.evaluate({"order": order, "now": now})`` per order. The returned ``Decision`` is the full
  explanation: the outcome, the reasons of the deciding rules, and a trace of all 20 rules with whether
  each matched and the values its comparisons read.
- ``orderloom_stored``: the same, plus ``.to_dict()``: the JSON-ready document the engine stores with
  the audit event.
- ``zen_engine``: ``bench/audit-20.zen.json``, the same 20 conditions written in zen-engine's JSON
  Decision Model (a decision table with hit policy ``collect``, then an expression node that picks the
  most severe outcome), created once with ``ZenEngine().create_decision`` and run with
  ``decision.evaluate({"order": order, "now": now})`` per order. Its answer is the outcome and the names
  of the matching rules, no values.
- ``zen_engine_traced``: the same with ``{"trace": True}``: every node's input and output and the rows
  that matched (still no compared values); the nearest zen-engine comes to OrderLoom's explanation.

After every round the bench checks that every contender gave, for every order, the same outcome and the
same set of matching rules; a disagreement stops the run with the order and both answers, and no
figures are printed.

Each pass is timed a slice of ``--slice`` orders at a time (500); between slices, untimed, the answers
become verdicts and are let go, and everything alive (orders, inputs, verdicts so far) is frozen out
of Python's cyclic collector (``gc.freeze``). The collector stays on: a contender pays for the
collections its own allocations cause, not for walking the harness's data. Kept all at once,
20,000 answers and the orders were 670,000 objects that full collections walked again and again,
40-45 µs of every OrderLoom evaluation, more than the evaluation itself: a cost of the harness, as
no engine keeps every decision it ever made alive.

Prints exactly one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
RULE_FILE = HERE / "audit-20.yaml"
ZEN_MODEL = HERE / "audit-20.zen.json"
# Measure the engine of this checkout, not whichever copy the environment happens to have installed.
sys.path.insert(0, str(REPO_ROOT))

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # the engine's clock for every evaluation
CHINA = timezone(timedelta(hours=8))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_NAMES = [
    *("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊"),
    *("军", "洋", "勇", "艳", "杰", "娟", "涛", "建华", "晓明"),
]
PLACES = [
    ("上海市", "上海市", "浦东新区"),
    ("北京市", "北京市", "朝阳区"),
    ("浙江省", "杭州市", "西湖区"),
    ("广东省", "深圳市", "南山区"),
    ("广东省", "广州市", "天河区"),
    ("江苏省", "南京市", "鼓楼区"),
    ("四川省", "成都市", "武侯区"),
    ("湖北省", "武汉市", "洪山区"),
]
REMOTE_PLACES = [
    ("新疆维吾尔自治区", "乌鲁木齐市", "天山区"),
    ("西藏自治区", "拉萨市", "城关区"),
    ("青海省", "西宁市", "城中区"),
]
STREETS = ["花园路", "人民路", "解放大道", "中山北路", "建设路", "长江路"]
BLACKLISTED_MOBILES = ["13800000000", "13900001111", "17000000000", "17100002222", "16512345678"]
CHANNELS = ["web", "app", "wechat", "store", "phone"]
CHANNEL_WEIGHTS = [30, 35, 20, 10, 5]
SKUS = [f"SKU-{n:04d}" for n in range(1, 201)]
PRODUCTS = ["保温杯", "蓝牙耳机", "羊毛围巾", "电饭煲", "运动鞋", "台灯", "茶叶礼盒", "行李箱", "机械键盘"]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# The orders: the same data for every contender.


def make_orders(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` paid orders; the rare cases below make some held (about one in six) and a few rejected."""
    rng = random.Random(seed)
    orders = []
    for n in range(count):
        lines = []
        for _ in range(rng.randint(3, 6)):
            sku = rng.choice(SKUS)
            qty = rng.randint(21, 40) if rng.random() < 0.003 else rng.choices((1, 2, 3), (60, 30, 10))[0]
            roll = rng.random()
            if roll < 0.005:
                unit_price = rng.randint(3100, 6000)  # a phone or a laptop
            elif roll < 0.006:
                unit_price = -rng.randint(1, 50)  # a broken price feed
            else:
                unit_price = rng.randint(5, 300)
            lines.append(
                {
                    "sku": sku,
                    "name": rng.choice(PRODUCTS),
                    "qty": qty,
                    "unit_price": unit_price,
                    "amount": qty * unit_price,
                }
            )
        goods = sum(line["amount"] for line in lines)
        shipping_fee = 0 if goods >= 99 else 10
        coupon, discount = None, 0
        roll = rng.random()
        if roll < 0.02:
            coupon, discount = f"BIG{rng.randint(100, 999)}", rng.randint(301, 600)
        elif roll < 0.25:
            coupon, discount = f"C{rng.randint(1000, 9999)}", rng.choice([10, 20, 30, 50, 100])
        discount = min(discount, goods)
        total = goods + shipping_fee - discount
        if rng.random() < 0.005:
            total += rng.choice([-5, 5, 20])  # a client that added the lines up wrongly
        roll = rng.random()
        paid_amount = total - rng.randint(1, 20) if roll < 0.01 else total + 5 if roll < 0.015 else total

        orders_count = 0 if rng.random() < 0.12 else rng.randint(1, 80)
        roll = rng.random()
        if roll < 0.01:
            refund_rate = rng.choice([0.65, 0.75])
        elif roll < 0.04:
            refund_rate = 0.42
        else:
            refund_rate = rng.choice([0.0, 0.0, 0.02, 0.05, 0.08, 0.12, 0.2, 0.25])
        if rng.random() < 0.02:
            registered = NOW - timedelta(minutes=rng.randint(5, 100))  # signed up and ordered at once
        else:
            registered = NOW - timedelta(days=rng.randint(3, 2000))
        province, city, district = rng.choice(REMOTE_PLACES) if rng.random() < 0.05 else rng.choice(PLACES)
        if rng.random() < 0.01:
            detail = f"{rng.randint(1, 9)}号"  # missing the street
        else:
            street, number = rng.choice(STREETS), rng.randint(1, 999)
            detail = f"{street}{number}号{rng.randint(1, 30)}栋{rng.randint(101, 2999)}室"
        mobile = (
            rng.choice(BLACKLISTED_MOBILES)
            if rng.random() < 0.005
            else f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}"
        )
        orders.append(
            {
                "id": f"R{seed:04d}{n:07d}",
                "channel": rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0],
                "customer": {
                    "name": rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
                    "mobile": mobile,
                    "level": rng.randint(1, 5),
                    "orders_count": orders_count,
                    "refund_rate": refund_rate,
                    "registered_at": registered.astimezone(CHINA).isoformat(timespec="seconds"),
                },
                "address": {"province": province, "city": city, "district": district, "detail": detail},
                "lines": lines,
                "shipping_fee": shipping_fee,
                "coupon": coupon,
                "discount": discount,
                "total": total,
                "paid_amount": paid_amount,
            }
        )
    return orders


# --------------------------------------------------------------------------------------------------
# Contenders: each turns an order into its answer; ``verdict`` reads (outcome, matching rules) from it.

Verdict = tuple[str, frozenset[str]]


class OrderLoomContender:
    name = "orderloom"

    def __init__(self, stored: bool = False) -> None:
        from engine.rules import kinds

        doc = yaml.safe_load(RULE_FILE.read_text(encoding="utf-8"))
        self._ruleset = kinds.compile_ruleset(doc, str(RULE_FILE.relative_to(REPO_ROOT)))
        self.rule_count = len(self._ruleset.rules)
        self._stored = stored
        if stored:
            self.name = "orderloom_stored"

    def prepare(self, orders: list[dict[str, Any]]) -> list[Any]:
        return [{"order": order, "now": NOW} for order in orders]

    def run(self, inputs: list[Any]) -> list[Any]:
        evaluate = self._ruleset.evaluate
        if self._stored:
            return [evaluate(env).to_dict() for env in inputs]
        return [evaluate(env) for env in inputs]

    def verdict(self, answer: Any) -> Verdict:
        doc = answer if self._stored else {"outcome": answer.outcome, "trace": answer.trace}
        errors = [f"{entry['rule']}: {entry['error']}" for entry in doc["trace"] if "error" in entry]
        if errors:
            raise SystemExit("orderloom could not evaluate " + "; ".join(errors))
        return doc["outcome"], frozenset(entry["rule"] for entry in doc["trace"] if entry["matched"])


class ZenContender:
    name = "zen_engine"

    def __init__(self, traced: bool = False) -> None:
        import zen

        self._decision = zen.ZenEngine().create_decision(ZEN_MODEL.read_text(encoding="utf-8"))
        self._decision.validate()
        self._options = {"trace": True} if traced else None
        if traced:
            self.name = "zen_engine_traced"

    def prepare(self, orders: list[dict[str, Any]]) -> list[Any]:
        now = NOW.isoformat(timespec="seconds")  # JSON has no dates: zen reads ISO-8601 text
        return [{"order": order, "now": now} for order in orders]

    def run(self, inputs: list[Any]) -> list[Any]:
        evaluate, options = self._decision.evaluate, self._options
        if options is None:
            return [evaluate(context) for context in inputs]
        return [evaluate(context, options) for context in inputs]

    def verdict(self, answer: Any) -> Verdict:
        result = answer["result"]
        return result["outcome"], frozenset(result["rules"])


# --------------------------------------------------------------------------------------------------
# Measuring


def measure(contender: Any, inputs: list[Any], slice_size: int) -> tuple[float, list[Verdict]]:
    """Evaluations per second for one pass over ``inputs``, timed a slice at a time, and the verdicts."""
    elapsed = 0.0
    verdicts: list[Verdict] = []
    try:
        for start in range(0, len(inputs), slice_size):
            part = inputs[start : start + slice_size]
            gc.freeze()  # what is alive now is the harness's: collections in the slice skip it
            started = time.perf_counter()
            answers = contender.run(part)
            elapsed += time.perf_counter() - started
            verdicts += [contender.verdict(answer) for answer in answers]
            del answers
    finally:
        gc.unfreeze()
    return len(inputs) / elapsed, verdicts


def check_agreement(
    orders: list[dict[str, Any]], verdicts: Mapping[str, list[Verdict]], reference: str
) -> None:
    """Stop the run unless every contender gave every order the reference's outcome and matching rules.

    Every disagreement is counted, by contender and by the rules the two saw differently; the first few
    orders are shown whole.
    """
    expected = verdicts[reference]
    differing: Counter[tuple[str, str]] = Counter()
    examples: list[str] = []
    for name, given in verdicts.items():
        for order, want, got in zip(orders, expected, given, strict=True):
            if want == got:
                continue
            for rule in sorted(want[1] ^ got[1]) or ["(same rules, other outcome)"]:
                differing[name, rule] += 1
            if len(examples) < 3:
                examples.append(
                    f"order {order['id']}: {reference} says {want[0]} "
                    f"({', '.join(sorted(want[1])) or 'no rule'}), {name} says {got[0]} "
                    f"({', '.join(sorted(got[1])) or 'no rule'})\n  {json.dumps(order, ensure_ascii=False)}"
                )
    if differing:
        counts = "\n".join(
            f"  {name} and {reference} differ on rule {rule}: {count} of {len(orders)} orders"
            for (name, rule), count in sorted(differing.items())
        )
        raise SystemExit("the contenders disagree; no figures\n" + counts + "\n" + "\n".join(examples))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=20_000, help="orders decided per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is reported")
    parser.add_argument("--warmup", type=int, default=500, help="orders each contender decides first")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--slice", type=int, default=500, help="orders timed at once (answers kept)")
    args = parser.parse_args(argv)
    if min(args.evaluations, args.rounds, args.slice) < 1 or args.warmup < 0:
        parser.error("--evaluations, --rounds and --slice must be at least 1, --warmup at least 0")

    orderloom = OrderLoomContender()
    contenders: list[Any] = [orderloom, OrderLoomContender(stored=True), ZenContender(), ZenContender(True)]
    warmup = make_orders(args.warmup, seed=args.seed * 1000)
    for contender in contenders:
        contender.run(contender.prepare(warmup))
        progress(f"{contender.name}: ready, warmed up on {args.warmup} orders")

    rates: dict[str, list[float]] = {contender.name: [] for contender in contenders}
    outcomes: Counter[str] = Counter()
    for round_number in range(1, args.rounds + 1):
        orders = make_orders(args.evaluations, seed=args.seed * 1000 + round_number)
        verdicts: dict[str, list[Verdict]] = {}
        # contenders take turns inside each round, so drift in the machine hits all of them
        for contender in contenders:
            inputs = contender.prepare(orders)
            rate, verdicts[contender.name] = measure(contender, inputs, args.slice)
            rates[contender.name].append(rate)
            progress(f"{contender.name}: round {round_number}: {len(orders)} evaluations, {rate:,.0f}/s")
        check_agreement(orders, verdicts, reference="orderloom")
        outcomes.update(outcome for outcome, _rules in verdicts["orderloom"])

    median = {name: statistics.median(values) for name, values in rates.items()}
    result = {
        "evaluations": args.evaluations,
        "rules": orderloom.rule_count,
        "orderloom_per_s": round(median["orderloom"]),
        "orderloom_stored_per_s": round(median["orderloom_stored"]),
        "zen_engine_per_s": round(median["zen_engine"]),
        "zen_engine_traced_per_s": round(median["zen_engine_traced"]),
        "orderloom_vs_zen": round(median["orderloom"] / median["zen_engine"], 2),
        "outcomes": {name: outcomes[name] for name in ("approve", "hold", "reject")},
        "agreed": sum(outcomes.values()),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
