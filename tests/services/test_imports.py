"""Excel import: template drop-downs, all-or-nothing, a report with every error (issue: Excel)."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlmodel import func, select

from marketplace.models import Household, Need, Role, User
from marketplace.services import imports
from tests.factories import fill, household_row, valid_id_number


def test_template_has_chinese_headers_and_dropdowns(db, make_user):
    staff = make_user(Role.HUB_STAFF, hub="330102001")
    with db() as s:
        body = imports.template(s, actor=s.get(User, staff.id))
    wb = load_workbook(io.BytesIO(body))
    assert wb.sheetnames == ["家庭", "需求", "选项"]
    assert wb["选项"].sheet_state == "hidden"
    assert [c.value for c in wb["家庭"][1]][:3] == ["户主姓名", "身份证号", "联系电话"]
    formulas = {dv.formula1 for dv in wb["家庭"].data_validations.dataValidation}
    assert {"=zf_communities", "=zf_hardship", "=zf_districts", "=zf_streets"} <= formulas
    assert "=zf_items" in {dv.formula1 for dv in wb["需求"].data_validations.dataValidation}
    communities = [c.value for c in wb["选项"]["C"][1:] if c.value]
    assert communities and all(v.startswith("330102001") for v in communities)
    assert "zf_communities" in wb.defined_names


def test_good_file_imports_households_and_needs(db, make_user):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    a, b = valid_id_number(9001), valid_id_number(9002)
    with db() as s:
        template = imports.template(s, actor=s.get(User, staff.id))
    data = fill(
        template,
        [household_row(a), household_row(b, hardship="care", tags="")],
        [
            [a, "微心愿", "07-02 家具家电", "想要一台电风扇", "电话13912345678", 150, "2099-12-31"],
            [b, "服务需求", "01-01 助餐", "每日送餐", "", None, None],
        ],
    )
    progress: list[tuple[int, int]] = []
    with db() as s:
        report = imports.import_workbook(
            s, actor=s.get(User, staff.id), data=data, progress=lambda d, t: progress.append((d, t))
        )
        assert report.ok, report.errors
    assert (report.households, report.needs) == (2, 2)
    assert progress[-1] == (4, 4)
    with db() as s:
        h = s.exec(select(Household).where(Household.id_number == a)).one()
        assert h.tags == ["elderly", "single"] and h.hardship_type == "bottom"
        need = s.exec(select(Need).where(Need.household_id == h.id)).one()
        assert need.status == "pending_review" and "13912345678" not in need.public_text


def test_any_error_imports_nothing_and_lists_every_error(db, make_user, make_household):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    existing = make_household(staff)
    good = valid_id_number(9101)
    with db() as s:
        template = imports.template(s, actor=s.get(User, staff.id))
        before = s.exec(select(func.count()).select_from(Household)).one()
    data = fill(
        template,
        [
            household_row(good),
            household_row("110105194912310021"),  # wrong check digit
            household_row(valid_id_number(9102), phone="12345", source="富裕"),  # two errors
            household_row(existing.id_number),  # duplicate of a registered household
            household_row(valid_id_number(9103), community="330106002051 上保社区"),  # outside
        ],
        [
            [good, "微心愿", "99-99 不存在", "x", "", 0, None],
            ["330102199901011234", "微心愿", "07-02", "y", "", 0, None],
        ],
    )
    with db() as s:
        report = imports.import_workbook(s, actor=s.get(User, staff.id), data=data)
        s.rollback()  # what the job does when the report has errors
    assert not report.ok
    where = {(e.sheet, e.row, e.column) for e in report.errors}
    assert ("家庭", 3, "身份证号") in where
    assert {("家庭", 4, "联系电话"), ("家庭", 4, "对象来源")} <= where
    assert ("家庭", 5, "身份证号") in where
    assert ("家庭", 6, "社区（村）") in where or ("家庭", 6, "区县") in where
    assert ("需求", 2, "帮扶事项") in where
    assert ("需求", 3, "户主身份证号") in where
    with db() as s:
        assert s.exec(select(func.count()).select_from(Household)).one() == before
        assert s.exec(select(Household).where(Household.id_number == good)).first() is None


def test_not_a_workbook(db, make_user):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    with db() as s:
        report = imports.import_workbook(s, actor=s.get(User, staff.id), data=b"not excel")
    assert not report.ok and report.errors[0].row == 0
