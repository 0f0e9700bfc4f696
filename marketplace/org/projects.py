"""Blueprint ``org``: an organisation's projects (项目) and their reports (issue 16 items 2, 7)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.db import get_session
from marketplace.models import Role
from marketplace.org.blueprint import bp
from marketplace.services import branches, project_reports, projects
from marketplace.services.errors import ServiceError
from marketplace.web.access import role_required
from marketplace.web.forms import MultiCheckboxField
from marketplace.web.helpers import EmptyForm, attach_errors, me, xlsx_response
from marketplace.web.messages import render
from marketplace.web.project_labels import FUNDING_LABELS, PROJECT_STATUS_LABELS
from matching import taxonomy

__all__ = ["bp"]
WORDS = {"funding_labels": FUNDING_LABELS, "status_labels": PROJECT_STATUS_LABELS}


class ProjectForm(FlaskForm):
    title = StringField(_l("Project title"), validators=[DataRequired(), Length(max=100)])
    funding = SelectField(
        _l("Funding source"), choices=[SelectChoice(k, v) for k, v in FUNDING_LABELS.items()]
    )
    budget_yuan = DecimalField(
        _l("Budget (yuan)"), places=2, validators=[Optional(), NumberRange(min=0)]
    )
    start = DateField(_l("Start date"), validators=[DataRequired()])
    end = DateField(_l("End date"), validators=[DataRequired()])
    target_households = IntegerField(
        _l("Target number of households"),
        validators=[InputRequired(), NumberRange(min=0, max=10_000_000)],
    )
    items = MultiCheckboxField(_l("Items covered"), choices=[])


def _item_choices(form: ProjectForm) -> None:
    form.items.choices = [SelectChoice(i.code, f"{i.code} {i.name_zh}") for i in taxonomy.items()]


def report_period() -> tuple[tuple[str, str], list[str]]:
    """The report's period from ``?from=&to=`` (default: the last 12 months) and its errors."""
    try:
        d_from, d_to = project_reports.period(request.args.get("from"), request.args.get("to"))
        return (d_from.isoformat(), d_to.isoformat()), []
    except ServiceError as exc:
        d_from, d_to = project_reports.default_period()
        return (d_from.isoformat(), d_to.isoformat()), [render(m) for m in exc.errors.values()]


@bp.get("/projects")
@role_required(Role.ORG)
def projects_list() -> ResponseReturnValue:
    db = get_session()
    rows = projects.projects_of(db, me())
    counts = projects.offer_counts(db, [p.id for p in rows if p.id is not None])
    return render_template(
        "org/projects.html",
        **WORDS,
        rows=rows,
        counts=counts,
        party=branches.is_party_account(db, me()),
    )


@bp.route("/projects/new", methods=["GET", "POST"])
@role_required(Role.ORG)
def project_new() -> ResponseReturnValue:
    form = ProjectForm()
    _item_choices(form)
    general: list[str] = []
    if form.validate_on_submit():
        try:
            project = projects.create_project(
                get_session(),
                actor=me(),
                data={
                    "title": form.title.data,
                    "funding": form.funding.data,
                    "budget_yuan": form.budget_yuan.data or 0,
                    "start": form.start.data,
                    "end": form.end.data,
                    "target_households": form.target_households.data or 0,
                    "items": form.items.data or [],
                },
            )
        except ServiceError as exc:
            if not exc.errors:
                raise
            general = attach_errors(form, exc.errors)
            return render_template("org/project_form.html", form=form, general=general), 422
        flash(_("Project created: %(title)s", title=project.title), "success")
        return redirect(url_for("org.project_detail", project_id=project.id))
    status = 422 if form.is_submitted() else 200
    return render_template("org/project_form.html", form=form, general=general), status


@bp.get("/projects/<int:project_id>")
@role_required(Role.ORG)
def project_detail(project_id: int) -> ResponseReturnValue:
    db = get_session()
    project = projects.get_project(db, project_id, me())
    (d_from, d_to), errors = report_period()
    report = project_reports.project_report(
        db, project, date.fromisoformat(d_from), date.fromisoformat(d_to)
    )
    return render_template(
        "org/project.html",
        **WORDS,
        project=project,
        report=report,
        period=(d_from, d_to),
        errors=errors,
        form=EmptyForm(),
        xlsx=url_for("org.project_report_xlsx", project_id=project.id)
        + "?"
        + urlencode({"from": d_from, "to": d_to}),
        back=url_for("org.projects_list"),
    )


@bp.get("/projects/<int:project_id>/report.xlsx")
@role_required(Role.ORG)
def project_report_xlsx(project_id: int) -> ResponseReturnValue:
    db = get_session()
    project = projects.get_project(db, project_id, me())
    d_from, d_to = project_reports.period(request.args.get("from"), request.args.get("to"))
    report = project_reports.project_report(db, project, d_from, d_to)
    return xlsx_response(project_reports.report_workbook(report), f"project-{project.id}")


@bp.post("/projects/<int:project_id>/close")
@role_required(Role.ORG)
def project_close(project_id: int) -> ResponseReturnValue:
    if EmptyForm().validate_on_submit():
        project = projects.close_project(get_session(), actor=me(), project_id=project_id)
        flash(_("Project closed: %(title)s", title=project.title), "success")
    return redirect(url_for("org.project_detail", project_id=project_id))
