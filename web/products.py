"""The product catalogue's pages (商品目录), under ``/products``.

``GET /products`` lists the products by SKU, 50 a page, searched by SKU or name (``q``), each page after
the last SKU of the one before (``after``: keyset paging, steady however long the catalogue grows);
``GET /products/<sku>`` shows one (a shipped one linked to its stock levels for
those who may read the stock). Every logged-in user reads them; admins add (``/products/new``) and
edit (``/products/<sku>/edit``) a product, and import a CSV file (``POST /products/import``) that is
stored whole or not at all: every problem is listed on the page by row and column, and nothing is
written while there is one. ``GET /products.csv`` exports the whole catalogue as the import reads it.
The checks and the storing are the engine's (``engine.api.catalogue``); these views only read what was
sent and show what came back. Every form carries the CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from engine.api import ADMIN_ROLE, Store
from engine.api.catalogue import (
    COLUMNS,
    MAX_CSV_BYTES,
    PRODUCT_KINDS,
    CatalogueProblem,
    CatalogueRefused,
    Product,
    catalogue_csv,
    changed_by,
    find_product,
    import_csv,
    product_fields,
    products_page,
    put_product,
)
from engine.api.stock import PURCHASER_ROLE, may_read_stock
from web.auth import current_login
from web.formdata import local_time
from web.i18n import relanged

products = Blueprint("products", __name__)

# The roles whose pages link to the catalogue: those who take, sell, ship, keep or buy products.
CATALOGUE_ROLES = frozenset({ADMIN_ROLE, "clerk", "service", "sales", "warehouse", PURCHASER_ROLE})
_FIELDS = COLUMNS


def _store() -> Store:
    found: Store = current_app.extensions["orderloom"].store
    return found


def _clock_now() -> Any:
    return current_app.extensions["orderloom"].engine.clock.now()


def _is_admin() -> bool:
    return ADMIN_ROLE in current_login().roles


def _admin_only() -> None:
    if not _is_admin():
        abort(403)


def _index(
    problems: list[CatalogueProblem] | None = None,
    file: str = "",
    done: str = "",
    code: int = 200,
    limit: str = "",
) -> Any:
    search = request.args.get("q", "")
    after = request.args.get("after") or None
    page = products_page(_store(), search, after)
    return (
        render_template(
            "products/index.html",
            page=page,
            after=after,
            admin=_is_admin(),
            problems=problems or [],
            file=file,
            done=done,
            limit=limit,
        ),
        code,
    )


@products.get("/products")
def index() -> Any:
    return _index(done=request.args.get("imported", ""))


@products.get("/products.csv")
def export() -> Any:
    text = catalogue_csv(_store())
    return Response(
        "\ufeff" + text,  # a byte-order mark: spreadsheet programs then read the names as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=products.csv"},
    )


@products.post("/products/import")
def upload() -> Any:
    _admin_only()
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return _index(done="no-file", code=400)
    data = sent.stream.read(MAX_CSV_BYTES + 1)
    name = sent.filename
    try:
        done = import_csv(_store(), data, name, _clock_now(), current_login().name)
    except CatalogueRefused as refused:
        return _index(problems=list(refused.problems), file=name, code=422)
    return redirect(url_for("products.index", imported=f"{name}:{done.added}:{done.changed}"))


def _form(
    product: Product | None, sent: dict[str, str], problems: list[CatalogueProblem], new: bool, code: int
) -> Any:
    return (
        render_template(
            "products/edit.html",
            product=product,
            sent=sent,
            problems={p.column or "": p.message for p in problems},
            new=new,
            kinds=[k.value for k in PRODUCT_KINDS],
        ),
        code,
    )


def _posted() -> dict[str, str]:
    sent = {name: request.form.get(name, "")[:1000] for name in _FIELDS if name != "active"}
    sent["active"] = "true" if request.form.get("active") else "false"
    return sent


@products.route("/products/new", methods=["GET", "POST"])
def new() -> Any:
    _admin_only()
    if request.method == "GET":
        return _form(None, {"kind": "shipped", "active": "true"}, [], True, 200)
    sent = _posted()
    if relanged():  # the other language, what was typed kept: nothing stored
        return _form(None, sent, [], True, 200)
    try:
        stored = put_product(_store(), sent, _clock_now(), current_login().name, new=True)
    except CatalogueRefused as refused:
        return _form(None, sent, list(refused.problems), True, 422)
    return redirect(url_for("products.show", sku=stored.sku, saved=1))


@products.route("/products/<sku>/edit", methods=["GET", "POST"])
def edit(sku: str) -> Any:
    _admin_only()
    product = find_product(_store(), sku)
    if product is None:
        abort(404)
    if request.method == "GET":
        return _form(product, product_fields(product), [], False, 200)
    sent = {**_posted(), "sku": product.sku}  # the SKU names the product: it is not changed here
    if relanged():  # the other language, what was typed kept: nothing stored
        return _form(product, sent, [], False, 200)
    try:
        put_product(_store(), sent, _clock_now(), current_login().name, new=False)
    except CatalogueRefused as refused:
        return _form(product, sent, list(refused.problems), False, 422)
    return redirect(url_for("products.show", sku=product.sku, saved=1))


@products.get("/products/<sku>")
def show(sku: str) -> Any:
    product = find_product(_store(), sku)
    if product is None:
        abort(404)
    updated = local_time(product.updated_at) if product.updated_at is not None else ""
    return render_template(
        "products/show.html",
        product=product,
        admin=_is_admin(),
        saved=bool(request.args.get("saved")),
        updated=updated,
        updated_by=changed_by(_store(), product),
        stock_link=may_read_stock(current_login().roles) and not product.virtual,
    )


@products.errorhandler(413)
def too_large(error: Any) -> Any:
    """A file over the app's request limit: said on the list page, as the import's own limit is."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or MAX_CSV_BYTES
    return _index(done="too-large", code=413, limit=f"{limit / (1024 * 1024):g} MB")


@products.errorhandler(404)
def not_found(error: Any) -> Any:
    return render_template("products/missing.html", code=404), 404


@products.errorhandler(403)
def forbidden(error: Any) -> Any:
    return render_template("products/missing.html", code=403), 403


def catalogue_link() -> dict[str, Any]:
    """For every page's header: whether the user's roles use the catalogue (its link is shown)."""
    shown = bool(current_user and current_user.is_authenticated and CATALOGUE_ROLES & set(current_user.roles))
    return {"catalogue_reader": shown}
