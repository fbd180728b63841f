"""What every command shares: data given as JSON refused with the option named, and a plugin refused
as it loads printed as one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.support import Run, create, publish_desk
from tests.engine.test_plugins import _installed


def test_data_with_nan_or_infinity_is_refused_as_json(run: Run, root: Path) -> None:
    publish_desk(run, root)
    for bad in ('{"customer": "王芳", "total": NaN}', '{"customer": "王芳", "total": Infinity}'):
        args = ["orders", "create", "--department", "desk", "--workflow", "desk-order", "--channel", "phone"]
        result = run(*args, "--data", bad, "--role", "clerk", code=2)
        assert "not readable JSON" in result.output and "is not a number JSON allows" in result.output
    assert run("orders", "list").stdout == ""  # nothing was created


def test_data_with_a_lone_surrogate_names_the_option_and_the_field(run: Run, root: Path) -> None:
    publish_desk(run, root)
    args = ["orders", "create", "--department", "desk", "--workflow", "desk-order", "--channel", "phone"]
    bad = ["--data", '{"customer": "\\ud800x", "total": 120}', "--role", "clerk"]
    en = run(*args, *bad, code=2).output
    assert (
        "Invalid value for --data: $.customer: the text holds \\ud800, half of a UTF-16 surrogate pair" in en
    )
    zh = run(*args, *bad, "--lang", "zh", code=2).output
    assert "Invalid value for --data: $.customer：文本含有 \\ud800" in zh
    assert "Traceback" not in en + zh
    assert run("orders", "list").stdout == ""  # nothing was created
    order_id = create(run)
    fired = run("orders", "fire", str(order_id), "pay", "--data", '{"amount": "\\udfff"}', code=2).output
    assert "$.amount: the text holds \\udfff" in fired


def test_hostile_data_is_refused_without_a_traceback(run: Run, root: Path, tmp_path: Path) -> None:
    publish_desk(run, root)
    args = ["orders", "create", "--department", "desk", "--workflow", "desk-order", "--channel", "phone"]
    deep = run(*args, "--data", "[" * 100_000, "--role", "clerk", code=2).output
    assert "nested too deeply" in deep and "Traceback" not in deep
    huge = tmp_path / "huge.json"
    huge.write_text('{"customer": "' + "x" * 1_000_001 + '", "total": 1}', encoding="utf-8")
    assert "larger than 1000000 bytes" in run(*args, "--data", f"@{huge}", "--role", "clerk", code=2).output
    assert "must be a JSON object" in run(*args, "--data", "[1, 2]", "--role", "clerk", code=2).output
    assert run("orders", "list").stdout == ""  # nothing was created


@pytest.mark.parametrize(
    ("args", "group", "first"),
    [
        (["versions", "desk-order"], "orderloom.actions", "error: a plugin cannot be loaded: entry point"),
        (
            ["orders", "list", "--lang", "zh"],
            "orderloom.actions",
            "错误：插件无法加载：orderloom.actions 中的入口点",
        ),
        (["validate", "workflows"], "orderloom.actions", "error: a plugin cannot be loaded: entry point"),
        (["serve", "--port", "0"], "orderloom.actions", "error: a plugin cannot be loaded: entry point"),
        (
            ["forms", "preview", "forms/showroom/quote.json", "-o", "quote.html", "--lang", "en"],
            "orderloom.option_sources",
            "error: a plugin cannot be loaded: entry point",
        ),
    ],
    ids=["versions", "orders-list-zh", "validate", "serve", "forms-preview"],
)
def test_a_plugin_refused_as_it_loads_is_one_line_naming_it(
    run: Run,
    root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    group: str,
    first: str,
) -> None:
    _installed(tmp_path, monkeypatch, group, "shop.broken = MODULE:two_arguments")
    monkeypatch.chdir(root)
    result = run(*args, code=1)
    assert "is running" not in result.stdout
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(first)
    assert "'shop.broken'" in result.stderr
    assert "Traceback" not in result.output
