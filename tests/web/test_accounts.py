"""Account pages (issue 12, item 5): the administrator creates hub staff (hub chosen district →
street → community, or found by name) and Party member accounts, one by one and from Excel (all or
nothing, with a row report), disables accounts and resets passwords; everyone changes their own
password and display name; the login page says whom to ask for a forgotten password."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from marketplace.db import get_engine, session_scope
from marketplace.models import Hub, User
from marketplace.services import account_import
from tests.factories import PASSWORD

COMMUNITY = "330102001051"  # 上城区 清波街道 清波门社区


def _temporary_password(page: str) -> str:
    match = re.search(r'id="temporary-password">([^<]+)<', page)
    assert match, page[:3000]
    return match.group(1)


def _user(app: Flask, username: str) -> User | None:
    with session_scope(get_engine(app)) as s:
        return s.exec(select(User).where(User.username == username)).first()


def _new_account(client: FlaskClient, **form: str) -> Any:
    return client.post("/admin/users/new", data={"action": "create", **form})


def test_hub_picker_walks_district_street_community(as_role):
    admin = as_role("admin")
    page = admin.get("/admin/users/new").get_data(as_text=True)
    assert 'name="district"' in page and "上城区" in page
    assert 'value="330102001"' not in page  # streets appear once a district is chosen
    r = admin.post("/admin/users/new", data={"action": "refresh", "district": "330102"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'value="330102001"' in page
    r = admin.post(
        "/admin/users/new",
        data={"action": "refresh", "district": "330102", "street": "330102001"},
    )
    assert f'value="{COMMUNITY}"' in r.get_data(as_text=True)
    # A street of another district is dropped, not trusted.
    r = admin.post(
        "/admin/users/new",
        data={"action": "refresh", "district": "330106", "street": "330102001"},
    )
    page = r.get_data(as_text=True)
    assert '<option selected value="330106">' in page
    assert 'value="330102001"' not in page


def test_hub_found_by_name(as_role):
    admin = as_role("admin")
    r = admin.post("/admin/users/new", data={"action": "find", "hub_q": "清波门"})
    page = r.get_data(as_text=True)
    assert f'value="choose:{COMMUNITY}"' in page and "上城区 › 清波街道 › 清波门社区" in page
    r = admin.post(
        "/admin/users/new", data={"action": f"choose:{COMMUNITY}", "username": "kept-name"}
    )
    page = r.get_data(as_text=True)
    assert f'<option selected value="{COMMUNITY}">' in page and 'value="kept-name"' in page
    assert '<option selected value="330102001">' in page


def test_admin_creates_hub_staff_with_their_hub(app: Flask, as_role):
    admin = as_role("admin")
    r = _new_account(
        admin,
        role="hub_staff",
        username="qingbo_staff",
        display_name="王芳",
        district="330102",
        street="330102001",
        community=COMMUNITY,
    )
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    password = _temporary_password(page)
    assert "清波门社区" in page
    user = _user(app, "qingbo_staff")
    assert user is not None and user.must_change_password and user.display_name == "王芳"
    with session_scope(get_engine(app)) as s:
        hub = s.get(Hub, user.hub_id)
        assert hub is not None and hub.region_code == COMMUNITY
    # The new account logs in with the temporary password and must replace it first.
    client = app.test_client()
    r = client.post("/auth/login", data={"username": "qingbo_staff", "password": password})
    assert r.headers["Location"].endswith("/auth/password")
    r = client.post(
        "/auth/password",
        data={"current": password, "new": "wang-fang-own-pass", "confirm": "wang-fang-own-pass"},
    )
    assert r.status_code == 302
    page = client.get("/hub/").get_data(as_text=True)
    assert "王芳" in page and "qingbo_staff ·" not in page


def test_hub_staff_need_a_hub_and_a_free_name(as_role, users):
    admin = as_role("admin")
    r = _new_account(admin, role="hub_staff", username="nohub_staff")
    assert r.status_code == 422 and 'id="district-errors"' in r.get_data(as_text=True)
    r = _new_account(admin, role="member", username=users["member"].username)
    assert r.status_code == 409 and 'id="username-errors"' in r.get_data(as_text=True)


def test_admin_creates_a_party_member(app: Flask, as_role):
    r = _new_account(as_role("admin"), role="member", username="dangyuan_li", display_name="李明")
    assert r.status_code == 200
    password = _temporary_password(r.get_data(as_text=True))
    user = _user(app, "dangyuan_li")
    assert user is not None and user.role == "member" and user.hub_id is None
    r = app.test_client().post(
        "/auth/login", data={"username": "dangyuan_li", "password": password}
    )
    assert r.status_code == 302


def test_only_the_administrator_manages_accounts(as_role):
    for role in ("hub_staff", "member", "org"):
        client = as_role(role)
        assert client.get("/admin/users/new").status_code == 403
        assert _new_account(client, role="member", username=f"x_{role}").status_code == 403
        assert client.get("/admin/users/import").status_code == 403
        assert client.get("/admin/security").status_code == 403


def test_disable_and_reset_from_the_users_page(app: Flask, as_role, users):
    admin = as_role("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    member = users["member"]
    assert f"/admin/users/{member.id}/password" in page
    assert f"/admin/users/{member.id}/active" in page
    r = admin.post(f"/admin/users/{member.id}/password")
    password = _temporary_password(r.get_data(as_text=True))
    assert password != PASSWORD
    admin.post(f"/admin/users/{member.id}/active", data={"active": "0"})
    stored = _user(app, member.username)
    assert stored is not None and not stored.active
    r = app.test_client().post(
        "/auth/login", data={"username": member.username, "password": password}
    )
    assert r.status_code == 401


def _workbook(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = account_import.SHEET
    ws.append([h for _f, h, _x in account_import.COLUMNS])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(client: FlaskClient, data: bytes) -> Any:
    return client.post(
        "/admin/users/import",
        data={"file": (io.BytesIO(data), "accounts.xlsx")},
        content_type="multipart/form-data",
    )


def test_import_template_has_the_columns_and_drop_downs(as_role):
    r = as_role("admin").get("/admin/users/import-template.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.data))
    ws = wb[account_import.SHEET]
    assert [c.value for c in ws[1]] == [h for _f, h, _x in account_import.COLUMNS]
    assert len(ws.data_validations.dataValidation) == 4
    lists = wb[account_import.LIST_SHEET]
    assert lists.sheet_state == "hidden"
    values = [c.value for c in lists["D"] if c.value]
    assert f"{COMMUNITY} 清波门社区" in values
    assert not any(
        str(c.value).startswith("=") for row in lists.iter_rows() for c in row if c.value
    )


def test_import_is_all_or_nothing_with_a_row_report(app: Flask, as_role, users):
    admin = as_role("admin")
    rows = [
        ["imp_staff1", "赵一", "助联体工作人员", "330102 上城区", "330102001 清波街道", ""],
        ["imp_member1", "钱二", "党员", "", "", ""],
        ["imp_staff2", "孙三", "助联体工作人员", "", "", ""],  # no hub
        [users["member"].username, "", "党员", "", "", ""],  # taken
        ["imp_staff3", "", "助联体工作人员", "330106 西湖区", "330102001 清波街道", ""],
        ["bad name!", "", "党员", "", "", ""],
        ["imp_member2", '=HYPERLINK("http://x","y")', "党员", "", "", ""],
        ["imp_member1", "", "志愿者", "", "", ""],  # repeated name, unknown role
    ]
    r = _upload(admin, _workbook(rows))
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    report = re.findall(
        r'<tr><td[^>]*>账号</td><td class="num"[^>]*>(\d+)</td><td[^>]*>([^<]*)</td>', page
    )
    assert ("4", "区县") in report  # row 4: hub staff without a hub
    assert ("5", "登录名") in report  # taken
    assert ("6", "街道（镇）") in report  # a street outside the district
    assert ("7", "登录名") in report  # not a login name
    assert ("8", "姓名") in report  # a formula, never stored
    assert ("9", "登录名") in report and ("9", "角色") in report
    assert {row for row, _col in report} == {"4", "5", "6", "7", "8", "9"}
    for username in ("imp_staff1", "imp_member1"):
        assert _user(app, username) is None  # nothing of the file was kept


def test_import_creates_every_account_with_a_temporary_password(app: Flask, as_role):
    admin = as_role("admin")
    rows = [
        [
            "imp_ok1",
            "周四",
            "助联体工作人员",
            "330102 上城区",
            "330102001 清波街道",
            f"{COMMUNITY} 清波门社区",
        ],
        ["imp_ok2", "吴五", "助联体工作人员", "330102 上城区", "", ""],
        ["imp_ok3", "郑六", "党员", "", "", ""],
    ]
    r = _upload(admin, _workbook(rows))
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    passwords = re.findall(r'<td class="mono secret"[^>]*>([^<]+)</td>', page)
    assert len(passwords) == 3 and len(set(passwords)) == 3
    expected_hubs = {"imp_ok1": COMMUNITY, "imp_ok2": "330102", "imp_ok3": None}
    with session_scope(get_engine(app)) as s:
        for username, region in expected_hubs.items():
            user = s.exec(select(User).where(User.username == username)).one()
            assert user.must_change_password
            hub = s.get(Hub, user.hub_id) if user.hub_id else None
            assert (hub.region_code if hub else None) == region
    r = app.test_client().post(
        "/auth/login", data={"username": "imp_ok3", "password": passwords[2]}
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("/auth/password")


def test_import_refuses_a_file_that_is_no_workbook(as_role):
    r = _upload(as_role("admin"), b"PK\x03\x04 not really a zip")
    assert r.status_code == 422 and 'id="import-errors"' in r.get_data(as_text=True)


def test_everyone_edits_their_display_name_and_is_greeted_by_it(as_role, users):
    for role in ("member", "org", "hub_staff", "admin"):
        client = as_role(role)
        page = client.get("/auth/account").get_data(as_text=True)
        assert "/auth/password" in page
        r = client.post("/auth/account", data={"display_name": f"新名字{role}"})
        assert r.status_code == 302
        home = client.get(r.headers["Location"]).get_data(as_text=True)
        assert f"新名字{role}" in home and f"{users[role].username} ·" not in home
    r = as_role("member").post("/auth/account", data={"display_name": "长" * 65})
    assert r.status_code == 422


def test_every_page_links_to_the_account_page(as_role):
    for role, home in (("member", "/member/"), ("org", "/org/"), ("hub_staff", "/hub/")):
        page = as_role(role).get(home).get_data(as_text=True)
        assert 'href="/auth/account"' in page, role


def test_login_page_says_whom_to_ask_for_a_forgotten_password(client: FlaskClient):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "<details" in page and "助联体" in page


def test_admin_security_page_sets_the_roles_that_must_use_2fa(as_role):
    admin = as_role("admin")
    assert 'value="hub_staff"' in admin.get("/admin/security").get_data(as_text=True)
    r = admin.post("/admin/security", data={"roles": ["hub_staff", "admin"]})
    assert r.status_code == 302
    page = admin.get(r.headers["Location"])
    # The administrator now has to enrol too (their role is required).
    assert page.status_code == 302 and page.headers["Location"].endswith("/auth/2fa/setup")
    r = admin.post("/admin/security", data={"roles": ["member"]})
    assert r.status_code == 302  # the gate sends the administrator to enrolment first
