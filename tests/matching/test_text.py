"""Text suggestions and duplicate flags."""

from __future__ import annotations

from dataclasses import dataclass

from matching.taxonomy import item_codes
from matching.text import (
    find_duplicates,
    holdout_wishes,
    keywords,
    labelled_accuracy,
    labelled_wishes,
    suggest_items,
)
from tests.matching.helpers import need


def test_labelled_set_is_large_and_covers_every_item() -> None:
    data = labelled_wishes()
    assert len(data) >= 200
    assert {code for _, code in data} == set(item_codes())
    assert len({text for text, _ in data}) == len(data)
    assert not {t for t, _ in data} & {t for t, _ in holdout_wishes()}


def test_every_item_has_keywords() -> None:
    assert set(keywords()) == set(item_codes())
    assert all(len(k) >= 5 for k in keywords().values())


def test_accuracy_leave_one_out_and_held_out() -> None:
    top1, top3, n = labelled_accuracy()
    assert n >= 200 and top1 >= 0.90 and top3 >= 0.97
    h1, h3, _ = labelled_accuracy(holdout=True)
    assert h1 >= 0.75 and h3 >= 0.90


def test_suggest_examples() -> None:
    assert suggest_items("想要一个电饭煲")[0][0] == "07-02"
    assert suggest_items("孩子需要书包和文具")[0][0] == "05-02"
    assert suggest_items("老人腿脚不便，希望有人陪同去医院复查")[0][0] == "03-01"
    assert suggest_items("家里的电饭锅坏了")[0][0] == "07-02"  # near-miss of 电饭煲
    assert suggest_items("") == [] and suggest_items("，。") == []
    got = suggest_items("想要一个电饭煲", k=5)
    assert len(got) <= 5 and [s for _, s in got] == sorted((s for _, s in got), reverse=True)


def test_find_duplicates_same_household_only() -> None:
    needs = [
        need("a", household="h1", item="07-02", text="家里电饭煲坏了，想要个新的"),
        need("b", household="h1", item="07-02", text="电饭煲"),
        need("c", household="h1", item="01-01", text="希望每天中午有人送饭"),
        need("d", household="h1", item="01-04", text="希望每天中午有人送饭。"),
        need("e", household="h2", item="07-02", text="家里电饭煲坏了，想要个新的"),
    ]
    dups = {(d.first, d.second, d.reason) for d in find_duplicates(needs)}
    assert dups == {("a", "b", "same_item"), ("c", "d", "similar_text")}


@dataclass
class Row:
    id: int
    household: str
    item: str | None
    text: str | None


def test_find_duplicates_accepts_plain_records() -> None:
    rows = [
        Row(1, "h", None, "需要一床厚棉被"),
        Row(2, "h", None, "需要一床厚的棉被"),
        Row(3, "h", None, None),
    ]
    (dup,) = find_duplicates(rows)
    assert (dup.first, dup.second, dup.reason) == (1, 2, "similar_text") and dup.score >= 80
