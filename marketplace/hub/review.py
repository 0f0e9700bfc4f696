"""Hub review (审核): needs waiting to be published, publish or cancel."""

from __future__ import annotations

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from marketplace.db import get_session
from marketplace.hub.blueprint import PAGE, bp
from marketplace.hub.forms import ReasonForm
from marketplace.models import NeedStatus, Role
from marketplace.services import exports, households, listings, regions, wishes
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
    need = households.publish_need(get_session(), actor=me(), need_id=need_id)
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
