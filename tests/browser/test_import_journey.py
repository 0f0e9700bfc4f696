"""Journey (issue 12, item 1): hub staff import households and needs from Excel. After the upload
the follow-up page (/hub/import?job=…) shows the result — never an error page — and, for a file with
mistakes, the error report downloads as a workbook whose rows are the errors the page lists.
Phone and desktop, Chinese and English; this module's own server (imports add households)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.browser.pages import (
    PHONE,
    household_row,
    import_template,
    login,
    need_row,
    open_on,
    serve_demo,
    shot,
)
from tests.factories import valid_id_number

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
ERROR_PAGE = re.compile(r"系统出错了|Something went wrong|Internal Server Error")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_demo(tmp_path_factory.mktemp("import-browser")) as url:
        yield url


def _upload(page: Any, wb: Any, path: Path) -> Any:
    """Upload the workbook; the response of the follow-up page it lands on."""
    wb.save(path)
    page.set_input_files("input[type=file]", str(path))
    with page.expect_response(lambda r: "/hub/import?job=" in r.url) as landed:
        page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    return landed.value


@pytest.mark.parametrize(("device", "lang"), [("desktop", "zh"), ("phone", "en")])
def test_a_good_file_lands_on_its_result(new_page, tmp_path, device, lang):
    page = open_on(new_page, device, accept_downloads=True)
    login(page, "hub_shangcheng")
    page.goto("/lang/en?next=/hub/import" if lang == "en" else "/hub/import")
    wb = import_template(page)
    number = 771000 + (1 if lang == "en" else 0)
    id_number = valid_id_number(number)
    name = "周阿婆" if lang == "zh" else "吴阿公"
    household_row(wb, name, id_number)
    need_row(wb, id_number, "想要一台取暖器")
    response = _upload(page, wb, tmp_path / "good.xlsx")
    assert response.status == 200, response.status
    main = page.inner_text("main")
    assert not ERROR_PAGE.search(main)
    job = re.search(r"job=([\w-]+)", page.url).group(1)
    if lang == "zh":
        assert "已导入 1 户家庭和 1 条需求" in main
    else:
        assert "Imported 1 households and 1 needs" in main
    assert page.locator("#import-errors").count() == 0
    status = page.request.get(f"/hub/import/status?job={job}").json()
    assert status["state"] == "done" and status["ok"] is True
    # Coming back to the follow-up page later shows the same result, still no error page.
    again = page.goto(f"/hub/import?job={job}")
    assert again.status == 200 and not ERROR_PAGE.search(page.inner_text("main"))
    if device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, f"hub-import-done-{device}-{lang}")
    page.goto(f"/hub/households?q={name}")
    assert name in page.inner_text("main")


@pytest.mark.parametrize(("device", "lang"), [("phone", "zh"), ("desktop", "en")])
def test_a_bad_file_imports_nothing_and_its_error_report_downloads(
    new_page, tmp_path, device, lang
):
    page = open_on(new_page, device, accept_downloads=True)
    login(page, "hub_shangcheng")
    page.goto("/lang/en?next=/hub/import" if lang == "en" else "/hub/import")
    wb = import_template(page)
    good_id = valid_id_number(772000 + (1 if lang == "en" else 0))
    name = "郑阿姨" if lang == "zh" else "冯大伯"
    good_row = household_row(wb, name, good_id)
    bad_id = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")  # wrong check digit
    bad_row = household_row(wb, "钱大爷", bad_id, **{"联系电话": "12345"})
    bad_need = need_row(wb, valid_id_number(772999), "想要一件棉衣")  # nobody has this ID
    response = _upload(page, wb, tmp_path / "bad.xlsx")
    assert response.status == 200, response.status
    main = page.inner_text("main")
    assert not ERROR_PAGE.search(main)
    assert page.locator(".flash-error").count() == 1
    on_page = [
        [cell.inner_text().strip() for cell in row.locator("td").all()]
        for row in page.locator("#import-errors tbody tr").all()
    ]
    assert len(on_page) >= 3
    assert {r[1] for r in on_page} >= {str(bad_row), str(bad_need)}
    assert str(good_row) not in {r[1] for r in on_page if r[0] == "家庭"}
    if lang == "en":
        assert "Nothing was imported" in main
    else:
        assert "没有导入" in main or "未导入" in main
    if device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, f"hub-import-errors-{device}-{lang}")

    with page.expect_download() as download:
        page.locator("a[href*='/hub/import/errors.xlsx']").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    report = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    ws = report.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header, body = rows[0], [r for r in rows[1:] if any(v not in (None, "") for v in r)]
    assert len(header) == 4 and all(header)
    if lang == "en":
        assert header == ["Sheet", "Row", "Column", "Problem"]
    # One row per error, the same rows, columns and words as the page.
    assert len(body) == len(on_page)
    for got, shown in zip(body, on_page, strict=True):
        assert str(got[0]) == shown[0] and str(got[1] or "") == shown[1]
        assert str(got[2] or "") == shown[2] and str(got[3]) == shown[3]
        assert not re.match(r"^[a-z_]+\.[a-z_.]+$", str(got[3]))  # words, not message codes
    # All or nothing: even the good household of that file was not imported.
    page.goto(f"/hub/households?q={name}")
    assert name not in page.inner_text("main")


def test_an_upload_that_is_no_workbook_is_refused_in_words(new_page, tmp_path):
    page = open_on(new_page, "phone", accept_downloads=True)
    login(page, "hub_shangcheng")
    page.goto("/hub/import")
    path = tmp_path / "notes.xlsx"
    path.write_text("这不是表格", encoding="utf-8")
    page.set_input_files("input[type=file]", str(path))
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert not ERROR_PAGE.search(page.inner_text("main"))
    assert page.locator(".field-error, .error, [role=alert]").count() >= 1
    assert ".xlsx" in page.inner_text("main")
    shot(page, "hub-import-not-a-workbook-phone-zh")
