"""A compiled version's configurations: the active states a set of leaves stands for on that version."""

from __future__ import annotations

from engine.dsl.compiler import compile_bundle
from engine.plugins import PluginRegistry
from engine.runtime.compiled import CompiledVersion, Conflict, compile_version, joined, state_words
from tests.engine.runtime.conftest import ACTIONS, bundle

PAID, PACKING = "fulfilling.payment.paid", "fulfilling.shipping.packing"
TO_INVOICE = "fulfilling.invoicing.to_invoice"


def _invoicing() -> CompiledVersion:
    """wholesale-order with three regions under fulfilling: payment, shipping, invoicing."""
    return compile_version(
        compile_bundle(bundle("versions/wholesale-order-invoicing"), 2), PluginRegistry(ACTIONS)
    )


def test_a_region_without_a_leaf_starts_at_its_initial_state() -> None:
    assert _invoicing().configuration([PAID, PACKING]) == (TO_INVOICE, PAID, PACKING)


def test_a_parallel_state_named_itself_starts_every_region() -> None:
    cv = _invoicing()
    assert cv.configuration(["fulfilling"]) == (TO_INVOICE, "fulfilling.payment.waiting", PACKING)
    assert cv.configuration(["fulfilling", PAID]) == (TO_INVOICE, PAID, PACKING)  # its own leaf kept


def test_a_plain_state_and_a_full_configuration_stay_as_they_are() -> None:
    cv = _invoicing()
    assert cv.configuration(["new"]) == ("new",)
    assert cv.configuration(["new", "new"]) == ("new",)
    full = (TO_INVOICE, PAID, "fulfilling.shipping.shipped")
    assert cv.configuration(full) == full


def test_leaves_outside_one_parallel_state_conflict() -> None:
    cv = _invoicing()
    assert cv.configuration([PAID, "new"]) == Conflict((PAID, "new"))
    assert cv.configuration(["fulfilled", "new"]) == Conflict(("fulfilled", "new"))


def test_two_leaves_in_one_region_conflict_naming_the_region() -> None:
    found = _invoicing().configuration([PAID, PACKING, "fulfilling.shipping.shipped"])
    assert found == Conflict((PACKING, "fulfilling.shipping.shipped"), "fulfilling.shipping")


def test_a_parallel_state_reads_as_its_regions_labels_side_by_side() -> None:
    """One reading of a state configuration serves every page, refusal and audit line: the regions'
    labels side by side (、 / ·), a leaf the version does not name by its name."""
    cv = _invoicing()
    labels = {leaf: cv.states[leaf].label for leaf in (PAID, PACKING)}
    words = cv.state_words(joined((PAID, PACKING, "gone.leaf")))
    assert words.zh == f"{labels[PAID].zh}、{labels[PACKING].zh}、gone.leaf"
    assert words.en == f"{labels[PAID].en} · {labels[PACKING].en} · gone.leaf"
    assert cv.state_words((PAID,)) == state_words(cv.spec, PAID) == labels[PAID]
    assert "|" not in words.zh + words.en
