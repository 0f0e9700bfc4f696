"""Blueprint ``org``: a Party organisation's branches (党支部), their members, activity and
report (issue 16 items 1, 7). Member accounts are created here (or by the administrator): self
sign-up for members stays closed."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from marketplace.db import get_session
from marketplace.models import Role
from marketplace.org.blueprint import bp
from marketplace.org.projects import report_period
from marketplace.services import branches, project_reports
from marketplace.services.errors import ServiceError
from marketplace.services.workbooks import WorkbookLimits
from marketplace.web.access import role_required
from marketplace.web.helpers import attach_errors, me, xlsx_response

__all__ = ["bp"]


class BranchForm(FlaskForm):
    name = StringField(_l("Branch name"), validators=[DataRequired(), Length(max=80)])


class MemberForm(FlaskForm):
    username = StringField(_l("Login name"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Name"), validators=[Length(max=64)])


class MemberImportForm(FlaskForm):
    file = FileField(
        _l("Workbook (.xlsx)"),
        validators=[FileRequired(), FileAllowed(["xlsx"], _l("Upload an .xlsx workbook"))],
    )


def _dates() -> tuple[tuple[str, str], list[str], date, date]:
    (d_from, d_to), errors = report_period()
    return (d_from, d_to), errors, date.fromisoformat(d_from), date.fromisoformat(d_to)


@bp.route("/branches", methods=["GET", "POST"])
@role_required(Role.ORG)
def branches_list() -> ResponseReturnValue:
    db = get_session()
    branches.party_org_of(db, me())
    form = BranchForm()
    status = 200
    if form.validate_on_submit():
        try:
            branch = branches.create_branch(db, actor=me(), name=form.name.data or "")
        except ServiceError as exc:
            if not exc.errors:
                raise
            attach_errors(form, exc.errors)
            status = exc.status
        else:
            flash(_("Branch created: %(name)s", name=branch.name), "success")
            return redirect(url_for("org.branches_list"))
    elif form.is_submitted():
        status = 422
    period, errors, d_from, d_to = _dates()
    rows = branches.activity(db, me(), d_from, d_to)
    return render_template(
        "org/branches.html", form=form, rows=rows, period=period, errors=errors
    ), status


@bp.get("/branches/<int:branch_id>")
@role_required(Role.ORG)
def branch_detail(branch_id: int) -> ResponseReturnValue:
    return _branch_page(branch_id, MemberForm(formdata=None))


def _branch_page(branch_id: int, form: MemberForm, status: int = 200) -> ResponseReturnValue:
    db = get_session()
    branch = branches.get_branch(db, branch_id, me())
    period, errors, d_from, d_to = _dates()
    report = project_reports.branch_report(db, branch, d_from, d_to)
    return render_template(
        "org/branch.html",
        branch=branch,
        members=branches.members(db, branch_id, me()),
        form=form,
        report=report,
        period=period,
        errors=errors,
        xlsx=url_for("org.branch_report_xlsx", branch_id=branch.id)
        + "?"
        + urlencode({"from": period[0], "to": period[1]}),
    ), status


@bp.post("/branches/<int:branch_id>/members")
@role_required(Role.ORG)
def branch_add_member(branch_id: int) -> ResponseReturnValue:
    form = MemberForm()
    if not form.validate_on_submit():
        return _branch_page(branch_id, form, 422)
    db = get_session()
    try:
        user, password = branches.add_member(
            db,
            actor=me(),
            branch_id=branch_id,
            username=form.username.data or "",
            display_name=form.display_name.data or "",
        )
    except ServiceError as exc:
        if not exc.errors:
            raise
        attach_errors(form, exc.errors)
        return _branch_page(branch_id, form, exc.status)
    branch = branches.get_branch(db, branch_id, me())
    return render_template(
        "org/branch_member_created.html", user=user, password=password, branch=branch
    )


@bp.get("/branches/<int:branch_id>/report.xlsx")
@role_required(Role.ORG)
def branch_report_xlsx(branch_id: int) -> ResponseReturnValue:
    db = get_session()
    branch = branches.get_branch(db, branch_id, me())
    d_from, d_to = project_reports.period(request.args.get("from"), request.args.get("to"))
    report = project_reports.branch_report(db, branch, d_from, d_to)
    return xlsx_response(project_reports.report_workbook(report), f"branch-{branch.id}")


@bp.route("/branches/import", methods=["GET", "POST"])
@role_required(Role.ORG)
def branches_import() -> ResponseReturnValue:
    """Members from an Excel sheet, all or nothing, with a row report."""
    db = get_session()
    branches.party_org_of(db, me())
    form = MemberImportForm()
    report = None
    if form.validate_on_submit():
        report = branches.import_members(
            db,
            actor=me(),
            data=form.file.data.read(),
            limits=WorkbookLimits.from_config(current_app.config),
        )
        if report.ok:
            return render_template("org/branches_imported.html", report=report)
    status = 422 if form.is_submitted() else 200
    return render_template("org/branches_import.html", form=form, report=report), status


@bp.get("/branches/import-template.xlsx")
@role_required(Role.ORG)
def branches_import_template() -> ResponseReturnValue:
    return xlsx_response(branches.template(get_session(), actor=me()), "branch-members-template")
