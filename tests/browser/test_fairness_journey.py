"""Journey (issue 15): hub staff read a round's fairness report (charts drawn, the same figures in
tables) and the month's from the dashboard; filter the unserved needs of a round by reason; find
two identical wishes of one household flagged in the review queue. Phone and desktop, Chinese and English. The demo city on this module's own server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.pages import fits, login, open_on, serve_demo, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
TWIN_TITLE = "春节想要一份慰问品"


def _twins(session: Any) -> None:
    """Two identical wishes of one 上城区 household, waiting for review."""
    from sqlmodel import select

    from marketplace.models import Household, User
    from marketplace.schemas import NeedIn
    from marketplace.services import households

    staff = session.exec(select(User).where(User.username == "hub_shangcheng")).one()
    home = session.exec(
        select(Household).where(Household.community_code.startswith("330102")).limit(1)
    ).one()
    for _ in range(2):
        households.create_need(
            session,
            actor=staff,
            data=NeedIn(household_id=home.id, kind="wish", item="09-01", title=TWIN_TITLE),
        )


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_demo(tmp_path_factory.mktemp("fairness-browser"), _twins) as url:
        yield url


def _start_round(page: Any, lang: str) -> None:
    page.goto("/lang/en?next=/rounds/" if lang == "en" else "/rounds/")
    page.locator("#round-preview form[method=post] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert re.search(r"/rounds/\d+$", page.url)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_fairness_report_renders_with_charts(new_page, device, lang):
    page = open_on(new_page, device)
    login(page, "hub_shangcheng")
    _start_round(page, lang)
    page.locator("#round-status a[href$='/fairness']").click()
    page.wait_for_load_state("networkidle")
    assert re.search(r"/rounds/\d+/fairness$", page.url)
    for chart in ("#chart-level", "#chart-hardship", "#chart-district"):
        page.wait_for_selector(f"{chart} svg")  # drawn by ECharts
        assert page.locator(f"{chart} svg rect, {chart} svg path").count() > 2
    body = page.inner_text("main")
    levels = page.locator("table").first.locator("tbody th")
    assert levels.first.inner_text().strip() in ("Level 1", "1 级")
    assert "上城区" in body and "330102" not in body
    if lang == "en":
        assert "Served share" in body and "Not in this report yet" in body
    fits(page, device)
    shot(page, f"fairness-round-{device}-{lang}")

    page.goto("/staff/dashboard")
    page.locator(".head-actions a[href='/rounds/fairness']").click()
    page.wait_for_load_state("networkidle")
    assert "/rounds/fairness" in page.url
    page.wait_for_selector("#chart-level svg")
    assert page.locator("input#month").input_value() == re.search(
        r"\d{4}-\d{2}", page.inner_text("h1")
    ).group(0)
    fits(page, device)
    shot(page, f"fairness-month-{device}-{lang}")


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_unserved_needs_filter_by_reason(new_page, device):
    page = open_on(new_page, device)
    login(page, "admin")
    _start_round(page, "zh")  # the whole city: every kind of reason
    items = page.locator(".unmatched-list li")
    assert items.count() > 0
    reasons = page.locator("#u-reason option")
    assert reasons.count() >= 2
    chosen = reasons.nth(1).get_attribute("value")
    page.select_option("#u-reason", chosen)
    page.locator("form[data-unmatched-filters] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    listed = page.locator(".unmatched-list li")
    assert listed.count() > 0
    assert {listed.nth(i).get_attribute("data-reason") for i in range(listed.count())} == {chosen}
    assert page.locator("#u-reason").input_value() == chosen
    district = page.locator("#u-district option").nth(1).get_attribute("value")
    page.select_option("#u-district", district)
    page.locator("form[data-unmatched-filters] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#u-district").input_value() == district
    export = page.locator("a[href*='unmatched.xlsx']").get_attribute("href")
    assert f"district={district}" in export and f"reason={chosen}" in export
    fits(page, device)
    shot(page, f"fairness-unserved-filtered-{device}-zh")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_duplicate_is_flagged_in_the_review_queue(new_page, device, lang):
    page = open_on(new_page, device)
    login(page, "hub_shangcheng")
    page.goto("/lang/en?next=/hub/review" if lang == "en" else "/hub/review")
    twins = page.locator("tr", has_text=TWIN_TITLE)
    assert twins.count() == 2
    for i in range(2):
        flag = twins.nth(i).locator('[data-flag="duplicate"]')
        assert flag.is_visible()
        if lang == "en":
            assert "Possible duplicate" in flag.inner_text()
    fits(page, device)
    shot(page, f"review-duplicate-{device}-{lang}")
