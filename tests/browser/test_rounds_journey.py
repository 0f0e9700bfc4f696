"""Journey (issue 12, item 10): hub staff open the match rounds, read what a round will take in
and how it decides before starting it, start it, and read why each need was paired — or left
unserved — in words with names; then accept one proposal. Phone and desktop, Chinese and English.
The demo city on this module's own server (rounds and decisions change its data)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.pages import fits, login, open_on, serve_demo, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
# Solver codes that must never reach the page as they are.
CODES = re.compile(
    r"\b(item|priority|distance_km):|nearest_eligible_offer|nearer_offers_full|out_of_area"
    r"|no_offer_for_item|capacity_exhausted|household_cap|not_eligible|round\.(why|unmatched)\."
)


def _quiet_hub(session: Any) -> None:
    """Staff of a community hub where nothing waits: a community without any need."""
    from sqlmodel import col, select

    from marketplace.demo import DEMO_PASSWORD
    from marketplace.models import Need, Region, Role, User
    from marketplace.services import accounts

    busy = select(Need.community_code)
    quiet = session.exec(
        select(Region.code)
        .where(Region.level == "community", col(Region.code).not_in(busy))
        .order_by(Region.code)
    ).first()
    admin = session.exec(select(User).where(User.username == "admin")).one()
    accounts.create_user(
        session,
        actor=admin,
        username="hub_quiet",
        password=DEMO_PASSWORD,
        role=Role.HUB_STAFF,
        hub_code=quiet,
        display_name="社区助联员",
    )


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_demo(tmp_path_factory.mktemp("rounds-browser"), _quiet_hub) as url:
        yield url


def _first_number(text: str) -> int:
    found = re.search(r"\d+", text)
    assert found, text
    return int(found.group())


AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def _serious_axe_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
    result = page.evaluate("t => axe.run(document, {runOnly: {type: 'tag', values: t}})", tags)
    return [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_staff_read_what_a_round_takes_in_start_it_and_read_why(new_page, device, lang):
    page = open_on(new_page, device, bypass_csp=True)  # only so that axe can be injected
    login(page, "hub_shangcheng")
    page.goto("/lang/en?next=/rounds/" if lang == "en" else "/rounds/")
    preview = page.locator("#round-preview")
    assert preview.is_visible()
    text = preview.inner_text()
    assert "上城区" in text and "330102" not in text  # the area by its name
    needs = _first_number(page.inner_text("#preview-needs"))
    offers = _first_number(page.inner_text("#preview-offers"))
    assert needs > 0 and offers > 0
    assert page.locator("ul.round-rules li").count() >= 6  # the settings, in words
    if lang == "en":
        assert "open service needs" in text and "places left together" in text
        assert "At most 2 needs of one household are served in one round" in text
        assert "The solver stops after 5 minutes" in text
    fits(page, device)
    assert _serious_axe_violations(page) == []
    shot(page, f"rounds-preview-{device}-{lang}")

    page.locator("#round-preview form[method=post] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert re.search(r"/rounds/\d+$", page.url)
    assert page.get_attribute("#round-status", "data-status") == "done"
    # What the page announced is what the round took in.
    facts = page.locator("#round-status dl.facts dd")
    assert _first_number(facts.nth(0).inner_text()) == needs
    assert _first_number(facts.nth(1).inner_text()) == offers

    rows = page.locator("table.proposals tbody tr")
    assert rows.count() >= 1
    for i in range(rows.count()):
        row = rows.nth(i)
        offer_cell = row.locator("td").nth(3).inner_text().split("\n")
        offer_title, org_name = offer_cell[0].strip(), offer_cell[1].split("·")[0].strip()
        item = row.locator("td").nth(1).locator(".muted").inner_text().split("·")[0].strip()
        household = row.locator("td").nth(2).inner_text().strip()
        reasons = row.locator("ul.reasons li")
        assert reasons.count() >= 3
        why = row.locator("ul.reasons").inner_text()
        assert offer_title in why and org_name in why and household in why, why
        assert not CODES.search(why), why
        if lang == "en":
            assert "provides" in why and "risk level" in why and "km from the offer" in why
        else:
            assert item in why, (item, why)
    unmatched = page.locator("#unmatched + * li, .unmatched-list li")
    if unmatched.count():
        listed = page.inner_text(".unmatched-list")
        assert not CODES.search(listed), listed
        if lang == "en":
            assert re.search(r"serves|provides|full|limit|recently|rejected|hardship", listed)
    fits(page, device)
    assert _serious_axe_violations(page) == []
    shot(page, f"rounds-detail-{device}-{lang}")


def test_staff_accept_a_proposal_from_the_phone(new_page):
    page = open_on(new_page, "phone")
    login(page, "hub_shangcheng")
    page.goto("/rounds/")
    page.locator("#round-preview form[method=post] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    first = page.locator("table.proposals tbody tr").first
    offer_title = first.locator("td").nth(3).inner_text().split("\n")[0].strip()
    first.get_by_role("button", name="接受").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".flash-success").count() == 1
    accepted = page.locator("table.proposals tbody tr", has_text=offer_title).first
    assert "已接受" in accepted.inner_text()
    shot(page, "rounds-accepted-phone-zh")


def test_a_hub_with_nothing_to_match_is_told_so(new_page):
    page = open_on(new_page, "phone")
    login(page, "hub_quiet")
    page.goto("/lang/en?next=/rounds/")
    assert _first_number(page.inner_text("#preview-needs")) == 0
    assert "There is no need to match right now" in page.inner_text("#round-preview")
    assert not re.search(r"\d{9}", page.inner_text("#round-preview"))  # its area by name
    shot(page, "rounds-preview-nothing-phone-en")


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_administrator_chooses_a_district_for_the_round(new_page, device):
    page = open_on(new_page, device)
    login(page, "admin")
    page.goto("/rounds/")
    city = _first_number(page.inner_text("#preview-needs"))
    page.select_option("#scope", "330106")  # submits itself
    page.wait_for_url("**/rounds/?scope=330106")
    assert "西湖区" in page.inner_text("#round-preview")
    district = _first_number(page.inner_text("#preview-needs"))
    assert 0 < district < city
    fits(page, device)
    shot(page, f"rounds-preview-district-{device}-zh")
    page.locator("#round-preview form[method=post] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "西湖区" in page.inner_text("#round-status")
    assert _first_number(page.locator("#round-status dl.facts dd").nth(0).inner_text()) == district
