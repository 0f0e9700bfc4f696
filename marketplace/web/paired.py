"""结对帮扶 — the pages a paired helper shares, member or organisation account: my paired
households (masked, the hub to call, the next visit due) and recording a visit from the phone
(探访关爱). Each blueprint routes ``paired`` and ``paired_visit`` to these."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.db import get_session, rollback_request
from marketplace.services import pairings, schedules, visits
from marketplace.services.clock import beijing_today
from marketplace.services.errors import ServiceError
from marketplace.web.helpers import attach_errors, choices, me


class HelperVisitForm(FlaskForm):
    visited_on = DateField(_l("Date of the visit"), validators=[DataRequired()])
    mode = RadioField(
        _l("How"),
        choices=choices([("home", _l("Home visit")), ("phone", _l("Phone call"))]),
        default="home",
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)])
    findings = TextAreaField(
        _l("Findings"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Anything that changed or needs help: the hub will check it."),
    )


def paired_page(blueprint: str) -> ResponseReturnValue:
    """The helper's active pairings (``blueprint``: ``member`` or ``org``, for the links)."""
    rows = pairings.my_pairings(get_session(), actor=me())
    return render_template("paired.html", rows=rows, bp=blueprint)


def paired_visit_page(blueprint: str, household_id: int) -> ResponseReturnValue:
    """Record a visit to one of the helper's paired households (anyone else's: 404)."""
    db = get_session()
    row = pairings.paired_household(db, actor=me(), household_id=household_id)
    form = HelperVisitForm()
    if request.method == "GET":
        form.visited_on.data = beijing_today()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            visits.record_visit(
                db,
                actor=me(),
                household_id=household_id,
                visited_on=form.visited_on.data,
                mode=form.mode.data,
                note=form.note.data or "",
                findings=form.findings.data or "",
                intervals=schedules.VisitIntervals.of(current_app.config),
            )
        except ServiceError as exc:
            if not exc.errors:
                raise
            rollback_request()
            general = attach_errors(form, exc.errors)
        else:
            flash(_("Visit recorded. Thank you!"), "success")
            return redirect(url_for(f"{blueprint}.paired"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "paired_visit.html", form=form, row=row, general=general, bp=blueprint
    ), status
