"""Who fires a trigger: a person with roles in some departments, or the engine itself."""

from __future__ import annotations

from dataclasses import dataclass

ALL_DEPARTMENTS = "*"


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
        return {"name": self.name, "roles": sorted(self.roles), "departments": sorted(self.departments)}


SYSTEM = Actor("system", frozenset({"system"}), frozenset({ALL_DEPARTMENTS}), is_system=True)
