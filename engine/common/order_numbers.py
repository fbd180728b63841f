"""An order number as people type it: the pages write ``#236``, a Chinese input method types the
full-width ``＃２３６``, and a number copied from a page brings spaces along. Each is read as the digits
``236``; anything else (letters) is left as it was typed, for the form to refuse in words."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["order_digits", "order_number_text"]

_DIGITS = re.compile("[0-9]+")


def order_number_text(written: str) -> str:
    """``written`` read as NFKC (the full-width ``１２３`` is ``123`` and ``＃`` is ``#``), without the
    spaces around it or the ``#`` the pages show before a number."""
    return unicodedata.normalize("NFKC", written).strip().removeprefix("#").strip()


def order_digits(written: str) -> str | None:
    """The digits of an order number as typed (``#236``, `` 236 ``, ``＃２３６``: ``236``); None when
    what was typed is no number (``RO236``, ``23a``)."""
    found = order_number_text(written)
    return found if _DIGITS.fullmatch(found) else None
