"""Every engine error speaks Chinese or English: ``message(lang)`` picks the text a clerk or admin reads."""

from __future__ import annotations

import pytest

from engine.errors import (
    ConflictError,
    DefinitionError,
    EngineError,
    NotFound,
    PluginError,
    Problem,
    Refusal,
    TransitionRejected,
)


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


def test_definition_error_reads_the_same_in_both_languages() -> None:
    error = DefinitionError([Problem("unknown state 'x'", "a.yaml", 3, 5), Problem("second")])
    assert error.message("zh") == error.message("en") == "a.yaml:3:5: error: unknown state 'x' (and 1 more)"


def test_plugin_error_passes_its_zh_through() -> None:
    refused = PluginError(code="stock", zh="库存不足", en="out of stock")
    assert (refused.zh, refused.en, str(refused)) == ("库存不足", "out of stock", "out of stock")
    assert refused.message("zh") == "库存不足" and refused.message("en") == "out of stock"
    bare = PluginError("gateway down")
    assert bare.zh is None and bare.message("zh") == "gateway down"
    assert PluginError().message("zh") == "plugin failed"


def test_a_problem_keeps_its_suggestion_as_data_and_renders_it_when_shown() -> None:
    problem = Problem("unknown state 'shiped' in dest", "w.yaml", 3, 9, "$.dest", kind="unknown-state")
    near = Problem(
        "unknown state 'shiped' in dest", "w.yaml", 3, 9, "$.dest", kind="unknown-state", suggestion="shipped"
    )
    assert problem.message == "unknown state 'shiped' in dest"
    assert near.text == problem.text and near.suggestion == "shipped" and near != problem
    assert near.message == "unknown state 'shiped' in dest; did you mean 'shipped'?"
    assert near.format() == (
        "w.yaml:3:9: error: unknown state 'shiped' in dest; did you mean 'shipped'? [at $.dest]"
    )
