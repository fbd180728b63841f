"""Every problem the engine reports is worded in Chinese too, wherever in the suite it is found.

A plugin of the test session (``tests/conftest.py`` loads it): it watches every :class:`Problem` built
by code under ``engine/`` while the suite runs, and a problem whose Chinese text (or hint) has no Chinese
character in it — an English text given for both languages — is listed at the end with the place that
built it, and fails the run. The checks' own tests then need not each repeat that the words are
translated; what they find is held to it, whichever test finds it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.errors import Problem

ENGINE = str(Path(__file__).resolve().parent.parent / "engine")
_CHINESE = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")
_SKIPPED_FILES = ("dataclasses.py", "errors.py")

# place of the code that built it -> the English of one such problem
unworded: dict[str, str] = {}


def untranslated(problem: Problem) -> str | None:
    """The English of what ``problem`` says without Chinese (its text, or its hint), or None."""
    if not _CHINESE.search(problem.words.zh):
        return problem.words.en
    if problem.hint_words is not None and not _CHINESE.search(problem.hint_words.zh):
        return f"(hint) {problem.hint_words.en}"
    return None


def assert_bilingual(problem: Problem) -> None:
    """The problem says what is wrong, and how to put it right when it says so, in Chinese too (and
    not the English again)."""
    assert _CHINESE.search(problem.message_in("zh")), problem
    assert problem.words.zh != problem.words.en, problem
    if problem.hint_words is not None:
        hint = problem.hint_in("zh")
        assert hint is not None and _CHINESE.search(hint), problem
        assert problem.hint_words.zh != problem.hint_words.en, problem


def _builder() -> str | None:
    """file:line of the engine code that built the problem being made, or None when not the engine's."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.endswith(_SKIPPED_FILES):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None or not frame.f_code.co_filename.startswith(ENGINE):
        return None
    return f"{frame.f_code.co_filename[len(ENGINE) - len('engine') :]}:{frame.f_lineno}"


def _watching(init: Callable[..., None]) -> Callable[..., None]:
    def watched(self: Problem, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        english = untranslated(self)
        if english is not None:
            place = _builder()
            if place is not None:
                unworded.setdefault(place, english)

    return watched


def pytest_configure(config: pytest.Config) -> None:
    Problem.__init__ = _watching(Problem.__init__)  # type: ignore[method-assign]


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a worker of pytest-xdist: its controller reports for all of them
        workeroutput["unworded"] = dict(unworded)
        return
    if unworded and session.exitstatus == 0:
        session.exitstatus = 1


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist's controller, as each worker ends: what that worker found."""
    unworded.update(getattr(node, "workeroutput", {}).get("unworded", {}))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not unworded:
        return
    terminalreporter.section("problems worded in English only", red=True)
    for place, english in sorted(unworded.items()):
        terminalreporter.line(f"{place}: {english[:120]}")
