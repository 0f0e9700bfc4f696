"""Issue 16 (service records) in a real browser: a member delivers a wish declaring the hours,
hub staff confirm it correcting the hours, the household rates the help and says thank you on its
幸福码 page, the hub shows the thanks to the helper (its words scrubbed), the member sees the record
(我的志愿服务记录) with the thanks and downloads the certificate (志愿服务记录证明); its QR address
opens the public verification page, and a forged code is answered "not valid". Phone first
(390 px), desktop too; zh and en."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.pages import DEVICES, fits, open_menu, open_on, serve_demo, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
CASES = [("phone", "zh"), ("desktop", "zh"), ("phone", "en")]
VALID = {"zh": "该证明真实有效", "en": "This certificate is valid"}
INVALID = {"zh": "无效", "en": "Not valid"}


def _seed(session: Any) -> None:
    from marketplace.demo import DEMO_PASSWORD
    from marketplace.models import Role
    from marketplace.services import accounts

    for device, lang in CASES:
        accounts.create_user(
            session,
            actor=None,
            username=f"records_{device}_{lang}",
            password=DEMO_PASSWORD,
            role=Role.MEMBER,
            display_name="王小明",
        )


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_demo(tmp_path_factory.mktemp("records-browser"), _seed) as url:
        yield url


@pytest.mark.parametrize(("device", "lang"), CASES)
def test_delivery_with_hours_to_a_verified_certificate(
    new_page: Any, tmp_path: Path, device: str, lang: str
) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext missing (apt-get install poppler-utils)")
    name = f"records-{device}-{lang}"
    member = open_on(new_page, device, lang, f"records_{device}_{lang}")
    # Claim an open wish of 上城区 (hub_shangcheng confirms it).
    member.goto("/member/?district=330102")
    member.locator(".wish-title a").first.click()
    member.wait_for_load_state("networkidle")
    need_id = int(re.search(r"/member/wishes/(\d+)", member.url).group(1))
    member.locator("form[action$='/claim'] button[type=submit]").click()
    member.wait_for_load_state("networkidle")

    # Deliver, declaring 2.5 hours: a wrong figure is refused first.
    member.locator("article.claim a[href$='/deliver']").first.click()
    member.wait_for_load_state("networkidle")
    claim_id = int(re.search(r"/member/claims/(\d+)/deliver", member.url).group(1))
    member.fill("textarea[name=note]", "电饭煲已经送到，老人很满意，帮忙试用了一次。")
    member.fill("input[name=hours]", "30")
    member.locator("button[name=step][value=preview]").click()
    member.wait_for_load_state("networkidle")
    assert member.locator("#hours-errors").is_visible()
    member.fill("input[name=hours]", "2.5")
    shot(member, f"{name}-deliver")
    member.locator("button[name=step][value=preview]").click()
    member.wait_for_load_state("networkidle")
    assert "2.5" in member.locator(".preview-hours").inner_text()
    fits(member, device)
    shot(member, f"{name}-preview")
    member.locator("button[name=step][value=confirm]").click()
    member.wait_for_load_state("networkidle")
    assert member.locator(".flash-success").count() == 1

    # The hub sees the declared hours and corrects them to 2.
    hub = open_on(new_page, device, lang, "hub_shangcheng")
    hub.goto("/hub/deliveries?sort=-delivered")
    card = hub.locator(f"#need-{need_id}")
    hours = card.locator("input[name=hours]")
    assert hours.input_value() == "2.5"
    hours.fill("2")
    fits(hub, device)
    shot(hub, f"{name}-hub-confirm")
    household = card.locator("a[href*='/hub/households/']").first.get_attribute("href")
    card.locator("form.confirm-form button[type=submit]").click()
    hub.wait_for_load_state("networkidle")
    assert hub.locator(".flash-success").count() == 1

    # The household, on its 幸福码 page (signed out, on a phone), rates the help 4 of 5 and says
    # thank you; the phone number in its words never reaches the helper.
    hub.goto(household)
    happiness = hub.locator("a[href*='/h/']").first.get_attribute("href")
    family = open_on(new_page, "phone", lang)
    family.goto(happiness)
    item = family.locator(f"#claim-{claim_id}")
    item.locator("details.hh-rate summary").click()
    item.locator("input[type=radio][value='4']").check()
    words = f"谢谢你，电饭煲很好用！（{device}）"
    item.locator("textarea").fill(words + "有事打我电话13812345678")
    fits(family, "phone")
    shot(family, f"{name}-household-thanks")
    item.locator("details.hh-rate form button[type=submit]").click()
    family.wait_for_load_state("networkidle")
    assert family.locator(".flash-success").count() == 1
    assert family.locator(f"#claim-{claim_id} .hh-rated").is_visible()
    shot(family, f"{name}-household-rated")

    # The hub reads it (pending: not yet with the helper) and shows it to the helper.
    open_menu(hub)
    hub.locator("#mainnav-links a[href='/hub/']").click()  # the hub home links the ratings
    hub.wait_for_load_state("networkidle")
    hub.locator(".page-head a[href='/hub/feedback']").click()
    hub.wait_for_load_state("networkidle")
    pending = hub.locator("article.feedback", has_text=words)
    assert pending.count() == 1
    assert "13812345678" not in pending.inner_text()
    fits(hub, device)
    shot(hub, f"{name}-hub-feedback")
    pending.locator("form[action$='/shown'] button[type=submit]").click()
    hub.wait_for_load_state("networkidle")
    assert hub.locator(".flash-success").count() == 1
    assert hub.locator("article.feedback", has_text=words).count() == 0

    # The member's records: reachable from the navigation, the corrected hours, the points.
    member.goto("/member/")
    member.locator("a[href='/member/records']").first.click()
    member.wait_for_load_state("networkidle")
    record = member.locator("article.record").first
    assert record.is_visible()
    assert record.locator(".record-hours").inner_text().startswith("2.0")
    assert "2.5" in record.locator(".record-hours").inner_text()  # declared
    assert "*" in record.inner_text()  # the household masked
    assert int(member.locator("[data-total=points]").inner_text()) > 0
    thanks = record.locator(".record-thanks")
    assert words in thanks.inner_text() and "13812345678" not in thanks.inner_text()
    fits(member, device)
    shot(member, f"{name}-records")

    with member.expect_download() as download:
        member.locator("form[action='/member/records'][method=post] button").click()
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "王小明" in text and "上城区" in text
    url = re.search(r"(http://127\.0\.0\.1:\d+/verify/[A-Za-z0-9_-]+)", text).group(1)

    # The QR code's address: anyone (signed out) sees it valid, with the totals and no household.
    visitor = new_page(DEVICES[device], **({"is_mobile": True} if device == "phone" else {}))
    if lang == "en":
        visitor.goto("/lang/en?next=/")
    visitor.goto(url)
    assert VALID[lang] in visitor.inner_text("main")
    assert visitor.locator("[data-verify=hours]").inner_text() == "2.0"
    assert visitor.locator("[data-verify=records]").inner_text() == "1"
    assert visitor.locator("[data-verify=volunteer]").inner_text() == "王*"
    fits(visitor, device)
    shot(visitor, f"{name}-verify")
    response = visitor.goto(url[:-3] + "xyz")
    assert response is not None and response.status == 404
    assert INVALID[lang] in visitor.inner_text("main")
    fits(visitor, device)
    shot(visitor, f"{name}-verify-forged")
