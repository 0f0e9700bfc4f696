"""Coordinate datums and outline geometry (services/geo.py), against published point pairs."""

from __future__ import annotations

import math

import pytest

from marketplace.services import geo
from marketplace.services.geo import Datum

# (WGS-84 lat, lon, GCJ-02 lat, lon): the pairs published with eviltransform (python/test.py,
# googollee/eviltransform), reproduced by its ports in every language.
WGS_GCJ = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]
# (lat, lon) in → (lat, lon) out, from the tests of the coordtransform packages (npm and Go,
# wandergis/coordTransform and its ports; hutool's CoordinateUtilTest has the same numbers).
BD_TO_GCJ = ((39.915, 116.404), (39.90865673957631, 116.39762729119315))
GCJ_TO_BD = ((39.915, 116.404), (39.92133699351021, 116.41036949371029))
WGS_TO_GCJ = ((39.915, 116.404), (39.91640428150164, 116.41024449916938))


@pytest.mark.parametrize(("w_lat", "w_lon", "g_lat", "g_lon"), WGS_GCJ)
def test_wgs84_to_gcj02_matches_published_pairs(w_lat, w_lon, g_lat, g_lon):
    lat, lon = geo.wgs84_to_gcj02(w_lat, w_lon)
    assert lat == pytest.approx(g_lat, abs=1e-7)
    assert lon == pytest.approx(g_lon, abs=1e-7)


@pytest.mark.parametrize(("w_lat", "w_lon", "g_lat", "g_lon"), WGS_GCJ)
def test_gcj02_to_wgs84_inverts_to_within_a_centimetre(w_lat, w_lon, g_lat, g_lon):
    # The shift is about 500 m; the one-step inverse most snippets use is off by 1–2 m.
    assert geo.distance_m((w_lat, w_lon), (g_lat, g_lon)) > 100
    back = geo.gcj02_to_wgs84(g_lat, g_lon)
    assert geo.distance_m(back, (w_lat, w_lon)) < 0.01


def test_bd09_formulas_match_published_pairs():
    for (src, expected), convert in (
        (BD_TO_GCJ, geo.bd09_to_gcj02),
        (GCJ_TO_BD, geo.gcj02_to_bd09),
        (WGS_TO_GCJ, geo.wgs84_to_gcj02),
    ):
        lat, lon = convert(*src)
        assert lat == pytest.approx(expected[0], abs=1e-9)
        assert lon == pytest.approx(expected[1], abs=1e-9)


def test_to_wgs84_from_each_datum_in_hangzhou():
    wgs = (30.2590, 120.1620)  # near 湖滨, Hangzhou
    gcj = geo.wgs84_to_gcj02(*wgs)
    bd = geo.gcj02_to_bd09(*gcj)
    assert 400 < geo.distance_m(wgs, gcj) < 700  # the GCJ-02 shift in Hangzhou
    assert geo.distance_m(geo.to_wgs84(*gcj, Datum.GCJ02), wgs) < 0.01
    # BD-09 → GCJ-02 is Baidu's formula and not an exact inverse of GCJ-02 → BD-09 (≈ 0.1 m).
    assert geo.distance_m(geo.to_wgs84(*bd, Datum.BD09), wgs) < 0.5
    assert geo.to_wgs84(*wgs, Datum.WGS84) == wgs
    assert geo.to_wgs84(*wgs, Datum.CGCS2000) == wgs


def test_points_outside_china_are_not_shifted():
    london = (51.5074, -0.1278)
    assert geo.wgs84_to_gcj02(*london) == london
    assert geo.gcj02_to_wgs84(*london) == london


def test_csv_rows_are_converted_and_rows_without_a_point_pass():
    wgs = (30.2590, 120.1620)
    gcj = geo.wgs84_to_gcj02(*wgs)
    rows = [
        {"code": "330102003", "lat": str(gcj[0]), "lon": str(gcj[1])},
        {"code": "330102004", "lat": "", "lon": ""},
    ]
    out = list(geo.rows_to_wgs84(rows, Datum.GCJ02))
    assert geo.distance_m((float(out[0]["lat"]), float(out[0]["lon"])), wgs) < 0.02
    assert out[0]["code"] == "330102003"
    assert out[1] == rows[1]


def _circle(n: int, lat: float = 30.25, lon: float = 120.17, r: float = 0.01) -> list[list[float]]:
    ring = [
        [lon + r * math.cos(2 * math.pi * i / n), lat + r * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    return [*ring, ring[0]]


def test_simplify_drops_points_on_straight_edges_and_keeps_corners():
    # A square of about 1 km with 20 points along each edge.
    edge = [i / 20 for i in range(20)]
    ring = (
        [[120.17 + 0.01 * t, 30.25] for t in edge]
        + [[120.18, 30.25 + 0.01 * t] for t in edge]
        + [[120.18 - 0.01 * t, 30.26] for t in edge]
        + [[120.17, 30.26 - 0.01 * t] for t in edge]
    )
    ring.append(ring[0])
    simple = geo.simplify_ring(ring, tolerance_m=5)
    corners = {(120.17, 30.25), (120.18, 30.25), (120.18, 30.26), (120.17, 30.26)}
    assert {(p[0], p[1]) for p in simple} == corners
    assert simple[0] == simple[-1]
    assert geo.simplify_ring(ring, tolerance_m=0) == ring


def test_simplify_keeps_a_ring_valid_and_follows_a_curve_within_tolerance():
    ring = _circle(400)  # r ≈ 1 km
    simple = geo.simplify_ring(ring, tolerance_m=10)
    assert 8 < len(simple) < 100
    assert len(geo.simplify_ring(_circle(4), tolerance_m=10_000)) >= 4


def test_label_point_is_inside_a_c_shaped_outline():
    # A "C" opening to the east: its centroid lies in the opening, outside the shape.
    c_shape = [
        [0.0, 0.0],
        [3.0, 0.0],
        [3.0, 1.0],
        [1.0, 1.0],
        [1.0, 2.0],
        [3.0, 2.0],
        [3.0, 3.0],
        [0.0, 3.0],
        [0.0, 0.0],
    ]
    lat, lon = geo.label_point([c_shape])
    assert 0 < lon < 1 and 0 < lat < 3  # in the C's back
    square = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0], [0.0, 0.0]]
    assert geo.label_point([square]) == pytest.approx((1.0, 1.0))
    # Of a multipolygon, the label goes on the largest part.
    islet = [[10.0, 10.0], [10.1, 10.0], [10.1, 10.1], [10.0, 10.0]]
    assert geo.label_point([islet, square]) == pytest.approx((1.0, 1.0))
