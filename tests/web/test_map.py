"""The map: importing region outlines (CLI), datums on import, the outlines endpoint, 天地图 and
the page's CSP, and the Leaflet controls' words. The GeoJSON here is synthetic (squares around
real region codes); real boundary files are never part of the repository (DESIGN §8)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import Region, RegionBoundary
from marketplace.services import geo
from tests.factories import text


def square(lon: float, lat: float, half: float) -> dict[str, Any]:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(props: dict[str, Any], geometry: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def synthetic_file() -> dict[str, Any]:
    """Two districts and two streets, matched four ways, plus what must be reported."""
    return {
        "type": "FeatureCollection",
        "features": [
            # DataV's shape: an integer adcode, the city as parent.
            feature(
                {"adcode": 330102, "name": "上城区", "parent": {"adcode": 330100}},
                square(120.17, 30.27, 0.06),
            ),
            # No code: matched by name.
            feature({"name": "拱墅区"}, square(120.15, 30.36, 0.04)),
            # A 12-digit NBS code of a street (its trailing 000 is the community level).
            feature({"code": "330102003000", "name": "湖滨街道"}, square(120.165, 30.26, 0.01)),
            # A street by name under a district given as its parent.
            feature({"name": "小营街道", "parent_code": "330102"}, square(120.18, 30.27, 0.01)),
            feature({"adcode": 339999, "name": "不存在区"}, square(121.0, 30.0, 0.01)),
            feature({"name": "没有这个街道"}, square(121.0, 30.0, 0.01)),
        ],
    }


@pytest.fixture
def import_file(app, tmp_path):
    def run(data: Any, *args: str) -> Any:
        path = tmp_path / "boundaries.geojson"
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
        return app.test_cli_runner().invoke(args=["regions", "import-boundaries", str(path), *args])

    return run


def stored(db) -> dict[str, RegionBoundary]:
    with db() as s:
        return {b.region_code: b for b in s.exec(select(RegionBoundary))}


def test_import_boundaries_matches_by_code_and_name_and_reports_unknown(import_file, db):
    result = import_file(synthetic_file(), "--datum", "wgs84")
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
    import_file(synthetic_file(), "--datum", "wgs84")
    again = {"type": "FeatureCollection", "features": [synthetic_file()["features"][0]]}
    again["features"][0]["geometry"] = square(120.2, 30.3, 0.05)
    assert import_file(again, "--datum", "wgs84").exit_code == 0
    rows = stored(db)
    assert len(rows) == 4
    assert (rows["330102"].label_lat, rows["330102"].label_lon) == pytest.approx((30.3, 120.2))


def test_import_converts_gcj02_and_bd09_to_wgs84(import_file, db):
    corner_gcj = (30.25, 120.155)  # the first corner of the 湖滨街道 square, read as GCJ-02
    assert import_file(synthetic_file(), "--datum", "gcj02").exit_code == 0
    lon, lat = json.loads(stored(db)["330102003"].geometry)["coordinates"][0][0][0]
    expected = geo.gcj02_to_wgs84(*corner_gcj)
    assert (lat, lon) == pytest.approx(expected, abs=2e-6)
    assert geo.distance_m((lat, lon), corner_gcj) > 300  # really moved (≈ 500 m in Hangzhou)

    assert import_file(synthetic_file(), "--datum", "bd09").exit_code == 0
    lon, lat = json.loads(stored(db)["330102003"].geometry)["coordinates"][0][0][0]
    expected = geo.to_wgs84(*corner_gcj, geo.Datum.BD09)
    assert (lat, lon) == pytest.approx(expected, abs=2e-6)


def test_the_datum_must_be_named(import_file, db):
    result = import_file(synthetic_file())
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
                    feature({"adcode": 330102}, square(120.17, 30.27, 0.06)),
                    feature({"adcode": 330105}, {"type": "Point", "coordinates": [120.1, 30.3]}),
                ],
            },
            "a Point is not an outline",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    feature({"adcode": 330102}, square(120.17, 30.27, 0.06)),
                    # latitude and longitude swapped: 120 is no latitude
                    feature({"adcode": 330105}, square(30.3, 120.1, 0.01)),
                ],
            },
            "is not a longitude and a latitude",
        ),
        (
            {"type": "FeatureCollection", "features": [feature({"name": "火星"}, None)]},
            "no feature matched a district or street",
        ),
    ],
)
def test_a_bad_file_is_refused_whole(import_file, db, content, message):
    result = import_file(content, "--datum", "wgs84")
    assert result.exit_code == 1
    assert message in result.output and "Nothing was imported" in result.output
    assert stored(db) == {}


def test_import_coords_converts_the_datum(app, db, tmp_path):
    wgs = (30.2601, 120.1633)
    gcj = geo.wgs84_to_gcj02(*wgs)
    path = tmp_path / "coords.csv"
    path.write_text(f"code,lat,lon\n330102003,{gcj[0]},{gcj[1]}\n", encoding="utf-8")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["regions", "import-coords", str(path)]).exit_code == 2
    result = runner.invoke(args=["regions", "import-coords", str(path), "--datum", "gcj02"])
    assert result.exit_code == 0, result.output
    with db() as s:
        region = s.get(Region, "330102003")
        assert geo.distance_m((region.lat, region.lon), wgs) < 0.05
        assert region.coords_source == "imported"


def test_outlines_are_for_staff_only_private_and_revalidated(as_role, client, import_file):
    assert import_file(synthetic_file(), "--datum", "wgs84").exit_code == 0
    url = "/staff/map/boundaries.json"
    assert client.get(url).status_code in (302, 401)
    assert as_role("member").get(url).status_code == 403
    assert as_role("org").get(url).status_code == 403
    for role in ("hub_staff", "admin"):
        response = as_role(role).get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, max-age=600"
        features = response.get_json()["features"]
        names = {f["properties"]["name"] for f in features}
        assert {"上城区", "拱墅区", "湖滨街道", "小营街道"} <= names
        district = next(f for f in features if f["properties"]["code"] == "330102")
        assert district["properties"]["level"] == "district"
        assert district["properties"]["label"] == pytest.approx([30.27, 120.17])
        etag = response.headers["ETag"]
        again = as_role(role).get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
    page = as_role("admin").get("/staff/map")
    assert 'data-boundaries="/staff/map/boundaries.json"' in text(page)
    assert "data-l-notice-outlines" not in text(page)


def test_a_street_hub_sees_the_districts_and_only_its_own_streets(make_user, login_as, import_file):
    assert import_file(synthetic_file(), "--datum", "wgs84").exit_code == 0
    street_staff = make_user("hub_staff", hub="330102003")
    features = login_as(street_staff).get("/staff/map/boundaries.json").get_json()["features"]
    codes = {f["properties"]["code"] for f in features}
    assert codes == {"330102", "330105", "330102003"}


def test_without_a_key_the_map_is_offline_and_says_how_to_turn_on_the_base_map(as_role):
    page = as_role("admin").get("/staff/map")
    csp = page.headers["Content-Security-Policy"]
    assert "tianditu" not in csp and "http" not in csp
    body = text(page)
    assert "data-tiles=" not in body
    assert "ZHONGFU_TIANDITU_KEY" in body  # the notice (data-l-notice)
    assert "zhongfu regions import-boundaries" in body  # nothing imported yet
    assert 'data-boundaries=""' in body


def test_tianditu_key_adds_its_layers_and_only_its_image_hosts(as_role, app):
    app.config["TIANDITU_KEY"] = "0123456789abcdef"
    page = as_role("hub_staff").get("/staff/map")
    body = text(page)
    vec = (
        "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&amp;REQUEST=GetTile&amp;VERSION=1.0.0"
        "&amp;LAYER=vec&amp;STYLE=default&amp;TILEMATRIXSET=w&amp;FORMAT=tiles"
        "&amp;TILEMATRIX={z}&amp;TILEROW={y}&amp;TILECOL={x}&amp;tk=0123456789abcdef"
    )
    assert f'data-tiles="{vec}"' in body
    assert f'data-tiles-overlay="{vec.replace("vec", "cva")}"' in body
    assert 'data-subdomains="01234567"' in body
    assert "ZHONGFU_TIANDITU_KEY" not in body  # no notice with a base map
    policy = dict(
        (part.split()[0], part.split()[1:])
        for part in page.headers["Content-Security-Policy"].split("; ")
    )
    assert sorted(policy["img-src"]) == sorted(
        ["'self'", "data:", "blob:"] + [f"https://t{i}.tianditu.gov.cn" for i in range(8)]
    )
    for directive in ("default-src", "script-src", "style-src", "connect-src", "font-src"):
        assert policy[directive] == ["'self'"], directive


def test_leaflet_controls_speak_the_users_language(as_role):
    client = as_role("hub_staff")
    zh = text(client.get("/staff/map"))
    assert 'data-l-zoom-in="放大"' in zh and 'data-l-zoom-out="缩小"' in zh
    client.get("/lang/en?next=/")
    en = text(client.get("/staff/map"))
    assert 'data-l-zoom-in="Zoom in"' in en and 'data-l-zoom-out="Zoom out"' in en
    assert 'data-l-cluster="{n} open needs here: zoom in"' in en


def test_member_map_has_the_controls_words_and_no_household(as_role):
    client = as_role("member")
    assert 'data-l-zoom-in="放大"' in text(client.get("/member/"))
    data = client.get("/member/map.json").get_json()
    assert data["hubs"] == [] and data["offers"] == []
    for wish in data["wishes"]:
        assert set(wish) == {"code", "name", "lat", "lon", "count"}
