"""Hub Excel import (批量导入): template, upload, progress and the row report."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import (
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from marketplace import jobs
from marketplace.db import get_session
from marketplace.hub.blueprint import bp
from marketplace.hub.forms import ImportForm
from marketplace.models import Role
from marketplace.services import exports, imports
from marketplace.web.access import role_required
from marketplace.web.helpers import me, xlsx_response
from marketplace.web.messages import render

MAX_IMPORT_BYTES = 5 * 1024 * 1024


@bp.get("/import/template.xlsx")
@role_required(Role.HUB_STAFF)
def import_template() -> ResponseReturnValue:
    """The households-and-needs workbook, or with ``kind=events`` the monitoring events one."""
    if request.args.get("kind") == "events":
        return xlsx_response(
            imports.events_template(get_session(), actor=me()), "import-events-template"
        )
    return xlsx_response(imports.template(get_session(), actor=me()), "import-template")


@bp.route("/import", methods=["GET", "POST"])
@role_required(Role.HUB_STAFF)
def import_page() -> ResponseReturnValue:
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(MAX_IMPORT_BYTES + 1)
        if len(data) > MAX_IMPORT_BYTES or not data.startswith(b"PK"):
            form.file.errors = [_("Upload an Excel workbook (.xlsx) of at most 5 MB.")]
            return render_template("hub/import.html", form=form, state=None, job=None), 422
        job_id = secrets.token_urlsafe(12)
        folder = Path(current_app.instance_path) / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{job_id}.xlsx"
        path.write_bytes(data)
        jobs.enqueue_import(job_id, me().id or 0, str(path), kind=form.kind.data or "households")
        return redirect(url_for("hub.import_page", job=job_id))
    job = request.args.get("job", "")[:40]
    state = _own_state(job)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "hub/import.html", form=form, job=job if state else None, state=state, report=_report(state)
    ), status


def _own_state(job: str) -> dict[str, Any] | None:
    """The state of the acting user's own import job (``None`` for anyone else's)."""
    state = jobs.import_state(job) if job else None
    if state is None or state.get("user") != me().id:
        return None
    return state


def _report(state: dict[str, Any] | None) -> imports.ImportReport | None:
    return imports.ImportReport.from_dict(state["report"]) if state and "report" in state else None


@bp.get("/import/errors.xlsx")
@role_required(Role.HUB_STAFF)
def import_errors() -> ResponseReturnValue:
    """A finished import's errors as a workbook to work through: one row per error."""
    report = _report(_own_state(request.args.get("job", "")[:40]))
    if report is None or report.ok:
        abort(404)
    rows = ([e.sheet, e.row or None, e.column, render(e.message)] for e in report.errors)
    headers = [_("Sheet"), _("Row"), _("Column"), _("Problem")]
    return xlsx_response(
        exports.workbook([(_("Validation report"), headers, rows)]), "import-errors"
    )


@bp.get("/import/status")
@role_required(Role.HUB_STAFF)
def import_status() -> ResponseReturnValue:
    state = _own_state(request.args.get("job", "")[:40])
    if state is None:
        return jsonify(error="not_found"), 404
    return jsonify(
        state=state["state"],
        done=state.get("done", 0),
        total=state.get("total", 0),
        ok=bool(state.get("report") and not state["report"]["errors"]),
    )
