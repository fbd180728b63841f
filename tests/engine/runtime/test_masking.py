"""Masked numbers (engine/runtime/masking.py): which fields a version masks, and how a value is masked."""

from __future__ import annotations

from engine.dsl.compiler import compile_bundle
from engine.runtime.masking import MOBILE, OTHER, RESIDENT_ID, mask, masked_data, masked_fields, reveals
from tests.engine.runtime.conftest import bundle


def test_mobiles_and_id_numbers_keep_their_ends() -> None:
    assert mask("13812345678", MOBILE) == "138****5678"
    assert mask("11010519491231002X", RESIDENT_ID) == "110105********002X"
    assert mask("VIP-1234", OTHER) == "****1234"
    assert mask("1234", MOBILE) == "****"  # too short to keep anything


def test_the_fields_a_version_masks_come_from_its_forms_and_its_search() -> None:
    spec = compile_bundle(bundle("searched-order"))
    assert masked_fields(spec) == {
        "customer.mobile": MOBILE,
        "customer.id_number": RESIDENT_ID,
        "customer.note": OTHER,
    }
    data = {"customer": {"mobile": "13812345678", "name": "王芳"}, "lines": [{"mobile": "13900001234"}]}
    fields = {"customer.mobile": MOBILE, "lines[].mobile": MOBILE}
    assert masked_data(data, fields) == {
        "customer": {"mobile": "138****5678", "name": "王芳"},
        "lines": [{"mobile": "139****1234"}],
    }
    assert data["customer"]["mobile"] == "13812345678"  # a copy: the order's own data is untouched
    assert reveals(spec, frozenset({"auditor"})) and not reveals(spec, frozenset({"clerk"}))
