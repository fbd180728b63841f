"""Randomness is injected as the clock is, so a test or a seeded run repeats what it draws.

The expression language's ``code(n)`` (an issued code: a return authorisation, a pickup code) draws its
characters from the source the engine was given: ``Engine(..., randomness=SeededRandomness(7))`` issues
the same codes on every run; the default draws from the operating system (``secrets``).
"""

from __future__ import annotations

import random
import secrets
from typing import Protocol


class Randomness(Protocol):
    def token(self, alphabet: str, length: int) -> str:
        """``length`` characters, each drawn from ``alphabet``."""
        ...


class SystemRandomness:
    """Draws from the operating system's source (``secrets``): codes nobody can guess."""

    def token(self, alphabet: str, length: int) -> str:
        return "".join(secrets.choice(alphabet) for _ in range(length))


class SeededRandomness:
    """Draws from a generator seeded once: the same seed gives the same codes in the same order.

    For tests and repeatable runs only; a code drawn so can be predicted by whoever knows the seed."""

    def __init__(self, seed: int | str = 0) -> None:
        self._random = random.Random(seed)  # noqa: S311 - repeatable on purpose; see the docstring

    def token(self, alphabet: str, length: int) -> str:
        return "".join(self._random.choice(alphabet) for _ in range(length))
