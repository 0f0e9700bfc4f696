"""Journey (issue 12, item 5): the administrator creates a hub staff account (with its hub) and a
Party member account one by one and more from Excel (all or nothing, with a row report), disables
one and resets another's password; the person logs in with the temporary password, must choose
their own, and is greeted by name. The login page says whom to ask about a forgotten password.
Phone and desktop, Chinese and English; this module's own server (it creates accounts)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.browser.pages import fits, login, open_on, serve_demo, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
NEW_PASSWORD = "my-own-passphrase-2026"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_demo(tmp_path_factory.mktemp("accounts-browser")) as url:
        yield url


def _go(page: Any, path: str, lang: str) -> None:
    page.goto(f"/lang/en?next={path}" if lang == "en" else path)


def _create(page: Any, *, role: str, username: str, name: str, hub: str = "") -> str:
    """Fill the new-account form (the hub found by name); the temporary password shown once."""
    page.goto("/admin/users/new")
    page.select_option("select[name=role]", role)
    page.fill("input[name=username]", username)
    page.fill("input[name=display_name]", name)
    if hub:
        page.fill("input[name=hub_q]", hub)
        page.locator("button[value=find]").click()
        page.wait_for_load_state("networkidle")
        page.locator(".hub-results button").first.click()
        page.wait_for_load_state("networkidle")
        assert page.locator(".picked").is_visible()
    page.locator("button[value=create]").click()
    page.wait_for_load_state("networkidle")
    password = page.inner_text("#temporary-password").strip()
    assert len(password) >= 12, password
    return password


def _first_login(page: Any, username: str, password: str) -> None:
    """A temporary password: the change-password page comes first, then home, greeted by name."""
    login(page, username, password)
    assert page.url.endswith("/auth/password")
    assert page.locator(".flash-info").count() == 1  # "you are using a temporary password"
    page.goto("/")  # nothing else opens before the password is changed
    assert page.url.endswith("/auth/password")
    page.fill("input[name=current]", password)
    page.fill("input[name=new]", NEW_PASSWORD)
    page.fill("input[name=confirm]", NEW_PASSWORD)
    page.locator("form[action$='/auth/password'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert not page.url.endswith("/auth/password")


@pytest.mark.parametrize(("device", "lang"), [("desktop", "zh"), ("phone", "en")])
def test_admin_creates_accounts_one_by_one_and_they_log_in_greeted_by_name(new_page, device, lang):
    admin = open_on(new_page, device)
    login(admin, "admin")
    _go(admin, "/admin/users/new", lang)
    fits(admin, device)
    shot(admin, f"admin-user-new-{device}-{lang}")
    staff_login, staff_name = f"qingbo_{lang}_{device}", "陈清波" if lang == "zh" else "Chen Qingbo"
    staff_password = _create(
        admin, role="hub_staff", username=staff_login, name=staff_name, hub="清波"
    )
    page_text = admin.inner_text("main")
    assert staff_login in page_text and staff_name in page_text and "清波" in page_text
    fits(admin, device)
    shot(admin, f"admin-user-created-{device}-{lang}")
    member_login, member_name = f"dangyuan_{lang}_{device}", "林党员"
    member_password = _create(admin, role="member", username=member_login, name=member_name)

    staff = open_on(new_page, device)
    _go(staff, "/auth/login", lang)
    _first_login(staff, staff_login, staff_password)
    if lang == "en":
        assert "Your password is changed" in staff.inner_text("main")
    greeting = staff.inner_text(".whoami")
    assert staff_name in greeting and staff_login not in greeting
    assert "/hub" in staff.url  # hub staff land on their hub's pages
    shot(staff, f"hub-staff-first-home-{device}-{lang}")

    member = open_on(new_page, device)
    _go(member, "/auth/login", lang)
    _first_login(member, member_login, member_password)
    assert member_name in member.inner_text(".whoami")
    assert member_login not in member.inner_text(".whoami")


@pytest.mark.parametrize(("device", "lang"), [("phone", "zh"), ("desktop", "en")])
def test_admin_creates_accounts_from_excel_all_or_nothing(new_page, tmp_path, device, lang):
    admin = open_on(new_page, device, accept_downloads=True)
    login(admin, "admin")
    _go(admin, "/admin/users/import", lang)
    with admin.expect_download() as download:
        admin.locator("a[href$='/admin/users/import-template.xlsx']").click()
    template = Path(download.value.path()).read_bytes()

    def workbook(rows: list[dict[str, str]]) -> Path:
        wb = load_workbook(io.BytesIO(template))
        ws = wb["账号"]
        headings = {str(c.value).strip(): c.column for c in ws[1] if c.value}
        district = _list_value(wb, "330102")
        for row in rows:
            r = ws.max_row + 1
            for heading, value in row.items():
                ws.cell(row=r, column=headings[heading], value=value.replace("$D", district))
        path = tmp_path / f"accounts-{len(rows)}.xlsx"
        wb.save(path)
        return path

    tag = f"{lang}{device[0]}"
    rows = [
        {"登录名": f"xls_hub_{tag}", "姓名": "周助联", "角色": "助联体工作人员", "区县": "$D"},
        {"登录名": f"xls_member_{tag}", "姓名": "吴党员", "角色": "党员"},
    ]
    # A file with one mistake creates nothing: the hub staff row lacks its district, and one
    # login name is taken.
    bad = [dict(rows[0], **{"区县": ""}), dict(rows[1], **{"登录名": "member1"})]
    admin.set_input_files("input[type=file]", str(workbook(bad)))
    admin.locator("form[enctype] button[type=submit]").click()
    admin.wait_for_load_state("networkidle")
    assert admin.locator(".flash-error").count() == 1
    report = admin.locator("#import-errors tbody tr")
    assert report.count() >= 2
    assert {report.nth(i).locator("td").nth(1).inner_text() for i in range(report.count())} == {
        "2",
        "3",
    }
    fits(admin, device)
    shot(admin, f"admin-accounts-excel-errors-{device}-{lang}")
    admin.goto(f"/admin/users?q=xls_hub_{tag}")
    assert f"xls_hub_{tag}" not in admin.inner_text("main")  # nothing was created

    _go(admin, "/admin/users/import", lang)
    admin.set_input_files("input[type=file]", str(workbook(rows)))
    admin.locator("form[enctype] button[type=submit]").click()
    admin.wait_for_load_state("networkidle")
    created = admin.locator("#created-accounts tbody tr")
    assert created.count() == 2
    first = created.nth(0).inner_text()
    assert f"xls_hub_{tag}" in first and "上城区" in first
    passwords = [
        created.nth(i).locator("td.secret").inner_text().strip() for i in range(created.count())
    ]
    assert all(len(p) >= 12 for p in passwords)
    fits(admin, device)
    shot(admin, f"admin-accounts-excel-created-{device}-{lang}")

    person = open_on(new_page, device)
    _first_login(person, f"xls_member_{tag}", passwords[1])
    assert "吴党员" in person.inner_text(".whoami")


def _list_value(wb: Any, code: str) -> str:
    """The drop-down value of a region ("330102 上城区") from the template's hidden list sheet."""
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str) and re.match(rf"^{code} \S", value):
                    return value
    raise AssertionError(f"{code} is not in the template's lists")


@pytest.mark.parametrize(("device", "lang"), [("desktop", "en"), ("phone", "zh")])
def test_admin_disables_one_account_and_resets_anothers_password(new_page, device, lang):
    admin = open_on(new_page, device)
    login(admin, "admin")
    target, other = ("member4", "member5") if lang == "en" else ("member2", "member3")

    _go(admin, f"/admin/users?q={target}", lang)
    row = admin.locator("table tbody tr", has_text=target).first
    row.locator("form[action*='/active'] button").click()
    admin.wait_for_load_state("networkidle")
    assert admin.locator(".flash-success").count() == 1
    row = admin.locator("table tbody tr", has_text=target).first
    assert row.locator(".pill-cancelled").count() == 1  # shown as disabled
    fits(admin, device)
    shot(admin, f"admin-user-disabled-{device}-{lang}")
    blocked = open_on(new_page, device)
    login(blocked, target)
    assert "/auth/login" in blocked.url  # a disabled account cannot log in
    assert blocked.locator(".flash-error").count() == 1

    admin.goto(f"/admin/users?q={other}")
    admin.locator("table tbody tr", has_text=other).first.locator(
        "form[action*='/password'] button"
    ).click()
    admin.wait_for_load_state("networkidle")
    temporary = admin.inner_text("#temporary-password").strip()
    shot(admin, f"admin-password-reset-{device}-{lang}")
    person = open_on(new_page, device)
    login(person, other)  # the old password no longer works
    assert "/auth/login" in person.url
    _first_login(person, other, temporary)
    assert other not in person.inner_text(".whoami")  # greeted by the display name (党员N)


@pytest.mark.parametrize(("device", "lang"), [("phone", "zh"), ("phone", "en"), ("desktop", "zh")])
def test_the_login_page_says_whom_to_ask_about_a_forgotten_password(new_page, device, lang):
    page = open_on(new_page, device)
    _go(page, "/auth/login", lang)
    page.locator("details.forgot summary").click()
    text = page.inner_text("details.forgot")
    if lang == "en":
        assert "ask your hub" in text and "civil-affairs bureau" in text and "e-mail" in text
    else:
        assert "助联体" in text and "民政" in text
    fits(page, device)
    shot(page, f"login-forgot-password-{device}-{lang}")
