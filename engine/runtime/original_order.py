"""An order about an order of another department (``original_order:`` of its workflow; an after-sales
request about a retail order): that order must exist there, by its number, and the amount asked back may
not pass what it paid and has not refunded, less what the workflow's other orders about it claim
already. Checked at intake, in the creating transaction, and on a step whose form asks a refund (refund
instead of a replacement): refused, naming the field, nothing is written. On PostgreSQL the original
order's row stays locked until the transaction ends, so two requests about it at once are counted one
after the other.

The original order's own return (a step that authorizes a refund on it: ``refund_due``) counts against
the same money: a request may not claim what that return will pay back, and that return may not pay back
what the requests claim (``claims_on``, which its actions read through ``ActionContext.claims``).

Both pages read the link: the request's shows a summary of the original order (``original_summary``),
which a clerk of the request's department reads though the original order's own page stays closed to
them, and the original order's lists the orders about it (``orders_about``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.common.lines import less_named, lines_within, per_sku
from engine.common.order_numbers import order_digits
from engine.common.regions import PLACE_NAMES
from engine.common.text import Text
from engine.common.words import WORDS, term
from engine.dsl.spec import OriginalOrderSpec, WorkflowSpec
from engine.errors import Refusal, RefusalCode
from engine.plugins import ClaimOn
from engine.runtime.compiled import state_words
from engine.runtime.masking import MOBILE, mask
from engine.runtime.parts import Parts
from engine.runtime.row_summary import field_title as _title
from engine.runtime.row_summary import value_words as _value_words
from engine.store import OrderRow, Tx
from engine.store.original_orders import NamingOrder, link_order, named_id, orders_naming
from engine.store.products import Product, find_products
from engine.store.versions import newest_versions

ORIGINAL_ORDER = "original-order"  # the keyword of the refusals: not a JSON Schema one
CENT = Decimal("0.01")
# what the original order authorized for a return of its own and has not paid back yet (the
# ``payments.authorize_refund`` of its return step; ``payments.refund`` pays it and clears it)
RETURN_AUTHORIZED = "refund_due"


def original_order_refusals(
    tx: Tx, spec: WorkflowSpec, data: Mapping[str, Any], order_id: int | None = None
) -> list[Refusal]:
    """Why the order's original order is refused: none of that number in its department, or a refund
    asked above what it paid and has not refunded (less what the others claim). ``order_id``: the order
    asking, once it exists (a step that asks a refund of its own: refund instead of a replacement)."""
    wanted = spec.original_order
    if wanted is None or data.get(wanted.field) is None:
        return []  # the forms say whether the field is required
    typed = data[wanted.field]
    number = named_id(typed)
    original = _original(tx, wanted, typed)
    if original is None:
        field = _title(spec, wanted.field)
        zh_dept, en_dept = (term("department", wanted.department, lang) for lang in ("zh", "en"))
        return [
            _refusal(
                wanted.field,
                f"{field.zh}：{zh_dept}部门没有订单 {typed}；请填写原订单页面上的订单号（数字，如 294）",
                f"{field.en}: the {en_dept} department has no order {typed}; give the number its page "
                "shows (digits, such as 294)",
                department=wanted.department,
                value=typed,
            )
        ]
    if wanted.delivered is not None and original.data.get(wanted.delivered) in (None, ""):
        field = _title(spec, wanted.field)
        if original.final:  # it ended without its goods delivered (cancelled): nothing to ask about
            zh = f"{field.zh}：原订单 #{number} 已结束且未签收（如已取消），不能申请售后"
            en = (
                f"{field.en}: original order #{number} ended without being delivered (cancelled): no "
                "request can be taken about it"
            )
        else:
            zh = f"{field.zh}：原订单 #{number} 尚未签收，签收后才能申请售后；未发货的订单请由原部门取消"
            en = (
                f"{field.en}: original order #{number} has not been delivered yet; a request can be taken "
                "once it is (an order not yet shipped is cancelled by its own department)"
            )
        return [_refusal(wanted.field, zh, en, order=number, undelivered=True)]
    lines = lines_left(tx, spec, original, order_id)
    asking = wanted.lines is not None and bool(per_sku(data.get(wanted.lines)))
    if lines and not asking and not any(line.left for line in lines.values()):
        # every line came back or is named, and none asked (the fill, a form sent with none): said by
        # the number, as lines asked are refused each by its SKU
        field = _title(spec, wanted.field)
        sent = sum(line.delivered for line in lines.values())
        back = sum(line.returned for line in lines.values())
        named = sum(line.claimed for line in lines.values())
        return [
            _refusal(
                wanted.field,
                f"{field.zh}：原订单 #{number} 已没有可退商品（已发 {sent} 件，原订单已退或退货中 "
                f"{back} 件，其他申请已占 {named} 件）",
                f"{field.en}: nothing is left to return on original order #{number} ({sent} delivered, "
                f"{back} returned or being returned by that order, {named} named by other requests)",
                order=number,
                nothing_left=True,
            )
        ]
    refusals = _lines_refusals(tx, spec, data, original, order_id)
    asked = _money(data.get(wanted.refund)) if wanted.refund is not None else None
    if asked is None or wanted.refund is None:
        return refusals
    paid = _money(original.data.get("paid_amount")) or Decimal(0)
    refunded = _money(original.data.get("refunded_amount")) or Decimal(0)
    returning = _money(original.data.get(RETURN_AUTHORIZED)) or Decimal(0)
    others = orders_naming(tx.connection, spec.department, spec.name, original.id, order_id)
    claimed = sum((_claim(other.final, other.data, wanted) for other in others), Decimal(0))
    left = max(paid - refunded - returning - claimed, Decimal(0)).quantize(CENT)
    if asked <= left:
        return refusals
    field = _title(spec, wanted.refund)
    # the original order's own return, named only when it holds some of the money
    own_zh = f"，原订单退货已核准 {returning.quantize(CENT)} 元" if returning else ""
    own_en = (
        f", {returning.quantize(CENT)} CNY authorized for the original order's own return"
        if returning
        else ""
    )
    return [
        *refusals,
        _refusal(
            wanted.refund,
            f"{field.zh}：{asked.quantize(CENT)} 元超过原订单 #{number} 可退的 {left} 元"
            f"（已付 {paid.quantize(CENT)} 元，已退 {refunded.quantize(CENT)} 元{own_zh}，"
            f"其他申请已占 {claimed.quantize(CENT)} 元）",
            f"{field.en}: {asked.quantize(CENT)} CNY is more than the {left} CNY original order #{number} "
            f"can refund ({paid.quantize(CENT)} CNY paid, {refunded.quantize(CENT)} CNY refunded{own_en}, "
            f"{claimed.quantize(CENT)} CNY claimed by other requests)",
            order=number,
            refundable=str(left),
            **({"return_authorized": str(returning.quantize(CENT))} if returning else {}),
        ),
    ]


# the original order's lists of what came back through its own return and what is on its way back
# (``{sku, name, qty}`` each; the retail order's ``returned`` and ``returning``)
OWN_RETURNED = ("returned", "returning")


@dataclass(frozen=True)
class LineLeft:
    """What is left to ask back of one SKU of the original order: delivered, less what its own return
    took or is taking back, less what the other orders about it name (open) or took back (closed)."""

    sku: str
    delivered: int
    returned: int
    claimed: int

    @property
    def left(self) -> int:
        return max(self.delivered - self.returned - self.claimed, 0)


def lines_left(
    tx: Tx, spec: WorkflowSpec, original: OrderRow, order_id: int | None = None
) -> dict[str, LineLeft] | None:
    """Per SKU of the original order, what is left to ask back (``original_order.lines``); None when the
    workflow names no lines. ``order_id``: the order asking, its own lines not counted."""
    wanted = spec.original_order
    if wanted is None or wanted.lines is None:
        return None
    delivered = per_sku(original.data.get(wanted.lines))
    returned: dict[str, int] = {}
    for name in OWN_RETURNED:
        for sku, qty in per_sku(original.data.get(name)).items():
            returned[sku] = returned.get(sku, 0) + qty
    claimed: dict[str, int] = {}
    for other in orders_naming(tx.connection, spec.department, spec.name, original.id, order_id):
        for sku, qty in _items_named(other, wanted).items():  # nothing once closed without the goods
            claimed[sku] = claimed.get(sku, 0) + qty
    return {
        sku: LineLeft(sku, delivered.get(sku, 0), returned.get(sku, 0), claimed.get(sku, 0))
        for sku in {**delivered, **returned, **claimed}
    }


def _lines_refusals(
    tx: Tx, spec: WorkflowSpec, data: Mapping[str, Any], original: OrderRow, order_id: int | None
) -> list[Refusal]:
    """A refusal for each line whose SKU asks more than the original order has left of it."""
    wanted = spec.original_order
    assert wanted is not None
    if wanted.lines is None or not isinstance(data.get(wanted.lines), list):
        return []
    left = lines_left(tx, spec, original, order_id) or {}
    asked = per_sku(data.get(wanted.lines))
    refusals = []
    seen: set[str] = set()
    for index, line in enumerate(data[wanted.lines]):
        sku = line.get("sku") if isinstance(line, Mapping) else None
        if not isinstance(sku, str) or sku in seen or sku not in asked:
            continue
        seen.add(sku)
        found = left.get(sku, LineLeft(sku, 0, 0, 0))
        if asked[sku] <= found.left:
            continue
        field = _title(spec, wanted.lines)
        refusals.append(
            _refusal(
                wanted.lines,
                f"{field.zh}：{sku} 申请 {asked[sku]} 件，超过原订单 #{original.id} 可退的 {found.left} 件"
                f"（已发 {found.delivered} 件，原订单已退或退货中 {found.returned} 件，"
                f"其他申请已占 {found.claimed} 件）",
                f"{field.en}: {asked[sku]} of {sku} is more than the {found.left} original order "
                f"#{original.id} has left ({found.delivered} delivered, {found.returned} returned or being "
                f"returned by that order, {found.claimed} named by other requests)",
                path=f"$.{wanted.lines}[{index}].qty",
                sku=sku,
                asked=asked[sku],
                left=found.left,
            )
        )
    return refusals


def typed_number(spec: WorkflowSpec, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """``data`` with the number its ``original_order.field`` holds read as its digits, as the pages write
    it or an input method types it (``#236``, ``＃２３６``, `` 236 ``: ``236``); ``data`` itself when it
    holds none, or no number (``RO236``: the form refuses it then, beside the field, in words)."""
    wanted = spec.original_order
    typed = data.get(wanted.field) if wanted is not None else None
    if wanted is None or not isinstance(typed, str):
        return data
    digits = order_digits(typed)
    return data if digits is None or digits == typed else {**data, wanted.field: digits}


def link_original(tx: Tx, spec: WorkflowSpec, order_id: int, data: Mapping[str, Any]) -> None:
    """Write the order's link to the original order its ``original_order.field`` names (none: no link),
    in the transaction that creates the order or changes the field; read back by ``orders_naming``
    through its index."""
    wanted = spec.original_order
    if wanted is not None:
        link_order(tx.connection, order_id, spec.department, spec.name, data.get(wanted.field))


@dataclass(frozen=True)
class OrderAbout:
    """An order of another workflow about an order (an after-sales request about a retail order), as the
    pages show it: its number, its workflow's title, its kind in words (``original_order.kind``), its
    state in words, the refund agreed and what it paid back, and what it claims of the order's money."""

    id: int
    department: str
    title: Text
    kind: Text | None
    state: str
    state_label: Text
    final: bool
    agreed: Decimal | None
    refunded: Decimal
    claimed: Decimal
    items: Mapping[str, int] = field(default_factory=dict)  # the goods it names back, per SKU


def workflows_about(tx: Tx, parts: Parts, department: str) -> list[WorkflowSpec]:
    """The newest version of each workflow whose orders are about an order of ``department`` (their
    ``original_order:`` names it)."""
    found = []
    for _, workflow, version in newest_versions(tx.connection):
        spec = parts.compiled(tx, workflow, version).spec
        if spec.original_order is not None and spec.original_order.department == department:
            found.append(spec)
    return found


def orders_about(
    tx: Tx, parts: Parts, department: str, order_id: int, but: int | None = None
) -> list[OrderAbout]:
    """The orders of every workflow about order ``order_id`` of ``department`` (by the number their
    ``original_order.field`` holds), by workflow then oldest first; the order ``but`` left out."""
    found = []
    for spec in workflows_about(tx, parts, department):
        wanted = spec.original_order
        assert wanted is not None
        for other in orders_naming(tx.connection, spec.department, spec.name, order_id, but):
            found.append(_about(spec, wanted, other))
    return found


def claims_on(tx: Tx, parts: Parts, department: str, order_id: int) -> list[ClaimOn]:
    """What the orders about order ``order_id`` of ``department`` claim of its money, each that claims
    some."""
    return [
        ClaimOn(about.id, about.title, about.claimed, about.items)
        for about in orders_about(tx, parts, department, order_id)
        if about.claimed or about.items
    ]


# a form's rows of goods (``{sku, qty}`` each: the lines a return names) offered less what the orders
# about the order name back (docs/forms.md)
UNCLAIMED = "x-unclaimed"
UNCLAIMED_CODE = "all-claimed"  # the refusal's code: the orders about the order name all the rows it had


def has_unclaimed(schema: Mapping[str, Any]) -> bool:
    """Whether a top-level field of the form is marked ``x-unclaimed``."""
    properties = schema.get("properties")
    return isinstance(properties, Mapping) and any(
        isinstance(prop, Mapping) and prop.get(UNCLAIMED) is True for prop in properties.values()
    )


def unclaimed_prefill(
    tx: Tx, parts: Parts, row: OrderRow, schema: Mapping[str, Any], prefill: Mapping[str, Any]
) -> dict[str, Any]:
    """``prefill`` with each top-level field the form marks ``x-unclaimed`` cut to what the orders about
    the order (after-sales requests about a retail order: ``claims_on``) and its own return under way
    (its ``returning``) leave of it: per SKU, what the prefill names less what they name back, a line
    with none left out, so its quantities (and a refund left empty, which is their price) offer only
    what may still come back."""
    return unclaimed_left(tx, parts, row, schema, prefill)[0]


def unclaimed_left(
    tx: Tx, parts: Parts, row: OrderRow, schema: Mapping[str, Any], prefill: Mapping[str, Any]
) -> tuple[dict[str, Any], Refusal | None]:
    """``unclaimed_prefill``, and the refusal of the step when a field it cut must hold a row
    (``required``, or ``minItems``) and the orders about the order leave it none of the rows it had:
    nothing is left to offer, so the form could never be sent (没有可退商品：售后申请 #301 已申请全部商品),
    said by the orders' numbers."""
    properties = schema.get("properties")
    names = [
        name
        for name, prop in (properties.items() if isinstance(properties, Mapping) else ())
        if isinstance(prop, Mapping) and prop.get(UNCLAIMED) is True and isinstance(prefill.get(name), list)
    ]
    if not names:
        return dict(prefill), None
    claims = [claim for claim in claims_on(tx, parts, row.department, row.id) if claim.items]
    # and what the order's own return under way takes back (its ``returning``, not yet off the list)
    named = [claim.items for claim in claims] + [per_sku(row.data.get(OWN_RETURNED[1]))]
    cut = dict(prefill)
    emptied = []
    for name in names:
        cut[name] = lines_within(prefill[name], less_named(prefill[name], named))
        prop = properties[name] if isinstance(properties, Mapping) else {}
        must = name in (schema.get("required") or ()) or (prop.get("minItems") or 0) > 0
        if must and prefill[name] and not cut[name]:
            emptied.append(name)
    if not emptied or not claims:
        return cut, None
    return cut, _all_claimed(claims, emptied)


def _all_claimed(claims: Sequence[ClaimOn], fields: Sequence[str]) -> Refusal:
    """The refusal of a step whose rows of goods the orders ``claims`` name all of, by their numbers."""
    said = WORDS["orders.all_claimed"]
    zh = "、".join(f"{claim.workflow_title.zh} #{claim.order_id}" for claim in claims)
    en = ", ".join(f"{claim.workflow_title.en.lower()} #{claim.order_id}" for claim in claims)
    return Refusal(
        UNCLAIMED_CODE,
        said.zh.format(orders=zh),
        (said.en if len(claims) == 1 else WORDS["orders.all_claimed_many"].en).format(orders=en),
        {"fields": list(fields), "orders": [claim.order_id for claim in claims]},
    )


def _about(spec: WorkflowSpec, wanted: OriginalOrderSpec, other: NamingOrder) -> OrderAbout:
    data = other.data
    kind = None
    if wanted.kind is not None and data.get(wanted.kind) is not None:
        kind = _value_words(spec, wanted.kind, data[wanted.kind])
    return OrderAbout(
        id=other.id,
        department=spec.department,
        title=spec.title,
        kind=kind,
        state=other.state,
        state_label=state_words(spec, other.state),
        final=other.final,
        agreed=_money(data.get("refund_authorized")),
        refunded=_money(data.get("refunded_amount")) or Decimal(0),
        claimed=_claim(other.final, data, wanted),
        items=_items_named(other, wanted),
    )


def _items_named(other: NamingOrder, wanted: OriginalOrderSpec) -> dict[str, int]:
    """The goods an order about the original names back, per SKU, as ``lines_left`` counts them: none
    when the workflow names no lines, or once it closed without the goods coming back."""
    if wanted.lines is None:
        return {}
    if other.final and (wanted.received is None or other.data.get(wanted.received) in (None, "")):
        return {}
    return {sku: qty for sku, qty in per_sku(other.data.get(wanted.lines)).items() if qty}


@dataclass(frozen=True)
class OriginalLine:
    """A line of the original order as its summary shows it."""

    sku: str
    name: str
    qty: Any
    unit_price: Decimal | None
    left: int | None = None  # what is left to ask back of its SKU (``original_order.lines``)
    title: Text | None = None  # its name in each language: the catalogue's, else as typed


@dataclass(frozen=True)
class OriginalSummary:
    """The original order an order is about, read-only, as that order's page (and its intake) shows it:
    only what a summary needs, the mobile masked whatever the reader's roles; the other orders about it
    beside."""

    id: int
    title: Text  # its workflow's title
    placed_at: datetime
    delivered_at: datetime | None
    return_by: datetime | None
    state: str
    state_label: Text
    customer_name: str | None
    mobile: str | None  # masked: 138****5678
    address: tuple[str, ...]  # its parts in the order the order holds them (province, city, …)
    lines: tuple[OriginalLine, ...]
    paid: Decimal
    refunded: Decimal
    return_authorized: Decimal  # what the order's own return authorized and has not paid back
    others: tuple[OrderAbout, ...]
    # what the orders about it paid back (this one too): not in its own ``refunded``, which is its own
    refunded_about: Decimal = Decimal(0)
    # the address in each language: a province, a city, a district by its name in each (陕西省 is Shaanxi,
    # 西安市 Xi'an, 雁塔区 Yanta District), the rest as typed
    address_words: tuple[Text, ...] = ()


def original_summary(
    tx: Tx, parts: Parts, spec: WorkflowSpec, data: Mapping[str, Any], order_id: int | None = None
) -> OriginalSummary | None:
    """The summary of the original order ``data`` names (``spec.original_order``), with the other orders
    about it (``order_id``, the one asking, left out); None when the workflow names none, or no order of
    that number is in its department. The caller has checked the reader may read the order asking."""
    wanted = spec.original_order
    if wanted is None:
        return None
    original = _original(tx, wanted, data.get(wanted.field))
    if original is None:
        return None
    own = parts.compiled(tx, original.workflow, original.version).spec
    found = original.data
    lines = found.get(wanted.lines or "lines")
    # what is left to ask back for anyone, this order's own claim counted too: the figure the original
    # order's page and its own return offer, never one the order asking reads differently
    left = lines_left(tx, spec, original)
    every = orders_about(tx, parts, original.department, original.id)
    mobile = _first_text(found, own.search.get("mobile", ()))
    address = found.get("address")
    parts_of = (
        tuple(str(v) for v in address.values() if isinstance(v, str | int))
        if isinstance(address, Mapping)
        else ()
    )
    # the catalogue's names of its lines, in each language (a SKU it lacks: the name as typed)
    skus = [str(line["sku"]) for line in lines or [] if isinstance(line, Mapping) and line.get("sku")]
    known = find_products(tx, skus) if skus else {}
    return OriginalSummary(
        id=original.id,
        title=own.title,
        placed_at=original.created_at,
        delivered_at=_time(found.get("delivered_at")),
        return_by=_time(found.get("return_by")),
        state=original.state,
        state_label=state_words(own, original.state),
        customer_name=_first_text(found, own.search.get("name", ())),
        mobile=mask(mobile, MOBILE) if mobile is not None else None,
        address=parts_of,
        address_words=tuple(PLACE_NAMES.get(part, Text(part, part)) for part in parts_of),
        lines=tuple(
            OriginalLine(
                str(line.get("sku", "")),
                str(line.get("name", "")),
                line.get("qty"),
                _money(line.get("unit_price")),
                _left_of(left, line.get("sku")),
                _named(known.get(str(line.get("sku", "")))),
            )
            for line in (lines if isinstance(lines, list) else [])
            if isinstance(line, Mapping)
        ),
        paid=_money(found.get("paid_amount")) or Decimal(0),
        refunded=_money(found.get("refunded_amount")) or Decimal(0),
        return_authorized=_money(found.get(RETURN_AUTHORIZED)) or Decimal(0),
        others=tuple(about for about in every if about.id != order_id),
        refunded_about=sum((about.refunded for about in every), Decimal(0)),
    )


def original_fill(tx: Tx, spec: WorkflowSpec, form: Mapping[str, Any], number: Any) -> dict[str, Any] | None:
    """What a new order's intake ``form`` takes from the original order of ``number``: each top-level
    field of the form the original order holds too (the customer, the address, the lines, the delivery
    time), cut to what the form's schema has room for, the lines to what is left to ask back of each
    SKU; the warehouse it shipped from (``original_order.warehouse``: its first record that names one);
    the refund asked (``original_order.refund``) as the price of the lines filled, which the page keeps
    only while the form asks it and the clerk has typed none. Never the number itself nor the kind, nor a
    field the form marks read-only. None when its department has no order of that number."""
    wanted = spec.original_order
    if wanted is None:
        return None
    original = _original(tx, wanted, number)
    if original is None:
        return None
    properties = form.get("properties")
    if not isinstance(properties, Mapping):
        return {}
    mine = {wanted.field, wanted.refund, wanted.kind}
    filled = {
        name: _fitted(original.data[name], schema)
        for name, schema in properties.items()
        if name not in mine
        and name in original.data
        and isinstance(schema, Mapping)
        and not schema.get("readOnly")
        and original.data[name] is not None
    }
    left = lines_left(tx, spec, original)
    if left is not None and wanted.lines is not None and isinstance(filled.get(wanted.lines), list):
        # only what is left to return of each SKU, a SKU with nothing left out
        filled[wanted.lines] = lines_within(filled[wanted.lines], {sku: f.left for sku, f in left.items()})
    if wanted.warehouse is not None and wanted.warehouse in properties:
        shipped = _shipped_from(tx, original)
        if shipped is not None:
            filled[wanted.warehouse] = shipped
    if wanted.refund is not None and wanted.refund in properties and wanted.lines in filled:
        worth = _worth(filled[wanted.lines or ""])
        if worth is not None:
            filled[wanted.refund] = float(worth)
    return filled


def _shipped_from(tx: Tx, original: OrderRow) -> str | None:
    """The warehouse the order shipped from: its first record that names one (the first shipment when
    it was split), else its own."""
    for record in tx.order_records(original.id):
        found = record.data.get("warehouse")
        if isinstance(found, str) and found:
            return found
    own = original.data.get("warehouse")
    return own if isinstance(own, str) and own else None


def _worth(lines: Any) -> Decimal | None:
    """What the lines cost (each its quantity at its unit price); None when a line has no price."""
    total = Decimal(0)
    for line in lines if isinstance(lines, list) else []:
        price = _money(line.get("unit_price")) if isinstance(line, Mapping) else None
        qty = _money(line.get("qty")) if isinstance(line, Mapping) else None
        if price is None or qty is None:
            return None
        total += price * qty
    return total.quantize(CENT)


def _named(product: Product | None) -> Text | None:
    return Text(product.name_zh, product.name_en) if product is not None else None


def _left_of(left: Mapping[str, LineLeft] | None, sku: Any) -> int | None:
    if left is None or not isinstance(sku, str):
        return None
    found = left.get(sku)
    return found.left if found is not None else 0


def _original(tx: Tx, wanted: OriginalOrderSpec, typed: Any) -> OrderRow | None:
    number = named_id(typed)
    original = tx.load_order(number) if number is not None else None
    return original if original is not None and original.department == wanted.department else None


def _fitted(value: Any, schema: Mapping[str, Any]) -> Any:
    """``value`` cut to what ``schema`` has room for: an object's keys it names, a list's items each."""
    properties = schema.get("properties")
    if isinstance(value, Mapping) and isinstance(properties, Mapping):
        return {
            key: _fitted(item, properties[key])
            for key, item in value.items()
            if key in properties and isinstance(properties[key], Mapping)
        }
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, Mapping):
        return [_fitted(item, items) for item in value]
    return value


def _first_text(data: Mapping[str, Any], paths: Sequence[str]) -> str | None:
    """The first text found at one of the dotted ``paths`` (a workflow's ``search:`` paths)."""
    for path in paths:
        value: Any = data
        for key in path.split("."):
            value = value.get(key) if isinstance(value, Mapping) else None
        if isinstance(value, str) and value:
            return value
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _claim(final: bool, data: Mapping[str, Any], wanted: OriginalOrderSpec) -> Decimal:
    """What another order about the same original claims of its money: once final, what it refunded
    (nothing when rejected or withdrawn); while open, the refund agreed, else the one asked."""
    if final:
        return _money(data.get("refunded_amount")) or Decimal(0)
    agreed = _money(data.get("refund_authorized"))
    if agreed is not None:
        return agreed
    return (_money(data.get(wanted.refund)) if wanted.refund is not None else None) or Decimal(0)


def _money(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _refusal(field: str, zh: str, en: str, path: str | None = None, **details: Any) -> Refusal:
    return Refusal(
        RefusalCode.FORM,
        zh,
        en,
        {"path": path or f"$.{field}", "field": field, "keyword": ORIGINAL_ORDER, **details},
    )
