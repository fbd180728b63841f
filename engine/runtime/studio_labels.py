"""What the studio's pages name things by (工作室的显示名称): a workflow by its title in the page's
language, a person by their display name. Codes (``retail-order``, ``ma.li``) stay beside them, small,
where an admin needs them: a login where two people share a display name, a workflow's name where the
title alone would not say which file it is."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.common.text import Text
from engine.errors import EngineError
from engine.runtime.engine import Engine
from engine.store.users import display_names
from engine.store.versions import newest_versions

__all__ = ["Person", "StudioLabels", "studio_labels"]


@dataclass(frozen=True)
class Person:
    """How a page names a person: the display name, and the login when it is needed to tell them apart
    (another user has the same display name) — None when the display name says who alone."""

    name: str
    login: str | None


@dataclass(frozen=True)
class StudioLabels:
    """The titles of the workflows (name -> title) and the display names of the users (login -> name)
    that a department's studio pages show."""

    workflows: Mapping[str, Text] = field(default_factory=dict)
    people: Mapping[str, str] = field(default_factory=dict)

    def workflow(self, name: str, lang: str) -> str:
        """The workflow's title in ``lang``; its name when it has no published version to read one from."""
        title = self.workflows.get(name)
        return title.get(lang) if title is not None else name

    def person(self, login: str) -> Person:
        """The display name of ``login``, with the login when another user shares that display name or
        the display name differs from it only in looks; a login no user has (deleted, or a command of
        the CLI) as it is."""
        shown = self.people.get(login)
        if shown is None or not shown.strip():
            return Person(login, None)
        if shown == login:
            return Person(shown, None)
        shared = Counter(self.people.values())[shown] > 1 or shown in self.people
        return Person(shown, login if shared else None)


def studio_labels(engine: Engine, department: str) -> StudioLabels:
    """The labels of ``department``'s studio pages, read in one transaction: the title of the newest
    version of each of its workflows, and every user's display name (the record names admins of every
    department too)."""
    parts = engine.parts
    with parts.store.read() as tx:
        titles: dict[str, Text] = {}
        for _department, workflow, version in newest_versions(tx.connection, [department]):
            try:
                titles[workflow] = parts.compiled(tx, workflow, version).spec.title
            except EngineError:  # a version this OrderLoom cannot read: the page names it by its name
                continue
        return StudioLabels(titles, display_names(tx))
