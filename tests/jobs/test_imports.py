"""The Excel import job and its page (issue 12, item 1): the page follows a job that is still
waiting without an error, the import is all or nothing, and the errors download as a workbook."""

from __future__ import annotations

import io
import os

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from marketplace import create_app, jobs
from marketplace.db import get_engine
from marketplace.jobs import imports as import_job
from marketplace.models import Household, Role
from marketplace.services import exports, imports
from marketplace.services.messages import Message
from tests.factories import PASSWORD, TEST_CONFIG, fill, household_row, valid_id_number

XLSX = exports.XLSX_MIME


@pytest.fixture
def worker_app(database_url, tmp_path, monkeypatch):
    """The production set-up: jobs wait in the SQLite queue until a worker runs them."""
    monkeypatch.setenv("ZHONGFU_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(TEST_CONFIG | {"DATABASE_URL": database_url, "JOBS_IMMEDIATE": False})
    os.makedirs(app.instance_path, exist_ok=True)
    yield app
    jobs.queue(app).storage.close()
    get_engine(app).dispose()


def _login(app, user):
    client = app.test_client()
    r = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code in (302, 303)
    return client


def _work(app) -> int:
    """What ``zhongfu worker`` does: run every queued task."""
    queue, n = jobs.queue(app), 0
    while (task := queue.dequeue()) is not None:
        queue.execute(task)
        n += 1
    return n


def _bad_file(client) -> bytes:
    template = client.get("/hub/import/template.xlsx").data
    return fill(
        template,
        [household_row(valid_id_number(8101)), household_row(valid_id_number(8102), phone="1")],
        [],
    )


def test_import_page_follows_a_waiting_job_then_offers_the_error_report(worker_app, make_user, db):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    client = _login(worker_app, staff)
    r = client.post(
        "/hub/import",
        data={"file": (io.BytesIO(_bad_file(client)), "x.xlsx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    job = r.headers["Location"].split("job=")[1]

    waiting = client.get(r.headers["Location"])
    assert waiting.status_code == 200, waiting.data[:300]  # was a 500, every time
    html = waiting.get_data(as_text=True)
    assert 'id="import-progress"' in html
    assert 'data-template="已检查 {done} / {total} 行"' in html  # the script fills in numbers
    assert client.get(f"/hub/import/status?job={job}").get_json()["state"] == "queued"
    assert client.get(f"/hub/import/errors.xlsx?job={job}").status_code == 404  # no report yet

    assert _work(worker_app) == 1
    done = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "未导入任何数据" in done and f"/hub/import/errors.xlsx?job={job}" in done
    with db() as s:  # all or nothing: the good row was not kept either
        assert s.exec(select(func.count()).select_from(Household)).one() == 0

    report = client.get(f"/hub/import/errors.xlsx?job={job}")
    assert report.status_code == 200 and report.mimetype == XLSX
    assert "attachment" in report.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(report.data)).active.iter_rows(values_only=True))
    assert rows[0] == ("工作表", "行", "列", "问题")
    assert rows[1][:3] == (imports.HOUSEHOLD_SHEET, 3, "联系电话")
    assert rows[1][3] and rows[1][3].isascii() is False  # the message, in Chinese
    assert len(rows) == 2  # one row per error

    # Only the job's own user reads its state or its report.
    other = _login(worker_app, make_user(Role.HUB_STAFF, hub="330102"))
    assert other.get(f"/hub/import/errors.xlsx?job={job}").status_code == 404
    assert other.get(f"/hub/import/status?job={job}").status_code == 404
    assert 'id="import-progress"' not in other.get(r.headers["Location"]).get_data(as_text=True)


def test_successful_import_has_no_error_report(as_staff):
    client, job = as_staff
    assert client.get(f"/hub/import/status?job={job}").get_json()["ok"] is True
    assert client.get(f"/hub/import/errors.xlsx?job={job}").status_code == 404


@pytest.fixture
def as_staff(client, login_as, make_user):
    """A hub staff member who imported a good file (jobs run at once in tests)."""
    login_as(make_user(Role.HUB_STAFF, hub="330102"))
    good = valid_id_number(8201)
    data = fill(client.get("/hub/import/template.xlsx").data, [household_row(good)], [])
    r = client.post(
        "/hub/import",
        data={"file": (io.BytesIO(data), "ok.xlsx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    return client, r.headers["Location"].split("job=")[1]


def test_import_job_is_all_or_nothing(app, db, make_user, tmp_path):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    with db() as s:
        template = imports.template(s, actor=staff)
    queue = jobs.queue(app)
    good = fill(template, [household_row(valid_id_number(8301))], [])
    mixed = fill(
        template,
        [household_row(valid_id_number(8302)), household_row(valid_id_number(8303), phone="1")],
        [],
    )
    for name, data in (("mixed", mixed), ("good", good)):
        (tmp_path / name).write_bytes(data)
        import_job.run(app, queue, name, staff.id, str(tmp_path / name))
        assert not (tmp_path / name).exists()  # the upload is deleted once read
    mixed_state = import_job.get_state(queue, "mixed")
    good_state = import_job.get_state(queue, "good")
    assert mixed_state["state"] == good_state["state"] == "done"
    assert len(mixed_state["report"]["errors"]) == 1 and not good_state["report"]["errors"]
    with db() as s:
        assert s.exec(select(func.count()).select_from(Household)).one() == 1  # the good file


def test_import_job_that_cannot_run_reports_a_failure(app, db, make_user, tmp_path):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    queue = jobs.queue(app)
    import_job.run(app, queue, "gone", staff.id, str(tmp_path / "missing.xlsx"))
    state = import_job.get_state(queue, "gone")
    assert state["state"] == "done"
    errors = imports.ImportReport.from_dict(state["report"]).errors
    assert [e.message for e in errors] == [Message("import.failed")]


def test_report_cells_that_look_like_formulas_stay_text():
    values = ['=HYPERLINK("http://x")', "+1+2", "-3+4", "@SUM(A1)", "\tx", "\rx", "正常", "a=b"]
    body = exports.workbook([("errors", ["value"], [[v] for v in values] + [[-5]])])
    cells = [row[0] for row in load_workbook(io.BytesIO(body)).active.iter_rows(min_row=2)]
    for cell, value in zip(cells, values, strict=False):
        assert cell.data_type == "s"
        expected = "'" + value if value[0] in "=+-@\t\r" else value
        assert cell.value == expected.replace("\r", "\n")  # XML reads a lone CR as LF
    assert cells[-1].value == -5 and cells[-1].data_type == "n"  # numbers stay numbers
