"""Opening uploaded workbooks (services/workbooks.py): what passes the archive and XML checks and
how it is opened, the limits from the configuration, and the refusals that are no bomb (a zip
that is no workbook, other compression, broken XML, a row too complex). The bombs themselves are
the regression tests in tests/security/test_workbook_bombs.py."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from openpyxl import Workbook

from marketplace.services import workbooks
from marketplace.services.errors import ValidationFailed
from marketplace.services.messages import Message
from marketplace.services.workbooks import WorkbookLimits

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "家庭"
    ws.append(["户主姓名", "人数"])
    ws.append(["王小明", 3])
    ws.append(['=HYPERLINK("http://x","y")', "=1+1"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _zip(parts: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def _refusal(data: bytes, limits: WorkbookLimits | None = None) -> Message:
    with pytest.raises(ValidationFailed) as caught:
        workbooks.open_workbook(data, limits)
    return caught.value.errors["file"]


def test_a_workbook_opens_read_only_with_formulas_as_written():
    wb = workbooks.open_workbook(_workbook())
    try:
        assert wb.read_only and wb.sheetnames == ["家庭"]
        rows = list(wb["家庭"].iter_rows(values_only=True))
        assert rows[1] == ("王小明", 3)
        assert rows[2] == ('=HYPERLINK("http://x","y")', "=1+1")  # never a cached result
    finally:
        wb.close()


def test_stored_parts_and_binary_parts_pass():
    parts = _parts(_workbook()) | {"xl/media/image1.png": os.urandom(3000)}
    workbooks.open_workbook(_zip(parts, zipfile.ZIP_STORED)).close()


def test_a_small_part_may_compress_at_any_ratio():
    """Only parts above the floor (1 MB) are held to the ratio: small ones cannot exhaust anything."""
    parts = _parts(_workbook())
    parts["docProps/custom.xml"] = b"<a>" + b"x" * 500_000 + b"</a>"  # ~1000:1, under 1 MB
    workbooks.open_workbook(_zip(parts)).close()
    strict = WorkbookLimits(ratio_floor_bytes=1000)
    assert _refusal(_zip(parts), strict) == Message("workbook.compression_ratio", {"max": 100})


def test_limits_come_from_the_configuration(app):
    app.config.update(XLSX_MAX_SHEET_ROWS=7, XLSX_MAX_MEMBERS=9)
    limits = WorkbookLimits.from_config(app.config)
    assert (limits.max_rows, limits.max_members) == (7, 9)
    assert limits.max_member_bytes == app.config["XLSX_MAX_MEMBER_BYTES"]
    defaults = WorkbookLimits()  # the configuration's defaults are the class's
    assert (limits.max_total_bytes, limits.max_ratio, limits.max_strings) == (
        defaults.max_total_bytes,
        defaults.max_ratio,
        defaults.max_strings,
    )


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"PK\x03\x04 not really a zip",
        "户主姓名,人数\n王小明,3\n".encode(),  # a CSV saved as .xlsx
        _zip({"readme.txt": b"hello"}),  # a zip, but no workbook in it
    ],
)
def test_what_is_no_workbook_is_refused_as_such(data):
    assert _refusal(data) == Message("workbook.not_xlsx")


def test_other_compression_and_broken_xml_are_refused():
    parts = _parts(_workbook())
    assert _refusal(_zip(parts, zipfile.ZIP_BZIP2)) == Message("workbook.not_xlsx")
    broken = parts | {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row>"}
    assert _refusal(_zip(broken)) == Message("workbook.not_xlsx")


def test_a_row_with_too_many_elements_is_too_complex():
    cells = b"<c><v>1</v></c>" * (workbooks.MAX_UNIT_ELEMENTS // 2 + 1)
    sheet = (
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">'.encode()
        + cells
        + b"</row></sheetData></worksheet>"
    )
    parts = _parts(_workbook()) | {"xl/worksheets/sheet1.xml": sheet}
    assert _refusal(_zip(parts)) == Message("workbook.too_complex")
