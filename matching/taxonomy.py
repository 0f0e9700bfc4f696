"""The 9 categories / 31 items of help (帮扶事项), loaded once from ``data/taxonomy.json``.

This module is the single source of truth for item codes: the web app imports it too.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

__all__ = [
    "UNITS",
    "Category",
    "Item",
    "categories",
    "default_unit",
    "item_codes",
    "item_index",
    "items",
]

# The units an offer's capacity is counted in: 份 portions, 次 sessions, 小时 hours, 人 people.
UNITS = ("portion", "session", "hour", "person")


@dataclass(frozen=True, slots=True)
class Item:
    """One taxonomy item (帮扶事项), e.g. ``07-02`` 家具家电."""

    code: str
    name_zh: str
    name_en: str
    category: str
    unit: str = "portion"  # the unit an offer of this item counts its capacity in (UNITS)


@dataclass(frozen=True, slots=True)
class Category:
    """One of the nine categories (大类), e.g. ``07`` 环境改善."""

    code: str
    name_zh: str
    name_en: str
    items: tuple[Item, ...]


@functools.cache
def categories() -> tuple[Category, ...]:
    """All categories in code order, each with its items."""
    raw = json.loads(resources.files("matching").joinpath("data/taxonomy.json").read_text("utf-8"))
    result = []
    for cat in raw["categories"]:
        cat_items = tuple(
            Item(
                code=i["code"],
                name_zh=i["name_zh"],
                name_en=i["name_en"],
                category=cat["code"],
                unit=i.get("unit", "portion"),
            )
            for i in cat["items"]
        )
        if bad := [i.code for i in cat_items if i.unit not in UNITS]:
            raise ValueError(f"taxonomy.json: items {bad} have a unit outside {UNITS}")
        result.append(Category(cat["code"], cat["name_zh"], cat["name_en"], cat_items))
    return tuple(result)


@functools.cache
def items() -> tuple[Item, ...]:
    """All 31 items in code order."""
    return tuple(item for cat in categories() for item in cat.items)


@functools.cache
def item_codes() -> tuple[str, ...]:
    """All item codes (``01-01`` … ``09-03``) in order."""
    return tuple(item.code for item in items())


@functools.cache
def item_index() -> dict[str, int]:
    """Item code → position in :func:`item_codes` (used to vectorise by item)."""
    return {code: i for i, code in enumerate(item_codes())}


def default_unit(codes: list[str] | tuple[str, ...]) -> str:
    """The unit an offer covering ``codes`` counts in by default: that of its first known item
    (in code order), else portions."""
    by_code = {item.code: item.unit for item in items()}
    for code in sorted(codes):
        if code in by_code:
            return by_code[code]
    return UNITS[0]
