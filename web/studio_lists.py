"""A department's managed lists (名单) in the studio: ``GET /studio/<department>/lists`` shows its lists
and the form to create one (``POST`` the same creates it); ``GET /studio/<department>/lists/<name>``
one list's values (``?q=`` searched after normalising as the list's kind), the forms that add a value
(``POST …/add``), remove one (``POST …/remove``) and import many (``POST …/import``, a text or CSV
pasted: every bad line named, nothing added unless all are good), and its latest changes, who made
each and when. The engine decides and records each change (``engine.api.named_lists``).

As everywhere in the studio, a department the user does not administer is a 404, and so is a list the
department does not have. A refused change draws its page again with each problem beside its field,
in the page's language (422); a change done redirects (303) to the list with what was done said.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from engine.api import Actor, translate
from engine.api.named_lists import KIND_WORDS, ListKind, ListRefused, NamedLists
from web.formdata import local_time
from web.i18n import current_lang
from web.studio_common import administered, normalised

studio_lists = Blueprint("studio_lists", __name__, url_prefix="/studio")

MAX_FIELD = 1000  # characters of a value, a note or a label taken from a form (the engine checks less)
MAX_IMPORT = 200_000  # characters of a pasted import

DONE = frozenset({"create", "add", "remove", "import"})


def say(key: str, **values: Any) -> str:
    """A word of this page (``studio.lists.<key>`` in the catalogue) in the page's language."""
    text = translate(f"studio.lists.{key}", current_lang())
    return text.format(**values) if values else text


def _lists(department: str) -> tuple[NamedLists, Actor]:
    studio, actor = administered(department)
    return NamedLists(studio.store, studio.clock), actor


def _form(name: str) -> str:
    return request.form.get(name, "")[:MAX_FIELD]


def _problems(refused: ListRefused | None) -> dict[str, list[str]]:
    """Each problem's words by the field it is about, in the page's language."""
    found: dict[str, list[str]] = {}
    for problem in refused.problems if refused is not None else ():
        found.setdefault(problem.field, []).append(problem.text(current_lang()))
    return found


def _index(
    lists: NamedLists, department: str, *, refused: ListRefused | None = None, sent: Any = None
) -> Any:
    body = render_template(
        "studio/lists.html",
        department=department,
        lists=lists.lists(department),
        uses=lists.uses(department),
        kinds=[(kind.value, KIND_WORDS[kind]) for kind in ListKind],
        kind_words=KIND_WORDS,
        problems=_problems(refused),
        sent=sent or {"name": "", "kind": ListKind.ADDRESS.value, "label_zh": "", "label_en": ""},
        done=_done(),
        say=say,
    )
    return body, 422 if refused is not None else 200


def _done() -> tuple[str, str] | None:
    done = request.args.get("done")
    return (done, request.args.get("value", "")[:MAX_FIELD]) if done in DONE else None


@studio_lists.get("/<department>/lists")
def index(department: str) -> Any:
    lists, _actor = _lists(department)
    return _index(lists, department)


@studio_lists.post("/<department>/lists")
def create(department: str) -> Any:
    lists, actor = _lists(department)
    sent = {key: _form(key) for key in ("name", "kind", "label_zh", "label_en")}
    try:
        made = lists.create(
            department, sent["name"], sent["kind"], sent["label_zh"], sent["label_en"], actor.name
        )
    except ListRefused as refused:
        return _index(lists, department, refused=refused, sent=sent)
    return redirect(url_for("studio_lists.one", department=department, name=made.name, done="create"), 303)


def _one(
    lists: NamedLists,
    department: str,
    name: str,
    *,
    refused: ListRefused | None = None,
    sent: dict[str, str] | None = None,
) -> Any:
    search = request.args.get("q", "")[:MAX_FIELD]
    try:
        shown = lists.show(department, name, search)
    except ListRefused:
        abort(404)
    body = render_template(
        "studio/list.html",
        department=department,
        shown=shown,
        kind=KIND_WORDS[shown.named.kind],
        uses=lists.uses(department).get(name, []),
        problems=_problems(refused),
        sent=sent or {"value": "", "note": "", "text": ""},
        done=_done(),
        when=local_time,
        say=say,
    )
    return body, 422 if refused is not None else 200


@studio_lists.get("/<department>/lists/<name>")
def one(department: str, name: str) -> Any:
    lists, _actor = _lists(department)
    return _one(lists, department, name)


def _known(lists: NamedLists, department: str, name: str) -> None:
    if all(found.name != name for found in lists.lists(department)):
        abort(404)


@studio_lists.post("/<department>/lists/<name>/add")
def add(department: str, name: str) -> Any:
    lists, actor = _lists(department)
    _known(lists, department, name)
    sent = {"value": _form("value"), "note": _form("note"), "text": ""}
    try:
        force = request.form.get("force") == "1"
        entry = lists.add(department, name, sent["value"], actor.name, sent["note"] or None, force=force)
    except ListRefused as refused:
        return _one(lists, department, name, refused=refused, sent=sent)
    return redirect(
        url_for("studio_lists.one", department=department, name=name, done="add", value=entry.value), 303
    )


@studio_lists.post("/<department>/lists/<name>/remove")
def remove(department: str, name: str) -> Any:
    lists, actor = _lists(department)
    _known(lists, department, name)
    try:
        entry = lists.remove(department, name, _form("value"), actor.name)
    except ListRefused as refused:
        return _one(lists, department, name, refused=refused)
    return redirect(
        url_for("studio_lists.one", department=department, name=name, done="remove", value=entry.value), 303
    )


@studio_lists.post("/<department>/lists/<name>/import")
def import_values(department: str, name: str) -> Any:
    lists, actor = _lists(department)
    _known(lists, department, name)
    text = normalised(request.form.get("text", "")[:MAX_IMPORT])
    try:
        added = lists.import_text(department, name, text, actor.name, force=request.form.get("force") == "1")
    except ListRefused as refused:
        return _one(lists, department, name, refused=refused, sent={"value": "", "note": "", "text": text})
    return redirect(
        url_for("studio_lists.one", department=department, name=name, done="import", value=str(len(added))),
        303,
    )
