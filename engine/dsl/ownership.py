"""Who writes each top-level field of a workflow's order data, read from its definition.

* **The order's own** fields are those a new order is filled in with: what its intake forms ask (not
  ``readOnly``), or, for a workflow without intake forms, what its data form declares. A step whose form
  declares one of them changes it (a corrected address), and every later step reads the new value.
* **The engine's** fields (``owned``) are those the workflow's actions declare they write
  (``engine.plugins.writes``), its rule files output (routing's ``warehouse``, ``carrier``, ``split``; a
  decision table's outputs) and its data form marks ``readOnly``, unless an intake form asks for them
  (wholesale's ``payment_method``, which ``payments.capture`` records again). No submitted data writes
  one: a new order's data may not hold one, and a step's form may send one only to an action of that
  same step that writes it (a waybill number the carrier issued, for ``logistics.waybill``), which then
  decides what the order keeps.
* **A step's** fields (``step_fields``) are those only transition forms declare (a parcel, a refund
  amount, a payment's amount): the data of the step that sends them. They stay on the order, where
  conditions and pages read them, but the actions of another step never see them: a parcel shipped
  once is not what a later step ships.

``engine.runtime.compiled`` holds the result for each published version; ``engine.dsl.checks`` refuses
a transition form that declares an engine's field no action of its transition writes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.common.text import Text
from engine.rules.facts import ruleset_outputs


@dataclass(frozen=True)
class StepFlow:
    """What one transition names that bears on the order's data: its actions, its rule file (parsed,
    with its path), its form."""

    actions: Sequence[str]
    rules: Mapping[str, Any] | None = None
    rules_path: str = ""
    form: Mapping[str, Any] | None = None  # the form's JSON Schema


@dataclass(frozen=True)
class DataOwnership:
    """The engine's fields, each with who owns it (in both languages), and the steps' fields."""

    owned: Mapping[str, Text]
    step_fields: frozenset[str]

    def inputs(self, step: StepFlow, writes: Mapping[str, Collection[str]]) -> frozenset[str]:
        """The engine's fields ``step``'s form may send: those an action of ``step`` writes."""
        if step.form is None:
            return frozenset()
        written = {name for action in step.actions for name in writes.get(action, ())}
        return frozenset(name for name in form_fields(step.form) if name in self.owned and name in written)


def form_fields(schema: Mapping[str, Any]) -> frozenset[str]:
    """A form's top-level fields: the keys of its ``properties``."""
    declared = schema.get("properties")
    return frozenset(declared) if isinstance(declared, Mapping) else frozenset()


def read_only_fields(schema: Mapping[str, Any]) -> frozenset[str]:
    """The top-level fields a form marks ``readOnly: true``."""
    declared = schema.get("properties")
    if not isinstance(declared, Mapping):
        return frozenset()
    return frozenset(
        name
        for name, field_schema in declared.items()
        if isinstance(field_schema, Mapping) and field_schema.get("readOnly") is True
    )


def data_ownership(
    steps: Iterable[StepFlow],
    data_form: tuple[str, Mapping[str, Any]] | None,
    intake_forms: Iterable[Mapping[str, Any]],
    writes: Mapping[str, Collection[str]],
) -> DataOwnership:
    """Who writes each field (see the module's docstring). ``writes``: action -> the fields it declares
    it writes (``PluginRegistry.action_writes``); an action missing from it is taken to write nothing."""
    steps = list(steps)
    asked: set[str] = set()
    intakes = list(intake_forms)
    for schema in intakes:
        asked.update(form_fields(schema) - read_only_fields(schema))
    owners: dict[str, Text] = {}
    for step in steps:
        for action in step.actions:
            for name in sorted(writes.get(action, ())):
                owners.setdefault(name, Text(f"由动作 {action} 写入", f"written by the action {action}"))
        if step.rules is not None:
            where = step.rules_path
            for name in ruleset_outputs(step.rules):
                owners.setdefault(name, Text(f"由规则 {where} 写入", f"written by the rules {where}"))
    if data_form is not None:
        path, schema = data_form
        for name in sorted(read_only_fields(schema)):
            owners.setdefault(name, Text(f"在 {path} 中只读", f"read-only in {path}"))
    owned = {name: owner for name, owner in owners.items() if name not in asked}
    created = asked if intakes else set(form_fields(data_form[1]) if data_form is not None else ())
    sent = {name for step in steps if step.form is not None for name in form_fields(step.form)}
    return DataOwnership(owned, frozenset(sent - created - set(owned)))
