""" "Did you mean": the nearest of the names a word could have meant, for a message that helps."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(word: str, choices: Iterable[str], lang: str = "en") -> str:
    """``"; did you mean 'x'?"`` (``lang="zh"``: ``"；您是否想输入 'x'？"``) for a near miss, or ``""``."""
    # 0.6 suggested "intake" for "name": two shared letters in ten are not a near miss
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.61)
    if not close:
        return ""
    return f"；您是否想输入 {close[0]!r}？" if lang.startswith("zh") else f"; did you mean {close[0]!r}?"
