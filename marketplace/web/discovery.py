"""主动发现 — the report page members and organisations share: the community (the region picker),
what they saw and an optional contact. It becomes a lead (线索) for the street hub
(``monitoring.report_discovery``); the reporter gets a receipt (its number and due date), nothing
about any household."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from marketplace.db import get_session
from marketplace.services import monitoring, region_picker
from marketplace.services.errors import ServiceError
from marketplace.web.helpers import attach_errors, me
from marketplace.web.picker import fill_picker


class DiscoveryForm(FlaskForm):
    district = SelectField(_l("District"), validate_choice=False)
    street = SelectField(_l("Street"), validate_choice=False)
    community = SelectField(_l("Community"), validate_choice=False)
    hub_q = StringField(_l("Find the community by name"), validators=[Length(max=32)])
    description = TextAreaField(
        _l("What did you see?"),
        validators=[Length(max=2000)],
        render_kw={"rows": 5},
        description=_l(
            "Who needs help and why, as far as you know. Phone numbers, ID numbers and "
            "street addresses are removed: put a way to reach you or them under Contact."
        ),
    )
    contact = StringField(
        _l("Contact (optional)"),
        validators=[Length(max=200)],
        description=_l("Only the hub staff who check the report see it."),
    )


def discovery_page(endpoint: str) -> ResponseReturnValue:
    """The form (the community chosen district → street → community, or found by name), and
    on ``action=report`` the lead and its receipt."""
    form = DiscoveryForm()
    chosen, found = fill_picker(form)
    general: list[str] = []
    status = 200
    if request.form.get("action") == "report":
        status = 422
        if form.validate_on_submit():
            db = get_session()
            try:
                lead = monitoring.report_discovery(
                    db,
                    actor=me(),
                    community_code=chosen.community,
                    description=form.description.data or "",
                    contact=form.contact.data or "",
                )
            except ServiceError as exc:
                if not exc.errors:
                    raise
                general = attach_errors(form, exc.errors, aliases={"community_code": "community"})
                status = exc.status
            else:
                return render_template(
                    "member/discover.html",
                    receipt=monitoring.lead_receipt(lead),
                    place=region_picker.path(db, lead.community_code),
                    endpoint=endpoint,
                )
    return render_template(
        "member/discover.html",
        form=form,
        general=general,
        found=found,
        endpoint=endpoint,
        chosen_path=region_picker.path(get_session(), chosen.code) if chosen.code else "",
    ), status
