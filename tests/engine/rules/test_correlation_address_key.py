"""address_key: the ways one delivery address gets written give one key, and different addresses do not."""

from __future__ import annotations

import pytest

from engine.rules.correlation import address_key

HOME = {
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "世纪大道1198号3栋2单元1202室",
}


@pytest.mark.parametrize(
    "written",
    [
        {**HOME, "detail": "世纪大道 1198号 3栋 2单元 1202室"},  # spaces between the parts
        {**HOME, "detail": "世纪大道\u30001198号\u30003栋2单元1202室"},  # full-width (ideographic) spaces
        {**HOME, "detail": "世纪大道１１９８号３栋２单元１２０２室"},  # full-width digits
        {**HOME, "detail": " 世纪大道1198号3栋2单元1202室\t\n"},  # around it, tabs and newlines too
        {**HOME, "province": "上海"},  # the province as routing names it
        {**HOME, "province": " 上海市 ", "district": "浦东 新区"},
    ],
)
def test_spacing_and_full_width_variants_share_the_key(written: dict[str, str]) -> None:
    assert address_key(written) == address_key(HOME) == "上海|上海市|浦东新区|世纪大道1198号3栋2单元1202室"


def test_latin_letters_fold_to_half_width_lower_case() -> None:
    tower = {**HOME, "detail": "陆家嘴 ＩＦＣ 二期 Tower B"}
    assert address_key(tower) == address_key({**HOME, "detail": "陆家嘴ifc二期towerb"})
    assert address_key(tower) is not None and address_key(tower).endswith("|陆家嘴ifc二期towerb")


@pytest.mark.parametrize(
    "other",
    [
        {**HOME, "detail": "世纪大道1198号3栋2单元1203室"},  # the neighbour's flat
        {**HOME, "district": "黄浦区"},
        {"province": "广东省", "city": "广州市", "district": "天河区", "detail": HOME["detail"]},
    ],
)
def test_other_addresses_keep_their_own_key(other: dict[str, str]) -> None:
    assert address_key(other) != address_key(HOME)


@pytest.mark.parametrize(
    "incomplete",
    [
        None,
        "上海市浦东新区",
        {},
        {**HOME, "detail": "  \u3000 "},
        {**HOME, "city": None},
        {**HOME, "district": 7},
    ],
)
def test_an_incomplete_address_has_no_key(incomplete: object) -> None:
    assert address_key(incomplete) is None


def test_a_key_too_long_for_the_customers_column_is_its_digest() -> None:
    long_street = {**HOME, "detail": "\ufdfa" * 200}  # NFKC makes each of these 18 characters
    key = address_key(long_street)
    assert key is not None and key.startswith("sha256:") and len(key) == 71
    assert address_key({**long_street, "detail": " " + long_street["detail"]}) == key  # still one key
    assert address_key({**HOME, "detail": "世纪大道1198号"}) == "上海|上海市|浦东新区|世纪大道1198号"
