"""The home page's summary: every published workflow with its title, its states' labels and its order
counts by state.

The counts are the store's (``engine.store.reports.state_counts``: exact, kept off the step's path);
the titles and labels come from compiling the newest published version of each workflow, which is why
this lives above the store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

from engine.dsl.compiler import Bundle, compile_bundle
from engine.dsl.spec import Text
from engine.store import STATE_JOIN, Store
from engine.store.reports import state_counts
from engine.store.versions import newest_bundles


@dataclass
class WorkflowCount:
    department: str
    workflow: str
    version: int  # the newest published version
    title_zh: str
    title_en: str
    total: int = 0
    by_state: list[tuple[str, int]] = field(default_factory=list)
    labels: dict[str, Text] = field(default_factory=dict)  # state -> label of the newest version

    def label(self, state: str, lang: str) -> str:
        """A state's label; an order in a parallel state shows one label per region."""
        parts = state.split(STATE_JOIN)
        return " | ".join(self.labels[p].get(lang) if p in self.labels else p for p in parts)


def order_counts(store: Store, departments: Collection[str] | None = None) -> list[WorkflowCount]:
    """Every published workflow (in the given departments, or all) with its order counts by state."""
    with store.read() as tx:
        published = newest_bundles(tx.connection, departments)
    rows: dict[str, WorkflowCount] = {}
    for newest in published:
        spec = compile_bundle(Bundle.from_json(newest.bundle), newest.version)
        rows[newest.workflow] = WorkflowCount(
            department=newest.department,
            workflow=newest.workflow,
            version=newest.version,
            title_zh=spec.title.zh,
            title_en=spec.title.en,
            labels={state.name: state.label for state in spec.states},
        )
    # A workflow whose newer version moved to another department has orders in both: one count per state.
    by_state: dict[str, Counter[str]] = {workflow: Counter() for workflow in rows}
    for (_department, workflow, state), count in state_counts(store, departments).items():
        if workflow in rows:
            by_state[workflow][state] += count
    for workflow, row in rows.items():
        row.by_state = sorted(by_state[workflow].items(), key=lambda item: (-item[1], item[0]))
        row.total = sum(by_state[workflow].values())
    return sorted(rows.values(), key=lambda r: (r.department, r.workflow))


__all__ = ["WorkflowCount", "order_counts"]
