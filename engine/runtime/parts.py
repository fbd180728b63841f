"""What every part of the runtime shares: the store, the plugins, the clock and the compiled versions.

``Versions`` compiles a published version once per process (one shared machine per workflow and
version) and names a near miss when a workflow or a version is not published. ``Parts`` is handed to
the publishing, commands, queries, workers and migration modules by the ``Engine`` facade.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from engine.clock import Clock
from engine.common.suggest import did_you_mean
from engine.dsl.compiler import Bundle, compile_bundle
from engine.errors import NotFound
from engine.plugins import PluginRegistry
from engine.randomness import Randomness, SystemRandomness
from engine.runtime.compiled import CompiledVersion, compile_version
from engine.store import Store, Tx
from engine.store.documents import bundle_of


class Versions:
    """The compiled versions of this process, by (workflow, version): compiled on first use, then shared."""

    def __init__(self, registry: PluginRegistry) -> None:
        self.registry = registry
        self._compiled: dict[tuple[str, int], CompiledVersion] = {}
        self._lock = threading.Lock()

    def compiled(self, tx: Tx, workflow: str, version: int | None) -> CompiledVersion:
        """``workflow``'s ``version`` (the newest when None), compiled; ``NotFound`` when not published."""
        if version is None:  # the newest: its number is enough when it is compiled already
            version = tx.latest_version_number(workflow)
            if version is None:
                raise not_published(tx, workflow)
        found = self._compiled.get((workflow, version))
        if found is not None:
            return found
        row = tx.version(workflow, version)
        if row is None:
            raise not_published(tx, workflow, version)
        key = (workflow, row.version)
        with self._lock:
            found = self._compiled.get(key)
            if found is None:
                bundle = bundle_of(row.bundle, f"{workflow} v{row.version}")
                spec = compile_bundle(Bundle.from_json(bundle), row.version)
                found = compile_version(spec, self.registry)
                self._compiled[key] = found
        return found

    def cached(self, workflow: str, version: int) -> CompiledVersion | None:
        """The version when this process compiled it already (no database read), else None."""
        return self._compiled.get((workflow, version))


def not_published(tx: Tx, workflow: str, version: int | None = None) -> NotFound:
    """``workflow`` (or its ``version``) is not published: name a near miss, or the versions there are."""
    numbers = [row.version for row in tx.versions(workflow)] if version is not None else []
    if numbers:
        labels = [f"v{n}" for n in numbers]
        return NotFound(
            f"workflow {workflow} v{version} is not published; published versions: {', '.join(labels)}",
            zh=f"流程 {workflow} 没有发布 v{version}；已发布的版本：{'、'.join(labels)}",
        )
    names = tx.workflow_names()
    shown = workflow if version is None else f"{workflow} v{version}"
    return NotFound(
        f"workflow {shown} is not published{did_you_mean(workflow, names)}",
        zh=f"流程 {shown} 尚未发布{did_you_mean(workflow, names, lang='zh')}",
    )


@dataclass(frozen=True)
class Parts:
    """The collaborators the Engine was given, and its compiled versions."""

    store: Store
    registry: PluginRegistry
    clock: Clock
    versions: Versions
    randomness: Randomness = field(default_factory=SystemRandomness)  # what code() draws from

    def compiled(self, tx: Tx, workflow: str, version: int | None) -> CompiledVersion:
        return self.versions.compiled(tx, workflow, version)


class UsesParts(Protocol):
    @property
    def parts(self) -> Parts: ...


_S = TypeVar("_S", bound=UsesParts)
_P = ParamSpec("_P")
_R = TypeVar("_R")


def retried(method: Callable[Concatenate[_S, _P], _R]) -> Callable[Concatenate[_S, _P], _R]:
    """A method that is one write transaction, run again whole when PostgreSQL rolled it back for a
    deadlock or a serialization failure (``Store.retrying``: a bounded number of tries, then
    ``ContentionError``). Only for methods that open their transaction themselves."""

    @functools.wraps(method)
    def run(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return self.parts.store.retrying(lambda: method(self, *args, **kwargs))

    return run
