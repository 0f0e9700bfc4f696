"""Accounts from an Excel sheet (services/account_import.py), called with a session: the report's
row errors as codes, all or nothing, the created accounts with their hub and temporary password,
and the sheet's own limits. The upload page is tested in tests/web/test_accounts.py."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from marketplace.models import Role, User
from marketplace.services import account_import, accounts
from marketplace.services.errors import Forbidden
from marketplace.services.imports import RowError
from marketplace.services.messages import Message
from tests.factories import COMMUNITY


def _filled(session, actor, rows) -> bytes:
    wb = load_workbook(io.BytesIO(account_import.template(session, actor=actor)))
    for row in rows:
        wb[account_import.SHEET].append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


def test_only_the_administrator_gets_the_template_and_imports(db, admin, make_user):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    with db() as s:
        actor = s.get(User, staff.id)
        with pytest.raises(Forbidden):
            account_import.template(s, actor=actor)
        data = _filled(s, s.get(User, admin.id), [["someone", "", "党员", "", "", ""]])
        with pytest.raises(Forbidden):
            account_import.import_accounts(s, actor=actor, data=data)


def test_every_row_is_created_with_its_hub_and_a_temporary_password(db, admin):
    rows = [
        ["ai_staff", "周四", "助联体工作人员", "330102 上城区", "330102001 清波街道", COMMUNITY],
        ["ai_street", "", "hub_staff", "330102", "330102001", ""],  # codes alone, the role's code
        ["ai_member", "郑六", "党员", "", "", ""],
    ]
    with db() as s:
        actor = s.get(User, admin.id)
        report = account_import.import_accounts(s, actor=actor, data=_filled(s, actor, rows))
        assert report.ok and report.rows == 3
        made = {a.username: a for a in report.created}
        assert made["ai_staff"].hub == "上城区 › 清波街道 › 清波门社区"
        assert (
            made["ai_street"].hub == "上城区 › 清波街道" and made["ai_street"].role == "hub_staff"
        )
        assert made["ai_member"].hub == "" and made["ai_member"].display_name == "郑六"
        assert [a.row for a in report.created] == [2, 3, 4]
        for new in report.created:
            user = accounts.authenticate(s, username=new.username, password=new.password)
            assert user.must_change_password and new.password not in user.password_hash


def test_one_wrong_row_creates_nothing_and_each_error_names_its_cell(db, admin, make_user):
    taken = make_user(Role.MEMBER)
    rows = [
        ["ai_ok", "", "党员", "", "", ""],
        ["AI_OK", "", "党员", "", "", ""],  # the same name in another case
        [taken.username, "", "党员", "", "", ""],
        ["ai_x", "", "助联体工作人员", "330106 西湖区", "330102001 清波街道", ""],
        ["ai_y", "", "志愿者", "", "", ""],
        ["ai_z", "=1+1", "党员", "", "", ""],
    ]
    with db() as s:
        actor = s.get(User, admin.id)
        report = account_import.import_accounts(s, actor=actor, data=_filled(s, actor, rows))
        assert not report.ok and report.created == []
        found = {(e.row, e.column, e.message.code) for e in report.errors}
        assert found == {
            (3, "登录名", "account.username_taken"),
            (4, "登录名", "account.username_taken"),
            (5, "街道（镇）", "account_import.region_mismatch"),
            (6, "角色", "account_import.role"),
            (7, "姓名", "import.formula"),
        }
        assert all(e.sheet == account_import.SHEET for e in report.errors)
        names = set(s.exec(select(User.username)))
        assert not names & {"ai_ok", "AI_OK", "ai_x", "ai_y", "ai_z"}  # nothing was created


def _workbook(sheet: str, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([h for _f, h, _x in account_import.COLUMNS])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_sheet_itself_is_checked(db, admin):
    member = ["ai_m{}", "", "党员", "", "", ""]
    with db() as s:
        actor = s.get(User, admin.id)

        def errors(data):
            report = account_import.import_accounts(s, actor=actor, data=data)
            assert report.created == []
            return [e.message for e in report.errors]

        assert errors(_workbook("Sheet", [member])) == [
            Message("account_import.no_sheet", {"sheet": account_import.SHEET})
        ]
        assert errors(_workbook(account_import.SHEET, [])) == [Message("account_import.empty")]
        many = [[f"ai_m{i}", "", "党员", "", "", ""] for i in range(account_import.MAX_ROWS + 1)]
        assert errors(_workbook(account_import.SHEET, many)) == [
            Message("account_import.too_many_rows", {"max": account_import.MAX_ROWS})
        ]
        assert errors(b"PK\x03\x04 not a workbook")  # refused with a reason


def test_columns_are_found_by_their_headings(db, admin):
    wb = Workbook()
    ws = wb.active
    ws.title = account_import.SHEET
    ws.append(["角色", "登录名", "备注"])  # another order, a column of our own, no region columns
    ws.append(["党员", "ai_reordered", "随便写"])
    out = io.BytesIO()
    wb.save(out)
    with db() as s:
        report = account_import.import_accounts(s, actor=s.get(User, admin.id), data=out.getvalue())
        assert report.ok and [a.username for a in report.created] == ["ai_reordered"]


def test_row_errors_serialise_with_their_message():
    error = RowError(account_import.SHEET, 3, "登录名", Message("account.username_taken"))
    assert error.as_dict() == {
        "sheet": "账号",
        "row": 3,
        "column": "登录名",
        "message": {"code": "account.username_taken", "params": {}},
    }
