"""Blueprint ``hub``: 监测数据变动 — staff record an event about a household of their area (it may
raise a warning: important or general, due in 3 or 7 days), and the street's leads (线索: members'
主动发现 and departments' events for residents we do not know), registered or closed."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from marketplace.db import get_session
from marketplace.hub.blueprint import bp
from marketplace.hub.event_forms import EventForm, LeadCloseForm, LeadRegisterForm
from marketplace.models import LeadStatus, Role, WarningLevel
from marketplace.services import clock, monitoring
from marketplace.services.access import get_household_for_staff
from marketplace.services.errors import ServiceError
from marketplace.services.messages import Message
from marketplace.web.access import role_required
from marketplace.web.helpers import SelectChoice, attach_errors, me
from marketplace.web.labels import EVENT_KIND_LABELS
from marketplace.web.messages import render


def _kind_choices(form: EventForm) -> None:
    """The kinds with their labels; those the model in force calls severe say so (they raise an
    important warning whatever the score)."""
    form.kind.choices = [
        SelectChoice(
            kind,
            _("%(kind)s (important warning)", kind=EVENT_KIND_LABELS[kind])
            if severe
            else str(EVENT_KIND_LABELS[kind]),
        )
        for kind, severe in monitoring.kinds_with_rules(get_session())
    ]


@bp.route("/households/<int:household_id>/events/new", methods=["GET", "POST"])
@role_required(Role.HUB_STAFF)
def event_new(household_id: int) -> ResponseReturnValue:
    """登记监测数据变动: the event changes the profile, rescores the household and raises a
    warning; the flash says which and by when it must be checked."""
    db = get_session()
    household = get_household_for_staff(db, household_id, me())
    form = EventForm()
    _kind_choices(form)
    if not form.is_submitted():
        form.occurred_on.data = clock.beijing_today()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            _event, warning = monitoring.record_event(
                db,
                actor=me(),
                kind=form.kind.data,
                occurred_on=form.occurred_on.data,
                note=form.note.data or "",
                household_id=household_id,
            )
        except ServiceError as exc:
            if not exc.errors:
                raise
            general = attach_errors(form, exc.errors)
            return render_template(
                "hub/event_form.html", form=form, h=household, general=general
            ), exc.status
        if warning is None:
            flash(_("Event recorded. No warning was raised."), "success")
        else:
            due = clock.beijing_date(warning.due_at).isoformat()
            if warning.level == WarningLevel.IMPORTANT.value:
                text = _(
                    "Event recorded: an important warning was raised, to check by %(due)s.",
                    due=due,
                )
            else:
                text = _(
                    "Event recorded: a general warning was raised, to check by %(due)s.", due=due
                )
            flash(text, "info")
        return redirect(url_for("hub.household_detail", household_id=household_id) + "#events")
    status = 422 if form.is_submitted() else 200
    return render_template("hub/event_form.html", form=form, h=household, general=general), status


@bp.get("/leads")
@role_required(Role.HUB_STAFF)
def leads() -> ResponseReturnValue:
    """The leads of the staff member's area: open ones oldest due first."""
    status = request.args.get("status", LeadStatus.OPEN.value)[:16]
    if status not in {s.value for s in LeadStatus}:
        status = LeadStatus.OPEN.value
    found = monitoring.list_leads(
        get_session(), actor=me(), status=status, page=request.args.get("page", 1, type=int) or 1
    )
    return render_template(
        "hub/leads.html",
        found=found,
        status=status,
        statuses=[s.value for s in LeadStatus],
        found_overdue=monitoring.overdue_ids(found.items),
        register_form=LeadRegisterForm(),
        close_form=LeadCloseForm(),
    )


@bp.post("/leads/<int:lead_id>/register")
@role_required(Role.HUB_STAFF)
def lead_register(lead_id: int) -> ResponseReturnValue:
    form = LeadRegisterForm()
    try:  # the lead's scope first (another area's: 404), then the number typed
        monitoring.register_lead(
            get_session(), actor=me(), lead_id=lead_id, household_id=form.household_id.data
        )
    except ServiceError as exc:
        if exc.status == 404:
            raise
        for field, message in (exc.errors or {"_": exc.message}).items():
            unreadable = field == "household_id" and str(message) != "household.not_found"
            flash(render(Message("lead.household_id_required") if unreadable else message), "error")
        return redirect(url_for("hub.leads") + f"#lead-{lead_id}")
    flash(_("Lead %(id)s: the household is registered and linked.", id=lead_id), "success")
    return redirect(url_for("hub.leads"))


@bp.post("/leads/<int:lead_id>/close")
@role_required(Role.HUB_STAFF)
def lead_close(lead_id: int) -> ResponseReturnValue:
    form = LeadCloseForm()
    try:
        monitoring.close_lead(get_session(), actor=me(), lead_id=lead_id, note=form.note.data)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        for message in (exc.errors or {"_": exc.message}).values():
            flash(render(message), "error")
        return redirect(url_for("hub.leads") + f"#lead-{lead_id}")
    flash(_("Lead %(id)s closed.", id=lead_id), "success")
    return redirect(url_for("hub.leads"))
