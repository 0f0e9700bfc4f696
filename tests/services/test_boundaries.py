"""Region outlines (services/boundaries.py) through ``zhongfu regions import-boundaries``: features
matched by code or name, datums converted to WGS-84, a bad file refused whole. The GeoJSON is
synthetic (tests/factories.py); real boundary files are never part of the repository (DESIGN §8)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from marketplace.models import RegionBoundary
from marketplace.services import geo
from tests.factories import geo_feature, geo_square, synthetic_boundaries


def stored(db) -> dict[str, RegionBoundary]:
    with db() as s:
        return {b.region_code: b for b in s.exec(select(RegionBoundary))}


def test_import_boundaries_matches_by_code_and_name_and_reports_unknown(import_file, db):
    result = import_file(synthetic_boundaries(), "--datum", "wgs84")
    assert result.exit_code == 0, result.output
    assert "Imported 2 district and 2 street outlines" in result.output
    assert "Matched no district or street: 2" in result.output
    assert "339999 不存在区" in result.output and "没有这个街道" in result.output
    rows = stored(db)
    assert set(rows) == {"330102", "330105", "330102003", "330102004"}
    assert rows["330102"].level == "district" and rows["330102003"].level == "street"
    geometry = json.loads(rows["330102003"].geometry)
    assert geometry["type"] == "MultiPolygon"
    assert geometry["coordinates"][0][0][0] == [120.155, 30.25]  # WGS-84 stored as given
    assert (rows["330102"].label_lat, rows["330102"].label_lon) == pytest.approx((30.27, 120.17))


def test_import_again_replaces_an_outline(import_file, db):
    import_file(synthetic_boundaries(), "--datum", "wgs84")
    again = {"type": "FeatureCollection", "features": [synthetic_boundaries()["features"][0]]}
    again["features"][0]["geometry"] = geo_square(120.2, 30.3, 0.05)
    assert import_file(again, "--datum", "wgs84").exit_code == 0
    rows = stored(db)
    assert len(rows) == 4
    assert (rows["330102"].label_lat, rows["330102"].label_lon) == pytest.approx((30.3, 120.2))


def test_import_converts_gcj02_and_bd09_to_wgs84(import_file, db):
    corner_gcj = (30.25, 120.155)  # the first corner of the 湖滨街道 square, read as GCJ-02
    assert import_file(synthetic_boundaries(), "--datum", "gcj02").exit_code == 0
    lon, lat = json.loads(stored(db)["330102003"].geometry)["coordinates"][0][0][0]
    expected = geo.gcj02_to_wgs84(*corner_gcj)
    assert (lat, lon) == pytest.approx(expected, abs=2e-6)
    assert geo.distance_m((lat, lon), corner_gcj) > 300  # really moved (≈ 500 m in Hangzhou)

    assert import_file(synthetic_boundaries(), "--datum", "bd09").exit_code == 0
    lon, lat = json.loads(stored(db)["330102003"].geometry)["coordinates"][0][0][0]
    expected = geo.to_wgs84(*corner_gcj, geo.Datum.BD09)
    assert (lat, lon) == pytest.approx(expected, abs=2e-6)


def test_the_datum_must_be_named(import_file, db):
    result = import_file(synthetic_boundaries())
    assert result.exit_code == 2 and "--datum" in result.output
    assert stored(db) == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("this is not json", "is not a GeoJSON file"),
        ({"type": "Topology", "objects": {}}, "not a GeoJSON FeatureCollection"),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    geo_feature({"adcode": 330102}, geo_square(120.17, 30.27, 0.06)),
                    geo_feature(
                        {"adcode": 330105}, {"type": "Point", "coordinates": [120.1, 30.3]}
                    ),
                ],
            },
            "a Point is not an outline",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    geo_feature({"adcode": 330102}, geo_square(120.17, 30.27, 0.06)),
                    # latitude and longitude swapped: 120 is no latitude
                    geo_feature({"adcode": 330105}, geo_square(30.3, 120.1, 0.01)),
                ],
            },
            "is not a longitude and a latitude",
        ),
        (
            {"type": "FeatureCollection", "features": [geo_feature({"name": "火星"}, None)]},
            "no feature matched a district or street",
        ),
    ],
)
def test_a_bad_file_is_refused_whole(import_file, db, content, message):
    result = import_file(content, "--datum", "wgs84")
    assert result.exit_code == 1
    assert message in result.output and "Nothing was imported" in result.output
    assert stored(db) == {}
