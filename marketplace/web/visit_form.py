"""探访关爱 — the visit form hub staff and paired helpers share, and saving it through
``services.visits`` (the schedule's intervals from the settings)."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.db import get_session, rollback_request
from marketplace.services import schedules, visits
from marketplace.services.errors import ServiceError
from marketplace.web.helpers import attach_errors, choices, me

MODE_CHOICES = [("home", _l("Home visit")), ("phone", _l("Phone call"))]  # RadioField


class VisitForm(FlaskForm):
    """A helper's visit (a paired member or organisation); staff add ``event_kind``."""

    visited_on = DateField(_l("Date of the visit"), validators=[DataRequired()])
    mode = RadioField(_l("How"), choices=choices(MODE_CHOICES), default="home")
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)])
    findings = TextAreaField(
        _l("Findings"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Anything that changed or needs help: the hub will check it."),
    )


def save_visit(form: VisitForm, household_id: int) -> list[str] | None:
    """Record the submitted visit; None when it is stored, else the errors that belong to no
    field (the fields' own are attached to the form) with the unit of work rolled back."""
    event_field = getattr(form, "event_kind", None)
    try:
        visits.record_visit(
            get_session(),
            actor=me(),
            household_id=household_id,
            visited_on=form.visited_on.data,
            mode=form.mode.data,
            note=form.note.data or "",
            findings=form.findings.data or "",
            event_kind=(event_field.data or None) if event_field is not None else None,
            intervals=schedules.VisitIntervals.of(current_app.config),
        )
    except ServiceError as exc:
        if not exc.errors:
            raise
        rollback_request()
        return attach_errors(form, exc.errors)
    return None
