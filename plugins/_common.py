"""Small helpers shared by the built-in actions."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from engine.errors import PluginError, TransitionRejected
from engine.plugins import ActionContext

CENT = Decimal("0.01")


class ActionRefused(PluginError):
    """A plugin refusal with its message in both languages (``str()`` is the English one)."""

    def __init__(self, code: str, zh: str, en: str, **details: Any) -> None:
        super().__init__(en, code=code, zh=zh, en=en, details=details)


def money(value: Any, field: str) -> Decimal:
    """A JSON number as an amount in yuan, rounded to the cent; refuses anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ActionRefused(
            "amount", f"金额字段 {field} 缺失或不是数字", f"amount field {field!r} is missing or not a number"
        )
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ActionRefused(
            "amount",
            f"金额字段 {field} 不是数字：{value!r}",
            f"amount field {field!r} is not a number: {value!r}",
        ) from None
    if not amount.is_finite():
        raise ActionRefused("amount", f"金额字段 {field} 无效", f"amount field {field!r} is not finite")
    return amount


def as_number(amount: Decimal) -> float | int:
    """Store whole yuan as an int and the rest as a float with two decimals (JSON has no decimals)."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def mobile_of(data: Mapping[str, Any]) -> str | None:
    """The customer's mobile number wherever the department's form keeps it."""
    for holder in ("customer", "contact"):
        value = data.get(holder)
        if isinstance(value, Mapping) and isinstance(value.get("mobile"), str):
            return str(value["mobile"])
    mobile = data.get("mobile")
    return mobile if isinstance(mobile, str) else None


def keeps_records(ctx: ActionContext, kind: str) -> bool:
    """Whether the order keeps ``kind`` (payments, shipments) as child records: its workflow declares
    the kind (docs/workflow-language.md, "Child records")."""
    if ctx.records is None:
        return False
    try:
        ctx.records.of(kind)
    except TransitionRejected:
        return False
    return True
