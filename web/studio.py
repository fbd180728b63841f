"""The studio (工作室, ``/studio``): where a department's admins edit its workflows, forms and rule files,
see every problem at its line, and publish (docs/web.md, "The studio").

Only a user with the role ``admin`` in a department sees that department's studio; any other address
of it is a 404, whoever asks. Every page works without scripts: the text is a plain text area, "Check"
lists the problems with their lines, "Save" keeps a draft (in the database, with its history), and
"Publish" makes the versions. With scripts, the text area becomes a CodeMirror editor that asks
``POST /studio/api/validate`` as the admin types and marks each problem at its place.

``POST /studio/api/validate`` takes JSON ``{"kind", "department", "name", "text"}`` and answers
``{"problems": [{"line", "col", "end_line", "end_col", "severity", "message", "hint", "suggestion",
"code", "kind", "path"}]}``, lines and columns from 1, the end column exclusive. A request it cannot
read is a 400 with ``{"error": …}`` naming the field; a department the user does not administer, a 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from engine.api import translate
from engine.api.studio import (
    MAX_TEXT_BYTES,
    DefinitionKind,
    FileView,
    PublishRefused,
    RollbackSubmitted,
    RuleConsole,
    SaveConflict,
    Studio,
    TextProblem,
    TextTooLarge,
    compare_texts,
    kind_of,
)
from web.auth import current_actor
from web.formdata import local_time
from web.headers import CONTENT_SECURITY_POLICY
from web.i18n import current_lang
from web.params import MAX_ID, query_number
from web.studio_common import administered, normalised, studio_of_app
from web.studio_labels import person_text, workflow_title

studio = Blueprint("studio", __name__, url_prefix="/studio")

SCHEMAS = {
    DefinitionKind.WORKFLOW: "workflow.schema.json",
    DefinitionKind.RULES: "rules.schema.json",
    DefinitionKind.UI: "ui.schema.json",
}
MAX_NOTE = 2000
# A page that draws a state diagram: the app's policy, and the inline styles Mermaid lays its drawing out
# with (a <style> element and style attributes; docs/web.md). Scripts stay this app's only.
DIAGRAM_POLICY = (
    CONTENT_SECURITY_POLICY + "; style-src-elem 'self' 'unsafe-inline'; style-src-attr 'unsafe-inline'"
)


@studio.get("/")
def index() -> Any:
    departments = studio_of_app().departments_of(current_actor())
    if not departments:
        abort(404)
    if len(departments) == 1:
        return redirect(url_for("studio.department", department=departments[0]))
    found = studio_of_app()
    waiting = {name: len(found.awaiting(name)) for name in departments}
    return render_template("studio/index.html", departments=departments, waiting=waiting)


@studio.get("/<department>/")
def department(department: str) -> Any:
    found, actor = administered(department)
    before, after = query_number("before", MAX_ID), query_number("after", MAX_ID)
    overview = found.overview(department, before=before, after=None if before is not None else after)
    return render_template(
        "studio/department.html", overview=overview, when=local_time, may_turn_off=actor.scope is None
    )


def _refused_page(template: str, refused: PublishRefused, **shown: Any) -> Any:
    reason = translate("studio.refused_change", current_lang()).format(reason=refused.message(current_lang()))
    return render_template(template, refused=reason, when=local_time, **shown), 409


@studio.post("/<department>/four-eyes")
def four_eyes(department: str) -> Any:
    found, actor = administered(department)
    try:
        found.set_four_eyes(department, request.form.get("on") == "1", actor)
    except PublishRefused as refused:
        overview = found.overview(department)
        return _refused_page("studio/department.html", refused, overview=overview, may_turn_off=False)
    return redirect(url_for("studio.department", department=department))


def _file(found: Studio, department: str, path: str) -> FileView:
    view = found.file(department, path)
    if view is None:
        abort(404)
    return view


def _editor(
    view: FileView,
    *,
    text: str | None = None,
    problems: list[TextProblem] | None = None,
    status: int = 200,
    **shown: Any,
) -> Any:
    found = studio_of_app()
    text = view.text if text is None else text
    if problems is None:
        problems = found.check(view.department, view.path, text)
    pending = view.draft is not None and view.draft.status != "published"
    together = found.companions(view.department, view.path, view.draft.text) if view.draft and pending else []
    cases = None  # a rule file's cases run over the text as saved: who approves or publishes sees them
    if view.kind is DefinitionKind.RULES:
        console = RuleConsole(found)
        checked = problems if text == view.text else None  # the saved text's problems, when shown
        opened = console.open(view.department, view.path, view=view, problems=checked)
        cases = console.run_cases(opened) if opened is not None else None
    body = render_template(
        "studio/file.html",
        diagram=found.diagram(view.department, text, current_lang())
        if view.kind is DefinitionKind.WORKFLOW
        else None,
        view=view,
        text=text,
        problems=problems,
        errors=sum(1 for p in problems if p.problem.severity == "error"),
        four_eyes=found.four_eyes(view.department),
        max_bytes=MAX_TEXT_BYTES,
        schema=SCHEMAS.get(view.kind),
        when=local_time,
        together=together,
        cases=cases,
        **shown,
    )
    headers = {"Content-Security-Policy": DIAGRAM_POLICY} if view.kind is DefinitionKind.WORKFLOW else {}
    return body, status, headers


@studio.get("/<department>/files/<path:path>")
def file(department: str, path: str) -> Any:
    found, _ = administered(department)
    return _editor(_file(found, department, path))


@studio.post("/<department>/files/<path:path>")
def file_post(department: str, path: str) -> Any:
    found, actor = administered(department)
    view = _file(found, department, path)
    lang = current_lang()
    action = request.form.get("action", "check")
    text = normalised(request.form.get("text", ""))
    revision = _whole(request.form.get("revision"))
    # The note typed for the publish travels back with every page of the form (check, save, refusal),
    # so nothing the admin typed is lost before the publish it is for.
    note = request.form.get("note", "").strip()[:MAX_NOTE]
    # Kept with the draft on each save (the field is there once a draft is), so a reload, another
    # browser and the approver find it; a form without the field leaves the draft's note as it is.
    typed_note = note if "note" in request.form else None
    if action == "check":  # the text shown back is still made from the revision it was opened at
        return _editor(view, text=text, seen_revision=revision, note=note)
    if action == "save":
        # a save of a draft waiting for approval takes it back from approval: said, never silently
        was_submitted = view.submitted and view.draft is not None and view.draft.revision == revision
        try:
            saved = found.save(department, path, text, revision, actor, typed_note)
        except (
            TextTooLarge
        ) as too_large:  # nothing saved: the text is shown back, made from the same revision
            return _editor(
                view,
                text=text,
                status=413,
                refused=too_large.message(lang),
                seen_revision=revision,
                note=note,
            )
        view = _file(found, department, path)
        if isinstance(saved, SaveConflict):
            theirs = translate("studio.conflict_theirs", lang).format(
                revision=saved.current.revision, who=person_text(saved.current.updated_by)
            )
            compared = compare_texts(
                saved.current.text, saved.refused_text, theirs, translate("studio.conflict_yours", lang)
            )
            return _editor(
                view, text=saved.refused_text, status=409, conflict=saved, compared=compared, note=note
            )
        problems = found.check(department, path, saved.text)
        errors = sum(1 for p in problems if p.problem.severity == "error")
        key = "studio.saved_with_errors" if errors else "studio.saved"
        notice = translate(key, lang).format(revision=saved.revision, n=errors)
        if was_submitted:
            notice += " " + translate("studio.saved_withdrawn", lang)
        return _editor(
            view,
            problems=problems,
            notice=notice,
            notice_warn=errors > 0 or was_submitted,  # not publishable as it is: a warning, not a success
            note=note,
        )
    if action in ("publish", "submit"):
        # The editor's text, when the form sent it: what is published is the saved revision, so an
        # edit made since is refused with the page, never dropped unsaid.
        typed = text if "text" in request.form else None
        try:
            if action == "submit":
                found.submit(department, path, revision, note, actor, typed)
                notice = translate("studio.submitted", lang)
            else:
                published = found.publish(department, path, revision, note, actor, typed)
                same = translate("studio.same_version", lang)
                versions = ", ".join(
                    f"{_titled(v.workflow)} v{v.version}{'' if v.created else same}"
                    for v in published.versions
                )
                notice = translate("studio.published_ok", lang).format(versions=versions or "—")
                if published.together:
                    notice += translate("studio.cross.published_with", lang).format(
                        paths=", ".join(published.together)
                    )
        except PublishRefused as refused:
            if typed_note is not None:  # the note typed for it stays with the draft, refused or not
                found.keep_note(department, path, revision, typed_note)
            view = _file(found, department, path)
            return _editor(
                view,
                text=typed,
                status=409,
                refused=translate("studio.refused", lang).format(reason=refused.message(lang)),
                refused_problems=refused.problems,
                must_change=refused.must_change,
                seen_revision=view.revision if typed is None else revision,
                note=note,
            )
        return _editor(_file(found, department, path), notice=notice)
    abort(400)


@studio.get("/<department>/workflows/<workflow>")
def versions(department: str, workflow: str) -> Any:
    found, _ = administered(department)
    overview = found.overview(department)
    listed = next((w for w in overview.workflows if w.name == workflow), None)
    if listed is None:
        abort(404)
    # after a rollback (its redirect): which version was published again as which
    rolled_back = (_whole(request.args.get("rolled_back")), _whole(request.args.get("as")))
    known = all(rolled_back) and any(v.version == rolled_back[1] for v in listed.versions)
    # after a rollback under four eyes: the drafts it submitted, waiting for another admin
    submitted = _whole(request.args.get("submitted"))
    waiting = found.awaiting(department) if submitted else []
    return render_template(
        "studio/versions.html",
        department=department,
        workflow=listed,
        when=local_time,
        rolled_back=rolled_back if known else None,
        submitted=submitted,
        waiting=waiting,
        rules=found.rule_files(department, workflow),
    )


@studio.post("/<department>/workflows/<workflow>/rollback")
def rollback(department: str, workflow: str) -> Any:
    found, actor = administered(department)
    version = _whole(request.form.get("version"))
    lang = current_lang()
    note = request.form.get("note", "").strip()[:MAX_NOTE] or translate("studio.rollback_note", lang).format(
        version=version
    )
    listed = next((w for w in found.overview(department).workflows if w.name == workflow), None)
    if listed is None or all(v.version != version for v in listed.versions):
        abort(404)
    try:
        done = found.rollback(department, workflow, version, note, actor)
    except PublishRefused as refused:
        return _refused_page("studio/versions.html", refused, department=department, workflow=listed)
    if isinstance(done, RollbackSubmitted):  # four eyes: drafted and submitted, another admin approves
        return redirect(
            url_for("studio.versions", department=department, workflow=workflow, submitted=done.version)
        )
    return redirect(
        url_for(
            "studio.versions",
            department=department,
            workflow=workflow,
            rolled_back=version,
            **{"as": done.version},
        )
    )


@studio.post("/api/validate")
def api_validate() -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, Mapping):
        return _bad("studio.api.not_object")
    lang = body.get("lang") if body.get("lang") in ("zh", "en") else current_lang()
    fields: dict[str, str] = {}
    for name in ("kind", "department", "name", "text"):
        value = body.get(name)
        if not isinstance(value, str):
            return _bad("studio.api.not_string", lang, name=name)
        fields[name] = value
    if fields["kind"] not in {k.value for k in DefinitionKind}:
        return _bad("studio.api.kind", lang, kinds=", ".join(k.value for k in DefinitionKind))
    found, _ = administered(fields["department"])
    path = fields["name"]
    if kind_of(path) != DefinitionKind(fields["kind"]):
        return _bad("studio.api.name", lang, name=repr(path), kind=fields["kind"])
    if not found.owns(fields["department"], path):
        abort(404)
    problems = found.check(fields["department"], path, normalised(fields["text"]))
    return jsonify({"problems": [p.to_dict(lang) for p in problems]})


@studio.post("/api/diagram")
def api_diagram() -> Any:
    """``{"department", "name", "text"}`` -> ``{"mermaid": <source> | null}``: the workflow as typed,
    each state with its orders (null while the text is not a workflow mapping)."""
    body = request.get_json(silent=True)
    if not isinstance(body, Mapping) or not all(isinstance(body.get(k), str) for k in ("department", "text")):
        return _bad("studio.api.diagram_body")
    found, _ = administered(body["department"])
    return jsonify({"mermaid": found.diagram(body["department"], normalised(body["text"]), current_lang())})


@studio.get("/<department>/workflows/<workflow>/compare")
def compare(department: str, workflow: str) -> Any:
    found, _ = administered(department)
    old, new = _whole(request.args.get("old")), _whole(request.args.get("new"))
    comparison = found.compare(department, workflow, old, new)
    if comparison is None:
        abort(404)
    return render_template("studio/compare.html", department=department, comparison=comparison)


@studio.get("/schema/<kind>.json")
def schema(kind: str) -> Any:
    """The JSON Schema the editor completes and explains a file of ``kind`` from."""
    if not studio_of_app().departments_of(current_actor()):
        abort(404)
    try:
        name = SCHEMAS[DefinitionKind(kind)]
    except (ValueError, KeyError):
        abort(404)
    text = files("engine").joinpath("schema", name).read_text(encoding="utf-8")
    return Response(text, mimetype="application/schema+json")


def _titled(workflow: str) -> str:
    """A workflow as a notice names it: its title, then its name (what the other pages show small)."""
    title = workflow_title(workflow)
    return workflow if title == workflow else f"{title} {workflow}"


def _bad(key: str, lang: str | None = None, **values: str) -> Any:
    """A 400 answer to an API call: ``{"error": …}`` in the caller's language."""
    return jsonify({"error": translate(key, lang or current_lang()).format(**values)}), 400


def _whole(value: str | None) -> int:
    try:
        number = int(value or "0")
    except ValueError:
        abort(400)
    if not 0 <= number < 2**31:
        abort(400)
    return number


@studio.app_context_processor
def studio_link() -> dict[str, Any]:
    """For the header: whether the user has the admin role, who gets the link to the studio."""

    return {
        "studio_admin": bool(current_user and current_user.is_authenticated and "admin" in current_user.roles)
    }
