"""``orderloom products``: set, listed, shown, imported whole or not at all with every error as
FILE:ROW: column: message, and exported as the import reads it back."""

from __future__ import annotations

from pathlib import Path

from tests.cli.support import Run

HEADER = "sku,name_zh,name_en,price,weight_kg,volume_l,kind,active\n"


def test_products_are_set_shown_and_listed(run: Run) -> None:
    assert run("products", "list").output.startswith("no products yet")
    added = run("products", "set", "TEA-01", "--name-zh", "龙井茶", "--name-en", "Longjing tea",
                "--price", "128", "--weight-kg", "0.250", "--volume-l", "0.8")  # fmt: skip
    assert (
        added.output == "product TEA-01 added: 龙井茶 / Longjing tea, 128.00 CNY, shipped, 0.25 kg, 0.8 l\n"
    )
    changed = run("products", "set", "TEA-01", "--name-zh", "龙井", "--name-en", "Tea", "--price", "99.5",
                  "--discontinued", "--lang", "zh")  # fmt: skip
    assert changed.output == "已更新商品 TEA-01：龙井 / Tea，99.50 元，shipped，已停售\n"
    run("products", "set", "GC-100", "--name-zh", "礼品卡", "--name-en", "Gift card", "--price", "100",
        "--kind", "virtual")  # fmt: skip
    assert run("products", "list").output.splitlines() == [
        "GC-100: 礼品卡 / Gift card, 100.00 CNY, virtual",
        "TEA-01: 龙井 / Tea, 99.50 CNY, shipped, discontinued",
    ]
    assert run("products", "list", "--search", "gift").output.startswith("GC-100")
    assert run("products", "show", "GC-100").output.startswith("GC-100: 礼品卡")
    assert run("products", "show", "NOPE-1", code=1).output == "error: no product NOPE-1 in the catalogue\n"


def test_a_product_that_does_not_fit_is_refused_field_by_field(run: Run) -> None:
    refused = run("products", "set", "tea", "--name-zh", " ", "--name-en", "Tea", "--price", "-1",
                  "--kind", "virtul", code=1)  # fmt: skip
    assert refused.output.splitlines() == [
        "error: product tea was not stored:",
        "  SKU: 'tea' is not a SKU: 2 to 40 capital letters, digits or hyphens, not starting with a hyphen, "
        "like TEA-01",
        "  --name-zh: must not be empty",
        "  --price: a price cannot be negative (-1)",
        "  --kind: unknown kind 'virtul'; known: shipped, virtual; did you mean 'virtual'?",
    ]
    assert run("products", "list").output.startswith("no products yet")


def test_a_file_is_imported_whole_or_not_at_all_and_exported_back(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "TEA-01,龙井茶,Tea,1,,,,\nTEA-01,龙井茶,Tea,x,,,,\n", encoding="utf-8")
    refused = run("products", "import", str(bad), code=1)
    assert refused.output.splitlines() == [
        f"error: {bad} was not imported (2 error(s)); the catalogue is unchanged:",
        f"{bad}:3: price: 'x' is not a number",
        f"{bad}:3: sku: SKU TEA-01 is listed twice: first on row 2",
    ]
    assert run("products", "list").output.startswith("no products yet")
    good = tmp_path / "good.csv"
    good.write_bytes(
        b"\xef\xbb\xbf" + (HEADER + "TEA-01,龙井茶,Tea,1.5,0.25,,,\nGC-1,卡,Card,100,,,virtual,\n").encode()
    )
    assert run("products", "import", str(good)).output == f"imported {good}: 2 product(s) added, 0 updated\n"
    exported = run("products", "export").output
    assert exported == HEADER + "GC-1,卡,Card,100,,,virtual,true\nTEA-01,龙井茶,Tea,1.5,0.25,,shipped,true\n"
    out = tmp_path / "out.csv"
    run("products", "export", "-o", str(out))
    assert run("products", "import", str(out)).output == f"imported {out}: 0 product(s) added, 2 updated\n"
