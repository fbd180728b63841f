"""The stock pages (库存) for the warehouse, the purchasers and admins (docs/stock.md).

``GET /stock`` the levels (sku prefix, warehouse, only the rows below their safety stock; keyset paging
``?after=SKU@WAREHOUSE``); ``GET /stock/ledger`` the ledger, newest first (sku, warehouse, kind,
reference; keyset paging ``?before=<id>``); ``GET /stock/alerts`` the open low-stock alerts with their
reorder suggestion and the figures it came from; ``GET|POST /stock/receive`` and ``/stock/adjust``;
``GET|POST /stock/transfers`` and ``POST /stock/transfers/<id>/receive`` (confirmed on the list,
``?received=<id>&units=<n>``; a refused receipt is shown again from ``?receiving=<id>&qty=<typed>``, an
address that can be reloaded); ``GET|POST /stock/takes``,
``GET /stock/takes/<id>`` (the count sheet: the warehouse's rows with their book, and the review, large
differences called out) and ``POST /stock/takes/<id>/count|counts|post|cancel`` (posting and cancelling
asked first); ``GET|POST
/stock/safety`` (a row's safety stock).

Each change is one engine call (``engine.api.stock``), one transaction with its ledger entries. A refused
one shows the engine's message in the page's language beside the field it names (422), and nothing is
written. Each form carries a key drawn with it (``_key``): the same form sent twice (a double click) is
one change, and the second answer is the first's. Reading takes the warehouse, purchaser or admin role;
receiving, transferring, counting and adjusting the warehouse or admin role, setting a safety stock the
purchaser or admin role (403 otherwise); a page offers only the forms its reader may send. Warehouses
are shown with their names, people by their display names.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from engine.api import Engine, translate
from engine.api.stock import (
    LARGE_SHARE,
    LARGE_UNITS,
    LEDGER_KINDS,
    StockRefused,
    adjust_stock,
    cancel_stock_take,
    check_transfer_receipt,
    enter_count,
    enter_counts,
    known_names,
    ledger_balance,
    ledger_entries,
    low_stock_alerts,
    may_change_stock,
    may_read_stock,
    may_set_safety_stock,
    open_stock_take,
    people_names,
    post_stock_take,
    product_names,
    receive_stock,
    receive_transfer,
    reference_words,
    review_stock_take,
    set_safety_stock,
    stock_levels,
    stock_takes_of,
    take_sheet,
    transfer_of,
    transfer_stock,
    transfers,
    warehouse_names,
)
from web.auth import current_actor
from web.formdata import local_time
from web.i18n import current_lang, relanged
from web.params import MAX_ID, query_number, whole_number

stock_pages = Blueprint("stock", __name__)

PAGE_SIZE = 50
KEY_FIELD = "_key"  # a key per drawn form: the same form sent twice is one change


def _engine() -> Engine:
    found: Engine = current_app.extensions["orderloom"].engine
    return found


def _may_read() -> None:
    if not may_read_stock(current_actor().roles):
        abort(403)


def _may_change() -> str:
    actor = current_actor()
    if not may_change_stock(actor.roles):
        abort(403)
    return actor.name


def _may_set_safety() -> str:
    actor = current_actor()
    if not may_set_safety_stock(actor.roles):
        abort(403)
    return actor.name


def _key() -> str | None:
    """The key the form was drawn with (None from a form without one: each such post is a change)."""
    return (request.form.get(KEY_FIELD) or "").strip() or None


def _new_key() -> str:
    return uuid.uuid4().hex


def _number(field: str) -> int | None:
    """A whole number a form sent (a leading minus for an adjustment); None for anything else, which the
    engine then refuses with its own words."""
    text = (request.form.get(field) or "").strip()
    negative = text.startswith("-")
    number = whole_number(text.removeprefix("-").removeprefix("+"), 10)
    if number is None:
        return None
    return -number if negative else number


def _shown_skus(values: dict[str, Any]) -> set[str]:
    """The SKUs a page shows: of its rows, alerts, transfers, stock-take lines and the change it confirms."""
    found: set[str] = set()
    for name in ("rows", "alerts", "transfers"):
        found.update(item.sku for item in values.get(name) or ())
    take = values.get("take")
    if take is not None:
        found.update(line.sku for line in take.lines)
    found.update(line.sku for line in values.get("sheet") or ())
    for name in ("done", "received"):
        if values.get(name) is not None:
            found.add(values[name].sku)
    return found


def _page(template: str, code: int = 200, **values: Any) -> Any:
    skus, warehouses = known_names(_engine().store)
    roles = current_actor().roles
    return (
        render_template(
            template,
            skus=skus,
            warehouses=warehouses,
            warehouse_names=warehouse_names(_engine()),
            product_names=product_names(_engine().store, _shown_skus(values)),
            sku_names=product_names(_engine().store, skus),
            people=people_names(_engine().store, current_lang()),
            reference_words=reference_words(),
            may_change=may_change_stock(roles),
            may_set_safety=may_set_safety_stock(roles),
            new_key=_new_key,
            key_field=KEY_FIELD,
            **values,
        ),
        code,
    )


def _message(error: StockRefused) -> str:
    """The refusal in the page's language; a form sent again with other values (its key used already)
    in the page's own words."""
    if error.field == "key":
        return translate("stock.sent_before", current_lang())
    return error.message(current_lang())


def _missing(said: str) -> Any:
    """404 saying what is not here (no stock-take C999; an unknown kind of entry), the tabs above it."""
    return _page("stock/missing.html", 404, missing=said)


# The fields of each change's form, by the engine's name of the value each holds (a transfer's source
# warehouse is its ``warehouse``, its destination ``to``).
FORM_FIELDS: dict[str, dict[str, str]] = {
    "receive": {
        "sku": "sku",
        "warehouse": "warehouse",
        "qty": "qty",
        "reference": "reference",
        "note": "note",
    },
    "adjust": {"sku": "sku", "warehouse": "warehouse", "change": "change", "reason": "reason"},
    "transfer": {"sku": "sku", "warehouse": "source", "to": "dest", "qty": "qty", "note": "note"},
    "safety": {"sku": "sku", "warehouse": "warehouse", "safety_stock": "units"},
    "count": {"sku": "sku", "counted": "counted"},
}


def _said(error: StockRefused, form: str | dict[str, str]) -> dict[str, Any]:
    """Every problem of a sent form: each beside the field it names (``errors``: field -> message), the
    rest (a key used before) above the form (``error``). ``form``: a form of :data:`FORM_FIELDS` by name,
    or its fields."""
    fields = FORM_FIELDS[form] if isinstance(form, str) else form
    beside: dict[str, str] = {}
    above: list[str] = []
    for problem in error.problems:
        name = fields.get(problem.field)
        if name is None:
            above.append(_message(problem))
        else:
            beside.setdefault(name, _message(problem))
    return {"errors": beside, "error": " ".join(above) or None}


@stock_pages.app_context_processor
def stock_link() -> dict[str, Any]:
    """For the header: whether the user gets the stock link."""
    reads = bool(current_user and current_user.is_authenticated and may_read_stock(current_user.roles))
    return {"stock_reader": reads}


@stock_pages.get("/stock")
def levels() -> Any:
    _may_read()
    sku = (request.args.get("sku") or "").strip() or None
    warehouse = request.args.get("warehouse") or None
    low = request.args.get("low") == "1"
    after_text = request.args.get("after") or ""
    after = tuple(after_text.split("@", 1)) if "@" in after_text else None
    rows = stock_levels(
        _engine().store,
        sku=sku,
        warehouse=warehouse,
        low=low,
        after=after,
        limit=PAGE_SIZE + 1,  # type: ignore[arg-type]
    )
    filters = {k: v for k, v in (("sku", sku), ("warehouse", warehouse), ("low", "1" if low else None)) if v}
    more = None
    if len(rows) > PAGE_SIZE:
        last = rows[PAGE_SIZE - 1]
        more = url_for("stock.levels", **filters, after=f"{last.sku}@{last.warehouse}")
    return _page(
        "stock/levels.html",
        rows=rows[:PAGE_SIZE],
        filters=filters,
        first=url_for("stock.levels", **filters) if after else None,
        more=more,
    )


@stock_pages.get("/stock/ledger")
def ledger() -> Any:
    _may_read()
    filters = {
        name: value
        for name in ("sku", "warehouse", "kind", "reference")
        if (value := (request.args.get(name) or "").strip())
    }
    if filters.get("kind") and filters["kind"] not in LEDGER_KINDS:
        lang = current_lang()
        kinds = "、" if lang.startswith("zh") else ", "
        names = {k: translate(f"stock.kind.{k}", lang) for k in LEDGER_KINDS}
        known = kinds.join(f"{name} ({k})" for k, name in names.items())
        said = translate("stock.missing.kind", lang)
        return _missing(said.format(kind=filters["kind"][:40], kinds=known))
    before = query_number("before", MAX_ID)
    found = ledger_entries(_engine().store, **filters, before=before, limit=PAGE_SIZE + 1)
    rows = found[:PAGE_SIZE]
    balance = None
    if set(filters) == {"sku", "warehouse"}:  # one row's entries, each after the other: its running balance
        balance = ledger_balance(_engine().store, filters["sku"], filters["warehouse"], rows)
    return _page(
        "stock/ledger.html",
        rows=rows,
        balance=balance,
        times={entry.id: local_time(entry.at) for entry in rows},
        kinds=LEDGER_KINDS,
        filters=filters,
        first=url_for("stock.ledger", **filters) if before else None,
        more=url_for("stock.ledger", **filters, before=rows[-1].id) if len(found) > PAGE_SIZE else None,
    )


@stock_pages.get("/stock/alerts")
def alerts() -> Any:
    _may_read()
    return _page("stock/alerts.html", alerts=low_stock_alerts(_engine().store, _engine().clock.now()))


@stock_pages.route("/stock/receive", methods=["GET", "POST"])
def receive() -> Any:
    _may_read()
    if request.method == "GET":
        return _page("stock/change.html", what="receive", sent={})
    actor = _may_change()
    sent = request.form.to_dict()
    if relanged():  # the other language, what was typed kept: nothing received
        return _page("stock/change.html", what="receive", sent=sent)
    qty = _number("qty")
    try:
        row = receive_stock(
            _engine().store,
            actor,
            sent.get("sku", ""),
            sent.get("warehouse", ""),
            qty if qty is not None else sent.get("qty", ""),  # type: ignore[arg-type]
            _engine().clock.now(),
            note=sent.get("note"),
            reference=sent.get("reference"),
            key=_key(),
        )
    except StockRefused as error:
        return _page("stock/change.html", 422, what="receive", sent=sent, **_said(error, "receive"))
    return redirect(url_for("stock.ledger", sku=row.sku, warehouse=row.warehouse, done="receive"), 303)


@stock_pages.route("/stock/adjust", methods=["GET", "POST"])
def adjust() -> Any:
    _may_read()
    if request.method == "GET":
        return _page("stock/change.html", what="adjust", sent={})
    actor = _may_change()
    sent = request.form.to_dict()
    if relanged():  # the other language, what was typed kept: nothing adjusted
        return _page("stock/change.html", what="adjust", sent=sent)
    change = _number("change")
    try:
        row = adjust_stock(
            _engine().store,
            actor,
            sent.get("sku", ""),
            sent.get("warehouse", ""),
            change if change is not None else sent.get("change", ""),  # type: ignore[arg-type]
            sent.get("reason", ""),
            _engine().clock.now(),
            key=_key(),
        )
    except StockRefused as error:
        return _page("stock/change.html", 422, what="adjust", sent=sent, **_said(error, "adjust"))
    return redirect(url_for("stock.ledger", sku=row.sku, warehouse=row.warehouse, done="adjust"), 303)


def _transfers_page(code: int = 200, shown: Any = None, **values: Any) -> Any:
    """The transfers in transit (or all), or the one ``shown``."""
    in_transit = request.args.get("all") != "1" and shown is None
    if shown is not None:
        found = [shown]
    else:
        found = transfers(_engine().store, state="in_transit" if in_transit else None, limit=200)
    values.setdefault("sent", {})
    values.setdefault("receiving", {})
    listed = {f"receive-{t.id}" for t in found}
    page = _page(
        "stock/transfers.html",
        transfers=found,
        error_beside=values.get("error_field") in listed,  # said once: beside its row's field
        times={t.id: local_time(t.sent_at) for t in found},
        in_transit=in_transit,
        **values,
    )
    return page[0], code


def _shown_transfer(parameter: str) -> Any:
    """The transfer a notice of the list names (``?sent=3``, ``?received=3``); 404 for one there is not."""
    number = query_number(parameter, MAX_ID)
    if number is None:
        return None
    try:
        return transfer_of(_engine().store, number)
    except StockRefused as error:
        abort(make_response(*_missing(_message(error))))


def _receipt_refused() -> dict[str, Any]:
    """A refused receipt shown again from the list's address (``?receiving=3&qty=7``): the engine's
    refusal of that receipt as the transfer stands now, beside its field with what was typed (none when
    it would now be taken: the list has changed since)."""
    number = query_number("receiving", MAX_ID)
    if number is None:
        return {}
    text = (request.args.get("qty") or "").strip()[:20]
    qty = whole_number(text, 10) if text else None
    try:
        check_transfer_receipt(_engine().store, number, qty if qty is not None or not text else text)  # type: ignore[arg-type]
    except StockRefused as error:
        return {"error": _message(error), "error_field": f"receive-{number}", "receiving": {number: text}}
    return {"receiving": {number: text}}


@stock_pages.get("/stock/transfers")
def transfer_list() -> Any:
    _may_read()
    received = _shown_transfer("received")
    units = query_number("units", MAX_ID) if received is not None else None
    return _transfers_page(
        done=_shown_transfer("sent"), received=received, received_units=units, **_receipt_refused()
    )


@stock_pages.get("/stock/transfers/<id:transfer_id>")
def transfer_page(transfer_id: int) -> Any:
    """One transfer, as the list shows it (received from here while in transit): where the ledger's
    references ``T<number>`` lead."""
    _may_read()
    try:
        shown = transfer_of(_engine().store, transfer_id)
    except StockRefused as error:
        return _missing(_message(error))
    return _transfers_page(shown=shown)


@stock_pages.post("/stock/transfers")
def transfer_new() -> Any:
    actor = _may_change()
    sent = request.form.to_dict()
    if relanged():  # the other language, what was typed kept: nothing received
        return _page("stock/change.html", what="receive", sent=sent)
    qty = _number("qty")
    try:
        done = transfer_stock(
            _engine().store,
            actor,
            sent.get("sku", ""),
            sent.get("source", ""),
            sent.get("dest", ""),
            qty if qty is not None else sent.get("qty", ""),  # type: ignore[arg-type]
            _engine().clock.now(),
            sent.get("note"),
            key=_key(),
        )
    except StockRefused as error:
        return _transfers_page(422, sent=sent, **_said(error, "transfer"))
    return redirect(url_for("stock.transfer_list", sent=done.id), 303)


@stock_pages.post("/stock/transfers/<id:transfer_id>/receive")
def transfer_receive(transfer_id: int) -> Any:
    actor = _may_change()
    text = (request.form.get("qty") or "").strip()
    qty = _number("qty") if text else None
    store = _engine().store
    try:
        units = qty if text else check_transfer_receipt(store, transfer_id, None)  # all in transit
        receive_transfer(
            store,
            actor,
            transfer_id,
            qty if qty is not None or not text else text,  # type: ignore[arg-type]
            _engine().clock.now(),
            key=_key(),
        )
    except StockRefused as error:
        if error.field == "key":
            return _transfers_page(422, error=_message(error), error_field="key")
        # shown from the list's address, its message once, beside the field with what was typed
        return redirect(url_for("stock.transfer_list", receiving=transfer_id, qty=text or None), 303)
    return redirect(url_for("stock.transfer_list", received=transfer_id, units=units), 303)


@stock_pages.route("/stock/takes", methods=["GET", "POST"])
def takes() -> Any:
    _may_read()
    if request.method == "POST":
        actor = _may_change()
        try:
            take = open_stock_take(
                _engine().store, actor, request.form.get("warehouse", ""), _engine().clock.now(), key=_key()
            )
        except StockRefused as error:
            said = {"error": _message(error), "error_field": error.field}
            return _takes_page(422, **said, in_the_way=error.reference)  # the open stock-take, linked
        return redirect(url_for("stock.take", take_id=take.id), 303)
    return _takes_page()


def _takes_page(code: int = 200, **values: Any) -> Any:
    """The stock-takes, newest first, each with when it was opened and posted or cancelled."""
    found = stock_takes_of(_engine().store)
    times = {c.id: (local_time(c.opened_at), local_time(c.posted_at) if c.posted_at else "") for c in found}
    return _page("stock/takes.html", code, takes=found, times=times, **values)


def _take_page(take_id: int, code: int = 200, **values: Any) -> Any:
    try:
        take = review_stock_take(_engine().store, take_id)
    except StockRefused as error:
        return _missing(_message(error))
    values.setdefault("sent", {})
    sheet = take_sheet(_engine().store, take.id)
    page = _page(
        "stock/take.html",
        take=take,
        sheet=sheet,
        large=[x for x in take.lines if x.large] if take.state == "open" else [],
        large_units=LARGE_UNITS,
        large_share=f"{LARGE_SHARE:.0%}",
        **values,
    )
    return page[0], code


@stock_pages.get("/stock/takes/<id:take_id>")
def take(take_id: int) -> Any:
    _may_read()
    return _take_page(take_id)


COUNT_PREFIX = "counted:"  # the count sheet's fields: counted:<sku>


def _sheet_counts() -> dict[str, Any]:
    """The count sheet's counts as sent, by sku (those left empty are not counted yet); a count not a
    whole number is passed on as typed, for the engine to refuse naming its sku."""
    counts: dict[str, Any] = {}
    for field, text in request.form.items():
        if field.startswith(COUNT_PREFIX) and text.strip():
            number = whole_number(text.strip(), 10)
            counts[field.removeprefix(COUNT_PREFIX)] = number if number is not None else text.strip()
    return counts


@stock_pages.post("/stock/takes/<id:take_id>/<any(count, counts, post, cancel):step>")
def take_step(take_id: int, step: str) -> Any:
    actor = _may_change()
    store, now = _engine().store, _engine().clock.now()
    sent = request.form.to_dict()
    try:
        if step == "count":
            counted = _number("counted")
            enter_count(
                store,
                actor,
                take_id,
                sent.get("sku", ""),
                counted if counted is not None else sent.get("counted", ""),  # type: ignore[arg-type]
                now,
                key=_key(),
            )
        elif step == "counts":
            enter_counts(store, actor, take_id, _sheet_counts(), now, key=_key())
        elif step == "post":
            post_stock_take(store, actor, take_id, now, key=_key())
        else:
            cancel_stock_take(store, actor, take_id, now, key=_key())
    except StockRefused as error:
        # each count of the sheet beside its row, the one-product form's beside its fields, the rest above
        rows = {name: name for name in sent if name.startswith(COUNT_PREFIX)}
        fields = FORM_FIELDS["count"] if step == "count" else rows
        return _take_page(take_id, 422, sent=sent, form=step, **_said(error, fields))
    return redirect(url_for("stock.take", take_id=take_id), 303)


@stock_pages.route("/stock/safety", methods=["GET", "POST"])
def safety() -> Any:
    """A row's safety stock (安全库存), set or cleared (left empty) by the purchasing role."""
    actor = _may_set_safety()
    if request.method == "GET":  # from a row of the levels or the alerts: that row, its safety stock
        sent = {name: request.args.get(name, "") for name in ("sku", "warehouse", "units")}
        return _page("stock/change.html", what="safety", sent=sent)
    sent = request.form.to_dict()
    text = (sent.get("units") or "").strip()
    units = whole_number(text, 10) if text else None
    try:
        row = set_safety_stock(
            _engine().store,
            sent.get("sku", ""),
            sent.get("warehouse", ""),
            units if units is not None or not text else text,  # type: ignore[arg-type]
            actor=actor,
            at=_engine().clock.now(),
            key=_key(),
        )
    except StockRefused as error:
        return _page("stock/change.html", 422, what="safety", sent=sent, **_said(error, "safety"))
    return redirect(url_for("stock.levels", sku=row.sku, warehouse=row.warehouse, safety="1"), 303)
