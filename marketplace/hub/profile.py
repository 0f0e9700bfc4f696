"""Hub staff edit a household's profile (家庭画像); the household is rescored at once and the
edit kept with who, when and what (services/resilience.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from marketplace.db import get_session
from marketplace.hub.blueprint import bp
from marketplace.hub.profile_forms import ProfileEditForm, attach_profile_errors, by_dimension
from marketplace.models import Role
from marketplace.profiles import Profile
from marketplace.services import resilience
from marketplace.services.access import get_household_for_staff
from marketplace.services.errors import ServiceError, parse
from marketplace.web.access import role_required
from marketplace.web.helpers import attach_errors, me
from marketplace.web.messages import render
from marketplace.web.profile_labels import template_globals

# The profile's and the score's labels, for every hub page (the household form and case file).
bp.context_processor(template_globals)


@bp.route("/households/<int:household_id>/profile", methods=["GET", "POST"])
@role_required(Role.HUB_STAFF)
def profile_edit(household_id: int) -> ResponseReturnValue:
    db = get_session()
    household = get_household_for_staff(db, household_id, me())
    current = resilience.score_record(db, household)
    form = ProfileEditForm(
        data={"members": household.members, "profile": current.profile.model_dump()}
    )
    general: list[str] = []
    if form.validate_on_submit():
        try:
            profile = parse(Profile, form.profile.data)
            resilience.update_profile(
                db,
                actor=me(),
                household_id=household_id,
                profile=profile,
                members=form.members.data,
            )
        except ServiceError as exc:
            if not exc.errors:
                raise
            general = attach_errors(form, attach_profile_errors(form, exc.errors, render))
        else:
            flash(_("Profile saved; the resilience score was recomputed."), "success")
            return redirect(url_for("hub.household_detail", household_id=household_id) + "#score")
    status = 422 if form.is_submitted() else 200
    return render_template(
        "hub/profile_form.html",
        form=form,
        h=household,
        groups=by_dimension(form),
        general=general,
    ), status
