"""The action registry's own errors carry Chinese text, with a did-you-mean in each language."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from engine.errors import PluginError
from engine.plugins import ActionContext, OptionSourceRegistry, PluginRegistry, emits, writes


def reserve(ctx: ActionContext) -> Mapping[str, Any] | None:
    return None


def release(ctx: ActionContext) -> Mapping[str, Any] | None:
    return None


def test_an_unknown_action_names_a_near_miss_in_both_languages() -> None:
    registry = PluginRegistry({"inventory.reserve": reserve})
    with pytest.raises(PluginError) as caught:
        registry.action("inventory.reserv")
    assert (
        caught.value.message("en") == "unknown action 'inventory.reserv'; did you mean 'inventory.reserve'?"
    )
    assert caught.value.message("zh") == "未知的动作 'inventory.reserv'；您是否想输入 'inventory.reserve'？"


def test_an_unknown_action_without_a_near_miss_says_only_that() -> None:
    with pytest.raises(PluginError) as caught:
        PluginRegistry({"inventory.reserve": reserve}).action("payments.capture")
    assert caught.value.message("en") == "unknown action 'payments.capture'"
    assert caught.value.message("zh") == "未知的动作 'payments.capture'"


def test_an_action_registered_twice_is_refused_in_both_languages() -> None:
    registry = PluginRegistry({"inventory.reserve": reserve})
    registry.register("inventory.reserve", reserve)  # the same callable again is fine
    with pytest.raises(PluginError) as caught:
        registry.register("inventory.reserve", release)
    assert caught.value.message("en") == "action 'inventory.reserve' is registered twice"
    assert caught.value.message("zh") == "动作 'inventory.reserve' 被注册了两次"


def test_an_action_declares_the_order_fields_it_writes() -> None:
    @writes("stock_reserved", "shipped_qty")
    def deduct(ctx: ActionContext) -> Mapping[str, Any] | None:
        return None

    registry = PluginRegistry({"inventory.deduct": deduct, "inventory.reserve": reserve})
    registry.register("inventory.release", release, writes=["stock_reserved"])
    assert dict(registry.action_writes) == {
        "inventory.deduct": frozenset({"stock_reserved", "shipped_qty"}),
        "inventory.release": frozenset({"stock_reserved"}),  # given at registration
    }  # inventory.reserve declares nothing, so it is left out
    assert deduct(None) is None  # type: ignore[arg-type]  # the decorator returns the action itself


def test_an_action_declares_the_topics_it_writes_and_whether_they_are_delivered() -> None:
    @emits("payments.captured")
    @emits("payment_failed", deliver=False)
    def capture(ctx: ActionContext) -> Mapping[str, Any] | None:
        return None

    @emits("payment_failed", deliver=False)
    def record_failure(ctx: ActionContext) -> Mapping[str, Any] | None:
        return None

    registry = PluginRegistry({"payments.capture": capture, "payments.record_failure": record_failure})
    assert dict(registry.topics) == {"payments.captured": True, "payment_failed": False}
    assert registry.internal_topics == frozenset({"payment_failed"})

    @emits("payment_failed")
    def loud(ctx: ActionContext) -> Mapping[str, Any] | None:
        return None

    with pytest.raises(PluginError) as refused:
        registry.register("payments.loud", loud)
    assert "topic 'payment_failed' is delivered according to action" in str(refused.value)
    assert refused.value.message("zh").startswith("主题 'payment_failed' 在动作")


def test_the_shipped_actions_declare_every_topic_they_write() -> None:
    registry = PluginRegistry.from_entry_points()
    assert dict(registry.topics) == {
        "notifications.order_status": True,
        "payments.captured": True,
        "payments.refunded": True,
        "logistics.waybill_created": True,
        "account_created": False,
        "payment_failed": False,
        "stock_changed": False,
        "stock.low": True,  # inventory.reserve: a row below its safety stock, mailed to the purchasers
    }


# --- plugins checked against their kind when loaded ------------------------------------------------

PLUGIN_MODULE = """
from __future__ import annotations

from engine.plugins import ActionContext, OptionContext, writes


def two_arguments(ctx: ActionContext, extra: int) -> None:
    return None


def no_argument() -> None:
    return None


def wants_a_keyword(ctx: ActionContext, *, region: str) -> None:
    return None


def options_of(ctx: OptionContext) -> list[dict[str, object]]:
    return []


@writes("stock_reserved")
def reserve(ctx: ActionContext) -> None:
    return None


@writes("stock_reserved")
def writes_without_annotation(ctx):
    return None


def fine(ctx, *more, checked=True):
    return None


NOT_CALLABLE = 42
"""


def _installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group: str, entry: str) -> None:
    """A distribution installed on sys.path whose entry point ``entry`` (``name = module:attr``) is in
    ``group``: found and loaded by importlib.metadata as pip-installed plugins are."""
    module = f"plugin_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(PLUGIN_MODULE, encoding="utf-8")
    info = tmp_path / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        f"[{group}]\n{entry.replace('MODULE', module)}\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))


@pytest.mark.parametrize(
    ("attribute", "en", "zh"),
    [
        (
            "two_arguments",
            "takes (ctx: 'ActionContext', extra: 'int'), but an action is called with one argument: "
            "(ctx: ActionContext)",
            "的参数为 (ctx: 'ActionContext', extra: 'int')，而动作只以一个参数调用：(ctx: ActionContext)",
        ),
        (
            "no_argument",
            "takes (), but an action is called with one argument",
            "的参数为 ()，而动作只以一个参数调用",
        ),
        ("wants_a_keyword", "takes (ctx: 'ActionContext', *, region: 'str'), but", "*, region: 'str')"),
        (
            "options_of",
            "takes an OptionContext: it is an option source, not an action",
            "它是选项来源，不是动作",
        ),
        ("NOT_CALLABLE", "is not callable: an action is called with its ActionContext", "不可调用"),
    ],
)
def test_an_entry_point_that_does_not_fit_the_action_protocol_is_refused_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, attribute: str, en: str, zh: str
) -> None:
    _installed(tmp_path, monkeypatch, "orderloom.actions", f"shop.broken = MODULE:{attribute}")
    with pytest.raises(PluginError) as refused:
        PluginRegistry.from_entry_points()
    module = f"plugin_{tmp_path.name.replace('-', '_')}"
    named = f"entry point 'shop.broken' ({module}:{attribute}) in orderloom.actions"
    assert refused.value.message("en").startswith(named)
    assert en in refused.value.message("en")
    assert refused.value.message("zh").startswith(
        f"orderloom.actions 中的入口点 'shop.broken'（{module}:{attribute}）"
    )
    assert zh in refused.value.message("zh")


def test_an_action_in_the_option_sources_group_is_refused_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _installed(tmp_path, monkeypatch, "orderloom.option_sources", "stock = MODULE:reserve")
    with pytest.raises(PluginError) as refused:
        OptionSourceRegistry.from_entry_points()
    message = refused.value.message("en")
    assert message.startswith("entry point 'stock' (")
    assert message.endswith(
        "in orderloom.option_sources takes an ActionContext: it is an action, not an option source"
    )


def test_an_unannotated_action_in_the_option_sources_group_is_told_by_its_declaration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _installed(tmp_path, monkeypatch, "orderloom.option_sources", "stock = MODULE:writes_without_annotation")
    with pytest.raises(PluginError) as refused:
        OptionSourceRegistry.from_entry_points()
    assert str(refused.value).endswith(
        "in orderloom.option_sources carries orderloom_writes, a declaration an option source does not make"
    )
    assert refused.value.message("zh").endswith("带有 orderloom_writes，选项来源不作此声明")


def test_an_entry_point_that_does_not_load_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _installed(tmp_path, monkeypatch, "orderloom.actions", "shop.gone = MODULE:no_such_function")
    with pytest.raises(PluginError) as refused:
        PluginRegistry.from_entry_points()
    assert "entry point 'shop.gone' (" in refused.value.message("en")
    assert ":no_such_function) in orderloom.actions does not load: AttributeError" in refused.value.message(
        "en"
    )
    assert "无法加载：AttributeError" in refused.value.message("zh")


def test_an_entry_point_that_fits_loads_beside_the_shipped_actions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _installed(tmp_path, monkeypatch, "orderloom.actions", "shop.fine = MODULE:fine")
    registry = PluginRegistry.from_entry_points()
    assert {"shop.fine", "inventory.reserve", "payments.capture"} <= registry.action_names


def test_a_callable_registered_directly_is_checked_as_well() -> None:
    with pytest.raises(PluginError) as refused:
        PluginRegistry({"shop.lazy": lambda: None})  # type: ignore[dict-item]
    assert refused.value.message("en") == (
        "action 'shop.lazy' takes (), but an action is called with one argument: (ctx: ActionContext)"
    )
    assert (
        refused.value.message("zh")
        == "动作 'shop.lazy'的参数为 ()，而动作只以一个参数调用：(ctx: ActionContext)"
    )
    with pytest.raises(PluginError) as refused:
        OptionSourceRegistry().register("stock", reserve_declared)  # type: ignore[arg-type]
    assert str(refused.value) == (
        "option source 'stock' carries orderloom_writes, a declaration an option source does not make"
    )


@writes("stock_reserved")
def reserve_declared(ctx: Any) -> Mapping[str, Any] | None:
    return None
