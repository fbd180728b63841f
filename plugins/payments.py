"""Payment actions: capture (收款), refund (退款), refund_goods (退货退款) and record_failure (支付失败).

The money itself moves outside the database (a gateway, a bank): these actions record on the order what
was paid or refunded and queue one outbox message for the gateway or the finance system. Amounts are
yuan with two decimals.

An action sees the order's data as the engine hands it to a step (docs/architecture.md): the order's
own fields and what actions wrote, with this step's form data, never a field an earlier step's form sent.

``capture`` reads the transition's payment form: ``method`` (card, wechat_pay, alipay, cod,
bank_transfer), ``amount`` and ``transaction_ref``; it adds to ``paid_amount`` and records ``paid_at``,
``payment_method`` and ``transaction_ref``. It takes no more than is due: on an order with a ``total``,
an amount above the total less what is paid already is refused (code ``overpayment``, naming the
amount due), so a clerk's slip (23900 typed for 239) never records money the order does not owe.
``refund`` pays back the ``refund_amount`` its step sent (or that the order was created with: an
after-sales request), else the ``refund_due`` a return authorized, else all that is paid and not yet
refunded; it clears ``refund_due``, and queues nothing when there is nothing to refund (a free order, an
unpaid one). ``authorize_refund`` records the ``refund_amount`` its step sent (a return request) as
``refund_due``, once it is sure that much is paid and not yet refunded, so the refund that follows when
the goods are back pays exactly that. It also leaves what orders about this one claim of its money
(``ActionContext.claims``: the after-sales requests naming it by ``original_order:``, their refund agreed
or asked, or what they refunded once closed): a return never pays the customer back twice (code
``over-refund``, naming the amount, what is left and each request's claim); a return naming its lines
(plugins/returns.py) is worth their price, which it records when no amount is sent and which no amount
may pass.

``refund_goods`` pays back goods an after-sales request returns, for an order paid elsewhere: the
``refund_amount`` asked (by the request or its step), else the value of the request's lines, never
more than that value less what was refunded. Where the workflow declares ``records: refund`` (the
shipped after-sales request), the order's step agrees that amount (``refund_authorized``) and adds a
refund record, ``pending``, for it; on the refund record's own step (``pay``) it pays the ``pay_amount``
sent, never more than the record has still to pay (code ``over-refund``).

Payment records (a workflow that declares ``records: payment``; docs/workflow-language.md, "Child
records"): each payment is a record of its own, ``authorized`` → ``captured`` → ``refunded``, or
``voided``, holding ``method``, ``amount``, ``transaction_ref``, what it ``captured`` and what of that was
``refunded``. The same actions then work on the records:

- ``capture`` on an order's step adds a payment record for the step's payment form, captured at once
  unless the form asks ``authorize_only``. An amount above what is still due (the total less what the
  order's payments that are not voided hold, net of refunds) is refused (code ``overpayment``): an
  overpayment is never taken. On a payment record's own step, ``capture`` captures that record.
- ``refund`` on a payment record's step pays back the ``refund_amount`` its form sent, never more than
  the record captured and has not refunded (code ``over-refund``); taken by a person (a clerk's refund),
  nor more than the order paid and has not refunded less what the orders about it claim
  (``ActionContext.claims``, as ``authorize_refund``: the refusal names both figures). On an order's
  step it gives back the order's money through its records: the ``refund_amount`` sent, else the
  ``refund_due`` a return authorized (both spread over the captured payments, newest first), else
  everything: every captured payment's remainder is refunded and every authorization voided.
- Both keep the order's own ``paid_amount``, ``refunded_amount``, ``paid_at``, ``refunded_at``,
  ``payment_method`` and ``transaction_ref`` as the sum and the latest of its records (``set_order``), for
  the rules, searches and pages that read the order.

``record_failure`` records a failed payment attempt that a gateway callback (or a clerk taking a payment
by phone) reports on an order waiting for payment: it reads the payment-failure form (``method``,
``failure_code``, ``failure_message``; the form's fields stay on the order as the last failure), counts
the attempt in ``payment_failures`` and queues one ``payment_failed`` message (order id, the customer's
mobile, method, code, message, the order's total as the amount), which the ``repeated-payment-failures``
pattern of rules/retail/fraud.yaml counts per customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.common.text import Text
from engine.plugins import ActionContext, emits, writes
from plugins import returns
from plugins._common import ActionRefused, as_number, keeps_records, mobile_of, money

METHODS = ("card", "wechat_pay", "alipay", "cod", "bank_transfer")
# The outbox topic of a failed payment attempt.
PAYMENT_FAILED = "payment_failed"


PAYMENT = "payment"  # the record kind of a payment
REFUND = "refund"  # the record kind of a refund an after-sales request pays back


def _payment_records(ctx: ActionContext) -> bool:
    """Whether the order keeps its payments as records (its workflow declares the kind)."""
    return keeps_records(ctx, PAYMENT)


@writes("paid_amount", "paid_at", "payment_method", "transaction_ref")
@emits("payments.captured")
def capture(ctx: ActionContext) -> Mapping[str, Any] | None:
    if ctx.record is not None:
        return _capture_record(ctx)
    if _payment_records(ctx):
        return _add_payment(ctx)
    method = ctx.data.get("method") or ctx.data.get("payment_method")
    if method not in METHODS:
        raise ActionRefused(
            "payment-method",
            f"不支持的支付方式：{method!r}",
            f"unknown payment method {method!r}; expected one of {', '.join(METHODS)}",
        )
    amount = money(ctx.data.get("amount"), "amount")
    if amount <= 0:
        raise ActionRefused(
            "amount", "收款金额必须大于 0", f"a captured amount must be positive, got {amount}"
        )
    before = _amount_or_zero(ctx.data, "paid_amount")
    if ctx.data.get("total") is not None:
        due = max(money(ctx.data["total"], "total") - before, Decimal(0))
        if amount > due:
            raise _overpayment(amount, due, method)
    paid = before + amount
    ref = ctx.data.get("transaction_ref")
    ctx.emit(
        "payments.captured",
        {
            "order_id": ctx.order_id,
            "department": ctx.department,
            "workflow": ctx.workflow,
            "method": method,
            "amount": str(amount),
            "transaction_ref": ref,
            "at": ctx.now.isoformat(),
        },
    )
    return {
        "paid_amount": as_number(paid),
        "paid_at": ctx.now.isoformat(),
        "payment_method": method,
        "transaction_ref": ref,
    }


@writes("refund_due")
def authorize_refund(ctx: ActionContext) -> Mapping[str, Any] | None:
    """Record the step's ``refund_amount`` as ``refund_due``: what ``refund`` pays back later. A return
    naming its lines (plugins/returns.py) pays back their price when it sends no amount (as much of it
    as is paid and not refunded), and never more than that price."""
    worth = returns.worth(ctx.data)
    returns.check_unclaimed_items(ctx)  # goods an after-sales request already names back
    refundable = _refundable(ctx.data)
    if ctx.data.get("refund_amount") is None and worth is not None:
        priced = min(worth, refundable or Decimal("0.00"))
        _check_unclaimed(ctx, priced, refundable or Decimal("0.00"))  # what requests about it claim
        return {"refund_due": as_number(priced)}
    amount = money(ctx.data.get("refund_amount"), "refund_amount")
    if amount <= 0:
        raise ActionRefused("amount", "退款金额必须大于 0", f"a refund must be positive, got {amount}")
    _check_refundable(amount, Decimal("0.00") if refundable is None else refundable)  # never paid: nothing
    _check_unclaimed(ctx, amount, Decimal("0.00") if refundable is None else refundable)
    returns.check_refund(amount, worth)
    return {"refund_due": as_number(amount)}


def _beside(name: str) -> dict[str, str]:
    """What a refusal carries to be shown beside the step's form field ``name`` (its JSON path)."""
    return {"path": f"$.{name}", "field": name}


def _check_unclaimed(
    ctx: ActionContext, amount: Decimal, refundable: Decimal, beside: Mapping[str, str] | None = None
) -> None:
    """A return never pays back what the orders about this one (after-sales requests: their refund
    agreed, else asked; what they refunded once closed) claim of its money: the customer is not paid
    twice for the same goods. The refusal names what is asked, what is left, and each claim."""
    claims = list(ctx.claims()) if ctx.claims is not None else []
    claimed = sum((claim.amount for claim in claims), Decimal("0.00"))
    left = max(refundable - claimed, Decimal("0.00"))
    if amount <= left:
        return
    zh = "，".join(f"{c.workflow_title.zh} {c.order_id} 已占 {money(c.amount, 'claim')} 元" for c in claims)
    en = ", ".join(
        f"{money(c.amount, 'claim')} CNY claimed by {c.workflow_title.en.lower()} {c.order_id}"
        for c in claims
    )
    raise ActionRefused(
        "over-refund",
        f"退款金额 {amount} 元超过可退金额 {left} 元（已付未退 {refundable} 元，{zh}）",
        f"refund of {amount} CNY exceeds the {left} CNY left to refund ({refundable} CNY paid and not yet "
        f"refunded, {en})",
        amount=str(amount),
        refundable=str(left),
        claimed=str(claimed),
        orders=[claim.order_id for claim in claims],
        **(beside or {}),
    )


@writes("refunded_amount", "refunded_at", "refund_due")
@emits("payments.refunded")
def refund(ctx: ActionContext) -> Mapping[str, Any] | None:
    if ctx.record is not None and _amount_or_zero(ctx.record, "captured") == 0:
        return _void_record(ctx)  # nothing taken: an authorization let go
    if ctx.record is not None:
        return _refund_record(ctx)
    if _payment_records(ctx):
        return _refund_payments(ctx)
    refunded = _amount_or_zero(ctx.data, "refunded_amount")
    refundable = _refundable(ctx.data)
    due = ctx.data.get("refund_due")
    if ctx.data.get("refund_amount") is not None:
        amount = money(ctx.data["refund_amount"], "refund_amount")
    elif due is not None:
        amount = money(due, "refund_due")
    elif refundable is not None:
        amount = refundable
    else:
        return None  # never paid: nothing to give back
    _check_not_negative(amount)
    _check_refundable(amount, refundable)
    if amount == 0:
        return None if due is None else {"refund_due": None}
    paid_back = _pay_back(ctx, refunded, amount, original_transaction_ref=ctx.data.get("transaction_ref"))
    return paid_back if due is None else {**paid_back, "refund_due": None}  # the return is settled


@writes("refunded_amount", "refunded_at", "refund_authorized")
@emits("payments.refunded")
def refund_goods(ctx: ActionContext) -> Mapping[str, Any] | None:
    """Pay back goods returned on a request about an order paid elsewhere (an after-sales request): the
    ``refund_amount`` its step sent or the request was made with, else the value of its ``lines`` (the
    sum of their ``amount``); never more than that value less what was refunded already.

    Where the workflow declares ``records: refund``, the order's step does not pay: it authorizes that
    amount (``refund_authorized``) and adds a refund record for it, ``pending``; a refund record's own
    step (``pay``) then pays it, or part of it."""
    if ctx.record is not None:
        return _fail_refund_record(ctx) if ctx.data.get("failure_reason") else _pay_refund_record(ctx)
    lines = ctx.data.get("lines")
    rows = lines if isinstance(lines, list) else []
    value = sum(
        (money(row.get("amount"), "lines[].amount") for row in rows if isinstance(row, Mapping)),
        Decimal("0.00"),
    )
    refunded = _amount_or_zero(ctx.data, "refunded_amount")
    left = value - refunded
    asked = ctx.data.get("refund_amount")
    amount = left if asked is None else money(asked, "refund_amount")
    _check_not_negative(amount)
    if amount > left:
        raise ActionRefused(
            "over-refund",
            f"退款金额 {amount} 元超过退回商品的金额 {value} 元（已退 {refunded} 元）",
            f"refund of {amount} CNY exceeds the {value} CNY the goods are worth ({refunded} CNY refunded)",
            amount=str(amount),
            value=str(value),
            refunded=str(refunded),
        )
    if keeps_records(ctx, REFUND):
        return _authorize_refund_record(ctx, amount)
    if amount == 0:
        return None
    return _pay_back(ctx, refunded, amount, original_order_no=ctx.data.get("original_order_no"))


def _check_not_negative(amount: Decimal) -> None:
    if amount < 0:
        raise ActionRefused("amount", "退款金额不能为负数", f"a refund cannot be negative, got {amount}")


def _pay_back(ctx: ActionContext, refunded: Decimal, amount: Decimal, **paid_on: Any) -> dict[str, Any]:
    """Emit ``payments.refunded`` for ``amount`` (``paid_on``: what names the original payment) and return
    the order's refunded total and time."""
    ctx.emit(
        "payments.refunded",
        {
            "order_id": ctx.order_id,
            "department": ctx.department,
            "workflow": ctx.workflow,
            "method": ctx.data.get("payment_method"),
            "amount": str(amount),
            **paid_on,
            "at": ctx.now.isoformat(),
        },
    )
    return {"refunded_amount": as_number(refunded + amount), "refunded_at": ctx.now.isoformat()}


@writes("payment_failures")
@emits(PAYMENT_FAILED, deliver=False)  # for the correlation feed alone
def record_failure(ctx: ActionContext) -> Mapping[str, Any] | None:
    method = ctx.data.get("method")
    if method not in METHODS:
        raise ActionRefused(
            "payment-method",
            f"不支持的支付方式：{method!r}",
            f"unknown payment method {method!r}; expected one of {', '.join(METHODS)}",
        )
    code = ctx.data.get("failure_code")
    if not isinstance(code, str) or not code:
        raise ActionRefused("failure-code", "缺少支付失败代码", "a failed payment needs its failure code")
    amount = money(ctx.data.get("total"), "total")  # what the attempt was to pay: the order's total
    failures = ctx.data.get("payment_failures")
    count = (failures if isinstance(failures, int) and not isinstance(failures, bool) else 0) + 1
    ctx.emit(
        PAYMENT_FAILED,
        {
            "order_id": ctx.order_id,
            "department": ctx.department,
            "workflow": ctx.workflow,
            "customer_mobile": mobile_of(ctx.data),
            "method": method,
            "code": code,
            "message": ctx.data.get("failure_message"),
            "amount": str(amount),
            "attempt": count,
            "at": ctx.now.isoformat(),
        },
    )
    return {"payment_failures": count}


def _refundable(data: Mapping[str, Any]) -> Decimal | None:
    """What is paid and not yet refunded (None: nothing was ever paid)."""
    paid = data.get("paid_amount")
    return None if paid is None else money(paid, "paid_amount") - _amount_or_zero(data, "refunded_amount")


def _check_refundable(amount: Decimal, refundable: Decimal | None) -> None:
    if refundable is not None and amount > refundable:
        raise ActionRefused(
            "over-refund",
            f"退款金额 {amount} 元超过可退金额 {refundable} 元",
            f"refund of {amount} CNY exceeds the {refundable} CNY paid and not yet refunded",
        )


def _over_refund(
    amount: Decimal, record: Text, whole: Decimal, refunded: Decimal, **details: Any
) -> ActionRefused:
    """A refund of ``amount`` on one record (``record``: its label, 支付 #1 / refund #2) refused for more
    than it has left: ``whole`` (what the payment captured, what the refund is to pay back) less what of
    it was ``refunded``, both figures named."""
    left = whole - refunded
    return ActionRefused(
        "over-refund",
        f"退款金额 {amount} 元超过{record.zh} 可退的 {left} 元（共 {whole} 元，已退 {refunded} 元）",
        f"refund of {amount} CNY exceeds the {left} CNY {record.en} can refund "
        f"({whole} CNY in all, {refunded} CNY refunded)",
        amount=str(amount),
        refundable=str(left),
        **details,
    )


def _amount_or_zero(data: Mapping[str, Any], field: str) -> Decimal:
    value = data.get(field)
    return Decimal("0.00") if value is None else money(value, field)


# --- payment records --------------------------------------------------------------------------------


def _method(data: Mapping[str, Any]) -> str:
    method = data.get("method")
    if method not in METHODS:
        raise ActionRefused(
            "payment-method",
            f"不支持的支付方式：{method!r}",
            f"unknown payment method {method!r}; expected one of {', '.join(METHODS)}",
        )
    return str(method)


def _held(payment: Mapping[str, Any]) -> Decimal:
    """What a payment record holds of the order's money: its amount (authorized or captured) less what
    was refunded of it; nothing once voided."""
    if payment.get("state") == "voided":
        return Decimal("0.00")
    return _amount_or_zero(payment, "amount") - _amount_or_zero(payment, "refunded")


# money that arrives whatever the order asked (a transfer, the cash a courier brought): what came in
# excess is the payer's, returned by finance outside the order
RECEIVED_METHODS = ("bank_transfer", "cod")


def _overpayment(amount: Decimal, due: Decimal, method: str) -> ActionRefused:
    """More than is due is never taken: take the amount due; of money that did arrive, the excess goes
    back to the payer outside the order."""
    zh = f"收款金额 {amount} 元超过应付金额 {due} 元；请按应付金额收款"
    en = f"the amount of {amount} CNY is more than the {due} CNY due; take the amount due"
    if method in RECEIVED_METHODS:
        zh += "，多到账的部分由财务在系统外退回付款方"
        en += ", and finance returns what arrived in excess to the payer outside the system"
    return ActionRefused("overpayment", zh, en, amount=str(amount), due=str(due))


def _add_payment(ctx: ActionContext) -> Mapping[str, Any] | None:
    """An order's step takes a payment: a payment record, authorized, then captured unless the form
    asks ``authorize_only``. More than is still due is refused (an overpayment is never taken)."""
    records = ctx.records
    assert records is not None
    method = _method(ctx.data)
    amount = money(ctx.data.get("amount"), "amount")
    if amount <= 0:
        raise ActionRefused(
            "amount", "收款金额必须大于 0", f"a captured amount must be positive, got {amount}"
        )
    payments = records.of(PAYMENT)
    held = sum((_held(p) for p in payments), Decimal("0.00"))
    due = max(money(ctx.data.get("total", 0), "total") - held, Decimal("0.00"))
    if amount > due:
        raise _overpayment(amount, due, method)
    number = records.add(
        PAYMENT,
        {
            "method": method,
            "amount": as_number(amount),
            "transaction_ref": ctx.data.get("transaction_ref"),
            "captured": 0,
            "refunded": 0,
            "authorized_at": ctx.now.isoformat(),
        },
    )
    if not ctx.data.get("authorize_only"):
        records.fire(PAYMENT, number, "capture")
    return None


def _capture_record(ctx: ActionContext) -> Mapping[str, Any] | None:
    """A payment record's ``capture``: the whole amount it authorized."""
    record, order = ctx.record or {}, ctx.order or {}
    method = _method(record)
    amount = money(record.get("amount"), "amount")
    ref = record.get("transaction_ref")
    paid = _amount_or_zero(order, "paid_amount") + amount
    ctx.emit(
        "payments.captured",
        {
            "order_id": ctx.order_id,
            "department": ctx.department,
            "workflow": ctx.workflow,
            "payment": record.get("number"),
            "method": method,
            "amount": str(amount),
            "transaction_ref": ref,
            "at": ctx.now.isoformat(),
        },
    )
    ctx.set_order(
        {
            "paid_amount": as_number(paid),
            "paid_at": ctx.now.isoformat(),
            "payment_method": method,
            "transaction_ref": ref,
        }
    )
    return {"captured": as_number(amount), "captured_at": ctx.now.isoformat()}


def _void_record(ctx: ActionContext) -> Mapping[str, Any] | None:
    """A payment record's ``void``: its authorization let go, nothing taken, nothing to pay back. The
    order's details say what its last payment was (the pay step's method, amount and authorize_only):
    when it was this one, they no longer claim money the order does not hold."""
    records, record = ctx.records, ctx.record or {}
    assert records is not None
    newest = max((int(p["number"]) for p in records.of(PAYMENT)), default=0)
    if int(record.get("number", 0)) == newest:
        ctx.set_order({"method": None, "amount": None, "authorize_only": None})
    return None


def _refund_record(ctx: ActionContext) -> Mapping[str, Any] | None:
    """A payment record's ``refund``: the ``refund_amount`` sent, never more than the record captured and
    has not refunded yet."""
    record = ctx.record or {}
    amount = money(ctx.data.get("refund_amount"), "refund_amount")
    beside = _beside("refund_amount")  # the field of the step's form the refusals name
    if amount <= 0:
        raise ActionRefused(
            "amount", "退款金额必须大于 0", f"a refund must be positive, got {amount}", **beside
        )
    captured = _amount_or_zero(record, "captured")
    refunded = _amount_or_zero(record, "refunded")
    left = captured - refunded
    number = record.get("number")
    if amount > left:
        raise _over_refund(
            amount,
            Text(f"支付 #{number}", f"payment #{number}"),
            captured,
            refunded,
            payment=number,
            **beside,
        )
    if ctx.claims is not None:  # a person's refund on the payment: the order's money, less the claims
        refundable = _refundable(ctx.order or {})
        _check_unclaimed(ctx, amount, Decimal("0.00") if refundable is None else refundable, beside)
    _refunded_on_record(
        ctx,
        amount,
        payment=record.get("number"),
        method=record.get("method"),
        original_transaction_ref=record.get("transaction_ref"),
    )
    return {"refunded": as_number(refunded + amount), "refunded_at": ctx.now.isoformat()}


def _refunded_on_record(ctx: ActionContext, amount: Decimal, **paid_on: Any) -> None:
    """A record's step paid ``amount`` back: one ``payments.refunded`` message (``paid_on``: the record
    and what names the original payment), and the order's refunded total and time raised by it."""
    ctx.emit(
        "payments.refunded",
        {
            "order_id": ctx.order_id,
            "department": ctx.department,
            "workflow": ctx.workflow,
            **paid_on,
            "amount": str(amount),
            "at": ctx.now.isoformat(),
        },
    )
    refunded = _amount_or_zero(ctx.order or {}, "refunded_amount")
    ctx.set_order({"refunded_amount": as_number(refunded + amount), "refunded_at": ctx.now.isoformat()})


def _refund_payments(ctx: ActionContext) -> Mapping[str, Any] | None:
    """An order's step gives its money back through its payment records: the ``refund_amount`` sent or
    the ``refund_due`` a return authorized, spread over the captured payments newest first; else every
    captured payment's remainder, and every authorization voided."""
    records = ctx.records
    assert records is not None
    due = ctx.data.get("refund_due")
    asked = ctx.data.get("refund_amount")
    wanted = (
        None if asked is None and due is None else money(asked if asked is not None else due, "refund_amount")
    )
    if wanted is not None:
        _check_not_negative(wanted)
    payments = records.of(PAYMENT)
    refundable = sum(
        (_amount_or_zero(p, "captured") - _amount_or_zero(p, "refunded") for p in payments), Decimal("0.00")
    )
    if wanted is not None and wanted > refundable:
        raise ActionRefused(
            "over-refund",
            f"退款金额 {wanted} 元超过可退金额 {refundable} 元",
            f"refund of {wanted} CNY exceeds the {refundable} CNY paid and not yet refunded",
            amount=str(wanted),
            refundable=str(refundable),
        )
    left = refundable if wanted is None else wanted
    for payment in sorted(payments, key=lambda p: -int(p["number"])):
        number = int(payment["number"])
        if payment["state"] == "authorized" and wanted is None:
            records.fire(PAYMENT, number, "void")
            continue
        remainder = _amount_or_zero(payment, "captured") - _amount_or_zero(payment, "refunded")
        if remainder <= 0 or left <= 0:  # authorized or voided (nothing captured), or all paid back
            continue
        part = min(remainder, left)
        # the order's step is the reason, by its label in both languages (取消并退款 / Cancel and refund),
        # its trigger when it has none
        records.fire(
            PAYMENT, number, "refund", {"refund_amount": as_number(part), "refund_reason": _step_named(ctx)}
        )
        left -= part
    return None if due is None else {"refund_due": None}


def _step_named(ctx: ActionContext) -> str:
    label = ctx.labels.get("trigger") or {}
    zh, en = label.get("zh"), label.get("en")
    if zh and en and zh != en:
        return f"{zh} / {en}"
    return zh or en or ctx.trigger


# --- refund records ---------------------------------------------------------------------------------


def _authorize_refund_record(ctx: ActionContext, amount: Decimal) -> Mapping[str, Any] | None:
    """An order's step agrees the refund: ``refund_authorized`` is the amount, and a refund record,
    ``pending``, is added for it (none for nothing: the order then has nothing left to pay back)."""
    records = ctx.records
    assert records is not None
    if amount > 0:
        records.add(REFUND, {"amount": as_number(amount), "paid": 0, "added_at": ctx.now.isoformat()})
    return {"refund_authorized": as_number(amount)}


def _pay_refund_record(ctx: ActionContext) -> Mapping[str, Any] | None:
    """A refund record's ``pay``: the ``pay_amount`` its form sent, all it has still to pay or a part of
    it; never more than that, so the refunds never pay back more than the request authorized."""
    record, order = ctx.record or {}, ctx.order or {}
    number = record.get("number")
    amount_due = _amount_or_zero(record, "amount")
    paid = _amount_or_zero(record, "paid")
    left = amount_due - paid
    amount = money(ctx.data.get("pay_amount"), "pay_amount")
    beside = _beside("pay_amount")  # the field of the step's form the refusals name
    if amount <= 0:
        raise ActionRefused(
            "amount", "退款金额必须大于 0", f"a refund must be positive, got {amount}", **beside
        )
    if amount > left:
        raise _over_refund(
            amount, Text(f"退款 #{number}", f"refund #{number}"), amount_due, paid, refund=number, **beside
        )
    ref = ctx.data.get("refund_ref")
    if ref:
        _check_ref_unused(ctx, str(ref))
    _refunded_on_record(
        ctx,
        amount,
        refund=number,
        method=order.get("payment_method"),
        original_order_no=order.get("original_order_no"),
        refund_ref=ref,
    )
    refs = _refs_of(record)
    return {
        "paid": as_number(paid + amount),
        "paid_at": ctx.now.isoformat(),
        # each payment's reference kept on the record, none left as this step's own: the next step's
        # ``refund_ref`` is then the one it sent, never the last payment's
        "refund_refs": [*refs, ref] if ref else refs or None,
        "refund_ref": None,
    }


def _refs_of(record: Mapping[str, Any]) -> list[str]:
    """The references of the payments a refund record made (those its steps were given)."""
    refs = record.get("refund_refs")
    return [str(r) for r in refs] if isinstance(refs, list) else []


def _check_ref_unused(ctx: ActionContext, ref: str) -> None:
    """A refund reference names one payment: one another payment of the order's refund records was
    given (in any case of letters) is refused beside the field, naming the refund it was used on."""
    records = ctx.records
    assert records is not None
    for other in records.of(REFUND):
        for used in _refs_of(other):
            if used.casefold() != ref.casefold():
                continue
            number, ref = other.get("number"), used  # named as that payment was given it
            raise ActionRefused(
                "refund-ref",
                f"退款流水号 {ref} 已用于退款 #{number} 的另一笔退款；请填写这笔退款自己的流水号",
                f"refund reference {ref} is already used by another payment of refund #{number}; "
                "give this payment its own reference",
                refund=number,
                refund_ref=ref,
                **_beside("refund_ref"),
            )


def _fail_refund_record(ctx: ActionContext) -> Mapping[str, Any] | None:
    """A refund record's failure (its step reports ``failure_reason``): the failure is of the last part
    sent (``pay_amount``), which came back. It is taken back: the record's ``paid`` and the order's
    ``refunded_amount`` lowered by it, added to the record's ``failed_amount``, and the part no longer
    the last sent (a second failure with no part paid since takes nothing back). With no part sent
    (the gateway refused before paying anything), nothing is taken back."""
    record, order = ctx.record or {}, ctx.order or {}
    paid = _amount_or_zero(record, "paid")
    last = min(_amount_or_zero(record, "pay_amount"), paid)
    if last <= 0:
        return None
    refunded = _amount_or_zero(order, "refunded_amount")
    ctx.set_order({"refunded_amount": as_number(max(refunded - last, Decimal("0.00")))})
    return {
        "paid": as_number(paid - last),
        "failed_amount": as_number(_amount_or_zero(record, "failed_amount") + last),
        "pay_amount": None,
    }
