"""The command line's words come from the one catalogue (engine/common/words.py): cli/ writes no
Chinese of its own, so every line it prints in zh has its English beside it there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

CLI = Path(__file__).resolve().parents[2] / "cli"
CHINESE = re.compile("[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")  # CJK punctuation, ideographs, full width


def chinese_outside_the_catalogue(root: Path) -> list[str]:
    """``path:line: text`` of every string constant under ``root`` written in Chinese (docstrings too)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        strings = [
            node
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CHINESE.search(node.value)
        ]
        found.extend(
            f"{path}:{node.lineno}: {node.value!r}" for node in sorted(strings, key=lambda n: n.lineno)
        )
    return found


def test_the_command_line_writes_no_chinese_of_its_own() -> None:
    assert chinese_outside_the_catalogue(CLI) == []


def test_the_check_finds_chinese_in_a_string_and_in_punctuation(tmp_path: Path) -> None:
    (tmp_path / "accounts.py").write_text(
        'said = "错误：" if zh else "error: "\nsep = "；"\nplain = "error: {message}"\n', encoding="utf-8"
    )
    assert chinese_outside_the_catalogue(tmp_path) == [
        f"{tmp_path / 'accounts.py'}:1: '错误：'",
        f"{tmp_path / 'accounts.py'}:2: '；'",
    ]
