"""The 34 provincial-level divisions of China (省级行政区): the one table the option source ``regions``
(plugins/options.py) lists and the address normaliser of managed lists (``engine.rules.named_lists``)
reads, so a province is spelled the same way everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engine.common.text import Text

__all__ = ["PROVINCE_NAMES", "REGIONS"]

# (full name, short name, English name)
REGIONS: tuple[tuple[str, str, str], ...] = (
    ("北京市", "北京", "Beijing"),
    ("天津市", "天津", "Tianjin"),
    ("河北省", "河北", "Hebei"),
    ("山西省", "山西", "Shanxi"),
    ("内蒙古自治区", "内蒙古", "Inner Mongolia"),
    ("辽宁省", "辽宁", "Liaoning"),
    ("吉林省", "吉林", "Jilin"),
    ("黑龙江省", "黑龙江", "Heilongjiang"),
    ("上海市", "上海", "Shanghai"),
    ("江苏省", "江苏", "Jiangsu"),
    ("浙江省", "浙江", "Zhejiang"),
    ("安徽省", "安徽", "Anhui"),
    ("福建省", "福建", "Fujian"),
    ("江西省", "江西", "Jiangxi"),
    ("山东省", "山东", "Shandong"),
    ("河南省", "河南", "Henan"),
    ("湖北省", "湖北", "Hubei"),
    ("湖南省", "湖南", "Hunan"),
    ("广东省", "广东", "Guangdong"),
    ("广西壮族自治区", "广西", "Guangxi"),
    ("海南省", "海南", "Hainan"),
    ("重庆市", "重庆", "Chongqing"),
    ("四川省", "四川", "Sichuan"),
    ("贵州省", "贵州", "Guizhou"),
    ("云南省", "云南", "Yunnan"),
    ("西藏自治区", "西藏", "Tibet"),
    ("陕西省", "陕西", "Shaanxi"),
    ("甘肃省", "甘肃", "Gansu"),
    ("青海省", "青海", "Qinghai"),
    ("宁夏回族自治区", "宁夏", "Ningxia"),
    ("新疆维吾尔自治区", "新疆", "Xinjiang"),
    ("台湾省", "台湾", "Taiwan"),
    ("香港特别行政区", "香港", "Hong Kong"),
    ("澳门特别行政区", "澳门", "Macao"),
)

# A province as a page names it in each language, by its full and its short name (上海市 and 上海 are
# Shanghai on an English page): what a field offered from the regions option source shows.
PROVINCE_NAMES: Mapping[str, Text] = MappingProxyType(
    {name: Text(name, en) for full, short, en in REGIONS for name in (full, short)}
)
