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

The worker's side, which reads the audit trail and the outbox and acts on matches through the
``Engine``, is ``engine.runtime.correlation_feed``; this module knows neither the store nor the runtime.
Each rule set version is registered as the ``correlation`` kind (:data:`KIND`, ``engine.rules.kinds``).
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import durable_rules_engine

from engine.common.text import Text
from engine.dsl.spec import ALL_DEPARTMENTS
from engine.errors import EngineError, Problem
from engine.rules.expr import CompiledExpression, ExpressionEvaluationError, compile_expression
from engine.rules.expr import check as check_expression
from engine.rules.routing import province_key
from engine.rules.ruleset import RuleKind

__all__ = [
    "KIND",
    "ON_TARGETS",
    "REPLENISHMENT_TOPIC",
    "CorrelationMatch",
    "CorrelationRuleset",
    "Correlator",
    "FireAction",
    "Pattern",
    "SuggestAction",
    "address_key",
    "check",
    "compile",
    "feed_events",
]

ON_TARGETS = ("customer_open_orders", "event_order", "address_open_orders")
REPLENISHMENT_TOPIC = "inventory.replenishment_suggested"
MAX_COUNT = 20  # events joined by one pattern (the schema says so too)
NAMES = frozenset({"event"})  # the root names a pattern's expressions may read
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^[1-9][0-9]{0,5}[smhd]$")
SCHEMA_VERSION = 1


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
                Text(
                    "事件关联规则集列出的是 'patterns'，不是 'rules'",
                    "a correlation rule set lists 'patterns', not 'rules'",
                ),
                file,
                json_path="$.rules",
                hint_words=Text("把 'rules:' 改名为 'patterns:'", "rename 'rules:' to 'patterns:'"),
                code="correlation",
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
                        Text(
                            f"关联模式 {name!r} 定义了两次（第一次是第 {seen[name] + 1} 个关联模式）",
                            f"pattern {name!r} is defined twice (first as pattern {seen[name] + 1})",
                        ),
                        file,
                        json_path=f"{path}.name",
                        hint_words=Text(
                            "每个关联模式都要有自己的名称：匹配结果按名称记录",
                            "give every pattern its own name; matches are recorded by it",
                        ),
                        code="duplicate-pattern",
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
                    Text(f"{within!r} 不是时长", f"{within!r} is not a duration"),
                    file,
                    json_path=f"{path}.within",
                    hint_words=Text(
                        "一个整数后跟 s、m、h 或 d，如 10m 或 1h",
                        "a whole number followed by s, m, h or d, e.g. 10m or 1h",
                    ),
                    code="correlation",
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
            raise EngineError(
                f"durable-rules already holds a fact with the id hash of {fact_id!r}",
                zh=f"durable-rules 中已有一个事实的标识哈希与 {fact_id!r} 的相同",
            )
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


def feed_events(correlator: Correlator, events: Iterable[Mapping[str, Any]]) -> list[CorrelationMatch]:
    """Feed several events in order; every match they make."""
    found: list[CorrelationMatch] = []
    for event in events:
        found.extend(correlator.feed(event))
    return found


# --------------------------------------------------------------------------------------------------
# Address keys
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


KIND = RuleKind("correlation", check, compile, evaluated=False, named=("patterns",))
