"""Uploaded workbooks that would exhaust the machine (issue 11, item 5): zip bombs, lying zip
directories, XML that openpyxl would hold whole. Every case is refused before openpyxl parses
anything, with a clear message, and the import stores nothing. The bombs are built here with
``zipfile`` at a small-but-over-limit size (the limits are lowered for the test) so the test stays
fast; the ratio bomb is a real one (a sheet that inflates ~1000 to 1)."""

from __future__ import annotations

import io
import struct
import time
import zipfile
from collections.abc import Callable

import pytest
from sqlmodel import func, select

from marketplace.models import AuditLog, Household, Role, User
from marketplace.services import imports, workbooks
from marketplace.services.errors import ValidationFailed
from marketplace.services.workbooks import WorkbookLimits
from tests.factories import PASSWORD, fill, household_row, valid_id_number

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SMALL = WorkbookLimits(
    max_member_bytes=4 * 1024 * 1024,
    max_total_bytes=6 * 1024 * 1024,
    max_ratio=100,
    max_members=50,
    max_rows=2_000,
    max_strings=2_000,
)


def template_parts() -> dict[str, bytes]:
    """The parts of a tiny valid workbook (one sheet named 家庭 with the import headers)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = imports.HOUSEHOLD_SHEET
    ws.append([h for _f, h, _x in imports.HOUSEHOLD_COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def rezip(parts: dict[str, bytes], level: int = 9) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def sheet_xml(rows: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="' + MAIN.encode() + b'">'
        b"<sheetData>" + rows + b"</sheetData></worksheet>"
    )


def with_sheet(sheet: bytes) -> bytes:
    parts = template_parts()
    parts["xl/worksheets/sheet1.xml"] = sheet
    return rezip(parts)


def inline_row(n: int, values: list[object]) -> bytes:
    cells = b"".join(
        b'<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>'
        % (chr(65 + i).encode(), n, str(v).encode())
        for i, v in enumerate(values)
    )
    return b'<row r="%d">%s</row>' % (n, cells)


def bomb(inflated_mb: int) -> bytes:
    """A sheet of the import's headers and one valid household row, padded to ``inflated_mb`` MB
    of XML that compresses ~1000 : 1: read, it would import a household."""
    head = inline_row(1, [h for _f, h, _x in imports.HOUSEHOLD_COLUMNS])
    row = inline_row(2, household_row(valid_id_number(7001)))
    padding = b" " * (inflated_mb * 1024 * 1024)
    return with_sheet(sheet_xml(head + row + padding))


def lying_directory(data: bytes, part: str, declared: int) -> bytes:
    """The same archive, but the central directory (and local header) of ``part`` declare an
    uncompressed size of ``declared`` bytes."""
    raw = bytearray(data)
    name = part.encode()
    # Central directory entries: signature PK\1\2, uncompressed size at offset 24, name at 46.
    start = 0
    while (pos := raw.find(b"PK\x01\x02", start)) != -1:
        n = struct.unpack_from("<H", raw, pos + 28)[0]
        if bytes(raw[pos + 46 : pos + 46 + n]) == name:
            struct.pack_into("<I", raw, pos + 24, declared)
            local = struct.unpack_from("<I", raw, pos + 42)[0]
            struct.pack_into("<I", raw, local + 22, declared)
        start = pos + 4
    return bytes(raw)


def refusal(data: bytes, limits: WorkbookLimits = SMALL) -> str:
    with pytest.raises(ValidationFailed) as caught:
        workbooks.open_workbook(data, limits)
    return caught.value.errors["file"].code


def test_a_valid_workbook_opens(db, make_user):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    with db() as s:
        template = imports.template(s, actor=s.get(User, staff.id))
    wb = workbooks.open_workbook(template, SMALL)
    try:
        assert imports.HOUSEHOLD_SHEET in wb.sheetnames
    finally:
        wb.close()


def test_zip_bomb_is_refused_from_the_directory_before_inflating():
    data = bomb(8)  # 8 MB of XML from a few KB: over the 4 MB part limit and ~1000 : 1
    assert len(data) < 100_000
    t0 = time.perf_counter()
    assert refusal(data) in {"workbook.too_large", "workbook.compression_ratio"}
    assert time.perf_counter() - t0 < 1.0  # nothing inflated


def test_ratio_bomb_under_the_size_limits_is_refused():
    data = bomb(3)  # 3 MB: under the part and total limits, but ~1000 : 1
    assert refusal(data) == "workbook.compression_ratio"
    # With the default limits too (a real workbook compresses ~10-15 : 1).
    assert refusal(data, WorkbookLimits()) == "workbook.compression_ratio"


def test_total_of_parts_is_limited():
    parts = template_parts()
    # Three parts of 2.5 MB each, each under the part limit and compressing ~2 : 1 (random hex).
    import secrets

    for i in range(3):
        parts[f"xl/media/blob{i}.bin"] = secrets.token_hex(1_250_000).encode()
    assert refusal(rezip(parts)) == "workbook.too_large"


def test_too_many_parts():
    parts = template_parts()
    for i in range(60):
        parts[f"xl/media/p{i}.bin"] = b"x"
    assert refusal(rezip(parts)) == "workbook.too_many_parts"


def test_a_directory_that_lies_about_sizes_is_refused():
    """Declaring a small size for a big part does not get it read: zipfile stops at the declared
    size and the CRC check fails."""
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n)
        for n in range(2, 3000)
    )
    honest = with_sheet(sheet_xml(rows))
    liar = lying_directory(honest, "xl/worksheets/sheet1.xml", 1000)
    with zipfile.ZipFile(io.BytesIO(liar)) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
        assert info.file_size == 1000
        with pytest.raises(zipfile.BadZipFile):
            z.read(info)  # never more than the declared size is inflated, then the CRC fails
    assert refusal(liar, WorkbookLimits()) == "workbook.not_xlsx"


def test_rows_and_strings_that_openpyxl_would_hold_are_limited():
    rows = b"".join(b'<row r="%d"/>' % n for n in range(1, 2_100))
    assert refusal(with_sheet(sheet_xml(rows))) == "workbook.too_many_rows"
    # One row with a huge number of cells (openpyxl keeps a row's cells until the row ends).
    cells = b"<c><v>1</v></c>" * 30_000
    assert refusal(with_sheet(sheet_xml(b"<row>" + cells + b"</row>"))) == "workbook.too_complex"
    parts = template_parts()
    parts["xl/sharedStrings.xml"] = (
        b'<sst xmlns="' + MAIN.encode() + b'">' + b"<si><t>a</t></si>" * 2_100 + b"</sst>"
    )
    assert refusal(rezip(parts)) == "workbook.too_complex"


def test_dtd_and_entities_are_refused():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<worksheet xmlns="' + MAIN.encode() + b'"><sheetData><row r="2"><c r="A2" '
        b't="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
    )
    assert refusal(with_sheet(laughs)) == "workbook.not_xlsx"


@pytest.mark.parametrize(
    "make", [lambda: bomb(8), lambda: bomb(3), lambda: b"PK\x03\x04" + b"\0" * 200]
)
def test_import_of_a_refused_workbook_stores_nothing(db, make_user, make: Callable[[], bytes]):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    with db() as s:
        before = s.exec(select(func.count()).select_from(Household)).one()
        report = imports.import_workbook(
            s,
            actor=s.get(User, staff.id),
            data=make(),
            limits=imports.ImportLimits(workbook=SMALL),
        )
        assert not report.ok and report.rows == 0
        assert [e.row for e in report.errors] == [0]
        assert report.errors[0].message.code.startswith("workbook.")
    with db() as s:
        assert s.exec(select(func.count()).select_from(Household)).one() == before


def test_the_hub_upload_refuses_a_bomb(app, db, make_user):
    """Through the page and the import job, with the limits from the configuration."""
    staff = make_user(Role.HUB_STAFF, hub="330102")
    app.config.update(XLSX_MAX_MEMBER_BYTES=2 * 1024 * 1024, XLSX_MAX_RATIO=5000)
    client = app.test_client()
    client.post("/auth/login", data={"username": staff.username, "password": PASSWORD})
    r = client.post(
        "/hub/import",
        data={"file": (io.BytesIO(bomb(3)), "bomb.xlsx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    job = r.headers["Location"].split("job=")[1]
    status = client.get(f"/hub/import/status?job={job}").get_json()
    assert status["state"] == "done" and status["ok"] is False
    with db() as s:
        assert s.exec(select(func.count()).select_from(Household)).one() == 0
        assert (
            s.exec(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.action == "household.create")
            ).one()
            == 0
        )


def test_valid_rows_after_the_checks_still_import(db, make_user):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    with db() as s:
        template = imports.template(s, actor=s.get(User, staff.id))
    data = fill(template, [household_row(valid_id_number(7100))], [])
    with db() as s:
        report = imports.import_workbook(
            s, actor=s.get(User, staff.id), data=data, limits=imports.ImportLimits(workbook=SMALL)
        )
        assert report.ok, report.errors
    assert report.households == 1
