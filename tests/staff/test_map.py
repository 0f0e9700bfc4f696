"""The staff area's map (staff/routes.py): scoped and masked data, the outlines endpoint, 天地图
and the page's CSP, the Leaflet controls' words. Importing the outlines is tested in
tests/services/test_boundaries.py."""

from __future__ import annotations

import pytest

from tests.factories import synthetic_boundaries, text


def test_map_data_is_scoped_and_masked(as_role, two_areas, users, make_offer):
    make_offer(users["org"], regions=["330102"])
    make_offer(users["org"], regions=[], lat=30.25, lon=120.16, radius_km=3)
    staff = as_role("hub_staff")
    data = staff.get("/staff/map.json").get_json()
    assert data["scope"] == "330102"
    assert all(w["code"].startswith("330102") for w in data["wishes"])
    assert {o["shape"] for o in data["offers"]} == {"region", "circle"}
    assert all(h["code"].startswith("330102") for h in data["hubs"])
    page = staff.get("/staff/map")
    assert "vendor/leaflet/leaflet.js" in text(page)
    assert "http" not in page.headers["Content-Security-Policy"]
    member = as_role("member").get("/member/map.json").get_json()
    assert member["hubs"] == [] and member["offers"] == []
    body = str(member)
    assert "赵一" not in body and "钱二" not in body
    assert set(member["wishes"][0]) == {"code", "name", "lat", "lon", "count"}


def test_map_tile_server_is_allowed_by_csp_only_when_configured(as_role, app):
    app.config["MAP_TILE_URL"] = "https://tiles.example.org/{z}/{x}/{y}.png"
    response = as_role("admin").get("/staff/map")
    assert "img-src 'self' https://tiles.example.org" in response.headers["Content-Security-Policy"]
    assert 'data-tiles="https://tiles.example.org/{z}/{x}/{y}.png"' in text(response)


def test_map_boundaries_from_configured_file(as_role, app, tmp_path):
    path = tmp_path / "districts.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": null}]}'
    )
    app.config["MAP_BOUNDARIES_FILE"] = str(path)
    client = as_role("admin")
    assert 'data-boundaries="/staff/map/boundaries.json"' in text(client.get("/staff/map"))
    assert len(client.get("/staff/map/boundaries.json").get_json()["features"]) == 1


def test_outlines_are_for_staff_only_private_and_revalidated(as_role, client, import_file):
    assert import_file(synthetic_boundaries(), "--datum", "wgs84").exit_code == 0
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
    assert import_file(synthetic_boundaries(), "--datum", "wgs84").exit_code == 0
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
