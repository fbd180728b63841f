"""``orderloom lists``: a department's managed lists created, filled, searched, emptied and imported,
every refusal naming the option or the file's line, in en and zh."""

from __future__ import annotations

from pathlib import Path

from tests.cli.support import Run


def create(run: Run, *extra: str) -> None:
    run(
        "lists", "create", "blocked-mobiles", "--department", "retail", "--kind", "mobile",
        "--label-zh", "黑名单手机号", "--label-en", "Blocked mobiles", *extra,
    )  # fmt: skip


def test_a_list_is_created_filled_shown_and_emptied(run: Run) -> None:
    assert run("lists", "list", "--department", "retail").output == "department retail has no lists\n"
    create(run, "--by", "admin")
    added = run(
        "lists", "add", "blocked-mobiles", "+86 138-0000-0000", "--department", "retail", "--note", "欺诈"
    )
    assert added.output == "added +86 138-0000-0000 (matched as 13800000000) to list blocked-mobiles\n"
    again = run("lists", "add", "blocked-mobiles", "13800000000", "--department", "retail", code=1)
    assert "VALUE: '13800000000' is already in the list (as '+86 138-0000-0000')" in again.output
    listed = run("lists", "list", "--department", "retail", "--lang", "zh").output
    assert listed == "blocked-mobiles\t手机号\t黑名单手机号\t1 个值\n"
    shown = run("lists", "show", "blocked-mobiles", "--department", "retail", "--search", "138 0000").output
    lines = shown.splitlines()
    assert lines[0] == "blocked-mobiles — Blocked mobiles (mobile)"
    assert lines[1].startswith("  +86 138-0000-0000\t[13800000000]\tcli\t") and lines[1].endswith("\t欺诈")
    assert lines[2] == "latest changes:"
    assert [line.split("\t")[1:] for line in lines[3:]] == [
        ["cli", "added +86 138-0000-0000"],
        ["admin", "created the list"],
    ]
    nothing = run(
        "lists", "show", "blocked-mobiles", "--department", "retail", "--search", "139", "--no-changes"
    )
    assert nothing.output.splitlines()[1:] == ["  (no values)"]
    removed = run(
        "lists", "remove", "blocked-mobiles", "0086 13800000000", "--department", "retail", "--lang", "zh"
    )
    assert removed.output == "已从名单 blocked-mobiles 移除 +86 138-0000-0000\n"


def test_a_bad_list_or_value_is_refused_naming_the_option(run: Run) -> None:
    refused = run(
        "lists", "create", "Blocked Mobiles", "--department", "retail", "--kind", "mobile",
        "--label-zh", " ", "--label-en", "Blocked", code=1,
    )  # fmt: skip
    assert "NAME: list name 'Blocked Mobiles' is not valid" in refused.output
    assert "--label-zh: the Chinese label must not be empty" in refused.output
    create(run)
    missing = run(
        "lists", "add", "blocked-mobile", "13800000000", "--department", "retail", "--lang", "zh", code=1
    )
    assert "部门 retail 没有名单 'blocked-mobile'" in missing.output and "blocked-mobiles" in missing.output
    short = run("lists", "add", "blocked-mobiles", "12345", "--department", "retail", code=1)
    assert "VALUE: '12345' is not an 11-digit mobile number starting with 1" in short.output


def test_an_import_names_each_bad_line_and_adds_nothing_until_all_are_good(run: Run, tmp_path: Path) -> None:
    create(run)
    bad = tmp_path / "mobiles.csv"
    bad.write_text(
        "value,note\n13800000000,欺诈\n# old ones\n139 0000 1111\n+86 13800000000\n12,3,4\n", encoding="utf-8"
    )
    refused = run("lists", "import", "blocked-mobiles", str(bad), "--department", "retail", code=1)
    assert refused.output.splitlines()[1:] == [
        f"{bad}:5: '+86 13800000000' is the same value as line 2",
        f"{bad}:6: has 3 columns; a line is a value and, after a comma, a note"
        " (quote a value that holds a comma)",
    ]
    assert "(no values)" in run("lists", "show", "blocked-mobiles", "--department", "retail").output
    good = tmp_path / "good.txt"
    good.write_text("13800000000,欺诈\n139 0000 1111\n", encoding="utf-8")
    done = run("lists", "import", "blocked-mobiles", str(good), "--department", "retail", "--lang", "zh")
    assert done.output == "已导入 2 个值到名单 blocked-mobiles\n"


def test_a_sku_the_catalogue_lacks_is_listed_only_with_force(run: Run, tmp_path: Path) -> None:
    run("products", "set", "TEA-01", "--name-zh", "龙井茶", "--name-en", "Longjing tea", "--price", "88")
    run(
        "lists", "create", "restricted-skus", "--department", "retail", "--kind", "sku",
        "--label-zh", "限售商品", "--label-en", "Restricted SKUs",
    )  # fmt: skip
    refused = run("lists", "add", "restricted-skus", "NOPE-9", "--department", "retail", code=1)
    assert "the product catalogue has no product NOPE-9: add it to the catalogue first" in refused.output
    assert "--force" in refused.output
    forced = run("lists", "add", "restricted-skus", "NOPE-9", "--department", "retail", "--force")
    assert forced.output == "added NOPE-9 (matched as NOPE-9) to list restricted-skus\n"
    file = tmp_path / "skus.txt"
    file.write_text("tea-01\nNOPE-8\n", encoding="utf-8")
    failed = run("lists", "import", "restricted-skus", str(file), "--department", "retail", code=1)
    assert f"{file}:2: the product catalogue has no product NOPE-8" in failed.output
    run("lists", "import", "restricted-skus", str(file), "--department", "retail", "--force")
    shown = run("lists", "show", "restricted-skus", "--department", "retail", "--no-changes").output
    assert [line.split("\t")[1] for line in shown.splitlines()[1:]] == ["[NOPE-8]", "[NOPE-9]", "[TEA-01]"]
