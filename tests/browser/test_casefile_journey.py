"""Journeys (issue 14, 一户一档) on a phone: a paired Party member opens "我的结对家庭" from the
menu and records a visit from the phone form; a household asks for help from its 幸福码 page
(no login) and the street hub's staff (湖滨街道, ``hub_hubin``) find the request among their leads;
the hub's staff correct a mistyped phone number on the household page and see the change, masked,
in the household's history (变更记录). Chinese and English; each case on its own households of
the demo city served by this module."""

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
DISTRICT = "330102"  # 上城区, hub_shangcheng's district
STREET = "330102003"  # 湖滨街道, hub_hubin's street
LANGS = ["zh", "en"]
DEVICE = "phone"
# Filled by the server's prepare hook: per language, the households of each journey.
HOMES: dict[str, dict[str, dict[str, Any]]] = {}


def _prepare(session: Any) -> None:
    """Per language, two households of the district: one paired with member1 by the district's
    staff, one whose phone number gets corrected; and the street's household, whose 幸福码 asks
    for help (once a language)."""
    from sqlmodel import col, select

    from marketplace.models import Household, User
    from marketplace.services import clock, pairings

    staff = session.exec(select(User).where(User.username == "hub_shangcheng")).one()
    member = session.exec(select(User).where(User.username == "member1")).one()
    homes = session.exec(
        select(Household)
        .where(col(Household.community_code).startswith(DISTRICT))
        .where(Household.stage != "exited")
        .order_by(col(Household.id))
    ).all()
    asking = next(h for h in homes if h.community_code.startswith(STREET))
    others = [h for h in homes if h.id != asking.id]
    assert len(others) >= 2 * len(LANGS), "the demo city has enough households in 上城区"
    for i, lang in enumerate(LANGS):
        paired, mistyped = others[2 * i : 2 * i + 2]
        pairings.pair(
            session,
            actor=staff,
            household_id=paired.id,
            member_id=member.id,
            end=(clock.beijing_today() + timedelta(days=365)).isoformat(),
        )
        HOMES[lang] = {
            "paired": {"id": paired.id},
            "asking": {"id": asking.id, "token": asking.token},
            "mistyped": {"id": mistyped.id, "phone": mistyped.phone},
        }


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_demo(tmp_path_factory.mktemp("casefile-browser"), _prepare) as url:
        yield url


def _masked(phone: str) -> str:
    digits = "".join(c for c in phone if c.isdigit())
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


@pytest.mark.parametrize("lang", LANGS)
def test_a_paired_member_records_a_visit_on_the_phone(new_page: Any, lang: str) -> None:
    tag = f"{DEVICE}-{lang}"
    household_id = HOMES[lang]["paired"]["id"]
    page = open_on(new_page, DEVICE, lang, username="member1")

    # 我的结对家庭 from the menu: the household, masked, with its hub and a visit to record.
    open_menu(page)
    page.locator("#mainnav-links a[href='/member/paired']").click()
    page.wait_for_load_state("networkidle")
    card = page.locator(f"#paired-{household_id}")
    assert card.is_visible()
    hub = card.locator("dl.facts dd").nth(3).inner_text().strip()
    assert hub not in ("", "—"), hub
    fits(page, DEVICE)
    shot(page, f"casefile-paired-{tag}")

    # The phone form: a phone call, with a note and what was found.
    card.locator(f"a[href='/member/paired/{household_id}/visit']").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/member/paired/{household_id}/visit")
    assert page.locator("#visited_on").input_value()  # today, filled in
    page.locator("input[name=mode][value=phone]").check()
    page.fill("#note", "电话问候，老人身体还好")
    page.fill("#findings", "冬天需要一床厚被子")
    fits(page, DEVICE)
    shot(page, f"casefile-visit-form-{tag}")
    page.locator("form.form-stack button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    # Back on the list: recorded, and a last visit shown.
    assert page.url.split("?")[0].endswith("/member/paired")
    assert page.locator(".flash-success").count() == 1
    card = page.locator(f"#paired-{household_id}")
    last = card.locator("dl.facts dd").nth(1).inner_text().strip()
    assert last not in ("", "—"), last
    fits(page, DEVICE)
    shot(page, f"casefile-visit-recorded-{tag}")


@pytest.mark.parametrize("lang", LANGS)
def test_a_household_asks_for_help_and_the_street_hub_sees_the_lead(
    new_page: Any, lang: str
) -> None:
    tag = f"{DEVICE}-{lang}"
    token = HOMES[lang]["asking"]["token"]
    text = f"家里水管坏了，老人行动不便 ({lang})"

    # The 幸福码 page, no login: the jump to the form, then the request.
    page = open_on(new_page, DEVICE, lang)
    page.goto(f"/h/{token}")
    page.locator(".hh-jump a[href='#ask-help']").click()
    form = page.locator(f"#ask-help form[action='/h/{token}/help']")
    assert form.is_visible()
    form.locator("#text").fill(text)
    form.locator("#contact").fill("下午打电话 13900001234")
    fits(page, DEVICE)
    shot(page, f"casefile-help-form-{tag}")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.url.split("#")[0].endswith(f"/h/{token}")
    assert page.locator(".flash-success").count() == 1
    assert (
        int(page.locator("#ask-help [data-open-requests]").get_attribute("data-open-requests")) >= 1
    )
    fits(page, DEVICE)
    shot(page, f"casefile-help-sent-{tag}")

    # The street hub's staff: a lead from the 幸福码, with the household linked and a due date.
    staff = open_on(new_page, DEVICE, lang, username="hub_hubin")
    open_menu(staff)
    staff.locator("#mainnav-links a[href='/hub/']").click()
    staff.wait_for_load_state("networkidle")
    staff.locator("main a.btn[href='/hub/leads']").click()
    staff.wait_for_load_state("networkidle")
    row = staff.locator("tbody tr", has_text=text)
    assert row.count() == 1
    assert row.locator(f"a[href$='/hub/households/{HOMES[lang]['asking']['id']}']").count() == 1
    assert "13900001234" in row.inner_text()
    fits(staff, DEVICE)
    shot(staff, f"casefile-help-lead-{tag}")


@pytest.mark.parametrize("lang", LANGS)
def test_staff_correct_a_mistyped_phone_and_see_it_in_the_history(new_page: Any, lang: str) -> None:
    tag = f"{DEVICE}-{lang}"
    home = HOMES[lang]["mistyped"]
    corrected = "13912345678" if lang == "zh" else "13987654321"
    page = open_on(new_page, DEVICE, lang, username="hub_shangcheng")

    # The household page: 编辑.
    page.goto(f"/hub/households/{home['id']}")
    page.locator(f"a.btn[href='/hub/households/{home['id']}/edit']").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#phone").input_value() == home["phone"]
    page.fill("#phone", corrected)
    fits(page, DEVICE)
    shot(page, f"casefile-edit-{tag}")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.url.split("?")[0].split("#")[0].endswith(f"/hub/households/{home['id']}")
    assert page.locator(".flash-success").count() == 1

    # 变更记录: the phone, before and after, masked; nobody sees the whole number there.
    history = page.locator("#history")
    history.scroll_into_view_if_needed()
    text = history.inner_text()
    assert _masked(corrected) in text, text
    assert _masked(home["phone"]) in text, text
    assert corrected not in text and home["phone"] not in text
    row = history.locator("tbody tr", has_text=_masked(corrected))
    assert row.count() == 1
    fits(page, DEVICE)  # the score card's indicator keys wrap (source.temporary_assistance)
    shot(page, f"casefile-history-{tag}")

    # The whole history, its own page: the same row, masked.
    page.goto(f"/hub/households/{home['id']}/history")
    whole = page.locator("main").inner_text()
    assert _masked(corrected) in whole and corrected not in whole
    assert page.locator("tbody tr", has_text=_masked(corrected)).count() == 1
    fits(page, DEVICE)
    shot(page, f"casefile-history-page-{tag}")
