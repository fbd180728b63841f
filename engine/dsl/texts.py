"""Definition files as texts being edited (the studio's drafts): which kind of file a path holds, which
files are a department's, checking a text exactly as ``orderloom validate`` checks the file it would
replace, and where each problem starts and ends in that text.

A text is checked with :func:`engine.dsl.loader.drafts_over_files`: every check reads it in place of the
file at its path, and reads the other drafts given in place of theirs, so a workflow naming a form
that exists only as a draft, or a draft of a form that breaks the workflow using it, are seen as they
will be once published. Files that are not drafted are read from the definitions root.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path, PurePosixPath

from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.dsl.checks import YAML_SUFFIXES, discover_with_problems, inside
from engine.dsl.compiler import Bundle, dependents
from engine.dsl.loader import (
    definition_exists,
    definition_files,
    drafts_over_files,
    load_file,
    read_definition,
    shown_path,
)
from engine.dsl.validate import validate_file
from engine.errors import Problem, Severity, sorted_problems
from engine.forms.ui import UI_SUFFIX
from engine.rules.checks import check_cases_file, rules_path_for
from engine.rules.testing import CASES_SUFFIX

__all__ = [
    "DefinitionKind",
    "Span",
    "TextProblem",
    "bundle_files",
    "bundle_sources",
    "check_text",
    "department_files",
    "department_folders",
    "holding_workflows",
    "kind_of",
    "place_problem",
    "problem_span",
]

# The folders a department's files sit in, each holding one sub-folder per department.
KIND_FOLDERS = ("workflows", "forms", "rules")


class DefinitionKind(StrEnum):
    """What a definition file is, by where it sits and how it is named."""

    WORKFLOW = "workflow"  # workflows/<department>/<name>.yaml
    FORM = "form"  # forms/<department>/<name>.json: a JSON Schema
    UI = "ui"  # forms/<department>/<name>.ui.json: the form's layout
    RULES = "rules"  # rules/<department>/<name>.yaml (not *.cases.yaml)
    CASES = "cases"  # rules/<department>/<name>.cases.yaml: the scenario cases of <name>.yaml

    @property
    def syntax(self) -> str:
        """``yaml`` or ``json``: how the file is written."""
        return "json" if self in (DefinitionKind.FORM, DefinitionKind.UI) else "yaml"


def kind_of(path: str) -> DefinitionKind | None:
    """The kind of the file at ``path`` (relative to the definitions root, ``/``-separated), or None
    when it is no file the studio edits (a file outside the three folders, another suffix, a path that
    leaves the root)."""
    parts = PurePosixPath(path).parts
    if len(parts) < 3 or ".." in parts or path.startswith("/"):
        return None
    folder, name = parts[0], parts[-1]
    if folder == "workflows" and PurePosixPath(name).suffix in YAML_SUFFIXES:
        return DefinitionKind.WORKFLOW
    if folder == "forms" and name.endswith(UI_SUFFIX):
        return DefinitionKind.UI
    if folder == "forms" and name.endswith(".json"):
        return DefinitionKind.FORM
    if folder == "rules" and name.endswith(CASES_SUFFIX):  # the cases of no rule file: none
        return DefinitionKind.CASES if name != CASES_SUFFIX else None
    if folder == "rules" and name.endswith(".yaml"):
        return DefinitionKind.RULES
    return None


def department_folders(root: Path) -> dict[str, str]:
    """Department -> the name of its folder under workflows/, forms/ and rules/ (``after_sales`` ->
    ``after-sales``): the folder its workflows sit in. A department whose workflows sit in several
    folders keeps the first, by name."""
    workflows, _ = discover_with_problems(root)
    found: dict[str, str] = {}
    for path in sorted(workflows.values()):
        tree, _, problems = load_file(path, shown_path(path, root), "yaml", read_only=True)
        if problems or not isinstance(tree, dict) or not isinstance(tree.get("department"), str):
            continue
        relative = PurePosixPath(shown_path(path, root))
        if len(relative.parts) >= 3:
            found.setdefault(tree["department"], relative.parts[1])
    return found


def department_files(root: Path, folder: str) -> list[tuple[str, DefinitionKind]]:
    """The files of the department whose folder is ``folder``, with their kinds, by path."""
    files: list[tuple[str, DefinitionKind]] = []
    suffixes = (*YAML_SUFFIXES, ".json")
    for kind_folder in KIND_FOLDERS:
        for path in definition_files(root / kind_folder / folder, suffixes):
            shown = shown_path(path, root)
            kind = kind_of(shown)
            if kind is not None:
                files.append((shown, kind))
    return sorted(files)


@dataclass(frozen=True)
class Span:
    """Where a problem is in a text: lines and columns from 1, the end column exclusive (the position
    after the last character), as editors place a mark."""

    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class TextProblem:
    """A problem of a text, with the span it covers (the word at its position)."""

    problem: Problem
    span: Span
    fix: str | None = None  # what to put in place of the span: the suggestion, when the span is its word
    # A problem this text causes in another file that holds it (a workflow naming this form, an overlay
    # of this workflow), as it is found there: its file, line and column. ``problem`` is its placing in
    # this text, its words naming that file and line.
    elsewhere: Problem | None = None

    @property
    def file(self) -> str:
        """The file the problem is in: this text's, or the other file's that this text breaks."""
        return self.problem.file if self.elsewhere is None else self.elsewhere.file

    def to_dict(self, lang: str = "en") -> dict[str, object]:
        """``{"line", "col", "end_line", "end_col", "severity", "message", "hint", "suggestion", "code",
        "kind", "path", "file", "file_line", "file_col"}``: what ``POST /studio/api/validate`` answers for
        each problem, the words in ``lang``. ``file`` is the file the problem is in (the text's own path,
        or another file's that this text breaks) and ``file_line``/``file_col`` where it is there (0 when
        unknown); the span is always in this text."""
        p = self.problem
        where = self.elsewhere or p
        return {
            "line": self.span.line,
            "col": self.span.col,
            "end_line": self.span.end_line,
            "end_col": self.span.end_col,
            "severity": str(p.severity),
            "message": p.message_in(lang),
            "hint": p.hint_in(lang),
            "suggestion": self.fix,
            "code": p.code,
            "kind": str(p.kind),
            "path": p.json_path,
            "file": where.file,
            "file_line": where.line,
            "file_col": where.column,
        }


# The word a problem points at ends at a space, a comma or bracket, a comment, a quote that closes it, or
# a colon followed by a space (a mapping key).
_WORD_END = re.compile(r"""[\s,\[\]{}#]|:(?=\s|$)""")


def problem_span(text: str, line: int, column: int) -> Span:
    """The span of the word at ``line``:``column`` (from 1) in ``text``: a plain word to its end, a quoted
    string (a JSON key or value, a quoted YAML scalar) the text inside its quotes, so that a suggestion
    put in place of the span keeps the quotes. A problem of the whole file (line 0) spans the first line;
    a position past the end of its line spans one character there."""
    lines = text.split("\n")
    if line <= 0 or line > len(lines):
        first = lines[0] if lines else ""
        return Span(1, 1, 1, max(len(first), 1) + 1)
    content = lines[line - 1].rstrip("\r")
    start = min(max(column, 1), len(content) + 1) - 1
    rest = content[start:]
    if rest[:1] in ("'", '"') and len(rest) > 1:
        close = rest.find(rest[0], 1)
        inside = close - 1 if close > 0 else len(rest) - 1
        if inside > 0:
            return Span(line, start + 2, line, start + 2 + inside)
        length = close + 1 if close > 0 else len(rest)  # an empty string: its quotes
    else:
        found = _WORD_END.search(rest)
        length = found.start() if found else len(rest)
    return Span(line, start + 1, line, start + 1 + max(length, 1))


# A name inside a longer text (a condition): where a suggestion for a misspelled name may go.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def place_problem(problem: Problem, text: str) -> TextProblem:
    """``problem`` with the span of ``text`` it is about; and its suggestion as the fix of a span only
    when the span is the word the suggestion stands for. A problem placed at the start of a condition
    (``maxx(order.lines) > 20``, ``ordr.total == 0``) has its fix put in place of the misspelled name in
    it, never of the whole condition; where no name in the span is a near miss of the suggestion, there
    is no one-click fix (the message still says what was meant)."""
    span = problem_span(text, problem.line, problem.column)
    if problem.suggestion is None:
        return TextProblem(problem, span)
    if span.end_line != span.line or problem.line <= 0:
        return TextProblem(problem, span)
    content = text.split("\n")[span.line - 1]
    word = content[span.col - 1 : span.end_col - 1]
    if word == problem.suggestion or near_miss(word, [problem.suggestion]) is not None:
        return TextProblem(problem, span, problem.suggestion)
    for name in _NAME.finditer(word):
        if near_miss(name.group(), [problem.suggestion]) is not None:
            start = span.col + name.start()
            return TextProblem(
                problem, Span(span.line, start, span.line, start + len(name.group())), problem.suggestion
            )
    return TextProblem(problem, span)


def check_text(
    root: Path,
    path: str,
    text: str,
    *,
    drafts: Mapping[str, str] | None = None,
    action_names: Collection[str] | None = None,
    action_writes: Mapping[str, Collection[str]] | None = None,
    option_sources: Collection[str] | None = None,
    published: Collection[str] | None = None,
) -> list[TextProblem]:
    """Every problem of ``text`` as the file ``path`` (relative to ``root``), with the other ``drafts``
    (path -> text) read in place of their files: the checks of ``orderloom validate``, across files.

    A problem of another file that this one uses (a broken form a workflow names) is reported here, at
    the reference, by the checks themselves. A problem this text causes in a file that holds it (a
    workflow naming this form, UI file or rule file; an overlay extending this workflow) is reported
    too, once the text means something else than the file it replaces: each such problem names that
    file and its line, and is placed where the text changed the name it is about (a field removed, a
    state renamed), else at the top of the text. Problems those files have without this text are not
    its doing and are left out. ``published``, when given, are the workflows that run: an overlay
    extending a holder counts only when it is one of them (publishing runs no other)."""
    kind = kind_of(path)
    target = inside(root, path)
    if kind is None or target is None:
        places = "workflows/<department>/*.yaml, forms/<department>/*.json (and *.ui.json), "
        places += "rules/<department>/*.yaml (and *.cases.yaml)"
        words = Text(
            f"{path!r} 不是定义文件（应为 {places}）", f"{path!r} is not a definition file: {places}"
        )
        problem = Problem(
            words,
            path,
            0,
            0,
            "$",
            None,
            "io",
        )
        return [place_problem(problem, text)]
    options = _Options(action_names, action_writes, option_sources)
    overlay = {root / name: body for name, body in (drafts or {}).items() if inside(root, name) is not None}
    with drafts_over_files(overlay):
        if kind is DefinitionKind.CASES:  # as ``orderloom rules test`` checks them, against their rules
            with drafts_over_files({target: text}):
                rules = rules_path_for(path)
                cases = check_cases_file(target, path, root / rules, rules)
            return [place_problem(p, text) for p in sorted_problems(p for p in cases if p.file == path)]
        before = _text_of(target)  # what the file reads as without this text
        holders_before = _holders_if_changed(root, path, kind, target, text, before, published)
        with drafts_over_files({target: text}):
            workflows, _ = discover_with_problems(root)  # where ``extends`` looks, drafts included
            problems = validate_file(
                target,
                root,
                action_names=action_names,
                workflows=workflows if kind is DefinitionKind.WORKFLOW else None,
                action_writes=action_writes,
                option_sources=option_sources,
            )
            validated = _Validated(root, workflows, options)  # each holder checked once with this text
            if kind is DefinitionKind.RULES:  # what only a workflow naming it knows, said of the file
                problems += _through_workflows(path, workflows, validated)
            own = sorted_problems([p for p in problems if p.file == path])  # once each
            holders: dict[Path, str] = {}
            if holders_before is not None:
                holders = {**holders_before, **_by_file(holding_workflows(root, path, workflows, published))}
            caused = _holder_problems(root, holders, workflows, validated, exclude=own)
            if any(p.severity == Severity.ERROR for p in own):  # "the form ... is not valid": said already
                caused = [(name, p) for name, p in caused if repr(path) not in p.message_in("en")]
        if caused:  # what the holders had before this text is not its doing
            found_before, _ = discover_with_problems(root)
            before_text = _Validated(root, found_before, options)
            had = {_key(p) for _, p in _holder_problems(root, holders, found_before, before_text, exclude=[])}
            caused = [(name, p) for name, p in caused if _key(p) not in had]
    placed = [place_problem(p, text) for p in own]
    placed.extend(_placed_elsewhere(root, path, text, before or "", name, p, overlay) for name, p in caused)
    return placed


@dataclass(frozen=True)
class _Options:
    action_names: Collection[str] | None
    action_writes: Mapping[str, Collection[str]] | None
    option_sources: Collection[str] | None


class _Validated:
    """The problems ``validate_file`` finds in a workflow file (with ``workflows`` for ``extends``),
    each file validated once however many checks ask: a rule file's check asks of the workflows naming
    it what they find in it, and of the same workflows what the text causes in them."""

    def __init__(self, root: Path, workflows: Mapping[str, Path], options: _Options) -> None:
        self.root, self.workflows, self.options = root, workflows, options
        self._found: dict[Path, list[Problem]] = {}

    def __call__(self, file: Path) -> list[Problem]:
        key = file.resolve()
        if key not in self._found:
            self._found[key] = validate_file(
                file,
                self.root,
                action_names=self.options.action_names,
                workflows=self.workflows,
                action_writes=self.options.action_writes,
                option_sources=self.options.option_sources,
            )
        return self._found[key]


def _text_of(target: Path) -> str | None:
    try:
        return read_definition(target).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None


def _holders_if_changed(
    root: Path,
    path: str,
    kind: DefinitionKind,
    target: Path,
    text: str,
    before: str | None,
    published: Collection[str] | None,
) -> dict[Path, str] | None:
    """The workflows holding ``path`` as it reads now (file -> name), when ``text`` means something else
    than it (its tree differs: a comment or a space typed changes nothing another file reads); None
    when it means the same, or the file is new (nothing holds it yet)."""
    if before is None:
        return None
    shown = shown_path(target, root)
    old, _, old_problems = load_file(target, shown, kind.syntax, read_only=True)
    with drafts_over_files({target: text}):
        new, _, new_problems = load_file(target, shown, kind.syntax, read_only=True)
    if not old_problems and not new_problems and old == new:
        return None
    found, _ = discover_with_problems(root)
    return _by_file(holding_workflows(root, path, found, published))


def _by_file(workflows: Mapping[str, Path]) -> dict[Path, str]:
    return {file.resolve(): name for name, file in workflows.items()}


def holding_workflows(
    root: Path, path: str, workflows: Mapping[str, Path], published: Collection[str] | None = None
) -> dict[str, Path]:
    """The workflows (of ``workflows``: name -> file) whose check reads the file ``path`` other than
    itself: for a workflow, the overlays extending it; for a form, UI file or rule file, the workflows
    naming it (a UI file: naming its form) and the overlays extending those (only those ``published``
    names, when given)."""
    kind = kind_of(path)
    target = inside(root, path)
    if kind is None or target is None:
        return {}
    if kind is DefinitionKind.WORKFLOW:
        names = [name for name, file in workflows.items() if file.resolve() == target]
        holders: dict[str, Path] = {}
    else:
        wanted = path[: -len(UI_SUFFIX)] + ".json" if kind is DefinitionKind.UI else path
        holders = {}
        for name, file in workflows.items():
            tree, _, problems = load_file(file, shown_path(file, root), "yaml", read_only=True)
            if not problems and wanted in _strings(tree):
                holders[name] = file
        names = list(holders)
    extending = dependents(root, names)
    holders.update((n, f) for n, f in extending.items() if published is None or n in published)
    return {name: file for name, file in holders.items() if file.resolve() != target}


def _strings(tree: object) -> Iterator[str]:
    """Every string value in ``tree`` (not the keys)."""
    if isinstance(tree, str):
        yield tree
    elif isinstance(tree, Mapping):
        for value in tree.values():
            yield from _strings(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _strings(value)


def _key(problem: Problem) -> tuple[str, str, str, str]:
    """A problem apart from its line (this text's lines move as it is typed)."""
    return problem.file, problem.code, problem.json_path, problem.message_in("en")


def _holder_problems(
    root: Path,
    holders: Mapping[Path, str],
    workflows: Mapping[str, Path],
    validated: _Validated,
    *,
    exclude: Iterable[Problem],
) -> list[tuple[str, Problem]]:
    """The problems of each holding workflow (file -> name) that is there, with the workflow they were
    found in; each once, none of ``exclude`` (the text's own)."""
    seen = {_key(p) for p in exclude}
    found: list[tuple[str, Problem]] = []
    present = {file.resolve() for file in workflows.values()}
    by_shown = {shown_path(file, root): name for file, name in holders.items()}
    for file, name in sorted(holders.items()):
        if file not in present:
            continue
        for problem in validated(file):
            if _key(problem) not in seen:  # a problem in a holder's own file is said of that one
                seen.add(_key(problem))
                found.append((by_shown.get(problem.file, name), problem))
    return found


# A name quoted in a message: what a problem is about ('on_hold', 'total').
_QUOTED = re.compile(r"'([A-Za-z_][A-Za-z0-9_.\-]*)'")
_IDENTIFIER = re.compile(r"[A-Za-z0-9_]+")


def _placed_elsewhere(
    root: Path,
    path: str,
    text: str,
    before: str,
    holder: str,
    problem: Problem,
    overlay: Mapping[Path, str],
) -> TextProblem:
    """``problem``, found in the workflow ``holder`` because of ``text``, as a problem of this text: its
    words naming the file and line it is in; placed where the text changed the name it is about, else
    (and for a problem in this text itself) at its own place or the top of the text."""
    message = problem.message_in
    if problem.file == path:
        words = Text(
            f"在使用此文件的流程 {holder} 中：{message('zh')}",
            f"in the workflow {holder}, which uses this file: {message('en')}",
        )
        own = place_problem(replace(problem, suggestion=None), text)
        return TextProblem(replace(problem, words=words, suggestion=None), own.span, None, problem)
    where_zh = f"{problem.file} 第 {problem.line} 行" if problem.line > 0 else problem.file
    where_en = f"{problem.file}, line {problem.line}" if problem.line > 0 else problem.file
    words = Text(
        f"在使用此文件的 {where_zh}（流程 {holder}）：{message('zh')}",
        f"in {where_en} (workflow {holder}), which uses this file: {message('en')}",
    )
    # The names the problem is about, most telling first: those quoted in it, those at its place in
    # the other file, then any other word of it; only a name this text has fewer of than before counts.
    names = _QUOTED.findall(problem.message_in("en"))
    other = inside(root, problem.file)
    with drafts_over_files(overlay):
        other_text = _text_of(other) if other is not None else None
    if other_text is not None and problem.line > 0:
        there = problem_span(other_text, problem.line, problem.column)
        if there.line == there.end_line:
            word = other_text.split("\n")[there.line - 1][there.col - 1 : there.end_col - 1]
            names.extend(reversed(_IDENTIFIER.findall(word)))
    names.extend(_IDENTIFIER.findall(problem.message_in("en")))
    span = _changed_at(before, text, list(dict.fromkeys(names)))
    placed = Problem(
        words,
        path,
        span.line if span else 0,
        span.col if span else 0,
        "$",
        problem.hint_words,
        problem.code,
        problem.severity,
    )
    return TextProblem(placed, span or problem_span(text, 0, 0), None, problem)


def _changed_at(before: str, after: str, names: Sequence[str]) -> Span | None:
    """Where ``after`` changed a line of ``before`` holding one of ``names`` (the first name ``after``
    holds fewer of than ``before``, found in a changed line; else the first it holds more of, where it
    came in): the word now in its place (a name renamed), or the line the text went on with where
    it was removed (a field removed); None when no changed line holds any of them."""
    old_lines, new_lines = before.split("\n"), after.split("\n")
    changes = [
        change
        for change in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes()
        if change[0] != "equal"
    ]
    for name in names:
        pattern = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")
        if len(pattern.findall(after)) >= len(pattern.findall(before)):
            continue  # the text did not lose this name: it is not what changed
        for _, i1, i2, j1, j2 in changes:
            for i in range(i1, i2):
                found = pattern.search(old_lines[i])
                if found is None:
                    continue
                if j2 > j1:  # replaced: the word now where the name was
                    j = j1 + min(i - i1, j2 - j1 - 1)
                    return _word_at(new_lines[j], j + 1, _moved(old_lines[i], new_lines[j], found.start()))
                j = min(j1, len(new_lines) - 1)  # removed: the line after where it was
                line = new_lines[j]
                return _word_at(line, j + 1, len(line) - len(line.lstrip()))
    for name in names:  # a name the text brought in (an outcome now called otherwise): where it came
        pattern = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")
        for _, _, _, j1, j2 in changes:
            for j in range(j1, j2):
                found = pattern.search(new_lines[j])
                if found is not None and len(pattern.findall(after)) > len(pattern.findall(before)):
                    return Span(j + 1, found.start() + 1, j + 1, found.end() + 1)
    return None


def _moved(old: str, new: str, offset: int) -> int:
    """Where the character at ``offset`` of ``old`` is in ``new`` (the start of what replaced it)."""
    for tag, a1, a2, b1, _ in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if a1 <= offset < a2:
            return b1 + (offset - a1) if tag == "equal" else b1
    return len(new)


def _word_at(line: str, number: int, offset: int) -> Span:
    """The span of the word holding ``offset`` (from 0) of ``line`` (line ``number``), else of the next
    word, else of one character there."""
    for found in _IDENTIFIER.finditer(line):
        if found.end() > offset:  # the word holding ``offset``, else the next one
            return Span(number, found.start() + 1, number, found.end() + 1)
    return Span(number, offset + 1, number, offset + 2)


def _through_workflows(path: str, workflows: Mapping[str, Path], validated: _Validated) -> list[Problem]:
    """The problems the workflows naming the rule file ``path`` find in it: what only a workflow knows,
    the fields its order has (``order.totl``) and the queues its states declare (``risk-reveiw``)."""
    found: list[Problem] = []
    for workflow in workflows.values():
        try:
            names_it = path in read_definition(workflow).decode("utf-8", errors="replace")
        except (OSError, ValueError):  # said when the workflow itself is checked
            continue
        if names_it:
            found += validated(workflow)
    return found


def bundle_files(bundle: Bundle) -> list[str]:
    """The files a bundle was read from: its workflow, its forms with their UI files, its rule files."""
    files = [bundle.source_path, *bundle.forms, *bundle.rulesets]
    files.extend(form[: -len(".json")] + UI_SUFFIX for form in bundle.layouts)
    return sorted(dict.fromkeys(files))


def bundle_sources(bundle: Bundle, root: Path) -> dict[str, str]:
    """The text of each file of ``bundle`` as it reads now (a draft's where one is set: the texts it
    is published from), kept with the version for the diff between versions and a rollback."""
    texts: dict[str, str] = {}
    for path in bundle_files(bundle):
        target = inside(root, path)
        if target is None:
            continue
        try:
            texts[path] = read_definition(target).decode("utf-8", errors="replace")
        except (OSError, ValueError):
            continue
    return texts


def errors_in(problems: Iterable[TextProblem]) -> int:
    """How many of ``problems`` are errors (what stops a publish)."""
    return sum(1 for p in problems if p.problem.severity == Severity.ERROR)


def exists(root: Path, path: str) -> bool:
    """Whether the definition file ``path`` is there (a draft over it counts)."""
    target = inside(root, path)
    return target is not None and definition_exists(target)
