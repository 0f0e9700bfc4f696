"""Hub Excel import pages (hub/imports.py): template, upload, job status, the row report."""

from __future__ import annotations

import io
import re

from tests.factories import XLSX, text, valid_id_number


def test_import_through_the_page(as_role, users, db):
    from tests.factories import fill, household_row

    client = as_role("hub_staff")
    template = client.get("/hub/import/template.xlsx")
    assert template.mimetype == XLSX
    good = valid_id_number(9301)
    data = fill(
        template.data,
        [household_row(good)],
        [[good, "微心愿", "07-02 家具家电", "电风扇", "", 100, None]],
    )
    response = client.post(
        "/hub/import",
        data={"file": (io.BytesIO(data), "households.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    job = response.headers["Location"].split("job=")[1]
    status = client.get(f"/hub/import/status?job={job}").get_json()
    assert status == {"state": "done", "done": 2, "total": 2, "ok": True}
    page = text(client.get(response.headers["Location"]))
    assert "已导入 1 户家庭和 1 条需求" in page
    # Another account cannot read this job's status.
    other = as_role("admin")
    assert other.get(f"/hub/import/status?job={job}").status_code == 403


def test_import_with_errors_shows_report(as_role):
    from tests.factories import fill, household_row

    client = as_role("hub_staff")
    template = client.get("/hub/import/template.xlsx").data
    data = fill(
        template,
        [household_row("110105194912310021"), household_row(valid_id_number(9401), phone="1")],
        [],
    )
    response = client.post(
        "/hub/import",
        data={"file": (io.BytesIO(data), "x.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = text(response)
    assert "未导入任何数据" in page and len(re.findall(r"<tr><td[^>]*>家庭</td>", page)) == 2
    assert client.get("/hub/households").data.count(b"household_id") == 0
    bad = client.post(
        "/hub/import",
        data={"file": (io.BytesIO(b"hello"), "x.xlsx")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
