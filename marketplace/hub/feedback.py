"""Hub feedback (评价与感谢): the households' ratings and thanks from their 幸福码, shown to the
helper or held back; the hub's choice whether helpers see the ratings; the open help requests
that came from 幸福码 pages."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from marketplace.db import get_session
from marketplace.hub.blueprint import bp
from marketplace.models import FeedbackStatus, Role
from marketplace.services import contacts, feedback
from marketplace.web.access import role_required
from marketplace.web.helpers import EmptyForm, me


@bp.get("/feedback")
@role_required(Role.HUB_STAFF)
def feedback_list() -> ResponseReturnValue:
    db = get_session()
    status = request.args.get("status", FeedbackStatus.PENDING.value)
    if status not in {s.value for s in FeedbackStatus}:
        status = FeedbackStatus.PENDING.value
    return render_template(
        "hub/feedback.html",
        rows=feedback.queue(db, actor=me(), status=status),
        status=status,
        hub=contacts.own_hub(db, actor=me()),
        requests=feedback.open_help_requests_for_staff(db, actor=me()),
        form=EmptyForm(),
    )


@bp.post("/feedback/<int:feedback_id>/<any(shown, held):status>")
@role_required(Role.HUB_STAFF)
def feedback_moderate(feedback_id: int, status: str) -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("hub.feedback_list"))
    feedback.moderate(get_session(), actor=me(), feedback_id=feedback_id, status=status)
    if status == FeedbackStatus.SHOWN.value:
        flash(_("Shown: the helper has been told."), "success")
    else:
        flash(_("Held back: the helper will not see it."), "success")
    return redirect(url_for("hub.feedback_list"))


@bp.post("/feedback/share")
@role_required(Role.HUB_STAFF)
def feedback_share() -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("hub.feedback_list"))
    value = request.form.get("share") == "1"
    feedback.set_share_ratings(get_session(), actor=me(), value=value)
    if value:
        flash(_("Helpers will see the ratings of the thanks you show them."), "success")
    else:
        flash(_("Helpers will see the words of thanks only, not the ratings."), "success")
    return redirect(url_for("hub.feedback_list"))
