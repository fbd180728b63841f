"""The checks of a workflow file: JSON Schema and static analysis; every problem found in one run.

The static checks run even when the schema refused part of a workflow file: they read a well-formed
view of the tree (``_well_formed``) that leaves out only the parts whose shape is wrong, and hold back
the checks (reachability, dead ends, timer triggers) that a left-out part would make report falsely.

The files a workflow names are checked by the checks beside them: its forms and their UI files by
``engine.forms.checks``, its rule files by ``engine.rules.checks``; what conditions read, against the
workflow's forms, by ``engine.rules.facts``. ``check_workflow`` returns the resolved tree (overlays
applied) with the forms and rule files it names, for ``compiler.load_bundle``; ``engine.dsl.validate``
checks files and folders of any kind.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.common.json_path import child_path
from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.dsl.loader import Marks, definition_exists, definition_files, load_file, shown_path
from engine.dsl.overlay import Located, apply_overlay
from engine.dsl.ownership import StepFlow, data_ownership, form_fields
from engine.dsl.record_checks import (
    check_record_reads,
    check_records,
    record_kinds,
    unknown_action,
    unknown_role,
)
from engine.dsl.schema_words import schema_problems
from engine.dsl.spec import (
    ANY_SOURCE,
    CREATE_TRIGGER,
    MIGRATE_TRIGGER,
    ORDER_FIELDS,
    PREVIOUS_STATE,
    RESERVED_TRIGGERS,
    SEPARATOR,
    predecessors,
)
from engine.errors import Problem, Severity, sorted_problems
from engine.forms.checks import check_form_file, check_ui_file
from engine.forms.data_paths import data_paths
from engine.forms.ui import UI_SUFFIX
from engine.rules import facts
from engine.rules.checks import read_rules_file
from engine.rules.expr import check as check_expression
from engine.rules.facts import Finding, Root
from engine.rules.kinds import EVALUATED_KINDS
from engine.rules.list_checks import UNDECLARED_LIST, declared_lists, named_lists_in

__all__ = ["Checked", "check_workflow", "discover_with_problems", "inside"]

SYSTEM_ROLE = "system"
YAML_SUFFIXES = (".yaml", ".yml")
MAX_EXTENDS = 8


@dataclass
class Checked:
    """The result of checking one workflow file."""

    workflow: dict[str, Any] | None  # the resolved tree (overlays applied); None when unreadable
    forms: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    # form path -> its UI file (``<name>.ui.json`` beside it), for the forms that have one
    layouts: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    rulesets: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    located: Located | None = None
    # Problems of severity "warning" (fields an open form does not declare): ``validate`` reports them,
    # they never stop a workflow from loading or publishing.
    warnings: list[Problem] = field(default_factory=list)


def inside(root: Path, relative: str) -> Path | None:
    """The file a definition names, or None when it would leave the definitions root."""
    candidate = (root / relative).resolve()
    try:
        candidate.relative_to(root.resolve())
    except ValueError:
        return None
    return candidate


# --- static checks ---------------------------------------------------------------------------------


def _shared_source(first: Sequence[str], second: Sequence[str]) -> str | None:
    """A state an order can be in when both lists of sources match it (the same state, or one inside
    the other, since a transition from a parallel state matches in each of its regions' states)."""
    for a in first:
        for b in second:
            if a == b or b.startswith(a + SEPARATOR):
                return b
            if a.startswith(b + SEPARATOR):
                return a
    return None


def _form_words(form: str | None) -> Text:
    """What a transition takes, as the problem of two forms on one trigger says it."""
    return Text("不带表单", "no form") if form is None else Text(f"使用表单 {form!r}", f"form {form!r}")


def _line_words(file: str, line: int, here: str) -> Text:
    """Where another transition is: its line, with its file when that is not the file ``here``."""
    if file == here:
        return Text(f"本文件第 {line} 行", f"line {line}")
    return Text(f"文件 {file} 第 {line} 行", f"{file}:{line}")


def _strings(value: Any) -> list[str] | None:
    return list(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def _final_unclear(body: Any) -> bool:
    """Whether a state's body is not a mapping or its ``final`` is not true/false (so unknown)."""
    return body is not None and (not isinstance(body, dict) or not isinstance(body.get("final", False), bool))


def _state_body(body: Any, *, nested: bool) -> tuple[dict[str, Any], bool]:
    """The parts of one state whose shape is right; True when a parallel part had to be left out."""
    kept: dict[str, Any] = {}
    if not isinstance(body, dict):
        return kept, False
    if isinstance(body.get("final"), bool):
        kept["final"] = body["final"]
    timers = body.get("timers")
    if isinstance(timers, list):
        kept["timers"] = [
            {
                "trigger": t["trigger"],
                **({"when": t["when"]} if isinstance(t.get("when"), str) else {}),
                **{key: t[key] for key in ("after", "at") if key in t},
            }
            for t in timers
            if isinstance(t, dict) and isinstance(t.get("trigger"), str)
        ]
    if isinstance(body.get("approval"), dict) and not nested:
        kept["approval"] = body["approval"]  # each part checked for its shape where it is read
    if "parallel" not in body or nested:
        return kept, nested and "parallel" in body
    regions = body["parallel"]
    good: dict[str, Any] = {}
    dropped = not isinstance(regions, dict)
    for region, inner in (regions if isinstance(regions, dict) else {}).items():
        if (
            isinstance(region, str)
            and SEPARATOR not in region
            and isinstance(inner, dict)
            and isinstance(inner.get("initial"), str)
            and isinstance(inner.get("states"), dict)
            and all(isinstance(child, str) and SEPARATOR not in child for child in inner["states"])
        ):
            children = {c: _state_body(b, nested=True)[0] for c, b in inner["states"].items()}
            good[region] = {"initial": inner["initial"], "states": children}
        else:
            dropped = True
    if good:
        kept["parallel"] = good
    return kept, dropped


def _transition_body(transition: Any) -> dict[str, Any] | None:
    """A transition whose trigger, source and dest have their shape, with its well-formed extras."""
    if not isinstance(transition, dict) or not isinstance(transition.get("trigger"), str):
        return None
    source, dest = transition.get("source"), transition.get("dest")
    if not (isinstance(source, str) or _strings(source) is not None):
        return None
    dest_map = isinstance(dest, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in dest.items()
    )
    if not (isinstance(dest, str) or dest_map):
        return None
    kept: dict[str, Any] = {"trigger": transition["trigger"], "source": source, "dest": dest}
    for key in ("form", "rules"):
        if isinstance(transition.get(key), str):
            kept[key] = transition[key]
    for key in ("roles", "actions", "shows"):
        if _strings(transition.get(key)) is not None:
            kept[key] = transition[key]
    when = transition.get("when")
    if isinstance(when, str) or _strings(when) is not None:
        kept["when"] = when
    if "refusal" in transition:
        kept["refusal"] = transition["refusal"]
    sets = transition.get("set")
    if isinstance(sets, dict) and all(isinstance(key, str) for key in sets):
        kept["set"] = sets
    for key in ("auto", "interrupts"):
        if isinstance(transition.get(key), bool):
            kept[key] = transition[key]
    return kept


_INVALID_CONDITION = Text("条件无效", "invalid condition")
_INVALID_MOMENT = Text("定时器的时刻无效", "invalid moment of a timer")


def _overlapping(first: str, second: str) -> bool:
    """Whether two dotted paths name the same field, or one a field inside the other."""
    return first == second or second.startswith(first + ".") or first.startswith(second + ".")


def _schema_child(
    schema: Mapping[str, Any], name: str, root: Mapping[str, Any], depth: int = 0
) -> tuple[Mapping[str, Any] | None, set[str] | None]:
    """The schema of property ``name`` of an object ``schema`` (through local ``$ref`` and
    ``allOf``/``anyOf``/``oneOf``), and every property name it declares; ``(None, None)`` when the
    object declares none (it holds anything)."""
    if depth > 20:  # a $ref that leads back to itself
        return None, None
    known: set[str] | None = None
    found: Mapping[str, Any] | None = None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        if isinstance(target, Mapping):
            found, known = _schema_child(target, name, root, depth + 1)
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        known = (known or set()) | set(properties)
        child = properties.get(name)
        if found is None and name in properties:
            found = child if isinstance(child, Mapping) else {}  # ``true``: a field of any value
    for combiner in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(combiner) or []:
            if isinstance(part, Mapping):
                child, names = _schema_child(part, name, root, depth + 1)
                if names is not None:
                    known = (known or set()) | names
                if found is None and child is not None:
                    found = child
    return found, known


def _queues(states: Any) -> set[str]:
    """The queues the states of a workflow tree declare (``queue:``), inside parallel regions too."""
    found: set[str] = set()
    for body in states.values() if isinstance(states, Mapping) else ():
        if not isinstance(body, Mapping):
            continue
        if isinstance(body.get("queue"), str):
            found.add(body["queue"])
        regions = body.get("parallel")
        for region in regions.values() if isinstance(regions, Mapping) else ():
            if isinstance(region, Mapping):
                found |= _queues(region.get("states"))
    return found


@dataclass
class _WellFormed:
    """The parts of a workflow tree that static checks can read, whatever the schema said of the rest."""

    tree: dict[str, Any]
    partial_transitions: bool  # a transition or a final flag was left out: reachability is not judged
    broken_parallel: frozenset[str]  # states left out as malformed, or whose regions were left out


def _well_formed(tree: Mapping[str, Any]) -> _WellFormed:
    states: dict[str, Any] = {}
    broken: set[str] = set()
    raw_states = tree.get("states")
    for name, body in (raw_states if isinstance(raw_states, dict) else {}).items():
        if not isinstance(name, str):
            continue
        if SEPARATOR in name:  # not a name (the schema says so); references to it are not guessed at
            broken.add(name)
            continue
        states[name], dropped = _state_body(body, nested=False)
        if dropped:
            broken.add(name)
    raw_transitions = tree.get("transitions")
    transitions = [_transition_body(t) for t in raw_transitions] if isinstance(raw_transitions, list) else []
    kept: dict[str, Any] = {
        "states": states,
        "transitions": transitions,
        "initial": tree.get("initial") if isinstance(tree.get("initial"), str) else None,
        "roles": _strings(tree.get("roles")) or [],
        "create_roles": _strings(tree.get("create_roles")) or [],
        "reveal": _strings(tree.get("reveal")) or [],
    }
    search = tree.get("search")
    if isinstance(search, dict):  # each kind's paths that are strings (others are the schema's to tell)
        kept["search"] = {k: v for k, v in search.items() if isinstance(v, list)}
    if isinstance(tree.get("data"), str):
        kept["data"] = tree["data"]
    original = tree.get("original_order")
    if isinstance(original, dict):  # the names that are strings (others are the schema's to tell)
        kept["original_order"] = {k: v for k, v in original.items() if isinstance(v, str)}
    intake = tree.get("intake")
    if isinstance(intake, dict):
        kept["intake"] = {k: v for k, v in intake.items() if isinstance(k, str) and isinstance(v, str)}
    channels = tree.get("channels", [])  # none listed: orders come from no channel
    if _strings(channels) is not None:
        kept["channels"] = channels
    unclear = any(
        _final_unclear(body)
        or (
            isinstance(body, dict)
            and isinstance(body.get("parallel"), dict)
            and any(
                isinstance(r, dict)
                and isinstance(r.get("states"), dict)
                and any(_final_unclear(b) for b in r["states"].values())
                for r in body["parallel"].values()
            )
        )
        for body in (raw_states.values() if isinstance(raw_states, dict) else [])
    )
    partial = (
        unclear
        or not isinstance(raw_states, dict)
        or not isinstance(raw_transitions, list)
        or any(t is None for t in transitions)
        or kept["initial"] is None
    )
    return _WellFormed(kept, partial, frozenset(broken))


@dataclass
class _State:
    name: str  # full path
    json_path: str
    final: bool
    parallel: str | None = None  # the parallel state holding it
    region: str | None = None
    regions: dict[str, list[str]] = field(default_factory=dict)  # for a parallel state


class _Checker:
    def __init__(
        self,
        located: Located,
        root: Path,
        action_names: Collection[str] | None,
        out: Checked,
        cache: dict[str, tuple[Mapping[str, Any] | None, list[Problem]]],
        action_writes: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        self.located = located
        view = _well_formed(located.tree)
        self.tree: dict[str, Any] = view.tree
        self.partial = view.partial_transitions
        self.broken_parallel = view.broken_parallel
        self.root = root
        self.action_names = action_names
        self.out = out
        self.cache = cache
        self.action_writes = action_writes or {}
        self.rule_marks: dict[str, Marks] = {}
        self.layout_marks: dict[str, tuple[str, Marks]] = {}  # form path -> its UI file's path and marks
        self.states: dict[str, _State] = {}
        self.unknown_names = False
        self.named_lists: list[tuple[str, str]] = []  # (list, condition path): in_list(...) of the workflow

    def problem(
        self,
        words: Text,
        path: str,
        code: str,
        hint: Text | None = None,
        *,
        key: bool = False,
        suggestion: str | None = None,
    ) -> None:
        found = self.located.problem(words, path, code, hint, key=key, suggestion=suggestion)
        self.out.problems.append(found)

    def run(self) -> None:
        self.collect_states()
        self.check_states()
        self.check_top_forms()
        self.check_create_roles()
        self.check_search()
        self.check_original_order()
        expanded = self.check_transitions()
        self.check_ambiguity(expanded)
        self.check_joins(expanded)
        self.check_forms_of_a_trigger(expanded)
        self.check_owned_fields()
        # A misspelled state, or a transition left out for its shape, would make states look unreachable.
        if not self.unknown_names and not self.partial and not self.broken_parallel:
            self.check_reachability(expanded)
            self.check_ways_out(expanded)
        self.check_timers(expanded)
        self.check_approvals(expanded)
        self.check_facts()
        self.check_rule_queues()
        self.check_named_lists()
        check_records(self, self.located.tree, self.tree.get("roles") or [], list(self.states))
        check_record_reads(self, self.located.tree)
        self.check_record_facts(self.order_facts())  # after check_records: the record steps' forms read

    # states
    def collect_states(self) -> None:
        for name, state in self.tree["states"].items():
            path = child_path("$.states", name)
            top = _State(name, path, bool(state.get("final")))
            self.states[name] = top
            for region, body in (state.get("parallel") or {}).items():
                region_path = child_path(child_path(path, "parallel"), region)
                names = []
                for child, child_state in body["states"].items():
                    full = SEPARATOR.join((name, region, child))
                    names.append(full)
                    self.states[full] = _State(
                        full,
                        child_path(child_path(region_path, "states"), child),
                        bool(child_state.get("final")),
                        name,
                        region,
                    )
                top.regions[region] = names

    def check_states(self) -> None:
        initial = self.tree["initial"]
        top_names = [s.name for s in self.states.values() if s.parallel is None]
        if initial is not None and initial not in top_names:
            self.problem(
                Text(f"未知的初始状态 {initial!r}", f"unknown initial state {initial!r}"),
                "$.initial",
                "unknown-state",
                suggestion=near_miss(initial, top_names),
            )
        for name, state in self.tree["states"].items():
            path = child_path("$.states", name)
            if state.get("final") and state.get("parallel"):
                self.problem(
                    Text(
                        f"状态 {name!r} 不能既是终止状态又是并行状态",
                        f"state {name!r} cannot be both final and parallel",
                    ),
                    child_path(path, "final"),
                    "final-parallel",
                )
            if state.get("final") and state.get("timers"):
                self.problem(
                    Text(
                        f"终止状态 {name!r} 不能有定时器：订单不会再离开它",
                        f"final state {name!r} cannot have timers: the order never leaves it",
                    ),
                    child_path(path, "timers"),
                    "final-timers",
                )
            for region, body in (state.get("parallel") or {}).items():
                region_path = child_path(child_path(path, "parallel"), region)
                children = list(body["states"])
                if body["initial"] not in children:
                    self.problem(
                        Text(
                            f"并行区域 {region!r} 中有未知的初始状态 {body['initial']!r}",
                            f"unknown initial state {body['initial']!r} in region {region!r}",
                        ),
                        child_path(region_path, "initial"),
                        "unknown-state",
                        suggestion=near_miss(body["initial"], children),
                    )
                if not any(child.get("final") for child in body["states"].values()):
                    self.problem(
                        Text(
                            f"{name!r} 的并行区域 {region!r} 没有终止状态，因此 {name!r} 永远无法完成",
                            f"region {region!r} of {name!r} has no final state, "
                            f"so {name!r} can never be done",
                        ),
                        region_path,
                        "region-no-final",
                        Text(
                            "请把该区域的最后一个状态标为 final: true",
                            "mark the region's last state final: true",
                        ),
                        key=True,
                    )

    def check_top_forms(self) -> None:
        if "data" in self.tree:
            self.check_form(self.tree["data"], "$.data")
        for channel, form in (self.tree.get("intake") or {}).items():
            self.check_form(form, child_path("$.intake", channel))

    def check_create_roles(self) -> None:
        roles = set(self.tree.get("roles") or [])
        for position, role in enumerate(self.tree.get("create_roles") or []):
            if role not in roles:
                self.problem(
                    Text(f"未知的角色 {role!r}", f"unknown role {role!r}"),
                    child_path("$.create_roles", position),
                    "unknown-role",
                    Text("请把它加入工作流的 roles: 列表", "add it to the workflow's roles: list"),
                    suggestion=near_miss(role, roles),
                )

    def check_search(self) -> None:
        """``search:`` names fields of the data form (a mobile, a name, a waybill, a payment reference);
        ``reveal:`` names roles of the workflow."""
        roles = set(self.tree.get("roles") or [])
        for position, role in enumerate(self.tree.get("reveal") or []):
            if role not in roles:
                self.problem(
                    Text(f"reveal 中有未知的角色 {role!r}", f"unknown role {role!r} in reveal"),
                    child_path("$.reveal", position),
                    "unknown-role",
                    Text("请把它加入工作流的 roles: 列表", "add it to the workflow's roles: list"),
                    suggestion=near_miss(role, roles),
                )
        search = self.tree.get("search")
        if not isinstance(search, Mapping) or not search:
            return
        data = self.tree.get("data")
        if not isinstance(data, str):
            self.problem(
                Text(
                    "search 按订单数据中的字段查找，但工作流没有声明数据表单（data:）",
                    "search finds orders by fields of their data, "
                    "but the workflow declares no data form (data:)",
                ),
                "$.search",
                "search-without-data",
                Text("请用 data: 声明订单的数据表单", "declare the order's data form with data:"),
                key=True,
            )
            return
        form = self.out.forms.get(data)
        if form is None:
            return  # the form itself is reported where data: names it
        known = data_paths(form)
        for kind, paths in search.items():
            if not isinstance(paths, list):
                continue
            for position, path in enumerate(paths):
                if not isinstance(path, str) or path in known:
                    continue
                self.problem(
                    Text(
                        f"search.{kind} 中的字段 {path!r} 不在数据表单 {data!r} 中",
                        f"field {path!r} in search.{kind} is not in the data form {data!r}",
                    ),
                    child_path(child_path("$.search", kind), position),
                    "unknown-field",
                    Text(
                        "请写数据表单中的字段路径，用点号分隔，列表名后加 []（如 shipments[].waybill）",
                        "name a field of the data form as a dotted path, [] after a list's name "
                        "(e.g. shipments[].waybill)",
                    ),
                    suggestion=near_miss(path, known),
                )

    def check_original_order(self) -> None:
        """``original_order:`` names top-level fields of the data form: the order's number and, when
        given, the refund asked and the order's kind."""
        declared = self.tree.get("original_order")
        data = self.tree.get("data")
        if not isinstance(declared, Mapping) or not isinstance(data, str):
            return
        form = self.out.forms.get(data)
        if form is None:
            return  # the form itself is reported where data: names it
        known = [path for path in data_paths(form) if "." not in path and "[" not in path]
        for key in ("field", "refund", "kind", "lines", "received", "warehouse", "delivered"):
            name = declared.get(key)
            if not isinstance(name, str) or name in known:
                continue
            self.problem(
                Text(
                    f"original_order.{key} 中的字段 {name!r} 不是数据表单 {data!r} 的顶层字段",
                    f"field {name!r} in original_order.{key} is not a top-level field of the data form "
                    f"{data!r}",
                ),
                f"$.original_order.{key}",
                "unknown-field",
                Text("请写数据表单中的顶层字段名", "name a top-level field of the data form"),
                suggestion=near_miss(name, known),
            )

    # referenced files
    def _load(self, relative: str, kind: str) -> tuple[Mapping[str, Any] | None, list[Problem], bool]:
        if relative not in self.cache:
            target = inside(self.root, relative)
            if target is None or not definition_exists(target):
                return None, [], False
            if kind == "form":
                self.cache[relative] = check_form_file(target, relative)
            else:
                tree, problems, self.rule_marks[relative] = read_rules_file(target, relative)
                self.cache[relative] = (tree, problems)
        tree, problems = self.cache[relative]
        return tree, problems, True

    def near_file(self, relative: str, folder: str, suffixes: Sequence[str]) -> str | None:
        """The file of ``folder`` (drafts included) a path that names no file most likely meant, as a path
        from the definitions root: a form's data schema, not its UI file; a rule file, not its cases."""
        names = [
            shown_path(found, self.root)
            for found in definition_files(self.root / folder, suffixes)
            if not found.name.endswith((UI_SUFFIX, ".cases.yaml", ".cases.yml"))
        ]
        return near_miss(relative, names)

    def check_form(self, relative: str, path: str) -> None:
        tree, problems, exists = self._load(relative, "form")
        if not exists:
            self.problem(
                Text(f"找不到表单文件 {relative!r}", f"form file {relative!r} not found"),
                path,
                "missing-file",
                Text("路径相对于定义根目录", "paths are relative to the definitions root"),
                suggestion=self.near_file(relative, "forms", (".json",)),
            )
            return
        if tree is None:
            first = problems[0] if problems else None
            detail = Text(first.message_in("zh"), first.message) if first else Text("无法读取", "unreadable")
            self.problem(
                Text(f"表单 {relative!r} 无效：{detail.zh}", f"form {relative!r} is not valid: {detail.en}"),
                path,
                "bad-form",
            )
            self.out.problems.extend(problems)
            return
        self.out.forms[relative] = tree
        self.check_layout(relative)

    def check_layout(self, relative: str) -> None:
        """The form's UI file, when it has one: published with it, so it must be valid too."""
        if relative in self.out.layouts or not relative.endswith(".json"):
            return
        ui_relative = relative[: -len(".json")] + UI_SUFFIX
        target = inside(self.root, ui_relative)
        if target is None or not definition_exists(target):
            return
        errors = [p for p in check_ui_file(target, ui_relative) if p.severity != "warning"]
        if errors:
            self.out.problems.extend(errors)
            return
        tree, marks, _ = load_file(target, ui_relative, "json")
        if isinstance(tree, dict):
            self.out.layouts[relative] = tree
            self.layout_marks[relative] = (ui_relative, marks)

    def check_rules(self, relative: str, path: str) -> Mapping[str, Any] | None:
        tree, problems, exists = self._load(relative, "rules")
        if not exists:
            self.problem(
                Text(f"找不到规则文件 {relative!r}", f"rule file {relative!r} not found"),
                path,
                "missing-file",
                Text("路径相对于定义根目录", "paths are relative to the definitions root"),
                suggestion=self.near_file(relative, "rules", YAML_SUFFIXES),
            )
            return None
        if tree is None:
            count = len(problems)
            self.problem(
                Text(
                    f"规则文件 {relative!r} 无效（其中报告了 {count} 个问题）",
                    f"rule file {relative!r} is not valid"
                    f" ({count} problem{'s' if count != 1 else ''} reported in it)",
                ),
                path,
                "bad-rules",
            )
            self.out.problems.extend(problems)
            return None
        self.out.warnings.extend(problems)  # a usable file has warnings at most
        kind = tree.get("kind")
        if kind not in EVALUATED_KINDS:  # it validates, but firing would fail on every order
            kinds = sorted(EVALUATED_KINDS)
            shown = ", ".join(kinds[:-1]) + " or " + kinds[-1]
            shown_zh = "、".join(kinds[:-1]) + " 或 " + kinds[-1]
            self.problem(
                Text(
                    f"规则文件类型 {kind!r} 无法选择目标状态；只有 {shown_zh} 类规则文件可以",
                    f"rule file kind {kind!r} cannot pick a destination; only {shown} rule files can",
                ),
                path,
                "unsupported-rules-kind",
                Text(
                    f"{relative} 声明的类型是 {kind!r}；请让 'rules:' 指向 {shown_zh} 类的规则文件",
                    f"{relative} declares kind {kind!r}; point 'rules:' at a rule file of kind {shown}",
                ),
            )
            return None
        self.out.rulesets[relative] = tree
        return tree

    def check_named_lists(self) -> None:
        """A list a workflow's condition names (``in_list('blocked-mobiles', …)``) is declared by one of
        the rule files the workflow names (their ``lists:``; engine.rules.list_checks)."""
        declared = sorted({name for tree in self.out.rulesets.values() for name in declared_lists(tree)})
        for name, path in self.named_lists:
            if name not in declared:
                self.problem(
                    Text(
                        f"条件引用的名单 {name!r} 未在此流程的任何规则文件的 lists: 中声明",
                        f"the condition names the list {name!r}, which no rule file of this workflow "
                        "declares under lists:",
                    ),
                    path,
                    UNDECLARED_LIST,
                    Text(
                        "在它的某个规则文件顶层声明：lists: {名称: {kind: ..., label: {zh: ..., en: ...}}}",
                        "declare it at the top of one of its rule files: "
                        "lists: {name: {kind: ..., label: ...}}",
                    ),
                    suggestion=near_miss(name, declared),
                )

    def check_condition(self, text: str, path: str, what: Text = _INVALID_CONDITION) -> None:
        self.named_lists.extend((name, path) for name in named_lists_in(text))
        file, marks, original = self.located.origin(path)
        line, column = marks.text_at(original)
        for error in check_expression(text):
            self.out.problems.append(
                Problem(
                    Text(f"{what.zh}：{error.words.zh}", f"{what.en}: {error.words.en}"),
                    file,
                    line,
                    column + max(error.column, 1) - 1,
                    original,
                    error.hint_words,
                    "bad-condition",
                    suggestion=error.suggestion,
                )
            )

    # transitions
    def check_state_name(self, name: str, path: str, where: str) -> bool:
        if name in self.states:
            return True
        self.unknown_names = True
        if name in self.broken_parallel or name.split(SEPARATOR)[0] in self.broken_parallel:
            return False  # it or its regions are malformed (reported by the schema): no guess at states
        self.problem(
            Text(f"{where} 中有未知的状态 {name!r}", f"unknown state {name!r} in {where}"),
            path,
            "unknown-state",
            suggestion=near_miss(name, self.states),
        )
        return False

    def check_transitions(self) -> list[tuple[int, list[str], list[str]]]:
        """Check each transition; return (index, expanded sources, dests) of each."""
        expanded = []
        roles = set(self.tree.get("roles") or []) | {SYSTEM_ROLE}
        everyone = [s.name for s in self.states.values() if s.parallel is None and not s.final]
        came_from = predecessors(self.tree["transitions"], everyone)
        for index, transition in enumerate(self.tree["transitions"]):
            if transition is None:  # its trigger, source or dest has the wrong shape (a schema problem)
                continue
            path = child_path("$.transitions", index)
            trigger = transition["trigger"]
            if trigger in RESERVED_TRIGGERS:
                self.problem(
                    Text(
                        f"操作名 {trigger!r} 是保留名：审计日志把订单的创建记为 {CREATE_TRIGGER!r}，"
                        f"把版本迁移记为 {MIGRATE_TRIGGER!r}，订单历史和事件关联会把这一步误当作其中之一",
                        f"trigger {trigger!r} is reserved: the audit trail records an order's creation as "
                        f"{CREATE_TRIGGER!r} and a version migration as {MIGRATE_TRIGGER!r}, so the history "
                        "and the correlation feed would read this step as one",
                    ),
                    child_path(path, "trigger"),
                    "reserved-trigger",
                    Text(
                        "请给这一步换个名字，例如 'place' 或 'submit'",
                        "name the step otherwise, e.g. 'place' or 'submit'",
                    ),
                )
            if "refusal" in transition and not transition.get("when"):
                self.problem(
                    Text(
                        f"流转 {trigger!r} 写了 refusal，却没有 when：它永远不会被拒绝",
                        f"transition {trigger!r} has a refusal but no when: nothing can refuse it",
                    ),
                    child_path(path, "refusal"),
                    "refusal-without-when",
                    Text(
                        "refusal 是 when 条件不成立时告诉用户的话；请补上条件，或删除 refusal",
                        "the refusal is what people are told when the when condition does not hold; "
                        "add the condition or remove the refusal",
                    ),
                    key=True,
                )
            source = transition["source"]
            if source == ANY_SOURCE:
                sources = [s.name for s in self.states.values() if s.parallel is None and not s.final]
            else:
                written = [source] if isinstance(source, str) else list(source)
                sources = []
                for position, name in enumerate(written):
                    name_path = child_path(path, "source")
                    if not isinstance(source, str):
                        name_path = child_path(name_path, position)
                    if not self.check_state_name(name, name_path, "source"):
                        continue
                    if self.states[name].final:
                        self.problem(
                            Text(
                                f"流转 {trigger!r} 从终止状态 {name!r} 出发",
                                f"transition {trigger!r} leaves final state {name!r}",
                            ),
                            name_path,
                            "from-final",
                            Text(
                                "终止状态意味着订单已结束；请删除 final: true，或删除这个来源状态",
                                "a final state ends the order; remove final: true or this source",
                            ),
                        )
                    sources.append(name)
            dest = transition["dest"]
            dests = []
            dest_path = child_path(path, "dest")
            pairs = (
                [(child_path(dest_path, k), v) for k, v in dest.items()]
                if isinstance(dest, dict)
                else [(dest_path, dest)]
            )
            if dest == PREVIOUS_STATE:  # back where the order came from: each source must be entered
                pairs = []
                dests.extend(self.check_previous(trigger, sources, came_from, dest_path))
            for value_path, name in pairs:
                if self.check_state_name(name, value_path, "dest"):
                    dests.append(name)
                    self.check_scope(trigger, sources, name, value_path)
            for position, role in enumerate(transition.get("roles") or []):
                if role not in roles:
                    unknown_role(self, role, roles, child_path(child_path(path, "roles"), position))
            if "form" in transition:
                self.check_form(transition["form"], child_path(path, "form"))
            ruleset = (
                self.check_rules(transition["rules"], child_path(path, "rules"))
                if "rules" in transition
                else None
            )
            if isinstance(dest, dict):
                self.check_outcomes(dest, dest_path, transition, ruleset)
            if self.action_names is not None:
                for position, action in enumerate(transition.get("actions") or []):
                    if action not in self.action_names:
                        unknown_action(self, action, child_path(child_path(path, "actions"), position))
            if "set" in transition:
                self.check_sets(trigger, transition["set"], child_path(path, "set"))
            if "shows" in transition:
                if transition.get("auto") is True:
                    self.problem(
                        Text(
                            f"流转 {trigger!r} 是自动流转，没有页面：shows 列出的字段无处显示",
                            f"transition {trigger!r} is automatic and has no page: what shows lists is "
                            "never shown",
                        ),
                        child_path(path, "shows"),
                        "shows-on-auto",
                        Text(
                            "请删去 shows，或把它写在有人执行的流转上",
                            "remove shows, or give it to a step a person takes",
                        ),
                    )
                self.check_shows(trigger, transition["shows"], child_path(path, "shows"))
            when = transition.get("when")
            if isinstance(when, str):
                self.check_condition(when, child_path(path, "when"))
            elif isinstance(when, list):
                for position, text in enumerate(when):
                    self.check_condition(text, child_path(child_path(path, "when"), position))
            expanded.append((index, sources, dests))
        return expanded

    def data_form_for(
        self, trigger: str, key: str, doing: Text, verb: Text, path: str
    ) -> tuple[str | None, Mapping[str, Any] | None]:
        """The workflow's data form, by its path and its schema (None when it does not load), whose
        fields ``key`` of transition ``trigger`` names; (None, None) and a problem when the workflow
        names none (``<key>-without-data-form``). ``doing``: what the key does with the order's data,
        ``verb``: what it does with the fields (``sets fields``, ``writes``)."""
        data = self.tree.get("data")
        if isinstance(data, str):
            return data, self.out.forms.get(data)
        self.problem(
            Text(
                f"流转 {trigger!r} {doing.zh}，但工作流没有声明数据表单（data:）",
                f"transition {trigger!r} {doing.en} of the order's data, but the workflow names no "
                "data form (data:)",
            ),
            path,
            f"{key}-without-data-form",
            Text(
                f"{key}: {verb.zh}的字段须在订单的数据表单中声明；请给工作流加上 data:",
                f"the fields {key}: {verb.en} are declared by the order's data form; "
                "add data: to the workflow",
            ),
            key=True,
        )
        return None, None

    def check_sets(self, trigger: str, sets: Mapping[str, Any], path: str) -> None:
        """``set:``: each field a field of the workflow's data form (walked through nested objects), set
        once, and each value an expression the language accepts (or a literal: null clears the field)."""
        data, schema = self.data_form_for(
            trigger, "set", Text("设置订单数据字段", "sets fields"), Text("写入", "writes"), path
        )
        written: list[str] = []
        for target, value in sets.items():
            where = child_path(path, target)
            segments = target.split(".")
            if segments[0] in ORDER_FIELDS:
                self.problem(
                    Text(
                        f"流转 {trigger!r} 不能设置 {target!r}：它是订单自己的字段，由引擎维护",
                        f"transition {trigger!r} cannot set {target!r}: it is the order's own field, "
                        "kept by the engine",
                    ),
                    where,
                    "set-order-field",
                    Text(
                        f"订单自己的字段：{'、'.join(ORDER_FIELDS)}",
                        f"the order's own fields: {', '.join(ORDER_FIELDS)}",
                    ),
                    key=True,
                )
            elif schema is not None:
                self.check_set_target(trigger, target, schema, data or "", where)
            clash = next((w for w in written if _overlapping(w, target)), None)
            if clash is not None:
                self.problem(
                    Text(
                        f"流转 {trigger!r} 既设置 {clash!r} 又设置 {target!r}：一个字段只能设置一次",
                        f"transition {trigger!r} sets both {clash!r} and {target!r}: a field is set once",
                    ),
                    where,
                    "set-twice",
                    Text("请合并成一个设置", "merge them into one"),
                    key=True,
                )
            written.append(target)
            if isinstance(value, str):
                self.check_condition(value, where, Text("要设置的值无效", "invalid value to set"))

    def check_shows(self, trigger: str, shows: Sequence[str], path: str) -> None:
        """``shows:``: each name a top-level field of the workflow's data form (what the step's page
        reads from the order's data)."""
        data, schema = self.data_form_for(
            trigger, "shows", Text("要显示订单数据字段", "shows fields"), Text("列出", "lists"), path
        )
        if data is None:
            return
        properties = schema.get("properties") if isinstance(schema, Mapping) else None
        if not isinstance(properties, Mapping):
            return  # the data form is missing or broken: reported where it is named
        known = sorted(str(name) for name in properties)
        for position, name in enumerate(shows):
            if name in properties:
                continue
            self.problem(
                Text(
                    f"流转 {trigger!r} 要显示的字段 {name!r} 不在订单的数据表单 {data!r} 中",
                    f"transition {trigger!r} shows {name!r}, which the order's data form {data!r} does "
                    "not declare",
                ),
                child_path(path, position),
                "shows-unknown-field",
                Text(
                    f"可显示的字段：{'、'.join(known) or '无'}",
                    f"fields it declares: {', '.join(known) or 'none'}",
                ),
                suggestion=near_miss(name, known),
            )

    def check_set_target(
        self, trigger: str, target: str, schema: Mapping[str, Any], form: str, where: str
    ) -> None:
        """The field ``target`` names in the data form ``schema``, or a problem with the nearest name."""
        current: Mapping[str, Any] | None = schema
        walked: list[str] = []
        for segment in target.split("."):
            if current is None:
                return
            kinds = current.get("type")
            kinds = [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else ["object"]
            if walked and "object" not in kinds:
                inside = ".".join(walked)
                shown = "、".join(str(k) for k in kinds), ", ".join(str(k) for k in kinds)
                self.problem(
                    Text(
                        f"流转 {trigger!r} 不能设置 {target!r}：{inside!r} 不是记录（{shown[0]}）",
                        f"transition {trigger!r} cannot set {target!r}: {inside!r} is not a record "
                        f"({shown[1]})",
                    ),
                    where,
                    "set-unknown-field",
                    Text(
                        f"set: 只能写入记录中的字段；要改 {inside!r} 请给出它的整个新值",
                        f"set: writes fields of records only; give {inside!r} its whole new value instead",
                    ),
                    key=True,
                )
                return
            child, known = _schema_child(current, segment, schema)
            if child is None and known is not None:
                inside = ".".join(walked)
                place = Text(f"的 {inside!r} 中", f" in {inside!r}") if inside else Text("", "")
                self.problem(
                    Text(
                        f"流转 {trigger!r} 设置的字段 {target!r} 不在订单的数据表单 {form!r}{place.zh}",
                        f"transition {trigger!r} sets {target!r}, which the order's data form {form!r} does "
                        f"not declare{place.en}",
                    ),
                    where,
                    "set-unknown-field",
                    Text(
                        f"可设置的字段：{'、'.join(sorted(known)) or '无'}；或先在数据表单中声明它",
                        f"fields it declares: {', '.join(sorted(known)) or 'none'}; "
                        "or declare it in the data form first",
                    ),
                    key=True,
                    suggestion=near_miss(segment, known),
                )
                return
            current = child
            walked.append(segment)

    def check_previous(
        self, trigger: str, sources: list[str], came_from: Mapping[str, set[str]], path: str
    ) -> list[str]:
        """``dest: "@previous"``: each source a plain top-level state some transition enters; the states
        it may go back to."""
        back: set[str] = set()
        for name in sources:
            state = self.states[name]
            entered = came_from.get(name, set()) - {name}
            if state.parallel is not None or state.regions:
                self.problem(
                    Text(
                        f"流转 {trigger!r} 的 {PREVIOUS_STATE} 只能从普通的顶层状态返回，{name!r} 不是",
                        f"transition {trigger!r} goes back with {PREVIOUS_STATE} only from a plain "
                        f"top-level state, which {name!r} is not",
                    ),
                    path,
                    "previous-state",
                    Text("请写出具体的目标状态", "name the state to go to instead"),
                )
            elif not entered:
                self.problem(
                    Text(
                        f"流转 {trigger!r} 要回到订单来的状态，但没有流转从别的状态进入 {name!r}",
                        f"transition {trigger!r} goes back where the order came from, but no transition "
                        f"enters {name!r} from another state",
                    ),
                    path,
                    "previous-state",
                    Text("请写出具体的目标状态", "name the state to go to instead"),
                )
            back.update(entered)
        return sorted(back)

    def check_scope(self, trigger: str, sources: list[str], dest: str, path: str) -> None:
        """A dest inside a region is reached only from its own region."""
        target = self.states[dest]
        if target.parallel is None:
            return
        for name in sources:
            state = self.states[name]
            if (state.parallel, state.region) != (target.parallel, target.region):
                self.problem(
                    Text(
                        f"流转 {trigger!r} 从 {name!r} 直接进入并行区域 {target.region!r} 中的 {dest!r}",
                        f"transition {trigger!r} enters {dest!r} inside region {target.region!r} "
                        f"from {name!r}",
                    ),
                    path,
                    "region-scope",
                    Text(
                        f"请改为进入并行状态 {target.parallel!r}：每个区域都从它的初始状态开始",
                        f"go to the parallel state {target.parallel!r}: "
                        "every region starts at its initial state",
                    ),
                )
                return

    def check_outcomes(
        self, dest: dict[str, str], path: str, transition: dict[str, Any], ruleset: Mapping[str, Any] | None
    ) -> None:
        if "rules" not in transition:
            self.problem(
                Text(
                    f"'dest' 把结果对应到状态，因此流转 {transition['trigger']!r} 需要 'rules:'",
                    f"'dest' maps outcomes to states, so transition {transition['trigger']!r} needs 'rules:'",
                ),
                path,
                "dest-without-rules",
                Text(
                    "请写明由哪个规则文件的结果选择目标状态，或只给一个目标状态",
                    "name the rule file whose outcome picks the dest, or give one dest state",
                ),
            )
            return
        if ruleset is None:
            return
        outcomes = [str(o) for o in ruleset.get("outcomes") or []]
        if not outcomes:
            return
        for outcome in outcomes:
            if outcome not in dest:
                self.problem(
                    Text(
                        f"{transition['rules']!r} 的结果 {outcome!r} 在 'dest' 中没有对应的状态",
                        f"outcome {outcome!r} of {transition['rules']!r} has no state in 'dest'",
                    ),
                    path,
                    "unmapped-outcome",
                    Text(
                        f"请为每个结果指定状态：{'、'.join(outcomes)}",
                        f"map every outcome: {', '.join(outcomes)}",
                    ),
                )
        for outcome in dest:
            if outcome not in outcomes:
                self.problem(
                    Text(
                        f"{transition['rules']!r} 没有结果 {outcome!r}",
                        f"{transition['rules']!r} has no outcome {outcome!r}",
                    ),
                    child_path(path, outcome),
                    "unknown-outcome",
                    key=True,
                    suggestion=near_miss(outcome, outcomes),
                )

    def check_ambiguity(self, expanded: list[tuple[int, list[str], list[str]]]) -> None:
        unguarded: dict[tuple[str, str], list[int]] = defaultdict(list)
        for index, sources, _ in expanded:
            transition = self.tree["transitions"][index]
            if "when" in transition or "rules" in transition:
                continue
            for name in sources:
                unguarded[(name, transition["trigger"])].append(index)
        reported: set[tuple[int, int]] = set()
        for (name, trigger), indexes in unguarded.items():
            if len(indexes) < 2 or (indexes[0], indexes[1]) in reported:
                continue
            reported.add((indexes[0], indexes[1]))
            file, line, _, _ = self.located.position(child_path("$.transitions", indexes[0]))
            here = self.located.position(child_path("$.transitions", indexes[1]))[0]
            where = _line_words(file, line, here)
            self.problem(
                Text(
                    f"在状态 {name!r} 下，操作 {trigger!r} 还对应位于{where.zh}的流转；"
                    "两者都没有 'when' 或 'rules' 来决定走哪一条",
                    f"trigger {trigger!r} from state {name!r} is also taken by the transition at {where.en};"
                    " neither has 'when' or 'rules' to choose between them",
                ),
                child_path(child_path("$.transitions", indexes[1]), "trigger"),
                "ambiguous-trigger",
                Text(
                    "请给其中一条加上 'when' 条件，或缩小它的来源状态",
                    "add a 'when' condition to one of them, or narrow its source",
                ),
            )

    def leaves(self, transition: Mapping[str, Any], name: str, dests: list[str]) -> str | None:
        """The parallel state a transition leaves from source ``name`` (a dest outside it, or the
        parallel state itself, whose regions then start again), or None."""
        state = self.states[name]
        parallel = state.parallel or (name if state.regions else None)
        if parallel is None or not any(self.states[d].parallel != parallel for d in dests):
            return None
        return parallel

    def joins(self, transition: Mapping[str, Any], name: str, dests: list[str]) -> str | None:
        """The parallel state whose join a transition from ``name`` waits for (None if it interrupts)."""
        return None if transition.get("interrupts") else self.leaves(transition, name, dests)

    def check_joins(self, expanded: list[tuple[int, list[str], list[str]]]) -> None:
        """Leaving a parallel state waits for every region to be final unless the transition interrupts:
        from a region's state (not final: leaving a final one is refused already) that never happens.
        ``interrupts`` on a transition that leaves no parallel state changes nothing (a warning), and a
        step out of a parallel state that an unconditional automatic transition leaves first, at the
        join, is never offered (a warning)."""
        first_auto: dict[str, int] = {}  # parallel state -> its unconditional automatic join
        for index, sources, dests in expanded:
            transition = self.tree["transitions"][index]
            if transition.get("auto") and "when" not in transition and "rules" not in transition:
                for name in sources:
                    if self.joins(transition, name, dests) == name:
                        first_auto.setdefault(name, index)
        for index, sources, dests in expanded:
            transition = self.tree["transitions"][index]
            path = child_path("$.transitions", index)
            trigger = transition["trigger"]
            written = transition["source"]
            left = [name for name in sources if self.leaves(transition, name, dests)]
            # (a source or dest left out as unknown or malformed might be the parallel state)
            judged = not (self.unknown_names or self.partial or self.broken_parallel)
            if transition.get("interrupts") and judged and not left:
                self.warning(
                    Text(
                        f"流转 {trigger!r} 写了 interrupts: true，但它并不离开任何并行状态",
                        f"transition {trigger!r} has interrupts: true but leaves no parallel state",
                    ),
                    child_path(path, "interrupts"),
                    "interrupts-nothing",
                    Text(
                        "interrupts 只对离开并行状态的流转有意义；请删除它",
                        "interrupts only matters for a transition out of a parallel state; remove it",
                    ),
                    key=True,
                )
            for name in left:
                parallel = self.joins(transition, name, dests)
                if parallel is None:
                    continue
                if parallel != name:
                    where = child_path(path, "source")
                    if isinstance(written, list) and name in written:
                        where = child_path(where, written.index(name))
                    self.problem(
                        Text(
                            f"流转 {trigger!r} 从 {name!r} 离开并行状态 {parallel!r}，"
                            f"但没有 interrupts: true，因此要等 {parallel!r} 的每个区域都完成，"
                            f"而订单处于 {name!r} 时这永远不会发生",
                            f"transition {trigger!r} leaves parallel state {parallel!r} from {name!r} "
                            f"without interrupts: true, so it waits until every region of {parallel!r} "
                            f"is done, which never happens while the order is in {name!r}",
                        ),
                        where,
                        "join-never",
                        Text(
                            "如果它是要提前结束其他区域（如取消），请加上 interrupts: true；"
                            f"如果要等每个区域都完成，请让它从 {parallel!r} 出发",
                            "add interrupts: true if it is meant to cut the other regions short "
                            f"(as a cancel does), or start it from {parallel!r} to wait for every region",
                        ),
                    )
                    continue
                auto = first_auto.get(name)
                if auto is not None and auto != index and not transition.get("auto"):
                    line = self.located.position(child_path("$.transitions", auto))[1]
                    self.warning(
                        Text(
                            f"离开 {name!r} 的流转 {trigger!r} 永远不会被执行：一旦每个区域都完成，"
                            f"第 {line} 行的自动流转就会先离开 {name!r}",
                            f"transition {trigger!r} out of {name!r} is never taken: once every region is "
                            f"done, the automatic transition at line {line} leaves {name!r} first",
                        ),
                        child_path(path, "trigger"),
                        "after-join",
                        Text(
                            "请给那条自动流转加上 'when'；如果这一条可以在各区域完成前离开，请给它加上 "
                            "interrupts: true",
                            "give the automatic transition a 'when', or add interrupts: true to this one if "
                            "it may leave before the regions are done",
                        ),
                    )

    def warning(
        self, words: Text, path: str, code: str, hint: Text | None = None, *, key: bool = False
    ) -> None:
        found = self.located.problem(words, path, code, hint, key=key)
        self.out.warnings.append(replace(found, severity=Severity.WARNING))

    def check_forms_of_a_trigger(self, expanded: list[tuple[int, list[str], list[str]]]) -> None:
        """Transitions on one trigger that can leave one state take one form (or none): the data sent is
        checked against the form of the first of them before any ``when`` is evaluated, so a second
        form there could never be filled (an automatic no-form ``pay`` listed first refused every
        person's ``pay`` with data)."""
        seen: dict[str, list[tuple[int, list[str]]]] = defaultdict(list)
        for index, sources, _ in expanded:
            transition = self.tree["transitions"][index]
            trigger = transition["trigger"]
            form = transition.get("form")
            for earlier, earlier_sources in seen[trigger]:
                other = self.tree["transitions"][earlier].get("form")
                shared = _shared_source(earlier_sources, sources)
                if other == form or shared is None:
                    continue
                path = child_path("$.transitions", index)
                file, line, _, _ = self.located.position(child_path("$.transitions", earlier))
                where = _line_words(file, line, self.located.position(path)[0])
                takes, takes_other = _form_words(form), _form_words(other)
                self.problem(
                    Text(
                        f"在状态 {shared!r} 下，操作 {trigger!r} 在这里{takes.zh}，而在位于{where.zh}的流转中"
                        f"{takes_other.zh}；提交的数据先按第一条流转的表单检查，然后才会对任何 'when' 求值",
                        f"trigger {trigger!r} from state {shared!r} takes {takes.en} here but "
                        f"{takes_other.en} in the transition at {where.en}; the form of the first decides "
                        "what may be sent, before any 'when' is evaluated",
                    ),
                    child_path(path, "form" if form is not None else "trigger"),
                    "trigger-forms",
                    Text(
                        "同一状态下同一操作的流转请使用相同的表单，或给它们起不同的名字"
                        "（不带表单的自动步骤：例如在 'pay' 旁边用 'skip_payment'）",
                        "give the transitions of one trigger from one state the same form, "
                        "or name them apart "
                        "(an automatic step without a form: e.g. 'skip_payment' beside 'pay')",
                    ),
                )
                break
            seen[trigger].append((index, sources))

    def check_owned_fields(self) -> None:
        """A transition's form may not declare a field the engine owns (engine.dsl.ownership) unless an
        action of that transition writes it, taking it as its input. Judged only where what each of the
        transition's actions writes is known (``action_writes``), and every intake form could be read."""
        forms = self.out.forms
        intakes = [path for path in (self.tree.get("intake") or {}).values() if isinstance(path, str)]
        if any(path not in forms for path in intakes):
            return  # a field it asks for would look owned
        data = self.tree.get("data")
        steps: dict[int, StepFlow] = {}
        for index, transition in enumerate(self.tree["transitions"]):
            if transition is None:
                continue
            rules = transition.get("rules")
            form = transition.get("form")
            steps[index] = StepFlow(
                tuple(_strings(transition.get("actions")) or ()),
                self.out.rulesets.get(rules) if isinstance(rules, str) else None,
                rules if isinstance(rules, str) else "",
                forms.get(form) if isinstance(form, str) else None,
            )
        ownership = data_ownership(
            steps.values(),
            (data, forms[data]) if isinstance(data, str) and data in forms else None,
            [forms[path] for path in intakes],
            self.action_writes,
        )
        for index, step in steps.items():
            if step.form is None or any(action not in self.action_writes for action in step.actions):
                continue
            transition = self.tree["transitions"][index]
            inputs = ownership.inputs(step, self.action_writes)
            for name in sorted(form_fields(step.form)):
                owner = ownership.owned.get(name)
                if owner is None or name in inputs:
                    continue
                self.problem(
                    Text(
                        f"{transition['trigger']!r} 的表单 {transition['form']!r} 声明了字段 {name!r}，"
                        f"而它由工作流记录（{owner.zh}）：任何提交的数据都不能写入它",
                        f"form {transition['form']!r} of {transition['trigger']!r} declares {name!r}, "
                        f"which the workflow records ({owner.en}): no data may write it",
                    ),
                    child_path(child_path("$.transitions", index), "form"),
                    "owned-field",
                    Text(
                        "请从表单中删除该字段，或让本流转的某个动作写入它"
                        "（表单可以把动作所需的输入发给该动作：例如把运单号发给 logistics.waybill）",
                        "remove the field from the form, or let an action of this transition write it "
                        "(a form may send an action its input: a waybill number to logistics.waybill)",
                    ),
                )

    def check_reachability(self, expanded: list[tuple[int, list[str], list[str]]]) -> None:
        edges: dict[str, set[str]] = defaultdict(set)
        for _, sources, dests in expanded:
            for name in sources:
                edges[name].update(dests)
        for name, spec in self.tree["states"].items():  # an approver's return (回退) enters its state too
            approval = spec.get("approval") if isinstance(spec, dict) else None
            returns = approval.get("return_to") if isinstance(approval, dict) else None
            if isinstance(returns, list):
                edges[name].update(r for r in returns if isinstance(r, str) and r in self.states)
        seen: set[str] = set()
        queue = deque([self.tree["initial"]] if self.tree["initial"] in self.states else [])
        while queue:
            name = queue.popleft()
            if name in seen:
                continue
            seen.add(name)
            queue.extend(edges[name])
            state = self.states[name]
            if state.parallel is not None:
                queue.append(state.parallel)
            for region, children in state.regions.items():
                initial = self.tree["states"][name]["parallel"][region]["initial"]
                full = SEPARATOR.join((name, region, initial))
                if full in children:
                    queue.append(full)
        if self.tree["initial"] not in self.states:
            return
        for name, state in self.states.items():
            if name not in seen and (state.parallel is None or state.parallel in seen):
                self.problem(
                    Text(
                        f"从初始状态 {self.tree['initial']!r} 无法到达状态 {name!r}",
                        f"state {name!r} cannot be reached from the initial state {self.tree['initial']!r}",
                    ),
                    state.json_path,
                    "unreachable",
                    Text("请添加一条进入它的流转，或删除它", "add a transition into it, or remove it"),
                    key=True,
                )

    def check_ways_out(self, expanded: list[tuple[int, list[str], list[str]]]) -> None:
        leaving: set[str] = set()
        for _, sources, dests in expanded:
            for name in sources:
                leaving.add(name)
                state = self.states[name]
                if state.parallel is not None and any(self.states[d].parallel is None for d in dests):
                    leaving.add(state.parallel)
        for name, state in self.states.items():
            if not state.final and name not in leaving:
                self.problem(
                    Text(
                        f"状态 {name!r} 不是终止状态，但没有任何流转离开它",
                        f"state {name!r} is not final but no transition leaves it",
                    ),
                    state.json_path,
                    "dead-end",
                    Text(
                        "请添加一条从它出发的流转，或把它标为 final: true",
                        "add a transition from it, or mark it final: true",
                    ),
                    key=True,
                )

    def check_timers(self, expanded: list[tuple[int, list[str], list[str]]]) -> None:
        triggers: dict[str, set[str]] = defaultdict(set)
        for index, sources, _ in expanded:
            for name in sources:
                triggers[name].add(self.tree["transitions"][index]["trigger"])
        # Transitions out of a parallel state that interrupt it: the only ones a timer inside a region
        # can fire (one that waits for every region cannot leave while a region is not final).
        interrupting: dict[str, set[str]] = defaultdict(set)
        for index, sources, dests in expanded:
            transition = self.tree["transitions"][index]
            for name in sources:
                if self.states[name].regions and not self.joins(transition, name, dests):
                    interrupting[name].add(transition["trigger"])
        for name, state in self.states.items():
            body = self.tree["states"][name] if state.parallel is None else self._region_state(name)
            for position, timer in enumerate(body.get("timers") or []):
                path = child_path(child_path(state.json_path, "timers"), position)
                trigger = timer["trigger"]
                parallel = state.parallel
                outer = set()
                if parallel is not None:
                    outer = triggers[parallel] if state.final else interrupting[parallel]
                available = triggers[name] | outer
                if self.partial:
                    pass
                elif parallel is not None and trigger not in available and trigger in triggers[parallel]:
                    self.problem(
                        Text(
                            f"定时器触发操作 {trigger!r}，但它离开 {parallel!r} 的流转要等每个区域都完成，"
                            f"而订单处于 {name!r} 时这永远不会发生",
                            f"timer fires trigger {trigger!r}, but its transition out of {parallel!r} waits "
                            f"until every region is done, which never happens while the order is in {name!r}",
                        ),
                        child_path(path, "trigger"),
                        "timer-trigger",
                        Text(
                            "请给那条流转加上 interrupts: true（如取消那样）",
                            "add interrupts: true to that transition (as a cancel does)",
                        ),
                    )
                elif trigger not in available:
                    self.problem(
                        Text(
                            f"定时器触发操作 {trigger!r}，但没有这个操作的流转离开 {name!r}",
                            f"timer fires trigger {trigger!r} but no transition on it leaves {name!r}",
                        ),
                        child_path(path, "trigger"),
                        "timer-trigger",
                        Text(
                            "请从这个状态添加一条该操作的流转",
                            "add a transition on that trigger from this state",
                        ),
                        suggestion=near_miss(trigger, available),
                    )
                elif state.regions and trigger not in interrupting[name]:
                    self.warning(
                        Text(
                            f"定时器触发操作 {trigger!r}，而它离开 {name!r} 的流转要等每个区域都完成："
                            "如果定时器到期时各区域尚未全部完成，定时器就会被取消",
                            f"timer fires trigger {trigger!r}, whose transition out of {name!r} waits until "
                            "every region is done: if they are not when the timer is due, it is cancelled",
                        ),
                        child_path(path, "trigger"),
                        "timer-join",
                        Text(
                            "如果定时器是要提前结束这些区域，请给那条流转加上 interrupts: true",
                            "add interrupts: true to that transition if the timer is meant to cut the "
                            "regions short",
                        ),
                    )
                if ("after" in timer) == ("at" in timer):
                    both = "after" in timer
                    self.problem(
                        Text(
                            "定时器同时写了 after: 和 at:" if both else "定时器没有写何时触发",
                            "the timer has both after: and at:"
                            if both
                            else "the timer says not when it fires",
                        ),
                        path,
                        "timer-when",
                        Text(
                            "请只写其一：after: 7d（进入此状态后多久），"
                            "或 at: order.return_by（订单所记的时刻）",
                            "write exactly one: after: 7d (how long after entering the state) or "
                            "at: order.return_by (a moment the order holds)",
                        ),
                    )
                if isinstance(timer.get("at"), str):
                    self.check_condition(timer["at"], child_path(path, "at"), _INVALID_MOMENT)
                if "when" in timer:
                    self.check_condition(timer["when"], child_path(path, "when"))

    def check_approvals(self, expanded: list[tuple[int, list[str], list[str]]]) -> None:
        """An approval step's approvers, sign, triggers, return_to and timeout (docs/workflow-language.md,
        "Approval steps")."""
        roles = set(self.tree.get("roles") or [])
        leaving: dict[str, set[str]] = defaultdict(set)  # state -> triggers of transitions leaving it
        edges: dict[str, set[str]] = defaultdict(set)
        for index, sources, dests in expanded:
            trigger = self.tree["transitions"][index]["trigger"]
            for name in sources:
                edges[name].update(dests)
                if any(dest != name for dest in dests):
                    leaving[name].add(trigger)
        for name, state in self.tree["states"].items():
            approval = state.get("approval")
            if not isinstance(approval, dict):
                continue
            path = child_path(child_path("$.states", name), "approval")
            if state.get("final") or state.get("parallel"):
                self.problem(
                    Text(
                        f"终止状态或并行状态 {name!r} 不能是审批步骤",
                        f"a final or parallel state ({name!r}) cannot be an approval step",
                    ),
                    path,
                    "approval-state",
                    Text("请把 approval: 放在一个普通状态上", "put approval: on a plain state"),
                    key=True,
                )
                continue
            approvers = approval.get("approvers")
            approvers = approvers if isinstance(approvers, list) else []
            for position, approver in enumerate(approvers):
                if not isinstance(approver, dict):
                    continue
                here = child_path(child_path(path, "approvers"), position)
                fallback = approver.get("else")
                self.check_approver_kind(approver, here)
                for who, where in ((approver, here), (fallback, child_path(here, "else"))):
                    role = who.get("role") if isinstance(who, dict) else None
                    if isinstance(role, str) and role not in roles:
                        self.problem(
                            Text(
                                f"审批人中有未知的角色 {role!r}", f"unknown role {role!r} among the approvers"
                            ),
                            child_path(where, "role"),
                            "unknown-role",
                            Text("请把它加入工作流的 roles: 列表", "add it to the workflow's roles: list"),
                            suggestion=near_miss(role, roles),
                        )
                if isinstance(approver.get("expr"), str):
                    self.check_condition(approver["expr"], child_path(here, "expr"))
            sign = approval.get("sign")
            if isinstance(sign, int) and not isinstance(sign, bool) and approvers and sign > len(approvers):
                self.problem(
                    Text(
                        f"要求 {sign} 人通过，但只列出了 {len(approvers)} 位审批人",
                        f"sign asks for {sign} approvals but only {len(approvers)} approvers are listed",
                    ),
                    child_path(path, "sign"),
                    "approval-sign",
                    Text(
                        "请减少人数，或添加审批人（全部通过请写 all）",
                        "lower the number, or add approvers (write all for every one of them)",
                    ),
                )
            for key in ("approve", "decline"):
                trigger = approval.get(key)
                if not isinstance(trigger, str) or self.partial:
                    continue
                if trigger not in leaving[name]:
                    self.problem(
                        Text(
                            f"审批的 {key} 是操作 {trigger!r}，但没有这个操作的流转离开 {name!r}",
                            f"the approval's {key} is trigger {trigger!r}, "
                            f"but no transition on it leaves {name!r}",
                        ),
                        child_path(path, key),
                        "approval-trigger",
                        Text(
                            "请添加一条从这个状态出发、去往别处的该操作流转",
                            "add a transition on that trigger from this state to another one",
                        ),
                        suggestion=near_miss(trigger, leaving[name]),
                    )
            self.check_approval_auto(name, approval, expanded)
            returns = approval.get("return_to")
            returns = [r for r in returns if isinstance(r, str)] if isinstance(returns, list) else []
            for position, target in enumerate(returns):
                self.check_return(name, target, child_path(child_path(path, "return_to"), position), edges)
            timeout = approval.get("timeout")
            if isinstance(timeout, dict):
                self.check_approval_timeout(name, timeout, returns, roles, child_path(path, "timeout"))

    def check_approver_kind(self, approver: Mapping[str, Any], path: str) -> None:
        """An approver is one of role, user or expr; ``else`` (who signs instead) goes with an expr."""
        kinds = [kind for kind in ("role", "user", "expr") if kind in approver]
        if len(kinds) > 1:
            self.problem(
                Text(
                    f"一位审批人只能是 role、user 或 expr 之一，这里写了 {'、'.join(kinds)}",
                    f"an approver is one of role, user or expr, not {' and '.join(kinds)}",
                ),
                path,
                "approval-approver",
                Text(
                    "请分成几位审批人，或用 expr 加 else：{expr: …, else: {role: …}}",
                    "list them as separate approvers, or write expr with else: {expr: …, else: {role: …}}",
                ),
            )
        elif "else" in approver and kinds != ["expr"]:
            self.problem(
                Text(
                    "else 只用于 expr 审批人：表达式没有指出任何人时由谁签署",
                    "else goes with an expr approver only: who signs when the expression names nobody",
                ),
                child_path(path, "else"),
                "approval-approver",
                Text(
                    "请写 {expr: order.account.manager, else: {role: …}}，或去掉 else",
                    "write {expr: order.account.manager, else: {role: …}}, or leave else out",
                ),
                key=True,
            )

    def check_approval_auto(
        self, name: str, approval: Mapping[str, Any], expanded: list[tuple[int, list[str], list[str]]]
    ) -> None:
        """The approval's approve and decline transitions from ``name`` wait for the approvers: one marked
        ``auto: true`` would be taken by the engine as soon as its guard holds, with nobody signing."""
        triggers = {
            approval.get(key): key for key in ("decline", "approve") if isinstance(approval.get(key), str)
        }
        for index, sources, _ in expanded:
            transition = self.tree["transitions"][index]
            key = triggers.get(transition["trigger"])
            if key is None or name not in sources or transition.get("auto") is not True:
                continue
            trigger = transition["trigger"]
            self.problem(
                Text(
                    f"流转 {trigger!r} 是 {name!r} 审批的 {key} 操作，却标记了 auto: true："
                    "引擎会在没有审批人签署的情况下自动执行它",
                    f"transition {trigger!r} is the {key} of the approval of {name!r} but is marked "
                    "auto: true: the engine would take it without any approver signing",
                ),
                child_path(child_path("$.transitions", index), "auto"),
                "approval-auto",
                Text(
                    "请删除 auto: true：审批人签署足够后，审批会执行这条流转",
                    "remove auto: true: the approval takes this transition once enough approvers signed",
                ),
                key=True,
            )

    def check_return(self, name: str, target: str, path: str, edges: Mapping[str, set[str]]) -> None:
        """``target`` is an earlier state: a plain state from which the order can reach ``name``."""
        if not self.check_state_name(target, path, "return_to"):
            return
        seen: set[str] = set()
        queue = deque([target])
        while queue:
            here = queue.popleft()
            if here in seen:
                continue
            seen.add(here)
            queue.extend(edges.get(here, ()))
        if target == name or name not in seen or self.states[target].parallel is not None:
            self.problem(
                Text(
                    f"不能把订单退回到 {target!r}：它不是 {name!r} 之前的步骤（从它到不了 {name!r}）",
                    f"the order cannot be returned to {target!r}: it is not a step before {name!r} "
                    f"(the order cannot get from it to {name!r})",
                ),
                path,
                "approval-return",
                Text(
                    "请只列出订单走到这里之前经过的顶层状态",
                    "list only top-level states the order passes through on its way here",
                ),
            )

    def check_approval_timeout(
        self, name: str, timeout: Mapping[str, Any], returns: Sequence[str], roles: set[str], path: str
    ) -> None:
        then = timeout.get("then")
        target = timeout.get("return_to")
        if then == "return" and not returns:
            self.problem(
                Text(
                    f"超时退回，但 {name!r} 的审批没有 return_to",
                    f"the timeout returns the order, but the approval of {name!r} has no return_to",
                ),
                child_path(path, "then"),
                "approval-timeout",
                Text(
                    "请给审批加上 return_to: [某个较早的状态]",
                    "give the approval return_to: [an earlier state]",
                ),
            )
        elif isinstance(target, str) and target not in returns:
            self.problem(
                Text(
                    f"超时退回到 {target!r}，但它不在审批的 return_to 中",
                    f"the timeout returns the order to {target!r}, which is not in the approval's return_to",
                ),
                child_path(path, "return_to"),
                "approval-timeout",
                suggestion=near_miss(target, returns),
            )
        escalate = timeout.get("escalate_to")
        role = escalate.get("role") if isinstance(escalate, dict) else None
        if then == "escalate" and escalate is None:
            self.problem(
                Text(
                    "超时升级，但没有写升级给谁（escalate_to）",
                    "the timeout escalates, but escalate_to is missing",
                ),
                child_path(path, "then"),
                "approval-timeout",
                Text("请写 escalate_to: {role: 某个角色}", "write escalate_to: {role: some_role}"),
            )
        elif isinstance(role, str) and role not in roles:
            self.problem(
                Text(f"超时升级给未知的角色 {role!r}", f"the timeout escalates to unknown role {role!r}"),
                child_path(child_path(path, "escalate_to"), "role"),
                "unknown-role",
                Text("请把它加入工作流的 roles: 列表", "add it to the workflow's roles: list"),
                suggestion=near_miss(role, roles),
            )

    def _region_state(self, name: str) -> dict[str, Any]:
        parallel, region, child = name.split(SEPARATOR)
        result: dict[str, Any] = self.tree["states"][parallel]["parallel"][region]["states"][child]
        return result

    # what conditions read
    def check_facts(self) -> None:
        """Fields a condition reads that the workflow's forms do not have, and text compared with a number
        (``engine.rules.facts``): in every transition and timer condition, and in every rule file a
        transition names, judged against this workflow's forms."""
        order = self.order_facts()
        self.check_prefills(order)
        for index, transition in enumerate(self.tree["transitions"]):
            if transition is None:
                continue
            roots: dict[str, Root] = {} if order is None else {"order": order}
            form = transition.get("form")
            if form is None:
                trigger = transition["trigger"]
                roots["data"] = facts.no_data(
                    Text(
                        f"流转 {trigger!r} 没有表单，因此不接收数据",
                        f"transition {trigger!r} has no form, so it takes no data",
                    ),
                    Text(
                        "请读取订单的字段（order.{name}），或给该流转一个声明了 '{name}' 的表单",
                        "read the order's field (order.{name}), "
                        "or give the transition a form that declares '{name}'",
                    ),
                )
            elif form in self.out.forms:
                roots["data"] = facts.data_root((form, self.out.forms[form]), transition["trigger"])
            path = child_path(child_path("$.transitions", index), "when")
            when = transition.get("when")
            conditions = (
                [(when, path)]
                if isinstance(when, str)
                else [(text, child_path(path, position)) for position, text in enumerate(when or [])]
            )
            sets = transition.get("set") or {}
            set_path = child_path(child_path("$.transitions", index), "set")
            conditions += [
                (text, child_path(set_path, key)) for key, text in sets.items() if isinstance(text, str)
            ]
            for text, where in conditions:
                self.report_facts(facts.check_condition(text, roots), where)
            relative = transition.get("rules")
            if relative in self.out.rulesets and relative in self.rule_marks:
                marks = self.rule_marks[relative]
                for json_path, finding in facts.check_ruleset(self.out.rulesets[relative], roots):
                    line, column = marks.text_at(json_path)
                    self.add_finding(finding, relative, line, column, json_path)
        timer_roots: dict[str, Root] = {} if order is None else {"order": order}
        timer_roots["data"] = facts.no_data(
            Text("定时器触发时不带数据", "a timer fires without data"),
            Text("请读取订单的字段（order.{name}）", "read the order's field (order.{name})"),
        )
        for name, state in self.states.items():
            body = self.tree["states"][name] if state.parallel is None else self._region_state(name)
            for position, timer in enumerate(body.get("timers") or []):
                at_path = child_path(child_path(state.json_path, "timers"), position)
                if "when" in timer:
                    where = child_path(at_path, "when")
                    self.report_facts(facts.check_condition(timer["when"], timer_roots), where)
                if isinstance(timer.get("at"), str):
                    where = child_path(at_path, "at")
                    self.report_facts(facts.check_condition(timer["at"], timer_roots), where)
                    self.report_facts(facts.check_moment(timer["at"], timer_roots), where)

    def check_record_facts(self, order: Root | None) -> None:
        """The conditions of each record kind's transitions, judged as an order's are: ``data`` is what
        the step's form declares (nothing without a form), ``order`` the order's fields; ``record`` and
        ``records`` are read unchecked."""
        for kind, body in record_kinds(self.located.tree).items():
            transitions = body.get("transitions")
            for index, transition in enumerate(transitions if isinstance(transitions, list) else []):
                if not isinstance(transition, Mapping):
                    continue
                trigger = f"{kind}.{transition.get('trigger')}"
                roots: dict[str, Root] = {} if order is None else {"order": order}
                form = transition.get("form")
                if form is None:
                    roots["data"] = facts.no_data(
                        Text(
                            f"流转 {trigger!r} 没有表单，因此不接收数据",
                            f"transition {trigger!r} has no form, so it takes no data",
                        ),
                        Text(
                            "请读取记录的字段（record.{name}），或给该流转一个声明了 '{name}' 的表单",
                            "read the record's field (record.{name}), "
                            "or give the transition a form that declares '{name}'",
                        ),
                    )
                elif isinstance(form, str) and form in self.out.forms:
                    roots["data"] = facts.data_root((form, self.out.forms[form]), trigger)
                path = child_path(
                    child_path(child_path(child_path("$.records", kind), "transitions"), index), "when"
                )
                when = transition.get("when")
                conditions = (
                    [(when, path)]
                    if isinstance(when, str)
                    else [
                        (text, child_path(path, position))
                        for position, text in enumerate(when if isinstance(when, list) else [])
                        if isinstance(text, str)
                    ]
                )
                for text, where in conditions:
                    self.report_facts(facts.check_condition(text, roots), where)

    def check_prefills(self, order: Root | None) -> None:
        """What the ``prefill`` of each UI file the workflow's forms have reads of ``order``, judged against
        this workflow as its guards are (``engine.rules.facts``): a field no form, action or rule output
        of the workflow has is reported in the UI file, at its column, with the nearest name; an error
        where the data form closes the object it is read from, a warning where it leaves it open."""
        if order is None:
            return
        for relative, layout in self.out.layouts.items():
            prefill = layout.get("prefill")
            if relative not in self.layout_marks or not isinstance(prefill, Mapping):
                continue
            ui_relative, marks = self.layout_marks[relative]
            for name, text in prefill.items():
                if not isinstance(text, str):
                    continue
                where = child_path("$.prefill", name)
                line, column = marks.text_at(where)  # a JSON string's opening quote
                for finding in facts.check_condition(text, {"order": order}):
                    self.add_finding(finding, ui_relative, line, column + 1 if column else 0, where)

    def check_rule_queues(self) -> None:
        """The queues the rule files of the transitions name (a rule's or a row's ``queue:``) that no state
        of this workflow declares: a decision names the queue its order waits in, so one misspelt
        (``risk-reveiw``) is a warning in the rule file, at its line, with the queue it is nearest to."""
        declared = _queues(self.located.tree.get("states"))
        queues = sorted(declared)
        seen: set[str] = set()
        for transition in self.tree["transitions"]:
            relative = transition.get("rules") if transition is not None else None
            if not isinstance(relative, str) or relative in seen or relative not in self.rule_marks:
                continue
            seen.add(relative)
            entries = self.out.rulesets.get(relative, {}).get("rules")
            for index, entry in enumerate(entries if isinstance(entries, list) else []):
                queue = entry.get("queue") if isinstance(entry, Mapping) else None
                if not isinstance(queue, str) or queue in declared:
                    continue
                where = child_path(child_path("$.rules", index), "queue")
                line, column = self.rule_marks[relative].at(where)
                workflow = self.located.tree.get("workflow")
                self.out.warnings.append(
                    Problem(
                        Text(
                            f"未知的队列 {queue!r}：工作流 {workflow!r} 没有哪个状态使用这个队列",
                            f"unknown queue {queue!r}: no state of workflow {workflow!r} has it",
                        ),
                        relative,
                        line,
                        column,
                        where,
                        Text(
                            "队列由工作流的状态声明（queue:）：" + ("、".join(queues) or "无"),
                            "the workflow's states declare the queues (queue:): "
                            + (", ".join(queues) or "none"),
                        ),
                        "unknown-queue",
                        Severity.WARNING,
                        near_miss(queue, queues),
                    )
                )

    def order_facts(self) -> Root | None:
        """What ``order`` holds in this workflow (an ``engine.rules.facts.Root``), or None without a data
        form: the data form, the intake and transition forms, what actions and rule outputs write."""
        forms = self.out.forms
        data_form = self.tree.get("data")
        if not isinstance(data_form, str) or data_form not in forms:
            return None
        transitions = [t for t in self.tree["transitions"] if t is not None]
        others = [(p, forms[p]) for p in (self.tree.get("intake") or {}).values() if p in forms]
        others += [(t["form"], forms[t["form"]]) for t in transitions if t.get("form") in forms]
        written: dict[str, list[tuple[Text | str, Mapping[str, Any]]]] = defaultdict(list)
        for transition in transitions:
            for action in transition.get("actions") or []:
                for name in self.action_writes.get(action, ()):
                    written[name].append((Text(f"动作 {action}", f"action {action}"), {}))
            relative = transition.get("rules")
            if relative in self.out.rulesets:
                for name, schema in facts.ruleset_outputs(self.out.rulesets[relative]).items():
                    written[name].append((relative, schema))
        return facts.order_root((data_form, forms[data_form]), others, written, self.tree.get("channels"))

    def report_facts(self, findings: Iterable[Finding], path: str) -> None:
        file, marks, original = self.located.origin(path)
        line, column = marks.text_at(original)
        for finding in findings:
            self.add_finding(finding, file, line, column, original)

    def add_finding(self, finding: Finding, file: str, line: int, column: int, json_path: str) -> None:
        problem = Problem(
            finding.words,
            file,
            line,
            column + finding.column - 1 if line and column else 0,
            json_path,
            finding.hint_words,
            finding.code,
            finding.severity,
            finding.suggestion,
        )
        (self.out.warnings if problem.severity == "warning" else self.out.problems).append(problem)


# --- entry points ----------------------------------------------------------------------------------


def discover_with_problems(root: Path) -> tuple[dict[str, Path], list[Problem]]:
    """Workflow name -> file among ``root/workflows/**/*.y*ml``, and a problem per duplicate name."""
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in definition_files(root / "workflows", YAML_SUFFIXES):
        shown = shown_path(path, root)
        tree, marks, _ = load_file(path, shown, "yaml", read_only=True)
        if not isinstance(tree, dict) or not isinstance(tree.get("workflow"), str):
            continue
        name = tree["workflow"]
        if name in found:
            line, column = marks.at("$.workflow")
            other = shown_path(found[name], root)
            problems.append(
                Problem(
                    Text(
                        f"工作流 {name!r} 也在 {other} 中定义",
                        f"workflow {name!r} is also defined in {other}",
                    ),
                    shown,
                    line,
                    column,
                    "$.workflow",
                    Text(
                        "工作流名称在整个定义根目录中必须唯一",
                        "workflow names are unique across the definitions root",
                    ),
                    "duplicate-workflow",
                )
            )
            continue
        found[name] = path
    return found, problems


def _resolve(
    path: Path, root: Path, workflows: Mapping[str, Path], chain: tuple[Path, ...]
) -> tuple[Located | None, list[Problem]]:
    """Load a workflow file and apply its overlays; schema-check every file on the way."""
    shown = shown_path(path, root)
    tree, marks, problems = load_file(path, shown, "yaml")
    if tree is None:
        if not problems:  # nothing but blanks and comments
            hint = Text(
                "工作流以 schema_version、workflow、department、title、initial、states "
                "和 transitions 开头；覆盖定义以 schema_version、extends 和 workflow 开头；"
                "规则文件以 schema_version、ruleset 和 kind 开头",
                "a workflow starts with schema_version, workflow, department, title, initial, states and "
                "transitions; an overlay with schema_version, extends and workflow; a rule file with "
                "schema_version, ruleset and kind",
            )
            empty = Text("文件是空的", "the file is empty")
            problems = [Problem(empty, shown, 1, 1, "$", hint, "empty-file")]
        return None, problems
    located = Located.single(tree, shown, marks)
    if not isinstance(tree, dict):
        return None, [
            *problems,
            located.problem(
                Text("工作流文件必须是映射（键: 值）", "a workflow file must be a mapping (key: value)"),
                "$",
                "wrong-type",
            ),
        ]
    problems.extend(schema_problems(tree, located))
    if "extends" not in tree:
        # Returned with its schema problems too: the static checks read what is well-formed.
        return located, problems
    if problems:
        return None, problems
    name = tree["extends"]
    base_path = workflows.get(name)
    if base_path is None:
        words = Text(f"extends 中有未知的工作流 {name!r}", f"unknown workflow {name!r} in extends")
        suggestion = near_miss(name, workflows)
        return None, [located.problem(words, "$.extends", "unknown-workflow", suggestion=suggestion)]
    if base_path.resolve() in chain or len(chain) > MAX_EXTENDS:
        return None, [
            located.problem(
                Text(
                    f"工作流 {name!r} 经由覆盖定义又扩展回它自己",
                    f"workflow {name!r} extends itself through overlays",
                ),
                "$.extends",
                "extends-cycle",
            )
        ]
    base, base_problems = _resolve(base_path, root, workflows, (*chain, path.resolve()))
    if base is None or base_problems:
        return None, [
            located.problem(
                Text(f"它所扩展的工作流 {name!r} 有问题", f"the workflow {name!r} it extends has problems"),
                "$.extends",
                "bad-base",
            ),
            *base_problems,
        ]
    result, overlay_problems = apply_overlay(base, located)
    problems.extend(overlay_problems)
    problems.extend(schema_problems(result.tree, result))
    return result, problems


def check_workflow(
    path: Path,
    root: Path,
    *,
    action_names: Collection[str] | None = None,
    workflows: Mapping[str, Path] | None = None,
    action_writes: Mapping[str, Collection[str]] | None = None,
) -> Checked:
    """Check one workflow or overlay file; the resolved tree and what it names come with the problems.

    ``action_writes`` is what each action declares it writes into the order's data
    (``PluginRegistry.action_writes``): a condition reading such a field reads a known field."""
    if workflows is None:
        workflows, _ = discover_with_problems(root)
    located, problems = _resolve(path, root, workflows, ())
    out = Checked(None, problems=problems, located=located)
    if located is not None:
        clean = not problems
        _Checker(located, root, action_names, out, {}, action_writes).run()
        if clean:
            out.workflow = located.tree
    out.problems = sorted_problems(out.problems)
    out.warnings = sorted_problems(out.warnings)
    return out
