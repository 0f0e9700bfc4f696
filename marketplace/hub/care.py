"""Hub 探访关爱 and 结对帮扶: the visits due (overdue first), recording a visit, confirming a paired
helper's visit as a service record, pairing a household with a helper and ending a pairing."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.db import get_session, rollback_request
from marketplace.hub.blueprint import bp
from marketplace.models import EventKind, Role
from marketplace.services import pairings, visits
from marketplace.services.access import get_household_for_staff
from marketplace.services.clock import beijing_today
from marketplace.services.errors import ServiceError
from marketplace.web.access import role_required
from marketplace.web.helpers import choices, me
from marketplace.web.labels import EVENT_KIND_LABELS
from marketplace.web.messages import render
from marketplace.web.visit_form import VisitForm, save_visit


class StaffVisitForm(VisitForm):
    """Staff may raise a monitoring event from what they found."""

    findings = TextAreaField(
        _l("Findings"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Anything that changed or needs help: staff will check it."),
    )
    event_kind = SelectField(
        _l("Raise a monitoring event (监测数据变动)"), validators=[Optional()], choices=[]
    )


class PairingForm(FlaskForm):
    member_id = IntegerField(_l("Member account number"), validators=[Optional()])
    org_id = IntegerField(_l("Organisation number"), validators=[Optional()])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("Until"), validators=[DataRequired()])


class EndPairingForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


class ConfirmVisitForm(FlaskForm):
    hours = StringField(_l("Hours"), validators=[Optional(), Length(max=8)], default="1")


def event_choices(form: StaffVisitForm) -> None:
    form.event_kind.choices = choices(
        [("", _("None"))] + [(k.value, EVENT_KIND_LABELS.get(k.value, k.value)) for k in EventKind]
    )


@bp.get("/visits")
@role_required(Role.HUB_STAFF)
def visits_due() -> ResponseReturnValue:
    db = get_session()
    overdue = request.args.get("overdue") == "1"
    found, rows = visits.visits_due(
        db, actor=me(), overdue=overdue, page=request.args.get("page", 1, type=int) or 1
    )
    return render_template(
        "hub/visits.html",
        page=found,
        rows=rows,
        overdue=overdue,
        to_confirm=visits.to_confirm(db, actor=me()),
        confirm_form=ConfirmVisitForm(),
    )


@bp.route("/households/<int:household_id>/visit", methods=["GET", "POST"])
@role_required(Role.HUB_STAFF)
def visit_new(household_id: int) -> ResponseReturnValue:
    db = get_session()
    household = get_household_for_staff(db, household_id, me())
    form = StaffVisitForm()
    event_choices(form)
    if request.method == "GET":
        form.visited_on.data = beijing_today()
    general: list[str] = []
    if form.validate_on_submit():
        refused = save_visit(form, household_id)
        if refused is None:
            flash(_("Visit recorded; the next visit is scheduled."), "success")
            return redirect(url_for("hub.household_detail", household_id=household_id) + "#care")
        general = refused
    status = 422 if form.is_submitted() else 200
    return render_template("hub/visit_form.html", form=form, h=household, general=general), status


@bp.post("/visits/<int:visit_id>/confirm")
@role_required(Role.HUB_STAFF)
def visit_confirm(visit_id: int) -> ResponseReturnValue:
    form = ConfirmVisitForm()
    if not form.validate_on_submit():
        return redirect(url_for("hub.visits_due"))
    visits.confirm_visit(get_session(), actor=me(), visit_id=visit_id, hours=form.hours.data)
    flash(_("Visit confirmed: the helper has a service record."), "success")
    return redirect(url_for("hub.visits_due"))


@bp.post("/households/<int:household_id>/pairing")
@role_required(Role.HUB_STAFF)
def pairing_new(household_id: int) -> ResponseReturnValue:
    get_household_for_staff(get_session(), household_id, me())  # outside the subtree: 404 first
    form = PairingForm()
    back = url_for("hub.household_detail", household_id=household_id) + "#care"
    if not form.validate_on_submit():
        errors = [str(e) for errs in form.errors.values() for e in errs]
        flash(" ".join(errors) or _("Please correct the marked fields."), "error")
        return redirect(back)
    try:
        pairings.pair(
            get_session(),
            actor=me(),
            household_id=household_id,
            member_id=form.member_id.data,
            org_id=form.org_id.data,
            start=form.start.data,
            end=form.end.data,
        )
    except ServiceError as exc:
        if exc.status == 404:
            raise
        rollback_request()
        texts = [render(m) for m in exc.errors.values()] or [render(exc.message)]
        flash(" ".join(texts), "error")
    else:
        flash(_("Paired: the helper has been told."), "success")
    return redirect(back)


@bp.post("/pairings/<int:pairing_id>/end")
@role_required(Role.HUB_STAFF)
def pairing_end(pairing_id: int) -> ResponseReturnValue:
    form = EndPairingForm()
    if not form.validate_on_submit():
        return redirect(url_for("hub.visits_due"))
    pairing = pairings.end_pairing(
        get_session(), actor=me(), pairing_id=pairing_id, reason=form.reason.data or ""
    )
    flash(_("Pairing ended."), "success")
    return redirect(url_for("hub.household_detail", household_id=pairing.household_id) + "#care")


def care_panel(household_id: int) -> dict[str, object]:
    """The case file's visits and pairing section (``hub/_care.html``)."""
    return {
        "care": visits.case_panel(get_session(), actor=me(), household_id=household_id),
        "pairing_form": PairingForm(),
        "end_pairing_form": EndPairingForm(),
    }
