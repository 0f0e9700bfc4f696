"""Journey (issue 12, item 4: forms that speak codes). An organisation publishes an offer by
finding a street in the district → street → community tree, setting a circle on the map and a unit,
and then reads names, not codes, in its list; district hub staff pick a community from the picker
grouped by street, with its search box. Phone and desktop, Chinese and English."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser.pages import DESKTOP, PHONE, login, shot
from tests.browser.test_journeys import axe

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
VIEWPORTS = [(PHONE, "phone"), (DESKTOP, "desktop")]
LANGS = ["zh_CN", "en"]


def _tag(label: str, lang: str) -> str:
    return f"{label}-{'zh' if lang == 'zh_CN' else 'en'}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("viewport", "label"), VIEWPORTS)
def test_organisation_publishes_an_offer_with_the_tree_the_map_and_a_unit(
    new_page, viewport, label, lang
):
    # On the desktop axe is injected, which the CSP would refuse; the phone runs keep the CSP on.
    page = new_page(viewport, bypass_csp=label == "desktop")
    login(page, "org_ngo")
    page.goto(f"/lang/{lang}?next=/org/offers/new")
    page.wait_for_selector("[data-region-tree][data-ready]")
    title = f"陪伴老人聊天 {label} {lang}"
    page.fill("#title", title)

    # 陪伴聊天 counts hours: ticking it sets the unit.
    page.locator("input[name=items][value='02-02']").check()
    assert page.locator("select[name=unit]").input_value() == "hour"

    # Find 清波 in the tree: the street and its communities show, the rest is hidden.
    # "清波" is a street and a community of 上城区, and a village of 余杭区: both districts show.
    page.fill("#region_q", "清波")
    street = page.locator("input[name=regions][value='330102001']")
    street.wait_for(state="visible")
    districts = page.locator(".tree-district:visible summary")
    assert sorted(districts.nth(i).inner_text() for i in range(districts.count())) == [
        "上城区",
        "余杭区",
    ]
    assert "3" in page.inner_text("[data-tree-status]")  # 3 regions match
    street.check()
    # The street covers its communities: they show ticked and are not sent on their own.
    page.locator(".tree-street .tree-toggle").first.click()
    community = page.locator("input[name=regions][value='330102001051']")
    assert community.is_checked() and community.is_disabled()
    # The map moves to the street, named on the map (no base map in the tests: names at centres).
    assert page.locator(".map-label-street", has_text="清波街道").count() == 1
    chips = page.locator("[data-tree-chosen] .chip")
    assert chips.count() == 1 and "清波街道" in chips.first.inner_text()
    shot(page, _tag(f"offer-form-tree-{label}", lang))

    # A circle on the map: click sets the centre (3 km at first), the select changes the radius.
    page.locator("#offer-map").scroll_into_view_if_needed()
    box = page.locator("#offer-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.62, box["y"] + box["height"] * 0.35)
    assert page.locator("input[name=lat]").input_value()
    assert page.locator("select[name=radius_km]").input_value() == "3"
    page.select_option("select[name=radius_km]", "5")
    assert ("5 km" if lang == "en" else "5 公里") in page.inner_text("[data-map-status]")
    page.fill("#capacity", "40")
    page.fill("#end", (date.today() + timedelta(days=60)).isoformat())
    page.locator("#capacity").scroll_into_view_if_needed()
    shot(page, _tag(f"offer-form-map-{label}", lang))
    if label == "desktop":
        found = axe(page)
        assert not found, [f"{v['id']}: {v['help']}" for v in found]

    page.locator("form[data-offer-form] button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/org/"), page.inner_text("main")[:500]
    row = page.locator("tr", has_text=title)
    text = row.inner_text()
    if lang == "en":
        assert "Companionship" in text and "hours" in text
    else:
        assert "陪伴聊天" in text and "小时" in text
    assert "清波街道" in text and "5" in text
    for code in ("02-02", "330102001"):
        assert code not in text
    shot(page, _tag(f"offer-list-{label}", lang))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("viewport", "label"), VIEWPORTS)
def test_district_hub_picks_a_community_grouped_by_street_with_search(
    new_page, viewport, label, lang
):
    page = new_page(viewport)
    login(page, "hub_shangcheng")
    page.goto(f"/lang/{lang}?next=/hub/households/new")
    select = page.locator("select[name=community_code]")
    groups = select.locator("optgroup")
    assert groups.count() > 10  # one per street of 上城区
    # The two 兴隆社区 of 上城区 are under different streets.
    assert select.locator("optgroup:has(option:text-is('兴隆社区'))").count() == 2
    search = page.locator("#community_code-filter")
    search.fill("兴隆")
    assert select.locator("option").count() == 2
    assert groups.count() == 2
    labels = [groups.nth(i).get_attribute("label") for i in range(2)]
    assert labels[0] != labels[1]
    select.select_option(index=1)
    assert select.input_value() == "330102015013"
    shot(page, _tag(f"hub-community-picker-{label}", lang))
    # Enter in the box picks the first match instead of submitting the form.
    search.fill("清波门")
    search.press("Enter")
    assert select.input_value() == "330102001051"
    assert page.url.endswith("/hub/households/new")


def test_enter_in_a_field_publishes_and_enter_in_the_search_box_searches(new_page):
    page = new_page(PHONE)
    login(page, "org_ngo")
    page.goto("/org/offers/new")
    page.wait_for_selector("[data-region-tree][data-ready]")
    page.fill("#region_q", "兴隆")
    page.press("#region_q", "Enter")  # filters the tree, submits nothing
    assert page.url.endswith("/org/offers/new")
    assert page.locator("input[name=regions][value='330102010057']").is_visible()
    page.fill("#title", "只填了标题")
    page.press(
        "#title", "Enter"
    )  # the form is sent to be published: the server says what is missing
    page.wait_for_load_state("networkidle")
    assert page.locator(".field-errors").count() >= 1


def test_without_javascript_the_tree_is_a_grouped_list_and_find_is_a_round_trip(new_page):
    page = new_page(PHONE, java_script_enabled=False)
    login(page, "org_ngo")
    page.goto("/org/offers/new")
    page.fill("#title", "无脚本也能发布")
    page.locator("input[name=items][value='01-01']").check()
    page.fill("#region_q", "兴隆")
    page.click("button[value=find_region]")
    page.wait_for_load_state("networkidle")
    # Both 兴隆社区 of 上城区 come back as boxes with their paths; what was typed is kept.
    assert page.input_value("#title") == "无脚本也能发布"
    found = page.locator(".tree-found label")
    assert found.filter(has_text="上城区 › ").count() >= 2
    page.locator("input[name=regions][value='330102010057']").check()
    # No map without JavaScript: the centre is given by its coordinates.
    assert not page.locator("#offer-map").is_visible() and page.locator("#lat").is_visible()
    page.fill("#capacity", "12")
    page.fill("#end", (date.today() + timedelta(days=30)).isoformat())
    shot(page, "offer-form-nojs-phone-zh")
    page.locator("form[data-offer-form] button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    row = page.locator("tr", has_text="无脚本也能发布")
    assert "兴隆社区" in row.inner_text() and "份" in row.inner_text()
