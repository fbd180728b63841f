""" "Did you mean": the nearest of the names a word could have meant, for a message that helps."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["did_you_mean", "near_miss", "suggestion_text"]


def near_miss(word: str, choices: Iterable[str], cutoff: float = 0.61) -> str | None:
    """The choice ``word`` most likely meant, or None when none is near (``difflib``'s ratio, at least
    ``cutoff``)."""
    return _nearest(word, tuple(choices), cutoff)


@lru_cache(maxsize=512)
def _nearest(word: str, choices: tuple[str, ...], cutoff: float) -> str | None:
    # Kept: a refusal asked on every step costs a difflib comparison per choice (an action asking for
    # records of a kind its workflow does not keep); the answer depends on the arguments alone.
    # 0.6 suggested "intake" for "name": two shared letters in ten are not a near miss
    close = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    return close[0] if close else None


def suggestion_text(suggestion: str | None, lang: str = "en") -> str:
    """``"; did you mean 'x'?"`` (``lang="zh"``: ``"；您是否想输入 'x'？"``), or ``""`` without one."""
    if suggestion is None:
        return ""
    return f"；您是否想输入 {suggestion!r}？" if lang.startswith("zh") else f"; did you mean {suggestion!r}?"


def did_you_mean(word: str, choices: Iterable[str], lang: str = "en") -> str:
    """``"; did you mean 'x'?"`` (``lang="zh"``: ``"；您是否想输入 'x'？"``) for a near miss, or ``""``."""
    return suggestion_text(near_miss(word, choices), lang)
