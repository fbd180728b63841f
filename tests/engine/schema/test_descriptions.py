"""The published JSON Schemas (engine/schema/*.json) explain every key in both languages: beside each
``description`` (and ``title``) a Chinese ``x-description-zh`` (``x-title-zh``), the same keyword forms
use, which the studio's editor shows on Chinese pages. Unknown keywords are annotations in JSON Schema
2020-12, so the files stay valid schemas and validate exactly as before."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

SCHEMAS = sorted((Path(__file__).resolve().parents[3] / "engine" / "schema").glob("*.schema.json"))
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def annotated(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object of ``node`` (a whole schema) with its JSON pointer."""
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            yield from annotated(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from annotated(value, f"{pointer}/{index}")


def test_the_schemas_are_there() -> None:
    assert [p.name for p in SCHEMAS] == [
        "rules.schema.json",
        "scenario.schema.json",
        "ui.schema.json",
        "workflow.schema.json",
    ]


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_description_and_title_has_its_chinese(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    missing: list[str] = []
    said = 0
    for pointer, node in annotated(schema):
        for keyword in ("description", "title"):
            english = node.get(keyword)
            if not isinstance(english, str):
                continue  # a property named "description" or "title": its value is a schema, not a text
            said += 1
            chinese = node.get(f"x-{keyword}-zh")
            if not (isinstance(chinese, str) and CHINESE.search(chinese) and chinese != english):
                missing.append(f"{pointer or '/'}: {keyword} {english!r}")
        for keyword in ("x-description-zh", "x-title-zh"):
            if keyword in node and not isinstance(
                node.get(keyword.removeprefix("x-").removesuffix("-zh")), str
            ):
                missing.append(f"{pointer or '/'}: {keyword} without its English")
    assert said > 0
    assert missing == []
