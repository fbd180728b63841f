"""The regions table (engine/common/regions.py): each city and district the demo's addresses name reads
in English, in pinyin; a name is listed once."""

from __future__ import annotations

from demo.loader import ACCOUNTS, APPROVAL_ACCOUNT, PLACES
from engine.common.regions import (
    CITIES,
    CITY_NAMES,
    DISTRICT_NAMES,
    DISTRICTS,
    PLACE_NAMES,
    PROVINCE_NAMES,
)
from engine.common.text import Text


def test_every_city_and_district_of_the_demo_reads_in_english() -> None:
    places = [(city, district) for _, city, district, _, _ in PLACES]
    places += [(a.address_city, a.address_district) for a in (*ACCOUNTS, APPROVAL_ACCOUNT)]
    for city, district in places:
        assert city in CITY_NAMES, city
        assert district in DISTRICT_NAMES, district
    assert CITY_NAMES["西安市"] == Text("西安市", "Xi'an") and CITY_NAMES["西安"] == Text("西安", "Xi'an")
    assert DISTRICT_NAMES["朝阳区"] == Text("朝阳区", "Chaoyang District")


def test_a_name_is_listed_once() -> None:
    cities = [name for full, short, _ in CITIES for name in (full, short)]
    assert len(cities) == len(set(cities))
    districts = [name for name, _ in DISTRICTS]
    assert len(districts) == len(set(districts))
    assert not set(districts) & set(cities)


def test_a_municipality_is_the_same_place_as_a_province_and_as_a_city() -> None:
    for name in ("上海市", "北京", "重庆市", "天津"):
        assert PLACE_NAMES[name].en == PROVINCE_NAMES[name].en == CITY_NAMES[name].en
