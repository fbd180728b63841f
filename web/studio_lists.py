"""A department's managed lists (名单) in the studio: ``GET /studio/<department>/lists`` shows its lists
and the form to create one (``POST`` the same creates it); ``GET /studio/<department>/lists/<name>``
one list's values (``?q=`` searched after normalising as the list's kind), the forms that add a value
(``POST …/add``), remove one (``POST …/remove``) and import many (``POST …/import``, a text or CSV
pasted: every bad line named, nothing added unless all are good), and its latest changes, who made
each and when. The engine decides and records each change (``engine.api.named_lists``).

As everywhere in the studio, a department the user does not administer is a 404, and so is a list the
department does not have. A refused change draws its page again with each problem beside its field,
in the page's language (422); a change done redirects (303) to the list with what was done said.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from engine.api import Actor, Text
from engine.api.named_lists import KIND_WORDS, ListKind, ListRefused, NamedLists
from web.formdata import local_time
from web.i18n import current_lang
from web.studio_common import administered, normalised

studio_lists = Blueprint("studio_lists", __name__, url_prefix="/studio")

MAX_FIELD = 1000  # characters of a value, a note or a label taken from a form (the engine checks less)
MAX_IMPORT = 200_000  # characters of a pasted import

WORDS: dict[str, Text] = {
    "title": Text("名单", "Lists"),
    "heading": Text("{department}的名单", "Lists of {department}"),
    "back": Text("返回工作室", "Back to the studio"),
    "intro": Text(
        "规则用 in_list('名称', 值) 引用名单；"
        "值按名单类型规范化后匹配（“广东省深圳市”与“广东 深圳”是同一地址）。"
        "规则文件声明的名单在发布时自动建立。",
        "Rules name a list with in_list('name', value); values match after normalising for the list's kind "
        "(“广东省深圳市” and “广东 深圳” are one address). Lists a rule file declares are created when it "
        "is published.",
    ),
    "none": Text("还没有名单。", "No lists yet."),
    "name": Text("名称", "Name"),
    "kind": Text("类型", "Kind"),
    "label": Text("标签", "Label"),
    "label_zh": Text("中文名称", "Chinese label"),
    "label_en": Text("英文名称", "English label"),
    "entries": Text("值的个数", "Values"),
    "create": Text("建立名单", "Create a list"),
    "value": Text("值", "Value"),
    "key": Text("匹配键", "Matched as"),
    "note": Text("备注", "Note"),
    "added_by": Text("添加人", "Added by"),
    "added_at": Text("添加时间", "Added"),
    "add": Text("添加", "Add"),
    "remove": Text("移除", "Remove"),
    "search": Text("搜索", "Search"),
    "search_hint": Text("按名单类型规范化后查找", "found after normalising as the list's kind"),
    "no_values": Text("没有值。", "No values."),
    "no_match": Text("没有匹配“{q}”的值。", "No value matches “{q}”."),
    "import": Text("批量导入", "Import"),
    "import_hint": Text(
        "每行一个值，可在逗号后加备注；以 # 开头的行和空行跳过。任何一行有误则全部不导入。",
        "One value a line, a note after a comma; lines starting with # and blank lines are skipped. "
        "Nothing is imported unless every line is good.",
    ),
    "changes": Text("最近的改动", "Latest changes"),
    "when": Text("时间", "When"),
    "who": Text("操作人", "Who"),
    "what": Text("改动", "Change"),
    "action.create": Text("建立名单", "created the list"),
    "action.add": Text("添加", "added"),
    "action.remove": Text("移除", "removed"),
    "refused": Text("未改动，请修正下列问题：", "Nothing was changed; put right what is said below:"),
    "done.create": Text("已建立名单 {name}。", "List {name} created."),
    "done.add": Text("已添加 {value}。", "{value} added."),
    "done.remove": Text("已移除 {value}。", "{value} removed."),
    "done.import": Text("已导入 {value} 个值。", "{value} value(s) imported."),
}
DONE = frozenset({"create", "add", "remove", "import"})


def say(key: str, **values: Any) -> str:
    """A word of this page in the page's language."""
    text = WORDS[key].get(current_lang())
    return text.format(**values) if values else text


def _lists(department: str) -> tuple[NamedLists, Actor]:
    studio, actor = administered(department)
    return NamedLists(studio.store, studio.clock), actor


def _form(name: str) -> str:
    return request.form.get(name, "")[:MAX_FIELD]


def _problems(refused: ListRefused | None) -> dict[str, list[str]]:
    """Each problem's words by the field it is about, in the page's language."""
    found: dict[str, list[str]] = {}
    for problem in refused.problems if refused is not None else ():
        found.setdefault(problem.field, []).append(problem.text(current_lang()))
    return found


def _index(
    lists: NamedLists, department: str, *, refused: ListRefused | None = None, sent: Any = None
) -> Any:
    body = render_template(
        "studio/lists.html",
        department=department,
        lists=lists.lists(department),
        kinds=[(kind.value, KIND_WORDS[kind]) for kind in ListKind],
        kind_words=KIND_WORDS,
        problems=_problems(refused),
        sent=sent or {"name": "", "kind": ListKind.ADDRESS.value, "label_zh": "", "label_en": ""},
        done=_done(),
        say=say,
    )
    return body, 422 if refused is not None else 200


def _done() -> tuple[str, str] | None:
    done = request.args.get("done")
    return (done, request.args.get("value", "")[:MAX_FIELD]) if done in DONE else None


@studio_lists.get("/<department>/lists")
def index(department: str) -> Any:
    lists, _actor = _lists(department)
    return _index(lists, department)


@studio_lists.post("/<department>/lists")
def create(department: str) -> Any:
    lists, actor = _lists(department)
    sent = {key: _form(key) for key in ("name", "kind", "label_zh", "label_en")}
    try:
        made = lists.create(
            department, sent["name"], sent["kind"], sent["label_zh"], sent["label_en"], actor.name
        )
    except ListRefused as refused:
        return _index(lists, department, refused=refused, sent=sent)
    return redirect(url_for("studio_lists.one", department=department, name=made.name, done="create"), 303)


def _one(
    lists: NamedLists,
    department: str,
    name: str,
    *,
    refused: ListRefused | None = None,
    sent: dict[str, str] | None = None,
) -> Any:
    search = request.args.get("q", "")[:MAX_FIELD]
    try:
        shown = lists.show(department, name, search)
    except ListRefused:
        abort(404)
    body = render_template(
        "studio/list.html",
        department=department,
        shown=shown,
        kind=KIND_WORDS[shown.named.kind],
        problems=_problems(refused),
        sent=sent or {"value": "", "note": "", "text": ""},
        done=_done(),
        when=local_time,
        say=say,
    )
    return body, 422 if refused is not None else 200


@studio_lists.get("/<department>/lists/<name>")
def one(department: str, name: str) -> Any:
    lists, _actor = _lists(department)
    return _one(lists, department, name)


def _known(lists: NamedLists, department: str, name: str) -> None:
    if all(found.name != name for found in lists.lists(department)):
        abort(404)


@studio_lists.post("/<department>/lists/<name>/add")
def add(department: str, name: str) -> Any:
    lists, actor = _lists(department)
    _known(lists, department, name)
    sent = {"value": _form("value"), "note": _form("note"), "text": ""}
    try:
        entry = lists.add(department, name, sent["value"], actor.name, sent["note"] or None)
    except ListRefused as refused:
        return _one(lists, department, name, refused=refused, sent=sent)
    return redirect(
        url_for("studio_lists.one", department=department, name=name, done="add", value=entry.value), 303
    )


@studio_lists.post("/<department>/lists/<name>/remove")
def remove(department: str, name: str) -> Any:
    lists, actor = _lists(department)
    _known(lists, department, name)
    try:
        entry = lists.remove(department, name, _form("value"), actor.name)
    except ListRefused as refused:
        return _one(lists, department, name, refused=refused)
    return redirect(
        url_for("studio_lists.one", department=department, name=name, done="remove", value=entry.value), 303
    )


@studio_lists.post("/<department>/lists/<name>/import")
def import_values(department: str, name: str) -> Any:
    lists, actor = _lists(department)
    _known(lists, department, name)
    text = normalised(request.form.get("text", "")[:MAX_IMPORT])
    try:
        added = lists.import_text(department, name, text, actor.name)
    except ListRefused as refused:
        return _one(lists, department, name, refused=refused, sent={"value": "", "note": "", "text": text})
    return redirect(
        url_for("studio_lists.one", department=department, name=name, done="import", value=str(len(added))),
        303,
    )
