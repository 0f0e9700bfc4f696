"""Free-text wishes → taxonomy items, and likely duplicate needs (rapidfuzz).

``suggest_items`` adds two scores per item:

* keywords (``data/item_keywords.json``, written from the items' meaning): a keyword
  contained in the text scores by its length (longer = more specific), a bit more when it
  follows the wish verb (希望/需要…); other keywords score by ``fuzz.partial_ratio``
  (near-misses such as 电饭锅 for 电饭煲);
* nearest labelled example (``data/wish_texts.jsonl``): IDF-weighted cosine similarity of
  character uni- and bigrams, best example per item.

The weight of the second part was chosen by leave-one-out accuracy on the labelled set; a
separate held-out set (``data/wish_texts_holdout.jsonl``) measures generalisation.
``find_duplicates`` flags pairs of open needs of the same household that have the same item
or similar text; it flags, it never drops.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Protocol

from rapidfuzz import fuzz, process

from matching.taxonomy import item_codes, items

__all__ = [
    "Duplicate",
    "find_duplicates",
    "holdout_wishes",
    "keywords",
    "labelled_accuracy",
    "labelled_wishes",
    "suggest_items",
]

_NOISE = re.compile(r"[\s,.;:!?，。；：！？、“”\"'（）()【】]+")
FUZZY_FLOOR = 60.0  # 2 of 3 characters (电饭锅 ~ 电饭煲) is the least that counts
FUZZY_WEIGHT = 0.6  # a near-miss counts less than a keyword actually written
EXAMPLE_WEIGHT = 50.0  # nearest-example similarity (0..1) → points; chosen by leave-one-out


@functools.cache
def keywords() -> dict[str, tuple[str, ...]]:
    """Item code → keywords, plus the item's own Chinese name."""
    raw = json.loads(
        resources.files("matching").joinpath("data/item_keywords.json").read_text("utf-8")
    )
    names = {i.code: i.name_zh for i in items()}
    return {code: tuple(dict.fromkeys([names[code], *raw.get(code, [])])) for code in item_codes()}


@functools.cache
def _flat() -> tuple[tuple[str, ...], tuple[str, ...]]:
    words, owners = [], []
    for code, kws in keywords().items():
        for kw in kws:
            words.append(kw)
            owners.append(code)
    return tuple(words), tuple(owners)


def _normalise(text: str) -> str:
    return _NOISE.sub("", text).lower()


_WISH = re.compile(r"希望|想要|需要|急需|想|要|申请|盼望|缺")


def _exact_score(keyword: str) -> float:
    """Longer keywords are more specific: 1 char 65, 2 chars 75, 3 chars 85, 4+ 95."""
    return min(95.0, 55.0 + 10.0 * len(keyword))


def _wish_start(text: str) -> int:
    """Where the wished-for part starts: after the last wish verb (希望/想要/需要…)."""
    last = -1
    for match in _WISH.finditer(text):
        last = match.end()
    return max(last, 0)


def suggest_items(text: str, k: int = 3) -> list[tuple[str, float]]:
    """Top ``k`` (item code, score) for a free-text wish, best first (score: higher is
    better, 0 to about 130)."""
    return _suggest(text, k, skip=None)


def _suggest(text: str, k: int, skip: int | None) -> list[tuple[str, float]]:
    clean = _normalise(text)
    if not clean or k <= 0:
        return []
    scored = _keyword_scores(clean)
    for code, sim in _example_scores(clean, skip).items():
        scored[code] = scored.get(code, 0.0) + EXAMPLE_WEIGHT * sim
    ranked = sorted(((c, round(v, 2)) for c, v in scored.items() if v > 0), key=_rank)
    return ranked[:k]


def _rank(kv: tuple[str, float]) -> tuple[float, str]:
    return (-kv[1], kv[0])


def _keyword_scores(clean: str) -> dict[str, float]:
    words, owners = _flat()
    best: dict[str, float] = defaultdict(float)
    hits: dict[str, int] = defaultdict(int)
    wish = _wish_start(clean)
    for word, owner in zip(words, owners, strict=True):
        at = clean.rfind(word)
        if at >= 0:
            # what follows the wish verb is what is asked for; what precedes is context
            bonus = 5.0 if at >= wish else 0.0
            best[owner] = max(best[owner], _exact_score(word) + bonus)
            hits[owner] += 1
    for word, score, index in process.extract(
        clean, words, scorer=fuzz.partial_ratio, limit=None, score_cutoff=FUZZY_FLOOR
    ):
        if len(word) >= 3 and word not in clean:
            owner = owners[index]
            best[owner] = max(best[owner], FUZZY_WEIGHT * score)
    return {code: min(100.0, s + 2.0 * max(0, hits[code] - 1)) for code, s in best.items() if s > 0}


def _grams(clean: str) -> frozenset[str]:
    return frozenset(clean) | frozenset(clean[i : i + 2] for i in range(len(clean) - 1))


@functools.cache
def _examples() -> tuple[dict[str, float], float, tuple[tuple[frozenset[str], str, float], ...]]:
    """IDF of character grams over the labelled set, and each example's grams and norm."""
    rows = [(_grams(_normalise(t)), code) for t, code in labelled_wishes()]
    df: dict[str, int] = defaultdict(int)
    for grams, _ in rows:
        for g in grams:
            df[g] += 1
    n = len(rows)
    idf = {g: math.log((n + 1) / (c + 0.5)) for g, c in df.items()}
    unseen = math.log(n + 1)
    examples = tuple((g, code, sum(idf[x] for x in g)) for g, code in rows)
    return idf, unseen, examples


def _example_scores(clean: str, skip: int | None) -> dict[str, float]:
    idf, unseen, examples = _examples()
    query = _grams(clean)
    q_norm = sum(idf.get(g, unseen) for g in query) or 1.0
    best: dict[str, float] = {}
    for i, (grams, code, norm) in enumerate(examples):
        shared = query & grams
        if not shared or i == skip:
            continue
        sim = sum(idf[g] for g in shared) / math.sqrt(q_norm * norm)
        if sim > best.get(code, 0.0):
            best[code] = sim
    return best


class _OpenNeed(Protocol):
    @property
    def id(self) -> Hashable: ...
    @property
    def household(self) -> Hashable: ...
    @property
    def item(self) -> str | None: ...
    @property
    def text(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Two open needs of one household that look like the same need."""

    first: Hashable
    second: Hashable
    household: Hashable
    reason: str  # "same_item" or "similar_text"
    score: float  # 100 for same_item, else the text similarity


def find_duplicates(needs: Iterable[_OpenNeed], *, threshold: float = 80.0) -> list[Duplicate]:
    """Pairs of open needs of the same household with the same item, or texts at least
    ``threshold`` similar (rapidfuzz ``fuzz.ratio`` on normalised text).  Works on
    :class:`matching.Need` or any object with ``id``, ``household``, ``item``, ``text``."""
    by_household: dict[Hashable, list[_OpenNeed]] = defaultdict(list)
    for need in needs:
        by_household[need.household].append(need)
    found = []
    for household, group in by_household.items():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if a.item and a.item == b.item:
                    found.append(Duplicate(a.id, b.id, household, "same_item", 100.0))
                elif a.text and b.text:
                    score = fuzz.ratio(_normalise(a.text), _normalise(b.text))
                    if score >= threshold:
                        found.append(Duplicate(a.id, b.id, household, "similar_text", score))
    return found


@functools.cache
def labelled_wishes() -> tuple[tuple[str, str], ...]:
    """The shipped labelled set: (text, item code) pairs from ``data/wish_texts.jsonl``."""
    lines = resources.files("matching").joinpath("data/wish_texts.jsonl").read_text("utf-8")
    rows = (json.loads(line) for line in lines.splitlines() if line.strip())
    return tuple((row["text"], row["item"]) for row in rows)


@functools.cache
def holdout_wishes() -> tuple[tuple[str, str], ...]:
    """Labelled wishes never used to write keywords or fit weights (generalisation check)."""
    lines = resources.files("matching").joinpath("data/wish_texts_holdout.jsonl")
    rows = (json.loads(line) for line in lines.read_text("utf-8").splitlines() if line.strip())
    return tuple((row["text"], row["item"]) for row in rows)


def labelled_accuracy(*, holdout: bool = False) -> tuple[float, float, int]:
    """(top-1, top-3 accuracy, size) of :func:`suggest_items`: leave-one-out on the labelled
    set (each text is scored without its own example), or on the held-out set."""
    data = holdout_wishes() if holdout else labelled_wishes()
    top1 = top3 = 0
    for i, (text, code) in enumerate(data):
        got = [c for c, _ in _suggest(text, 3, skip=None if holdout else i)]
        top1 += bool(got) and got[0] == code
        top3 += code in got
    return top1 / len(data), top3 / len(data), len(data)
