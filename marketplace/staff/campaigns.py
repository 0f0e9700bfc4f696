"""Blueprint ``staff``: campaigns (专项活动: 春风行动, 节日慰问) — the list, a new campaign (the
administrator or a district hub's staff), a campaign's page with its progress and branch
leaderboard, adding open wishes of the staff's area to it, and closing it (services/campaigns.py).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from marketplace.db import get_session
from marketplace.models import Role
from marketplace.services import campaigns, regions
from marketplace.services.access import viewer_scope
from marketplace.services.errors import Forbidden, ServiceError
from marketplace.staff.blueprint import bp
from marketplace.staff.forms import CampaignForm
from marketplace.web.access import role_required
from marketplace.web.helpers import EmptyForm, attach_errors, me
from marketplace.web.messages import render

STAFF = (Role.HUB_STAFF, Role.ADMIN)


def _may_create() -> bool:
    try:
        campaigns.creator_scope(get_session(), me())
    except Forbidden:
        return False
    return True


@bp.get("/campaigns")
@role_required(*STAFF)
def campaigns_list() -> ResponseReturnValue:
    db = get_session()
    rows = campaigns.visible_campaigns(db, me())
    return render_template(
        "staff/campaigns.html",
        rows=rows,
        progress={c.id: campaigns.progress(db, c.id or 0) for c in rows},
        running={c.id for c in rows if campaigns.is_running(c)},
        may_create=_may_create(),
        item_names=regions.item_names(db),
    )


def _choices(form: CampaignForm) -> None:
    db = get_session()
    form.items.choices = [(i.code, f"{i.code} {i.name_zh}") for i in regions.active_items(db)]
    scope = viewer_scope(db, me())
    districts = [r for r in regions.districts(db) if scope is None or r.code == scope]
    form.regions.choices = [
        (r.code, label)
        for d in districts
        for r, label in [(d, d.name), *((s, f"— {s.name}") for s in regions.children(db, d.code))]
    ]


@bp.route("/campaigns/new", methods=["GET", "POST"])
@role_required(*STAFF)
def campaign_new() -> ResponseReturnValue:
    campaigns.creator_scope(get_session(), me())  # a street or community hub: 403
    form = CampaignForm()
    _choices(form)
    general: list[str] = []
    if form.validate_on_submit():
        extra = (form.communities.data or "").replace(",", " ").split()
        try:
            campaign = campaigns.create_campaign(
                get_session(),
                actor=me(),
                data={
                    "name": form.name.data,
                    "theme": form.theme.data or "",
                    "start": form.start.data,
                    "end": form.end.data,
                    "items": form.items.data or [],
                    "regions": [*(form.regions.data or []), *extra],
                },
            )
        except ServiceError as exc:
            if not exc.errors:
                raise
            general = attach_errors(form, exc.errors)
            return render_template("staff/campaign_form.html", form=form, general=general), 422
        flash(_("Campaign created: %(name)s", name=campaign.name), "success")
        return redirect(url_for("staff.campaign_detail", campaign_id=campaign.id))
    status = 422 if form.is_submitted() else 200
    return render_template("staff/campaign_form.html", form=form, general=general), status


@bp.get("/campaigns/<int:campaign_id>")
@role_required(*STAFF)
def campaign_detail(campaign_id: int) -> ResponseReturnValue:
    db = get_session()
    view = campaigns.page(db, campaign_id, me())
    candidates = (
        campaigns.candidates(db, actor=me(), campaign_id=campaign_id)
        if me().role == Role.HUB_STAFF
        else []
    )
    names = regions.region_names(db)
    return render_template(
        "staff/campaign.html",
        v=view,
        running=campaigns.is_running(view.campaign),
        candidates=candidates,
        names=names,
        item_names=regions.item_names(db),
        form=EmptyForm(),
    )


@bp.post("/campaigns/<int:campaign_id>/wishes")
@role_required(Role.HUB_STAFF)
def campaign_tag(campaign_id: int) -> ResponseReturnValue:
    """Add the ticked open wishes of the staff's area to the campaign (all or none)."""
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("staff.campaign_detail", campaign_id=campaign_id))
    ids = [int(v) for v in request.form.getlist("need_ids") if v.isdigit()]
    try:
        n = campaigns.tag_wishes(get_session(), actor=me(), campaign_id=campaign_id, need_ids=ids)
    except ServiceError as exc:
        if not exc.errors:
            raise
        for message in exc.errors.values():
            flash(render(message), "error")
        return redirect(url_for("staff.campaign_detail", campaign_id=campaign_id))
    flash(_("%(n)s wishes added to the campaign.", n=n), "success")
    return redirect(url_for("staff.campaign_detail", campaign_id=campaign_id))


@bp.post("/campaigns/<int:campaign_id>/close")
@role_required(*STAFF)
def campaign_close(campaign_id: int) -> ResponseReturnValue:
    if EmptyForm().validate_on_submit():
        campaigns.close_campaign(get_session(), actor=me(), campaign_id=campaign_id)
        flash(_("The campaign is closed."), "success")
    return redirect(url_for("staff.campaign_detail", campaign_id=campaign_id))
