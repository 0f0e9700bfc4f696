"""Journey (issue 12, item 9 and the map part of item 7): hub staff open the map with imported
region outlines and no base map, on a phone and a desktop, in Chinese. The outlines are synthetic
squares around the demo regions' centres (no real boundary file is part of the repository)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.pages import PHONE, login, serve_demo, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
DESKTOP = {"width": 1366, "height": 768}


def _square(lat: float, lon: float, half_km: float) -> dict[str, Any]:
    dlat, dlon = half_km / 111.0, half_km / (111.0 * math.cos(math.radians(lat)))
    ring = [
        [lon - dlon, lat - dlat],
        [lon + dlon, lat - dlat],
        [lon + dlon, lat + dlat],
        [lon - dlon, lat + dlat],
        [lon - dlon, lat - dlat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def synthetic_outlines(session: Any) -> dict[str, Any]:
    """A square per district (≈ 8 km) and per street of 上城区 (≈ 1 km) on its centre."""
    from sqlmodel import col, select

    from marketplace.models import Region

    features = []
    rows = session.exec(
        select(Region).where(
            col(Region.level).in_(["district", "street"]), col(Region.lat).is_not(None)
        )
    ).all()
    for region in rows:
        if region.level == "street" and not region.code.startswith("330102"):
            continue
        half = 8.0 if region.level == "district" else 1.0
        features.append(
            {
                "type": "Feature",
                "properties": {"code": region.code},
                "geometry": _square(region.lat, region.lon, half),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def open_warnings(session: Any) -> None:
    """预警 for three households of 上城区 (one of them twice), raised as the monitoring does."""
    from datetime import date

    from sqlmodel import select

    from marketplace.models import Household, MonitoringEvent
    from marketplace.services import warnings as warnings_service
    from marketplace.services.regions import in_subtree

    households = session.exec(
        select(Household).where(in_subtree(Household.community_code, "330102")).limit(3)
    ).all()
    for household in [*households, households[0]]:
        event = MonitoringEvent(
            household_id=household.id,
            kind="major_illness",
            occurred_on=date(2026, 12, 1),
            source="hub",
            community_code=household.community_code,
        )
        session.add(event)
        session.flush()
        warnings_service.raise_for_event(session, event, household)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo city with district and street outlines imported (this module's own server)."""
    from marketplace.services.boundaries import import_boundaries
    from marketplace.services.geo import Datum

    def outlines(s: Any) -> None:
        import_boundaries(s, synthetic_outlines(s), datum=Datum.WGS84)
        open_warnings(s)

    with serve_demo(tmp_path_factory.mktemp("map-browser"), outlines) as url:
        yield url


def settle(page: Any) -> None:
    """Wait until Leaflet's zoom and markercluster's animations are over."""
    page.wait_for_function(
        "() => !document.querySelector('.leaflet-zoom-anim, .leaflet-cluster-anim')", timeout=5000
    )
    page.wait_for_timeout(300)  # the markers' fade-in (0.2 s)


def zoom(page: Any, button: str, times: int) -> None:
    for _ in range(times):
        page.locator(f"a.leaflet-control-zoom-{button}").click()
        settle(page)


def numbers(page: Any, selector: str) -> list[int]:
    return [int(t) for t in page.locator(selector).all_inner_texts() if t.strip().isdigit()]


def centred(page: Any, selector: str) -> bool:
    """The number's box has the same centre as its round icon (to the pixel)."""
    return bool(
        page.evaluate(
            """sel => Array.from(document.querySelectorAll(sel)).every(icon => {
                 const a = icon.getBoundingClientRect(), b = icon.firstElementChild.getBoundingClientRect();
                 return Math.abs((a.left + a.width / 2) - (b.left + b.width / 2)) <= 1
                     && Math.abs((a.top + a.height / 2) - (b.top + b.height / 2)) <= 1;
               })""",
            selector,
        )
    )


@pytest.mark.parametrize(("viewport", "label"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_staff_map_shows_outlines_names_and_need_counts(new_page, viewport, label):
    page = new_page(viewport)
    login(page, "hub_shangcheng")
    total = sum(w["count"] for w in page.request.get("/staff/map.json").json()["wishes"])
    assert total > 0
    page.goto("/staff/map")
    page.wait_for_selector(".map-label-district", timeout=10000)
    page.wait_for_selector(".map-cluster, .map-dot.dot-need", timeout=10000)
    page.wait_for_load_state("networkidle")
    settle(page)

    # District names on their outlines; no base map, so the notice says how to turn it on.
    assert page.locator(".map-label-district", has_text="上城区").is_visible()
    assert "ZHONGFU_TIANDITU_KEY" in page.inner_text(".map-notice")
    # Leaflet's own controls speak Chinese.
    assert page.locator("a.leaflet-control-zoom-in").get_attribute("title") == "放大"
    assert page.locator("a.leaflet-control-zoom-out").get_attribute("title") == "缩小"
    assert page.locator(".leaflet-control-attribution a[href='https://leafletjs.com']").count() == 1
    # No household is ever a point: only community counts, hubs and offers.
    assert page.locator(".leaflet-marker-icon:not(.map-cluster):not(.map-dot)").count() == 0
    shot(page, f"staff-map-outlines-{label}-zh")

    # Zoomed out, the clusters add up the needs in them (not the markers), centred in the icon.
    zoom(page, "out", 3)
    clusters = numbers(page, ".map-cluster:not(.map-cluster-other) span")
    singles = numbers(page, ".map-dot.dot-need span")
    assert clusters, "expected at least one cluster of needs"
    assert sum(clusters) + sum(singles) == total
    assert centred(page, ".map-cluster") and centred(page, ".map-dot.dot-need")
    shot(page, f"staff-map-clusters-{label}-zh")

    # Street names appear from street zoom on.
    assert page.locator(".map-label-street").count() == 0
    zoom(page, "in", 5)
    assert page.locator(".map-label-street").count() > 0
    assert page.locator(".map-label-street", has_text="街道").first.is_visible()
    shot(page, f"staff-map-streets-{label}-zh")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_staff_map_controls_in_english(new_page):
    page = new_page(DESKTOP)
    login(page, "admin")
    page.goto("/lang/en?next=/staff/map")
    page.wait_for_selector(".map-label-district", timeout=10000)
    page.wait_for_load_state("networkidle")
    settle(page)
    assert page.locator("a.leaflet-control-zoom-in").get_attribute("title") == "Zoom in"
    assert page.locator("a.leaflet-control-zoom-out").get_attribute("title") == "Zoom out"
    assert "No base map" in page.inner_text(".map-notice")
    # The administrator sees the whole city: every district is named.
    assert page.locator(".map-label-district").count() == 13
    shot(page, "admin-map-outlines-desktop-en")


def test_staff_map_counts_open_warnings_per_community(new_page):
    page = new_page(DESKTOP)
    login(page, "hub_shangcheng")
    layer = page.request.get("/staff/map.json").json()["warnings"]
    assert layer and sum(w["count"] for w in layer) == 4
    assert all(set(w) == {"code", "name", "lat", "lon", "count", "important"} for w in layer)
    page.goto("/staff/map")
    page.wait_for_selector(".map-label-district", timeout=10000)
    page.wait_for_load_state("networkidle")
    settle(page)
    circles = page.locator("path.map-warning")
    assert circles.count() == len(layer)
    # The layer can be switched off and on in the layer control.
    toggles = page.locator(".leaflet-control-layers-overlays label")
    warnings_toggle = toggles.nth(toggles.count() - 1).locator("input")
    warnings_toggle.uncheck()
    assert circles.count() == 0
    warnings_toggle.check()
    assert circles.count() == len(layer)
    busiest = max(layer, key=lambda w: w["count"])
    # the largest circle is the busiest community's; its popup names the counts only
    sizes = circles.evaluate_all("els => els.map(e => e.getBBox().width)")
    circles.nth(sizes.index(max(sizes))).click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    assert busiest["name"] in text and str(busiest["count"]) in text
    assert f"{busiest['important']}" in text
    shot(page, "staff-map-warnings-desktop-zh")
