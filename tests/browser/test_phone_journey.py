"""Journey (issue 12, item 8): hub staff work from a 390×844 phone, in Chinese and English.

They open the navigation menu, go to the review queue, filter it (labels above their fields),
publish a need with the action of its card, start a match round and accept a proposal with the
action of its card, without anything scrolling sideways, and every tap target is at least 44 px.
On a desktop the same pages are still tables and the navigation is one row of links.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.browser.pages import DESKTOP, PHONE, login, open_menu, serve_demo, shot
from tests.browser.test_journeys import axe
from tests.factories import COMMUNITY, valid_id_number

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
TAP = 44

# Every visible tap target in the header, the navigation and the page whose box is under 44 px.
# Exempt, as WCAG 2.5.5 exempts them: a checkbox or radio button whose label (≥ 44 px) is its
# target, a visually hidden label, and — for the width only — a link inside a sentence.
SMALL_TARGETS = """(tap) => {
  const selector = ['a[href]', 'button', 'input:not([type=hidden])', 'select', 'textarea',
    'label[for]', 'summary'].flatMap(s => ['header ' + s, 'main ' + s]).join(', ');
  const big = r => r.width >= tap && r.height >= tap;
  const inSentence = e => getComputedStyle(e).display === 'inline' && [...e.parentNode.childNodes]
    .some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
  const small = [];
  for (const e of document.querySelectorAll(selector)) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(e).visibility === 'hidden') continue;
    if (r.width <= 1 && r.height <= 1) continue;  // .visually-hidden
    if (['checkbox', 'radio'].includes(e.type)
        && [...(e.labels || [])].some(l => big(l.getBoundingClientRect()))) continue;
    const wide = r.width >= tap || inSentence(e);
    if (r.height < tap || !wide) {
      small.push(`${e.tagName.toLowerCase()} "${(e.textContent || e.name || '').trim().slice(0, 30)}"`
        + ` ${Math.round(r.width)}×${Math.round(r.height)}`);
    }
  }
  return small;
}"""


def review_and_round_work(session: Any) -> None:
    """In 上城区, whatever the demo holds: two micro-wishes waiting for review (one per language
    of the journey), and two open service needs with a live offer that can serve them."""
    from sqlmodel import select

    from marketplace.models import User
    from marketplace.schemas import HouseholdIn, NeedIn, OfferIn
    from marketplace.services import households, offers

    staff = session.exec(select(User).where(User.username == "hub_shangcheng")).one()
    org = session.exec(select(User).where(User.username == "org_party")).one()
    household = households.create_household(
        session,
        actor=staff,
        data=HouseholdIn(
            name="钟小满",
            id_number=valid_id_number(8801),
            phone="13812345678",
            address="清波街道清波门社区1幢",
            community_code=COMMUNITY,
            hardship_type="bottom",
            members=2,
            tags=["elderly"],
        ),
    )
    deadline = date.today() + timedelta(days=30)
    for title in ("想要一个热水壶", "想要一床厚棉被"):
        households.create_need(
            session,
            actor=staff,
            data=NeedIn(
                household_id=household.id,
                kind="wish",
                item="07-02",
                title=title,
                description="旧的坏了。",
                value_yuan=Decimal(80),
                deadline=deadline,
            ),
        )
    for title in ("每周需要送两次午餐", "需要有人陪同去医院"):
        need = households.create_need(
            session,
            actor=staff,
            data=NeedIn(
                household_id=household.id,
                kind="service",
                item="01-01",
                title=title,
                description="老人独居。",
                value_yuan=Decimal(0),
                deadline=deadline,
            ),
        )
        households.publish_need(session, actor=staff, need_id=need.id or 0)
    offers.create_offer(
        session,
        actor=org,
        data=OfferIn(
            title="爱心午餐",
            items=["01-01"],
            regions=["330102"],
            capacity=10,
            start=date.today() - timedelta(days=1),
            end=date.today() + timedelta(days=60),
        ),
    )


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's own demo city: the journey publishes needs and accepts proposals."""
    with serve_demo(tmp_path_factory.mktemp("phone-browser"), review_and_round_work) as url:
        yield url


def small_targets(page: Any) -> list[str]:
    return page.evaluate(SMALL_TARGETS, TAP)


def fits_the_screen(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def on_screen(page: Any, locator: Any) -> bool:
    """The element is visible and wholly inside the viewport's width."""
    box = locator.bounding_box()
    width = page.evaluate("window.innerWidth")
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def display(locator: Any) -> str:
    return locator.evaluate("e => getComputedStyle(e).display")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_hub_staff_review_and_accept_on_a_phone(new_page, lang):
    tag = "zh" if lang == "zh_CN" else "en"
    page = new_page(PHONE, has_touch=True, is_mobile=True)
    login(page, "hub_shangcheng")
    page.goto(f"/lang/{lang}?next=/hub/")
    page.wait_for_load_state("networkidle")

    # The nine-item navigation is folded into a menu button that says where we are.
    toggle = page.locator(".mainnav .nav-toggle")
    links = page.locator("#mainnav-links")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert toggle.get_attribute("aria-controls") == "mainnav-links"
    assert not links.is_visible()
    current = page.locator("#mainnav-links a[aria-current=page]").first.text_content()
    assert current and current.strip() in toggle.inner_text()
    assert fits_the_screen(page)
    shot(page, f"phone-menu-closed-{tag}")

    # Opened by keyboard as by touch; Escape closes it and gives the focus back to the button.
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true" and links.is_visible()
    nav_links = links.locator("a")
    assert nav_links.count() == 13  # twelve destinations and the account
    for i in range(nav_links.count()):
        assert on_screen(page, nav_links.nth(i))
    assert small_targets(page) == []
    assert fits_the_screen(page)
    shot(page, f"phone-menu-open-{tag}")
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false" and not links.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('nav-toggle')")

    toggle.click()
    page.locator("#mainnav-links a[href='/hub/review']").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/hub/review")
    assert "Review" in toggle.inner_text() or "审核" in toggle.inner_text()

    # Filters: each label sits above its own field, aligned with it.
    for field in ("status", "kind", "item", "q"):
        label = page.locator(f"form.filters label[for={field}]").bounding_box()
        control = page.locator(f"#{field}").bounding_box()
        assert label and control
        assert label["y"] + label["height"] <= control["y"] + 1, field
        assert abs(label["x"] - control["x"]) <= 1, field
    page.select_option("#kind", "wish")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "kind=wish" in page.url

    # The review queue's rows are cards: every cell names its column, 发布 is on screen.
    row = page.locator("table.table-cards tbody tr:has(form[action*='/publish'])").first
    need_row = row.get_attribute("id")
    assert display(row) == "block"
    assert page.locator("table.table-cards thead th:not(.sortable)").first.is_hidden()
    cells = row.locator("td:not(.cell-actions)")
    labels = [cells.nth(i).get_attribute("data-label") for i in range(cells.count())]
    headings = page.locator("table.table-cards thead th").count()
    assert all(labels) and len(labels) == headings - 1, labels  # all but the actions
    publish = row.locator("form[action*='/publish'] button")
    assert on_screen(page, publish)
    assert fits_the_screen(page)
    assert small_targets(page) == []
    shot(page, f"phone-review-cards-{tag}")
    publish.click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".flash-success").count() == 1
    assert page.locator(f"#{need_row}").count() == 0  # no longer waiting for review

    # A match round; its proposals are cards and 接受 is on screen.
    open_menu(page)
    page.locator("#mainnav-links a[href='/rounds/']").click()
    page.wait_for_load_state("networkidle")
    assert fits_the_screen(page)
    assert small_targets(page) == []
    page.locator("form[action$='/rounds/start'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    row = page.locator("table.table-cards tbody tr:has(form[action*='accept'])").first
    row.wait_for()
    proposal_row = row.get_attribute("id")
    assert display(row) == "block"
    cells = row.locator("td:not(.cell-actions)")
    assert all(cells.nth(i).get_attribute("data-label") for i in range(cells.count()))
    accept = row.locator("form[action*='accept'] button")
    assert on_screen(page, accept)
    assert fits_the_screen(page)
    assert small_targets(page) == []
    shot(page, f"phone-round-cards-{tag}")
    accept.click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".flash-success").count() == 1
    assert page.locator(f"#{proposal_row} form[action*='accept']").count() == 0
    assert fits_the_screen(page)
    page.context.close()

    # On a desktop the same pages are tables, and the navigation is one row of links.
    page = new_page(DESKTOP)
    login(page, "hub_shangcheng")
    page.goto(f"/lang/{lang}?next=/hub/review?status=all")
    page.wait_for_load_state("networkidle")
    assert page.locator(".mainnav .nav-toggle").is_hidden()
    tops = page.locator("#mainnav-links a:not(.whoami)").evaluate_all(
        "links => links.map(a => Math.round(a.getBoundingClientRect().top))"
    )
    assert len(tops) == 12 and len(set(tops)) == 1, tops
    assert display(page.locator("table.table-cards tbody tr").first) == "table-row"
    assert page.locator("table.table-cards thead th").last.is_visible()
    # A table wider than the screen keeps its actions column in view.
    cancel = page.locator("table.table-cards tbody td.cell-actions summary").first
    assert on_screen(page, cancel)
    shot(page, f"desktop-review-table-{tag}")
    page.goto("/rounds/")
    page.locator("table.table-cards tbody a").first.click()
    page.wait_for_load_state("networkidle")
    assert display(page.locator("table.table-cards tbody tr").first) == "table-row"
    shot(page, f"desktop-round-table-{tag}")


STAFF_PAGES = {
    "hub_shangcheng": [
        "/hub/",
        "/hub/households",
        "/hub/households/new",
        "/hub/review?status=all",
        "/hub/deliveries",
        "/hub/import",
        "/rounds/",
        "/staff/dashboard",
        "/staff/offers",
        "/auth/account",
    ],
    "admin": [
        "/admin/",
        "/admin/users",
        "/admin/users/new",
        "/admin/users/import",
        "/admin/security",
        "/admin/audit",
        "/staff/offers",
    ],
}
UNLABELLED_CELLS = """() => [...document.querySelectorAll(
  'table.table-cards > tbody > tr > td:not(.cell-actions):not([colspan]):not([data-label])')]
  .map(td => td.closest('table').id || td.textContent.trim().slice(0, 30))"""


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_staff_page_fits_a_phone(new_page, lang):
    """Nothing scrolls sideways, every card cell names its column, every target is ≥ 44 px."""
    problems: dict[str, Any] = {}
    for account, urls in STAFF_PAGES.items():
        page = new_page(PHONE, has_touch=True, is_mobile=True)
        login(page, account)
        page.goto(f"/lang/{lang}?next=/")
        household = None
        if account == "hub_shangcheng":
            page.goto("/hub/households")
            household = page.locator("table tbody a").first.get_attribute("href")
        for url in urls + ([household, f"{household}/needs/new"] if household else []):
            page.goto(url)
            page.wait_for_load_state("networkidle")
            for summary in page.locator("main details.table-details > summary").all():
                summary.click()  # the dashboard's tables
            found = {
                "sideways": not fits_the_screen(page),
                "unlabelled cells": page.evaluate(UNLABELLED_CELLS),
                "small targets": small_targets(page),
            }
            if any(found.values()):
                problems[f"{account} {url}"] = {k: v for k, v in found.items() if v}
        page.context.close()
    assert not problems, problems


def test_round_page_has_no_serious_accessibility_violations_on_a_phone(new_page):
    """The round page (not in the main axe list: it needs a round) with the menu open."""
    page = new_page(PHONE, has_touch=True, is_mobile=True, bypass_csp=True)  # for axe only
    login(page, "hub_shangcheng")
    page.goto("/rounds/")
    page.locator("form[action$='/rounds/start'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    open_menu(page)
    found = axe(page)
    assert found == [], [f"{v['id']}: {v['help']}" for v in found]
    page.set_viewport_size(DESKTOP)
    assert axe(page) == []
