"""Hub Excel import (批量导入): template, upload, progress and the row report."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import (
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from marketplace.db import get_session
from marketplace.hub import import_job
from marketplace.hub.blueprint import bp
from marketplace.hub.forms import ImportForm
from marketplace.models import Role
from marketplace.services import imports
from marketplace.web.access import role_required
from marketplace.web.helpers import me, xlsx_response

MAX_IMPORT_BYTES = 5 * 1024 * 1024


@bp.get("/import/template.xlsx")
@role_required(Role.HUB_STAFF)
def import_template() -> ResponseReturnValue:
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
        import_job.put_state(job_id, {"user": me().id, "state": "queued", "done": 0, "total": 0})
        from marketplace.jobs import run_import

        # The job opens its own unit of work; end this request's transaction first (it has
        # written nothing) so that, run in-process, the job does not wait on our write lock.
        get_session().commit()
        run_import(job_id, me().id or 0, str(path))
        return redirect(url_for("hub.import_page", job=job_id))
    job = request.args.get("job", "")[:40]
    state = _own_state(job) if job else None
    report = (
        imports.ImportReport.from_dict(state["report"]) if state and "report" in state else None
    )
    status = 422 if form.is_submitted() else 200
    return render_template(
        "hub/import.html", form=form, job=job if state else None, state=state, report=report
    ), status


def _own_state(job: str) -> dict[str, Any] | None:
    state = import_job.get_state(job)
    if state is None or state.get("user") != me().id:
        return None
    return state


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
