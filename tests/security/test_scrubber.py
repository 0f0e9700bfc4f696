"""The scrubber's corpus (DESIGN §6, issue 11): personal data in the notations people really use —
grouped, dotted, in Chinese numerals, full-width, as bank cards, e-mails, WeChat/QQ ids, addresses
and the household's own names — never reaches another party; ordinary numbers (prices, dates,
quantities, item codes, sizes, ages) come through unchanged."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from marketplace.services.privacy import scrub_text
from marketplace.services.scrubber import REDACTED, normalise

P = pytest.param

# (sentence, the personal data as written in it, a word of the sentence that must survive)
PERSONAL = [
    # Mobile phones
    P("给老人买台电饭煲，联系电话13812345678", "13812345678", "电饭煲", id="mobile-plain"),
    P("想要一台电风扇，电话 138 1234 5678", "138 1234 5678", "电风扇", id="mobile-spaces"),
    P("需要棉被两床，手机138.1234.5678", "138.1234.5678", "棉被", id="mobile-dots"),
    P("想要一个书包，请打138-1234-5678", "138-1234-5678", "书包", id="mobile-dashes"),
    P("老人需要助听器，电话138·1234·5678", "138·1234·5678", "助听器", id="mobile-middle-dots"),
    P("要一台收音机 电话：138/1234/5678", "138/1234/5678", "收音机", id="mobile-slashes"),
    P(
        "需要轮椅，孙女手机一三八一二三四五六七八",
        "一三八一二三四五六七八",
        "轮椅",
        id="mobile-chinese",
    ),
    P(
        "想要电热毯，号码幺三八幺二三四五六七八",
        "幺三八幺二三四五六七八",
        "电热毯",
        id="mobile-yao",
    ),
    P(
        "需要米和油，手机：１３８１２３４５６７８",
        "１３８１２３４５６７８",
        "米和油",
        id="mobile-fullwidth",
    ),
    P(
        "想要保温杯，电话１３８ １２３４ ５６７８",
        "１３８ １２３４ ５６７８",
        "保温杯",
        id="mobile-fullwidth-groups",
    ),
    P("需要台灯，电话138一二三四5678", "138一二三四5678", "台灯", id="mobile-mixed-scripts"),
    P("送米面粮油，联系+86 138 1234 5678", "138 1234 5678", "粮油", id="mobile-country-code"),
    P("想要羽绒服，电话8613812345678", "8613812345678", "羽绒服", id="mobile-86-prefix"),
    P(
        "需要一辆助行车 1 3 8 1 2 3 4 5 6 7 8",
        "1 3 8 1 2 3 4 5 6 7 8",
        "助行车",
        id="mobile-spaced-digits",
    ),
    P(
        "想要一双棉鞋，手机壹叁捌壹贰叁肆伍陆柒捌",
        "壹叁捌壹贰叁肆伍陆柒捌",
        "棉鞋",
        id="mobile-financial",
    ),
    P(
        "需要血压计，电话一三八 一二三四 五六七八",
        "一三八 一二三四 五六七八",
        "血压计",
        id="mobile-chinese-groups",
    ),
    P("要一台微波炉，电话（138）1234-5678", "1234-5678", "微波炉", id="mobile-brackets"),
    P("需要净水器，电话138—1234—5678", "138—1234—5678", "净水器", id="mobile-long-dashes"),
    # Landlines
    P("想要一台取暖器，座机0571-87654321", "0571-87654321", "取暖器", id="landline-dash"),
    P("需要电视机，电话(0571)8765 4321", "8765 4321", "电视机", id="landline-brackets"),
    P("需要冰箱，家里电话 0571 8765 4321", "0571 8765 4321", "冰箱", id="landline-spaces"),
    P("要一床毛毯，电话010-12345678", "010-12345678", "毛毯", id="landline-beijing"),
    P("需要洗衣机，电话87654321", "87654321", "洗衣机", id="landline-local"),
    P(
        "想要暖水袋，座机〇五七一八七六五四三二一",
        "〇五七一八七六五四三二一",
        "暖水袋",
        id="landline-chinese",
    ),
    # Resident ID numbers
    P("孩子需要学习桌，身份证330102198001011234", "330102198001011234", "学习桌", id="id-plain"),
    P(
        "需要护理床，身份证 3301 0219 8001 0112 34",
        "3301 0219 8001 0112 34",
        "护理床",
        id="id-groups-of-4",
    ),
    P("需要眼镜，证件号330102 19800101 1234", "330102 19800101 1234", "眼镜", id="id-6-8-4"),
    P("想要字典，身份证号330102-1980-0101-123X", "330102-1980-0101-123X", "字典", id="id-dashes-x"),
    P("需要拐杖，身份证33010219800101123x", "33010219800101123x", "拐杖", id="id-lower-x"),
    P(
        "需要助浴椅 身份证三三〇一〇二一九八〇〇一〇一一二三四",
        "三三〇一〇二一九八〇〇一〇一一二三四",
        "助浴椅",
        id="id-chinese",
    ),
    P(
        "需要尿不湿，身份证３３０１０２１９８００１０１１２３４",
        "３３０１０２１９８００１０１１２３４",
        "尿不湿",
        id="id-fullwidth",
    ),
    P(
        "老人想要老花镜，身份证330102.1980.0101.1234",
        "330102.1980.0101.1234",
        "老花镜",
        id="id-dots",
    ),
    P("需要一个药箱，老身份证330102800101123", "330102800101123", "药箱", id="id-15-digit"),
    P("需要棉衣，老身份证 330102 800101 123", "330102 800101 123", "棉衣", id="id-15-digit-groups"),
    P("需要被褥 11010519491231002X 谢谢", "11010519491231002X", "被褥", id="id-no-keyword"),
    P(
        "需要被褥 110105 19491231 002X 谢谢",
        "110105 19491231 002X",
        "被褥",
        id="id-no-keyword-groups",
    ),
    # Bank cards
    P("请把钱打到银行卡6222021234567890123", "6222021234567890123", "银行卡", id="card-plain"),
    P(
        "需要电动车，卡号6222 0212 3456 7890 123",
        "6222 0212 3456 7890 123",
        "电动车",
        id="card-groups",
    ),
    P("需要电动车，卡号6222-0212-3456-7890", "6222-0212-3456-7890", "电动车", id="card-dashes"),
    P("帮忙缴电费 4111 1111 1111 1111", "4111 1111 1111 1111", "电费", id="card-visa-luhn"),
    P(
        "需要学费，卡号陆贰贰贰零贰壹贰叁肆伍陆柒捌玖零",
        "陆贰贰贰零贰壹贰叁肆伍陆柒捌玖零",
        "学费",
        id="card-financial",
    ),
    P("需要学费 5555.5555.5555.4444", "5555.5555.5555.4444", "学费", id="card-mastercard-dots"),
    # E-mail addresses
    P("需要打印机，邮箱zhangsan@qq.com", "zhangsan@qq.com", "打印机", id="email-plain"),
    P("需要课外书，发邮件到 li.si_88@163.com 谢谢", "li.si_88@163.com", "课外书", id="email-dots"),
    P(
        "需要电脑，邮箱ｗａｎｇ＠１２６．ｃｏｍ",
        "ｗａｎｇ＠１２６．ｃｏｍ",
        "电脑",
        id="email-fullwidth",
    ),
    P(
        "需要书包，邮箱 wangwu (at) sina (dot) com",
        "wangwu (at) sina (dot) com",
        "书包",
        id="email-at-dot",
    ),
    P("需要手机，邮箱12345678@qq.com", "12345678@qq.com", "手机", id="email-digits"),
    # WeChat and QQ ids
    P("想要一个暖手宝，微信 abc_123", "abc_123", "暖手宝", id="wechat-space"),
    P("需要助听器，加微信：zhang_san88", "zhang_san88", "助听器", id="wechat-colon"),
    P("需要轮椅，vx:lisi2020", "lisi2020", "轮椅", id="vx-colon"),
    P("需要棉被，加我wx: wangwu_1990", "wangwu_1990", "棉被", id="wx-colon"),
    P("需要米，微信号是Laowang-66", "Laowang-66", "米", id="wechat-is"),
    P("需要食用油 wxid_abcd1234", "wxid_abcd1234", "食用油", id="wxid"),
    P("需要电风扇，QQ 12345678", "12345678", "电风扇", id="qq-space"),
    P("需要学习机，qq号：87654321", "87654321", "学习机", id="qq-colon"),
    P("需要书架，扣扣一二三四五六七八", "一二三四五六七八", "书架", id="qq-chinese"),
    P("需要毛衣，微信同手机13812345678", "13812345678", "毛衣", id="wechat-same-as-phone"),
    P("需要保暖内衣，V信 zhaoliu_1", "zhaoliu_1", "保暖内衣", id="v-xin"),
    # Addresses and house numbers
    P("需要棉被，住解放路100号3幢201室", "解放路100号", "棉被", id="address-road"),
    P("送到望江路777号9幢1203室", "777号9幢1203室", "送到", id="address-full"),
    P("需要热水器，凤起路818弄6号", "凤起路818弄6号", "热水器", id="address-lane"),
    P("需要大米，清泰街999号2单元301室", "999号2单元301室", "大米", id="address-unit-room"),
    P("需要棉被，家住3幢201室", "3幢201室", "棉被", id="address-building-room"),
    P("需要衣柜，住5号楼二单元", "5号楼二单元", "衣柜", id="address-building-chinese"),
    P("需要空调，住十八栋三〇二室", "十八栋三〇二室", "空调", id="address-chinese"),
    P("需要书桌，住1203室", "1203室", "书桌", id="address-room"),
    P("需要米面，中山路12-3号", "中山路12-3号", "米面", id="address-dash"),
    P("需要被子，张家村3组12号", "张家村3组12号", "被子", id="address-village"),
    P("需要电饭煲，在延安路１２８号", "延安路１２８号", "电饭煲", id="address-fullwidth"),
    P("需要电视，住在建国北路二百零八号", "建国北路二百零八号", "电视", id="address-positional"),
    P("需要冰箱，学士路88，找王阿姨", "学士路88", "冰箱", id="address-road-number"),
    P("需要煤气灶，翠苑一区6幢", "6幢", "煤气灶", id="address-estate-building"),
]

# The household's own names inside the text.
NAMES = [
    P("欧阳秀兰想要一台电风扇", ["欧阳秀兰"], "欧阳秀兰", "电风扇", id="name-compound-surname"),
    P("给秀兰奶奶买件棉袄", ["欧阳秀兰"], "秀兰", "棉袄", id="name-given-only"),
    P("王建国家需要一床棉被", ["王建国"], "王建国", "棉被", id="name-full"),
    P("建国叔叔腿脚不便，需要轮椅", ["王建国"], "建国", "轮椅", id="name-given-name"),
    P("需要助听器 —— 王 建 国", ["王建国"], "王 建 国", "助听器", id="name-spaced"),
    P("需要书包，孩子叫李小明", ["王建国", "李小明"], "李小明", "书包", id="name-member"),
    P("司马·建国需要米面油", ["司马建国"], "司马·建国", "米面油", id="name-middle-dot"),
]

# Ordinary sentences: nothing in them is personal, so they must come through unchanged.
INNOCENT = [
    P("想要一床棉被，价格约200元", id="price-yuan"),
    P("预算¥200，尽量买厚一点的", id="price-sign"),
    P("价格¥1,299.00以内的电视机", id="price-thousands"),
    P("请在2026年12月1日前送到", id="date-chinese"),
    P("2026-12-01前送到社区", id="date-iso"),
    P("活动时间2026.12.01-2026.12.31", id="date-range"),
    P("12月3号下午送过来", id="date-hao"),
    P("物品编码07-02，电风扇一台", id="item-code"),
    P("老人今年75岁，腿脚不便", id="age"),
    P("需要3个热水瓶和2条毛巾", id="quantities"),
    P("尺码：170/88A，鞋子42码", id="sizes"),
    P("尺码 38 39 40 41 42 43 44 45 都可以", id="size-list"),
    P("需要一副拐杖，一根就够", id="chinese-numerals"),
    P("家里两室一厅，需要两台取暖器", id="flat-layout"),
    P("需要三年级第二单元的练习册", id="textbook-unit"),
    P("两栋房子都漏雨，需要防水布", id="count-of-buildings"),
    P("坐3号线到站后步行10分钟", id="metro-line"),
    P("买1号2号电池各一盒", id="battery-sizes"),
    P("微信支付200元也可以", id="wechat-pay"),
    P("可以用微信联系社区工作人员", id="wechat-word"),
    P("我们村3组的老人都需要棉衣", id="village-group"),
    P("体重65kg，身高1.70米", id="body-measures"),
    P("每天早上8:30送到，共30天", id="times"),
    P("第1季度和第2季度各一次", id="quarters"),
    P("电视机32寸，功率100W", id="appliance-specs"),
    P("需要1.5米宽的床，3-5天内送到", id="widths-and-days"),
]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", normalise(text).text)


@pytest.mark.parametrize(("text", "secret", "keep"), PERSONAL)
def test_personal_data_is_removed(text: str, secret: str, keep: str) -> None:
    out = scrub_text(text)
    assert secret not in out, out
    assert REDACTED in out and keep in out, out
    digits = _digits(secret)
    if len(digits) >= 5:
        # However it was written (groups, Chinese numerals, full-width), the digits are gone.
        assert digits not in _digits(out), out


@pytest.mark.parametrize(("text", "names", "secret", "keep"), NAMES)
def test_household_names_are_removed(text: str, names: list[str], secret: str, keep: str) -> None:
    out = scrub_text(text, names=names)
    assert secret not in out and keep in out and REDACTED in out, out


@pytest.mark.parametrize("text", INNOCENT)
def test_ordinary_text_comes_through_unchanged(text: str) -> None:
    assert scrub_text(text) == text
    assert scrub_text(text, names=["欧阳秀兰", "王建国"]) == text


def test_corpus_size() -> None:
    assert len(PERSONAL) + len(NAMES) >= 60 and len(INNOCENT) >= 15


def test_idempotent_and_empty() -> None:
    once = scrub_text("电话138 1234 5678，住解放路100号")
    assert scrub_text(once) == once
    assert scrub_text("") == ""


# Generated notations: any mobile, ID number or UnionPay card, grouped any way, in any script.

CHINESE = str.maketrans("0123456789", "〇一二三四五六七八九")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
SEPARATOR = st.sampled_from([" ", "-", ".", "/", "·", "  ", " - ", "、", "—"])


@st.composite
def written(draw: st.DrawFn, digits: str) -> str:
    """``digits`` split into groups joined by separators, each group in some script."""
    cuts = sorted(draw(st.sets(st.integers(1, len(digits) - 1), max_size=5)))
    groups = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, len(digits)], strict=True)]
    script = draw(st.sampled_from([None, CHINESE, FULLWIDTH]))
    if script is not None:
        groups = [g.translate(script) for g in groups]
    out = groups[0]
    for g in groups[1:]:
        out += draw(SEPARATOR) + g
    return out


@st.composite
def personal_numbers(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["mobile", "id", "card"]))
    if kind == "mobile":
        digits = draw(st.from_regex(r"\A1[3-9]\d{9}\Z"))
    elif kind == "id":
        born = draw(st.dates(date(1900, 1, 1), date(2025, 12, 31)))
        body = "330102" + born.strftime("%Y%m%d")
        body += draw(st.from_regex(r"\A\d{3}\Z"))
        digits = body + ric.calc_check_digit(body + "0")
        if digits[-1] == "X":
            digits = digits[:-1] + "0"  # keep it all digits for the scripts; structure still holds
    else:
        digits = "62" + draw(st.from_regex(r"\A\d{14,17}\Z"))
    return draw(written(digits))


@settings(max_examples=300, deadline=None)
@given(
    number=personal_numbers(),
    before=st.sampled_from(["需要一台电风扇，", "想要棉被 ", "联系", "", "谢谢。"]),
    after=st.sampled_from(["，谢谢", " 送到社区", "", "。"]),
)
def test_generated_notations_are_removed(number: str, before: str, after: str) -> None:
    out = scrub_text(before + number + after)
    assert _digits(number) not in _digits(out), out
    assert out.startswith(before) and out.endswith(after), out
