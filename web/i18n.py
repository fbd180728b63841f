"""The one catalogue of words shown to clerks and admins, in zh-CN and en."""

from __future__ import annotations

from flask import request

CATALOGUE: dict[str, dict[str, str]] = {
    "app.title": {"zh": "OrderLoom 订单流程引擎", "en": "OrderLoom order-process engine"},
    "home.heading": {"zh": "部门与流程", "en": "Departments and workflows"},
    "home.department": {"zh": "部门", "en": "Department"},
    "home.workflow": {"zh": "工作流", "en": "Workflow"},
    "home.version": {"zh": "版本", "en": "Version"},
    "home.orders": {"zh": "订单数", "en": "Orders"},
    "home.by_state": {"zh": "按状态", "en": "By state"},
    "home.empty": {
        "zh": "还没有发布任何工作流。运行 orderloom demo 载入演示数据。",
        "en": "No workflow is published yet. Run `orderloom demo` to load the demo data.",
    },
    "lang.switch": {"zh": "English", "en": "中文"},
}


def current_lang() -> str:
    """The language asked for: ?lang=, then the cookie, then the browser's Accept-Language."""
    asked = request.args.get("lang") or request.cookies.get("lang")
    if asked in ("zh", "en"):
        return asked
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"], default="zh")
    return "zh" if best.startswith("zh") else "en"


def translate(key: str, lang: str) -> str:
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    return entry["zh"] if lang == "zh" else entry["en"]
