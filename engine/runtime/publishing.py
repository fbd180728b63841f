"""Publishing: a workflow's bundle stored as its next version (the same content keeps its number),
compiled first exactly as it will be read back, so that what cannot run is never stored."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from engine.dsl.compiler import Bundle, compile_bundle
from engine.dsl.spec import WorkflowSpec
from engine.runtime.actor import Actor
from engine.runtime.compiled import compile_version
from engine.runtime.named_lists import ensure_declared_lists
from engine.runtime.parts import Parts, retried
from engine.runtime.results import PublishedVersion
from engine.store import INTEGRITY_ERRORS
from engine.store.original_orders import link_workflow
from engine.store.store import Tx
from engine.store.versions import VersionMeta

PUBLISH_ATTEMPTS = 5  # tries at the next version number while concurrent publishes take them
BUNDLE_SCHEMA_VERSION = 1


class Publisher:
    """Storing published versions."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    def publish(
        self, bundle: Bundle, actor: Actor | None = None, meta: VersionMeta | None = None
    ) -> PublishedVersion:
        """Store ``bundle`` as the next version of its workflow; the content of the newest version
        returns that version. The content of an older one is stored as the next number (a rollback).

        The stored document is ``Bundle.to_json()`` as JSON (an object, not a string), and it is
        compiled from that document here exactly as it will be when read back.
        """
        document = stored_document(bundle)
        spec = compile_bundle(Bundle.from_json(document))
        compile_version(spec, self.parts.registry)  # refuse what cannot run before it is stored
        for _ in range(PUBLISH_ATTEMPTS - 1):
            try:
                return self._store_version(spec, bundle, document, actor, meta)
            except INTEGRITY_ERRORS:
                # On PostgreSQL a concurrent publish stored this content or took this number first:
                # read again, and find the content or take the next number.
                continue
        return self._store_version(spec, bundle, document, actor, meta)  # the last try raises what it meets

    def publish_together(
        self,
        items: Sequence[tuple[Bundle, VersionMeta | None]],
        actor: Actor | None,
        then: Callable[[Tx, list[PublishedVersion]], None],
    ) -> list[PublishedVersion]:
        """Store each bundle as the next version of its workflow, all in one transaction with what
        ``then`` writes (given the transaction and the versions): all of it is stored, or none (an
        exception of ``then`` undoes the versions too). Every bundle is compiled before anything is."""
        prepared = []
        for bundle, meta in items:
            document = stored_document(bundle)
            spec = compile_bundle(Bundle.from_json(document))
            compile_version(spec, self.parts.registry)
            prepared.append((spec, bundle, document, meta))
        for attempt in range(PUBLISH_ATTEMPTS):
            try:
                return self._store_together(prepared, actor, then)
            except INTEGRITY_ERRORS:
                if attempt == PUBLISH_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    @retried
    def _store_together(
        self,
        prepared: Sequence[tuple[WorkflowSpec, Bundle, Any, VersionMeta | None]],
        actor: Actor | None,
        then: Callable[[Tx, list[PublishedVersion]], None],
    ) -> list[PublishedVersion]:
        with self.parts.store.transaction() as tx:
            versions = [
                self._store_in(tx, spec, bundle, document, actor, meta)
                for spec, bundle, document, meta in prepared
            ]
            then(tx, versions)
        return versions

    @retried
    def _store_version(
        self,
        spec: WorkflowSpec,
        bundle: Bundle,
        document: Any,
        actor: Actor | None,
        meta: VersionMeta | None,
    ) -> PublishedVersion:
        with self.parts.store.transaction() as tx:
            return self._store_in(tx, spec, bundle, document, actor, meta)

    def _store_in(
        self,
        tx: Tx,
        spec: WorkflowSpec,
        bundle: Bundle,
        document: Any,
        actor: Actor | None,
        meta: VersionMeta | None,
    ) -> PublishedVersion:
        tx.lock_versions_of(spec.name)  # concurrent publishes of one workflow take their numbers in turn
        latest = tx.latest_version(spec.name)
        if latest is not None and latest.content_hash == bundle.content_hash:
            return PublishedVersion(spec.name, latest.version, latest.content_hash, created=False)
        number = 1 if latest is None else latest.version + 1
        self._relink(tx, spec, latest.version if latest is not None else None)
        tx.insert_version(
            workflow=spec.name,
            version=number,
            content_hash=bundle.content_hash,
            department=spec.department,
            bundle={"schema_version": BUNDLE_SCHEMA_VERSION, "bundle": document},
            at=self.parts.clock.now(),
            published_by=actor.name if actor else None,
            meta=meta,
        )
        # the managed lists its rule files declare: created empty where the department has none yet
        ensure_declared_lists(
            tx, spec.department, bundle.rulesets, actor.name if actor else "system", self.parts.clock.now()
        )
        return PublishedVersion(spec.name, number, bundle.content_hash, created=True)

    def _relink(self, tx: Tx, spec: WorkflowSpec, newest: int | None) -> None:
        """A version declaring another ``original_order.field`` than the newest one (or declaring it
        first): the workflow's orders are linked afresh by that field (``order_links``), so the orders
        about an order are those the new field names."""
        wanted = spec.original_order
        if wanted is None:
            return
        before = None if newest is None else self.parts.compiled(tx, spec.name, newest).spec.original_order
        if before is None or before.field != wanted.field:
            link_workflow(tx.connection, spec.department, spec.name, wanted.field)


def stored_document(bundle: Bundle) -> Any:
    """The bundle as a JSON document (not a string inside JSON), keys in their written order."""
    return json.loads(bundle.to_json())
