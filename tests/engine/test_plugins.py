"""The action registry's own errors carry Chinese text, with a did-you-mean in each language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from engine.errors import PluginError
from engine.plugins import ActionContext, PluginRegistry, emits, writes


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
    }
