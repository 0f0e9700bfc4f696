"""The words of the pages (docs/glossary.md) are the words of the Chinese catalogue and the
templates: each glossary msgid is translated with its official term, the words the glossary rules
out appear nowhere, one tag vocabulary serves forms, pages, exports and the Excel template, and
Chinese text takes Chinese punctuation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import force_locale

from marketplace.services import imports
from marketplace.web import labels

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "docs" / "glossary.md"
CATALOGUE = ROOT / "marketplace" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
TEMPLATES = ROOT / "templates"
CJK = "\u4e00-\u9fff"


def _rows() -> list[dict[str, str]]:
    """The glossary's table rows: 中文, Pinyin, English, Meaning, Where used, Not."""
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or cells[0] in ("中文", "---") or set(cells[0]) <= {"-"}:
            continue
        rows.append(
            dict(zip(("zh", "pinyin", "en", "meaning", "where", "not"), cells, strict=True))
        )
    return rows


def _catalogue() -> Catalog:
    with CATALOGUE.open("rb") as f:
        return read_po(f)


def _strings(catalogue: Catalog) -> list[tuple[str, str]]:
    out = []
    for m in catalogue:
        if m.id and m.string:
            mid = m.id if isinstance(m.id, str) else " ".join(m.id)
            out.append((mid, m.string if isinstance(m.string, str) else " ".join(m.string)))
    return out


def test_the_glossary_names_the_official_terms():
    terms = {r["zh"] for r in _rows()}
    for term in (
        "微心愿",
        "认领",
        "助联体",
        "幸福码",
        "幸福清单",
        "结对帮扶",
        "抗风险能力评分",
        "预警",
        "转介",
    ):
        assert term in terms, term
    assert all(r["en"] and r["meaning"] and r["where"] for r in _rows())


def test_glossary_msgids_are_translated_with_their_term():
    catalogue = _catalogue()
    checked = 0
    for row in _rows():
        for msgid in re.findall(r"`([^`]+)`", row["en"]):
            message = catalogue.get(msgid)
            assert message is not None, f"{msgid!r} (glossary: {row['zh']}) is not in the catalogue"
            words = [w.strip() for w in row["zh"].split("/")]
            assert any(w in message.string for w in words), (msgid, message.string, row["zh"])
            checked += 1
    assert checked >= 20


def _ruled_out() -> list[str]:
    return [w.strip() for r in _rows() for w in r["not"].split(",") if w.strip()]


def test_words_the_glossary_rules_out_appear_in_no_translation():
    ruled_out = _ruled_out()
    assert "韧性评分" in ruled_out and "驳回" in ruled_out
    for msgid, text in _strings(_catalogue()):
        for word in ruled_out:
            # A msgid that quotes the word itself (an old Excel heading) may quote it.
            assert word not in text or word in msgid, (word, msgid, text)


def test_words_the_glossary_rules_out_appear_in_no_template():
    ruled_out = _ruled_out()
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for word in ruled_out:
            assert word not in text, (word, str(path))


def test_chinese_text_takes_chinese_punctuation():
    """ "排序：" not "排序:"; full-width commas, semicolons and brackets next to Chinese."""
    ascii_next_to_chinese = re.compile(rf"[{CJK}][:;,!?(]|[),;:][{CJK}]")
    for msgid, text in _strings(_catalogue()):
        assert not ascii_next_to_chinese.search(text), (msgid, text)
    label_then_ascii_colon = re.compile(r"\b_\([^{}]*\) \}\}:")  # {{ _('Sort') }}:
    for path in TEMPLATES.rglob("*.html"):
        found = label_then_ascii_colon.findall(path.read_text(encoding="utf-8"))
        assert not found, (str(path), found)  # use {{ colon() }}


@pytest.mark.parametrize(
    ("table", "excel"),
    [
        (labels.TAG_LABELS, imports.TAG_ZH),
        (labels.HARDSHIP_LABELS, imports.HARDSHIP_ZH),
        (labels.KIND_LABELS, imports.KIND_ZH),
        (labels.DELIVERY_MODE_LABELS, imports.DELIVERY_MODE_ZH),
    ],
    ids=["tags", "hardship", "kind", "delivery_mode"],
)
def test_one_vocabulary_for_pages_and_the_excel_template(app: Flask, table, excel):
    """残疾人 on the form, the household page, the export and in the Excel template alike."""
    with app.test_request_context(), force_locale("zh_CN"):
        assert {code: str(word) for code, word in table.items()} == excel
