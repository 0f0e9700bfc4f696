"""Issue 12 items 2 and 3 in a real browser, on a phone and a desktop, in Chinese and English:
a member claims a home-delivery wish, sees the responsible hub's contact and the delivery
instructions, reveals the household's address (audited), sends an empty report (refused with a
clear message), then a photo: preview → confirm; a member gives a claim back with a reason; an
organisation sees its assignment's delivery information; hub staff edit their hub's contact."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlmodel import col, select

from tests.browser.pages import fits, open_on, serve_demo, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
CASES = [("phone", "zh"), ("desktop", "zh"), ("phone", "en"), ("desktop", "en")]
EMPTY = {"zh": "报告是空的", "en": "The report is empty"}


def _seed(session: Any) -> None:
    """A member per case (each claims afresh), and an organisation's home-service assignment."""
    from marketplace.demo import DEMO_PASSWORD
    from marketplace.models import Claim, Need, NeedStatus, Offer, Role, User, utcnow
    from marketplace.services import accounts

    for device, lang in CASES:
        accounts.create_user(
            session,
            actor=None,
            username=f"deliver_{device}_{lang}",
            password=DEMO_PASSWORD,
            role=Role.MEMBER,
            display_name="送达测试党员",
        )
    org_user = session.exec(select(User).where(User.username == "org_party")).one()
    offer = session.exec(select(Offer).where(Offer.org_id == org_user.org_id)).first()
    need = session.exec(
        select(Need)
        .where(Need.status == NeedStatus.OPEN.value, col(Need.community_code).startswith("3301"))
        .order_by(col(Need.id).desc())
    ).first()
    need.status = NeedStatus.MATCHED.value
    need.delivery_mode = "home_service"
    need.delivery_instructions = "上门服务，需先电话预约"
    session.add(need)
    session.add(Claim(need_id=need.id, offer_id=offer.id, due_at=utcnow() + timedelta(days=7)))


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_demo(tmp_path_factory.mktemp("delivery-browser"), _seed) as url:
        yield url


def _claim_first(page: Any, item: str) -> None:
    page.goto(f"/member/?item={item}")
    page.locator(".wish-title a").first.click()
    page.locator("form[action$='/claim'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize(("device", "lang"), CASES)
def test_member_delivers_a_home_delivery_with_a_previewed_report(
    new_page: Any, tmp_path: Path, device: str, lang: str
) -> None:
    page = open_on(new_page, device, lang, f"deliver_{device}_{lang}")
    name = f"delivery-{device}-{lang}"
    _claim_first(page, "07-02")  # appliances: the demo delivers them to the door
    card = page.locator("article.claim").first
    contact = card.locator(".hub-contact")
    assert contact.is_visible() and "0571-" in contact.inner_text()
    assert "电话预约" in card.locator(".delivery-instructions").inner_text()
    fits(page, device)
    shot(page, f"{name}-claims")

    # The household's address and phone: only on request, for this claim's helper.
    card.locator("form[action$='/household'] button").click()
    page.wait_for_load_state("networkidle")
    household = page.locator(".household-contact")
    assert household.is_visible() and "号" in household.inner_text()
    fits(page, device)
    shot(page, f"{name}-address")

    page.goto("/member/claims")
    page.locator("article.claim").first.locator("a[href$='/deliver']").click()
    page.locator("button[name=step][value=preview]").click()
    page.wait_for_load_state("networkidle")
    error = page.locator(".field-errors").first
    assert EMPTY[lang] in page.inner_text("main"), page.inner_text("main")[:500]
    assert error.count() == 1
    shot(page, f"{name}-empty-refused")

    photo = tmp_path / "delivery.jpg"
    Image.new("RGB", (800, 600), (60, 140, 200)).save(photo, format="JPEG")
    page.set_input_files("input[type=file]", str(photo))
    page.locator("button[name=step][value=preview]").click()
    page.wait_for_load_state("networkidle")
    preview = page.locator(".delivery-preview")
    assert preview.is_visible() and page.locator("img.preview-photo").is_visible()
    fits(page, device)
    shot(page, f"{name}-preview")
    page.locator("button[name=step][value=confirm]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".flash-success").count() == 1
    # Delivered: the address is no longer offered.
    assert page.locator("article.claim").first.locator("form[action$='/household']").count() == 0
    shot(page, f"{name}-sent")


@pytest.mark.parametrize(("device", "lang"), [("phone", "zh"), ("desktop", "en")])
def test_member_gives_a_claim_back_with_a_reason(new_page: Any, device: str, lang: str) -> None:
    page = open_on(new_page, device, lang, f"deliver_{device}_{lang}")
    _claim_first(page, "05-02")
    page.locator("article.claim").first.locator("a[href$='/give-up']").click()
    page.wait_for_load_state("networkidle")
    page.locator("main form[method=post] button[type=submit]").first.click()  # no reason
    page.wait_for_load_state("networkidle")
    assert page.locator("textarea[name=reason][aria-invalid=true], .field-errors").count() >= 1
    page.fill(
        "textarea[name=reason]", "临时出差，无法按时送达" if lang == "zh" else "Away on business"
    )
    shot(page, f"give-up-{device}-{lang}")
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".flash-success").count() == 1
    fits(page, device)
    shot(page, f"give-up-{device}-{lang}-done")


@pytest.mark.parametrize(
    ("device", "lang"), [("phone", "zh"), ("desktop", "zh"), ("desktop", "en")]
)
def test_organisation_sees_where_to_deliver_its_assignment(
    new_page: Any, device: str, lang: str
) -> None:
    page = open_on(new_page, device, lang, "org_party")
    page.goto("/org/assignments")
    info = page.locator(".delivery-info").first
    assert info.is_visible() and "上门服务，需先电话预约" in info.inner_text()
    fits(page, device)
    shot(page, f"org-assignment-{device}-{lang}")
    info.locator("form[action$='/household'] button").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".household-contact").is_visible()
    shot(page, f"org-assignment-address-{device}-{lang}")


@pytest.mark.parametrize(
    ("device", "lang"), [("phone", "zh"), ("desktop", "zh"), ("desktop", "en")]
)
def test_hub_staff_edit_their_contact(new_page: Any, device: str, lang: str) -> None:
    page = open_on(new_page, device, lang, "hub_hubin")
    page.goto("/hub/")
    page.locator("a[href='/hub/contact']").first.click()
    page.wait_for_load_state("networkidle")
    page.fill("input[name=contact_phone]", "12345")
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("input[name=contact_phone][aria-invalid=true], .field-errors").count() >= 1
    page.fill("input[name=contact_name]", "李老师")
    page.fill("input[name=contact_phone]", "0571-87654321")
    page.fill("input[name=handover_address]", "湖滨街道社会救助服务联合体服务大厅 1 楼")
    page.fill("input[name=office_hours]", "周一至周六 8:30–17:30")
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".flash-success").count() == 1
    assert page.input_value("input[name=contact_phone]") == "0571-87654321"
    fits(page, device)
    shot(page, f"hub-contact-{device}-{lang}")
