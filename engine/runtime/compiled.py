"""One published version, compiled once and shared by every order on it.

``CompiledVersion`` holds the frozen spec, its ``transitions`` HierarchicalMachine (one per version,
never one per order), the data-form validators, the compiled guards, rule sets and actions. The
machine computes every move; because a move depends only on the active states and the transition
taken, each result is remembered, so the machine runs once per (states, transition) pair.

An order's state is a tuple of active leaf states, sorted: one element for a plain state, one per
region inside a parallel state (stored joined with ``engine.store.STATE_JOIN``).
"""

from __future__ import annotations

import ast
import functools
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from transitions.extensions.nesting import HierarchicalMachine, NestedState

from engine.common.text import Text
from engine.dsl.ownership import StepFlow, data_ownership, form_fields
from engine.dsl.spec import (
    APPROVAL_EVENTS,
    APPROVAL_TIMEOUT,
    PREVIOUS_STATE,
    SEPARATOR,
    ApprovalSpec,
    RecordKindSpec,
    StateSpec,
    TimerSpec,
    TransitionSpec,
    WorkflowSpec,
)
from engine.forms.per_record import asks_per_record
from engine.forms.ui import MASKED_FORMATS, FormLayout, load_layout
from engine.forms.validation import FormValidator
from engine.plugins import Action, PluginRegistry
from engine.rules.expr import compile_expression, parse
from engine.rules.kinds import compile_ruleset
from engine.runtime.masking import masked_fields
from engine.store.search import search_roots
from engine.store.tables import STATE_JOIN

StateConfig = tuple[str, ...]


class _DottedState(NestedState):
    """Nested states named with ``.`` (``fulfilling.payment.paid``), as the workflow language does."""

    separator = SEPARATOR


class _Machine(HierarchicalMachine):
    state_cls = _DottedState


class _Cursor:
    """The lightweight model a move is computed on: only the ``state`` attribute the machine sets."""

    __slots__ = ("state",)

    def __init__(self, state: Any) -> None:
        self.state = state


class _Entering:
    """A throw-away model, once per version, to read the initial state from the machine."""

    state: Any = None


def joined(config: StateConfig) -> str:
    return STATE_JOIN.join(config)


def split(state: str) -> StateConfig:
    return tuple(state.split(STATE_JOIN))


# how a parallel state's regions read side by side: 待收款、分批发货中 / Awaiting payment · Partly shipped
REGIONS = Text("、", " · ")


def config_words(labels: Mapping[str, Text], state: str | StateConfig) -> Text:
    """A state configuration (stored joined, or its leaves) by its labels in both languages: a parallel
    state's regions side by side (``REGIONS``); a leaf ``labels`` lacks, by its name. Every page, refusal
    and audit line that names a state reads it through this."""
    leaves = split(state) if isinstance(state, str) else state
    words = [labels[leaf] if leaf in labels else Text(leaf, leaf) for leaf in leaves]
    return Text(REGIONS.zh.join(w.zh for w in words), REGIONS.en.join(w.en for w in words))


def state_words(spec: WorkflowSpec, state: str) -> Text:
    """A stored state by its label in both languages (see ``config_words``)."""
    return config_words({found.name: found.label for found in spec.states}, state)


@functools.lru_cache(maxsize=4096)  # a version has few state configurations; asked several times a step
def active_paths(config: StateConfig) -> frozenset[str]:
    """Every active state: each leaf and all its ancestors."""
    paths: set[str] = set()
    for leaf in config:
        parts = leaf.split(SEPARATOR)
        for i in range(1, len(parts) + 1):
            paths.add(SEPARATOR.join(parts[:i]))
    return frozenset(paths)


def named_state_active(named: Iterable[str], config: StateConfig) -> bool:
    """One of ``named`` (top-level states, parallel states' leaves, as a record transition's
    ``order_states:`` names them) is active in ``config``."""
    active = active_paths(config)
    return any(name in active for name in named)


def _flatten(state: Any) -> StateConfig:
    if isinstance(state, str):
        return (state,)
    leaves: list[str] = []
    for item in state:
        leaves.extend(_flatten(item))
    return tuple(sorted(leaves))


@dataclass(frozen=True)
class Move:
    """The result of taking one transition from one set of active states."""

    to: StateConfig
    left: tuple[str, ...]  # states exited, deepest first
    entered: tuple[str, ...]  # states entered, outermost first


@dataclass(frozen=True)
class Conflict:
    """Two of an order's leaves that cannot be active together in a version: both in one region of a
    parallel state (``region``, its path), or not side by side in the regions of one parallel state
    (``region`` None: a plain state beside another, or beside a parallel state's region)."""

    states: tuple[str, str]
    region: str | None = None


@dataclass
class CompiledTransition:
    index: int
    spec: TransitionSpec
    events: Mapping[str, str]  # dest -> machine event name
    guard: Any | None = None  # engine.rules.expr.CompiledExpression
    ruleset: Any | None = None  # engine.rules.ruleset.CompiledRuleset
    form: FormValidator | None = None
    # the form's layout (its UI file, else the default): labels of the messages, and ``prepare`` when
    # it hides groups or computes fields (``prepares``)
    layout: FormLayout | None = None
    actions: tuple[tuple[str, Action], ...] = ()
    guard_reads_form: bool = False  # the guard reads ``data`` or an order field the form fills
    # the conditions of such a guard's top-level ``and`` that read nothing the form fills (their text,
    # compiled): judged before the form is filled, so a step they refuse is not offered
    before_form: tuple[str, Any] | None = None
    form_fields: frozenset[str] = frozenset()  # the form's top-level ``properties``: all it may submit
    # source -> the parallel state the transition leaves from it without interrupting it: taken from
    # that source only once every region of the parallel state is in a final state (the join)
    joins: Mapping[str, str] = field(default_factory=dict)
    # fields the engine owns that the form sends to this transition's own actions, which write them (a
    # waybill number the carrier issued, for logistics.waybill): never written by the form itself
    owned_inputs: frozenset[str] = frozenset()
    # ``set:``: (field path, its expression compiled or None, the literal written when there is none)
    sets: tuple[FieldSet, ...] = ()

    @property
    def dests(self) -> tuple[str, ...]:
        return tuple(self.events)


@dataclass(frozen=True)
class FieldSet:
    """One field a transition sets (``set:``): its dotted path in the order's data, split; the
    expression giving its value (compiled) or, when YAML wrote a literal (``null`` clears), that value."""

    path: tuple[str, ...]
    source: str | None
    expression: Any | None  # engine.rules.expr.CompiledExpression
    literal: Any = None

    @property
    def name(self) -> str:
        return ".".join(self.path)


def _sets(sets: Mapping[str, Any]) -> tuple[FieldSet, ...]:
    return tuple(
        FieldSet(tuple(key.split(".")), value, compile_expression(value), None)
        if isinstance(value, str)
        else FieldSet(tuple(key.split(".")), None, None, value)
        for key, value in sets.items()
    )


@dataclass(frozen=True)
class CompiledApproval:
    """An approval state's spec with its approvers' expressions compiled and a move back to each state of
    ``return_to`` (a transition of the machine no person fires: the audit trail names it
    ``approval.return``)."""

    state: str
    spec: ApprovalSpec
    expressions: Mapping[str, Any]  # expression text -> compiled
    returns: Mapping[str, CompiledTransition]  # return_to state -> its move


@dataclass(frozen=True)
class CompiledRecordKind:
    """A record kind with its transitions compiled as an order's are (guards, forms, actions); a
    record's move needs no machine: its states are plain, its transitions name one dest each."""

    spec: RecordKindSpec
    transitions: tuple[CompiledTransition, ...]
    by_trigger: Mapping[str, tuple[CompiledTransition, ...]]
    form: FormValidator | None = None  # the record's data contract

    def available(self, state: str) -> list[str]:
        """The triggers a record in ``state`` has."""
        return sorted({ct.spec.trigger for ct in self.transitions if state in ct.spec.sources})


@dataclass
class CompiledVersion:
    spec: WorkflowSpec
    machine: Any
    initial: StateConfig
    transitions: tuple[CompiledTransition, ...]
    data_form: FormValidator | None
    intake_forms: Mapping[str, FormValidator]  # channel -> the channel's intake form
    layouts: Mapping[str, FormLayout]  # form path -> its layout, for every form the version names
    states: Mapping[str, StateSpec]
    timers: Mapping[str, tuple[TimerSpec, ...]]
    by_trigger: Mapping[str, tuple[CompiledTransition, ...]]
    auto: tuple[CompiledTransition, ...]
    # (state, trigger, reason) -> the timer's compiled ``when`` (the first such timer's, as declared)
    timer_conditions: Mapping[tuple[str, str, str | None], Any] = field(default_factory=dict)
    # the states with a timer ``at`` a moment, read again after each step that stays in them
    moment_states: frozenset[str] = frozenset()
    # field -> who owns it: the fields the engine's actions and rules write (engine.dsl.ownership); no
    # submitted data writes one
    owned: Mapping[str, Text] = field(default_factory=dict)
    # fields only transition forms declare: each is the data of the step that sends it, which the
    # actions of other steps do not see
    step_fields: frozenset[str] = frozenset()
    # approval state -> its approval; the triggers they fire once approvers decided (no person fires them)
    approvals: Mapping[str, CompiledApproval] = field(default_factory=dict)
    approval_triggers: Mapping[str, frozenset[str]] = field(default_factory=dict)  # state -> triggers
    records: Mapping[str, CompiledRecordKind] = field(default_factory=dict)  # record kind -> compiled
    _moves: dict[tuple[StateConfig, str], Move] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def version(self) -> int:
        return self.spec.version or 0

    @functools.cached_property
    def state_labels(self) -> Mapping[str, Text]:
        """Each state's label, by its full name."""
        return {name: state.label for name, state in self.states.items()}

    def state_words(self, state: str | StateConfig) -> Text:
        """A state configuration of this version in words (``config_words``)."""
        return config_words(self.state_labels, state)

    @functools.cached_property
    def masked(self) -> Mapping[str, str]:
        """The data fields shown masked to roles not in ``reveal:`` (engine.runtime.masking)."""
        return masked_fields(self.spec)

    @functools.cached_property
    def per_record_forms(self) -> frozenset[str]:
        """The forms that require a field differing per record or order (``asks_per_record``): a batch
        does not offer their steps."""
        return frozenset(path for path, schema in self.spec.forms.items() if asks_per_record(schema))

    @functools.cached_property
    def never_prefilled(self) -> tuple[str, ...]:
        """The order's fields no form's ``prefill`` copies: those some roles see masked (a mobile, an ID
        number, what ``reveal:`` keeps from others)."""
        data_form = self.spec.data_form
        layout = self.layouts.get(data_form) if data_form is not None else None
        masked = {path for path, f in (layout.fields.items() if layout else ()) if f.format in MASKED_FORMATS}
        masked.update(self.masked)
        return tuple(sorted(masked))

    @functools.cached_property
    def search_roots(self) -> frozenset[str]:
        """The top-level data fields ``search:`` reads: a step changing one rewrites the order's terms."""
        return search_roots(self.spec.search)

    def move(self, config: StateConfig, transition: CompiledTransition, dest: str) -> Move:
        """Where ``transition`` to ``dest`` takes an order in ``config`` (computed by the machine)."""
        key = (config, transition.events[dest])
        found = self._moves.get(key)
        if found is not None:
            return found
        with self._lock:  # the machine keeps scope state while it runs: one move at a time
            cursor = _Cursor(list(config) if len(config) > 1 else config[0])
            self.machine.trigger_event(cursor, transition.events[dest])
            to = _flatten(cursor.state)
        before, after = active_paths(config), active_paths(to)
        left = sorted(before - after, key=lambda s: -s.count(SEPARATOR))
        entered = sorted(after - before, key=lambda s: s.count(SEPARATOR))
        move = Move(to, tuple(left), tuple(entered))
        self._moves[key] = move
        return move

    def is_final(self, config: StateConfig) -> bool:
        return len(config) == 1 and config[0] in self._final and SEPARATOR not in config[0]

    def ends(self, ct: CompiledTransition) -> bool:
        """The step takes the order to a final state wherever it goes (a cancel): it ends it for good."""
        return bool(ct.dests) and all(self.is_final((dest,)) for dest in ct.dests)

    @functools.cached_property
    def _final(self) -> frozenset[str]:
        return self.spec.final_states

    def source_matches(self, transition: CompiledTransition, config: StateConfig) -> bool:
        """Whether ``transition`` can be taken from the order's active states: one of its sources is
        active, and if it leaves a parallel state from there without interrupting it, every region of
        that parallel state is in a final state (the join)."""
        paths = active_paths(config)
        for source in transition.spec.sources:
            if source not in paths:
                continue
            parallel = transition.joins.get(source)
            if parallel is not None and self.unfinished(config, parallel):
                continue
            return True
        return False

    def configuration(self, leaves: Iterable[str]) -> StateConfig | Conflict:
        """The active states of an order whose leaves are ``leaves`` (each a state of this version), as
        entering them would make them: a region of an active parallel state that no leaf is in starts at
        its initial state, and a parallel state named itself starts every region so. ``Conflict`` when
        the leaves cannot be active together (two in one region, or not all in one top-level state)."""
        given = sorted(set(leaves))
        tops = sorted({leaf.split(SEPARATOR, 1)[0] for leaf in given})
        if len(tops) > 1:
            return Conflict((_first_within(given, tops[0]), _first_within(given, tops[1])))
        return self._enter(tops[0], [leaf for leaf in given if leaf != tops[0]])

    def _enter(self, state: str, inside: list[str]) -> StateConfig | Conflict:
        """The leaves ``state`` is active in: itself when it has no regions, else one state per region,
        the one of ``inside`` (states below it) in that region, or the region's initial state."""
        regions = self.states[state].regions
        if not regions:
            return (state,)
        config: list[str] = []
        for region in regions:
            path = SEPARATOR.join((state, region.name))
            mine = [leaf for leaf in inside if leaf.startswith(path + SEPARATOR)]
            depth = path.count(SEPARATOR) + 2  # the parts of the name of a state of the region
            children = sorted({SEPARATOR.join(leaf.split(SEPARATOR)[:depth]) for leaf in mine})
            if len(children) > 1:
                pair = (_first_within(mine, children[0]), _first_within(mine, children[1]))
                return Conflict(pair, path)
            child = children[0] if children else region.initial
            entered = self._enter(child, [leaf for leaf in mine if leaf != child])
            if isinstance(entered, Conflict):
                return entered
            config.extend(entered)
        return tuple(sorted(config))

    def unfinished(self, config: StateConfig, parallel: str) -> tuple[str, ...]:
        """The active leaves of ``parallel``'s regions that are not final: what its join waits for."""
        prefix = parallel + SEPARATOR
        return tuple(leaf for leaf in config if leaf.startswith(prefix) and not self.states[leaf].final)

    def waiting_for(self, transition: CompiledTransition, config: StateConfig) -> tuple[str, ...]:
        """The regions' leaves a transition out of an active parallel state still waits for; empty when
        it can be taken now, or when no source of it is an active parallel state it joins.

        Only a source that is the parallel state itself waits: a transition that leaves one from a
        state inside a region (not final, or it would leave a final state) without interrupting can
        never be taken from there, and ``orderloom validate`` says so."""
        if self.source_matches(transition, config):
            return ()
        paths = active_paths(config)
        for source in transition.spec.sources:
            if source in paths and transition.joins.get(source) == source:
                return self.unfinished(config, source)
        return ()


def _first_within(leaves: Iterable[str], state: str) -> str:
    """The first of ``leaves`` that is ``state`` or a state inside it."""
    return next(leaf for leaf in leaves if leaf == state or leaf.startswith(state + SEPARATOR))


def compile_version(spec: WorkflowSpec, registry: PluginRegistry) -> CompiledVersion:
    """Compile everything an order on ``spec`` needs, once."""
    states = {s.name: s for s in spec.states}
    machine = _Machine(
        model=None,
        states=_machine_states(spec, states),
        initial=spec.initial,
        auto_transitions=False,
        send_event=False,
    )
    # checked when the version was published (load_bundle): a stored version loads whatever the rules
    # for UI files say today
    layouts = {
        path: load_layout(schema, spec.layouts.get(path), file=path, checked=True)
        for path, schema in spec.forms.items()
    }
    writes = registry.action_writes
    steps = [
        StepFlow(
            t.actions,
            spec.rulesets[t.rules] if t.rules else None,
            t.rules or "",
            spec.forms[t.form] if t.form else None,
        )
        for t in spec.transitions
    ]
    ownership = data_ownership(
        steps,
        (spec.data_form, spec.forms[spec.data_form]) if spec.data_form else None,
        [spec.forms[path] for path in spec.intake_forms.values()],
        writes,
    )
    compiled: list[CompiledTransition] = []
    for index, t in enumerate(spec.transitions):
        dests = (
            list(t.previous)
            if t.dest == PREVIOUS_STATE
            else [t.dest]
            if t.dest is not None
            else list(dict.fromkeys(t.dest_by_outcome.values()))
        )
        events = {}
        for j, dest in enumerate(dests):
            name = f"t{index}_{j}"
            machine.add_transition(name, list(t.sources), dest)
            events[dest] = name
        compiled.append(
            CompiledTransition(
                index=index,
                spec=t,
                events=events,
                guard=_guard(t.when),
                ruleset=_ruleset(spec, t.rules),
                form=FormValidator.compile(spec.forms[t.form]) if t.form else None,
                layout=layouts[t.form] if t.form else None,
                actions=tuple((name, registry.action(name)) for name in t.actions),
                guard_reads_form=bool(t.when and t.form and _reads_form(t.when, spec.forms[t.form])),
                before_form=_before_form(t.when, spec.forms[t.form]) if t.when and t.form else None,
                form_fields=form_fields(spec.forms[t.form]) if t.form else frozenset(),
                joins=_joins(t, dests, states),
                owned_inputs=ownership.inputs(steps[index], writes),
                sets=_sets(t.sets),
            )
        )
    entering = _Entering()  # the machine enters the initial state (every region of a parallel one)
    machine.add_model(entering, initial=spec.initial)
    initial = _flatten(entering.state)
    machine.remove_model(entering)
    approvals = _approvals(spec, machine)
    by_trigger: dict[str, list[CompiledTransition]] = {}
    for ct in compiled:
        by_trigger.setdefault(ct.spec.trigger, []).append(ct)
    return CompiledVersion(
        spec=spec,
        machine=machine,
        initial=initial,
        transitions=tuple(compiled),
        data_form=FormValidator.compile(spec.forms[spec.data_form]) if spec.data_form else None,
        intake_forms={
            channel: FormValidator.compile(spec.forms[path]) for channel, path in spec.intake_forms.items()
        },
        layouts=layouts,
        states=states,
        timers={
            s.name: _state_timers(s) for s in spec.states if s.timers or (s.approval and s.approval.timeout)
        },
        by_trigger={k: tuple(v) for k, v in by_trigger.items()},
        auto=tuple(ct for ct in compiled if ct.spec.auto),
        timer_conditions=_timer_conditions(spec),
        moment_states=frozenset(s.name for s in spec.states if any(t.at is not None for t in s.timers)),
        owned=ownership.owned,
        step_fields=ownership.step_fields,
        approvals=approvals,
        approval_triggers={
            name: frozenset(t for t in (a.spec.approve, a.spec.decline) if t) for name, a in approvals.items()
        },
        records={name: _record_kind(spec, kind, layouts, registry) for name, kind in spec.records.items()},
    )


def _record_kind(
    spec: WorkflowSpec, kind: RecordKindSpec, layouts: Mapping[str, FormLayout], registry: PluginRegistry
) -> CompiledRecordKind:
    compiled = [
        CompiledTransition(
            index=index,
            spec=t,
            events={},
            guard=_guard(t.when),
            form=FormValidator.compile(spec.forms[t.form]) if t.form else None,
            layout=layouts[t.form] if t.form else None,
            actions=tuple((name, registry.action(name)) for name in t.actions),
            form_fields=form_fields(spec.forms[t.form]) if t.form else frozenset(),
            guard_reads_form=bool(t.when and t.form and _reads_form(t.when, spec.forms[t.form])),
            before_form=_before_form(t.when, spec.forms[t.form]) if t.when and t.form else None,
        )
        for index, t in enumerate(kind.transitions)
    ]
    by_trigger: dict[str, list[CompiledTransition]] = {}
    for ct in compiled:
        by_trigger.setdefault(ct.spec.trigger, []).append(ct)
    return CompiledRecordKind(
        spec=kind,
        transitions=tuple(compiled),
        by_trigger={k: tuple(v) for k, v in by_trigger.items()},
        form=FormValidator.compile(spec.forms[kind.form]) if kind.form else None,
    )


def _state_timers(state: StateSpec) -> tuple[TimerSpec, ...]:
    """The state's timers, and its approval's timeout as one more (trigger ``approval.timeout``, the
    timeout's ``then`` as its reason)."""
    timeout = state.approval.timeout if state.approval is not None else None
    if timeout is None:
        return state.timers
    return (*state.timers, TimerSpec(timeout.after_seconds, APPROVAL_TIMEOUT, timeout.then))


def _approvals(spec: WorkflowSpec, machine: Any) -> dict[str, CompiledApproval]:
    found: dict[str, CompiledApproval] = {}
    for state in spec.states:
        approval = state.approval
        if approval is None:
            continue
        returns: dict[str, CompiledTransition] = {}
        for position, target in enumerate(approval.return_to):
            name = f"r_{state.name}_{position}"
            machine.add_transition(name, [state.name], target)
            move = TransitionSpec(
                trigger=APPROVAL_EVENTS[4],
                sources=(state.name,),
                dest=target,
                label=Text("退回", "Return"),
            )
            returns[target] = CompiledTransition(index=-1, spec=move, events={target: name})
        expressions = {a.value: compile_expression(a.value) for a in approval.approvers if a.kind == "expr"}
        found[state.name] = CompiledApproval(state.name, approval, expressions, returns)
    return found


def _joins(t: TransitionSpec, dests: list[str], states: Mapping[str, StateSpec]) -> dict[str, str]:
    """Source -> the parallel state ``t`` leaves from it (a dest outside it, or the parallel state
    itself, whose regions then start again), unless ``t`` interrupts. Parallel states are top-level."""
    if t.interrupts:
        return {}
    found: dict[str, str] = {}
    for source in t.sources:
        top = source.split(SEPARATOR, 1)[0]
        state = states.get(top)
        if state is None or not state.regions:
            continue
        if any(not dest.startswith(top + SEPARATOR) for dest in dests):
            found[source] = top
    return found


def _timer_conditions(spec: WorkflowSpec) -> dict[tuple[str, str, str | None], Any]:
    conditions: dict[tuple[str, str, str | None], Any] = {}
    for state in spec.states:
        for timer in state.timers:
            key = (state.name, timer.trigger, timer.reason)
            if key not in conditions:
                conditions[key] = _guard(timer.when)
    return {key: condition for key, condition in conditions.items() if condition is not None}


def _machine_states(spec: WorkflowSpec, states: Mapping[str, StateSpec]) -> list[Any]:
    def build(state: StateSpec) -> Any:
        short = state.name.rsplit(SEPARATOR, 1)[-1]
        if not state.regions:
            return short
        return {
            "name": short,
            "parallel": [
                {
                    "name": region.name,
                    "initial": region.initial.rsplit(SEPARATOR, 1)[-1],
                    "children": [
                        build(child)
                        for child in region.states
                        if child.name.count(SEPARATOR) == state.name.count(SEPARATOR) + 2
                    ],
                }
                for region in state.regions
            ],
        }

    return [build(s) for s in spec.states if SEPARATOR not in s.name]


def _guard(when: str | None) -> Any | None:
    if not when:
        return None
    return compile_expression(when)


def _reads_form(when: str, form: Mapping[str, Any]) -> bool:
    """Whether condition ``when`` reads what the form fills: ``data``, or ``order.<field>`` for a
    top-level field of the form (the submitted data is merged into ``order`` before guards run)."""
    return _node_reads_form(parse(when), _fields(form))


def _before_form(when: str, form: Mapping[str, Any]) -> tuple[str, Any] | None:
    """The conditions of ``when``'s top-level ``and`` (a ``when`` list is one) that read nothing the form
    fills, as one condition and its compiled guard; None when there are none, or when none of ``when``
    reads the form (the whole guard is judged before the form then)."""
    body = parse(when).body
    parts = body.values if isinstance(body, ast.BoolOp) and isinstance(body.op, ast.And) else [body]
    fields = _fields(form)
    kept = [part for part in parts if not _node_reads_form(part, fields)]
    if not kept or len(kept) == len(parts):
        return None
    text = " and ".join(f"({ast.unparse(part)})" for part in kept) if len(kept) > 1 else ast.unparse(kept[0])
    return text, compile_expression(text)


def _fields(form: Mapping[str, Any]) -> set[str]:
    return set((form.get("properties") or {}).keys())


def _node_reads_form(tree: ast.AST, fields: set[str]) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "data":
            return True
        if not isinstance(node, ast.Attribute | ast.Subscript) or not isinstance(node.value, ast.Name):
            continue
        if node.value.id != "order":
            continue
        if isinstance(node, ast.Attribute):
            key: Any = node.attr
        else:  # order['field'], or order[something computed]: assume it may be a form field
            key = node.slice.value if isinstance(node.slice, ast.Constant) else next(iter(fields), None)
        if key in fields:
            return True
    return False


def _ruleset(spec: WorkflowSpec, path: str | None) -> Any | None:
    if not path:
        return None
    return compile_ruleset(spec.rulesets[path], path)


__all__ = [
    "CompiledRecordKind",
    "CompiledTransition",
    "CompiledVersion",
    "Conflict",
    "FieldSet",
    "FormValidator",
    "Move",
    "StateConfig",
    "active_paths",
    "compile_version",
    "joined",
    "split",
]
