"""The keys managed lists match values by: each kind's normalising, idempotent, and every spelling of
one address, one mobile or one SKU giving one key."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.common.list_keys import ListKind, customer_key, list_key, value_keys
from engine.common.regions import REGIONS


@pytest.mark.parametrize(
    "spelled",
    [
        "广东省深圳市南山区科技园1号",
        "广东省深圳市 南山区…科技园1号".replace("…", ""),
        "广东深圳南山区科技园1号",
        "广东 深圳市 南山区 科技园１号",
        "　广东省　深圳　南山区科技园1号",
    ],
)
def test_the_spellings_of_one_address_give_one_key(spelled: str) -> None:
    assert list_key(ListKind.ADDRESS, spelled) == "广东深圳南山区科技园1号"


def test_autonomous_regions_municipalities_and_a_city_written_twice_are_one_address() -> None:
    assert list_key("address", "广西壮族自治区南宁市青秀区民族大道1号") == "广西南宁青秀区民族大道1号"
    assert list_key("address", "广西自治区南宁青秀区民族大道1号") == "广西南宁青秀区民族大道1号"
    assert list_key("address", "上海市上海市浦东新区世纪大道1198号") == "上海浦东新区世纪大道1198号"
    assert list_key("address", "上海 浦东新区 世纪大道1198号") == "上海浦东新区世纪大道1198号"


def test_a_district_keeps_its_suffix_and_other_addresses_stay_apart() -> None:
    assert list_key("address", "北京市朝阳区建国路88号") != list_key("address", "北京市朝阳建国路88号")
    assert list_key("address", "广东省深圳市南山区1号") != list_key("address", "广东省深圳市福田区1号")


def test_an_address_given_as_an_orders_mapping_is_its_parts_in_order() -> None:
    address = {
        "province": "广东省",
        "city": "深圳市",
        "district": "南山区",
        "detail": "科技园1号",
        "postcode": "x",
    }
    assert value_keys("address", address) == [list_key("address", "广东深圳南山区科技园1号")]


@pytest.mark.parametrize(
    "spelled",
    ["13800000000", "+86 138-0000-0000", "0086 13800000000", "8613800000000", "１３８ ００００ ００００"],
)
def test_the_spellings_of_one_mobile_give_one_key(spelled: str) -> None:
    assert list_key(ListKind.MOBILE, spelled) == "13800000000"


def test_skus_customers_and_text() -> None:
    assert list_key("sku", " mask-n95 ") == list_key("sku", "MASK-N95") == "MASK-N95"
    assert list_key("customer", "w100231") == "W100231"
    assert list_key("customer", "+86 139 1234 5678") == "13912345678"
    assert list_key("text", "Hello World") == "helloworld"


def test_value_keys_of_lists_and_of_values_no_list_holds() -> None:
    assert value_keys("sku", ["a-1", "A-1 ", "b-2"]) == ["A-1", "B-2"]
    assert value_keys("mobile", None) == []
    assert value_keys("mobile", True) == []
    assert value_keys("mobile", 13800000000) == ["13800000000"]
    assert value_keys("mobile", "   ") == []


def test_an_orders_customer_is_its_account_else_its_mobile() -> None:
    assert (
        customer_key({"account": {"account_no": " w100231"}, "contact": {"mobile": "139"}})
        == "account:W100231"
    )
    assert customer_key({"customer": {"mobile": "+86 138 1234 5678"}}) == "mobile:13812345678"
    assert customer_key({"contact": {"mobile": "13912345678"}}) == "mobile:13912345678"
    assert customer_key({"mobile": "13912345678"}) == "mobile:13912345678"
    assert customer_key({"customer": {"name": "王芳"}}) is None
    assert customer_key({}) is None


KINDS = st.sampled_from(list(ListKind))


@given(KINDS, st.text(max_size=40))
def test_a_key_is_its_own_key(kind: ListKind, text: str) -> None:
    key = list_key(kind, text)
    assert list_key(kind, key) == key


PROVINCES = st.sampled_from([(full, short) for full, short, _en in REGIONS])
CITIES = st.sampled_from(["深圳", "南宁", "杭州", "乌鲁木齐", "呼和浩特", "济南", "苏州"])
DISTRICTS = st.sampled_from(["南山区", "青秀区", "西湖区", "天山区", "市中区", "吴中区", "昆山"])
DETAILS = st.text(alphabet="科技园路号栋单元室0123456789ABab", min_size=1, max_size=20)
SPACES = st.sampled_from(["", " ", "\u3000", "  ", "\t"])


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "0" <= c <= "9" or "A" <= c <= "z" else c for c in text)


@given(
    PROVINCES,
    CITIES,
    DISTRICTS,
    DETAILS,
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.lists(SPACES, min_size=4, max_size=4),
)
def test_every_spelling_of_one_address_gives_the_key_of_its_plainest_spelling(
    province: tuple[str, str],
    city: str,
    district: str,
    detail: str,
    full_province: bool,
    with_shi: bool,
    wide: bool,
    gaps: list[str],
) -> None:
    full, short = province
    plain = short + city + district + detail
    written = (full if full_province else short) + gaps[0] + city + ("市" if with_shi else "") + gaps[1]
    written += district + gaps[2] + (_fullwidth(detail) if wide else detail) + gaps[3]
    assert unicodedata.normalize("NFKC", _fullwidth(detail)) == detail
    assert list_key("address", written) == list_key("address", plain)
