"""A timer's and an outbox message's status are read and written as ``TimerStatus`` / ``OutboxStatus``
members, never as the bare strings the column stores: the runtime, the web app, the workers and the
demo name a status through its enum, so a status renamed or added is found by the type checker and the
pages follow the enum (their tabs, which status shows what)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from engine.store.statuses import OutboxStatus, TimerStatus

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("engine/runtime", "web", "workers", "demo", "cli")
TEMPLATES = ("web/templates/outbox",)
WORDS = frozenset(status.value for status in (*TimerStatus, *OutboxStatus))
# The store's calls that take or key a status: ``finish_timer(i, "fired")``, ``outbox_counts(...)["dead"]``.
STATUS_CALLS = frozenset({"finish_timer", "outbox_list", "outbox_counts"})


def _word(node: ast.AST | None) -> ast.Constant | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in WORDS:
        return node
    return None


def _words(node: ast.AST) -> list[ast.Constant]:
    """The status words ``node`` is, or holds as a tuple, list or set of them."""
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [word for element in node.elts if (word := _word(element)) is not None]
    word = _word(node)
    return [] if word is None else [word]


def _is_status(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "status") or (
        isinstance(node, ast.Name) and node.id == "status"
    )


def _is_counts(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        node = node.func
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return "counts" in name


def bare_statuses(source: str) -> list[tuple[int, str]]:
    """(line, word) of every status written as a bare string in ``source``."""
    found: set[tuple[int, int, str]] = set()
    for node in ast.walk(ast.parse(source)):
        words: list[ast.Constant] = []
        if isinstance(node, ast.Compare) and any(_is_status(n) for n in (node.left, *node.comparators)):
            words = [word for n in (node.left, *node.comparators) for word in _words(n)]
        elif isinstance(node, ast.keyword) and node.arg == "status":
            words = _words(node.value)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) in STATUS_CALLS:
            words = [word for arg in node.args for word in _words(arg)]
        elif isinstance(node, ast.Subscript) and _is_counts(node.value):
            words = _words(node.slice)
        elif isinstance(node, ast.Tuple | ast.List | ast.Set) and len(node.elts) > 1:
            # a table of statuses: every element a status word
            if len(_words(node)) == len(node.elts):
                words = _words(node)
        elif isinstance(node, ast.Dict) and len(node.keys) > 1:
            keys = [word for key in node.keys if key is not None for word in _words(key)]
            if len(keys) == len(node.keys):
                words = keys
        found.update((word.lineno, word.col_offset, word.value) for word in words)
    return [(line, word) for line, _column, word in sorted(found)]


_QUOTED = re.compile("['\"](" + "|".join(sorted(WORDS)) + ")['\"]")
_TAG = re.compile(r"\{[%{].*?[%}]\}", re.DOTALL)


def bare_statuses_in_template(text: str) -> list[tuple[int, str]]:
    """(line, word) of every status quoted inside a Jinja tag or expression of ``text``."""
    found = []
    for tag in _TAG.finditer(text):
        line = text.count("\n", 0, tag.start()) + 1
        found.extend((line, word.group(1)) for word in _QUOTED.finditer(tag.group()))
    return found


def status_strings(root: Path) -> list[str]:
    problems = []
    for folder in CHECKED:
        for path in sorted((root / folder).rglob("*.py")):
            for line, word in bare_statuses(path.read_text(encoding="utf-8")):
                problems.append(f"{path.relative_to(root)}:{line}: status {word!r} as a bare string")
    for folder in TEMPLATES:
        for path in sorted((root / folder).rglob("*.html")):
            for line, word in bare_statuses_in_template(path.read_text(encoding="utf-8")):
                problems.append(f"{path.relative_to(root)}:{line}: status {word!r} as a bare string")
    return problems


def test_statuses_are_named_through_their_enums() -> None:
    assert status_strings(ROOT) == []


def test_the_check_catches_every_way_of_writing_a_bare_status() -> None:
    source = (
        'if timer.status == "scheduled": pass\n'
        'tx.finish_timer(1, "cancelled")\n'
        'tx.outbox_list(departments=None, status="dead")\n'
        'ok = message.status in ("pending", "dead")\n'
        'n = engine.outbox_counts(actor)["dead"]\n'
        'TABS = ("dead", "pending", "sent", "internal")\n'
        'when = {"pending": 1, "sent": 2}\n'
        # not statuses: a word in a message, a column's time, an enum member
        'note = "sent"\nrow = {"sent": 1, "created": 2}\nok = message.status is OutboxStatus.SENT\n'
    )
    assert bare_statuses(source) == [
        (1, "scheduled"),
        (2, "cancelled"),
        (3, "dead"),
        (4, "pending"),
        (4, "dead"),
        (5, "dead"),
        (6, "dead"),
        (6, "pending"),
        (6, "sent"),
        (6, "internal"),
        (7, "pending"),
        (7, "sent"),
    ]
    template = "<p>sent</p>\n{% if status == 'dead' %}\n{{ t('outbox.sent') }}{% if s in (\"pending\",) %}"
    assert bare_statuses_in_template(template) == [(2, "dead"), (3, "pending")]
