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


def test_the_profile_columns_are_imported_and_scored(db, make_user):
    from marketplace.services import resilience

    staff = make_user(Role.HUB_STAFF, hub="330102")
    a = valid_id_number(9201)
    with db() as s:
        template = imports.template(s, actor=s.get(User, staff.id))
    wb = load_workbook(io.BytesIO(template))
    headings = [c.value for c in wb["家庭"][1]]
    assert "韧性评分" not in headings
    assert {"对象来源", "重大疾病人数", "住房情况", "有较大负债"} <= set(headings)
    lists = {dv.formula1 for dv in wb["家庭"].data_validations.dataValidation}
    assert {"=zf_profile_source", "=zf_profile_housing", "=zf_profile_debt"} <= lists
    row = household_row(
        a, source="临时救助", major_ill=1, housing="危房", debt="是", savings="none"
    )
    with db() as s:
        report = imports.import_workbook(
            s, actor=s.get(User, staff.id), data=fill(template, [row], [])
        )
        assert report.ok, report.errors
    with db() as s:
        h = s.exec(select(Household).where(Household.id_number == a)).one()
        assert h.source == "temporary_assistance" and h.profile["housing"] == "unsafe"
        assert h.profile["debt"] is True and h.profile["major_ill"] == 1
        # 100 - 20 (temporary assistance) - 12 (major illness) - 10 (unsafe) - 8 - 6
        assert h.risk_score == 44
        assert resilience.current_score(s, h.id).reason == "create"


def test_profile_errors_are_reported_by_column_and_nothing_is_stored(db, make_user):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    with db() as s:
        template = imports.template(s, actor=s.get(User, staff.id))
    rows = [
        household_row(valid_id_number(9301), source=""),  # the source is required
        household_row(valid_id_number(9302), chronic_ill=7),  # more than the 3 members
        household_row(valid_id_number(9303), able_bodied=1, employed=2),
        household_row(valid_id_number(9304), housing="城堡"),
        household_row(valid_id_number(9305)),  # a good row: not stored either
    ]
    with db() as s:
        report = imports.import_workbook(
            s, actor=s.get(User, staff.id), data=fill(template, rows, [])
        )
        s.rollback()
    where = {(e.row, e.column, e.message.code) for e in report.errors}
    assert (2, "对象来源", "field.required") in where
    assert (3, "慢性病人数", "profile.more_than_members") in where
    assert (4, "就业人数", "profile.employed_over_able_bodied") in where
    assert (5, "住房情况", "field.choice") in where
    assert not any(r == 6 for r, _c, _m in where)
    with db() as s:
        assert s.exec(select(func.count()).select_from(Household)).one() == 0


def test_an_old_file_with_typed_scores_is_refused_with_a_clear_message(db, make_user):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    with db() as s:
        template = imports.template(s, actor=s.get(User, staff.id))
    wb = load_workbook(io.BytesIO(template))
    sheet = wb["家庭"]
    column = sheet.max_column + 1
    sheet.cell(row=1, column=column, value="韧性评分")
    out = io.BytesIO()
    wb.save(out)
    rows = [household_row(valid_id_number(9401)), household_row(valid_id_number(9402))]
    data = fill(out.getvalue(), rows, [])
    wb = load_workbook(io.BytesIO(data))
    wb["家庭"].cell(row=2, column=column, value=55)  # typed on the first row only
    out = io.BytesIO()
    wb.save(out)
    with db() as s:
        report = imports.import_workbook(s, actor=s.get(User, staff.id), data=out.getvalue())
        s.rollback()
    assert [(e.row, e.column, e.message.code) for e in report.errors] == [
        (2, "韧性评分", "import.score_column")
    ]


def test_needs_carry_their_delivery_mode_and_instructions_and_old_files_still_import(db, make_user):
    """The optional 配送方式 / 配送说明 columns (issue 12); a sheet without them (an older
    template) still imports, as handovers at the hub; an unknown mode is a row error."""
    from openpyxl import Workbook

    staff = make_user(Role.HUB_STAFF, hub="330102")
    a, b = valid_id_number(9101), valid_id_number(9102)
    with db() as s:
        template = imports.template(s, actor=s.get(User, staff.id))
    wb = load_workbook(io.BytesIO(template))
    headers = [c.value for c in wb[imports.NEED_SHEET][1]]
    assert headers[-2:] == ["配送方式", "配送说明"]
    assert "=zf_delivery_modes" in {
        dv.formula1 for dv in wb[imports.NEED_SHEET].data_validations.dataValidation
    }
    need = [a, "微心愿", "07-02 家具家电", "想要一台电风扇", "", 150, None]
    data = fill(template, [household_row(a)], [[*need, "送货上门", "上门，需先电话预约"]])
    with db() as s:
        report = imports.import_workbook(s, actor=s.get(User, staff.id), data=data)
        assert report.ok, report.errors
    with db() as s:
        h = s.exec(select(Household).where(Household.id_number == a)).one()
        stored = s.exec(select(Need).where(Need.household_id == h.id)).one()
        assert (stored.delivery_mode, stored.delivery_instructions) == (
            "home_delivery",
            "上门，需先电话预约",
        )

    # An older template: the need sheet ends at 截止日期.
    old = Workbook()
    old.active.title = imports.HOUSEHOLD_SHEET
    old.active.append([h for _f, h, _x in imports.HOUSEHOLD_COLUMNS])
    old.active.append(household_row(b))
    sheet = old.create_sheet(imports.NEED_SHEET)
    sheet.append([h for f, h, _x in imports.NEED_COLUMNS if not f.startswith("delivery_")])
    sheet.append([b, "微心愿", "07-02 家具家电", "想要一个电饭煲", "", 100, None])
    body = io.BytesIO()
    old.save(body)
    with db() as s:
        report = imports.import_workbook(s, actor=s.get(User, staff.id), data=body.getvalue())
        assert report.ok, report.errors
    with db() as s:
        h = s.exec(select(Household).where(Household.id_number == b)).one()
        assert s.exec(select(Need).where(Need.household_id == h.id)).one().delivery_mode == (
            "handover"
        )

    c = valid_id_number(9103)
    bad = fill(template, [household_row(c)], [[c, *need[1:], "快递", ""]])
    with db() as s:
        report = imports.import_workbook(s, actor=s.get(User, staff.id), data=bad)
    assert not report.ok and ("需求", 2, "配送方式") in {
        (e.sheet, e.row, e.column) for e in report.errors
    }
