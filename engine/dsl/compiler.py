"""From checked definition files to a ``Bundle`` (what is published) and a frozen ``WorkflowSpec``.

``load_bundle`` reads a workflow (overlays applied) with the forms and rule files it names and raises
``DefinitionError`` with every problem. ``compile_bundle`` is pure: no file is read, so a stored
bundle compiles to the same spec on any machine.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from engine.common.text import Text
from engine.dsl.checks import check_workflow, discover_with_problems
from engine.dsl.loader import load_file, shown_path
from engine.dsl.spec import (
    ANY_SOURCE,
    PREVIOUS_STATE,
    SCHEMA_VERSION,
    SEPARATOR,
    ApprovalSpec,
    ApprovalTimeoutSpec,
    ApproverSpec,
    OriginalOrderSpec,
    RecordKindSpec,
    RegionSpec,
    StateSpec,
    TimerSpec,
    TransitionSpec,
    WorkflowSpec,
    predecessors,
)
from engine.errors import DefinitionError, Problem

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def canonical_json(value: Any) -> str:
    """The one JSON text of a value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Bundle:
    """A resolved workflow with the contents of every form and rule file it names."""

    workflow: Mapping[str, Any]
    forms: Mapping[str, Mapping[str, Any]]
    rulesets: Mapping[str, Mapping[str, Any]]
    source_path: str = "<string>"
    # form path -> the form's UI file (layout, conditions, computed fields), for forms that have one
    layouts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def content(self) -> dict[str, Any]:
        """What the hash covers: the definition itself, not where its file happened to be. ``layouts``
        only when there are some, so a bundle without UI files hashes as it did before they existed."""
        content = {
            "schema_version": SCHEMA_VERSION,
            "workflow": self.workflow,
            "forms": self.forms,
            "rulesets": self.rulesets,
        }
        if self.layouts:
            content["layouts"] = self.layouts
        return content

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.content()).encode("utf-8")).hexdigest()

    @property
    def name(self) -> str:
        return str(self.workflow["workflow"])

    @property
    def department(self) -> str:
        return str(self.workflow["department"])

    def to_json(self) -> str:
        """For storage: keys keep their written order (the order of states is shown to people)."""
        document = {**self.content(), "source_path": self.source_path}
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes | Mapping[str, Any]) -> Bundle:
        data: Mapping[str, Any] = json.loads(text) if isinstance(text, str | bytes) else text
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"stored bundle has schema_version {version!r}; this engine reads {SCHEMA_VERSION}"
            )
        return cls(
            workflow=dict(data["workflow"]),
            forms=dict(data.get("forms") or {}),
            rulesets=dict(data.get("rulesets") or {}),
            source_path=str(data.get("source_path", "<string>")),
            layouts=dict(data.get("layouts") or {}),
        )


def discover(root: Path) -> dict[str, Path]:
    """Workflow name -> file among ``root/workflows/**/*.y*ml``; ``DefinitionError`` on a duplicate name."""
    found, problems = discover_with_problems(root)
    if problems:
        raise DefinitionError(problems)
    return found


def load_bundle(
    path: Path,
    root: Path,
    *,
    action_names: Collection[str] | None = None,
    workflows: Mapping[str, Path] | None = None,
    action_writes: Mapping[str, Collection[str]] | None = None,
) -> Bundle:
    """Read and check a workflow file; ``DefinitionError`` carries every problem found (warnings, such
    as a field an open form does not declare, are ``orderloom validate``'s to report and do not count).

    ``workflows`` (name -> file) is where ``extends`` looks; by default ``discover(root)``.
    ``action_writes`` is what each action declares it writes (``PluginRegistry.action_writes``).
    """
    not_a_workflow = _not_a_workflow(path, root)
    if not_a_workflow:
        raise DefinitionError([not_a_workflow])
    checked = check_workflow(
        path, root, action_names=action_names, workflows=workflows, action_writes=action_writes
    )
    if checked.problems or checked.workflow is None:
        raise DefinitionError(checked.problems)
    return Bundle(
        workflow=checked.workflow,
        forms=dict(sorted(checked.forms.items())),
        rulesets=dict(sorted(checked.rulesets.items())),
        source_path=shown_path(path, root),
        layouts=dict(sorted(checked.layouts.items())),
    )


def _not_a_workflow(path: Path, root: Path) -> Problem | None:
    """A form or rule file given where a workflow is expected, said plainly."""
    shown = shown_path(path, root)
    hint = Text(
        "请发布引用它的工作流；它的表单和规则文件会随工作流一起发布",
        "publish the workflow that names it; its forms and rule files are published with it",
    )
    if path.suffix == ".json":
        words = Text("这是表单，不是工作流", "this is a form, not a workflow")
        return Problem(words, shown, 1, 1, "$", hint, "not-a-workflow")
    tree, _, problems = load_file(path, shown, "yaml")
    if not problems and isinstance(tree, dict) and "ruleset" in tree and "workflow" not in tree:
        words = Text("这是规则文件，不是工作流", "this is a rule file, not a workflow")
        return Problem(words, shown, 1, 1, "$", hint, "not-a-workflow")
    return None


def dependents(root: Path, names: Collection[str]) -> dict[str, Path]:
    """The workflows that extend any of ``names``, directly or through other overlays."""
    extends: dict[str, str] = {}
    found, _ = discover_with_problems(root)
    for name, path in found.items():
        tree, _, problems = load_file(path, shown_path(path, root), "yaml")
        if not problems and isinstance(tree, dict) and isinstance(tree.get("extends"), str):
            extends[name] = tree["extends"]
    wanted = set(names)
    result: dict[str, Path] = {}
    changed = True
    while changed:
        changed = False
        for name, base in extends.items():
            if base in wanted and name not in result and name not in names:
                result[name] = found[name]
                wanted.add(name)
                changed = True
    return dict(sorted(result.items()))


# --- compiling -------------------------------------------------------------------------------------


def duration_seconds(text: str) -> int:
    """``45s``, ``30m``, ``2h``, ``7d`` -> seconds."""
    return int(text[:-1]) * _SECONDS[text[-1]]


def _text(value: Mapping[str, Any] | None, default: str) -> Text:
    if not value:
        return Text(default, default)
    return Text(str(value["zh"]), str(value["en"]))


def _timers(state: Mapping[str, Any]) -> tuple[TimerSpec, ...]:
    return tuple(
        TimerSpec(
            after_seconds=duration_seconds(timer["after"]) if "after" in timer else None,
            trigger=timer["trigger"],
            reason=timer.get("reason"),
            when=timer.get("when"),
            expected=timer.get("expected") is True,
            at=timer.get("at"),
        )
        for timer in state.get("timers") or []
    )


def _approver(approver: Mapping[str, Any]) -> ApproverSpec:
    """``{role: r}``, ``{user: u}`` or ``{expr: e}``, the last with who signs instead (``else``)."""
    fallback = approver.get("else")
    kind, value = next((k, v) for k, v in approver.items() if k != "else")
    return ApproverSpec(kind, str(value), _approver(fallback) if fallback else None)


def _approval(state: Mapping[str, Any]) -> ApprovalSpec | None:
    approval = state.get("approval")
    if not approval:
        return None
    timeout = approval.get("timeout")
    return ApprovalSpec(
        approvers=tuple(_approver(approver) for approver in approval["approvers"]),
        sign=approval.get("sign", "any"),
        approve=approval["approve"],
        decline=approval.get("decline"),
        return_to=tuple(approval.get("return_to") or ()),
        timeout=None
        if not timeout
        else ApprovalTimeoutSpec(
            after_seconds=duration_seconds(timeout["after"]),
            then=timeout["then"],
            return_to=timeout.get("return_to"),
            escalate_to=(timeout.get("escalate_to") or {}).get("role"),
        ),
    )


def _states(states: Mapping[str, Any]) -> tuple[StateSpec, ...]:
    """Every state, each parallel state followed by its regions' states."""
    result: list[StateSpec] = []
    for name, state in states.items():
        regions: list[RegionSpec] = []
        children: list[StateSpec] = []
        for region, body in (state.get("parallel") or {}).items():
            region_states = tuple(
                StateSpec(
                    name=SEPARATOR.join((name, region, child)),
                    label=_text(child_state.get("label"), child),
                    final=bool(child_state.get("final")),
                    queue=child_state.get("queue"),
                    timers=_timers(child_state),
                )
                for child, child_state in body["states"].items()
            )
            regions.append(RegionSpec(region, SEPARATOR.join((name, region, body["initial"])), region_states))
            children.extend(region_states)
        result.append(
            StateSpec(
                name=name,
                label=_text(state.get("label"), name),
                final=bool(state.get("final")),
                queue=state.get("queue"),
                timers=_timers(state),
                regions=tuple(regions),
                approval=_approval(state),
            )
        )
        result.extend(children)
    return tuple(result)


def _condition(when: str | list[str] | None) -> str | None:
    if when is None or isinstance(when, str):
        return when
    if len(when) == 1:
        return when[0]
    return " and ".join(f"({part})" for part in when)


def _transition(
    transition: Mapping[str, Any], everyone: tuple[str, ...], came_from: Mapping[str, set[str]]
) -> TransitionSpec:
    source = transition["source"]
    sources = everyone if source == ANY_SOURCE else (source,) if isinstance(source, str) else tuple(source)
    dest = transition["dest"]
    label = transition.get("label")
    previous: set[str] = set()
    if dest == PREVIOUS_STATE:
        for name in sources:
            previous.update(came_from.get(name, set()) - {name})
    return TransitionSpec(
        trigger=transition["trigger"],
        sources=sources,
        dest=dest if isinstance(dest, str) else None,
        dest_by_outcome=MappingProxyType(dict(dest) if isinstance(dest, Mapping) else {}),
        roles=tuple(transition.get("roles") or ()),
        form=transition.get("form"),
        when=_condition(transition.get("when")),
        rules=transition.get("rules"),
        actions=tuple(transition.get("actions") or ()),
        auto=bool(transition.get("auto")),
        interrupts=bool(transition.get("interrupts")),
        label=_text(label, transition["trigger"]) if label else None,
        refusal=_text(transition["refusal"], "") if transition.get("refusal") else None,
        previous=tuple(sorted(previous)),
        sets=MappingProxyType(dict(transition.get("set") or {})),
        order_states=tuple(transition.get("order_states") or ()),
        shows=tuple(transition.get("shows") or ()),
    )


def compile_bundle(bundle: Bundle, version: int | None = None) -> WorkflowSpec:
    """The frozen spec of a checked bundle. Pure: reads no file."""
    workflow = copy.deepcopy(dict(bundle.workflow))
    states = workflow["states"]
    everyone = tuple(name for name, state in states.items() if not state.get("final"))
    return WorkflowSpec(
        name=workflow["workflow"],
        department=workflow["department"],
        title=_text(workflow["title"], workflow["workflow"]),
        initial=workflow["initial"],
        states=_states(states),
        transitions=tuple(
            _transition(t, everyone, predecessors(workflow["transitions"], everyone))
            for t in workflow["transitions"]
        ),
        channels=tuple(workflow.get("channels") or ()),
        data_form=workflow.get("data"),
        intake_forms=MappingProxyType(dict(workflow.get("intake") or {})),
        roles=tuple(workflow.get("roles") or ()),
        create_roles=tuple(workflow.get("create_roles") or ()),
        source_path=bundle.source_path,
        content_hash=bundle.content_hash,
        version=version,
        raw=MappingProxyType(workflow),
        forms=MappingProxyType({k: copy.deepcopy(dict(v)) for k, v in bundle.forms.items()}),
        rulesets=MappingProxyType({k: copy.deepcopy(dict(v)) for k, v in bundle.rulesets.items()}),
        layouts=MappingProxyType({k: copy.deepcopy(dict(v)) for k, v in bundle.layouts.items()}),
        search=MappingProxyType({k: tuple(v) for k, v in (workflow.get("search") or {}).items()}),
        reveal=tuple(workflow.get("reveal") or ()),
        catalogue=workflow.get("catalogue"),
        records=MappingProxyType(
            {name: _record_kind(name, kind) for name, kind in (workflow.get("records") or {}).items()}
        ),
        original_order=_original_order(workflow.get("original_order")),
    )


def _original_order(declared: Mapping[str, Any] | None) -> OriginalOrderSpec | None:
    if not declared:
        return None
    return OriginalOrderSpec(
        declared["field"],
        declared["department"],
        declared.get("refund"),
        declared.get("kind"),
        declared.get("lines"),
        declared.get("received"),
        declared.get("warehouse"),
        declared.get("delivered"),
    )


def _record_kind(name: str, kind: Mapping[str, Any]) -> RecordKindSpec:
    """A record kind's spec: its states (plain ones) and its transitions, as an order's are compiled."""
    states = kind["states"]
    everyone = tuple(state for state, body in states.items() if not body.get("final"))
    return RecordKindSpec(
        name=name,
        label=_text(kind.get("label"), name),
        initial=kind["initial"],
        states=tuple(
            StateSpec(name=state, label=_text(body.get("label"), state), final=bool(body.get("final")))
            for state, body in states.items()
        ),
        transitions=tuple(_transition(t, everyone, {}) for t in kind["transitions"]),
        form=kind.get("form"),
    )
