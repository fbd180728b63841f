"""The studio's rule console (docs/web.md, "The rule console and the form preview").

``/studio/<department>/rules/<path>`` tries a rule file of the department: its draft when it has one,
else its published text (``engine.api.studio.RuleConsole``). An admin evaluates it over an order of the
department (by number) or over data pasted as JSON or YAML, and sees the outcome with the whole
explanation (every rule's condition, whether it held, the values it compared), beside what the
published text decides when the draft changes it; the cases file beside it runs on every view, each
case passed or failed (expected against actual) with the coverage of the rules. A text with an error is
shown with its problems and nothing is evaluated. Everything works without scripts: plain forms.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request

from engine.api import Actor, translate
from engine.api.studio import (
    ConsoleFile,
    Evaluation,
    RuleConsole,
    names_text,
    show_value,
)
from engine.errors import NotFound
from web.i18n import current_lang
from web.studio import _department, _normalised

studio_console = Blueprint("studio_console", __name__, url_prefix="/studio")

RECENT_ORDERS = 20  # the order numbers offered to pick from


@studio_console.route("/<department>/rules/<path:path>", methods=["GET", "POST"])
def console(department: str, path: str) -> Any:
    found, actor = _department(department)
    rules = RuleConsole(found)
    file = rules.open(department, path)
    if file is None:
        abort(404)
    lang = current_lang()
    shown: dict[str, Any] = {"order": "", "data": "", "refusal": None, "data_problems": []}
    evaluation: Evaluation | None = None
    status = 200
    if request.method == "POST":
        action = request.form.get("action")
        if action not in ("order", "data"):
            abort(400)
        if file.ruleset is None:  # errors in the text, or a kind that decides nothing over one order
            shown["refusal"] = translate("studio.console.cannot_try", lang)
            status = 409
        elif action == "order":
            shown["order"] = request.form.get("order", "").strip()[:40]
            evaluation, shown["refusal"] = _over_order(rules, file, shown["order"], actor, lang)
            if evaluation is not None:
                shown["data"] = names_text(evaluation.names)  # the order's names, to change and try again
        else:
            shown["data"] = _normalised(request.form.get("data", ""))
            names, shown["data_problems"] = rules.pasted_names(shown["data"], actor)
            evaluation = rules.evaluate(file, names) if names is not None else None
        if status == 200 and evaluation is None:
            status = 422  # the order or the data cannot be used: said beside its field
    recent = found.engine.list_orders(actor, department=department, limit=RECENT_ORDERS)
    body = render_template(
        "studio/console.html",
        file=file,
        evaluation=evaluation,
        names=names_text(evaluation.names) if evaluation is not None else "",
        cases=rules.run_cases(file),
        recent=recent,
        show=show_value,
        **shown,
    )
    return body, status


def _over_order(
    rules: RuleConsole, file: ConsoleFile, written: str, actor: Actor, lang: str
) -> tuple[Evaluation | None, str | None]:
    """The file evaluated over the order numbered ``written``, or why not (in ``lang``)."""
    number = int(written) if written.isascii() and written.isdigit() else 0
    if number <= 0:
        return None, translate("studio.console.bad_order", lang).format(order=written)
    try:
        names = rules.order_names(file.department, number, actor)
    except NotFound as error:
        return None, error.message(lang)
    return rules.evaluate(file, names), None
