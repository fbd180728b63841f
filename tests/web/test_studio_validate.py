"""The validate API of the studio (web/studio.py ``POST /studio/api/validate``): taking a problem's
suggestion in place of its span, as the editor's one-click fix does, leaves a text with no problem, in
YAML and JSON alike, quoted or not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import REPO_ROOT, add_user, log_in, make_app, settings_for


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(settings_for(tmp_path, REPO_ROOT, "studio-validate-tests"))
    add_user(app, "ma.li", "ma-li-password", ("admin",), ("retail",))
    yield app
    app.extensions["orderloom"].close()


def validate(c: FlaskClient, kind: str, path: str, text: str) -> list[dict[str, object]]:
    answer = c.post(
        "/studio/api/validate",
        json={"kind": kind, "department": "retail", "name": path, "text": text, "lang": "en"},
    )
    assert answer.status_code == 200
    problems: list[dict[str, object]] = answer.get_json()["problems"]
    return problems


def take_fix(text: str, problem: dict[str, object]) -> str:
    """The text with the problem's suggestion in place of ``[col, end_col)`` of its line."""
    lines = text.split("\n")
    line, col, end = (int(problem[k]) for k in ("line", "col", "end_col"))  # type: ignore[call-overload]
    assert problem["end_line"] == line
    content = lines[line - 1]
    lines[line - 1] = content[: col - 1] + str(problem["suggestion"]) + content[end - 1 :]
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("kind", "path", "right", "wrong", "misspelt"),
    [
        ("form", "forms/retail/payment.json", '"format": "money"', '"format": "mony"', "mony"),
        ("form", "forms/retail/payment.json", '"required": [', '"requird": [', "requird"),  # a key
        (
            "form",
            "forms/retail/payment.json",
            '"title": "Payment method"',
            '"titel": "Payment method"',
            "titel",
        ),
        ("workflow", "workflows/retail/order.yaml", "dest: paid", "dest: piad", "piad"),
        ("workflow", "workflows/retail/order.yaml", "dest: paid", 'dest: "piad"', "piad"),
        ("workflow", "workflows/retail/order.yaml", "dest: paid", "dest: 'piad'", "piad"),
        # a misspelled name inside a condition: only that name is replaced, never the whole condition
        (
            "workflow",
            "workflows/retail/order.yaml",
            "when: order.total == 0",
            "when: ordr.total == 0",
            "ordr",
        ),
        ("rules", "rules/retail/audit.yaml", "when: 'min(pluck(", "when: 'mn(pluck(", "mn"),
        ("rules", "rules/retail/audit.yaml", "when: 'abs(sum(", "when: 'abs(summ(", "summ"),
    ],
)
def test_taking_the_suggestion_leaves_no_problem(
    app: Flask, kind: str, path: str, right: str, wrong: str, misspelt: str
) -> None:
    c = log_in(app.test_client(), "ma.li", "ma-li-password")
    original = (REPO_ROOT / path).read_text(encoding="utf-8")
    assert right in original
    text = original.replace(right, wrong, 1)
    (problem,) = validate(c, kind, path, text)
    assert problem["suggestion"] is not None
    fixed = take_fix(text, problem)
    assert validate(c, kind, path, fixed) == []
    assert fixed == original.replace(
        right, wrong.replace(misspelt, str(problem["suggestion"])), 1
    )  # quotes kept
