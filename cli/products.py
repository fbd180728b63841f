"""`orderloom products`: the product catalogue, kept one product at a time or from a CSV file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click

from cli.common import LANG, field_problem, open_services, refuse
from engine.api import SYSTEM, translate
from engine.api.catalogue import (
    MAX_CSV_BYTES,
    PRODUCT_KINDS,
    CatalogueRefused,
    Product,
    catalogue_csv,
    find_product,
    import_csv,
    list_products,
    products_page,
    put_product,
)


@click.group()
def products() -> None:
    """The product catalogue: SKU, names in zh and en, price, weight, volume, shipped or virtual
    (docs/catalogue.md)."""


def _number(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f")


def _record(product: Product, lang: str) -> str:
    extra = ""
    if product.weight_kg is not None:
        extra += translate("cli.product.weight", lang).format(weight=_number(product.weight_kg))
    if product.volume_l is not None:
        extra += translate("cli.product.volume", lang).format(volume=_number(product.volume_l))
    if not product.active:
        extra += translate("cli.product.inactive", lang)
    return translate("cli.product.record", lang).format(
        name_zh=product.name_zh,
        name_en=product.name_en,
        price=f"{product.price:.2f}",
        kind=product.kind,
        extra=extra,
    )


@products.command("list")
@click.option("--search", default="", help="Only products whose SKU or a name holds this text.")
@LANG
@click.pass_context
def products_list(ctx: click.Context, search: str, lang: str) -> None:
    """List the products by SKU: names, price, kind, weight, volume, discontinued."""
    with open_services(ctx) as services:
        found = products_page(services.store, search, None, 10_000).products if search else None
        if found is None:
            found = tuple(list_products(services.store))
    if not found:
        click.echo(translate("cli.product.none", lang))
        return
    for product in found:
        click.echo(
            translate("cli.product.listed", lang).format(sku=product.sku, record=_record(product, lang))
        )


@products.command("show")
@click.argument("sku")
@LANG
@click.pass_context
def products_show(ctx: click.Context, sku: str, lang: str) -> None:
    """Show product SKU."""
    with open_services(ctx) as services:
        product = find_product(services.store, sku)
    if product is None:
        refuse(translate("cli.product.not_found", lang).format(sku=sku), lang)
    click.echo(translate("cli.product.listed", lang).format(sku=product.sku, record=_record(product, lang)))


# The option of ``products set`` that gives each field (the SKU is its argument).
_OPTIONS = {
    "sku": "SKU",
    "name_zh": "--name-zh",
    "name_en": "--name-en",
    "price": "--price",
    "weight_kg": "--weight-kg",
    "volume_l": "--volume-l",
    "kind": "--kind",
    "active": "--active/--discontinued",
}


@products.command("set")
@click.argument("sku")
@click.option("--name-zh", required=True, help="The name in Chinese.")
@click.option("--name-en", required=True, help="The name in English.")
@click.option("--price", required=True, help="The price in yuan (at most two decimals).")
@click.option("--weight-kg", default="", help="The weight in kilograms.")
@click.option("--volume-l", default="", help="The volume in litres.")
@click.option(
    "--kind",
    default="shipped",
    show_default=True,
    help=f"{' or '.join(k.value for k in PRODUCT_KINDS)}: virtual needs no warehouse and no carrier.",
)
@click.option("--active/--discontinued", default=True, help="Discontinued: kept for old orders, not offered.")
@LANG
@click.pass_context
def products_set(
    ctx: click.Context,
    sku: str,
    name_zh: str,
    name_en: str,
    price: str,
    weight_kg: str,
    volume_l: str,
    kind: str,
    active: bool,
    lang: str,
) -> None:
    """Store product SKU, or its new details: every field is set anew."""
    fields = {
        "sku": sku,
        "name_zh": name_zh,
        "name_en": name_en,
        "price": price,
        "weight_kg": weight_kg,
        "volume_l": volume_l,
        "kind": kind,
        "active": "true" if active else "false",
    }
    with open_services(ctx) as services:
        existed = find_product(services.store, sku.strip()) is not None
        try:
            product = put_product(services.store, fields, services.engine.clock.now(), SYSTEM.name)
        except CatalogueRefused as refused:
            refuse(
                translate("cli.product.not_stored", lang).format(sku=sku),
                lang,
                (
                    field_problem(_OPTIONS.get(p.column or "", p.column or ""), p.message.get(lang), lang)
                    for p in refused.problems
                ),
            )
    done = "cli.product.updated" if existed else "cli.product.added"
    click.echo(translate(done, lang).format(sku=product.sku, record=_record(product, lang)))


@products.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@LANG
@click.pass_context
def products_import(ctx: click.Context, file: Path, lang: str) -> None:
    """Store every product of a CSV file (UTF-8, a header row), or none: every error is listed as
    FILE:ROW: column: message."""
    with file.open("rb") as stream:
        data = stream.read(MAX_CSV_BYTES + 1)  # one byte more tells a file over the limit
    with open_services(ctx) as services:
        try:
            done = import_csv(services.store, data, str(file), services.engine.clock.now(), SYSTEM.name)
        except CatalogueRefused as refused:
            refuse(
                translate("cli.product.refused", lang).format(file=file, count=len(refused.problems)),
                lang,
                (problem.line(str(file), lang) for problem in refused.problems),
            )
    click.echo(
        translate("cli.product.imported", lang).format(file=file, added=done.added, changed=done.changed)
    )


@products.command("export")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="A file (default: stdout)."
)
@click.pass_context
def products_export(ctx: click.Context, output: Path | None) -> None:
    """Write the whole catalogue as CSV, as `products import` reads it back."""
    with open_services(ctx) as services:
        text = catalogue_csv(services.store)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
