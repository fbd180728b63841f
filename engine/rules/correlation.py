"""Correlation rule sets (事件关联): patterns over the events of all orders within a time window.

A file of ``kind: correlation`` lists ``patterns``; each says: when ``count`` events of type ``event``
(those for which ``when`` holds) with the same key ``by`` happen within ``within``, do ``then`` — fire a
trigger on orders (``fire: {trigger, on}``) or queue a suggestion in the outbox (``suggest: {topic}``).
It watches the events of every department, and acts on the orders of its own ``department`` only,
unless ``acts_on`` names the departments it acts on. docs/rules-language.md ("Correlation") is the
reference.

How the parts share the work:

* ``when`` and ``by`` are expressions of the condition language over the root name ``event``; the
  :class:`Correlator` evaluates them in Python once per event (a filter and a key, not a pattern).
* The pattern across events is durable-rules': each rule set version is one durable-rules ruleset,
  registered once under ``<ruleset>#<version>`` (durable-rules cannot replace a ruleset), with one rule
  per pattern joining ``count`` facts ``e1 … eN`` of one key (``k``, a digest of the key) in feed order
  (``n``) whose times ``at`` lie within ``e1.at + within``. The key is joined by equality, which
  durable-rules indexes by hash, so keys never mix and need no state of their own.
* A correlator holds one durable-rules state (``sid``) per rule set version, whatever the number of
  keys. States are never deleted (durable-rules 2.0.28 crashes in ``delete_state`` after a few hundred
  deletions, and refuses a 1,025th state in a ruleset): :meth:`Correlator.close` empties its states and
  gives them back to a per-version pool, where the next correlator takes them.
* Events are asserted as facts, so they can be taken back: the facts of a match are retracted (an
  event makes at most one match of a pattern), and so is every fact older than its window, on each new
  event and on :meth:`Correlator.expire`. durable-rules reuses the room of a retracted fact, so what a
  correlator holds, in Python and in durable-rules, is bounded by the events of the last window (at
  its busiest), not by how many keys went by.
* durable-rules knows a fact only by a 32-bit hash of its id: a fact id is chosen so that its hash is
  not one of a live fact's in the same state (two such facts would be one to durable-rules).

Time is the events' own ``at`` (an injected clock in tests), never durable-rules' wall clock. Events
are expected in time order (the worker feeds them by id; on PostgreSQL, where ids are taken before
commit, each round first waits for the transactions writing the logs and reads no further than the
newest id it then sees, so no event still being written is passed over).

:class:`CorrelationFeed` is the worker's side: it reads new audit events and outbox messages after a
durable cursor (``correlation_cursor``), turns them into events, acts on matches through
``Engine.fire`` (actor ``correlation:<ruleset>``) or the outbox, records each match with its rule set
version (``correlation_matches``) and advances the cursor. On start, and whenever it takes the feed
over from another worker, it replays the last window of events so that no partial pattern is lost.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import re
import threading
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import durable_rules_engine
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from engine.dsl.spec import CREATE_TRIGGER, Text
from engine.errors import DefinitionError, EngineError, Problem, TransitionRejected
from engine.rules.expr import CompiledExpression, ExpressionEvaluationError, compile_expression
from engine.rules.expr import check as check_expression
from engine.rules.routing import province_key
from engine.runtime.actor import ALL_DEPARTMENTS, Actor
from engine.store import UnreadableRow, is_lock_timeout
from engine.store.tables import audit_events, orders, outbox

if TYPE_CHECKING:
    from engine.runtime.engine import Engine
    from engine.store import AuditRow, OrderRow, OutboxRow

__all__ = [
    "ON_TARGETS",
    "REPLENISHMENT_TOPIC",
    "CorrelationFeed",
    "CorrelationMatch",
    "CorrelationRuleset",
    "Correlator",
    "FeedReport",
    "FireAction",
    "Pattern",
    "SuggestAction",
    "address_key",
    "check",
    "compile",
    "event_from_audit",
    "event_from_outbox",
    "load_correlation_rulesets",
]

ON_TARGETS = ("customer_open_orders", "event_order", "address_open_orders")
REPLENISHMENT_TOPIC = "inventory.replenishment_suggested"
MAX_COUNT = 20  # events joined by one pattern (the schema says so too)
MAX_TARGETS = 200  # orders one address match acts on (open_order_ids_where gives as many per mobile)
NAMES = frozenset({"event"})  # the root names a pattern's expressions may read
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^[1-9][0-9]{0,5}[smhd]$")
SCHEMA_VERSION = 1
# PostgreSQL: how long a feed round waits for the transactions writing the logs before it leaves the
# reading to the next round (new writes queue behind a waiting lock request).
FEED_LOCK_TIMEOUT_MS = 50


def duration_seconds(text: str) -> int:
    """``45s``, ``10m``, ``1h``, ``7d`` -> seconds (the workflow language's durations)."""
    return int(text[:-1]) * _SECONDS[text[-1]]


# --------------------------------------------------------------------------------------------------
# The compiled rule set
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FireAction:
    trigger: str
    on: str  # one of ON_TARGETS


@dataclass(frozen=True)
class SuggestAction:
    topic: str
    fields: Mapping[str, Any] = field(default_factory=dict)  # copied into every message


@dataclass(frozen=True)
class Pattern:
    name: str
    event: str
    by: str
    count: int
    within_seconds: int
    then: FireAction | SuggestAction
    reason: Text
    when: str | None = None
    _when: CompiledExpression | None = field(default=None, repr=False, compare=False)
    _by: CompiledExpression | None = field(default=None, repr=False, compare=False)

    def rule(self) -> dict[str, Any]:
        """This pattern as a durable-rules rule: ``count`` facts of one key (``k``) in feed order
        within the window. The key is joined by equality, which durable-rules indexes by hash."""
        parts: list[dict[str, Any]] = [{"e1": {"p": self.name}}]
        for index in range(2, self.count + 1):
            parts.append(
                {
                    f"e{index}": {
                        "$and": [
                            {"p": self.name},
                            {"k": {"e1": "k"}},
                            {"$gt": {"n": {f"e{index - 1}": "n"}}},
                            {"$lte": {"at": {"$add": {"$l": {"e1": "at"}, "$r": self.within_seconds}}}},
                        ]
                    }
                }
            )
        return {"all": parts}


@dataclass(frozen=True)
class CorrelationRuleset:
    name: str
    kind: str
    title: Text
    version: str
    file: str
    patterns: tuple[Pattern, ...]
    department: str  # the department that owns the file
    # the departments whose orders a match acts on (``ALL_DEPARTMENTS`` for every one): its own
    # department unless the file's ``acts_on`` names others
    acts_on: frozenset[str]

    @property
    def durable_name(self) -> str:
        return f"{self.name}#{self.version}"

    @property
    def longest_window(self) -> int:
        return max((p.within_seconds for p in self.patterns), default=0)

    def definition(self) -> dict[str, Any]:
        return {pattern.name: pattern.rule() for pattern in self.patterns}


@dataclass(frozen=True)
class CorrelationMatch:
    ruleset: str
    version: str
    pattern: Pattern
    key: str
    events: tuple[Mapping[str, Any], ...]  # in feed order

    @property
    def at(self) -> datetime:
        return _moment(self.events[-1].get("at")) or datetime.now(UTC)


# --------------------------------------------------------------------------------------------------
# check and compile (called by engine.rules.ruleset for kind: correlation)
# --------------------------------------------------------------------------------------------------


def check(doc: Mapping[str, Any], file: str) -> list[Problem]:
    """What the schema cannot see: expressions, duplicate pattern names, a stray ``rules:``. Never raises."""
    problems: list[Problem] = []
    if "rules" in doc:
        problems.append(
            Problem(
                "a correlation rule set lists 'patterns', not 'rules'",
                file,
                json_path="$.rules",
                hint="rename 'rules:' to 'patterns:'",
                kind="correlation",
            )
        )
    patterns = doc.get("patterns")
    if not isinstance(patterns, list):
        return problems
    seen: dict[str, int] = {}
    for index, pattern in enumerate(patterns):
        if not isinstance(pattern, Mapping):
            continue
        path = f"$.patterns[{index}]"
        name = pattern.get("name")
        if isinstance(name, str):
            if name in seen:
                problems.append(
                    Problem(
                        f"pattern {name!r} is defined twice (first as pattern {seen[name] + 1})",
                        file,
                        json_path=f"{path}.name",
                        hint="give every pattern its own name; matches are recorded by it",
                        kind="duplicate-pattern",
                    )
                )
            else:
                seen[name] = index
        for key in ("when", "by"):
            text = pattern.get(key)
            if isinstance(text, str):
                problems.extend(
                    error.to_problem(file, f"{path}.{key}") for error in check_expression(text, NAMES)
                )
        within = pattern.get("within")
        if isinstance(within, str) and not _DURATION.match(within):
            problems.append(
                Problem(
                    f"{within!r} is not a duration",
                    file,
                    json_path=f"{path}.within",
                    hint="a whole number followed by s, m, h or d, e.g. 10m or 1h",
                    kind="correlation",
                )
            )
    return problems


def compile(doc: Mapping[str, Any], file: str, version: str) -> CorrelationRuleset:
    """A checked correlation file as a :class:`CorrelationRuleset` (its durable-rules ruleset is
    registered when a :class:`Correlator` first uses it)."""
    patterns = []
    for raw in doc["patterns"]:
        then_raw = raw["then"]
        then: FireAction | SuggestAction
        if "fire" in then_raw:
            then = FireAction(trigger=then_raw["fire"]["trigger"], on=then_raw["fire"]["on"])
        else:
            suggest = dict(then_raw["suggest"])
            then = SuggestAction(topic=suggest.pop("topic"), fields=suggest)
        when = raw.get("when")
        patterns.append(
            Pattern(
                name=raw["name"],
                event=raw["event"],
                by=raw["by"],
                count=int(raw["count"]),
                within_seconds=duration_seconds(raw["within"]),
                then=then,
                reason=Text(zh=str(raw["reason"]["zh"]), en=str(raw["reason"]["en"])),
                when=when,
                _when=None if when is None else compile_expression(when, NAMES),
                _by=compile_expression(raw["by"], NAMES),
            )
        )
    title = doc["title"]
    department = str(doc["department"])
    acts_on = doc.get("acts_on")
    return CorrelationRuleset(
        name=doc["ruleset"],
        kind="correlation",
        title=Text(zh=str(title["zh"]), en=str(title["en"])),
        version=version,
        file=file,
        patterns=tuple(patterns),
        department=department,
        acts_on=frozenset(
            {ALL_DEPARTMENTS} if acts_on == ALL_DEPARTMENTS else acts_on if acts_on else {department}
        ),
    )


def load_correlation_rulesets(root: Path) -> list[CorrelationRuleset]:
    """Every ``kind: correlation`` file under ``root/rules`` (sorted by path), compiled.

    Raises :class:`DefinitionError` with every problem of every such file (positions included).
    """
    from engine.dsl.validate import check_rules_file
    from engine.rules.ruleset import compile_ruleset

    found: list[CorrelationRuleset] = []
    problems: list[Problem] = []
    for path in sorted((root / "rules").rglob("*.yaml")):
        shown = path.relative_to(root).as_posix()
        head = path.read_text(encoding="utf-8", errors="replace")
        if not re.search(r"^kind:\s*['\"]?correlation['\"]?\s*(#.*)?$", head, re.MULTILINE):
            continue
        tree, file_problems = check_rules_file(path, shown)
        problems.extend(p for p in file_problems if p.severity == "error")  # warnings do not stop it
        if tree is not None:
            found.append(compile_ruleset(tree, shown))
    if problems:
        raise DefinitionError(problems)
    return found


# --------------------------------------------------------------------------------------------------
# The correlator: events in, matches out
# --------------------------------------------------------------------------------------------------

_LOCK = threading.Lock()  # the durable-rules C engine is driven by one thread at a time
# What durable-rules 2.0.28 allows (its src/rules/state.c): at most 1,024 states per ruleset (one
# more raises MemoryError), states and facts found by a 32-bit hash of their sid or id alone (two
# live ones with one hash are one to it: the second fact is dropped as "observed"), and delete_state
# crashes once a few hundred states have been deleted. Hence: a state is never deleted, one
# correlator holds it at a time, and its next holder gets it back empty.
MAX_STATES = 1000  # correlators open at once over one rule set version, in one process
_OBSERVED = 2  # assert_fact's code for a fact whose id (hash) the state already holds


@dataclass
class _Registered:
    """A rule set version registered in durable-rules (once per process) and the states made in it."""

    handle: int
    sids: dict[int, str] = field(default_factory=dict)  # sid hash -> sid, every state ever made
    free: list[str] = field(default_factory=list)  # the sids of states no correlator holds


_REGISTERED: dict[str, _Registered] = {}  # durable name -> its registration


def _registered(ruleset: CorrelationRuleset) -> _Registered:
    """Call with ``_LOCK`` held."""
    found = _REGISTERED.get(ruleset.durable_name)
    if found is None:
        handle = durable_rules_engine.create_ruleset(
            ruleset.durable_name, json.dumps(ruleset.definition(), ensure_ascii=False)
        )
        found = _REGISTERED[ruleset.durable_name] = _Registered(handle)
    return found


def _take_state(ruleset: CorrelationRuleset) -> tuple[int, str]:
    """A state of ``ruleset``'s durable-rules ruleset that holds no fact: ``(handle, sid)``."""
    with _LOCK:
        registered = _registered(ruleset)
        if registered.free:
            return registered.handle, registered.free.pop()
        if len(registered.sids) >= MAX_STATES:
            raise EngineError(
                f"{MAX_STATES} correlators over {ruleset.durable_name} are open in this process: "
                "close() the ones no longer fed",
                zh=f"本进程中已有 {MAX_STATES} 个关联器使用 {ruleset.durable_name}："
                "请 close() 不再使用的关联器",
            )
        number = len(registered.sids)
        while _fnv1a(f"s{number}") in registered.sids:  # a sid hash is the state's only name
            number += 1
        sid = f"s{number}"
        registered.sids[_fnv1a(sid)] = sid
        return registered.handle, sid


def _give_back(durable_name: str, sid: str) -> None:
    with _LOCK:
        _REGISTERED[durable_name].free.append(sid)


def durable_states(ruleset: CorrelationRuleset) -> int:
    """How many durable-rules states this process has made for ``ruleset``'s version (never deleted,
    reused): at most the number of correlators ever open over it at once."""
    with _LOCK:
        found = _REGISTERED.get(ruleset.durable_name)
        return 0 if found is None else len(found.sids)


def _fnv1a(text: str) -> int:
    """durable-rules' hash of a sid or a fact id (FNV-1a, 32 bits; our ids are ASCII)."""
    value = 0x811C9DC5
    for byte in text.encode("ascii"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


@dataclass
class _State:
    """The durable-rules state a correlator holds for one rule set version, and the id hashes of the
    facts in it (its own state fact included)."""

    durable_name: str
    handle: int
    sid: str
    hashes: set[int]
    offset: int | None = None  # durable-rules' index of the state, once it exists
    sound: bool = True  # False after a durable-rules error left it unknown: never handed on


@dataclass
class _Fact:
    id: str
    hash: int
    state: _State
    text: str  # the fact as asserted, JSON
    key: tuple[str, str, str]  # (durable name, pattern, key)
    event: Mapping[str, Any]


class Correlator:
    """Feeds events to the patterns of some correlation rule sets and returns their matches.

    A correlator holds one durable-rules state per rule set version, taken from the version's pool
    of states and given back by :meth:`close` once every fact is retracted; two correlators open at
    once never share a state, so they never see each other's events. Keys share the state: a
    pattern joins facts of one key by equality (durable-rules indexes such joins by hash). Not
    thread-safe: one feeding thread per correlator; call :meth:`close` when done.
    """

    def __init__(self, rulesets: Sequence[CorrelationRuleset]) -> None:
        self.rulesets = tuple(rulesets)
        self._numbers = itertools.count(1)
        self._by_event: dict[str, list[tuple[CorrelationRuleset, Pattern]]] = {}
        for ruleset in self.rulesets:
            for pattern in ruleset.patterns:
                self._by_event.setdefault(pattern.event, []).append((ruleset, pattern))
        self._states: dict[str, _State] = {}
        try:
            for ruleset in self.rulesets:
                if ruleset.durable_name not in self._states:
                    handle, sid = _take_state(ruleset)
                    self._states[ruleset.durable_name] = _State(
                        ruleset.durable_name, handle, sid, {_fnv1a(f"sid-{sid}")}
                    )
        except BaseException:
            for state in self._states.values():
                _give_back(state.durable_name, state.sid)
            raise
        self._facts: dict[str, _Fact] = {}
        self._keys: dict[tuple[str, str, str], int] = {}  # (version, pattern, key) -> live facts
        self._expiry: list[tuple[float, int, str]] = []  # (expires at, number, fact id): a heap
        self._closed = False
        self.unevaluated: dict[str, int] = {}  # pattern -> events whose when/by could not be evaluated
        self.last_error: str | None = None

    # -- what it holds ---------------------------------------------------------------------------

    @property
    def live_facts(self) -> int:
        return len(self._facts)

    @property
    def live_keys(self) -> int:
        """(pattern, key) pairs with at least one fact in their window."""
        return len(self._keys)

    @property
    def live_states(self) -> int:
        """durable-rules states held: one per rule set version, however many keys."""
        return len(self._states)

    # -- feeding ---------------------------------------------------------------------------------

    def feed(self, event: Mapping[str, Any]) -> list[CorrelationMatch]:
        """Take one event (``type`` and ``at`` at least); return the matches it completes."""
        if self._closed:
            raise EngineError("this correlator is closed", zh="此关联器已关闭")
        wanted = self._by_event.get(str(event.get("type")))
        moment = _moment(event.get("at"))
        if moment is None:
            return []
        at = moment.timestamp()
        self.expire(at)
        if not wanted:
            return []
        env = {"event": event}
        matches: list[CorrelationMatch] = []
        for ruleset, pattern in wanted:
            try:
                if pattern._when is not None and not pattern._when(env):
                    continue
                assert pattern._by is not None
                key = pattern._by(env)
            except ExpressionEvaluationError as error:
                self.unevaluated[pattern.name] = self.unevaluated.get(pattern.name, 0) + 1
                self.last_error = str(error)
                continue
            if key is None or key == "":
                continue
            matches.extend(self._assert(ruleset, pattern, _key_text(key), event, at))
        return matches

    def _assert(
        self, ruleset: CorrelationRuleset, pattern: Pattern, key: str, event: Mapping[str, Any], at: float
    ) -> list[CorrelationMatch]:
        state = self._states[ruleset.durable_name]
        number = next(self._numbers)
        fact_id, hashed, suffix = str(number), _fnv1a(str(number)), 0
        while hashed in state.hashes:  # durable-rules would take it for the live fact with that hash
            suffix += 1
            fact_id = f"{number}.{suffix}"
            hashed = _fnv1a(fact_id)
        # Plain ASCII and one length: durable-rules joins the facts of a key on this text.
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        body = {"sid": state.sid, "id": fact_id, "p": pattern.name, "k": digest, "n": number, "at": at}
        keyed = (ruleset.durable_name, pattern.name, key)
        fact = _Fact(fact_id, hashed, state, json.dumps(body), keyed, event)
        self._facts[fact_id] = fact
        state.hashes.add(hashed)
        self._keys[keyed] = self._keys.get(keyed, 0) + 1
        fired: list[Mapping[str, Any]] = []
        try:
            with _LOCK:
                code, state.offset = durable_rules_engine.assert_fact(state.handle, fact.text)
                if code == 0:
                    fired = _run_actions(state.handle, state.offset)
        except BaseException:
            state.sound = False  # the fact may be in it or not
            self._unregister(fact)
            raise
        if code == _OBSERVED:
            self._unregister(fact)
            raise EngineError(f"durable-rules already holds a fact with the id hash of {fact_id!r}")
        heapq.heappush(self._expiry, (at + pattern.within_seconds, number, fact_id))
        matches = []
        for found in fired:
            facts = [found[name] for name in sorted(found, key=lambda name: int(name[1:]))]
            ids = [str(item["id"]) for item in facts]
            if not all(item_id in self._facts for item_id in ids):
                continue  # already consumed by an earlier match of this batch
            events = tuple(self._facts[item_id].event for item_id in ids)
            for item_id in ids:
                self._forget(item_id)
            matches.append(CorrelationMatch(ruleset.name, ruleset.version, pattern, key, events))
        return matches

    def expire(self, now: datetime | float) -> int:
        """Retract every fact older than its pattern's window at ``now``; returns how many."""
        at = now.timestamp() if isinstance(now, datetime) else now
        gone = 0
        while self._expiry and self._expiry[0][0] < at:
            _, _, fact_id = heapq.heappop(self._expiry)
            if fact_id in self._facts:
                self._forget(fact_id)
                gone += 1
        return gone

    def _forget(self, fact_id: str) -> None:
        fact = self._facts[fact_id]
        with _LOCK:
            durable_rules_engine.retract_fact(fact.state.handle, fact.text)
        self._unregister(fact)

    def _unregister(self, fact: _Fact) -> None:
        del self._facts[fact.id]
        fact.state.hashes.discard(fact.hash)
        left = self._keys[fact.key] - 1
        if left:
            self._keys[fact.key] = left
        else:
            del self._keys[fact.key]

    def close(self) -> None:
        """Retract every fact and give the states back for the next correlator. Idempotent; a
        state that could not be emptied is kept out of use (never handed on with facts in it)."""
        if self._closed:
            return
        self._closed = True
        self._expiry.clear()
        for fact_id in list(self._facts):
            fact = self._facts[fact_id]
            try:
                self._forget(fact_id)
            except durable_rules_engine.error:
                fact.state.sound = False
                self._unregister(fact)
        for state in self._states.values():
            if state.sound and state.offset is not None:
                with _LOCK:
                    state.sound = not _run_actions(state.handle, state.offset)  # nothing pending
            if state.sound:
                _give_back(state.durable_name, state.sid)


def _run_actions(handle: int, state_handle: int) -> list[Mapping[str, Any]]:
    """Collect the rule firings an assert caused (each ``{"e1": fact, ...}``), completing each action."""
    found: list[Mapping[str, Any]] = []
    started = durable_rules_engine.start_action_for_state(handle, state_handle)
    while started:
        message = json.loads(started[1])
        for _rule, facts in message.items():
            found.extend(facts if isinstance(facts, list) else [facts])
        following = durable_rules_engine.complete_and_start_action(handle, state_handle)
        started = (started[0], following) if following else None
    return found


def _key_text(key: Any) -> str:
    return key if isinstance(key, str) else json.dumps(key, sort_keys=True, default=str)


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


# --------------------------------------------------------------------------------------------------
# Events from the audit trail and the outbox
# --------------------------------------------------------------------------------------------------


# The longest address key kept as text, in UTF-8 bytes (a real address is a tenth of it); longer keys
# are their digest. PostgreSQL's btree takes about 2,700 bytes per entry, the column 1,000 characters.
ADDRESS_KEY_BYTES = 600


def address_key(address: Any) -> str | None:
    """One delivery address as a key: ``province|city|district|street``, so that the ways one address
    gets written give one key. The province is routing's (``上海市`` and ``上海`` are one); every part is
    folded to half-width (NFKC: ``１２号`` is ``12号``), stripped of all whitespace (full-width spaces
    too) and lower-cased. ``None`` when a part is missing or blank.

    The one definition: the customer store keeps it (``customers.address_key``, written by the
    ``customers.register`` action), ``account_created`` messages carry it, audit and outbox events get
    it, and ``address_open_orders`` finds orders by it.
    """
    if not isinstance(address, Mapping):
        return None
    parts = []
    for name in ("province", "city", "district", "detail"):
        part = address.get(name)
        if not isinstance(part, str):
            return None
        folded = "".join(unicodedata.normalize("NFKC", part).split()).casefold()
        if not folded:
            return None
        parts.append(province_key(folded) if name == "province" else folded)
    key = "|".join(parts)
    if len(key.encode("utf-8")) > ADDRESS_KEY_BYTES:
        # NFKC can lengthen text many times over (ﷺ is 18 characters): a key this long is kept as its
        # digest, so it fits the customers table's indexed column on every database.
        return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


def _customer_mobile(data: Mapping[str, Any]) -> str | None:
    customer = data.get("customer")
    mobile = customer.get("mobile") if isinstance(customer, Mapping) else None
    return mobile if isinstance(mobile, str) and mobile else None


def event_from_audit(row: AuditRow, order: OrderRow) -> dict[str, Any]:
    """An audit event as a correlation event: ``type`` is the trigger (``order_created`` for the
    creation), with the order's department, workflow, state and data as they are now."""
    data = order.data
    return {
        "id": f"audit:{row.id}",
        "type": "order_created" if row.trigger == CREATE_TRIGGER else row.trigger,
        "source": "audit",
        "trigger": row.trigger,
        "order_id": row.order_id,
        "department": order.department,
        "workflow": order.workflow,
        "at": row.at,
        "actor": row.actor,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "reason": row.reason,
        "order": data,
        "customer_mobile": _customer_mobile(data),
        "address_key": address_key(data.get("address")),
    }


def event_from_outbox(row: OutboxRow) -> dict[str, Any]:
    """An outbox message as a correlation event: ``type`` is its topic; the payload's fields are kept
    (``order_id``, ``sku``, ``available`` …) unless they would hide ``id``, ``type`` or ``at``. A
    payload with a ``customer`` (``mobile``) or an ``address`` and without ``customer_mobile`` or
    ``address_key`` gets them, made as for audit events."""
    payload = row.payload if isinstance(row.payload, Mapping) else {"payload": row.payload}
    event: dict[str, Any] = dict(payload)
    if event.get("customer_mobile") is None:
        event["customer_mobile"] = _customer_mobile(payload)
    if event.get("address_key") is None:
        event["address_key"] = address_key(payload.get("address"))
    event.update({"id": f"outbox:{row.id}", "type": row.topic, "source": "outbox", "at": row.created_at})
    return event


# --------------------------------------------------------------------------------------------------
# The worker's feed
# --------------------------------------------------------------------------------------------------


@dataclass
class FeedReport:
    holding: bool = False  # this worker holds the feed (another one does otherwise)
    held_by: str | None = None  # the worker holding it when this one does not
    held_until: datetime | None = None  # when that worker's lease runs out unless it renews it
    replayed: int = 0  # events replayed from the last window (on start or take-over)
    events: int = 0  # new events fed
    matches: int = 0
    fired: int = 0  # triggers fired on orders
    skipped: int = 0  # orders where the trigger was not available (recorded, not fired)
    suggested: int = 0  # outbox suggestions written
    # rows this OrderLoom cannot read (written by a newer one), passed over: the cursor moves past them
    unreadable: list[UnreadableRow] = field(default_factory=list)


class CorrelationFeed:
    """Feeds new audit events and outbox messages to a :class:`Correlator` once each, and acts.

    One worker holds a feed at a time (a lease on its ``correlation_cursor`` row, renewed each round);
    the others skip it, and their report says who holds it and until when. A worker that stops in good
    order lets go of it (:meth:`release`), so the next one takes it at once instead of after the lease.
    Acting on a match happens before the cursor moves past its last event, so a crash in between acts
    again on restart (at least once); firing the same trigger again is then usually refused by the
    order's state, which is recorded as skipped.

    A row this OrderLoom cannot read (an audit event, its order's data or an outbox message of a
    ``schema_version`` it does not know: written by a newer OrderLoom) is passed over: the cursor moves
    past it and the round's report lists it (``FeedReport.unreadable``), so one such row never stops the
    feed. A round that fails half-way lets the next one start again from the cursor, replaying the last
    window first, so no event is fed twice.
    """

    def __init__(
        self,
        engine: Engine,
        rulesets: Sequence[CorrelationRuleset],
        worker_id: str,
        name: str = "default",
        *,
        lease: timedelta | None = None,
        batch: int = 500,
    ) -> None:
        self.engine = engine
        self.rulesets = tuple(rulesets)
        self.worker_id = worker_id
        self.name = name
        self.lease = lease or engine.lease
        self.batch = batch
        self.correlator = Correlator(self.rulesets)
        self._holding = False
        self._window = timedelta(seconds=max((r.longest_window for r in self.rulesets), default=0))
        self._actors = {r.name: _actor(r) for r in self.rulesets}

    def close(self) -> None:
        """Let go of the correlator's durable-rules states (the cursor and its lease stay as they are)."""
        self.correlator.close()

    def release(self) -> bool:
        """Let go of the feed's lease if this worker holds it (it is stopping): another worker takes the
        feed at its next round. True when it was held by this worker."""
        self._holding = False
        if not self.rulesets:
            return False
        with self.engine.store.transaction() as tx:
            return tx.release_correlation_cursor(self.name, self.worker_id)

    def round(self) -> FeedReport:
        """Take (or keep) the feed, replay if newly taken, feed what is new, act on matches."""
        report = FeedReport()
        if not self.rulesets:
            return report
        try:
            return self._round(report)
        except BaseException:
            # The correlator may hold events past the cursor: the next round replays before it feeds.
            self._holding = False
            raise

    def _round(self, report: FeedReport) -> FeedReport:
        now = self.engine.clock.now()
        with self.engine.store.transaction() as tx:
            holding = tx.claim_correlation_cursor(self.name, self.worker_id, now, self.lease)
            cursor = tx.correlation_cursor(self.name)
        if not holding or cursor is None:
            self._holding = False
            if cursor is not None and cursor.claimed_by is not None and cursor.claimed_at is not None:
                report.held_by, report.held_until = cursor.claimed_by, cursor.claimed_at + self.lease
            return report
        report.holding = True
        if not self._holding:
            report.replayed = self._replay(cursor.last_audit_id, cursor.last_outbox_id, now, report)
            self._holding = True
        self.correlator.expire(now)
        audit_after, outbox_after = cursor.last_audit_id, cursor.last_outbox_id
        settled = self._settled(audit_after, outbox_after)
        if settled is False:
            return report  # the logs were being written past the lock timeout: the next round reads
        more = True
        while more:
            events, more = self._read(audit_after, outbox_after, up_to=settled, since=None)
            for event, audit_id, outbox_id in events:
                audit_after, outbox_after = max(audit_after, audit_id), max(outbox_after, outbox_id)
                if isinstance(event, UnreadableRow):
                    report.unreadable.append(event)
                    continue
                report.events += 1
                matches = self.correlator.feed(event)
                records = [self._act(match, report) for match in matches]
                due = records or report.events % self.batch == 0
                if due and not self._advance(audit_after, outbox_after, records):
                    self._holding = False
                    return report
        if not self._advance(audit_after, outbox_after, []):
            self._holding = False
        return report

    # -- reading -----------------------------------------------------------------------------------

    def _settled(self, audit_after: int, outbox_after: int) -> tuple[int, int] | Literal[False] | None:
        """How far the logs may be read without passing an event still being written: on PostgreSQL
        ids are taken before commit, so an open transaction can hold a smaller id than one already
        committed, and a cursor moved past it would never feed it. A short lock on both logs waits for
        the transactions writing them; every id up to the newest it then sees is committed. Nothing
        committed past the cursors: no lock (a round of an idle worker holds no writer back), nothing
        read. ``None``: no bound needed (SQLite has one writer at a time). ``False``: the lock was not
        had in time."""
        store = self.engine.store
        if store.is_sqlite:
            return None
        with store.read() as tx:
            newest = _newest_ids(tx.connection)
        if newest[0] <= audit_after and newest[1] <= outbox_after:
            return newest
        try:
            with store.transaction(lock_timeout_ms=FEED_LOCK_TIMEOUT_MS) as tx:
                tx.connection.exec_driver_sql("LOCK TABLE audit_events, outbox IN SHARE ROW EXCLUSIVE MODE")
                return _newest_ids(tx.connection)
        except OperationalError as error:
            if not is_lock_timeout(error):
                raise
            return False

    def _read(
        self, audit_after: int, outbox_after: int, up_to: tuple[int, int] | None, since: datetime | None
    ) -> tuple[list[tuple[dict[str, Any] | UnreadableRow, int, int]], bool]:
        """Events after the cursors, audit and outbox merged in time order (audit first on a tie), and
        whether more may follow; a row this code cannot read stands in its place as itself."""
        with self.engine.store.read() as tx:
            audits = tx.audit_feed(
                after_id=audit_after,
                up_to_id=None if up_to is None else up_to[0],
                since=since,
                limit=self.batch,
            )
            messages = tx.outbox_feed(
                after_id=outbox_after,
                up_to_id=None if up_to is None else up_to[1],
                since=since,
                limit=self.batch,
            )
        merged: list[tuple[datetime, int, int, dict[str, Any] | UnreadableRow, int, int]] = []
        for item in audits:
            if isinstance(item, UnreadableRow):
                merged.append((item.at, 0, item.id, item, item.id, 0))
            else:
                row, order = item
                merged.append((row.at, 0, row.id, event_from_audit(row, order), row.id, 0))
        for message in messages:
            if isinstance(message, UnreadableRow):
                merged.append((message.at, 1, message.id, message, 0, message.id))
            else:
                merged.append((message.created_at, 1, message.id, event_from_outbox(message), 0, message.id))
        # A full batch of one log may stop before the other's next events: feed only up to the
        # earlier of the two last times, so the merge stays in time order across batches.
        limit_at: datetime | None = None
        if len(audits) == self.batch and audits:
            limit_at = _feed_time(audits[-1])
        if len(messages) == self.batch and messages:
            last = _feed_time(messages[-1])
            limit_at = last if limit_at is None else min(limit_at, last)
        merged.sort(key=lambda item: (item[0], item[1], item[2]))
        events = [
            (event, audit_id, outbox_id)
            for at, _, _, event, audit_id, outbox_id in merged
            if limit_at is None or at <= limit_at
        ]
        return events, limit_at is not None

    def _replay(self, audit_upto: int, outbox_upto: int, now: datetime, report: FeedReport) -> int:
        """Feed the last window of already-read events again, without acting: partial patterns come
        back; events that a recorded match consumed are left out, so nothing matches twice. Rows it
        cannot read were passed over (and said) when first read; a recorded match it cannot read is
        said (the events it consumed may then be replayed)."""
        self.correlator.close()
        self.correlator = Correlator(self.rulesets)
        since = now - self._window
        consumed: set[str] = set()
        with self.engine.store.read() as tx:
            for match in tx.correlation_matches(self.name, since - self._window):
                if isinstance(match, UnreadableRow):
                    report.unreadable.append(match)
                else:
                    consumed.update(str(event.get("id")) for event in match["events"])
        replayed = 0
        audit_after = outbox_after = 0
        more = True
        while more:
            events, more = self._read(audit_after, outbox_after, up_to=(audit_upto, outbox_upto), since=since)
            for event, audit_id, outbox_id in events:
                audit_after, outbox_after = max(audit_after, audit_id), max(outbox_after, outbox_id)
                if isinstance(event, UnreadableRow) or event["id"] in consumed:
                    continue
                replayed += 1
                self.correlator.feed(event)  # matches here were acted on before, or will never be
        return replayed

    def _advance(self, audit_id: int, outbox_id: int, records: Sequence[Mapping[str, Any]]) -> bool:
        now = self.engine.clock.now()
        with self.engine.store.transaction() as tx:
            if not tx.advance_correlation_cursor(self.name, self.worker_id, audit_id, outbox_id, now):
                return False
            for record in records:
                tx.insert_correlation_match(feed=self.name, **record)
        return True

    # -- acting ------------------------------------------------------------------------------------

    def _act(self, match: CorrelationMatch, report: FeedReport) -> dict[str, Any]:
        """Do what the pattern says; the record of the match, for ``correlation_matches``."""
        report.matches += 1
        pattern = match.pattern
        actions: list[dict[str, Any]] = []
        if isinstance(pattern.then, FireAction):
            reason = (
                f"correlation {match.ruleset}#{match.version} {pattern.name}: "
                f"{pattern.reason.en} | {pattern.reason.zh}"
            )
            actor = self._actors[match.ruleset]
            for order_id in self._targets(pattern.then.on, match, actor):
                actions.append(self._fire(order_id, pattern.then.trigger, actor, reason, report))
        else:
            payload = {
                **pattern.then.fields,
                "ruleset": match.ruleset,
                "version": match.version,
                "pattern": pattern.name,
                "key": match.key,
                "reason": {"zh": pattern.reason.zh, "en": pattern.reason.en},
                "events": [_summary(event) for event in match.events],
            }
            for name in ("sku", "warehouse", "available", "safety_stock", "department"):
                if name in match.events[-1] and name not in payload:
                    payload[name] = match.events[-1][name]
            department = payload.get("department")  # whose admins see the suggestion in the outbox
            with self.engine.store.transaction() as tx:
                tx.insert_outbox(
                    pattern.then.topic,
                    payload,
                    self.engine.clock.now(),
                    department=department if isinstance(department, str) else None,
                )
            report.suggested += 1
            actions.append({"suggested": pattern.then.topic})
        return {
            "ruleset": match.ruleset,
            "version": match.version,
            "pattern": pattern.name,
            "key": match.key,
            "at": match.at,
            "events": [_summary(event) for event in match.events],
            "actions": actions,
        }

    def _targets(self, on: str, match: CorrelationMatch, actor: Actor) -> list[int]:
        """The orders a match acts on: of the departments the rule file acts on (``actor.scope``)."""
        scope = actor.scope
        ids: dict[int, None] = {}
        if on == "event_order":
            for event in match.events:
                if isinstance(event.get("order_id"), int):
                    ids[event["order_id"]] = None
            with self.engine.store.read() as tx:
                return _of_departments(tx.connection, list(ids), scope)
        field_name = "customer_mobile" if on == "customer_open_orders" else "address_key"
        values = {str(event[field_name]) for event in match.events if event.get(field_name)}
        with self.engine.store.read() as tx:
            if on == "customer_open_orders":
                for value in sorted(values):
                    found = tx.open_order_ids_where(("customer", "mobile"), value, departments=scope)
                    ids.update(dict.fromkeys(found))
            else:
                ids.update(dict.fromkeys(_open_orders_at(tx.connection, values, scope)))
        return sorted(ids)

    def _fire(
        self, order_id: int, trigger: str, actor: Actor, reason: str, report: FeedReport
    ) -> dict[str, Any]:
        try:
            result = self.engine.fire(order_id, trigger, actor, reason=reason)
        except TransitionRejected as error:
            report.skipped += 1
            return {
                "order_id": order_id,
                "trigger": trigger,
                "result": "skipped",
                "why": [refusal.en for refusal in error.refusals],
            }
        except EngineError as error:  # changed meanwhile, gone, or stored in a shape this code cannot read
            report.skipped += 1
            return {"order_id": order_id, "trigger": trigger, "result": "skipped", "why": [str(error)]}
        report.fired += 1
        return {
            "order_id": order_id,
            "trigger": trigger,
            "result": "fired",
            "to_state": result.to_state,
            "audit_event_id": result.audit_event_id,
        }


def _actor(ruleset: CorrelationRuleset) -> Actor:
    """Who fires on a correlation match: the engine itself, named after the rule set, in the departments
    the rule set acts on (an order of another one is not found for it)."""
    return Actor(f"correlation:{ruleset.name}", frozenset({"system"}), ruleset.acts_on, is_system=True)


def _of_departments(connection: Any, ids: Sequence[int], departments: Collection[str] | None) -> list[int]:
    """``ids`` of orders in ``departments`` (every order's for None), in their order."""
    if departments is None or not ids:
        return list(ids)
    query = select(orders.c.id).where(orders.c.id.in_(ids), orders.c.department.in_(sorted(departments)))
    kept = set(connection.execute(query).scalars())
    return [order_id for order_id in ids if order_id in kept]


def _open_orders_at(
    connection: Any,
    keys: Collection[str],
    departments: Collection[str] | None = None,
    limit: int = MAX_TARGETS,
) -> list[int]:
    """The unfinished orders (of ``departments``; None: of every one) whose delivery address has one of
    ``keys`` (:func:`address_key`).

    The key folds what SQL cannot (full-width forms, every kind of space), so the addresses of the
    unfinished orders are read and keyed here: a scan, which a correlation match, rare by design, can
    afford (only the address of each order is read, not its data).
    """
    if not keys:
        return []
    found: list[int] = []
    query = (
        select(orders.c.id, orders.c.data["address"]).where(orders.c.final.is_(False)).order_by(orders.c.id)
    )
    if departments is not None:
        query = query.where(orders.c.department.in_(sorted(departments)))
    for order_id, address in connection.execute(query):
        if isinstance(address, str | bytes):
            address = json.loads(address)
        if address_key(address) in keys:
            found.append(int(order_id))
            if len(found) >= limit:
                break
    return found


_SUMMARY_FIELDS = ("id", "type", "order_id", "department", "at", "customer_mobile", "address_key", "sku")


def _summary(event: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an event a match record keeps (not the order's whole data)."""
    kept = {name: event[name] for name in _SUMMARY_FIELDS if name in event}
    if isinstance(kept.get("at"), datetime):
        kept["at"] = kept["at"].isoformat()
    return kept


def feed_events(correlator: Correlator, events: Iterable[Mapping[str, Any]]) -> list[CorrelationMatch]:
    """Feed several events in order; every match they make."""
    found: list[CorrelationMatch] = []
    for event in events:
        found.extend(correlator.feed(event))
    return found


def _feed_time(item: tuple[AuditRow, OrderRow] | OutboxRow | UnreadableRow) -> datetime:
    """When a row read by the feed was written."""
    if isinstance(item, tuple):
        return item[0].at
    return item.at if isinstance(item, UnreadableRow) else item.created_at


def _newest_ids(connection: Any) -> tuple[int, int]:
    """The newest audit event's and outbox message's ids (0 for an empty log)."""
    audit = connection.execute(select(func.max(audit_events.c.id))).scalar_one_or_none()
    message = connection.execute(select(func.max(outbox.c.id))).scalar_one_or_none()
    return int(audit or 0), int(message or 0)
