"""Blueprint ``admin``: every organisation's projects, their reports and the evaluation (评估)
(issue 16 items 2, 7)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from marketplace.admin.blueprint import bp
from marketplace.db import get_session
from marketplace.models import Role
from marketplace.services import branches, project_reports, projects
from marketplace.services.errors import ServiceError
from marketplace.web.access import role_required
from marketplace.web.helpers import attach_errors, me, xlsx_response
from marketplace.web.messages import render
from marketplace.web.project_labels import FUNDING_LABELS, PROJECT_STATUS_LABELS

__all__ = ["bp"]
WORDS = {"funding_labels": FUNDING_LABELS, "status_labels": PROJECT_STATUS_LABELS}


class EvaluationForm(FlaskForm):
    score = IntegerField(
        _l("Score (0–100)"), validators=[InputRequired(), NumberRange(min=0, max=100)]
    )
    notes = TextAreaField(_l("Notes"), validators=[Length(max=2000)])


@bp.get("/projects")
@role_required(Role.ADMIN)
def projects_list() -> ResponseReturnValue:
    db = get_session()
    rows = projects.projects_of(db, me())
    return render_template(
        "admin/projects.html",
        **WORDS,
        rows=rows,
        orgs=projects.org_names(db, sorted({p.org_id for p in rows})),
        counts=projects.offer_counts(db, [p.id for p in rows if p.id is not None]),
    )


@bp.route("/projects/<int:project_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def project_detail(project_id: int) -> ResponseReturnValue:
    db = get_session()
    project = projects.get_project(db, project_id, me())
    form = EvaluationForm()
    status = 200
    if form.validate_on_submit():
        try:
            projects.evaluate(
                db,
                actor=me(),
                project_id=project_id,
                score=form.score.data,
                notes=form.notes.data or "",
            )
        except ServiceError as exc:
            if not exc.errors:
                raise
            attach_errors(form, exc.errors)
            status = exc.status
        else:
            flash(_("Evaluation saved."), "success")
            return redirect(url_for("admin.project_detail", project_id=project_id))
    elif form.is_submitted():
        status = 422
    elif project.evaluation_score is not None:
        form.score.data = project.evaluation_score
        form.notes.data = project.evaluation_notes or ""
    errors: list[str] = []
    try:
        d_from, d_to = project_reports.period(request.args.get("from"), request.args.get("to"))
    except ServiceError as exc:
        d_from, d_to = project_reports.default_period()
        errors = [render(m) for m in exc.errors.values()]
    period = (d_from.isoformat(), d_to.isoformat())
    return render_template(
        "admin/project.html",
        **WORDS,
        project=project,
        org=projects.org_names(db, [project.org_id]).get(project.org_id, ""),
        form=form,
        report=project_reports.project_report(db, project, d_from, d_to),
        period=period,
        errors=errors,
        xlsx=url_for("admin.project_report_xlsx", project_id=project.id)
        + "?"
        + urlencode({"from": period[0], "to": period[1]}),
    ), status


@bp.get("/projects/<int:project_id>/report.xlsx")
@role_required(Role.ADMIN)
def project_report_xlsx(project_id: int) -> ResponseReturnValue:
    db = get_session()
    project = projects.get_project(db, project_id, me())
    d_from, d_to = project_reports.period(request.args.get("from"), request.args.get("to"))
    report = project_reports.project_report(db, project, d_from, d_to)
    return xlsx_response(project_reports.report_workbook(report), f"project-{project.id}")


# Party branches: the administrator opens member accounts in any branch too (issue 16 item 1).


class BranchMemberForm(FlaskForm):
    username = StringField(_l("Login name"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Name"), validators=[Length(max=64)])


@bp.get("/branches")
@role_required(Role.ADMIN)
def branches_list() -> ResponseReturnValue:
    db = get_session()
    d_from, d_to = project_reports.default_period()
    rows = branches.activity(db, me(), d_from, d_to)
    return render_template(
        "admin/branches.html",
        rows=rows,
        orgs=projects.org_names(db, sorted({a.branch.org_id for a in rows})),
    )


@bp.route("/branches/<int:branch_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def branch_detail(branch_id: int) -> ResponseReturnValue:
    db = get_session()
    branch = branches.get_branch(db, branch_id, me())
    form = BranchMemberForm()
    status = 200
    if form.validate_on_submit():
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
            status = exc.status
        else:
            return render_template(
                "admin/branch_member_created.html", user=user, password=password, branch=branch
            )
    elif form.is_submitted():
        status = 422
    return render_template(
        "admin/branch.html",
        branch=branch,
        org=projects.org_names(db, [branch.org_id]).get(branch.org_id, ""),
        members=branches.members(db, branch_id, me()),
        form=form,
    ), status
