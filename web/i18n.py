"""The language a page is shown in, asked by the request.

The words themselves, the pages' among them, are in the one catalogue of the engine, the web app and the
CLI (``engine.common.words``: ``translate``, ``term``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import flash, get_flashed_messages, request

from engine.api import Text, term, translate

DONE = "done"  # the flashed messages' category: what a step did, said on the page it returns to
# a form posted with this field set is drawn again in the other language, what was typed kept and
# nothing submitted: the language switch of a form page, and of the page a refused form came back on
RELANG_FIELD = "_relang"


def relanged() -> bool:
    """Whether the post asks for the form again in another language (nothing is submitted)."""
    return request.form.get(RELANG_FIELD) == "1"


def current_lang() -> str:
    """The language asked for: ?lang=, then the cookie, then the browser's Accept-Language."""
    asked = request.args.get("lang") or request.cookies.get("lang")
    if asked in ("zh", "en"):
        return asked
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"], default="zh")
    return "zh" if best.startswith("zh") else "en"


def time_left(due: datetime, now: datetime, lang: str) -> str:
    """What is left until ``due`` (``time_span``): a timer's on the order page and an approval's
    deadline read alike."""
    span = time_span(due, now, lang)
    if span is None:
        return translate("orders.timer.due", lang)
    return translate("orders.timer.left", lang).format(span=span)


def time_span(due: datetime, now: datetime, lang: str) -> str | None:
    """How long until ``due``, to the minute (a part minute counts as one): "15 小时 57 分钟" / "15 h 57
    min"; None when it is due."""
    seconds = (due - now).total_seconds()
    if seconds <= 0:
        return None
    minutes = int(-(-seconds // 60))
    if minutes < 60:
        return translate("orders.span.minutes", lang).format(n=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return translate("orders.span.hours", lang).format(h=hours, m=minutes)
    days, hours = divmod(hours, 24)
    if hours == 0:
        return translate("orders.span.whole_days", lang).format(d=days)
    return translate("orders.span.days", lang).format(d=days, h=hours)


def say_done(key: str, **values: str | Text) -> None:
    """Say on the next page what was done (a claim, an approval's action): the word ``key`` of the
    catalogue with ``values``, a value that is a :class:`Text` in the language of the page that shows
    it (the session keeps the key and the values, not words of one language)."""
    kept = {name: [v.zh, v.en] if isinstance(v, Text) else v for name, v in values.items()}
    flash({"key": key, "values": kept}, DONE)


def done_messages() -> list[str]:
    """What :func:`say_done` said, in the page's language (each once: reading them takes them away)."""
    lang = current_lang()
    said = []
    for kept in get_flashed_messages(category_filter=[DONE]):
        if not isinstance(kept, dict) or not isinstance(kept.get("key"), str):
            continue
        values = {
            name: (v[0] if lang == "zh" else v[1]) if isinstance(v, list) and len(v) == 2 else str(v)
            for name, v in (kept.get("values") or {}).items()
        }
        said.append(translate(kept["key"], lang).format(**values))
    return said


def with_roles(name: str, roles: Iterable[str], lang: str) -> str:
    """A person's name with their roles in the glossary's words of ``lang`` (孙丽（审批人）, 孙丽
    (Approver)), where a page says who someone is beside their name; the name alone without a role."""
    shown = ("、" if lang == "zh" else ", ").join(term("role", role, lang) for role in roles)
    return translate("people.with_roles", lang).format(name=name, roles=shown) if shown else name
