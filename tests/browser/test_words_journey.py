"""Journey (issue 12, items 6 and 7): dates in Beijing time and the words of the pages, at 00:30 in
Beijing — 16:30 UTC the day before — on phone and desktop, in Chinese and English.

The server's clock is moved (time-machine, ticking) to the next 00:30 in Beijing, and the
browser's clock with it (Playwright ``page.clock``). This module's own demo city has, for one
household, a delivery made at that minute, a wish a helper has claimed, and one still waiting for a
helper; and an offer that starts that Beijing day. The household's 幸福清单 shows the Beijing day,
lists only what a helper has as 正在路上, and in English names its items in English; the offer is
进行中 for its organisation and for the administrator alike; Chinese pages take "：" after labels,
never ":"; the dashboard says 抗风险能力 and times to help without "（小时）"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from marketplace.services.clock import BEIJING
from tests.browser.pages import fits, open_on, serve_demo, shot
from tests.factories import valid_id_number

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def _next_half_past_midnight() -> datetime:
    """The next 00:30 in Beijing, in the future: cookies set then are not already expired for the
    browser, whose network clock is the real one."""
    now = datetime.now(BEIJING)
    moment = now.replace(hour=0, minute=30, second=0, microsecond=0)
    return moment if moment > now else moment + timedelta(days=1)


MOMENT = _next_half_past_midnight()  # 00:30 Beijing
BJ_DAY = MOMENT.date().isoformat()
UTC_DAY = MOMENT.astimezone(UTC).date().isoformat()  # the day before
SEEDED: dict[str, Any] = {}
CHINESE_THEN_ASCII_COLON = re.compile(r"[\u4e00-\u9fff]:")


def _seed(session: Any) -> None:
    """A household of 上城区 with a delivery at 00:30 Beijing, a claimed wish and a waiting one; an
    offer of org_party that starts on that Beijing day."""
    from sqlmodel import select

    from marketplace.models import Claim, User
    from marketplace.schemas import HouseholdIn, NeedIn, OfferIn
    from marketplace.services import claims, households, offers

    def user(name: str) -> User:
        return session.exec(select(User).where(User.username == name)).one()

    staff, member = user("hub_shangcheng"), user("member3")
    household = households.create_household(
        session,
        actor=staff,
        data=HouseholdIn(
            name="郑秀梅",
            id_number=valid_id_number(424242),
            phone="13900001111",
            address="清波街道河坊街1号",
            community_code="330102001051",
            hardship_type="care",
            members=2,
            tags=["elderly", "disabled"],
        ),
    )

    def wish(title: str, item: str) -> int:
        need = households.create_need(
            session,
            actor=staff,
            data=NeedIn(
                household_id=household.id,
                kind="wish",
                item=item,
                title=title,
                description="",
                value_yuan=100,
                deadline=MOMENT.date() + timedelta(days=30),
            ),
        )
        households.publish_need(session, actor=staff, need_id=need.id or 0)
        return need.id or 0

    policy = claims.ClaimPolicy(max_open=10)
    delivered = claims.claim_wish(
        session, member=member, wish_id=wish("想要一床厚被子", "09-02"), policy=policy
    )
    claims.report_delivery(
        session, actor=member, claim_id=delivered.id, note="送到家里了，老人很满意"
    )
    session.get(Claim, delivered.id).delivered_at = MOMENT.astimezone(UTC)
    claims.claim_wish(
        session, member=member, wish_id=wish("想要一个电饭煲", "07-02"), policy=policy
    )
    wish("想要一个书包", "05-02")  # published, nobody has it yet
    offers.create_offer(
        session,
        actor=user("org_party"),
        data=OfferIn(
            title="零点开始的助餐项目",
            items=["01-01"],
            regions=["330102"],
            capacity=20,
            start=MOMENT.date(),
            end=MOMENT.date() + timedelta(days=30),
        ),
    )
    SEEDED["token"] = household.token


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_demo(tmp_path_factory.mktemp("words-browser"), _seed) as url:
        yield url


@pytest.fixture
def at_half_past_midnight() -> Iterator[None]:
    with time_machine.travel(MOMENT):  # ticking: the server's clock only moves
        yield


def _open(new_page: Any, device: str, lang: str, username: str | None = None) -> Any:
    page = open_on(new_page, device, lang, username)
    page.clock.set_system_time(MOMENT)  # the browser's clock flows from 00:30 too
    return page


def _text(page: Any) -> str:
    return str(page.inner_text("main"))


def _no_ascii_colon_after_chinese(page: Any, lang: str) -> None:
    if lang == "zh":
        found = CHINESE_THEN_ASCII_COLON.findall(_text(page))
        assert not found, (page.url, found)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_happiness_list_at_half_past_midnight(new_page, at_half_past_midnight, device, lang):
    page = _open(new_page, device, lang)
    page.goto(f"/h/{SEEDED['token']}")
    text = _text(page)
    shot(page, f"words-happiness-{lang}-{device}")
    # The Beijing day of a delivery at 00:30, never the UTC day before.
    assert BJ_DAY in text and UTC_DAY not in text
    received, on_the_way, waiting = (
        page.locator(".hh-section").nth(i).inner_text() for i in range(3)
    )
    assert "想要一床厚被子" in received
    assert "想要一个电饭煲" in on_the_way and "想要一个书包" not in on_the_way
    assert "想要一个书包" in waiting
    if lang == "zh":
        assert f"送达于 {BJ_DAY}" in received and "衣物被褥" in received
        assert "正在路上" in on_the_way and "等待帮扶" in waiting
    else:
        assert f"Delivered on {BJ_DAY}" in received
        # Item tags in English, not the Chinese names.
        assert "衣物被褥" not in text and "家具家电" not in text and "助学物资" not in text
        assert re.search(r"[Cc]lothing", received), received
    _no_ascii_colon_after_chinese(page, lang)
    fits(page, device)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_an_offer_starting_today_is_live_for_its_organisation_and_the_administrator(
    new_page, at_half_past_midnight, device, lang
):
    live = "进行中" if lang == "zh" else "Live"
    page = _open(new_page, device, lang, "org_party")
    page.goto("/org/")
    row = page.locator("tr", has_text="零点开始的助餐项目")
    assert live in row.inner_text()
    shot(page, f"words-org-offers-{lang}-{device}")
    _no_ascii_colon_after_chinese(page, lang)

    admin = _open(new_page, device, lang, "admin")
    admin.goto("/staff/offers?q=零点开始")
    row = admin.locator("tbody tr", has_text="零点开始的助餐项目")
    assert live in row.inner_text()
    assert (
        "助餐" if lang == "zh" else "Meals"
    ) in row.inner_text()  # items by name, in the language
    shot(admin, f"words-staff-offers-{lang}-{device}")
    _no_ascii_colon_after_chinese(admin, lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_staff_pages_speak_the_glossary(new_page, at_half_past_midnight, device, lang):
    page = _open(new_page, device, lang, "hub_shangcheng")
    for path, name in (("/staff/dashboard", "dashboard"), ("/hub/deliveries", "deliveries")):
        page.goto(path)
        text = _text(page)
        shot(page, f"words-{name}-{lang}-{device}")
        _no_ascii_colon_after_chinese(page, lang)
        assert "韧性" not in text and "驳回" not in text and "区县助联体" not in text
        if name == "dashboard":  # times to help in the unit that reads best, not "（小时）384"
            assert "帮扶用时中位数（小时）" not in text and "Median hours" not in text
    page.goto("/hub/deliveries")
    assert f"{BJ_DAY} 00:30" in _text(page)  # reported at 00:30 Beijing, shown so
    page.goto("/hub/households?q=郑秀梅")
    page.locator("a", has_text="郑秀梅").first.click()
    page.wait_for_load_state("networkidle")
    text = _text(page)
    shot(page, f"words-household-{lang}-{device}")
    _no_ascii_colon_after_chinese(page, lang)
    if lang == "zh":
        assert "抗风险能力" in text and "残疾人" in text and "韧性" not in text
    else:
        assert "Resilience score" in text or "resilience score" in text
        assert "残疾" not in text
    greeting = page.inner_text("header")
    assert "上城区区县助联体" not in greeting
