"""The flow of a studio draft beyond saving and publishing (docs/web.md, "The studio"): discarding a
draft (after a confirmation), withdrawing one from approval, and the versions of a cases file.

- ``GET /studio/<department>/discard/<path>``: asks to confirm; ``POST`` (``revision``) discards the
  draft at that revision, back to the published text (its revisions stay readable). Refused (409, the
  reason in zh or en) while the draft is submitted for approval, or when it was saved since.
- ``POST /studio/<department>/send-back/<path>`` (``revision``, ``comment``): another admin returns the
  submitted draft to its writer, saying why (required), instead of approving it; recorded.
- ``POST /studio/<department>/withdraw/<path>`` (``revision``): the submitter takes the draft back from
  approval; it can then be changed, discarded or submitted again.
- ``GET /studio/<department>/cases/<path>``: every text of a cases file published from the studio,
  newest first, each readable.

Everything works without scripts: plain forms and links.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from engine.api import Actor, translate
from engine.api.studio import DefinitionKind, PublishRefused, Studio, rules_path_for
from web.formdata import local_time
from web.i18n import current_lang
from web.studio_common import administered

MAX_COMMENT = 2000  # characters of why a draft is sent back

studio_flow = Blueprint("studio_flow", __name__, url_prefix="/studio")


def _revision() -> int:
    try:
        number = int(request.form.get("revision") or "0")
    except ValueError:
        abort(400)
    if not 0 < number < 2**31:
        abort(400)
    return number


def _change(department: str, path: str, change: Callable[[Studio, Actor, int], None]) -> Any:
    """Make ``change`` to the draft of ``path`` at the posted revision, then back to the file page; a
    refused change shows the discard page saying why (409)."""
    found, actor = administered(department)
    if found.file(department, path) is None:
        abort(404)
    try:
        change(found, actor, _revision())
    except PublishRefused as refused:
        reason = translate("studio.refused_change", current_lang()).format(
            reason=refused.message(current_lang())
        )
        return render_template(
            "studio/discard.html", view=found.file(department, path), refused=reason, when=local_time
        ), 409
    return redirect(url_for("studio.file", department=department, path=path))


@studio_flow.route("/<department>/discard/<path:path>", methods=["GET", "POST"])
def discard(department: str, path: str) -> Any:
    if request.method == "GET":
        found, _ = administered(department)
        view = found.file(department, path)
        if view is None:
            abort(404)
        return render_template("studio/discard.html", view=view, when=local_time)
    return _change(
        department, path, lambda found, actor, revision: found.discard(department, path, revision, actor)
    )


@studio_flow.post("/<department>/withdraw/<path:path>")
def withdraw(department: str, path: str) -> Any:
    return _change(
        department, path, lambda found, actor, revision: found.withdraw(department, path, revision, actor)
    )


@studio_flow.post("/<department>/send-back/<path:path>")
def send_back(department: str, path: str) -> Any:
    """An approver returns the submitted draft to its writer with why (``comment``)."""
    comment = request.form.get("comment", "").strip()[:MAX_COMMENT]
    return _change(
        department,
        path,
        lambda found, actor, revision: found.send_back(department, path, revision, comment, actor),
    )


@studio_flow.get("/<department>/cases/<path:path>")
def cases_versions(department: str, path: str) -> Any:
    found, _ = administered(department)
    versions = found.text_versions(department, path)
    if versions is None:
        abort(404)
    return render_template(
        "studio/cases_versions.html",
        department=department,
        path=path,
        rules=rules_path_for(path),
        versions=versions,
        kind=DefinitionKind.CASES,
        when=local_time,
    )


@studio_flow.app_template_global("rules_path_for")
def rules_path(cases: str) -> str:
    """For the file page of a cases file: the rule file its cases test (its console's address)."""
    return rules_path_for(cases)
