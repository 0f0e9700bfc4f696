"""Real-browser journeys (Playwright + Debian Chromium) and accessibility scans (axe-core)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image

from tests.browser.pages import (
    DESKTOP,
    PHONE,
    household_row,
    import_template,
    login,
    need_row,
    shot,
)
from tests.factories import valid_id_number

pytestmark = [
    pytest.mark.browser,
    # The browser may drop a connection while Werkzeug's threaded test server is still sending a
    # static file; Werkzeug then leaves that file to the garbage collector. That is the server's
    # behaviour under a real browser, not a leak of ours, and it surfaces in whichever test runs
    # when the collector does.
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_member_claims_and_reports_with_a_photo_on_a_phone(new_page, tmp_path):
    page = new_page(PHONE, has_touch=True, is_mobile=True)
    login(page, "member1")
    page.goto("/member/?district=330102")
    shot(page, "member-wish-pool-phone-zh")
    page.locator(".wish-title a").first.click()
    shot(page, "member-wish-phone-zh")
    page.get_by_role("button", name="认领这个微心愿").click()
    page.wait_for_load_state("networkidle")
    page.goto("/member/claims")
    shot(page, "member-claims-phone-zh")
    page.locator("a[href$='/deliver']").first.click()
    photo = tmp_path / "delivery.jpg"
    Image.new("RGB", (640, 480), (200, 120, 40)).save(photo, format="JPEG")
    page.fill("textarea[name=note]", "已送到家中，老人很满意。")
    page.set_input_files("input[type=file]", str(photo))
    shot(page, "member-deliver-phone-zh")
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    # The report is previewed (note, photo, need) and sent only once confirmed.
    page.locator("button[name=step][value=confirm]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".flash-success").count() == 1
    # The page fits a phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto("/lang/en?next=/member/claims")
    shot(page, "member-claims-phone-en")


def test_hub_staff_import_excel_and_confirm_a_delivery(new_page, tmp_path):
    page = new_page(DESKTOP, accept_downloads=True)
    login(page, "hub_shangcheng")
    page.goto("/hub/import")
    wb = import_template(page)
    id_number = valid_id_number(777001)
    household_row(wb, "周阿婆", id_number)
    need_row(wb, id_number, "想要一台取暖器")
    path = tmp_path / "import.xlsx"
    wb.save(path)
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="上传并导入").click()
    page.wait_for_load_state("networkidle")
    assert "已导入 1 户家庭和 1 条需求" in page.inner_text("main")
    shot(page, "hub-import-done-desktop-zh")
    page.goto("/hub/households?q=zap")
    assert "周阿婆" in page.inner_text("main")
    page.goto("/staff/map")
    page.wait_for_selector(".leaflet-marker-icon", timeout=10000)  # drawn offline, no tiles
    assert page.inner_text("#map-status") == ""
    page.goto("/hub/deliveries")
    shot(page, "hub-deliveries-desktop-zh")
    buttons = page.get_by_role("button", name="确认完成")
    if buttons.count():
        buttons.first.click()
        page.wait_for_load_state("networkidle")
        assert page.locator(".flash-success").count() == 1


def test_organisation_publishes_an_offer(new_page):
    page = new_page(DESKTOP)
    login(page, "org_party")
    page.goto("/org/offers/new")
    page.fill("#title", "冬日送温暖")
    page.locator("input[name=items][value='07-02']").check()
    page.wait_for_selector("[data-region-tree][data-ready]")
    page.locator(".tree-district summary", has_text="上城区").click()
    page.locator("input[name=regions][value='330102']").check()
    page.fill("#capacity", "20")
    page.fill("#end", (date.today() + timedelta(days=60)).isoformat())
    shot(page, "org-offer-form-desktop-zh")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    assert "冬日送温暖" in page.inner_text("main")


PAGES = {
    None: ["/", "/auth/login"],
    "member1": ["/member/", "/member/claims"],
    # Every staff page, on a phone as on a desktop (the round page, which needs a round, is in
    # test_phone_journey.py).
    "hub_shangcheng": [
        "/hub/",
        "/hub/households",
        "/hub/households/new",
        "/hub/review",
        "/hub/review?status=all",
        "/hub/deliveries",
        "/hub/import",
        "/rounds/",
        "/staff/dashboard",
        "/staff/map",
        "/staff/offers",
        "/auth/account",
    ],
    "org_party": ["/org/", "/org/assignments", "/org/offers/new"],
    "admin": [
        "/admin/",
        "/admin/users",
        "/admin/users/new",
        "/admin/users/import",
        "/admin/security",
        "/admin/audit",
        "/rounds/",
        "/staff/dashboard",
        "/staff/map",
        "/staff/offers",
    ],
}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_main_pages_have_no_serious_accessibility_violations(new_page, lang):
    problems: dict[str, list[str]] = {}
    for account, urls in PAGES.items():
        for viewport, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
            page = new_page(viewport, bypass_csp=True)  # only so that axe can be injected
            if account:
                login(page, account)
            page.goto(f"/lang/{lang}?next=/")
            extra = []
            if account == "member1":
                page.goto("/member/")
                link = page.locator(".wish-title a").first
                extra = [link.get_attribute("href")] if link.count() else []
            if account == "hub_shangcheng":
                page.goto("/hub/households")
                link = page.locator("table tbody a").first
                if link.count():
                    household = link.get_attribute("href")
                    page.goto(household)
                    token = page.locator("a[href*='/h/']").first
                    extra = [token.get_attribute("href")] if token.count() else []
                    extra += [f"{household}/needs/new", f"{household}/card"]
            for url in urls + [u for u in extra if u]:
                page.goto(url)
                page.wait_for_load_state("networkidle")
                name = (account or "public") + re.sub(r"[/?=&]", "-", url).rstrip("-")
                shot(page, f"{name}-{label}-{'zh' if lang == 'zh_CN' else 'en'}")
                found = axe(page)
                if found:
                    problems[f"{url} {label}"] = [
                        f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in found
                    ]
            page.context.close()
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_household_page_reads_on_an_old_phone(new_page, live_server):
    page = new_page({"width": 320, "height": 640}, bypass_csp=True)
    login(page, "hub_shangcheng")
    page.goto("/hub/households")
    page.locator("table tbody a").first.click()
    href = page.locator("a[href*='/h/']").first.get_attribute("href")
    page.goto("/hub/households")
    card = page.locator("table tbody a").first.get_attribute("href") + "/card"
    page.goto(card)
    shot(page, "hub-card-320-zh")
    page.context.clear_cookies()
    page.goto(href)
    shot(page, "household-happiness-320-zh")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 18
    assert axe(page) == []
