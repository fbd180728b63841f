"""The examples of docs/expressions.md and docs/workflow-language.md are expressions the language takes:
every ``when:`` and every value of a ``set:`` in their YAML blocks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.rules.expr import check

DOCS = Path(__file__).resolve().parents[3] / "docs"
BLOCK = re.compile(r"```yaml\n(.*?)```", re.S)


def expressions(value: Any) -> Iterator[str]:
    """Every ``when`` (text or list of texts) and every text value of a ``set`` inside ``value``."""
    if isinstance(value, list):
        for item in value:
            yield from expressions(item)
    elif isinstance(value, dict):
        for key, inner in value.items():
            if key == "when":
                yield from [inner] if isinstance(inner, str) else [w for w in inner if isinstance(w, str)]
            elif key == "set" and isinstance(inner, dict):
                yield from (text for text in inner.values() if isinstance(text, str))
            else:
                yield from expressions(inner)


def examples(name: str) -> list[str]:
    found: list[str] = []
    for block in BLOCK.findall((DOCS / name).read_text(encoding="utf-8")):
        # each line of a block of examples may repeat a key ('when: ...' twice): read them one by one
        for part in [block, *block.splitlines()]:
            try:
                found.extend(expressions(yaml.safe_load(part)))
            except yaml.YAMLError:
                continue  # a line of a nested block is not YAML alone; the block as a whole is read
    return sorted(set(found))


@pytest.mark.parametrize("name", ["expressions.md", "workflow-language.md"])
def test_every_example_in_the_docs_is_an_expression_the_language_takes(name: str) -> None:
    found = examples(name)
    assert found
    assert {text: [e.message for e in check(text)] for text in found} == {text: [] for text in found}


def test_the_examples_of_dates_codes_and_aggregates_are_among_them() -> None:
    found = set(examples("expressions.md")) | set(examples("workflow-language.md"))
    assert {
        "sum(l.qty for l in order.lines if l.sku == 'SKU-1') > 10",
        "len(distinct(pluck(order.lines, 'sku'))) > 3",
        "data.delivered_at + days(7)",
        "now() - order.paid_at > hours(48)",
        "code(8, 'RMA-')",
    } <= found
