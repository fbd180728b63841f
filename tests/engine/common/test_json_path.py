"""engine/common/json_path.py: the JSON paths problems and marks are written with."""

from __future__ import annotations

from engine.common.json_path import child_path, parent_path


def test_paths_name_odd_keys_in_brackets_and_go_back_up() -> None:
    assert child_path("$", "a b") == '$["a b"]'
    assert child_path("$.x", 2) == "$.x[2]"
    assert parent_path('$.a["b.c"]') == "$.a"
    assert parent_path("$.a[2]") == "$.a"
    assert parent_path("$.a") == "$"
    assert parent_path("$") is None
