"""Managed lists (名单) as admins keep them, and what a step's conditions ask the database.

:class:`NamedLists` creates a department's lists and adds, removes and imports their values, each in
one write transaction, every change recorded with who made it and when (``engine.store.named_lists``).
Every refusal is a :class:`ListRefused` worded in Chinese and English, naming the field (and, for an
import, the line) it is about; an import adds nothing unless every line is good.

:class:`StepLookups` is what ``in_list(...)`` and the customer facts (``open_orders()``, ``owed()``,
``orders_in_days(7)`` …; ``engine.rules.expr``) read in a step: one indexed query each, through the
step's own transaction. A list the department does not have refuses the step, naming the list: a
condition is never silently false because a list is missing.
"""

from __future__ import annotations

import ast
import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.clock import Clock
from engine.common.list_keys import (
    CUSTOMER_FACTS,
    LIST_NAME,
    MAX_KEY,
    OWED_OPENING,
    ListKind,
    customer_key,
    list_key,
    value_keys,
)
from engine.common.suggest import did_you_mean
from engine.common.text import Text
from engine.common.words import word, words_of
from engine.errors import DefinitionError, EngineError, Problem, Refusal, TransitionRejected
from engine.rules.expr import ExpressionError, ExpressionEvaluationError, compile_expression, parse
from engine.rules.list_checks import declared_lists, rules_naming_lists
from engine.runtime.actor import SYSTEM
from engine.runtime.catalogue import SKU_PATTERN
from engine.store import Store, Tx
from engine.store import named_lists as rows
from engine.store.named_lists import ListChange, ListEntry, NamedList
from engine.store.products import catalogue_size, find_products
from engine.store.users import display_names
from engine.store.versions import newest_bundles

__all__ = [
    "KIND_WORDS",
    "MAX_IMPORT_LINES",
    "MAX_LABEL",
    "MAX_NOTE",
    "ListChange",
    "ListEntry",
    "ListFault",
    "ListRefused",
    "ListShown",
    "ListUse",
    "NamedList",
    "NamedLists",
    "ReadLookups",
    "StepLookups",
    "UnknownList",
    "ensure_declared_lists",
    "entries_text",
    "unknown_list_refusal",
    "with_facts_read",
]

MAX_LABEL = 200
MAX_NOTE = 500
MAX_IMPORT_LINES = 10_000
UNKNOWN_LIST = "unknown-list"
UNDECLARED_LIST_KIND = "list-kind"
KIND_WORDS: Mapping[ListKind, Text] = {kind: words_of("lists.kind")[kind.value] for kind in ListKind}


@dataclass(frozen=True)
class ListFault:
    """One thing wrong: its words, the field (``name``, ``kind``, ``value`` …) and the import line."""

    words: Text
    field: str
    line: int | None = None

    def text(self, lang: str) -> str:
        said = self.words.get(lang)
        if self.line is None:
            return said
        return f"第 {self.line} 行：{said}" if lang.startswith("zh") else f"line {self.line}: {said}"


class ListRefused(EngineError):
    """A change to a list that was refused; nothing of it was written."""

    def __init__(self, problems: Sequence[ListFault]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "; ".join(p.text("en") for p in self.problems), zh="；".join(p.text("zh") for p in self.problems)
        )


@dataclass(frozen=True)
class ListShown:
    """A list with (some of) its entries and its latest changes."""

    named: NamedList
    entries: list[ListEntry]
    changes: list[ListChange] = field(default_factory=list)
    search: str = ""
    people: dict[str, Text] = field(default_factory=dict)  # who added or changed, by login: their name

    def person(self, login: str, lang: str) -> str:
        """Who ``login`` is, as the pages name people: their display name, the engine's own in words."""
        found = self.people.get(login)
        return found.get(lang) if found is not None else login


@dataclass(frozen=True)
class ListUse:
    """A rule file of a workflow's version in force whose conditions name a list: the workflow, the rule
    set (its file and title) and the rules naming the list."""

    workflow: str
    workflow_title: Text
    version: int
    ruleset: str
    ruleset_title: Text
    rules: tuple[str, ...]


def _title(doc: Any, fallback: str) -> Text:
    title = doc.get("title") if isinstance(doc, Mapping) else None
    if isinstance(title, Mapping) and isinstance(title.get("zh"), str) and isinstance(title.get("en"), str):
        return Text(title["zh"], title["en"])
    return Text(fallback, fallback)


def _refuse(zh: str, en: str, field_name: str) -> ListRefused:
    return ListRefused([ListFault(Text(zh, en), field_name)])


class UnknownList(TransitionRejected):
    """A condition named a list the department does not have: the step is refused, an automatic one
    too (it would otherwise just not be taken, and the order wait without a word)."""


def unknown_list_refusal(department: str, name: str, known: Sequence[str]) -> Refusal:
    return Refusal(
        UNKNOWN_LIST,
        f"条件引用的名单 {name!r} 在部门 {department} 中不存在{did_you_mean(name, known, 'zh')}；"
        f"请先用 `orderloom lists create` 或名单页面建立它",
        f"the condition names the list {name!r}, which department {department} does not have"
        f"{did_you_mean(name, known)}; create it first (`orderloom lists create` or the lists page)",
        {"list": name, "department": department, "lists": list(known)},
    )


class NamedLists:
    """A department's managed lists, kept by its admins (the CLI and the studio's lists page)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # -- reading -------------------------------------------------------------------------------

    def lists(self, department: str) -> list[NamedList]:
        with self.store.read() as tx:
            return rows.lists_of(tx.connection, department)

    def show(self, department: str, name: str, search: str = "", limit: int = 200) -> ListShown:
        """The list with its entries (those matching ``search`` after normalising for its kind, when
        given) and its latest changes; :class:`ListRefused` for a list the department does not have."""
        with self.store.read() as tx:
            named = self._named(tx, department, name)
            part = list_key(named.kind, search) if search.strip() else None
            # a search with nothing to match (only spaces or punctuation for the kind) finds nothing
            entries = rows.entries_of(tx.connection, named, part, limit=limit) if part != "" else []
            changes = rows.list_changes(tx.connection, named)
            logins = {e.added_by for e in entries} | {c.actor for c in changes}
            people = {login: Text(shown, shown) for login, shown in display_names(tx, logins).items()}
            if SYSTEM.name in logins:
                people[SYSTEM.name] = word("actor.system")
            return ListShown(named, entries, changes, search.strip(), people)

    def uses(self, department: str) -> dict[str, list[ListUse]]:
        """Which rule sets of the department's workflows, as published last, name each list (by list
        name; a list no condition names is not a key): whether a change to a list changes a decision."""
        found: dict[str, list[ListUse]] = {}
        with self.store.read() as tx:
            bundles = newest_bundles(tx.connection, [department])
        for newest in bundles:
            workflow = newest.bundle.get("workflow")
            rulesets = newest.bundle.get("rulesets")
            if not isinstance(rulesets, Mapping):
                continue
            title = _title(workflow, newest.workflow)
            for path, doc in sorted(rulesets.items()):
                if not isinstance(doc, Mapping):
                    continue
                for name, rules in rules_naming_lists(doc).items():
                    found.setdefault(name, []).append(
                        ListUse(newest.workflow, title, newest.version, path, _title(doc, path), rules)
                    )
        return found

    def _named(self, tx: Tx, department: str, name: str) -> NamedList:
        found = rows.find_list(tx.connection, department, name)
        if found is None:
            known = [n.name for n in rows.lists_of(tx.connection, department)]
            raise _refuse(
                f"部门 {department} 没有名单 {name!r}{did_you_mean(name, known, 'zh')}",
                f"department {department} has no list {name!r}{did_you_mean(name, known)}",
                "name",
            )
        return found

    # -- changing ------------------------------------------------------------------------------

    def create(
        self, department: str, name: str, kind: str, label_zh: str, label_en: str, actor: str
    ) -> NamedList:
        """Create the list; refused (every problem at once) for a bad name, kind or label, or a name the
        department already uses."""
        problems = []
        if not LIST_NAME.fullmatch(name):
            problems.append(
                ListFault(
                    Text(
                        f"名单名称 {name!r} 无效：只能用小写字母、数字、'-' 和 '_'，"
                        "以字母或数字开头，最多 64 个字符，如 vip-customers",
                        f"list name {name!r} is not valid: lower-case letters, digits, '-' and '_', starting "
                        "with a letter or a digit, at most 64 characters, like vip-customers",
                    ),
                    "name",
                )
            )
        kinds = [k.value for k in ListKind]
        if kind not in kinds:
            problems.append(
                ListFault(
                    Text(
                        f"名单类型 {kind!r} 无效，可选：{'、'.join(kinds)}{did_you_mean(kind, kinds, 'zh')}",
                        f"list kind {kind!r} is not one of {', '.join(kinds)}{did_you_mean(kind, kinds)}",
                    ),
                    "kind",
                )
            )
        for label, field_name, zh in ((label_zh, "label_zh", "中文名称"), (label_en, "label_en", "英文名称")):
            if not label.strip() or len(label) > MAX_LABEL:
                problems.append(
                    ListFault(
                        Text(
                            f"{zh}不能为空，最多 {MAX_LABEL} 个字符",
                            f"the {'Chinese' if field_name == 'label_zh' else 'English'} label must not be "
                            f"empty and holds at most {MAX_LABEL} characters",
                        ),
                        field_name,
                    )
                )
        if problems:
            raise ListRefused(problems)
        now = self.clock.now()
        with self.store.transaction() as tx:
            if rows.find_list(tx.connection, department, name) is not None:
                raise _refuse(
                    f"部门 {department} 已有名单 {name!r}",
                    f"department {department} already has a list {name!r}",
                    "name",
                )
            return rows.create_list(
                tx.connection,
                department,
                name,
                ListKind(kind),
                (label_zh.strip(), label_en.strip()),
                actor,
                now,
            )

    def add(
        self,
        department: str,
        name: str,
        value: str,
        actor: str,
        note: str | None = None,
        *,
        force: bool = False,
    ) -> ListEntry:
        """Add ``value``; refused when it has nothing to match once normalised, is too long, or is
        already in the list (under any spelling: the entry it matches is named). A SKU list refuses a
        value that is not a SKU, and a SKU the kept catalogue does not hold unless ``force``d (a product
        listed before it is catalogued)."""
        return self.add_many(department, name, [(value, note)], actor, force=force)[0]

    def add_many(
        self,
        department: str,
        name: str,
        values: Sequence[tuple[str, str | None]],
        actor: str,
        first_line: int = 0,
        write: bool = True,
        force: bool = False,
    ) -> list[ListEntry]:
        """Add each ``(value, note)`` in one transaction: every problem is reported (with its line when
        ``first_line`` numbers them) and nothing is added unless all are good. ``force``: a SKU the
        catalogue does not hold is added all the same."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            named = self._named(tx, department, name)
            problems: list[ListFault] = []
            catalogued = self._catalogued(tx, named, values) if not force else None
            taken: dict[str, int | None] = {}
            good: list[tuple[str, str, str | None]] = []
            for index, (value, note) in enumerate(values):
                line = first_line + index if first_line else None
                problem = self._entry_fault(tx, named, value, note, taken, line, catalogued)
                if problem is not None:
                    problems.append(problem)
                    continue
                key = list_key(named.kind, value)
                taken[key] = line
                good.append((value.strip(), key, (note or "").strip() or None))
            if problems:
                raise ListRefused(problems)
            for value, key, note in good if write else ():  # write=False: only check them
                rows.add_entry(tx.connection, named, value, key, note, actor, now)
            return [ListEntry(value, key, note, actor, now) for value, key, note in good]

    @staticmethod
    def _catalogued(tx: Tx, named: NamedList, values: Sequence[tuple[str, str | None]]) -> set[str] | None:
        """The SKUs of ``values`` the catalogue holds, for a SKU list while the catalogue holds any product
        (None otherwise: an installation that keeps no catalogue lists any SKU)."""
        if named.kind is not ListKind.SKU or catalogue_size(tx.connection) == 0:
            return None
        return set(find_products(tx, {list_key(named.kind, value) for value, _note in values}))

    def _entry_fault(
        self,
        tx: Tx,
        named: NamedList,
        value: str,
        note: str | None,
        taken: Mapping[str, int | None],
        line: int | None,
        catalogued: set[str] | None = None,
    ) -> ListFault | None:
        kind = KIND_WORDS[named.kind]
        if len(value) > MAX_KEY:
            return ListFault(
                Text(
                    f"值太长（{len(value)} 个字符），上限 {MAX_KEY}",
                    f"the value is too long ({len(value)} characters); the limit is {MAX_KEY}",
                ),
                "value",
                line,
            )
        if note is not None and len(note) > MAX_NOTE:
            return ListFault(
                Text(f"备注最多 {MAX_NOTE} 个字符", f"a note holds at most {MAX_NOTE} characters"),
                "note",
                line,
            )
        key = list_key(named.kind, value)
        if not key:
            return ListFault(
                Text(
                    f"{value!r} 不是{kind.zh}：去掉空格和标点后什么也没有剩下，无法匹配",
                    f"{value!r} is not a{'n' if kind.en[0] in 'aeiouAEIOU' else ''} {kind.en}: once spaces "
                    "and punctuation are set aside nothing is left to match",
                ),
                "value",
                line,
            )
        if named.kind is ListKind.SKU and not SKU_PATTERN.fullmatch(key):
            return ListFault(
                Text(
                    f"{value!r} 不是商品编码：应为 2 至 40 位大写字母、数字或连字符，"
                    "不以连字符开头，如 TEA-01",
                    f"{value!r} is not a SKU: a SKU is 2 to 40 capital letters, digits or hyphens, not "
                    "starting with a hyphen, like TEA-01",
                ),
                "value",
                line,
            )
        if catalogued is not None and key not in catalogued:
            return ListFault(
                Text(
                    f"商品目录中没有商品 {key}：请先在商品目录中添加它，"
                    "或勾选“商品目录中没有的商品编码也添加”（命令行 --force）来列入尚未上架的商品",
                    f"the product catalogue has no product {key}: add it to the catalogue first, or tick "
                    "“Add even if not in the catalogue” (--force on the command line) to list a product "
                    "not catalogued yet",
                ),
                "value",
                line,
            )
        if named.kind is ListKind.MOBILE and not (len(key) == 11 and key.startswith("1")):
            return ListFault(
                Text(
                    f"{value!r} 不是 11 位手机号（以 1 开头）",
                    f"{value!r} is not an 11-digit mobile number starting with 1",
                ),
                "value",
                line,
            )
        if key in taken:
            earlier = taken[key]
            return ListFault(
                Text(
                    f"{value!r} 与第 {earlier} 行是同一个值", f"{value!r} is the same value as line {earlier}"
                )
                if earlier
                else Text(f"{value!r} 重复", f"{value!r} is given twice"),
                "value",
                line,
            )
        found = rows.find_entry(tx.connection, named, key)
        if found is not None:
            return ListFault(
                Text(
                    f"{value!r} 已在名单中（记为 {found.value!r}）",
                    f"{value!r} is already in the list (as {found.value!r})",
                ),
                "value",
                line,
            )
        return None

    def remove(self, department: str, name: str, value: str, actor: str) -> ListEntry:
        """Remove the entry ``value`` matches after normalising; refused when there is none."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            named = self._named(tx, department, name)
            removed = rows.remove_entry(tx.connection, named, list_key(named.kind, value), actor, now)
            if removed is None:
                raise _refuse(
                    f"名单 {name!r} 中没有 {value!r}", f"{value!r} is not in the list {name!r}", "value"
                )
            return removed

    def import_text(
        self, department: str, name: str, text: str, actor: str, *, force: bool = False
    ) -> list[ListEntry]:
        """Add the values of a text or CSV file: one value a line, optionally a note after a comma (CSV
        quoting allowed); blank lines and lines starting with ``#`` are skipped; a first line ``value``
        or ``value,note`` is a header. Every bad line is reported with its number; nothing is added
        unless all are good."""
        values: list[tuple[str, str | None]] = []
        numbers: list[int] = []
        problems: list[ListFault] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if number > MAX_IMPORT_LINES:
                raise _refuse(
                    f"文件超过 {MAX_IMPORT_LINES} 行",
                    f"the file has more than {MAX_IMPORT_LINES} lines",
                    "file",
                )
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            try:
                cells = next(csv.reader(io.StringIO(stripped)))
            except csv.Error as error:
                problems.append(
                    ListFault(Text(f"无法读取：{error}", f"cannot be read: {error}"), "file", number)
                )
                continue
            if (
                not values
                and not problems
                and [c.strip().lower() for c in cells] in (["value"], ["value", "note"])
            ):
                continue  # the header
            if len(cells) > 2:
                problems.append(
                    ListFault(
                        Text(
                            f"有 {len(cells)} 列；每行是一个值，可在逗号后加备注（含逗号的值请加引号）",
                            f"has {len(cells)} columns; a line is a value and, after a comma, a note "
                            "(quote a value that holds a comma)",
                        ),
                        "file",
                        number,
                    )
                )
                continue
            values.append((cells[0], cells[1] if len(cells) > 1 else None))
            numbers.append(number)
        if not values and not problems:
            raise _refuse("文件中没有值", "the file holds no values", "file")
        added: list[ListEntry] = []
        try:  # with a line already refused, the values are only checked: nothing is added
            added = self._add_numbered(department, name, values, numbers, actor, not problems, force)
        except ListRefused as refused:
            problems.extend(refused.problems)
        if problems:
            raise ListRefused(sorted(problems, key=lambda p: p.line or 0))
        return added

    def _add_numbered(
        self,
        department: str,
        name: str,
        values: Sequence[tuple[str, str | None]],
        numbers: Sequence[int],
        actor: str,
        write: bool,
        force: bool,
    ) -> list[ListEntry]:
        try:
            return self.add_many(department, name, values, actor, first_line=1, write=write, force=force)
        except ListRefused as refused:  # renumber: add_many counts the values, the file counts lines
            raise ListRefused(
                [
                    ListFault(p.words, p.field, numbers[p.line - 1] if p.line else None)
                    if p.field != "value" or p.line is None
                    else ListFault(_renumbered(p.words, numbers), p.field, numbers[p.line - 1])
                    for p in refused.problems
                ]
            ) from None


def _renumbered(words: Text, numbers: Sequence[int]) -> Text:
    """A duplicate's "same value as line N" counted in the file's lines, not in its values."""
    for index, number in reversed(list(enumerate(numbers, start=1))):
        zh, en = f"第 {index} 行", f"line {index}"
        if zh in words.zh:
            return Text(words.zh.replace(zh, f"第 {number} 行"), words.en.replace(en, f"line {number}"))
    return words


class StepLookups:
    """The database as one step's conditions read it (``engine.common.list_keys.Lookups``): the managed
    lists of the order's department and the facts across its customer's other orders, through the
    step's transaction. The department's lists are read once, all in one statement, when a condition
    first names one; a list that holds no value answers no at once, others with one indexed look-up."""

    def __init__(
        self, tx: Tx, department: str, order_id: int, data: Mapping[str, Any], now: datetime
    ) -> None:
        self.tx = tx
        self.department = department
        self.order_id = order_id
        self.data = data
        self.now = now
        self._lists: dict[str, rows.ListHeld] | None = None
        # the facts read, by the call a condition writes (``owed()``, ``orders_in_days(7)``): the rules'
        # trace shows them beside the values the rules compared (engine.runtime.decisions)
        self.read: dict[str, float] = {}

    def in_list(self, name: str, value: Any) -> bool:
        lists = self._lists
        if lists is None:
            lists = self._lists = rows.department_lists(self.tx, self.department)
        named = lists.get(name)
        if named is None:
            raise UnknownList([unknown_list_refusal(self.department, name, sorted(lists))])
        if not named.held:
            return False
        return rows.has_any(self.tx, named.id, value_keys(named.kind, value))

    def customer_fact(self, fact: str, days: float | None) -> float:
        assert fact in CUSTOMER_FACTS
        key = customer_key(self.data)
        if key is None:
            return 0  # an order that names no customer: none of their orders to count
        if fact == "owed":  # the account's opening balance read with its orders: the trace says both
            owed = rows.customer_owed(self.tx, self.department, key, self.order_id)
            if owed.opening:
                self.read[OWED_OPENING] = owed.opening
            self.read["owed()"] = owed.total
            return owed.total
        since = None if days is None else self.now - timedelta(days=days)
        found = rows.customer_fact(self.tx, fact, self.department, key, self.order_id, since)
        shown = "" if days is None else str(int(days) if float(days).is_integer() else days)
        self.read[f"{fact}({shown})"] = found
        return found


class ReadLookups:
    """The lookups of an order read outside a step (a rule set replayed over recent orders, tried in the
    studio's console): each one in a read transaction of its own, as :class:`StepLookups` reads it."""

    def __init__(self, store: Store, department: str, order_id: int, data: Mapping[str, Any], now: datetime):
        self.store = store
        self.args = (department, order_id, data, now)

    def in_list(self, name: str, value: Any) -> bool:
        with self.store.read() as tx:
            return StepLookups(tx, *self.args).in_list(name, value)

    def customer_fact(self, fact: str, days: float | None) -> float:
        with self.store.read() as tx:
            return StepLookups(tx, *self.args).customer_fact(fact, days)


def entries_text(entries: Iterable[ListEntry]) -> str:
    """Entries as ``orderloom lists import`` reads them back (value, note)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for entry in entries:
        writer.writerow([entry.value, entry.note] if entry.note else [entry.value])
    return out.getvalue()


def ensure_declared_lists(
    tx: Tx, department: str, rulesets: Mapping[str, Mapping[str, Any]], actor: str, now: datetime
) -> list[NamedList]:
    """Create, in the publishing transaction, each list the bundle's rule files declare (``lists:``) that
    the department does not have yet (empty); the lists created. A declared list the department keeps
    with another kind refuses the publish: its values were normalised for that kind."""
    created = []
    problems = []
    for path, doc in sorted(rulesets.items()):
        for name, (kind, label) in sorted(declared_lists(doc).items()):
            found = rows.find_list(tx.connection, department, name)
            if found is None:
                labels = (label.zh, label.en)
                created.append(
                    rows.create_list(tx.connection, department, name, ListKind(kind), labels, actor, now)
                )
            elif found.kind.value != kind:
                problems.append(
                    Problem(
                        Text(
                            f"部门 {department} 的名单 {name!r} 类型为 {found.kind.value}，文件声明为 {kind}",
                            f"department {department} keeps the list {name!r} as kind {found.kind.value}; "
                            f"the file declares {kind}",
                        ),
                        path,
                        json_path=f"$.lists.{name}.kind",
                        code=UNDECLARED_LIST_KIND,
                    )
                )
    if problems:
        raise DefinitionError(problems)
    return created


def with_facts_read(
    decision: dict[str, Any], read: Mapping[str, float], env: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``decision`` (a rule set's ``to_dict()``) with each customer fact its rules read written into the
    values of the rules whose condition calls it, and the fields summed with it (``owed() +
    order.total``: ``order.total``, read from ``env``), for the order page to say each part (欠款
    ¥182,000 + 本单 ¥40,000 > 信用额度 ¥200,000)."""
    if not read:
        return decision
    trace = []
    for entry in decision.get("trace") or ():
        when = entry.get("when") if isinstance(entry, Mapping) else None
        if isinstance(when, str) and isinstance(entry.get("values"), Mapping):
            found = _facts_and_parts(when, read, env or {})
            if found:
                entry = {**entry, "values": {**entry["values"], **found}}
        trace.append(entry)
    return {**decision, "trace": trace}


def _facts_and_parts(when: str, read: Mapping[str, float], env: Mapping[str, Any]) -> dict[str, Any]:
    try:
        tree = parse(when)
    except ExpressionError:
        return {}
    found: dict[str, Any] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.BinOp):
            continue
        leaves = [node.left, node.right]
        calls = [ast.unparse(leaf) for leaf in leaves if ast.unparse(leaf) in read]
        if not calls:
            continue
        for leaf in leaves:
            text = ast.unparse(leaf)
            if text in read:
                found[text] = read[text]
            elif isinstance(leaf, ast.Attribute | ast.Name):
                try:
                    found[text] = compile_expression(text)(env)
                except ExpressionEvaluationError:
                    continue
    found.update({call: value for call, value in read.items() if call in when.replace(" ", "")})
    if "owed()" in found and OWED_OPENING in read:  # the part of it that is the opening balance
        found[OWED_OPENING] = read[OWED_OPENING]
    return found
