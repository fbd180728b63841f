"""Who fires a trigger: a person with roles in some departments, or the engine itself."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from engine.dsl.spec import ALL_DEPARTMENTS

__all__ = ["ALL_DEPARTMENTS", "SYSTEM", "Actor"]


@dataclass(frozen=True)
class Actor:
    name: str
    roles: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    is_system: bool = False  # timers and automatic transitions: no role check

    def in_department(self, department: str) -> bool:
        return ALL_DEPARTMENTS in self.departments or department in self.departments

    @property
    def scope(self) -> frozenset[str] | None:
        """The departments this actor sees; None means all of them."""
        return None if ALL_DEPARTMENTS in self.departments else self.departments

    def as_env(self) -> dict[str, object]:
        """The actor as conditions see it (a fresh dict: the caller may change it)."""
        return {"name": self.name, "roles": [*self._sorted[0]], "departments": [*self._sorted[1]]}

    @functools.cached_property
    def _sorted(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(sorted(self.roles)), tuple(sorted(self.departments))


SYSTEM = Actor("system", frozenset({"system"}), frozenset({ALL_DEPARTMENTS}), is_system=True)
