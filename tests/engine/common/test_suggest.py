"""engine/common/suggest.py: "did you mean" for a near miss, in both languages."""

from __future__ import annotations

from engine.common.suggest import did_you_mean


def test_did_you_mean_in_each_language() -> None:
    assert did_you_mean("shiped", ["shipped", "paid"]) == "; did you mean 'shipped'?"
    assert did_you_mean("shiped", ["shipped"], lang="zh") == "；您是否想输入 'shipped'？"
    assert did_you_mean("zzz", ["shipped"], lang="zh") == ""


def test_two_shared_letters_in_ten_are_no_near_miss() -> None:
    assert did_you_mean("name", ["intake"]) == ""
