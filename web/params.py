"""Whole numbers a request carries: an id in the address (``/orders/<id:order_id>``), a page or a count
in the query string (``?page=2``), a lock version in a form. One parser for all of them, so that no page
has a copy of its own.

A number is 1 to a bounded count of ASCII digits. Not ``str.isdigit()``, which takes ``²`` (that ``int``
refuses: a 500) and ``٣`` (that ``int`` reads as 3: a second address for one page); and never more
digits than the value can have, since ``int`` refuses a text of more than 4,300 digits and the database
driver an id past 64 bits. A value that is no such number, or out of range, names no page of the app:
a 404 page (a path that does not match is one already), never a 500.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request
from werkzeug.routing import BaseConverter, ValidationError

MAX_ID = 2**63 - 1  # the largest id a row holds: a signed 64-bit integer on both databases
ID_DIGITS = len(str(MAX_ID))  # 19


def whole_number(text: str | None, digits: int = ID_DIGITS) -> int | None:
    """``text`` as a whole number when it is 1 to ``digits`` ASCII digits, else None."""
    if text is None or not 0 < len(text) <= digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def query_number(name: str, maximum: int, minimum: int = 1) -> int | None:
    """The query string's ``name`` as a whole number from ``minimum`` to ``maximum``; None when it is
    absent or empty. Any other value is no page of the app: the request ends with a 404 page."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    number = whole_number(raw, len(str(maximum)))
    if number is None or not minimum <= number <= maximum:
        abort(404)
    return number


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path of this site (``/work?claims=mine``), the page a form was sent from
    and returns to; None for anything else (another site's address, ``//host``, a backslash)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


class IdConverter(BaseConverter):
    """``<id:name>``: a row's id in a path, 1 to 19 ASCII digits and not 0 (Werkzeug's ``int`` takes any
    Unicode digit, and as many as are typed). Anything else matches no address: a 404 page."""

    regex = rf"[0-9]{{1,{ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        number = whole_number(value)
        if number is None or not 0 < number <= MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


def init_app(app: Flask) -> None:
    """Register ``<id:…>`` (before the blueprints whose addresses use it)."""
    app.url_map.converters["id"] = IdConverter
