"""Journey (issue 13): the street hub's staff (湖滨街道, ``hub_hubin``) open an important warning
(重点预警) from the menu, read the suggestions (帮扶建议), record the phone call, and close it by
referring the household to the hub's social help; the need that creates is published from the
review queue, and the dashboard's "handled on time" figure moves. Phone and desktop, Chinese and
English; each case on its own warning of the demo city served by this module."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.browser.pages import fits, open_menu, open_on, serve_demo, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
STREET = "330102003"  # 湖滨街道, hub_hubin's street
CASES = [(device, lang) for device in ("phone", "desktop") for lang in ("zh", "en")]


def _warnings(session: Any) -> None:
    """One important warning a case: a major illness (a severe event) in the street's household,
    recorded by the street's staff."""
    from sqlmodel import col, select

    from marketplace.models import Household, User
    from marketplace.services import clock, monitoring

    staff = session.exec(select(User).where(User.username == "hub_hubin")).one()
    home = session.exec(
        select(Household)
        .where(col(Household.community_code).startswith(STREET))
        .order_by(col(Household.id))
    ).first()
    assert home is not None, "the demo city has a household in 湖滨街道"
    for _case in CASES:
        monitoring.record_event(
            session,
            actor=staff,
            kind="major_illness",
            occurred_on=clock.beijing_today() - timedelta(days=1),
            note="户主突发重病住院",
            household_id=home.id if home else None,
        )


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_demo(tmp_path_factory.mktemp("warnings-browser"), _warnings) as url:
        yield url


def _on_time(page: Any) -> tuple[int, str]:
    """The dashboard's warnings closed on time (last 30 days) and the share handled on time."""
    open_menu(page)
    page.locator("#mainnav-links a[href='/staff/dashboard']").click()
    page.wait_for_load_state("networkidle")
    closed = int(page.locator("#warnings-closed-on-time").inner_text().replace(",", "").strip())
    return closed, str(page.locator("#warnings-on-time").inner_text()).strip()


@pytest.mark.parametrize(("device", "lang"), CASES)
def test_street_staff_check_an_important_warning_and_refer_it_to_the_hub(new_page, device, lang):
    tag = f"{device}-{lang}"
    page = open_on(new_page, device, lang, username="hub_hubin")
    before = _on_time(page)

    # The queue: oldest due first; an important warning, due in 3 days.
    open_menu(page)
    page.locator("#mainnav-links a[href='/hub/warnings']").click()
    page.wait_for_load_state("networkidle")
    rows = page.locator("#warning-queue tbody tr")
    assert rows.count() >= 1
    first = rows.first
    assert ("重点预警" if lang == "zh" else "Important") in first.inner_text()
    fits(page, device)
    shot(page, f"warnings-queue-{tag}")
    first.locator("a.btn").click()
    page.wait_for_load_state("networkidle")
    detail_url = page.url

    # The warning: its event, and the suggestions (a cause, items of help).
    event = page.locator("#event-heading + dl").inner_text()
    assert ("重大疾病" if lang == "zh" else "Major illness") in event
    suggestions = page.locator("#suggestions")
    assert suggestions.is_visible()
    assert ("可能的致困原因" if lang == "zh" else "Likely causes") in suggestions.inner_text()
    fits(page, device)
    shot(page, f"warnings-detail-{tag}")

    # The call: recorded as a phone check with what was found.
    page.locator("#check input[name=check_mode][value=phone]").check()
    page.fill("#findings", "电话联系户主家属：住院治疗，需要陪护和助餐")
    page.locator("#check button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".flash-success").count() == 1

    # Closed with a referral to the hub: the suggested items come ticked.
    page.locator("#close input[name=outcome][value=refer_hub]").check()
    ticked = page.locator("#need-items input[name=need_items]:checked")
    assert ticked.count() >= 1
    while ticked.count() > 1:  # one need is enough for the journey
        ticked.nth(1).uncheck()
    page.locator("#close button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.url.split("#")[0].split("?")[0] == detail_url.split("?")[0]
    outcome = page.locator("#outcome")
    assert outcome.is_visible()
    assert ("转介助联体" if lang == "zh" else "hub's social help") in outcome.inner_text()
    need_link = outcome.locator("a[href*='/hub/needs/']").first
    need_id = need_link.get_attribute("href").split("/")[-2]  # /hub/needs/<id>/edit
    fits(page, device)
    shot(page, f"warnings-closed-{tag}")

    # The need waits for review like any other; published from the queue.
    outcome.locator("a[href='/hub/review']").click()
    page.wait_for_load_state("networkidle")
    publish = page.locator(f"form[action='/hub/needs/{need_id}/publish'] button")
    assert publish.count() == 1
    publish.click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".flash-success").count() == 1
    assert page.locator(f"form[action='/hub/needs/{need_id}/publish']").count() == 0

    # The dashboard counts the warning handled on time.
    after = _on_time(page)
    assert after[0] == before[0] + 1 and after[1].startswith("100"), (before, after)
    fits(page, device)
    shot(page, f"warnings-dashboard-{tag}")
