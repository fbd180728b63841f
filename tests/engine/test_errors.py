"""Every engine error speaks Chinese or English: ``message(lang)`` picks the text a clerk or admin reads."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from engine.common.text import Text
from engine.errors import (
    PROBLEM_KINDS,
    ConflictError,
    DefinitionError,
    EngineError,
    NotFound,
    PluginError,
    Problem,
    ProblemKind,
    Refusal,
    RefusalCode,
    Severity,
    TransitionRejected,
    brief,
    schema_message,
)

ENGINE = Path(__file__).resolve().parents[2] / "engine"


@pytest.mark.parametrize("kind", [EngineError, NotFound, ConflictError])
def test_zh_text_is_kept_beside_the_english(kind: type[EngineError]) -> None:
    error = kind("order 7 not found", zh="找不到订单 7")
    assert str(error) == error.message() == error.message("en") == "order 7 not found"
    assert error.message("zh") == error.message("zh-CN") == "找不到订单 7"
    assert error.zh == "找不到订单 7"


@pytest.mark.parametrize("kind", [EngineError, NotFound, ConflictError])
def test_without_zh_every_language_reads_the_english(kind: type[EngineError]) -> None:
    error = kind("order 7 not found")
    assert error.zh is None
    assert error.message("zh") == error.message("en") == "order 7 not found"


def test_an_empty_zh_falls_back_to_the_english() -> None:
    assert NotFound("order 7 not found", zh="").message("zh") == "order 7 not found"


def test_transition_rejected_joins_its_refusals_in_each_language() -> None:
    error = TransitionRejected(
        [Refusal("role", "无权", "not allowed"), Refusal("guard", "条件不满足", "guard")]
    )
    assert error.message("en") == str(error) == "not allowed; guard"
    assert error.message("zh") == "无权；条件不满足"


def test_definition_error_reads_in_each_language() -> None:
    first = Problem(
        Text("未知状态 'x'", "unknown state 'x'"), "a.yaml", 3, 5, hint_words=Text("先声明", "declare it")
    )
    error = DefinitionError([first, Problem(Text("第二个", "second"))])
    assert error.message("en") == "a.yaml:3:5: error: unknown state 'x' (hint: declare it) (and 1 more)"
    assert error.message("zh") == "a.yaml:3:5: 错误: 未知状态 'x'（提示：先声明）（另有 1 个问题）"


def test_plugin_error_passes_its_zh_through() -> None:
    refused = PluginError(code="stock", zh="库存不足", en="out of stock")
    assert (refused.zh, refused.en, str(refused)) == ("库存不足", "out of stock", "out of stock")
    assert refused.message("zh") == "库存不足" and refused.message("en") == "out of stock"
    bare = PluginError("gateway down")
    assert bare.zh is None and bare.message("zh") == "gateway down"
    assert PluginError().message("zh") == "plugin failed"


SHIPED = Text("dest 中的状态 'shiped' 不存在", "unknown state 'shiped' in dest")


def test_a_problem_keeps_its_suggestion_as_data_and_renders_it_when_shown() -> None:
    problem = Problem(SHIPED, "w.yaml", 3, 9, "$.dest", code="unknown-state")
    near = Problem(SHIPED, "w.yaml", 3, 9, "$.dest", code="unknown-state", suggestion="shipped")
    assert problem.message == "unknown state 'shiped' in dest"
    assert near.text == problem.text and near.suggestion == "shipped" and near != problem
    assert near.message == "unknown state 'shiped' in dest; did you mean 'shipped'?"
    assert near.format() == (
        "w.yaml:3:9: error: unknown state 'shiped' in dest; did you mean 'shipped'? [at $.dest]"
    )


def test_a_problem_is_data_with_a_kind_a_code_and_its_suggestion_apart() -> None:
    problem = Problem(
        SHIPED,
        "w.yaml",
        3,
        9,
        "$.dest",
        Text("检查状态", "check the states"),
        "unknown-state",
        suggestion="shipped",
    )
    assert problem.kind is ProblemKind.REFERENCE and problem.code == "unknown-state"
    data = problem.to_dict()
    assert data == {
        "file": "w.yaml",
        "line": 3,
        "column": 9,
        "json_path": "$.dest",
        "severity": "error",
        "kind": "reference",
        "code": "unknown-state",
        "text": "unknown state 'shiped' in dest",
        "suggestion": "shipped",
        "hint": "check the states",
        "message": "unknown state 'shiped' in dest; did you mean 'shipped'?",
    }
    assert json.loads(json.dumps(data)) == data  # plain JSON: the enums are written as their strings
    zh = problem.to_dict("zh")
    assert (zh["text"], zh["hint"]) == ("dest 中的状态 'shiped' 不存在", "检查状态")
    assert zh["message"] == "dest 中的状态 'shiped' 不存在；您是否想输入 'shipped'？"


def test_each_kind_of_problem_is_named_by_its_codes() -> None:
    def kind(code: str) -> ProblemKind:
        return Problem(Text("x", "x"), code=code).kind

    assert kind("yaml-syntax") is kind("duplicate-key") is ProblemKind.SYNTAX
    assert kind("io") is kind("too-large") is ProblemKind.FILE
    assert kind("missing-key") is kind("wrong-type") is ProblemKind.SCHEMA
    assert kind("unknown-outcome") is kind("duplicate-rule") is ProblemKind.REFERENCE
    assert kind("bad-condition") is kind("type-mismatch") is ProblemKind.EXPRESSION
    assert kind("dead-end") is kind("overlapping-rows") is ProblemKind.LOGIC
    assert Problem(Text("x", "x"), severity=Severity.WARNING).format() == "<string>:0:0: warning: x"
    assert Problem(Text("x", "x")).to_dict()["severity"] == "error"


def _codes_written_in_the_engine() -> dict[str, str]:
    """Every code a producer of problems writes in engine/: the string (or the module's constant naming
    it) given to a call that makes a problem or a finding (``Problem(...)``, ``self.problem(...)``,
    ``Finding(...)``, ``self.add(...)``, ``warning(...)``), and a finding tuple beside its ``Severity``."""
    shaped = re.compile(r"^[a-z]+(-[a-z]+)*$")
    makers = re.compile(r"problem|finding|warning", re.IGNORECASE)
    found: dict[str, str] = {}
    for path in sorted(ENGINE.rglob("*.py")):
        if path.name == "accounts.py":  # an account's problems name JSON Schema keywords, not codes
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name) and target.id.isupper()
        }
        for node in ast.walk(tree):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                on_self = isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "self"
                # a catalogue problem names the file's row and column, not a code
                if (makers.search(name) and name != "CatalogueProblem") or (name == "add" and on_self):
                    values = [*node.args, *(k.value for k in node.keywords if k.arg in ("kind", "code"))]
            elif isinstance(node, ast.Tuple) and any(
                isinstance(e, ast.Attribute) and getattr(e.value, "id", "") == "Severity" for e in node.elts
            ):
                values = list(node.elts)
            for value in values:
                if isinstance(value, ast.Name) and isinstance(constants.get(value.id), str):
                    value = ast.Constant(constants[value.id], lineno=value.lineno)
                code = value.value if isinstance(value, ast.Constant) else None
                if isinstance(code, str) and shaped.match(code) and code != "warning":
                    found.setdefault(code, f"{path.relative_to(ENGINE.parent)}:{value.lineno}")
    return found


def test_every_code_the_engine_writes_has_its_kind() -> None:
    written = _codes_written_in_the_engine()
    assert len(written) > 90  # the scan sees the producers (a scan that finds nothing proves nothing)
    assert {code: where for code, where in written.items() if code not in PROBLEM_KINDS} == {}


def test_a_refusal_is_data_with_its_code_as_the_string_it_always_was() -> None:
    refusal = Refusal(RefusalCode.ON_SUBMIT, "提交表单时判定", "decided when the form is submitted", {"w": 1})
    data = refusal.to_dict()
    assert data == {
        "code": "on-submit",
        "zh": "提交表单时判定",
        "en": "decided when the form is submitted",
        "details": {"w": 1},
    }
    assert json.dumps(data, ensure_ascii=False).startswith('{"code": "on-submit"')
    # a plugin's own refusal keeps the code the plugin gave it
    assert Refusal("out-of-stock", "库存不足", "not enough stock").to_dict()["code"] == "out-of-stock"


# --- brief() and schema_message(): the values and the jsonschema messages problems quote ---

CJK = re.compile("[\u4e00-\u9fff]")


def test_brief_words_a_shortened_value_in_the_language_asked() -> None:
    assert brief("x" * 100) == f"{'x' * 40!r}... (100 characters)"
    assert brief("x" * 100, lang="zh") == f"{'x' * 40!r}...（共 100 个字符）"
    assert brief(10**400, lang="zh") == "约 401 位的整数"
    assert brief(10**400) == "a whole number of about 401 digits"
    assert brief([10**5000], lang="zh") == "过大而无法显示的 list"
    assert brief("short", lang="zh") == brief("short") == "'short'"


def _schema_errors(schema: dict[str, Any], instance: Any) -> list[Any]:
    return list(Draft202012Validator(schema).iter_errors(instance))


def test_schema_messages_are_worded_in_chinese_by_the_check_that_failed() -> None:
    def zh(schema: dict[str, Any], instance: Any) -> tuple[str, str]:
        (error,) = _schema_errors(schema, instance)
        words = schema_message(error)
        return words.zh, words.en

    assert zh({"required": ["name"]}, {}) == ("缺少必需的键 'name'", "'name' is a required property")
    assert zh({"type": "integer"}, "3") == ("'3' 的类型不对：应为整数", "'3' is not of type 'integer'")
    assert zh({"type": ["string", "null"]}, 3)[0] == "3 的类型不对：应为文本或空"
    assert zh({"enum": ["a", "b"]}, "c") == (
        "'c' 不在可选的值 'a'、'b' 之中",  # a list as a Chinese reader reads one, not a Python list
        "'c' is not one of ['a', 'b']",
    )
    assert zh({"minimum": 1}, 0) == ("0 小于最小值 1", "0 is less than the minimum of 1")
    assert zh({"maximum": 4}, 5)[0] == "5 大于最大值 4"
    assert zh({"minLength": 1}, "")[0] == "'' 不能是空文本"
    assert zh({"maxLength": 3}, "abcd") == (
        "文本有 4 个字符，太长；上限为 3",
        "text of 4 characters is too long; the limit is 3",
    )
    assert zh({"pattern": "^[a-z]+$"}, "A1") == (
        "'A1' 不符合格式 '^[a-z]+$'",
        "'A1' does not match '^[a-z]+$'",
    )
    assert zh({"properties": {"a": {}}, "additionalProperties": False}, {"a": 1, "b": 2, "c": 3}) == (
        "不允许的键：'b'、'c'",
        "Additional properties are not allowed ('b', 'c' were unexpected)",
    )
    assert zh({"const": "x"}, "y")[0] == "此处的值应为 'x'"
    assert zh({"minItems": 2}, [1])[0] == "列表（1） 的项太少：至少要有 2 项"
    assert zh({"uniqueItems": True}, [1, 1])[0] == "列表（1、1） 中有重复的项"
    assert zh({"const": ["a"]}, "y")[0] == "此处的值应为 列表（'a'）"
    assert zh({"type": "object"}, [])[0] == "空列表 的类型不对：应为映射（键: 值）"
    assert zh({"exclusiveMinimum": 1}, 1)[0] == "1 必须大于 1"
    assert zh({"exclusiveMaximum": 1}, 1)[0] == "1 必须小于 1"
    assert zh({"multipleOf": 3}, 4)[0] == "4 不是 3 的整数倍"
    assert zh({"minLength": 2}, "a")[0] == "'a' 太短：至少要有 2 个字符"
    assert zh({"maxItems": 0}, [1])[0] == "列表（1） 应为空"
    assert zh({"maxItems": 1}, [1, 2])[0] == "列表（1、2） 的项太多：最多 1 项"
    assert zh({"minProperties": 1}, {})[0] == "{} 不能为空"
    assert zh({"maxProperties": 1}, {"a": 1, "b": 2})[0] == "{'a': 1, 'b': 2} 的键太多：最多 1 个"
    assert zh({"contains": {"const": 1}}, [2])[0] == "列表（2） 中没有符合要求的项"
    assert zh({"not": {"type": "string"}}, "a")[0] == "'a' 不能是这样的值"
    many = [f"v{n}" for n in range(10)]
    assert (
        zh({"enum": many}, "x")[0] == f"'x' 不在可选的值 {'、'.join(repr(v) for v in many[:8])} 等 10 项 之中"
    )
    assert not any(
        "[" in zh(schema, value)[0] for schema, value in [({"enum": ["a"]}, "b"), ({"maxItems": 0}, [1])]
    )


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        ({"required": ["a", "b"]}, {"a": 1}),
        ({"type": "object"}, []),
        ({"enum": [1, 2]}, 3),
        ({"const": 1}, 2),
        ({"minimum": 1}, 0),
        ({"maximum": 1}, 2),
        ({"exclusiveMinimum": 1}, 1),
        ({"exclusiveMaximum": 1}, 1),
        ({"multipleOf": 3}, 4),
        ({"minLength": 2}, "a"),
        ({"maxLength": 0}, "a"),
        ({"minItems": 1}, []),
        ({"maxItems": 1}, [1, 2]),
        ({"minProperties": 2}, {"a": 1}),
        ({"maxProperties": 0}, {"a": 1}),
        ({"uniqueItems": True}, ["a", "a"]),
        ({"pattern": "^a"}, "b"),
        ({"patternProperties": {"^x": {}}, "additionalProperties": False}, {"y": 1}),
        ({"dependentRequired": {"a": ["b"]}}, {"a": 1}),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, 1),
        ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, 1),
        ({"not": {"type": "string"}}, "a"),
        ({"properties": {"a": False}}, {"a": 1}),
        ({"contains": {"const": 1}}, [2]),
        ({"contains": {"const": 1}, "minContains": 2}, [1]),
        ({"contains": {"const": 1}, "maxContains": 1}, [1, 1]),
        ({"type": "integer"}, "x" * 5000),
        ({"maxLength": 3}, "x" * 5000),
    ],
)
def test_every_schema_message_has_its_chinese(schema: dict[str, Any], instance: Any) -> None:
    errors = _schema_errors(schema, instance)
    assert errors
    for error in errors:
        words = schema_message(error)
        assert CJK.search(words.zh) and words.zh != words.en
        assert len(words.zh) < 200 and len(words.en) < 200  # a long value is never echoed whole
