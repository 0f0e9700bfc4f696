"""坐标系 — coordinate datums, and the small amount of plane geometry the map needs.

Everything the project stores is **WGS-84** (what phones report). 天地图 (Tianditu), the official
base map, is drawn in **CGCS2000**, which agrees with WGS-84 to a few centimetres — far below what a
map of communities can show — so the two are treated as one. Chinese web maps and the data taken
from them are mostly in **GCJ-02** (国测局坐标, the datum AMap/高德, Tencent and DataV publish),
shifted by a few hundred metres on purpose; Baidu adds a second shift on top (**BD-09**). Files in
those datums are converted to WGS-84 when they are imported (``zhongfu regions import-coords`` /
``import-boundaries --datum``), never when drawn.

The GCJ-02 shift is the published, de-facto standard algorithm, as implemented in the open
libraries that everyone cross-checks against: ``eviltransform`` (googollee/eviltransform, MIT) and
``PRCoords`` (Artoria2e5/PRCoords, CC0), the forward formula being the one documented at
https://en.wikipedia.org/wiki/Restrictions_on_geographic_data_in_China#GCJ-02 . There is no
closed-form inverse: GCJ-02 → WGS-84 is solved iteratively (a fixed-point iteration on the forward
formula, converging to well under a millimetre in a handful of steps), where the one-step inverse
most snippets use is off by 1–2 m. BD-09 ↔ GCJ-02 is Baidu's published rotation-and-scale formula.
The tests check these against the point pairs published with eviltransform.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Iterator, Sequence

Point = tuple[float, float]  # (lat, lon)


class Datum(enum.StrEnum):
    WGS84 = "wgs84"  # GPS, phones, OpenStreetMap
    CGCS2000 = "cgcs2000"  # 天地图 and official surveying; equal to WGS-84 at map scale
    GCJ02 = "gcj02"  # AMap/高德, Tencent, DataV GeoAtlas
    BD09 = "bd09"  # Baidu


# Krasovsky 1940 ellipsoid, on which the GCJ-02 shift is defined.
_A = 6378245.0
_EE = 0.00669342162296594323
_BD_X_PI = math.pi * 3000.0 / 180.0


def in_china(lat: float, lon: float) -> bool:
    """The rough box where GCJ-02 differs from WGS-84 (the same box every implementation uses)."""
    return 72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271


def _shift(lat: float, lon: float) -> Point:
    """The GCJ-02 offset (degrees north, degrees east) at a WGS-84 point."""
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * math.sqrt(abs(x))
        + common
        + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
        + (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    )
    d_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * math.sqrt(abs(x))
        + common
        + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
        + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )
    rad = math.radians(lat)
    magic = 1.0 - _EE * math.sin(rad) ** 2
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * math.sqrt(magic)) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / math.sqrt(magic) * math.cos(rad) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> Point:
    if not in_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _shift(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float, *, tolerance_deg: float = 1e-10) -> Point:
    """The WGS-84 point whose GCJ-02 image is (lat, lon): fixed-point iteration on the forward
    shift (it changes by < 1 % per 100 m, so each step gains about two digits)."""
    if not in_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(30):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        e_lat, e_lon = g_lat - lat, g_lon - lon
        w_lat, w_lon = w_lat - e_lat, w_lon - e_lon
        if abs(e_lat) < tolerance_deg and abs(e_lon) < tolerance_deg:
            break
    return w_lat, w_lon


def gcj02_to_bd09(lat: float, lon: float) -> Point:
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _BD_X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _BD_X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lon: float) -> Point:
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _BD_X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _BD_X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def to_wgs84(lat: float, lon: float, datum: Datum) -> Point:
    """A point in ``datum`` as WGS-84 (what the project stores and 天地图 draws)."""
    if datum is Datum.GCJ02:
        return gcj02_to_wgs84(lat, lon)
    if datum is Datum.BD09:
        return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))
    return lat, lon


def rows_to_wgs84(rows: Iterable[dict[str, str]], datum: Datum) -> Iterator[dict[str, str]]:
    """CSV rows with ``lat``/``lon`` columns in ``datum``, as WGS-84 (rounded to ~1 cm); rows
    without a coordinate pass through unchanged."""
    for row in rows:
        if row.get("lat") and row.get("lon"):
            lat, lon = to_wgs84(float(row["lat"]), float(row["lon"]), datum)
            row = row | {"lat": f"{lat:.7f}", "lon": f"{lon:.7f}"}
        yield row


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres (mean Earth radius)."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    )
    return 6371008.8 * 2 * math.asin(math.sqrt(h))


# Plane geometry on GeoJSON positions ([lon, lat]), for outlines that span a few tens of km: a
# local equirectangular projection is accurate to well under a pixel there.

Ring = list[list[float]]


def _metres_per_degree(lat: float) -> tuple[float, float]:
    return 111_320.0 * math.cos(math.radians(lat)), 110_574.0


def _douglas_peucker(points: Sequence[tuple[float, float]], tolerance: float) -> list[int]:
    """Indexes of the points kept (the first and last always), iteratively (no recursion limit)."""
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy)
        worst, worst_at = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            if length == 0.0:
                d = math.hypot(px - x1, py - y1)
            else:
                d = abs(dy * (px - x1) - dx * (py - y1)) / length
            if d > worst:
                worst, worst_at = d, i
        if worst > tolerance:
            keep.add(worst_at)
            stack.extend(((first, worst_at), (worst_at, last)))
    return sorted(keep)


def simplify_ring(ring: Ring, tolerance_m: float) -> Ring:
    """A closed ring with the vertices closer than ``tolerance_m`` to the simplified outline
    dropped (Douglas–Peucker). The ring is split at its farthest vertex from the start first, since
    the two ends of a closed ring coincide. Never fewer than 4 positions (a valid ring)."""
    if tolerance_m <= 0 or len(ring) <= 4:
        return ring
    kx, ky = _metres_per_degree(sum(p[1] for p in ring) / len(ring))
    xy = [(p[0] * kx, p[1] * ky) for p in ring]
    far = max(range(len(xy)), key=lambda i: math.dist(xy[0], xy[i]))
    head = _douglas_peucker(xy[: far + 1], tolerance_m)
    tail = [far + i for i in _douglas_peucker(xy[far:], tolerance_m)]
    kept = head + tail[1:]
    if len(kept) < 4:
        return ring
    return [ring[i] for i in kept]


def ring_area(ring: Ring) -> float:
    """Signed area in square degrees (shoelace); only compared between rings of one feature."""
    return 0.5 * sum(
        a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1], strict=True)
    )


def _centroid(ring: Ring) -> tuple[float, float] | None:
    area = ring_area(ring)
    if area == 0:
        return None
    cx = cy = 0.0
    for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = a[0] * b[1] - b[0] * a[1]
        cx += (a[0] + b[0]) * cross
        cy += (a[1] + b[1]) * cross
    return cx / (6 * area), cy / (6 * area)


def _crossings(ring: Ring, y: float) -> list[float]:
    """x of every edge crossing the horizontal line at ``y``."""
    xs = []
    for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
        if (a[1] > y) != (b[1] > y):
            xs.append(a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]))
    return sorted(xs)


def label_point(rings: Sequence[Ring]) -> Point:
    """Where to write a region's name, as (lat, lon): the centroid of its largest outer ring when
    that lies inside the ring, else the middle of the widest stretch of the ring on the centroid's
    latitude (a crescent's or a C-shaped district's centroid falls outside it). ``rings`` are
    the outer rings of a (multi)polygon."""
    outer = max(rings, key=lambda r: abs(ring_area(r)))
    centre = _centroid(outer)
    if centre is None:
        return outer[0][1], outer[0][0]
    x, y = centre
    xs = _crossings(outer, y)
    spans = list(zip(xs[::2], xs[1::2], strict=False))
    if any(lo <= x <= hi for lo, hi in spans) or not spans:
        return y, x
    lo, hi = max(spans, key=lambda s: s[1] - s[0])
    return y, (lo + hi) / 2
