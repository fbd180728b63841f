"""The studio's form preview (表单预览): a form's text, as an admin types it, read into the form clerks
would see once it is published.

A form is two files side by side: its data schema (``forms/<folder>/<name>.json``) and its layout
(``<name>.ui.json``). The text of either is read together with the other file as a publish of the text
would read it: as it is published, with the department's other drafts over it (``Studio.as_published``
with ``Studio.other_drafts``: a draft of the other file is published with the text).
Nothing is drawn while the text has an error (the studio's checks, each problem at its line), nor when
the other file stops the form from loading. The data it is shown with comes from the schema: its
``examples``, then its defaults and fixed values (``FormLayout.sample``), then, for each field still
empty, a sample value made from its schema (``engine.forms.sample``; the fields so filled are named, for
the page to say they hold sample data). Drawing it is the web app's, with the renderer of the clerks'
pages.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from engine.dsl.texts import DefinitionKind, kind_of
from engine.errors import DefinitionError, Problem, Severity
from engine.forms.checks import read_form
from engine.forms.sample import fill_samples
from engine.forms.ui import UI_SUFFIX, FormLayout
from engine.runtime.studio import Studio

__all__ = ["FormPreview", "form_of", "form_preview"]


@dataclass(frozen=True)
class FormPreview:
    """A form read from a text being edited: its schema, layout and sample data, or (``layout`` None)
    the errors that stop it from being drawn."""

    path: str  # the form's data schema file: forms/<folder>/<name>.json
    problems: Sequence[Problem] = ()
    schema: Mapping[str, Any] = field(default_factory=dict)
    layout: FormLayout | None = None
    sample: Mapping[str, Any] = field(default_factory=dict)
    made_up: tuple[str, ...] = ()  # the fields whose sample value was made from the schema

    @property
    def folder(self) -> str:
        """The department's folder the form sits in (``retail``, ``after-sales``)."""
        return PurePosixPath(self.path).parent.name

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name[: -len(".json")]


def form_of(path: str) -> str | None:
    """The data schema file of a form file or of its layout file; None for another kind of file."""
    kind = kind_of(path)
    if kind is DefinitionKind.UI:
        return path[: -len(UI_SUFFIX)] + ".json"
    return path if kind is DefinitionKind.FORM else None


def form_preview(
    studio: Studio,
    department: str,
    path: str,
    text: str,
    sources: Collection[str] | None = None,
    lang: str = "zh",
) -> FormPreview | None:
    """The form ``text`` makes as the file ``path`` of ``department`` (its data schema or its layout);
    None when ``path`` is neither of a form of the department. ``sources``: the option sources a
    layout may name; ``lang``: the language of the sample texts made up."""
    form = form_of(path)
    if form is None or not studio.owns(department, path):
        return None
    errors = [p.problem for p in studio.check(department, path, text) if p.problem.severity == Severity.ERROR]
    if errors:
        return FormPreview(form, errors)
    with studio.as_published({**studio.other_drafts(department, path), path: text}):
        try:
            schema, layout = read_form(studio.root / form, form, sources)
        except DefinitionError as error:
            return FormPreview(form, error.problems)
    sample, made_up = fill_samples(layout.fields, schema, layout.sample(schema), lang)
    return FormPreview(form, (), schema, layout, sample, made_up)
