"""The language a page is shown in, asked by the request.

The words themselves, the pages' among them, are in the one catalogue of the engine, the web app and the
CLI (``engine.common.words``: ``translate``, ``term``)."""

from __future__ import annotations

from flask import request


def current_lang() -> str:
    """The language asked for: ?lang=, then the cookie, then the browser's Accept-Language."""
    asked = request.args.get("lang") or request.cookies.get("lang")
    if asked in ("zh", "en"):
        return asked
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"], default="zh")
    return "zh" if best.startswith("zh") else "en"
