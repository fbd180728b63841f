"""Checks of a form's files: its data schema (``<name>.json``) and its UI file (``<name>.ui.json``).

A data schema is JSON Schema 2020-12 whose formats exist and whose ``x-enum-titles`` fit its ``enum``,
with warnings for a key that is no keyword and a ``required`` name a closed object cannot have
(``engine.forms.formats.schema_findings``); a UI file is checked against ``engine/schema/ui.schema.json``
and then against the data schema beside it (``engine.forms.ui.check_ui``, docs/forms.md). Every problem
at once, with its line and column.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Collection, Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine.common.json_path import child_path
from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.dsl.loader import definition_exists, load_file, read_definition
from engine.dsl.overlay import Located
from engine.dsl.schema_words import json_path, translate
from engine.dsl.spec import ORDER_FIELDS
from engine.errors import DefinitionError, Problem, schema_message, sorted_problems
from engine.forms.formats import schema_findings
from engine.forms.ui import UI_SUFFIX, FormLayout, check_ui, load_layout, ui_path_for, ui_schema
from engine.plugins import OPTION_SOURCES_GROUP

__all__ = ["check_form_file", "check_ui_file", "option_source_names", "read_form"]


def check_form_file(path: Path, shown: str) -> tuple[Mapping[str, Any] | None, list[Problem]]:
    """A form: a JSON Schema 2020-12 document, whose formats exist and whose x-enum-titles fit its enum
    (``engine.forms.formats.schema_findings``)."""
    tree, marks, problems = load_file(path, shown, "json")
    if tree is None:
        return None, problems
    if not isinstance(tree, dict):
        return None, [
            *problems,
            Problem(
                Text(
                    "表单必须是一个 JSON 对象（JSON Schema）", "a form must be a JSON object (a JSON Schema)"
                ),
                shown,
                1,
                1,
                "$",
                None,
                "form",
            ),
        ]
    invalid = _schema_error(json.dumps(tree, sort_keys=True, ensure_ascii=False))
    if invalid is not None:
        where, message, code, suggestion = invalid
        line, column = marks.at(where)
        words = Text(f"不是有效的 JSON Schema：{message.zh}", f"not a valid JSON Schema: {message.en}")
        problems.append(Problem(words, shown, line, column, where, None, code, suggestion=suggestion))
    else:
        for where, finding, code, severity, suggestion in schema_findings(tree):
            at_key = code in ("enum-title", "unknown-keyword")
            line, column = marks.key_at(where) if at_key else marks.at(where)
            problems.append(Problem(finding, shown, line, column, where, None, code, severity, suggestion))
        declared = tree.get("properties")
        for name in declared if isinstance(declared, dict) else ():
            if name in ORDER_FIELDS:
                where = child_path("$.properties", name)
                line, column = marks.key_at(where)
                problems.append(
                    Problem(
                        Text(
                            f"字段 {name!r} 与订单自身的字段同名：在所有条件和规则中，order.{name} "
                            f"始终是{ORDER_FIELDS[name].zh}，而不是这个字段",
                            f"field {name!r} takes the name of the order's own field: order.{name} is always "
                            f"{ORDER_FIELDS[name].en}, never this field, in every condition and rule",
                        ),
                        shown,
                        line,
                        column,
                        where,
                        Text(
                            "请给字段改名（表单的字段会并入订单的数据）",
                            "rename the field (a form's fields are merged into the order's data)",
                        ),
                        "order-field",
                    )
                )
    errors = any(problem.severity == "error" for problem in problems)
    return (None if errors else tree), sorted_problems(problems)  # warnings alone leave the form usable


def read_form(
    path: Path, shown: str, sources: Collection[str] | None = None
) -> tuple[Mapping[str, Any], FormLayout]:
    """A form to draw: its data schema and its layout, from the UI file beside it (the default layout
    without one), both read as ``orderloom validate`` reads them (a draft over a file included:
    ``engine.dsl.loader.drafts_over_files``). ``shown`` names the form file as people read it, and its
    UI file beside it; ``sources``: the option sources a UI file may name. A ``DefinitionError`` with
    every problem when either file cannot be used."""
    schema, problems = check_form_file(path, shown)
    if schema is None:
        raise DefinitionError(problems)
    ui_file = ui_path_for(path)
    ui_shown = ui_path_for(Path(shown)).as_posix()
    ui = None
    if definition_exists(ui_file):
        ui, _marks, problems = load_file(ui_file, ui_shown, "json")
        if ui is None or problems:
            raise DefinitionError(problems)
    return schema, load_layout(schema, ui, sources=sources, file=ui_shown)


# The types of JSON Schema, which ``type`` names (one, or a list of them).
JSON_TYPES = ("string", "number", "integer", "boolean", "object", "array", "null")
# Where a schema holds schemas under names of the form's choosing (a property may be called "type").
_NAMED_SCHEMAS = frozenset({"properties", "$defs", "patternProperties", "dependentSchemas"})


@functools.lru_cache(maxsize=512)
def _schema_error(document: str) -> tuple[str, Text, str, str | None] | None:
    """Where and why a form's schema (as canonical JSON) is not a valid JSON Schema 2020-12, with the
    problem's code and the name most likely meant, or None. A ``type`` naming no JSON type (``"numbr"``)
    is said as such, with the type it is nearest to. Kept per document: checking a draft as it is typed
    checks every form its workflow names each time, and the meta-schema check is most of that."""
    try:
        Draft202012Validator.check_schema(json.loads(document))
    except SchemaError as error:
        where = json_path(error.absolute_path)
        named = _unknown_type(list(error.absolute_path), error.instance)
        if named is not None:
            position, wrong = named
            words = Text(
                f"{wrong!r} 不是 JSON 类型（可用：{'、'.join(JSON_TYPES)}）",
                f"{wrong!r} is not a JSON type ({', '.join(JSON_TYPES)})",
            )
            where = where if position is None else child_path(where, position)
            return where, words, "unknown-type", near_miss(wrong, JSON_TYPES)
        return where, Text(schema_message(error).zh, error.message), "form-schema", None
    return None


def _unknown_type(path: list[str | int], instance: Any) -> tuple[int | None, str] | None:
    """The name a ``type`` keyword gives that is no JSON type, with its place in the keyword's list (None
    for a lone name), when a schema error at ``path`` is about that keyword (not a field named "type")."""
    if path and isinstance(path[-1], int):
        path = path[:-1]
    if not path or path[-1] != "type" or (len(path) >= 2 and path[-2] in _NAMED_SCHEMAS):
        return None
    if isinstance(instance, str):
        return None if instance in JSON_TYPES else (None, instance)
    if isinstance(instance, list):
        for position, name in enumerate(instance):
            if isinstance(name, str) and name not in JSON_TYPES:
                return position, name
    return None


@functools.cache
def _ui_validator() -> Draft202012Validator:
    return Draft202012Validator(ui_schema())


@functools.cache
def option_source_names() -> frozenset[str]:
    """The option sources registered under ``orderloom.option_sources`` (names only, nothing loaded);
    read once, as the installed packages do not change while the process runs."""
    return frozenset(ep.name for ep in entry_points(group=OPTION_SOURCES_GROUP))


def check_ui_file(path: Path, shown: str, option_sources: Collection[str] | None = None) -> list[Problem]:
    """A form's UI file (``<name>.ui.json``): its shape (``engine/schema/ui.schema.json``), then what it
    names in the data schema beside it (``<name>.json``), every problem at once (``engine.forms.ui``).

    What the same two texts were found to have is kept (checking a draft as it is typed checks every UI
    file its workflow names, each time)."""
    sources = option_source_names() if option_sources is None else frozenset(option_sources)
    data_path = _data_path(path)
    try:
        ui = _digest(read_definition(path))
        data = _digest(read_definition(data_path)) if definition_exists(data_path) else ""
    except (OSError, ValueError):  # said as the problem it is, by the check itself
        return _check_ui_file(path, shown, sources)
    return list(_ui_checked(path, shown, sources, ui, data))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _data_path(ui_path: Path) -> Path:
    return ui_path.with_name(ui_path.name[: -len(UI_SUFFIX)] + ".json")


@functools.lru_cache(maxsize=256)
def _ui_checked(path: Path, shown: str, sources: frozenset[str], ui: str, data: str) -> tuple[Problem, ...]:
    """The problems of the UI file whose text has digest ``ui``, beside the data schema of digest
    ``data``: the same whenever the two texts are."""
    return tuple(_check_ui_file(path, shown, sources))


def _check_ui_file(path: Path, shown: str, sources: Collection[str]) -> list[Problem]:
    tree, marks, problems = load_file(path, shown, "json")
    if tree is None:
        return problems
    located = Located.single(tree, shown, marks)
    if not isinstance(tree, dict):
        words = Text("界面文件必须是一个 JSON 对象", "a UI file must be a JSON object")
        return [*problems, Problem(words, shown, 1, 1, "$", None, "ui-schema")]
    data_path = _data_path(path)
    data_shown = shown[: -len(UI_SUFFIX)] + ".json"
    if not definition_exists(data_path):
        return [
            *problems,
            Problem(
                Text(
                    f"此界面文件旁边没有数据结构文件 {data_path.name!r}",
                    f"no data schema {data_path.name!r} beside this UI file",
                ),
                shown,
                1,
                1,
                "$",
                Text(
                    "界面文件描述的是同一文件夹中的表单 <name>.json",
                    "a UI file describes the form <name>.json in the same folder",
                ),
                "ui-without-form",
            ),
        ]
    for error in _ui_validator().iter_errors(tree):
        problems.extend(translate(error, located))
    if problems:
        return sorted_problems(problems)
    schema, form_problems = check_form_file(data_path, data_shown)
    if schema is None:
        first = form_problems[0] if form_problems else None
        detail = Text(first.message_in("zh"), first.message) if first else Text("无法读取", "unreadable")
        message = Text(
            f"它的数据结构 {data_shown!r} 无效：{detail.zh}",
            f"its data schema {data_shown!r} is not valid: {detail.en}",
        )
        return [Problem(message, shown, 1, 1, "$", None, "bad-form")]
    for finding in check_ui(tree, schema, sources):
        if finding.key:
            line, column = marks.key_at(finding.json_path)
        elif finding.column:
            line, column = marks.text_at(finding.json_path)
            column = column + finding.column if line else 0  # past the opening quote
        else:
            line, column = marks.at(finding.json_path)
        problems.append(
            Problem(
                finding.message,
                shown,
                line,
                column,
                finding.json_path,
                finding.hint,
                finding.code,
                finding.severity,
                finding.suggestion,
            )
        )
    return sorted_problems(problems)
