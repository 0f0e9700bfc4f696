"""The scrubber's parts (services/scrubber.py): normalisation that keeps every character's place in
the original, the spans it reports, digit classes, check digits and name variants. The corpus of
real-world notations it must remove (and ordinary text it must keep) is the regression test in
tests/security/test_scrubber.py."""

from __future__ import annotations

import pytest

from marketplace.services.scrubber import (
    REDACTED,
    classify_digits,
    findings,
    id_check_ok,
    luhn_ok,
    name_variants,
    normalise,
    scrub_text,
)


def test_normalise_maps_every_notation_of_a_digit_to_ascii_in_place():
    for written in ("１３８", "一三八", "幺叁捌", "①③⑧"):
        norm = normalise(written)
        assert norm.text == "138" and list(norm.origin) == [0, 1, 2], written
    assert normalise("二〇二六年").text == "2026年"
    assert normalise("ＡＢ　ｃ＠ｄ").text == "AB c@d"  # full-width letters, ideographic space, ＠


def test_separators_between_digits_are_dropped_and_positions_kept():
    original = "电话138 1234-5678，谢谢"
    norm = normalise(original)
    assert norm.text == "电话13812345678,谢谢"
    # Each normalised character remembers where it came from.
    for char, origin in zip(norm.text, norm.origin, strict=True):
        assert normalise(original[origin]).text == char
    assert norm.span(2, 13) == (2, 15)  # the digits' span covers the separators between them
    assert original[slice(*norm.span(2, 13))] == "138 1234-5678"
    # A separator that is not between digits stays.
    assert normalise("a - b").text == "a - b" and normalise("1 - ").text == "1 - "
    # At most three separators join digits: a list of sizes stays a list.
    assert normalise("1    2").text == "1    2"


def test_findings_are_spans_of_the_original_text_sorted_and_merged():
    text = "欧阳秀兰，电话１３８ １２３４ ５６７８，住解放路100号3幢201室"
    spans = findings(text, names=["欧阳秀兰"])
    assert [text[a:b] for a, b in spans] == [
        "欧阳秀兰",
        "１３８ １２３４ ５６７８",
        "解放路100号3幢201室",
    ]
    assert spans == sorted(spans)
    # Overlapping findings (the name inside an address) come back as one span.
    overlapping = "王建国路100号"
    merged = findings(overlapping, names=["王建国"])
    assert len(merged) == 1 and merged[0][0] == 0
    assert findings("") == [] and findings("想要一个电饭煲") == []


def test_scrub_text_replaces_each_span_once():
    assert scrub_text("电话13812345678或13987654321") == f"电话{REDACTED}或{REDACTED}"
    assert scrub_text("没有个人信息") == "没有个人信息"


@pytest.mark.parametrize(
    ("digits", "certainty"),
    [
        ("13812345678", 4),  # mobile
        ("8613812345678", 4),  # with the country code
        ("11010519491231002X", 4),  # resident ID with a valid check character
        ("057187654321", 3),  # landline with area code
        ("110105491231002", 3),  # 15-digit ID
        ("6222021234567890", 2),  # UnionPay card
        ("4111111111111111", 2),  # Visa, Luhn digit agrees
        ("4111111111111112", 0),  # …and when it does not
        ("2024010120241231", 0),  # a date range written together
        ("12345", 0),
    ],
)
def test_classify_digits(digits, certainty):
    assert classify_digits(digits) == certainty


def test_checksums() -> None:
    assert id_check_ok("11010519491231002X") and not id_check_ok("110105194912310021")
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


def test_name_variants_know_compound_surnames():
    assert name_variants("欧阳秀兰") == ["欧阳秀兰", "秀兰"]
    assert name_variants("王建国") == ["王建国", "建国"]
    assert name_variants("欧阳修") == ["欧阳修"]  # the given name alone would be one character
    assert name_variants("张 伟") == ["张伟"] and name_variants("阿依·古丽") == [
        "阿依古丽",
        "依古丽",
    ]
    assert name_variants("李") == []


def test_a_single_character_given_name_is_not_removed_alone() -> None:
    # 张伟: "伟" alone would remove every 伟 of every text; the full name still goes.
    assert scrub_text("张伟需要伟哥说的那种轮椅", names=["张伟"]) == "***需要伟哥说的那种轮椅"


def test_a_name_split_by_separators_is_still_found():
    assert scrub_text("联系欧阳 秀兰或欧阳·秀兰", names=["欧阳秀兰"]) == "联系***或***"
