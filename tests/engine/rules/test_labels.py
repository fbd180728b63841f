"""engine/rules/labels.py: outcomes named by the glossary, a routing file's warehouses and carriers by
their labels, and a routing answer read into rows (candidates best first, the chosen marked, the split)."""

from __future__ import annotations

from pathlib import Path

import yaml

from engine.rules.kinds import compile_ruleset
from engine.rules.labels import Candidate, RuleLabels, SplitPart, routing_answer, rule_labels

ROOT = Path(__file__).resolve().parents[3]


def test_outcomes_by_the_glossary_and_places_by_their_labels() -> None:
    path = "rules/retail/routing.yaml"
    routing = compile_ruleset(yaml.safe_load((ROOT / path).read_text(encoding="utf-8")), path)
    labels = rule_labels(routing)
    assert labels.warehouse("GZ-01", "zh") == "广州仓"
    assert labels.warehouse("GZ-01", "en") == "Guangzhou warehouse"
    assert labels.carrier("NOPE", "en") == "NOPE"
    assert RuleLabels.outcome("hold", "zh") == "挂起待审" and RuleLabels.outcome("hold", "en") == "on hold"
    assert RuleLabels.outcome("approve", "zh") == "自动审核通过"
    assert RuleLabels.outcome("made-up", "en") == "made-up"
    audit = "rules/retail/audit.yaml"
    assert (
        rule_labels(compile_ruleset(yaml.safe_load((ROOT / audit).read_text("utf-8")), audit)) == RuleLabels()
    )


def test_a_routing_answer_as_rows() -> None:
    outputs = {
        "warehouse": "GZ-01",
        "carrier": "jd",
        "split": [
            {"warehouse": "GZ-01", "lines": [{"sku": "A", "qty": 2}]},
            {"warehouse": "SH-01", "lines": [{"sku": "A", "qty": 3}]},
        ],
        "scores": {
            "warehouses": {"SH-01": 0.5, "GZ-01": 0.9, "BJ-01": 0.1},
            "carriers": {"sf": 0.4, "jd": 0.7},
        },
    }
    answer = routing_answer(outputs)
    assert answer is not None
    assert answer.candidates == (
        Candidate("warehouse", "GZ-01", 0.9, True),
        Candidate("warehouse", "SH-01", 0.5, True),
        Candidate("warehouse", "BJ-01", 0.1, False),
        Candidate("carrier", "jd", 0.7, True),
        Candidate("carrier", "sf", 0.4, False),
    )
    assert answer.split == (SplitPart("GZ-01", (("A", 2.0),)), SplitPart("SH-01", (("A", 3.0),)))
    assert routing_answer({"discount_rate": 0.1}) is None
    assert routing_answer(None) is None
