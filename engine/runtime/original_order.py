"""An order about an order of another department (``original_order:`` of its workflow; an after-sales
request about a retail order): that order must exist there, by its number, and the amount asked back may
not pass what it paid and has not refunded, less what the workflow's other orders about it claim
already. Checked at intake, in the creating transaction, and on a step whose form asks a refund (refund
instead of a replacement): refused, naming the field, nothing is written. On PostgreSQL the original
order's row stays locked until the transaction ends, so two requests about it at once are counted one
after the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.common.text import Text
from engine.common.words import term
from engine.dsl.spec import OriginalOrderSpec, WorkflowSpec
from engine.errors import Refusal, RefusalCode
from engine.store import Tx
from engine.store.original_orders import orders_naming

ORIGINAL_ORDER = "original-order"  # the keyword of the refusals: not a JSON Schema one
CENT = Decimal("0.01")


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
    number = _number(typed)
    original = tx.load_order(number) if number is not None else None
    if original is None or original.department != wanted.department:
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
    asked = _money(data.get(wanted.refund)) if wanted.refund is not None else None
    if asked is None or wanted.refund is None:
        return []
    paid = _money(original.data.get("paid_amount")) or Decimal(0)
    refunded = _money(original.data.get("refunded_amount")) or Decimal(0)
    claimed = sum(
        (_claim(final, other, wanted) for final, other in _others(tx, spec, wanted, str(typed), order_id)),
        Decimal(0),
    )
    left = max(paid - refunded - claimed, Decimal(0)).quantize(CENT)
    if asked <= left:
        return []
    field = _title(spec, wanted.refund)
    return [
        _refusal(
            wanted.refund,
            f"{field.zh}：{asked.quantize(CENT)} 元超过原订单 {number} 可退的 {left} 元"
            f"（已付 {paid.quantize(CENT)} 元，已退 {refunded.quantize(CENT)} 元，"
            f"其他申请已占 {claimed.quantize(CENT)} 元）",
            f"{field.en}: {asked.quantize(CENT)} CNY is more than the {left} CNY original order {number} "
            f"can refund ({paid.quantize(CENT)} CNY paid, {refunded.quantize(CENT)} CNY refunded, "
            f"{claimed.quantize(CENT)} CNY claimed by other requests)",
            order=number,
            refundable=str(left),
        )
    ]


def _others(
    tx: Tx, spec: WorkflowSpec, wanted: OriginalOrderSpec, typed: str, order_id: int | None
) -> list[tuple[bool, Mapping[str, Any]]]:
    return orders_naming(tx.connection, spec.department, spec.name, wanted.field, typed, order_id)


def _claim(final: bool, data: Mapping[str, Any], wanted: OriginalOrderSpec) -> Decimal:
    """What another order about the same original claims of its money: once final, what it refunded
    (nothing when rejected or withdrawn); while open, the refund agreed, else the one asked."""
    if final:
        return _money(data.get("refunded_amount")) or Decimal(0)
    agreed = _money(data.get("refund_authorized"))
    if agreed is not None:
        return agreed
    return (_money(data.get(wanted.refund)) if wanted.refund is not None else None) or Decimal(0)


def _number(value: Any) -> int | None:
    """An order number as people type it: digits (the forms check the pattern); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _money(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _title(spec: WorkflowSpec, name: str) -> Text:
    """The field's title in the workflow's data form, in both languages (its name where it has none)."""
    form = spec.forms.get(spec.data_form or "") or {}
    found = (form.get("properties") or {}).get(name) or {}
    en = found.get("title")
    zh = found.get("x-title-zh")
    en = en if isinstance(en, str) else name
    return Text(zh if isinstance(zh, str) else en, en)


def _refusal(field: str, zh: str, en: str, **details: Any) -> Refusal:
    return Refusal(
        RefusalCode.FORM, zh, en, {"path": f"$.{field}", "field": field, "keyword": ORIGINAL_ORDER, **details}
    )
