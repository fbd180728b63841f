"""Replay before publishing (重放): a draft of a workflow or rule file replayed over the department's
recent orders, as ``orderloom rules replay`` does, before it is published.

What is replayed is what publishing the draft would publish (``Studio.bundles_for``: every workflow
holding the file, read with the department's drafts over the published texts). For each of those
workflows and each rule file that decides over one order (audit, decision table, routing) — the file
itself for a rule file, every rule file the workflow names for a workflow — the draft's rule set and
the rule set of each order's own published version are evaluated over the same names (the order's
current data, the actor, and the time the file last decided the order as the clock): an order is listed
when its outcome, queue or outputs would change, or the state the transition holding the file sends that
outcome to (a workflow draft may send an outcome elsewhere), with what each version decided, why (the
reasons and the rules that spoke), and that state. A routing file is replayed over the stock as it is
now (``engine.runtime.rule_replay``), the same for both versions, and says so
(``FileReplay.with_stock``). Nothing is written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engine.common.text import Text
from engine.dsl.compiler import Bundle, compile_bundle
from engine.dsl.spec import WorkflowSpec
from engine.dsl.texts import DefinitionKind
from engine.errors import EngineError, Problem
from engine.rules.kinds import EVALUATED_KINDS, compile_ruleset
from engine.rules.ruleset import Decision, Evaluable
from engine.rules.testing import decisions_differ, rules_that_spoke
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.rule_replay import ROUTING, orders_using_file

__all__ = [
    "DEFAULT_REPLAY_LIMIT",
    "MAX_REPLAY_LIMIT",
    "DraftReplay",
    "FileReplay",
    "ReplayStatus",
    "ReplayedOrder",
    "Verdict",
    "check_replay_limit",
    "replay_bundles",
]

DEFAULT_REPLAY_LIMIT = 500  # the newest orders of each workflow a draft is replayed over
MAX_REPLAY_LIMIT = 10_000  # as many as `orderloom rules replay --last` takes


def check_replay_limit(limit: int) -> None:
    """Refuse a number of orders to replay over outside 1 … ``MAX_REPLAY_LIMIT``."""
    if not 1 <= limit <= MAX_REPLAY_LIMIT:
        raise EngineError(
            f"the number of recent orders to replay over must be from 1 to {MAX_REPLAY_LIMIT}, not {limit}",
            zh=f"重放的近期订单数须在 1 到 {MAX_REPLAY_LIMIT} 之间，而不是 {limit}",
        )


@dataclass(frozen=True)
class Verdict:
    """What one version of a rule file decided for an order, and why."""

    outcome: str
    queue: str | None
    reasons: tuple[Text, ...]  # the reasons of the rules that decided
    rules: tuple[str, ...]  # the rules that spoke: held, or could not be evaluated
    outputs: Mapping[str, Any]  # routing's warehouse and carrier, a decision table's outputs
    state: str | None  # where the order goes on this outcome (the transition holding the file)
    state_label: Text | None


@dataclass(frozen=True)
class ReplayedOrder:
    """An order that would go another way under the draft."""

    order_id: int
    workflow: str
    version: int  # the published version it runs on
    state: str  # where it is now
    old: Verdict  # its own version's rule set
    new: Verdict  # the draft's
    state_label: Text | None = None  # where it is now, as its version labels the state


class ReplayStatus(StrEnum):
    REPLAYED = "replayed"
    NEW = "new"  # no published version of the workflow holds the file: no order ran it yet
    NOT_EVALUATED = "not_evaluated"  # a kind that does not decide over one order (correlation)


@dataclass(frozen=True)
class FileReplay:
    """One rule file of one workflow, replayed."""

    workflow: str
    path: str
    ruleset: str
    kind: str
    status: ReplayStatus
    draft_version: str = ""  # the content hash of the draft's rule set
    orders: int = 0  # how many orders were replayed
    counts: tuple[tuple[str, str, int], ...] = ()  # (published outcome, draft outcome, orders)
    changes: tuple[ReplayedOrder, ...] = ()  # newest first
    # a routing file, replayed over the stock as it is now (each order's own units counted free for it),
    # not as it was when the order was routed: what the page says the replay can and cannot tell
    with_stock: bool = False


@dataclass(frozen=True)
class DraftReplay:
    """A draft replayed: the file, the draft's revision (0: no draft, the published text), whether it
    differs from the published text, the number of recent orders asked for, and each rule file's
    replay; or the problems that stop the draft from being replayed (and published)."""

    department: str
    path: str
    kind: DefinitionKind
    revision: int
    changed: bool
    limit: int
    files: tuple[FileReplay, ...] = ()
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def changes(self) -> int:
        """How many orders would go another way, over every rule file."""
        return sum(len(f.changes) for f in self.files)

    @property
    def workflows(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.workflow for f in self.files))


def replay_bundles(
    engine: Engine,
    actor: Actor,
    department: str,
    path: str,
    kind: DefinitionKind,
    bundles: Sequence[Bundle],
    limit: int,
) -> tuple[FileReplay, ...]:
    """Each rule file of ``bundles`` the draft of ``path`` changes replayed over the newest ``limit``
    orders of that workflow in ``department`` (the file itself for a rule file; every rule file a
    workflow names for a workflow)."""
    check_replay_limit(limit)
    found: list[FileReplay] = []
    for bundle in bundles:
        spec = compile_bundle(bundle)
        paths = sorted(bundle.rulesets) if kind is DefinitionKind.WORKFLOW else [path]
        for rule_path in paths:
            doc = bundle.rulesets.get(rule_path)
            if doc is not None:
                found.append(_replay_file(engine, actor, department, spec, rule_path, doc, limit))
    return tuple(found)


def _replay_file(
    engine: Engine,
    actor: Actor,
    department: str,
    draft_spec: WorkflowSpec,
    path: str,
    doc: Mapping[str, Any],
    limit: int,
) -> FileReplay:
    workflow, name, kind = draft_spec.name, str(doc.get("ruleset", "")), str(doc.get("kind", ""))
    if kind not in EVALUATED_KINDS:
        return FileReplay(workflow, path, name, kind, ReplayStatus.NOT_EVALUATED)
    draft: Evaluable = compile_ruleset(doc, path)
    orders = orders_using_file(engine, path, actor, last=limit, department=department, workflow=workflow)
    specs: dict[int, WorkflowSpec] = {}

    def spec_of(version: int) -> WorkflowSpec:
        if version not in specs:
            specs[version] = engine.spec(workflow, version)
        return specs[version]

    if not orders and not any(path in spec_of(v.version).rulesets for v in engine.versions(workflow)):
        return FileReplay(workflow, path, name, kind, ReplayStatus.NEW, draft.version)
    counts: Counter[tuple[str, str]] = Counter()
    changes: list[ReplayedOrder] = []
    for order in orders:
        old = order.published.evaluate(order.env)
        new = draft.evaluate(order.env)
        counts[(old.outcome, new.outcome)] += 1
        before, after = _verdict(old, spec_of(order.version), path), _verdict(new, draft_spec, path)
        if decisions_differ(old, new) or before.state != after.state:
            state = str(order.env["order"]["state"])
            label = next((s.label for s in spec_of(order.version).states if s.name == state), None)
            changes.append(ReplayedOrder(order.id, workflow, order.version, state, before, after, label))
    return FileReplay(
        workflow,
        path,
        name,
        kind,
        ReplayStatus.REPLAYED,
        draft.version,
        len(orders),
        tuple((old, new, n) for (old, new), n in sorted(counts.items())),
        tuple(changes),
        with_stock=kind == ROUTING,
    )


def _verdict(decision: Decision, spec: WorkflowSpec, path: str) -> Verdict:
    reasons = tuple(Text(str(r["zh"]), str(r["en"])) for r in decision.reasons if r.get("zh") and r.get("en"))
    state = _destination(spec, path, decision.outcome)
    label = next((s.label for s in spec.states if s.name == state), None) if state else None
    return Verdict(
        decision.outcome,
        decision.queue,
        reasons,
        rules_that_spoke(decision),
        dict(decision.outputs),
        state,
        label,
    )


def _destination(spec: WorkflowSpec, path: str, outcome: str) -> str | None:
    """The state the transitions holding rule file ``path`` send ``outcome`` to; None when they name
    none, or several."""
    found = {
        (t.dest_by_outcome.get(outcome) if t.dest_by_outcome else t.dest)
        for t in spec.transitions
        if t.rules == path
    }
    found.discard(None)
    return found.pop() if len(found) == 1 else None
