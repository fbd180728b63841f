"""Moving a workflow's running orders onto another of its versions, from the studio (docs/web.md,
"Migrating running orders").

- ``GET /studio/<department>/workflows/<workflow>/migrate?to=N[&from=V][&map=old=new…]``: the plan of
  ``orderloom migrate --dry-run``: who moves, who stays and why, the state map with its counts, a
  choice of new state for each state the target lacks; nothing is written.
- ``POST …/migrate`` (``to``, ``from``, ``map``, ``batch``): moves the first batch (one transaction,
  recorded in the studio's record in that transaction) and goes to the run's page; nothing to move
  draws the plan again.
- ``GET …/migrate/runs/<run>``: how far the run is ("n of m"), and a form that moves the next batch.
- ``POST …/migrate/runs/<run>`` (``batch``): moves the next batch. Without scripts it goes to the run's
  page again (a plain form per batch); an htmx request gets the run's part of that page, whose form
  asks for the next batch as soon as it is shown, until none is left (the run's page with ``?go=1``
  starts that chain; without it the admin presses the button).

A value that is not what it should be (a version that is not a number, a mapping not written
``old=new``, a batch out of range) is a 400 naming it; a mapping or a version the engine refuses, a
400 with its reason; an order that changed while its batch ran leaves nothing of that batch written
and says so (409, or the run's part of the page for htmx, which does not show an error answer).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from engine.api import Actor, translate
from engine.api.studio import DEFAULT_BATCH, MAX_BATCH, MigrationRun, MigrationView, Studio
from engine.errors import ConflictError, EngineError, NotFound
from web.formdata import local_time
from web.i18n import current_lang
from web.params import whole_number
from web.studio_common import administered

studio_migrate = Blueprint("studio_migrate", __name__, url_prefix="/studio")


class BadInput(Exception):
    """A value of the request that is not what it should be, worded for the page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.text = message


@studio_migrate.get("/<department>/workflows/<workflow>/migrate")
def plan(department: str, workflow: str) -> Any:
    found, actor = administered(department)
    lang = current_lang()
    try:
        to_version, from_version, mapping = _target(request.args, lang)
        view = found.migration_plan(
            department, workflow, to_version, actor, from_version=from_version, mapping=mapping
        )
    except BadInput as bad:
        return _refused(department, workflow, bad.text, 400)
    except NotFound as error:
        return _refused(department, workflow, error.message(lang), 404)
    except EngineError as error:
        return _refused(department, workflow, error.message(lang), 400)
    if view is None:
        abort(404)
    return _plan_page(view, DEFAULT_BATCH)


@studio_migrate.post("/<department>/workflows/<workflow>/migrate")
def start(department: str, workflow: str) -> Any:
    found, actor = administered(department)
    lang = current_lang()
    try:
        to_version, from_version, mapping = _target(request.form, lang)
        batch = _batch(request.form.get("batch"), lang)
        run = found.start_migration(
            department, workflow, to_version, actor, from_version=from_version, mapping=mapping, batch=batch
        )
    except BadInput as bad:
        return _refused(department, workflow, bad.text, 400)
    except NotFound as error:
        return _refused(department, workflow, error.message(lang), 404)
    except ConflictError as error:
        return _refused(department, workflow, error.message(lang), 409)
    except EngineError as error:
        return _refused(department, workflow, error.message(lang), 400)
    if run is None:  # nothing could move (or the workflow is not the department's): the plan again
        view = found.migration_plan(
            department, workflow, to_version, actor, from_version=from_version, mapping=mapping
        )
        if view is None:
            abort(404)
        return _plan_page(view, batch, notice=translate("studio.migrate.nothing", lang)), 409
    return redirect(
        url_for("studio_migrate.run", department=department, workflow=workflow, run=run.id, go=1), 303
    )


@studio_migrate.get("/<department>/workflows/<workflow>/migrate/runs/<id:run>")
def run(department: str, workflow: str, run: int) -> Any:
    found, actor = administered(department)
    shown = found.migration_run(department, workflow, run, actor)
    if shown is None:
        abort(404)
    return _run_page(shown, going=request.args.get("go") == "1")


@studio_migrate.post("/<department>/workflows/<workflow>/migrate/runs/<id:run>")
def next_batch(department: str, workflow: str, run: int) -> Any:
    found, actor = administered(department)
    lang = current_lang()
    htmx = request.headers.get("HX-Request") == "true"
    try:
        batch = _batch(request.form.get("batch"), lang)
    except BadInput as bad:
        return _run_or_404(found, department, workflow, run, actor, refused=bad.text, status=400)
    try:
        shown = found.continue_migration(department, workflow, run, actor, batch)
    except ConflictError as error:  # nothing of the batch was written: the next one tries again
        refused = translate("studio.migrate.conflict", lang) + " " + error.message(lang)
        return _run_or_404(
            found, department, workflow, run, actor, refused=refused, status=200 if htmx else 409, batch=batch
        )
    except EngineError as error:
        return _run_or_404(found, department, workflow, run, actor, refused=error.message(lang), status=400)
    if shown is None:
        abort(404)
    if htmx:  # the run's part of the page, asking for the next batch at once while one is left
        return _run_page(shown, going=True, batch=batch)
    return redirect(url_for("studio_migrate.run", department=department, workflow=workflow, run=run), 303)


def _run_or_404(
    found: Studio,
    department: str,
    workflow: str,
    run: int,
    actor: Actor,
    *,
    refused: str,
    status: int,
    batch: int = DEFAULT_BATCH,
) -> Any:
    shown = found.migration_run(department, workflow, run, actor)
    if shown is None:
        abort(404)
    return _run_page(shown, going=False, batch=batch, refused=refused), status


def _run_page(
    shown: MigrationRun, *, going: bool, batch: int | None = None, refused: str | None = None
) -> Any:
    last = shown.last_batch.detail.get("batch")
    return render_template(
        "studio/migrate_run.html",
        run=shown,
        going=going and not shown.done,
        batch=batch or (last if isinstance(last, int) else DEFAULT_BATCH),
        refused=refused,
        when=local_time,
    )


def _plan_page(view: MigrationView, batch: int, notice: str | None = None) -> Any:
    return render_template(
        "studio/migrate.html",
        plan=view,
        department=view.department,
        workflow=view.workflow,
        batch=batch,
        notice=notice,
    )


def _refused(department: str, workflow: str, reason: str, status: int) -> Any:
    page = render_template(
        "studio/migrate.html", plan=None, department=department, workflow=workflow, refused=reason
    )
    return page, status


def _target(values: Any, lang: str) -> tuple[int, int | None, dict[str, str]]:
    """``to``, ``from`` (optional) and the ``map`` entries of a request; ``BadInput`` naming the one
    that is not right."""
    to_version = _version(values.get("to"), "to", lang)
    if to_version is None:
        raise BadInput(translate("studio.migrate.bad_version", lang).format(field="to", value=""))
    from_version = _version(values.get("from"), "from", lang)
    mapping: dict[str, str] = {}
    for item in values.getlist("map"):
        item = item.strip()
        if not item:
            continue  # a state left unmapped
        old, sep, new = item.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new:
            raise BadInput(translate("studio.migrate.bad_map", lang).format(value=item))
        if old in mapping:
            raise BadInput(
                translate("studio.migrate.map_twice", lang).format(state=old, first=mapping[old], second=new)
            )
        mapping[old] = new
    return to_version, from_version, mapping


def _version(value: str | None, field: str, lang: str) -> int | None:
    """A version number written in ``field``; None when the field is empty."""
    value = (value or "").strip()
    if not value:
        return None
    number = whole_number(value, 9)
    if number is None or number < 1:
        raise BadInput(translate("studio.migrate.bad_version", lang).format(field=field, value=value))
    return number


def _batch(value: str | None, lang: str) -> int:
    value = (value or "").strip()
    if not value:
        return DEFAULT_BATCH
    number = whole_number(value, len(str(MAX_BATCH)))
    if number is None or not 1 <= number <= MAX_BATCH:
        raise BadInput(translate("studio.migrate.bad_batch", lang).format(max=MAX_BATCH, value=value))
    return number
