"""Region outlines (services/boundaries.py): imported through ``zhongfu regions
import-boundaries`` (features matched by code or name, datums converted to WGS-84, a bad file
refused whole) and called with a session (the report, ``within``, the collection a scope sees and
its version). The GeoJSON is synthetic (tests/factories.py); real boundary files are never part of
the repository (DESIGN §8)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from marketplace.models import RegionBoundary
from marketplace.services import boundaries, geo
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


# The service called with a session ---------------------------------------------------------------


def test_import_reports_what_it_stored_and_skipped(db):
    data = synthetic_boundaries()
    data["features"].append(geo_feature({"adcode": 330102}, geo_square(120.0, 30.0, 0.01)))
    data["features"].append(geo_feature({"code": "330102001051"}, geo_square(120.1, 30.2, 0.01)))
    with db() as s:
        report = boundaries.import_boundaries(s, data, datum=geo.Datum.WGS84)
        assert report.stored == {"district": 2, "street": 2}
        assert len(report.unknown) == 2 and report.ambiguous == []
        assert any("a second outline of 330102" in why for why in report.skipped)
        assert len(report.skipped) == 2  # the second outline, and a community (no outline level)
        assert boundaries.has_boundaries(s)


def test_within_limits_name_matching_to_a_subtree(db):
    street = {"type": "FeatureCollection", "features": [synthetic_boundaries()["features"][3]]}
    street["features"][0]["properties"] = {"name": "小营街道"}  # no parent given
    with db() as s:
        assert not boundaries.has_boundaries(s)
        report = boundaries.import_boundaries(s, street, datum=geo.Datum.WGS84, within="330102")
        assert report.stored["street"] == 1
        with pytest.raises(boundaries.BoundaryFileError):  # not below 330106
            boundaries.import_boundaries(s, street, datum=geo.Datum.WGS84, within="330106")


def test_the_collection_holds_every_district_and_the_scopes_streets(db):
    with db() as s:
        before = boundaries.version(s, None)
        boundaries.import_boundaries(s, synthetic_boundaries(), datum=geo.Datum.WGS84)
        after = boundaries.version(s, None)
        assert before != after and boundaries.version(s, "330102") != after
        city = json.loads(boundaries.feature_collection(s, None))
        codes = [f["properties"]["code"] for f in city["features"]]
        assert codes == ["330102", "330105", "330102003", "330102004"]  # districts first
        street = json.loads(boundaries.feature_collection(s, "330102003"))
        assert [f["properties"]["code"] for f in street["features"]] == [
            "330102",
            "330105",
            "330102003",
        ]
        other = json.loads(boundaries.feature_collection(s, "330106"))
        assert {f["properties"]["level"] for f in other["features"]} == {"district"}
        district = city["features"][0]
        assert district["properties"]["name"] == "上城区"
        assert district["geometry"]["type"] == "MultiPolygon"
        assert district["properties"]["label"] == pytest.approx([30.27, 120.17])
