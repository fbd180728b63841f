"""The product catalogue (商品目录): products with their names in zh and en, prices, weights, volumes and
kinds, kept one by one or from a CSV file that is stored whole or not at all (part of ``engine.api``)."""

from engine.runtime.catalogue import (
    COLUMNS,
    MAX_CSV_BYTES,
    MAX_CSV_ROWS,
    CatalogueImported,
    CatalogueProblem,
    CatalogueRefused,
    ProductPage,
    catalogue_csv,
    changed_by,
    find_product,
    import_csv,
    list_products,
    product_fields,
    products_page,
    put_product,
    put_products,
    read_csv,
)
from engine.store.products import PRODUCT_KINDS, Product, ProductKind

__all__ = [
    "COLUMNS",
    "MAX_CSV_BYTES",
    "MAX_CSV_ROWS",
    "PRODUCT_KINDS",
    "CatalogueImported",
    "CatalogueProblem",
    "CatalogueRefused",
    "Product",
    "ProductKind",
    "ProductPage",
    "catalogue_csv",
    "changed_by",
    "find_product",
    "import_csv",
    "list_products",
    "product_fields",
    "products_page",
    "put_product",
    "put_products",
    "read_csv",
]
