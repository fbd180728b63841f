"""Stored JSON documents, read through named upgrade steps (HOUSE_STYLE §6).

Every JSON document the store writes sits beside a ``schema_version`` column saying which shape it
holds (``engine.store.tables``): an order's data, an audit event (its data changes, guards and rule
trace), a published workflow version's bundle, an idempotency key's stored result (an order's, a stock
change's), an outbox message's payload and a correlation match's events and actions. Each kind of
document is one ``DocumentKind`` here, with the version this code writes and the named steps that bring
an older shape up to it, one version at a time, as SpiffWorkflow's serializer migrates its documents.

Reading a row goes through :func:`read`:

* a document of the current version is returned as it is (one comparison: the hot path pays nothing);
* an older one is passed through each step from its version to the current one, in order;
* a version this code does not know — newer than the current one (written by a newer OrderLoom,
  during a rolling upgrade or after a downgrade), or no version at all — is a
  :class:`~engine.errors.StoredDocumentError` naming the row, in zh and en: never a ``KeyError`` on
  a shape the code cannot read.

When a stored shape changes: write the new shape, raise the kind's ``current`` by one, and add an
``Upgrade`` whose step turns the previous shape into the new one (a pure function of the document),
with a test reading a row of the old version.

Every kind is at version 1 today, so no step exists yet. Version 1 of a workflow version's bundle is
``{"schema_version": 1, "bundle": {...}}``, whose inner bundle rows written before bundles were stored
as documents hold as a JSON string; :func:`bundle_of` reads both, and checks the inner
``schema_version``, the definition language's, before ``engine.dsl.compiler.Bundle`` reads it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.dsl.spec import SCHEMA_VERSION as DEFINITION_SCHEMA_VERSION
from engine.errors import StoredDocumentError

__all__ = [
    "AUDIT_EVENT",
    "CORRELATION_MATCH",
    "IDEMPOTENT_RESULT",
    "KINDS",
    "ORDER_DATA",
    "OUTBOX_PAYLOAD",
    "STOCK_REQUEST_RESULT",
    "WORKFLOW_BUNDLE",
    "DocumentKind",
    "Upgrade",
    "bundle_of",
    "read",
]


@dataclass(frozen=True)
class Upgrade:
    """One named step: a document of version ``to_version - 1`` turned into one of ``to_version``."""

    name: str  # what changed, e.g. "order-data-money-as-text"
    to_version: int
    step: Callable[[Any], Any]


@dataclass(frozen=True)
class DocumentKind:
    """A kind of stored document: what people call it, its current version, the steps up to it."""

    name: str  # the code's name of the kind: "order_data"
    en: str  # "the data of order {where}"
    zh: str  # "订单 {where} 的数据"
    current: int
    upgrades: Sequence[Upgrade] = ()

    def __post_init__(self) -> None:
        wanted = list(range(2, self.current + 1))
        if [u.to_version for u in self.upgrades] != wanted:
            raise ValueError(
                f"{self.name}: the upgrades must lead from 1 to {self.current}, a version a step"
            )


def read(kind: DocumentKind, version: Any, document: Any, where: Any) -> Any:
    """``document`` (stored with ``version``) in the shape ``kind`` has now; ``where`` names the row in
    messages: what fills ``{where}`` in the kind's words (an order id, ``retail-order v3``), or a
    mapping of the words' fields (``{"order": 5, "seq": 3}``)."""
    if version == kind.current and type(version) is int:
        return document
    if type(version) is not int or not 1 <= version <= kind.current:
        raise _unknown(kind, version, where)
    for upgrade in kind.upgrades[version - 1 :]:
        document = upgrade.step(document)
    return document


def _unknown(kind: DocumentKind, version: Any, where: Any) -> StoredDocumentError:
    names = dict(where) if isinstance(where, Mapping) else {"where": where}
    what_en, what_zh = kind.en.format(**names), kind.zh.format(**names)
    where = what_en
    if type(version) is int and version > kind.current:
        return StoredDocumentError(
            f"{what_en} has schema_version {version}, newer than this OrderLoom reads (up to "
            f"{kind.current}): it was written by a newer OrderLoom; run that version, or upgrade this one",
            zh=f"{what_zh}的 schema_version 为 {version}，比本版本 OrderLoom 能读取的（最高 {kind.current}）"
            "更新：它由更新版本的 OrderLoom 写入；请使用该版本，或升级本版本",
            kind=kind.name,
            version=version,
            where=str(where),
        )
    return StoredDocumentError(
        f"{what_en} has schema_version {version!r}, which no OrderLoom writes (this one reads 1 to "
        f"{kind.current}): the row was changed outside OrderLoom",
        zh=f"{what_zh}的 schema_version 为 {version!r}，不是任何版本的 OrderLoom 写入的（本版本读取 1 到 "
        f"{kind.current}）：此行在 OrderLoom 之外被修改过",
        kind=kind.name,
        version=version,
        where=str(where),
    )


def bundle_of(stored: Any, where: Any) -> Mapping[str, Any]:
    """The inner bundle of a workflow version's stored bundle (read by :func:`read`): version 1 is
    ``{"schema_version": 1, "bundle": {...}}``, whose inner bundle rows written before bundles were
    stored as documents hold as a JSON string, written in the definition language's version
    ``DEFINITION_SCHEMA_VERSION``. Another shape, or another language version, is a
    :class:`~engine.errors.StoredDocumentError` naming the version (``where``: ``retail-order v3``)."""
    inner = stored.get("bundle") if isinstance(stored, Mapping) else None
    if isinstance(inner, str | bytes):
        try:
            inner = json.loads(inner)
        except ValueError:
            inner = None
    if not isinstance(inner, Mapping) or not isinstance(inner.get("workflow"), Mapping):
        raise StoredDocumentError(
            f"the bundle of workflow {where} is not the shape its schema_version 1 describes "
            '({"schema_version": 1, "bundle": {"workflow": ...}}): the row was changed outside OrderLoom',
            zh=f"流程 {where} 的定义包与其 schema_version 1 所描述的结构不符：此行在 OrderLoom 之外被修改过",
            kind=WORKFLOW_BUNDLE.name,
            version=1,
            where=str(where),
        )
    language = inner.get("schema_version")
    if language != DEFINITION_SCHEMA_VERSION:
        raise StoredDocumentError(
            f"the bundle of workflow {where} is written in version {language!r} of the definition "
            f"language, which this OrderLoom does not read (it reads {DEFINITION_SCHEMA_VERSION})",
            zh=f"流程 {where} 的定义包使用定义语言的版本 {language!r}，本版本 OrderLoom 无法读取"
            f"（只能读取 {DEFINITION_SCHEMA_VERSION}）",
            kind=WORKFLOW_BUNDLE.name,
            version=language,
            where=str(where),
        )
    return inner


ORDER_DATA = DocumentKind("order_data", "the data of order {where}", "订单 {where} 的数据", current=1)
AUDIT_EVENT = DocumentKind(
    "audit_event", "audit event {seq} of order {order}", "订单 {order} 的第 {seq} 条审计事件", current=1
)
WORKFLOW_BUNDLE = DocumentKind(
    "workflow_bundle", "the bundle of workflow {where}", "流程 {where} 的定义包", current=1
)
IDEMPOTENT_RESULT = DocumentKind(
    "idempotent_result", "the result stored for idempotency key {where}", "幂等键 {where} 保存的结果", 1
)
STOCK_REQUEST_RESULT = DocumentKind(
    "stock_request_result", "the result stored for stock request {where}", "库存提交 {where} 保存的结果", 1
)
OUTBOX_PAYLOAD = DocumentKind("outbox_payload", "outbox message {where}", "发件箱消息 {where} ", current=1)
CORRELATION_MATCH = DocumentKind(
    "correlation_match", "correlation match {where}", "关联匹配 {where} ", current=1
)

_ALL = (
    ORDER_DATA,
    AUDIT_EVENT,
    WORKFLOW_BUNDLE,
    IDEMPOTENT_RESULT,
    STOCK_REQUEST_RESULT,
    OUTBOX_PAYLOAD,
    CORRELATION_MATCH,
)
KINDS: Mapping[str, DocumentKind] = {kind.name: kind for kind in _ALL}
