"""What the studio's pages name things by (工作室的显示名称): a workflow by its title in the page's
language, a person by their display name (``engine.runtime.studio_labels``).

Every page of a department's studio gets, in its templates, ``workflow_title(name)``, ``person(login)``
(a ``Person``: the display name, and the login when it is needed to tell two people apart) and
``person_text(login)`` (the same as one string, for a sentence). The labels are read once per request,
when a template first asks, for the department of the request's address; the macros of
``studio/_labels.html`` show them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

from engine.api.studio import Person, StudioLabels, studio_labels
from web.i18n import current_lang
from web.studio_common import studio_of_app

__all__ = ["labels_of_request", "person_text", "studio_names", "workflow_title"]

studio_names = Blueprint("studio_names", __name__, url_prefix="/studio")


def labels_of_request() -> StudioLabels:
    """The labels of the request's department (none for a page of no department), read once."""
    found: StudioLabels | None = g.get("studio_labels")
    if found is None:
        department = (request.view_args or {}).get("department")
        engine = studio_of_app().engine
        found = studio_labels(engine, department) if isinstance(department, str) else StudioLabels()
        g.studio_labels = found
    return found


def workflow_title(name: str) -> str:
    """The workflow's title in the page's language (its name when none is published)."""
    return labels_of_request().workflow(name, current_lang())


def person_text(login: str | None) -> str:
    """The person as a sentence names them: "李马" or, where two share it, "李马 (ma.li)"."""
    if not login:
        return ""
    person = labels_of_request().person(login)
    return f"{person.name} ({person.login})" if person.login else person.name


@studio_names.app_context_processor
def names() -> dict[str, Any]:
    """For the studio's templates (only a studio page calls them, so no other page reads the labels)."""

    def person(login: str) -> Person:
        return labels_of_request().person(login)

    return {"workflow_title": workflow_title, "person": person, "person_text": person_text}
