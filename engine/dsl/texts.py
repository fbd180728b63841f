"""Definition files as texts being edited (the studio's drafts): which kind of file a path holds, which
files are a department's, checking a text exactly as ``orderloom validate`` checks the file it would
replace, and where each problem starts and ends in that text.

A text is checked with :func:`engine.dsl.loader.drafts_over_files`: every check reads it in place of the
file at its path, and reads the other drafts given in place of theirs, so a workflow naming a form
that exists only as a draft, or a draft of a form that breaks the workflow using it, are seen as they
will be once published. Files that are not drafted are read from the definitions root.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.dsl.checks import YAML_SUFFIXES, discover_with_problems, inside
from engine.dsl.compiler import Bundle
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

    def to_dict(self, lang: str = "en") -> dict[str, object]:
        """``{"line", "col", "end_line", "end_col", "severity", "message", "hint", "suggestion", "code",
        "kind", "path"}``: what ``POST /studio/api/validate`` answers for each problem, the words in
        ``lang``."""
        p = self.problem
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
) -> list[TextProblem]:
    """Every problem of ``text`` as the file ``path`` (relative to ``root``), with the other ``drafts``
    (path -> text) read in place of their files: the checks of ``orderloom validate``, across files.
    Only problems placed in this text are returned; a problem of another file that this one uses (a
    broken form a workflow names) is reported here, at the reference, by the checks themselves."""
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
    overlay = {root / name: body for name, body in (drafts or {}).items() if inside(root, name) is not None}
    overlay[target] = text
    with drafts_over_files(overlay):
        if kind is DefinitionKind.CASES:  # as ``orderloom rules test`` checks them, against their rules
            rules = rules_path_for(path)
            problems = check_cases_file(target, path, root / rules, rules)
        else:
            workflows = (
                discover_with_problems(root)[0] if kind is DefinitionKind.WORKFLOW else None
            )  # where ``extends`` looks, drafts included
            problems = validate_file(
                target,
                root,
                action_names=action_names,
                workflows=workflows,
                action_writes=action_writes,
                option_sources=option_sources,
            )
    own = [p for p in problems if p.file == path]
    return [place_problem(p, text) for p in sorted_problems(own)]


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
