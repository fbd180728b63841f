"""The 34 provincial-level divisions of China (省级行政区): the one table the option source ``regions``
(plugins/options.py) lists and the address normaliser of managed lists (``engine.rules.named_lists``)
reads, so a province is spelled the same way everywhere; and the English names of the cities and the
districts addresses name (the provincial capitals and the other large cities, the districts the demo's
and the tests' addresses use), so an English page reads an address in English as far as it knows it
(``西安市 雁塔区`` is Xi'an, Yanta District), in pinyin, the usual English form."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engine.common.text import Text

__all__ = ["CITIES", "CITY_NAMES", "DISTRICTS", "DISTRICT_NAMES", "PLACE_NAMES", "PROVINCE_NAMES", "REGIONS"]

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

# (full name, short name, English name): the cities addresses name, the four municipalities among them.
CITIES: tuple[tuple[str, str, str], ...] = (
    ("北京市", "北京", "Beijing"),
    ("上海市", "上海", "Shanghai"),
    ("天津市", "天津", "Tianjin"),
    ("重庆市", "重庆", "Chongqing"),
    ("广州市", "广州", "Guangzhou"),
    ("深圳市", "深圳", "Shenzhen"),
    ("东莞市", "东莞", "Dongguan"),
    ("佛山市", "佛山", "Foshan"),
    ("杭州市", "杭州", "Hangzhou"),
    ("宁波市", "宁波", "Ningbo"),
    ("南京市", "南京", "Nanjing"),
    ("苏州市", "苏州", "Suzhou"),
    ("无锡市", "无锡", "Wuxi"),
    ("成都市", "成都", "Chengdu"),
    ("武汉市", "武汉", "Wuhan"),
    ("西安市", "西安", "Xi'an"),
    ("青岛市", "青岛", "Qingdao"),
    ("济南市", "济南", "Jinan"),
    ("厦门市", "厦门", "Xiamen"),
    ("福州市", "福州", "Fuzhou"),
    ("长沙市", "长沙", "Changsha"),
    ("郑州市", "郑州", "Zhengzhou"),
    ("沈阳市", "沈阳", "Shenyang"),
    ("大连市", "大连", "Dalian"),
    ("昆明市", "昆明", "Kunming"),
    ("合肥市", "合肥", "Hefei"),
    ("南昌市", "南昌", "Nanchang"),
    ("石家庄市", "石家庄", "Shijiazhuang"),
    ("太原市", "太原", "Taiyuan"),
    ("呼和浩特市", "呼和浩特", "Hohhot"),
    ("长春市", "长春", "Changchun"),
    ("哈尔滨市", "哈尔滨", "Harbin"),
    ("南宁市", "南宁", "Nanning"),
    ("海口市", "海口", "Haikou"),
    ("贵阳市", "贵阳", "Guiyang"),
    ("拉萨市", "拉萨", "Lhasa"),
    ("兰州市", "兰州", "Lanzhou"),
    ("西宁市", "西宁", "Xining"),
    ("银川市", "银川", "Yinchuan"),
    ("乌鲁木齐市", "乌鲁木齐", "Urumqi"),
)

# (name, English name): the districts addresses name. One name may be a district of several cities (鼓楼区
# of Nanjing, Fuzhou, Xuzhou): its English name is the same in each.
DISTRICTS: tuple[tuple[str, str], ...] = (
    ("朝阳区", "Chaoyang District"),
    ("海淀区", "Haidian District"),
    ("东城区", "Dongcheng District"),
    ("西城区", "Xicheng District"),
    ("浦东新区", "Pudong New Area"),
    ("徐汇区", "Xuhui District"),
    ("黄浦区", "Huangpu District"),
    ("静安区", "Jing'an District"),
    ("长宁区", "Changning District"),
    ("天河区", "Tianhe District"),
    ("越秀区", "Yuexiu District"),
    ("南山区", "Nanshan District"),
    ("福田区", "Futian District"),
    ("罗湖区", "Luohu District"),
    ("宝安区", "Bao'an District"),
    ("西湖区", "Xihu District"),
    ("上城区", "Shangcheng District"),
    ("拱墅区", "Gongshu District"),
    ("滨江区", "Binjiang District"),
    ("鼓楼区", "Gulou District"),
    ("秦淮区", "Qinhuai District"),
    ("玄武区", "Xuanwu District"),
    ("姑苏区", "Gusu District"),
    ("武侯区", "Wuhou District"),
    ("锦江区", "Jinjiang District"),
    ("洪山区", "Hongshan District"),
    ("江汉区", "Jianghan District"),
    ("雁塔区", "Yanta District"),
    ("市南区", "Shinan District"),
    ("思明区", "Siming District"),
    ("岳麓区", "Yuelu District"),
    ("渝中区", "Yuzhong District"),
    ("和平区", "Heping District"),
    ("金水区", "Jinshui District"),
    ("五华区", "Wuhua District"),
)

# A city, by its full and its short name, and a district, as a page names it in each language.
CITY_NAMES: Mapping[str, Text] = MappingProxyType(
    {name: Text(name, en) for full, short, en in CITIES for name in (full, short)}
)
DISTRICT_NAMES: Mapping[str, Text] = MappingProxyType({name: Text(name, en) for name, en in DISTRICTS})
# Any part of an address a page names in each language: a province, a city or a district (上海市 is
# Shanghai as a province and as a city).
PLACE_NAMES: Mapping[str, Text] = MappingProxyType({**PROVINCE_NAMES, **CITY_NAMES, **DISTRICT_NAMES})
