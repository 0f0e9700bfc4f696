"""Scrubbing personal data out of free text that one party writes and another reads (DESIGN §6).

Wish titles and texts, rejection and hold reasons, delivery notes and the 幸福码 page pass through
``scrub_text``. People write a phone number as ``138 1234 5678``, ``138.1234.5678``,
``一三八一二三四五六七八`` or ``１３８…``; so the text is first *normalised* and matched there, and
each finding is replaced in the *original* text:

1. normalise — a one-to-one translation (full-width forms → ASCII, Chinese numerals → digits, other
   scripts' digits → digits) keeps every index; then separators between digits (spaces, dots,
   dashes, slashes, middle dots, brackets, commas) are dropped, with a map from each normalised
   character back to the original;
2. detect — digit runs that are phones, resident ID numbers or bank cards, e-mail addresses,
   WeChat/QQ ids, street addresses and house numbers, and the household's own names;
3. replace each finding, in the original text, with ``***``.

Structural checks (an ID's birth date or check digit, a card's Luhn digit, a mobile's prefix) decide
whether digits that were *joined across separators* are personal, so that prices, dates, sizes and
item codes come through unchanged. A run of 11 or more digits written together is removed whatever
it is, as before.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

REDACTED = "***"

# Chinese numerals as people dictate numbers digit by digit (幺 for 1 on the phone, 两 for 2,
# 〇/○ for 0 as in 二〇二六) and the financial forms (壹贰叁…).
CHINESE_DIGITS = {
    "〇": "0",
    "○": "0",
    "零": "0",
    "洞": "0",
    "一": "1",
    "壹": "1",
    "幺": "1",
    "二": "2",
    "贰": "2",
    "貳": "2",
    "两": "2",
    "兩": "2",
    "三": "3",
    "叁": "3",
    "參": "3",
    "四": "4",
    "肆": "4",
    "五": "5",
    "伍": "5",
    "六": "6",
    "陆": "6",
    "陸": "6",
    "七": "7",
    "柒": "7",
    "拐": "7",
    "八": "8",
    "捌": "8",
    "九": "9",
    "玖": "9",
}
# Between two digits these join them: 138 1234 5678, 138-1234-5678, 138.1234.5678, 138·1234…
SEPARATORS = " \t\u00a0.-/·•・_,，、。()（）‐‑‒–—―−~～"
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "令狐",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "轩辕",
        "百里",
        "呼延",
        "万俟",
        "闻人",
        "澹台",
        "公冶",
        "申屠",
        "太史",
        "赫连",
        "钟离",
        "宗政",
        "濮阳",
        "淳于",
        "单于",
    ]
)


@cache
def _table() -> dict[int, str]:
    """One character → one character, so indices into the text stay valid."""
    table: dict[int, str] = {}
    for cp in range(0x80, 0x1FC00):
        digit = unicodedata.decimal(chr(cp), None)
        if digit is not None:
            table[cp] = str(digit)
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII
        table[cp] = chr(cp - 0xFEE0)
    for cp in range(0x2460, 0x2469):  # ①…⑨
        table[cp] = str(cp - 0x245F)
    table[0x24EA] = "0"  # ⓪
    table[0x3000] = " "  # ideographic space
    table[0xFE6B] = "@"  # small commercial at
    for char, value in CHINESE_DIGITS.items():
        table[ord(char)] = value
    return table


@dataclass(frozen=True)
class Normalised:
    """The normalised text and, for each of its characters, its index in the original."""

    text: str
    origin: Sequence[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalised characters ``[start, end)``."""
        return self.origin[start], self.origin[end - 1] + 1


_SEP_BETWEEN_DIGITS = re.compile(rf"(?<=\d)[{re.escape(SEPARATORS)}]{{1,3}}(?=\d)")


def normalise(text: str) -> Normalised:
    """Full-width → ASCII, Chinese numerals → digits, separators between digits dropped."""
    translated = text.translate(_table())
    kept: list[range] = []
    pieces: list[str] = []
    last = 0
    for m in _SEP_BETWEEN_DIGITS.finditer(translated):
        kept.append(range(last, m.start()))
        pieces.append(translated[last : m.start()])
        last = m.end()
    if not pieces:
        return Normalised(translated, range(len(text)))
    kept.append(range(last, len(translated)))
    pieces.append(translated[last:])
    origin: list[int] = []
    for r in kept:
        origin.extend(r)
    return Normalised("".join(pieces), origin)


# Digit runs: phones, resident ID numbers, bank cards ---------------------------------------------

_MOBILE = re.compile(r"(?:0086|86)?1[3-9]\d{9}")
_LANDLINE = re.compile(r"0(?:10|2\d|[3-9]\d{2})[2-9]\d{6,7}")
_BIRTH = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID18 = re.compile(rf"[1-9]\d{{5}}(?:18|19|20)\d{{2}}{_BIRTH}\d{{3}}[\dXx]")
_ID17 = re.compile(rf"[1-9]\d{{5}}(?:18|19|20)\d{{2}}{_BIRTH}\d{{3}}")  # check character apart
_ID15 = re.compile(rf"[1-9]\d{{5}}\d{{2}}{_BIRTH}\d{{3}}")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_DIGIT_RUN = re.compile(r"[0-9]+(?:[Xx](?![A-Za-z0-9]))?")
# Digits written together this long are personal whatever they are (IDs, phones, cards, accounts).
LONG_RUN = 11


def id_check_ok(value: str) -> bool:
    """GB 11643 (ISO 7064 MOD 11-2) check character of an 18-character resident ID number."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == value[17].upper()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def classify_digits(value: str) -> int:
    """How surely a digit string (joined across separators) is personal: 0 = not at all."""
    if _MOBILE.fullmatch(value) or _ID18.fullmatch(value) or id_check_ok(value):
        return 4
    if _LANDLINE.fullmatch(value) or _ID17.fullmatch(value) or _ID15.fullmatch(value):
        return 3
    # Bank cards: UnionPay (62…) however written; Visa, Mastercard, JCB… when the Luhn digit agrees
    # (it keeps a list of sizes or a date range joined by separators from counting as a card).
    card = 16 <= len(value) <= 19 and value.isdigit()
    if card and (value.startswith("62") or (value[0] in "3456" and luhn_ok(value))):
        return 2
    return 0


@dataclass(frozen=True)
class _Group:
    """Digits written together in the original (a run of the normalised text splits into these at
    dropped separators and where Arabic digits meet Chinese numerals)."""

    start: int
    end: int
    digits: str


def _groups(norm: Normalised, start: int, end: int, original: str) -> list[_Group]:
    groups: list[_Group] = []
    g0 = start
    for k in range(start + 1, end + 1):
        if k < end:
            joined = norm.origin[k] == norm.origin[k - 1] + 1
            same_script = (original[norm.origin[k]] in CHINESE_DIGITS) == (
                original[norm.origin[k - 1]] in CHINESE_DIGITS
            )
            if joined and same_script:
                continue
        groups.append(_Group(g0, k, norm.text[g0:k]))
        g0 = k
    return groups


def _digit_findings(norm: Normalised, original: str) -> Iterable[tuple[int, int]]:
    for run in _DIGIT_RUN.finditer(norm.text):
        groups = _groups(norm, run.start(), run.end(), original)
        # Digits written together this long go whole; the search below never extends them.
        long = [len(g.digits.rstrip("Xx")) >= LONG_RUN for g in groups]
        for group, is_long in zip(groups, long, strict=True):
            if is_long:
                yield norm.span(group.start, group.end)
        i = 0
        while i < len(groups):
            best: tuple[int, int, int] | None = None  # (certainty, length, last group)
            value = ""
            for j in range(i, len(groups)):
                if long[j]:
                    break
                value += groups[j].digits
                if len(value) > 20:
                    break
                certainty = classify_digits(value) if len(value) >= 10 else 0
                if certainty and (best is None or (certainty, len(value)) > best[:2]):
                    best = (certainty, len(value), j)
            if best is None:
                i += 1
                continue
            yield norm.span(groups[i].start, groups[best[2]].end)
            i = best[2] + 1


# Digits after a word that announces them (电话 87654321, QQ 12345678, 卡号 …) ---------------------

_ANNOUNCED = re.compile(
    r"(?:(?<![A-Za-z])(?:tel|phone|mobile|call|qq|wx|vx)(?![A-Za-z])"
    r"|电话|手机|座机|号码|热线|致电|拨打|打给|联系|身份证|证件|卡号|银行卡|账号|帐号|账户|户号"
    r"|扣扣|企鹅|微信|威信|薇信|v信)"
    r"[^\d\n]{0,6}?(\d{5,}[Xx]?)",
    re.IGNORECASE,
)

# E-mail addresses and WeChat/QQ ids ------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*+\s*(?:@|\(at\)|\[at\]|（at）)\s*"
    r"[A-Za-z0-9-]+(?:\s*(?:\.|\(dot\)|\[dot\])\s*[A-Za-z0-9-]+)*\s*(?:\.|\(dot\)|\[dot\])\s*[A-Za-z]{2,}",
    re.IGNORECASE,
)
_CHAT_ID = re.compile(
    r"(?:(?:微信|威信|薇信|扣扣|企鹅|v信)\s*(?:号码|号|账号|帐号|id)?\s*[:：=是为]?"
    r"|(?<![A-Za-z])(?:weixin|wechat|vx|wx|qq|v)\s*(?:号码|号|账号|帐号|id)?(?:\s*[:：=是为]|\s)"
    r"|(?<![A-Za-z])(?=wxid_))"
    r"\s*(?P<id>[A-Za-z][-_A-Za-z0-9]{4,29})(?![-_A-Za-z0-9])",
    re.IGNORECASE,
)

# Street addresses and house numbers ------------------------------------------------------------

_NUM = r"[0-9十百千]++"
_UNIT = r"(?:号楼|号院|号|幢|栋|座|单元|室|楼|层|弄|组)"
_STRONG_UNITS = ("号楼", "号院", "幢", "栋", "弄", "单元")
_BUILDING_WORDS = tuple("房楼屋")
# A road, lane or estate name: up to 8 characters that are not a verb or particle around it
# (住在 / 送到 / 的 …), so that "我家住在解放路100号" loses the address, not the sentence.
_ROAD_NAME = (
    r"(?:(?![住在是的了到于从我你他她们送给往和与及或近旁边])[\u4e00-\u9fffA-Za-z]){1,8}?"
    r"(?:路|街|巷|弄|胡同|大道|小区|花园|公寓|新村|家园|苑|村|社区|大厦)"
)
_CHAIN = re.compile(rf"(?<![0-9十百千])(?:{_NUM}\s*{_UNIT}\s*)+")
_COMPONENT = re.compile(rf"({_NUM})\s*({_UNIT})")
_ROAD = re.compile(
    rf"{_ROAD_NAME}\s*(?:(?:{_NUM}\s*{_UNIT}\s*)+|[0-9]{{1,5}}(?=[\s,，。.;；:：!！?？)）]|$))"
)


def _chain_is_address(text: str, start: int, chain: str) -> bool:
    """3幢201室, 2单元, 5号楼, 12弄, 1203室, 6号3幢 — but not 2室1厅, 第3单元, 1号2号, 12月3号."""
    parts = _COMPONENT.findall(chain)
    units = [u for _n, u in parts]
    if len(parts) == 1 and text[start + len(chain) : start + len(chain) + 1] in _BUILDING_WORDS:
        return False  # 两栋房子: a count of buildings
    if any(u in _STRONG_UNITS for u in units):
        return not (units == ["单元"] and text[max(0, start - 1) : start] == "第")
    if any(u == "室" and len(n) >= 3 for n, u in parts):
        return True
    return len(parts) >= 2 and len(set(units)) >= 2


def _address_findings(norm: Normalised) -> Iterable[tuple[int, int]]:
    text = norm.text
    for m in _ROAD.finditer(text):
        yield norm.span(m.start(), m.end())
    for m in _CHAIN.finditer(text):
        chain = m.group().rstrip()
        if _chain_is_address(text, m.start(), chain):
            yield norm.span(m.start(), m.start() + len(chain))


# Names -------------------------------------------------------------------------------------------


def name_variants(name: str) -> list[str]:
    """The full name and, when it has at least two characters, the given name alone."""
    name = re.sub(r"[\s·•・.]", "", name)
    if len(name) < 2:
        return []
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]
    given = name[len(surname) :]
    return [name, given] if len(given) >= 2 else [name]


@lru_cache(maxsize=4096)
def _name_pattern(variant: str) -> re.Pattern[str]:
    # 欧阳 秀兰, 欧阳·秀兰: separators between the characters do not hide a name.
    return re.compile(r"[\s·•・.]{0,2}".join(re.escape(ch) for ch in variant))


def _name_findings(text: str, names: Iterable[str]) -> Iterable[tuple[int, int]]:
    variants = {v for name in names for v in name_variants(name)}
    for variant in sorted(variants, key=len, reverse=True):
        if variant[0] not in text:  # the usual case, and no pattern to compile (bulk imports)
            continue
        for m in _name_pattern(variant).finditer(text):
            yield m.span()


# Putting it together ----------------------------------------------------------------------------


def findings(text: str, names: Iterable[str] = ()) -> list[tuple[int, int]]:
    """The spans of the original text that hold personal data, sorted and merged."""
    norm = normalise(text)
    spans: list[tuple[int, int]] = []
    spans += _digit_findings(norm, text)
    spans += (norm.span(*m.span(1)) for m in _ANNOUNCED.finditer(norm.text))
    spans += (norm.span(*m.span()) for m in _EMAIL.finditer(norm.text))
    spans += (norm.span(*m.span("id")) for m in _CHAT_ID.finditer(norm.text))
    spans += _address_findings(norm)
    spans += _name_findings(text, names)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def scrub_text(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with every phone, ID number, bank card, e-mail, WeChat/QQ id, street address or
    house number, and each of ``names`` (full or given name), replaced by ``***``."""
    if not text:
        return text
    out: list[str] = []
    last = 0
    for start, end in findings(text, names):
        out.append(text[last:start])
        out.append(REDACTED)
        last = end
    out.append(text[last:])
    return "".join(out)
