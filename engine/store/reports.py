"""Read-only summaries over the order tables (the home page, the CLI)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import func, select

from engine.dsl.compiler import Bundle, compile_bundle
from engine.dsl.spec import Text
from engine.store.store import Store
from engine.store.tables import STATE_JOIN, orders, workflow_versions


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
    newest = (
        select(workflow_versions.c.workflow, func.max(workflow_versions.c.version).label("version"))
        .group_by(workflow_versions.c.workflow)
        .subquery()
    )
    versions_query = select(
        workflow_versions.c.department,
        workflow_versions.c.workflow,
        workflow_versions.c.version,
        workflow_versions.c.bundle,
    ).join(
        newest,
        (newest.c.workflow == workflow_versions.c.workflow)
        & (newest.c.version == workflow_versions.c.version),
    )
    counts_query = select(orders.c.workflow, orders.c.state, func.count()).group_by(
        orders.c.workflow, orders.c.state
    )
    if departments is not None:
        versions_query = versions_query.where(workflow_versions.c.department.in_(list(departments)))
        counts_query = counts_query.where(orders.c.department.in_(list(departments)))
    rows: dict[str, WorkflowCount] = {}
    with store.engine.connect() as connection:
        for department, workflow, version, bundle in connection.execute(versions_query):
            spec = compile_bundle(Bundle.from_json(bundle["bundle"]), int(version))
            rows[workflow] = WorkflowCount(
                department=department,
                workflow=workflow,
                version=int(version),
                title_zh=spec.title.zh,
                title_en=spec.title.en,
                labels={state.name: state.label for state in spec.states},
            )
        for workflow, state, count in connection.execute(counts_query):
            if workflow in rows:
                rows[workflow].by_state.append((state, int(count)))
                rows[workflow].total += int(count)
    for row in rows.values():
        row.by_state.sort(key=lambda item: (-item[1], item[0]))
    return sorted(rows.values(), key=lambda r: (r.department, r.workflow))
