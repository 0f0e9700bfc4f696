"""区划边界 — district and street outlines for the map, imported from a GeoJSON file.

``zhongfu regions import-boundaries FILE.geojson --datum gcj02`` reads a FeatureCollection of
(Multi)Polygons (e.g. DataV GeoAtlas, which is GCJ-02, or an official 天地图 export, which is
CGCS2000), matches each feature to one of our districts or streets — by a code property, else by
its name — converts it to WGS-84 (services/geo.py), simplifies it and stores it. The map draws
these outlines and writes the names on them, so that it shows where things are even without a
base map. The file itself is not kept: the project ships no boundaries (DESIGN §8).

A file that cannot be read as such stores nothing (``BoundaryFileError``); features that match no
region, or more than one, are reported and skipped.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, delete, func, select

from marketplace.models import Region, RegionBoundary, utcnow
from marketplace.services.geo import Datum, Ring, label_point, simplify_ring, to_wgs84
from marketplace.services.regions import is_within, overlaps

LEVELS = ("district", "street")
# Properties that may hold a region code or a name, in the spellings common sources use.
CODE_KEYS = ("code", "adcode", "region_code", "gb", "区划代码", "行政区划代码")
NAME_KEYS = ("name", "NAME", "Name", "名称", "区划名称")
PARENT_KEYS = ("parent", "parent_code", "parent_adcode", "district_code", "上级区划代码")
DEFAULT_TOLERANCE_M = 10.0  # well under a pixel at street zoom (≈ 10 m per pixel at zoom 14)


class BoundaryFileError(ValueError):
    """The file is not a FeatureCollection of polygons with valid coordinates: nothing stored."""


@dataclass
class BoundaryImport:
    """What an import did: outlines stored per level, and the features it skipped and why."""

    stored: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    unknown: list[str] = field(default_factory=list)  # matched no district or street
    ambiguous: list[str] = field(default_factory=list)  # a name shared by several regions
    skipped: list[str] = field(default_factory=list)  # e.g. a community, or an empty geometry


def _code_of(value: Any) -> str | None:
    """A region code from a property: 6 (district), 9 (street) or 12 digits (NBS 统计用区划代码,
    whose trailing zeros are the levels below a district's or street's own code)."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(int(value)) if isinstance(value, int | float) else str(value).strip()
    if not text.isdigit():
        return None
    if len(text) == 12 and text.endswith("000000"):
        return text[:6]
    if len(text) == 12 and text.endswith("000"):
        return text[:9]
    return text if len(text) in (6, 9, 12) else None


def _first(props: Mapping[str, Any], keys: Iterable[str]) -> Any:
    for key in keys:
        if props.get(key) not in (None, ""):
            return props[key]
    return None


def _describe(index: int, props: Mapping[str, Any]) -> str:
    code, name = _first(props, CODE_KEYS), _first(props, NAME_KEYS)
    return f"feature {index + 1}" + "".join(f" {v}" for v in (code, name) if v is not None)


def _parent_hint(props: Mapping[str, Any]) -> str | None:
    parent = _first(props, PARENT_KEYS)
    if isinstance(parent, Mapping):  # DataV: "parent": {"adcode": 330100}
        parent = _first(parent, CODE_KEYS)
    return _code_of(parent)


@dataclass(frozen=True)
class _Regions:
    names: dict[str, str]  # code → name, every region
    levels: dict[str, str]  # code → level, districts and streets
    by_name: dict[str, list[str]]  # name → codes of districts and streets


def _regions(session: Session) -> _Regions:
    names: dict[str, str] = {}
    levels: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    for code, name, level in session.exec(select(Region.code, Region.name, Region.level)):
        names[code] = name
        if level in LEVELS:
            levels[code] = level
            by_name.setdefault(name, []).append(code)
    return _Regions(names, levels, by_name)


def _by_name(name: str, regions: _Regions, within: str | None) -> list[str]:
    return [c for c in regions.by_name.get(name, []) if within is None or is_within(c, within)]


def _match(
    props: Mapping[str, Any], regions: _Regions, within: str | None
) -> tuple[str | None, str]:
    """(region code, "") or (None, why not): "unknown", "ambiguous" or "skipped"."""
    raw_name = _first(props, NAME_KEYS)
    name = str(raw_name).strip() if raw_name is not None else ""
    code = _code_of(_first(props, CODE_KEYS))
    if code is not None:
        if code not in regions.names:
            return None, "unknown"
        if code not in regions.levels:
            return None, "skipped"  # a city or a community: not drawn
        if name and name != regions.names[code]:
            # Some sources give a street the code of its district: the name decides then.
            below = [c for c in _by_name(name, regions, code) if c != code]
            if len(below) == 1:
                return below[0], ""
        return code, ""
    candidates = _by_name(name, regions, within) if name else []
    parent = _parent_hint(props)
    if parent and len(candidates) > 1:
        candidates = [c for c in candidates if is_within(c, parent)] or candidates
    if len(candidates) == 1:
        return candidates[0], ""
    return None, "ambiguous" if candidates else "unknown"


def _position(value: Any, where: str, datum: Datum) -> list[float]:
    if (
        not isinstance(value, list)
        or len(value) < 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value[:2])
    ):
        raise BoundaryFileError(f"{where}: a position must be [longitude, latitude]")
    lon, lat = float(value[0]), float(value[1])
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise BoundaryFileError(f"{where}: [{lon}, {lat}] is not a longitude and a latitude")
    lat, lon = to_wgs84(lat, lon, datum)
    return [round(lon, 6), round(lat, 6)]  # 6 decimals ≈ 0.1 m


def _polygons(geometry: Any, where: str) -> list[Any]:
    """The polygons (lists of rings) of a Polygon or MultiPolygon geometry."""
    if not isinstance(geometry, Mapping) or not isinstance(geometry.get("coordinates"), list):
        raise BoundaryFileError(f"{where}: the geometry has no coordinates")
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["coordinates"]]
    if kind == "MultiPolygon":
        return list(geometry["coordinates"])
    raise BoundaryFileError(f"{where}: a {kind} is not an outline (Polygon or MultiPolygon)")


def _outline(
    geometry: Any, where: str, datum: Datum, tolerance_m: float
) -> tuple[dict[str, Any], tuple[float, float]]:
    """The geometry in WGS-84, simplified, as a MultiPolygon; and its label point (lat, lon)."""
    polygons: list[list[Ring]] = []
    for polygon in _polygons(geometry, where):
        if not isinstance(polygon, list) or not polygon:
            raise BoundaryFileError(f"{where}: a polygon without rings")
        rings: list[Ring] = []
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise BoundaryFileError(f"{where}: a ring needs at least 4 positions")
            points = [_position(p, where, datum) for p in ring]
            rings.append(simplify_ring(points, tolerance_m))
        polygons.append(rings)
    lat, lon = label_point([p[0] for p in polygons])
    return {"type": "MultiPolygon", "coordinates": polygons}, (round(lat, 6), round(lon, 6))


def _features(data: Any) -> list[Any]:
    if isinstance(data, Mapping) and data.get("type") == "FeatureCollection":
        features = data.get("features")
        if isinstance(features, list):
            return features
    if isinstance(data, Mapping) and data.get("type") == "Feature":
        return [data]
    raise BoundaryFileError("not a GeoJSON FeatureCollection")


def import_boundaries(
    session: Session,
    data: Any,
    *,
    datum: Datum,
    within: str | None = None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> BoundaryImport:
    """Store the outlines of the districts and streets in ``data`` (parsed GeoJSON in ``datum``),
    replacing those imported before for the same regions. ``within`` limits name matching to one
    region's subtree (a file of one district's streets). Raises ``BoundaryFileError`` before
    storing anything if any feature is malformed, or if no feature matches a region."""
    regions = _regions(session)
    report = BoundaryImport()
    rows: dict[str, RegionBoundary] = {}
    for index, feature in enumerate(_features(data)):
        if not isinstance(feature, Mapping):
            raise BoundaryFileError(f"feature {index + 1}: not a GeoJSON Feature")
        props = feature.get("properties") or {}
        if not isinstance(props, Mapping):
            raise BoundaryFileError(f"feature {index + 1}: properties must be an object")
        where = _describe(index, props)
        code, why = _match(props, regions, within)
        if code is None:
            getattr(report, why).append(where)
            continue
        if code in rows:
            report.skipped.append(f"{where} (a second outline of {code})")
            continue
        if feature.get("geometry") is None:
            report.skipped.append(where)
            continue
        geometry, (lat, lon) = _outline(feature["geometry"], where, datum, tolerance_m)
        rows[code] = RegionBoundary(
            region_code=code,
            level=regions.levels[code],
            geometry=json.dumps(geometry, separators=(",", ":")),
            label_lat=lat,
            label_lon=lon,
            imported_at=utcnow(),
        )
    if not rows:
        raise BoundaryFileError("no feature matched a district or street: nothing imported")
    session.exec(delete(RegionBoundary).where(col(RegionBoundary.region_code).in_(list(rows))))
    for row in rows.values():
        session.add(row)
        report.stored[row.level] += 1
    session.flush()
    return report


def has_boundaries(session: Session) -> bool:
    return session.exec(select(RegionBoundary.region_code).limit(1)).first() is not None


def version(session: Session, scope: str | None) -> str:
    """A validator for the outlines a scope sees (an HTTP ETag): changes with every import."""
    count, latest = session.exec(select(func.count(), func.max(RegionBoundary.imported_at))).one()
    return hashlib.sha256(f"{scope}|{count}|{latest}".encode()).hexdigest()[:20]


def feature_collection(session: Session, scope: str | None) -> str:
    """The outlines as GeoJSON text (the geometries are stored as text and not parsed again):
    every district, for orientation, and the streets inside ``scope`` (all of them for None).
    Each feature carries ``code``, ``name``, ``level`` and ``label`` ([lat, lon])."""
    rows = session.exec(
        select(RegionBoundary, Region.name)
        .join(Region, col(Region.code) == RegionBoundary.region_code)
        .order_by(col(RegionBoundary.level), col(RegionBoundary.region_code))
    ).all()
    parts = []
    for row, name in rows:
        if row.level == "street" and scope and not overlaps(row.region_code, scope):
            continue
        props = {
            "code": row.region_code,
            "name": name,
            "level": row.level,
            "label": [row.label_lat, row.label_lon],
        }
        parts.append(
            '{"type":"Feature","properties":'
            + json.dumps(props, ensure_ascii=False, separators=(",", ":"))
            + ',"geometry":'
            + row.geometry
            + "}"
        )
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"
