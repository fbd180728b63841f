"""The original order's number as people type it (engine.common.order_numbers, ``typed_number``): the
pages write ``#236``, a Chinese input method types ``＃２３６``, a copied number brings spaces along; each
names order 236 at intake and on a step that sends the number, and is kept as its digits; letters are
still refused beside the field, saying what to type. On SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.clock import FrozenClock
from engine.common.order_numbers import order_digits
from engine.dsl.compiler import load_bundle
from engine.errors import TransitionRejected
from engine.runtime import Engine
from engine.store import Store
from engine.store.original_orders import named_id
from tests.engine.runtime import test_original_order as original
from tests.engine.runtime.test_original_order import REGISTRY, corrected_request, naming, request
from tests.test_departments import SERVICE, delivered_retail_order

clock, engine = original.clock, original.engine  # the fixtures of the original-order tests


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("236", "236"),
        ("#236", "236"),
        (" 236 ", "236"),
        ("＃236", "236"),
        ("＃２３６", "236"),
        ("# 236", "236"),
    ],
)
def test_an_order_number_as_typed_is_its_digits(typed: str, digits: str) -> None:
    assert order_digits(typed) == digits
    assert named_id(typed) == int(digits)


@pytest.mark.parametrize("typed", ["RO236", "23a", "#", "", "##236", "-236", "2 36"])
def test_anything_else_is_no_number(typed: str) -> None:
    assert order_digits(typed) is None
    assert named_id(typed) is None


@pytest.mark.parametrize("typed", ["#{n}", " {n} ", "＃{n}", "＃{wide}"])
def test_a_request_naming_its_order_as_the_pages_write_it_is_taken_with_the_digits(
    engine: Engine, store: Store, clock: FrozenClock, typed: str
) -> None:
    bought = delivered_retail_order(engine, clock)
    wide = "".join(chr(0xFF10 + int(d)) for d in bought)
    taken = engine.create_order(
        SERVICE, "after_sales", "after-sales-request", "web", request(typed.format(n=bought, wide=wide))
    )
    assert taken.data["original_order_no"] == bought
    assert taken.state == "awaiting_goods"
    assert naming(store, bought) == [taken.id]  # linked to the retail order by its digits


def test_letters_are_refused_beside_the_field_in_words(engine: Engine, clock: FrozenClock) -> None:
    bought = delivered_retail_order(engine, clock)
    with pytest.raises(TransitionRejected) as caught:
        engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(f"RO{bought}"))
    [refusal] = caught.value.refusals
    assert refusal.details["path"] == "$.original_order_no"
    assert "原订单号" in refusal.zh and "294" in refusal.zh
    assert "Original order number" in refusal.en and "294" in refusal.en


def test_a_step_that_sends_the_number_takes_it_as_the_pages_write_it(
    engine: Engine, store: Store, clock: FrozenClock, tmp_path: Path
) -> None:
    """A step that corrects the number (``correct_original``) sent ``＃236``: kept as ``236``, the link
    follows it; letters are refused there too, nothing written."""
    engine.publish(load_bundle(corrected_request(tmp_path), tmp_path, action_names=REGISTRY.action_names))
    first, second = delivered_retail_order(engine, clock), delivered_retail_order(engine, clock)
    taken = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(first))
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(taken.id, "correct_original", SERVICE, {"original_order_no": f"NO{second}"})
    assert caught.value.refusals[0].details["path"] == "$.original_order_no"
    assert naming(store, first) == [taken.id]
    engine.fire(taken.id, "correct_original", SERVICE, {"original_order_no": f"＃{second} "})
    assert engine.get_order(taken.id, SERVICE).data["original_order_no"] == second
    assert (naming(store, first), naming(store, second)) == ([], [taken.id])
