"""Publishing: a workflow's bundle stored as its next version (the same content keeps its number),
compiled first exactly as it will be read back, so that what cannot run is never stored."""

from __future__ import annotations

import json
from typing import Any

from engine.dsl.compiler import Bundle, compile_bundle
from engine.dsl.spec import WorkflowSpec
from engine.runtime.actor import Actor
from engine.runtime.compiled import compile_version
from engine.runtime.parts import Parts, retried
from engine.runtime.results import PublishedVersion
from engine.store import INTEGRITY_ERRORS

PUBLISH_ATTEMPTS = 5  # tries at the next version number while concurrent publishes take them
BUNDLE_SCHEMA_VERSION = 1


class Publisher:
    """Storing published versions."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    def publish(self, bundle: Bundle, actor: Actor | None = None) -> PublishedVersion:
        """Store ``bundle`` as the next version of its workflow; the same content returns its version.

        The stored document is ``Bundle.to_json()`` as JSON (an object, not a string), and it is
        compiled from that document here exactly as it will be when read back.
        """
        document = stored_document(bundle)
        spec = compile_bundle(Bundle.from_json(document))
        compile_version(spec, self.parts.registry)  # refuse what cannot run before it is stored
        for _ in range(PUBLISH_ATTEMPTS - 1):
            try:
                return self._store_version(spec, bundle, document, actor)
            except INTEGRITY_ERRORS:
                # On PostgreSQL a concurrent publish stored this content or took this number first:
                # read again, and find the content or take the next number.
                continue
        return self._store_version(spec, bundle, document, actor)  # the last try raises what it meets

    @retried
    def _store_version(
        self, spec: WorkflowSpec, bundle: Bundle, document: Any, actor: Actor | None
    ) -> PublishedVersion:
        with self.parts.store.transaction() as tx:
            existing = tx.version_by_hash(spec.name, bundle.content_hash)
            if existing is not None:
                return PublishedVersion(spec.name, existing.version, existing.content_hash, created=False)
            latest = tx.latest_version(spec.name)
            number = 1 if latest is None else latest.version + 1
            tx.insert_version(
                workflow=spec.name,
                version=number,
                content_hash=bundle.content_hash,
                department=spec.department,
                bundle={"schema_version": BUNDLE_SCHEMA_VERSION, "bundle": document},
                at=self.parts.clock.now(),
                published_by=actor.name if actor else None,
            )
        return PublishedVersion(spec.name, number, bundle.content_hash, created=True)


def stored_document(bundle: Bundle) -> Any:
    """The bundle as a JSON document (not a string inside JSON), keys in their written order."""
    return json.loads(bundle.to_json())
