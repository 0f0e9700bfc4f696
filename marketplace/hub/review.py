"""Hub review (审核): needs waiting to be published, publish or cancel; duplicates merged or kept,
repeat help allowed with a reason (DESIGN §12)."""

from __future__ import annotations

from typing import Any

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlmodel import Session

from marketplace.db import get_session
from marketplace.hub.blueprint import PAGE, bp
from marketplace.hub.forms import ReasonForm
from marketplace.models import Need, NeedStatus, Role, utcnow
from marketplace.services import (
    duplicates,
    exports,
    households,
    listings,
    regions,
    repeat_help,
    wishes,
)
from marketplace.web.access import role_required
from marketplace.web.helpers import EmptyForm, back, list_args, me, requested_page, xlsx_response
from marketplace.web.labels import export_words


@bp.get("/review")
@role_required(Role.HUB_STAFF)
def review() -> ResponseReturnValue:
    db = get_session()
    f, sort = _need_filter()
    page = requested_page(
        listings.needs_query(db, actor=me(), f=f, sort=sort),
        PAGE,
        count=listings.needs_count(db, actor=me(), f=f),
    )
    groups = regions.taxonomy_groups(db)
    # What members and organisations will read of each need, exactly as they will read it.
    public = {
        need.id: (
            wishes.public_title(need, household.name),
            wishes.public_description(need, household.name),
        )
        for need, household in page.rows
    }
    return render_template(
        "hub/review.html",
        page=page,
        public=public,
        **fairness_flags(db, [need for need, _household in page.rows]),
        names=regions.region_names(db),
        items={i.code: i for _first, group in groups for i in group},
        groups=groups,
        f=f,
        sort=sort,
        args=list_args(),
        statuses=list(NeedStatus),
        form=EmptyForm(),
        reason_form=ReasonForm(),
    )


def fairness_flags(db: Session, needs: list[Need]) -> dict[str, Any]:
    """What the review queue and the household page flag on needs (DESIGN §12): likely duplicates
    of another open need of the household, and needs a claim or a proposal would refuse because
    the household received the same item recently."""
    return {
        "dupes": duplicates.flags(db, [n.id for n in needs if n.id is not None]),
        "recent": repeat_help.refused_needs(
            db, needs, days=int(current_app.config["REPEAT_HELP_DAYS"]), now=utcnow()
        ),
        "repeat_days": int(current_app.config["REPEAT_HELP_DAYS"]),
    }


def _need_filter() -> tuple[listings.NeedFilter, listings.Sort]:
    status = request.args.get("status", NeedStatus.PENDING_REVIEW.value)
    f = listings.NeedFilter(
        status=status if status in {s.value for s in NeedStatus} else "",
        kind=request.args.get("kind", "")[:8],
        item=request.args.get("item", "")[:5],
        q=request.args.get("q", "")[:64],
    )
    return f, listings.parse_sort(request.args.get("sort"), listings.NEED_SORTS, "id")


@bp.get("/needs.xlsx")
@role_required(Role.HUB_STAFF)
def needs_xlsx() -> ResponseReturnValue:
    f, sort = _need_filter()
    return xlsx_response(
        exports.needs(get_session(), actor=me(), f=f, sort=sort, words=export_words()), "needs"
    )


@bp.post("/needs/<int:need_id>/publish")
@role_required(Role.HUB_STAFF)
def publish(need_id: int) -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("hub.review"))
    need = households.publish_need(
        get_session(),
        actor=me(),
        need_id=need_id,
        pairing_window_hours=current_app.config["PAIRING_WINDOW_HOURS"],
        claim_window_minutes=current_app.config["CLAIM_WINDOW_MINUTES"],
    )
    flash(_("Published: %(title)s", title=need.title), "success")
    return redirect(back(url_for("hub.review")))


@bp.post("/needs/<int:need_id>/public")
@role_required(Role.HUB_STAFF)
def edit_public(need_id: int) -> ResponseReturnValue:
    """Staff correct the public title and description before (or after) publishing."""
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("hub.review"))
    need = households.edit_public_version(
        get_session(),
        actor=me(),
        need_id=need_id,
        title=request.form.get("public_title", ""),
        text=request.form.get("public_text", ""),
    )
    flash(_("Public version saved: %(title)s", title=need.public_title), "success")
    return redirect(back(url_for("hub.review")))


@bp.post("/needs/<int:need_id>/cancel")
@role_required(Role.HUB_STAFF)
def cancel(need_id: int) -> ResponseReturnValue:
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason"), "error")
        return redirect(back(url_for("hub.review")))
    need = households.cancel_need(
        get_session(), actor=me(), need_id=need_id, reason=form.reason.data or ""
    )
    flash(_("Cancelled: %(title)s", title=need.title), "success")
    return redirect(back(url_for("hub.review")))


@bp.post("/needs/<int:need_id>/merge")
@role_required(Role.HUB_STAFF)
def merge(need_id: int) -> ResponseReturnValue:
    """Close this need as a duplicate of another open need of its household."""
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("hub.review"))
    into = request.form.get("into", type=int) or 0
    note = request.form.get("note", "").strip()[:300]
    reason = _("Duplicate of need #%(id)s", id=into) + (f" — {note}" if note else "")
    need = duplicates.merge(get_session(), actor=me(), need_id=need_id, into_id=into, reason=reason)
    flash(_("Closed as a duplicate of #%(id)s: %(title)s", id=into, title=need.title), "success")
    return redirect(back(url_for("hub.review")))


@bp.post("/needs/<int:need_id>/keep")
@role_required(Role.HUB_STAFF)
def keep(need_id: int) -> ResponseReturnValue:
    """Keep both needs of a flagged pair, with a note; the pair is no longer flagged."""
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("hub.review"))
    other = request.form.get("other", type=int) or 0
    duplicates.keep_both(
        get_session(),
        actor=me(),
        need_id=need_id,
        other_id=other,
        note=request.form.get("note", ""),
    )
    flash(_("Both needs kept: #%(id)s and #%(other)s", id=need_id, other=other), "success")
    return redirect(back(url_for("hub.review")))


@bp.post("/needs/<int:need_id>/allow-repeat")
@role_required(Role.HUB_STAFF)
def allow_repeat(need_id: int) -> ResponseReturnValue:
    """Let a need be claimed or matched although its household received the item recently."""
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason"), "error")
        return redirect(back(url_for("hub.review")))
    need = repeat_help.allow(
        get_session(), actor=me(), need_id=need_id, reason=form.reason.data or ""
    )
    flash(_("Allowed despite recent help: %(title)s", title=need.title), "success")
    return redirect(back(url_for("hub.review")))
