"""Routing (路由): pick the warehouse that ships an order and the carrier that delivers it, by scores.

Candidates and weights are set by admins in the rule file (docs/rules-language.md is the reference):

* a **warehouse** is eligible when its ``when`` holds (matched by :mod:`engine.rules.matching`; a
  condition that cannot be evaluated makes it ineligible, with the error in the trace) and, when it
  lists ``serves``, the destination province (``order.address.province``) is among them;
* a **carrier** is eligible when its ``when`` holds, it serves the province (``provinces``, all when
  absent) and the order's weight is within its ``max_weight_kg``.

Criteria, each normalized to 0..1 among the eligible candidates of its side (1 is best):

* ``stock`` (warehouses): the share of the order's units the warehouse has on hand — already 0..1;
* ``distance`` (warehouses): km to the province (0 to its own province, ``distances`` table, else
  ``default_distance_km``), normalized ``(max - d) / (max - min)`` (1 for all when they are equal);
* ``cost`` (carriers): ``base_cost + cost_per_kg * weight``, normalized like distance;
* ``promise`` (carriers): ``promise_days``, normalized like distance.

A candidate's total is the weighted mean of its side's scores (``weights``; a side whose weights are
all 0 gives 0 and file order decides). Ties go to file order.

Stock on hand comes from ``env["stock"]`` (``{sku: {warehouse: units}}``), which the engine fills
before evaluating. The warehouse of highest total among those that can fill the whole order ships it
(outcome ``routed``). When none can, the order is split greedily: warehouses in order of total each
take what they hold of what is still missing (outcome ``split``, ``outputs["split"]`` lists the parts,
``outputs["warehouse"]`` is the first part's warehouse). When even all of them together cannot fill
it, the outcome is ``no_stock``; when no carrier can take the order, ``no_carrier``. One carrier takes
every part of a split, chosen on the weight of the whole order.

The weight is ``order.weight_kg`` when given, else the sum of ``weight_kg * qty`` over the lines that
give ``weight_kg``, else ``default_weight_kg`` (1 kg when the file does not say).

A line marked ``virtual: true`` (a gift card, an extended warranty: the product catalogue marks the lines
of a workflow that names it, docs/catalogue.md) needs no warehouse and no carrier: routing leaves it out,
of the stock, the split and the weight alike. An order of virtual lines only is ``routed`` with neither a
warehouse nor a carrier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.errors import Problem, Severity
from engine.rules.durable import build_matcher
from engine.rules.expr import check as check_expression
from engine.rules.matching import Condition, Matcher
from engine.rules.ruleset import Decision, FileProblems, RuleKind

__all__ = ["KIND", "OUTCOMES", "Carrier", "CompiledRouting", "Warehouse", "check", "compile", "province_key"]

ROUTED, SPLIT, NO_STOCK, NO_CARRIER = "routed", "split", "no_stock", "no_carrier"
OUTCOMES = (ROUTED, SPLIT, NO_STOCK, NO_CARRIER)
WAREHOUSE_CRITERIA = ("stock", "distance")
CARRIER_CRITERIA = ("cost", "promise")
DEFAULT_WEIGHT_KG = 1.0
DEFAULT_DISTANCE_KM = 2000.0
# What a routing file's two sides are called in a message.
_SIDE_WORDS = {
    "warehouses": (Text("仓库", "warehouses"), Text("仓库", "warehouse")),
    "carriers": (Text("承运商", "carriers"), Text("承运商", "carrier")),
}
# Keys of the other kinds that mean nothing in a routing file.
_FOREIGN_KEYS = (
    "rules",
    "outcomes",
    "default",
    "hit_policy",
    "inputs",
    "outputs",
    "default_outputs",
    "priorities",
    "aggregation",
)


@dataclass(frozen=True)
class Warehouse:
    name: str
    label: Text
    province: str
    serves: frozenset[str] | None
    distances: Mapping[str, float]
    when: str | None


@dataclass(frozen=True)
class Carrier:
    name: str
    label: Text
    base_cost: float
    cost_per_kg: float
    max_weight_kg: float | None
    promise_days: float
    provinces: frozenset[str] | None
    when: str | None


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _normalized(raws: Sequence[float]) -> list[float]:
    """Lower is better: ``(max - x) / (max - min)``, every score 1 when all are equal."""
    if not raws:
        return []
    low, high = min(raws), max(raws)
    if high == low:
        return [1.0 for _ in raws]
    return [(high - raw) / (high - low) for raw in raws]


def _total(score: float, weight: float, other_score: float, other_weight: float) -> float:
    """The weighted mean of a side's two scores (0 when both weights are 0), to 6 places."""
    weights = weight + other_weight
    if weights <= 0:
        return 0.0
    return round((score * weight + other_score * other_weight) / weights, 6)


@dataclass(frozen=True)
class _Line:
    sku: str
    qty: int | float


@dataclass(frozen=True)
class CompiledRouting:
    """A routing rule set, compiled once per version; :meth:`evaluate` routes one order."""

    name: str
    kind: str
    version: str
    file: str
    title: Text
    weights: Mapping[str, float]
    warehouses: tuple[Warehouse, ...]
    carriers: tuple[Carrier, ...]
    default_weight_kg: float
    default_distance_km: float
    _matcher: Matcher | None = field(default=None, repr=False, compare=False)

    def evaluate(self, env: Mapping[str, Any]) -> Decision:
        """Route the order ``env["order"]`` with the stock ``env["stock"]``; never raises on bad data."""
        order = env.get("order")
        order = order if isinstance(order, Mapping) else {}
        address = order.get("address")
        province = address.get("province") if isinstance(address, Mapping) else None
        province = province_key(province) if isinstance(province, str) else None
        stock = env.get("stock")
        stock = stock if isinstance(stock, Mapping) else {}
        lines, bad_lines, virtual = _lines(order.get("lines"))
        weight = _weight(order, self.default_weight_kg)
        if self._matcher is not None:
            match = self._matcher.match(env)
            matched, errors, values = match.matched, match.errors, match.values
        else:
            matched, errors, values = frozenset(), {}, {}

        def eligibility(key: str, when: str | None, entry: dict[str, Any]) -> bool:
            if when is None:
                return True
            entry["when"] = when
            if key in errors:
                entry["error"] = errors[key].en
                entry["error_words"] = {"zh": errors[key].zh, "en": errors[key].en}
                entry["why"] = {"zh": "条件无法求值", "en": "the condition could not be evaluated"}
                return False
            entry["values"] = dict(values.get(key, {}))
            entry["matched"] = key in matched  # as an audit rule's: case coverage reads it
            if key not in matched:
                entry["why"] = {"zh": "条件不满足", "en": "the condition does not hold"}
                return False
            return True

        units = sum(line.qty for line in lines)
        weights = self.weights
        stock_weight, distance_weight = weights.get("stock", 0.0), weights.get("distance", 0.0)
        cost_weight, promise_weight = weights.get("cost", 0.0), weights.get("promise", 0.0)
        shelves = {line.sku: _shelf(stock.get(line.sku)) for line in lines}
        warehouse_entries: list[dict[str, Any]] = []
        eligible_warehouses: list[tuple[Warehouse, dict[str, Any]]] = []
        for warehouse in self.warehouses:
            entry: dict[str, Any] = {"rule": warehouse.name, "candidate": "warehouse", "eligible": False}
            warehouse_entries.append(entry)
            if not eligibility(f"warehouse:{warehouse.name}", warehouse.when, entry):
                continue
            if warehouse.serves is not None and province not in warehouse.serves:
                entry["why"] = {
                    "zh": f"不配送到{province or '（无省份）'}",
                    "en": f"does not serve {province}",
                }
                continue
            entry["eligible"] = True
            eligible_warehouses.append((warehouse, entry))
        distances = [self._distance(warehouse, province) for warehouse, _ in eligible_warehouses]
        distance_scores = _normalized(distances)
        for (warehouse, entry), distance, distance_score in zip(
            eligible_warehouses, distances, distance_scores, strict=True
        ):
            on_hand = _fillable(lines, shelves, warehouse.name)
            stock_score = round(on_hand / units, 6) if units else 1.0
            entry["criteria"] = {
                "stock": {"raw": on_hand, "score": stock_score, "weight": stock_weight},
                "distance": {"raw": distance, "score": round(distance_score, 6), "weight": distance_weight},
            }
            entry["total"] = _total(stock_score, stock_weight, distance_score, distance_weight)
            entry["full"] = bool(lines) and on_hand >= units
        carrier_entries: list[dict[str, Any]] = []
        eligible_carriers: list[tuple[Carrier, dict[str, Any]]] = []
        for carrier in self.carriers:
            entry = {"rule": carrier.name, "candidate": "carrier", "eligible": False}
            carrier_entries.append(entry)
            if not eligibility(f"carrier:{carrier.name}", carrier.when, entry):
                continue
            if carrier.provinces is not None and province not in carrier.provinces:
                entry["why"] = {
                    "zh": f"不配送到{province or '（无省份）'}",
                    "en": f"does not serve {province}",
                }
                continue
            if carrier.max_weight_kg is not None and weight > carrier.max_weight_kg:
                entry["why"] = {
                    "zh": f"重量 {weight:g}kg 超过上限 {carrier.max_weight_kg:g}kg",
                    "en": f"weight {weight:g} kg is over its limit of {carrier.max_weight_kg:g} kg",
                }
                continue
            entry["eligible"] = True
            eligible_carriers.append((carrier, entry))
        costs = [round(c.base_cost + c.cost_per_kg * weight, 2) for c, _ in eligible_carriers]
        days = [c.promise_days for c, _ in eligible_carriers]
        for (_carrier, entry), cost, cost_score, promise, promise_score in zip(
            eligible_carriers, costs, _normalized(costs), days, _normalized(days), strict=True
        ):
            entry["criteria"] = {
                "cost": {"raw": cost, "score": round(cost_score, 6), "weight": cost_weight},
                "promise": {"raw": promise, "score": round(promise_score, 6), "weight": promise_weight},
            }
            entry["total"] = _total(cost_score, cost_weight, promise_score, promise_weight)

        def ranked(candidates: list[tuple[Any, dict[str, Any]]]) -> list[tuple[Any, dict[str, Any]]]:
            return sorted(candidates, key=lambda pair: -pair[1]["total"])  # stable: ties keep file order

        trace = warehouse_entries + carrier_entries
        scores = {
            "warehouses": {w.name: e["total"] for w, e in eligible_warehouses},
            "carriers": {c.name: e["total"] for c, e in eligible_carriers},
        }
        outputs: dict[str, Any] = {"warehouse": None, "carrier": None, "split": [], "scores": scores}
        reasons: list[dict[str, Any]] = []
        if virtual and not lines and not bad_lines:
            reasons.append(
                {
                    "rule": "lines",
                    "outcome": ROUTED,
                    "zh": "订单只有虚拟商品：无需仓库与承运商",
                    "en": "every line is virtual: no warehouse and no carrier needed",
                }
            )
            return self._decision(ROUTED, reasons, trace, outputs)
        if bad_lines or not lines:
            en = (
                "the order has no line to ship"
                if not bad_lines
                else f"order lines {bad_lines} have no sku or qty"
            )
            zh = "订单没有可发货的明细" if not bad_lines else f"订单明细 {bad_lines} 缺少 sku 或数量"
            reasons.append({"rule": "lines", "outcome": NO_STOCK, "zh": zh, "en": en})
            return self._decision(NO_STOCK, reasons, trace, outputs)
        full = [pair for pair in ranked(eligible_warehouses) if pair[1]["full"]]
        outcome = ROUTED
        if full:
            warehouse, entry = full[0]
            entry["chosen"] = True
            outputs["warehouse"] = warehouse.name
            reasons.append(
                {
                    "rule": warehouse.name,
                    "outcome": ROUTED,
                    "zh": f"{warehouse.label.zh}可整单发货，综合得分最高（{entry['total']:.2f}）",
                    "en": f"{warehouse.label.en} can ship the whole order "
                    f"and scores highest ({entry['total']:.2f})",
                }
            )
        else:
            parts, missing = _split(lines, stock, [w for w, _ in ranked(eligible_warehouses)])
            if missing:
                shown = ", ".join(f"{sku} × {qty:g}" for sku, qty in missing.items())
                reasons.append(
                    {
                        "rule": "stock",
                        "outcome": NO_STOCK,
                        "zh": f"所有可用仓库合计库存不足：缺 {shown}",
                        "en": f"all eligible warehouses together lack stock: missing {shown}",
                    }
                )
                return self._decision(NO_STOCK, reasons, trace, outputs)
            outcome = SPLIT
            outputs["split"] = parts
            outputs["warehouse"] = parts[0]["warehouse"]
            names = [part["warehouse"] for part in parts]
            for _warehouse, entry in eligible_warehouses:
                if entry["rule"] in names:
                    entry["chosen"] = True
            labels = {w.name: w.label for w in self.warehouses}
            reasons.append(
                {
                    "rule": ", ".join(names),
                    "outcome": SPLIT,
                    "zh": f"没有仓库能整单发货，按得分拆单：{'、'.join(labels[n].zh for n in names)}",
                    "en": f"no warehouse can ship the whole order; split by score: "
                    f"{', '.join(labels[n].en for n in names)}",
                }
            )
        if not eligible_carriers:
            reasons.append(
                {
                    "rule": "carriers",
                    "outcome": NO_CARRIER,
                    "zh": f"没有承运商可配送（{province or '无省份'}，{weight:g}kg）",
                    "en": f"no carrier can deliver it ({province or 'no province'}, {weight:g} kg)",
                }
            )
            return self._decision(NO_CARRIER, reasons, trace, outputs)
        carrier, entry = ranked(eligible_carriers)[0]
        entry["chosen"] = True
        outputs["carrier"] = carrier.name
        reasons.append(
            {
                "rule": carrier.name,
                "outcome": outcome,
                "zh": f"{carrier.label.zh}综合得分最高（{entry['total']:.2f}）",
                "en": f"{carrier.label.en} scores highest ({entry['total']:.2f})",
            }
        )
        return self._decision(outcome, reasons, trace, outputs)

    def _distance(self, warehouse: Warehouse, province: str | None) -> float:
        if province is not None and province in warehouse.distances:
            return float(warehouse.distances[province])
        if province is not None and province == warehouse.province:
            return 0.0
        return self.default_distance_km

    def _decision(
        self,
        outcome: str,
        reasons: list[dict[str, Any]],
        trace: list[dict[str, Any]],
        outputs: dict[str, Any],
    ) -> Decision:
        return Decision(
            self.name, outcome, None, reasons, trace, self.version, kind="routing", outputs=outputs
        )


def _virtual(line: Any) -> bool:
    """A line marked ``virtual: true``: nothing to ship."""
    return isinstance(line, Mapping) and line.get("virtual") is True


def _lines(raw: Any) -> tuple[list[_Line], list[int], int]:
    """The order's lines to ship with a positive quantity, the 1-based numbers of lines that cannot ship,
    and how many lines are virtual (left out)."""
    if not isinstance(raw, list):
        return [], [], 0
    lines: list[_Line] = []
    bad: list[int] = []
    virtual = 0
    for number, line in enumerate(raw, start=1):
        if _virtual(line):
            virtual += 1
            continue
        sku = line.get("sku") if isinstance(line, Mapping) else None
        qty = line.get("qty") if isinstance(line, Mapping) else None
        if not isinstance(sku, str) or not _number(qty) or qty < 0:
            bad.append(number)
        elif qty > 0:
            lines.append(_Line(sku, qty))
    return lines, bad, virtual


def _weight(order: Mapping[str, Any], default: float) -> float:
    given = order.get("weight_kg")
    if _number(given) and given >= 0:
        return float(given)
    total, found = 0.0, False
    raw = order.get("lines")
    for line in raw if isinstance(raw, list) else []:
        if _virtual(line):
            continue
        if isinstance(line, Mapping) and _number(line.get("weight_kg")) and _number(line.get("qty")):
            total += line["weight_kg"] * line["qty"]
            found = True
    return round(total, 3) if found else default


def _available(stock: Mapping[str, Any], sku: str, warehouse: str) -> float:
    by_warehouse = stock.get(sku)
    units = by_warehouse.get(warehouse) if isinstance(by_warehouse, Mapping) else None
    return max(units, 0) if _number(units) else 0


def _shelf(by_warehouse: Any) -> dict[str, float]:
    """One sku's units on hand by warehouse, as ``_available`` reads them (none below 0, numbers only)."""
    if not isinstance(by_warehouse, Mapping):
        return {}
    return {warehouse: max(units, 0) for warehouse, units in by_warehouse.items() if _number(units)}


def _fillable(lines: Sequence[_Line], shelves: Mapping[str, Mapping[str, float]], warehouse: str) -> float:
    """How many of the order's units ``warehouse`` can ship (lines of one sku share its stock)."""
    left: dict[str, float] = {}
    filled: float = 0
    for line in lines:
        sku = line.sku
        have = left[sku] if sku in left else shelves[sku].get(warehouse, 0)
        take = line.qty if line.qty < have else have  # min(have, qty), the same value and type
        left[sku] = have - take
        filled += take
    return filled


def _split(
    lines: Sequence[_Line], stock: Mapping[str, Any], warehouses: Sequence[Warehouse]
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Greedy split: each warehouse, best first, takes what it holds of what is still missing."""
    missing: dict[str, float] = {}
    for line in lines:
        missing[line.sku] = missing.get(line.sku, 0) + line.qty
    parts: list[dict[str, Any]] = []
    for warehouse in warehouses:
        taken: list[dict[str, Any]] = []
        for sku, qty in missing.items():
            take = min(qty, _available(stock, sku, warehouse.name))
            if take > 0:
                taken.append({"sku": sku, "qty": take})
                missing[sku] = qty - take
        if taken:
            parts.append({"warehouse": warehouse.name, "lines": taken})
        if not any(missing.values()):
            break
    return parts, {sku: qty for sku, qty in missing.items() if qty > 0}


def _text(raw: Any, fallback: str) -> Text:
    if isinstance(raw, Mapping) and isinstance(raw.get("zh"), str) and isinstance(raw.get("en"), str):
        return Text(zh=raw["zh"], en=raw["en"])
    return Text(zh=fallback, en=fallback)


# What follows a provincial-level region's name in its full form (上海市, 广西壮族自治区, 香港特别行政区).
_REGION_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市")


def province_key(name: str) -> str:
    """A province as routing compares it: its short name, whichever form an address or a file uses.

    ``上海市`` and ``上海``, ``广西壮族自治区`` and ``广西``, ``四川省`` and ``四川`` are one province.
    """
    name = name.strip()
    for suffix in _REGION_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def compile(doc: Mapping[str, Any], file: str, version: str) -> CompiledRouting:
    """Compile a checked routing rule set (``engine.rules.kinds.compile_ruleset`` checks first)."""
    warehouses = tuple(
        Warehouse(
            name=raw["name"],
            label=_text(raw.get("label"), raw["name"]),
            province=province_key(raw["province"]),
            serves=frozenset(map(province_key, raw["serves"])) if "serves" in raw else None,
            distances={province_key(str(k)): float(v) for k, v in (raw.get("distances") or {}).items()},
            when=raw.get("when"),
        )
        for raw in doc["warehouses"]
    )
    carriers = tuple(
        Carrier(
            name=raw["name"],
            label=_text(raw.get("label"), raw["name"]),
            base_cost=float(raw["base_cost"]),
            cost_per_kg=float(raw["cost_per_kg"]),
            max_weight_kg=float(raw["max_weight_kg"]) if "max_weight_kg" in raw else None,
            promise_days=float(raw["promise_days"]),
            provinces=frozenset(map(province_key, raw["provinces"])) if "provinces" in raw else None,
            when=raw.get("when"),
        )
        for raw in doc["carriers"]
    )
    conditions = [Condition(f"warehouse:{w.name}", w.when) for w in warehouses if w.when is not None]
    conditions += [Condition(f"carrier:{c.name}", c.when) for c in carriers if c.when is not None]
    matcher = build_matcher(f"{doc['ruleset']}:candidates", version, conditions) if conditions else None
    title = _text(doc["title"], doc["ruleset"])
    return CompiledRouting(
        name=doc["ruleset"],
        kind="routing",
        version=version,
        file=file,
        title=title,
        weights={str(k): float(v) for k, v in doc["weights"].items()},
        warehouses=warehouses,
        carriers=carriers,
        default_weight_kg=float(doc.get("default_weight_kg", DEFAULT_WEIGHT_KG)),
        default_distance_km=float(doc.get("default_distance_km", DEFAULT_DISTANCE_KM)),
        _matcher=matcher,
    )


def check(doc: Mapping[str, Any], file: str) -> list[Problem]:
    """The problems of a routing file beyond its JSON Schema. Never raises."""
    problem = FileProblems(file)

    for key in _FOREIGN_KEYS:
        if key in doc:
            problem(
                Text(f"路由规则集不使用键 {key!r}", f"key {key!r} is not used by routing rule sets"),
                f"$.{key}",
                Text(
                    "路由按仓库、承运商和权重作出决定：请删除它",
                    "routing decides with warehouses, carriers and weights; remove it",
                ),
                "foreign-key",
            )
    weights = doc.get("weights")
    if isinstance(weights, Mapping):
        for side, criteria in (("warehouses", WAREHOUSE_CRITERIA), ("carriers", CARRIER_CRITERIA)):
            if not any(_number(weights.get(name)) and weights[name] > 0 for name in criteria):
                sides = _SIDE_WORDS[side][0]
                problem(
                    Text(
                        f"没有给{sides.zh}排序的权重：请给 {' 或 '.join(criteria)} 一个大于 0 的权重",
                        f"no weight ranks the {side}: give {' or '.join(criteria)} a weight above 0",
                    ),
                    "$.weights",
                    Text(
                        "例如 weights: {stock: 0.4, distance: 0.3, cost: 0.2, promise: 0.1}；"
                        "没有权重时只按文件中的顺序决定",
                        "e.g. weights: {stock: 0.4, distance: 0.3, cost: 0.2, promise: 0.1}; "
                        "without one, file order alone decides",
                    ),
                    "no-weight",
                    Severity.WARNING,
                )
    for side in ("warehouses", "carriers"):
        candidates = doc.get(side)
        if not isinstance(candidates, list):
            continue
        seen: dict[str, int] = {}
        for index, raw in enumerate(candidates):
            if not isinstance(raw, Mapping):
                continue
            path = f"$.{side}[{index}]"
            name = raw.get("name")
            if isinstance(name, str):
                if name in seen:
                    one = _SIDE_WORDS[side][1]
                    problem(
                        Text(
                            f"{one.zh} {name!r} 列出了两次（第一次是第 {seen[name] + 1} 个{one.zh}）",
                            f"{one.en} {name!r} is listed twice (first as {one.en} {seen[name] + 1})",
                        ),
                        f"{path}.name",
                        Text(
                            "每个候选只列一次：求值记录和输出都按名称指明它们",
                            "list every candidate once; traces and outputs name them",
                        ),
                        "duplicate-candidate",
                    )
                else:
                    seen[name] = index
            when = raw.get("when")
            if isinstance(when, str):
                problem.found.extend(e.to_problem(file, f"{path}.when") for e in check_expression(when))
            serves = raw.get("serves") if side == "warehouses" else None
            distances = raw.get("distances") if side == "warehouses" else None
            if isinstance(serves, list) and isinstance(distances, Mapping):
                for province in distances:
                    if province not in serves and province != raw.get("province"):
                        problem(
                            Text(
                                f"仓库 {name!r} 写了到 {province!r} 的距离，却不配送到该省份",
                                f"warehouse {name!r} has a distance to {province!r} but does not serve it",
                            ),
                            f"{path}.distances.{province}",
                            Text(
                                "把该省份加入 serves，或删除它的距离",
                                "add the province to serves, or remove its distance",
                            ),
                            "unserved-distance",
                            Severity.WARNING,
                            suggestion=near_miss(str(province), [str(p) for p in serves]),
                        )
    return problem.found


KIND = RuleKind("routing", check, compile, evaluated=True, named=("warehouses", "carriers"))
