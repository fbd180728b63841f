"""One name per carrier and per warehouse, in zh and en, wherever the shipped definitions name one: the
forms' choices (``x-enum-titles`` of every field that says it holds a carrier, ``"x-kind": "carrier"``)
and the routing files' labels (rules/*/routing.yaml), which the order page and the timeline's routing
decisions read. A carrier the logistics action knows has that one name; a warehouse the same name in
every department."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from engine.forms.data_paths import data_paths
from plugins.logistics import CARRIERS

REPO = Path(__file__).resolve().parents[1]


def _names() -> dict[tuple[str, str], dict[tuple[str, str], list[str]]]:
    """(kind, code) -> (zh, en) -> where each name was found."""
    found: dict[tuple[str, str], dict[tuple[str, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(REPO.glob("forms/*/*.json")):
        if path.name.endswith(".ui.json"):
            continue
        schema: Any = json.loads(path.read_text(encoding="utf-8"))
        for field, node in data_paths(schema).items():
            kind = node.get("x-kind")
            for code, title in (node.get("x-enum-titles") or {}).items():
                if kind is not None:
                    found[kind, code][title["zh"], title["en"]].append(f"{path.name} {field}")
    for path in sorted(REPO.glob("rules/*/routing.yaml")):
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
        for kind, key in (("carrier", "carriers"), ("warehouse", "warehouses")):
            for entry in tree.get(key) or ():
                label = entry.get("label")
                if label is not None:
                    found[kind, entry["name"]][label["zh"], label["en"]].append(str(path.relative_to(REPO)))
    return found


def test_each_carrier_and_each_warehouse_has_one_name_in_each_language() -> None:
    found = _names()
    assert any(kind == "carrier" for kind, _ in found) and any(kind == "warehouse" for kind, _ in found)
    twice = {code: dict(names) for code, names in found.items() if len(names) > 1}
    assert not twice, twice


def test_the_carriers_the_forms_and_the_routing_files_name_are_those_the_logistics_action_knows() -> None:
    named = {code for kind, code in _names() if kind == "carrier"}
    assert named == set(CARRIERS)
