"""The studio's rule console and form preview (docs/web.md, "The rule console and the form preview").

``/studio/<department>/rules/<path>`` tries a rule file of the department: its draft when it has one,
else its published text (``engine.api.studio.RuleConsole``). An admin evaluates it over an order of the
department (by number) or over data pasted as JSON or YAML, and sees the outcome with the whole
explanation (every rule's condition, whether it held, the values it compared), beside what the
published text decides when the draft changes it; the cases file beside it runs on every view, each
case passed or failed (expected against actual) with the coverage of the rules. A text with an error is
shown with its problems and nothing is evaluated. Everything works without scripts: plain forms.

``POST /studio/api/preview`` takes JSON ``{"department", "name", "text"}`` for a form (``.json``) or its
layout (``.ui.json``) and answers ``{"html": "…"}``: the form as a clerk sees it, drawn by the clerks'
renderer (``web.forms.build_view`` and the templates under ``forms/``), filled with the schema's
examples and defaults, inert (nothing posts, no script); or ``{"html": null, "problems": n}`` while
the text has ``n`` errors. The file page of a form shows the same preview under the editor
(``studio/_preview.html``), refreshed by the front end after each check of the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from markupsafe import Markup

from engine.api import Actor, order_number_text, translate
from engine.api.forms import FormValidator, OptionSourceRegistry
from engine.api.studio import (
    ConsoleFile,
    Evaluation,
    RuleConsole,
    Studio,
    form_of,
    form_preview,
    names_text,
    routing_answer,
    rule_labels,
    show_value,
)
from engine.errors import NotFound
from web.forms import CompiledForm, build_view, source_options
from web.i18n import current_lang
from web.params import ID_DIGITS, MAX_ID, whole_number
from web.studio_common import administered, normalised

studio_console = Blueprint("studio_console", __name__, url_prefix="/studio")

RECENT_ORDERS = 20  # the order numbers offered to pick from


def order_number(written: str) -> str:
    """An order number as typed, without the ``#`` the pages show, full-width forms and spaces around
    (``engine.common.order_numbers``)."""
    return order_number_text(written)


@studio_console.route("/<department>/rules/<path:path>", methods=["GET", "POST"])
def console(department: str, path: str) -> Any:
    found, actor = administered(department)
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
            shown["order"] = order_number(request.form.get("order", "")[:40])
            evaluation, shown["refusal"] = _over_order(rules, file, shown["order"], actor, lang)
            if evaluation is not None:
                shown["data"] = names_text(evaluation.names)  # the order's names, to change and try again
        else:
            shown["data"] = normalised(request.form.get("data", ""))
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
        cases=rules.run_cases(file, draft=request.args.get("cases") != "published"),
        recent=recent,
        show=show_value,
        labels=rule_labels(file.ruleset),
        routing=routing_answer,
        **shown,
    )
    return body, status


def _over_order(
    rules: RuleConsole, file: ConsoleFile, written: str, actor: Actor, lang: str
) -> tuple[Evaluation | None, str | None]:
    """The file evaluated over the order numbered ``written`` (as :func:`order_number` reads it), or
    why not (in ``lang``)."""
    number = whole_number(written, ID_DIGITS) or 0
    if number > MAX_ID:
        number = 0
    if number <= 0:
        return None, translate("studio.console.bad_order", lang).format(order=written)
    try:
        names = rules.order_names(file.department, number, actor)
    except NotFound as error:
        return None, error.message(lang)
    return rules.evaluate(file, names), None


# -- the form preview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """A form drawn for the studio: its HTML, or (``html`` None) how many errors stop it."""

    html: Markup | None
    problems: int = 0


def draw_preview(found: Studio, department: str, path: str, text: str) -> Preview | None:
    """The form ``text`` makes as ``path`` (a form or its layout), drawn as a clerk sees it in the
    request's language; None when ``path`` is no form file of ``department``."""
    services = current_app.extensions["orderloom"]
    registry: OptionSourceRegistry = services.option_sources
    preview = form_preview(found, department, path, text, registry.names, current_lang())
    if preview is None:
        return None
    if preview.layout is None:
        return Preview(None, len(preview.problems))
    compiled = CompiledForm(
        preview.folder,
        preview.name,
        preview.schema,
        preview.layout,
        FormValidator.compile(preview.schema),
    )
    options_for, close = source_options(
        registry, preview.folder, Path(services.settings.definitions_root), services.engine.reading
    )
    try:
        view = build_view(compiled, preview.layout.prepare(preview.sample), (), current_lang(), options_for)
    finally:
        close()
    view.interactive = False  # nothing in it posts: no action, no refresh, its buttons disabled
    drawn = render_template("studio/_form_preview.html", view=view, made_up=preview.made_up)
    return Preview(Markup(drawn))  # noqa: S704 - rendered by our templates, every value escaped


@studio_console.app_template_global("studio_form_preview")
def studio_form_preview(department: str, path: str, text: str) -> Preview | None:
    """For the file page of a form (``studio/_preview.html``): the preview of the text it shows."""
    return draw_preview(current_app.extensions["orderloom"].studio, department, path, text)


@studio_console.post("/api/preview")
def api_preview() -> Any:
    lang = current_lang()
    body = request.get_json(silent=True)
    if not isinstance(body, Mapping):
        return _bad(translate("studio.preview.bad_body", lang))
    fields: dict[str, str] = {}
    for name in ("department", "name", "text"):
        value = body.get(name)
        if not isinstance(value, str):
            return _bad(translate("studio.preview.bad_field", lang).format(name=name))
        fields[name] = value
    found, _ = administered(fields["department"])
    if form_of(fields["name"]) is None:
        return _bad(translate("studio.preview.not_form", lang).format(name=fields["name"]))
    drawn = draw_preview(found, fields["department"], fields["name"], normalised(fields["text"]))
    if drawn is None:
        abort(404)  # a form of another department, or none
    if drawn.html is None:
        return jsonify({"html": None, "problems": drawn.problems})
    return jsonify({"html": str(drawn.html)})


def _bad(message: str) -> Any:
    return jsonify({"error": message}), 400
