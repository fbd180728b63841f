"""Plugin protocols and the registry that finds them through entry points.

Workflows name actions by their registered name (``inventory.reserve``), never by a dotted import
path: configuration must not become code execution. Each kind of plugin is a ``typing.Protocol``;
the registry is filled from the entry-point group ``orderloom.actions`` (and tests may register
callables directly).

Choices of a form's select and radio fields may come from an option source (``OptionSource``): a
callable registered under the entry-point group ``orderloom.option_sources`` that lists
``{"value": ..., "label": {"zh": ..., "en": ...}}`` for a department (``OptionSourceRegistry``); a UI
file names it in ``options.source`` (docs/forms.md).

An action may declare the order-data fields it writes (the keys of the mapping it returns) with
:func:`writes`; ``orderloom validate`` then knows a condition reading ``order.<field>`` reads something the
workflow's actions write, even when the data form does not declare it.

An action declares the outbox topics it writes with :func:`emits`: a message for the outside world
(delivered by ``orderloom worker``), or, with ``deliver=False``, an event that only the correlation feed
reads (written ``internal``, never delivered). The worker's deliveries are checked against what the
registered actions declare (``PluginRegistry.topics``).

Each plugin is checked against its kind when it is loaded or registered (:func:`check_plugin`), as pluggy
checks a hook implementation against its specification: a callable that does not take its kind's one
argument, or that is of the other kind, is refused with a PluginError naming the entry point.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

from engine.common.suggest import did_you_mean
from engine.common.text import Text
from engine.errors import PluginError

ACTIONS_GROUP = "orderloom.actions"
OPTION_SOURCES_GROUP = "orderloom.option_sources"
WRITES_ATTRIBUTE = "orderloom_writes"  # set by ``writes``: the fields an action declares it writes
EMITS_ATTRIBUTE = "orderloom_emits"  # set by ``emits``: topic -> whether the worker delivers it

_Callable = TypeVar("_Callable", bound=Callable[..., Any])


def writes(*fields: str) -> Callable[[_Callable], _Callable]:
    """Declare the top-level order-data fields an action writes (the keys of the mapping it returns)::

    @writes("stock_reserved")
    def reserve(ctx: ActionContext) -> Mapping[str, Any] | None: ...
    """

    def declare(action: _Callable) -> _Callable:
        setattr(action, WRITES_ATTRIBUTE, frozenset(fields))
        return action

    return declare


def emits(*topics: str, deliver: bool = True) -> Callable[[_Callable], _Callable]:
    """Declare the outbox topics an action writes with ``ctx.emit``; stack it for topics of both kinds::

    @emits("payments.captured")  # for the outside: the worker delivers it
    @emits("payment_failed", deliver=False)  # read by the correlation feed alone: never delivered
    def capture(ctx: ActionContext) -> Mapping[str, Any] | None: ...
    """

    def declare(action: _Callable) -> _Callable:
        declared = dict(getattr(action, EMITS_ATTRIBUTE, {}))
        declared.update(dict.fromkeys(topics, deliver))
        setattr(action, EMITS_ATTRIBUTE, declared)
        return action

    return declare


class RecordAccess(Protocol):
    """An order's child records, as an action sees them inside the firing transaction. ``add`` and
    ``fire`` raise ``TransitionRejected`` saying why when the record kind, its trigger, its form or a
    guard refuses; the whole step is then refused."""

    def of(self, kind: str) -> list[Mapping[str, Any]]:
        """The order's records of ``kind``, by number: each its fields with ``number`` and ``state``."""
        ...

    def add(self, kind: str, data: Mapping[str, Any]) -> int:
        """Add a record of ``kind`` in its initial state; its number within the order."""
        ...

    def fire(self, kind: str, number: int, trigger: str, data: Mapping[str, Any] | None = None) -> None:
        """Fire ``trigger`` on record ``number`` of ``kind`` (as the system: no role is asked)."""
        ...


@dataclass(frozen=True)
class ClaimOn:
    """An order of another workflow about this one (its ``original_order:`` names this order's number:
    an after-sales request about a retail order) and what it claims of this order's money: while open,
    the refund agreed, else the one asked; once final, what it refunded."""

    order_id: int
    workflow_title: Text
    amount: Decimal
    # the goods it names back, per SKU (``original_order.lines``): while open all it names; once final
    # what came back (nothing when it closed without the goods)
    items: Mapping[str, int] = field(default_factory=dict)


@dataclass
class ActionContext:
    """What an action sees: the order being moved, inside the firing transaction."""

    connection: Any  # sqlalchemy.engine.Connection of the firing transaction
    order_id: int
    department: str
    workflow: str
    trigger: str
    source: str
    dest: str
    actor: str
    # the order's data as this step's actions see it: the order's own fields and the engine's, with this
    # step's form data merged, never a field only an earlier step's form sent (docs/architecture.md)
    data: Mapping[str, Any]
    now: datetime
    outbox: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # how people read this step, by language: {"workflow" | "trigger" | "from" | "to": {"zh": …, "en": …}}
    # (a parallel state's regions side by side: CompiledVersion.state_words); what a message to people
    # names instead of the codes
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # the order's child records (``records:`` of the workflow): list them, add one, fire a record's trigger
    records: RecordAccess | None = None
    # on a record's step: the record (``number``, ``state`` and its fields) and the order's data; ``data``
    # is then the record's fields with the step's form data, and what the action returns goes to the record
    record: Mapping[str, Any] | None = None
    order: Mapping[str, Any] | None = None
    # on a record's step: fields the action writes on the order itself (``set_order``), such as the order's
    # running total of what its payment records captured, for the rules and pages that read the order
    order_changes: dict[str, Any] = field(default_factory=dict)
    # on an order's step, and a record's step a person takes: what the orders of other workflows about
    # this order claim of its money, read in the firing transaction when called (a return's refund, or a
    # clerk's refund on a payment, never gives back what they claim)
    claims: Callable[[], Sequence[ClaimOn]] | None = None

    def set_order(self, changes: Mapping[str, Any]) -> None:
        """On a record's step: write ``changes`` on the order's data too, in the same transaction (a
        field given None is removed, as a step's ``set:`` null does)."""
        self.order_changes.update(changes)

    def emit(self, topic: str, payload: dict[str, Any]) -> None:
        """Queue a message for outside the database; written to the outbox in this transaction (as an
        ``internal`` event when the action declared its topic with ``emits(..., deliver=False)``)."""
        self.outbox.append((topic, payload))


@runtime_checkable
class Action(Protocol):
    """A side effect of a transition. Returns data changes to merge into the order, or None."""

    def __call__(self, ctx: ActionContext) -> Mapping[str, Any] | None: ...


def _loaded_callables(group: str) -> Iterator[tuple[str, Where, Any]]:
    """Each entry point of ``group``, loaded: (name, where, object); a PluginError names one that does not
    load. ``where`` names the entry point as people find it (``'products' (plugins.options:products) in
    orderloom.option_sources``)."""
    for ep in entry_points(group=group):
        where = Where(
            f"entry point {ep.name!r} ({ep.value}) in {group}",
            f"{group} 中的入口点 {ep.name!r}（{ep.value}）",
        )
        try:
            loaded = ep.load()
        except Exception as error:  # an import error, a missing attribute: the plugin's own code
            raise PluginError(
                f"{where.en} does not load: {type(error).__name__}: {error}",
                zh=f"{where.zh}无法加载：{type(error).__name__}: {error}",
            ) from error
        yield ep.name, where, loaded


@dataclass(frozen=True)
class Where:
    """A plugin as a message names it, in each language (an entry point, or a name registered directly)."""

    en: str
    zh: str


@dataclass(frozen=True)
class PluginKind:
    """A kind of plugin as its registry checks it when loaded, as pluggy checks a hook implementation
    against its specification: called with one argument, ``context``, and declaring nothing another
    kind declares."""

    en: str  # what it is called in a message: "action"
    zh: str
    context: type  # what it is called with: ActionContext
    declarations: frozenset[str]  # the attributes of declarations (writes, emits) this kind may carry


def check_plugin(kind: PluginKind, plugin: object, where: Where) -> None:
    """Refuse ``plugin`` (a PluginError naming ``where``) unless it fits ``kind``: callable, taking one
    positional argument and nothing else it must be given, that argument not annotated as another kind's
    context, and no declaration another kind makes (``writes`` on an option source)."""
    context = kind.context.__name__
    if not callable(plugin):
        raise PluginError(
            f"{where.en} is not callable: an {kind.en} is called with its {context}",
            zh=f"{where.zh}不可调用：{kind.zh}以其 {context} 调用",
        )
    wanted = f"(ctx: {context})"
    try:
        signature = inspect.signature(plugin)
    except (TypeError, ValueError):  # a builtin without a signature: nothing to check it against
        return
    try:
        signature.bind(kind.context)
    except TypeError:
        raise PluginError(
            f"{where.en} takes {_shown(signature)}, but an {kind.en} is called with one argument: {wanted}",
            zh=f"{where.zh}的参数为 {_shown(signature)}，而{kind.zh}只以一个参数调用：{wanted}",
        ) from None
    other = _other_context(kind, signature)
    if other is not None:
        raise PluginError(
            f"{where.en} takes an {other.context.__name__}: it is an {other.en}, not an {kind.en}",
            zh=f"{where.zh}的参数是 {other.context.__name__}：它是{other.zh}，不是{kind.zh}",
        )
    foreign = sorted(
        name
        for known in PLUGIN_KINDS
        for name in known.declarations - kind.declarations
        if hasattr(plugin, name)
    )
    if foreign:
        raise PluginError(
            f"{where.en} carries {', '.join(foreign)}, a declaration an {kind.en} does not make",
            zh=f"{where.zh}带有 {', '.join(foreign)}，{kind.zh}不作此声明",
        )


def _shown(signature: inspect.Signature) -> str:
    return str(signature.replace(return_annotation=inspect.Signature.empty))


def _other_context(kind: PluginKind, signature: inspect.Signature) -> PluginKind | None:
    """The other kind whose context the first parameter is annotated with, if any (an annotation read as
    text too, as ``from __future__ import annotations`` leaves it)."""
    first = next(iter(signature.parameters.values()), None)
    if first is None or first.annotation is inspect.Parameter.empty:
        return None
    annotation = first.annotation
    for other in PLUGIN_KINDS:
        if other is kind:
            continue
        named = other.context.__name__
        if annotation is other.context or (
            isinstance(annotation, str) and annotation.rsplit(".", 1)[-1] == named
        ):
            return other
    return None


class PluginRegistry:
    """Registered plugin actions by name."""

    def __init__(self, actions: Mapping[str, Action] | None = None) -> None:
        self._actions: dict[str, Action] = {}
        self._writes: dict[str, frozenset[str]] = {}
        self._topics: dict[str, bool] = {}  # topic -> whether the worker delivers it
        self._topic_actions: dict[str, str] = {}  # topic -> the first action declaring it
        self.internal_topics: frozenset[str] = frozenset()
        for name, action in (actions or {}).items():
            self.register(name, action)

    @classmethod
    def from_entry_points(cls, group: str = ACTIONS_GROUP) -> PluginRegistry:
        registry = cls()
        for name, where, loaded in _loaded_callables(group):
            check_plugin(ACTION, loaded, where)
            registry.register(name, loaded)
        return registry

    def register(
        self,
        name: str,
        action: Callable[[ActionContext], Mapping[str, Any] | None],
        *,
        writes: Iterable[str] | None = None,
    ) -> None:
        """Register ``action`` under ``name``; ``writes`` (else what :func:`writes` declared on it) names
        the order-data fields it writes; refused unless it fits the Action protocol (:func:`check_plugin`)."""
        check_plugin(ACTION, action, Where(f"action {name!r}", f"动作 {name!r}"))
        if name in self._actions and self._actions[name] is not action:
            raise PluginError(f"action {name!r} is registered twice", zh=f"动作 {name!r} 被注册了两次")
        self._actions[name] = cast(Action, action)
        declared = writes if writes is not None else getattr(action, WRITES_ATTRIBUTE, None)
        if declared is not None:
            self._writes[name] = frozenset(str(f) for f in declared)
        for topic, deliver in getattr(action, EMITS_ATTRIBUTE, {}).items():
            if self._topics.get(topic, deliver) != deliver:
                first = self._topic_actions[topic]
                raise PluginError(
                    f"topic {topic!r} is delivered according to action {first!r} and internal according "
                    f"to {name!r} (or the other way round): declare it one way",
                    zh=f"主题 {topic!r} 在动作 {first!r} 与 {name!r} 中的投递声明不一致：请统一声明",
                )
            self._topics[topic] = bool(deliver)
            self._topic_actions.setdefault(topic, name)
        self.internal_topics = frozenset(t for t, deliver in self._topics.items() if not deliver)

    def action(self, name: str) -> Action:
        try:
            return self._actions[name]
        except KeyError:
            raise PluginError(
                f"unknown action {name!r}{did_you_mean(name, self._actions)}",
                zh=f"未知的动作 {name!r}{did_you_mean(name, self._actions, lang='zh')}",
            ) from None

    @property
    def action_names(self) -> frozenset[str]:
        return frozenset(self._actions)

    @property
    def topics(self) -> Mapping[str, bool]:
        """Every outbox topic the registered actions declare (``emits``) -> whether it is delivered
        (False: an ``internal`` event for the correlation feed)."""
        return MappingProxyType(dict(self._topics))

    @property
    def action_writes(self) -> Mapping[str, frozenset[str]]:
        """Action name -> the order-data fields it declares it writes (actions that declare nothing are
        left out)."""
        return MappingProxyType(dict(self._writes))


@dataclass(frozen=True)
class OptionContext:
    """What an option source is asked with: the department whose form is shown, the UI file's
    ``options.params``, and where to look (a database connection, the definitions root)."""

    department: str
    params: Mapping[str, Any] = field(default_factory=dict)
    connection: Any | None = None  # sqlalchemy.engine.Connection, for sources that read tables
    definitions_root: Path | None = None  # where rules/<department>/... are


@runtime_checkable
class OptionSource(Protocol):
    """The choices of a select or radio: ``[{"value": ..., "label": {"zh": ..., "en": ...}}, ...]``; a
    choice may add ``fills`` (what choosing it fills in beside it) and ``note`` (``{zh, en}``: what the
    page says once it is chosen)."""

    def __call__(self, ctx: OptionContext) -> Sequence[Mapping[str, Any]]: ...


def _fills(source: str, fills: Any) -> dict[str, Any]:
    """An option's ``fills`` (what choosing it fills in beside it): field names to text, numbers, or
    ``{zh, en}`` texts."""
    if isinstance(fills, Mapping) and all(
        isinstance(key, str)
        and (
            isinstance(value, str | int | float)
            or (
                isinstance(value, Mapping)
                and isinstance(value.get("zh"), str)
                and isinstance(value.get("en"), str)
            )
        )
        for key, value in fills.items()
    ):
        return {key: dict(value) if isinstance(value, Mapping) else value for key, value in fills.items()}
    raise PluginError(
        f"option source {source!r} gave fills {fills!r}, not {{field: text, number or {{zh, en}}}}",
        zh=f"选项来源 {source!r} 返回的 fills {fills!r} 不是 {{字段: 文本、数字或 {{zh, en}}}}",
    )


def _note(source: str, note: Any) -> dict[str, str]:
    """An option's ``note`` (what the page says once it is chosen): a ``{zh, en}`` text."""
    if isinstance(note, Mapping) and isinstance(note.get("zh"), str) and isinstance(note.get("en"), str):
        return {"zh": note["zh"], "en": note["en"]}
    raise PluginError(
        f"option source {source!r} gave note {note!r}, not {{zh, en}}",
        zh=f"选项来源 {source!r} 返回的 note {note!r} 不是 {{zh, en}}",
    )


ACTION = PluginKind("action", "动作", ActionContext, frozenset({WRITES_ATTRIBUTE, EMITS_ATTRIBUTE}))
OPTION_SOURCE = PluginKind("option source", "选项来源", OptionContext, frozenset())
PLUGIN_KINDS = (ACTION, OPTION_SOURCE)


class OptionSourceRegistry:
    """Registered option sources by name (``orderloom.option_sources``)."""

    def __init__(self, sources: Mapping[str, OptionSource] | None = None) -> None:
        self._sources: dict[str, OptionSource] = {}
        for name, source in (sources or {}).items():
            self.register(name, source)

    @classmethod
    def from_entry_points(cls, group: str = OPTION_SOURCES_GROUP) -> OptionSourceRegistry:
        registry = cls()
        for name, where, loaded in _loaded_callables(group):
            check_plugin(OPTION_SOURCE, loaded, where)
            registry.register(name, loaded)
        return registry

    def register(self, name: str, source: Callable[[OptionContext], Sequence[Mapping[str, Any]]]) -> None:
        """Register ``source`` under ``name``, refused unless it fits the OptionSource protocol."""
        check_plugin(OPTION_SOURCE, source, Where(f"option source {name!r}", f"选项来源 {name!r}"))
        if name in self._sources and self._sources[name] is not source:
            raise PluginError(
                f"option source {name!r} is registered twice", zh=f"选项来源 {name!r} 被注册了两次"
            )
        self._sources[name] = cast(OptionSource, source)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._sources)

    def options(self, name: str, ctx: OptionContext) -> list[dict[str, Any]]:
        """The choices ``name`` gives for ``ctx``, each checked to be ``{value, label: {zh, en}}`` (with
        ``fills`` and a ``note`` when it has them)."""
        source = self._sources.get(name)
        if source is None:
            raise PluginError(
                f"unknown option source {name!r}{did_you_mean(name, self._sources)}",
                zh=f"未知的选项来源 {name!r}{did_you_mean(name, self._sources, lang='zh')}",
            )
        found: list[dict[str, Any]] = []
        for option in source(ctx):
            label = option.get("label") if isinstance(option, Mapping) else None
            if (
                not isinstance(option, Mapping)
                or "value" not in option
                or not isinstance(label, Mapping)
                or not isinstance(label.get("zh"), str)
                or not isinstance(label.get("en"), str)
            ):
                raise PluginError(
                    f"option source {name!r} gave {option!r}, not {{value, label: {{zh, en}}}}",
                    zh=f"选项来源 {name!r} 返回的 {option!r} 不是 {{value, label: {{zh, en}}}}",
                )
            chosen = {"value": option["value"], "label": {"zh": label["zh"], "en": label["en"]}}
            fills = option.get("fills")
            if fills is not None:
                chosen["fills"] = _fills(name, fills)
            note = option.get("note")
            if note is not None:
                chosen["note"] = _note(name, note)
            found.append(chosen)
        return found
