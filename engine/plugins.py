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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

from engine.common.suggest import did_you_mean
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
    # (a parallel state's regions joined by " | "); what a message to people names instead of the codes
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def emit(self, topic: str, payload: dict[str, Any]) -> None:
        """Queue a message for outside the database; written to the outbox in this transaction (as an
        ``internal`` event when the action declared its topic with ``emits(..., deliver=False)``)."""
        self.outbox.append((topic, payload))


@runtime_checkable
class Action(Protocol):
    """A side effect of a transition. Returns data changes to merge into the order, or None."""

    def __call__(self, ctx: ActionContext) -> Mapping[str, Any] | None: ...


def _loaded_callables(group: str) -> Iterator[tuple[str, Any]]:
    """Each entry point of ``group``, loaded: (name, callable); a PluginError names one that is not."""
    for ep in entry_points(group=group):
        loaded = ep.load()
        if not callable(loaded):
            raise PluginError(
                f"entry point {ep.name!r} in {group} is not callable",
                zh=f"{group} 中的入口点 {ep.name!r} 不可调用",
            )
        yield ep.name, loaded


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
        for name, loaded in _loaded_callables(group):
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
        the order-data fields it writes."""
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
    """The choices of a select or radio: ``[{"value": ..., "label": {"zh": ..., "en": ...}}, ...]``."""

    def __call__(self, ctx: OptionContext) -> Sequence[Mapping[str, Any]]: ...


class OptionSourceRegistry:
    """Registered option sources by name (``orderloom.option_sources``)."""

    def __init__(self, sources: Mapping[str, OptionSource] | None = None) -> None:
        self._sources: dict[str, OptionSource] = {}
        for name, source in (sources or {}).items():
            self.register(name, source)

    @classmethod
    def from_entry_points(cls, group: str = OPTION_SOURCES_GROUP) -> OptionSourceRegistry:
        registry = cls()
        for name, loaded in _loaded_callables(group):
            registry.register(name, loaded)
        return registry

    def register(self, name: str, source: Callable[[OptionContext], Sequence[Mapping[str, Any]]]) -> None:
        if name in self._sources and self._sources[name] is not source:
            raise PluginError(
                f"option source {name!r} is registered twice", zh=f"选项来源 {name!r} 被注册了两次"
            )
        self._sources[name] = cast(OptionSource, source)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._sources)

    def options(self, name: str, ctx: OptionContext) -> list[dict[str, Any]]:
        """The choices ``name`` gives for ``ctx``, each checked to be ``{value, label: {zh, en}}``."""
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
            found.append({"value": option["value"], "label": {"zh": label["zh"], "en": label["en"]}})
        return found
