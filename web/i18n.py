"""The language a page is shown in, asked by the request.

The words themselves, the pages' among them, are in the one catalogue of the engine, the web app and the
CLI (``engine.common.words``: ``translate``, ``term``)."""

from __future__ import annotations

from datetime import datetime

from flask import request

from engine.api import translate


def current_lang() -> str:
    """The language asked for: ?lang=, then the cookie, then the browser's Accept-Language."""
    asked = request.args.get("lang") or request.cookies.get("lang")
    if asked in ("zh", "en"):
        return asked
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"], default="zh")
    return "zh" if best.startswith("zh") else "en"


def time_left(due: datetime, now: datetime, lang: str) -> str:
    """What is left until ``due``, to the minute (a part minute counts as one): a timer's on the order
    page and an approval's deadline read alike."""
    seconds = (due - now).total_seconds()
    if seconds <= 0:
        return translate("orders.timer.due", lang)
    minutes = int(-(-seconds // 60))
    if minutes < 60:
        return translate("orders.timer.minutes", lang).format(n=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return translate("orders.timer.hours", lang).format(h=hours, m=minutes)
    days, hours = divmod(hours, 24)
    if hours == 0:
        return translate("orders.timer.whole_days", lang).format(d=days)
    return translate("orders.timer.days", lang).format(d=days, h=hours)
