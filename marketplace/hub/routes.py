"""Blueprint ``hub``: hub staff register households and needs, review, confirm deliveries."""

from __future__ import annotations

import segno
from flask import Blueprint, flash, redirect, render_template, request, send_from_directory, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from marketplace.auth.decorators import role_required
from marketplace.db import get_session
from marketplace.hub.forms import HouseholdForm, NeedForm, ReasonForm
from marketplace.main import EmptyForm, attach_errors, back, translate_message
from marketplace.models import Hub, NeedStatus, Region, Role, User
from marketplace.schemas import HouseholdIn, NeedIn, parse
from marketplace.services import claims, households, ui_queries
from marketplace.services.access import get_household_for_staff
from marketplace.services.errors import ServiceError
from marketplace.uploads import upload_dir

bp = Blueprint("hub", __name__, url_prefix="/hub")
PAGE = 20


def me() -> User:
    user: User = current_user._get_current_object()
    return user


@bp.get("/")
@role_required(Role.HUB_STAFF)
def index() -> ResponseReturnValue:
    db = get_session()
    hub = db.get(Hub, me().hub_id)
    return render_template(
        "hub/index.html",
        hub=hub,
        counts=ui_queries.hub_status_counts(db, actor=me()),
        households_total=ui_queries.hub_households_count(db, actor=me()),
        deliveries=ui_queries.deliveries_to_confirm(db, actor=me(), limit=10),
        statuses=list(NeedStatus),
    )


@bp.get("/households")
@role_required(Role.HUB_STAFF)
def households_list() -> ResponseReturnValue:
    q = request.args.get("q", "")[:64]
    cursor = request.args.get("cursor", type=int)
    rows = households.search_households(get_session(), actor=me(), q=q, after_id=cursor, limit=PAGE)
    next_cursor = rows[-1].id if len(rows) == PAGE else None
    names = ui_queries.region_names(get_session(), {h.community_code for h in rows})
    return render_template(
        "hub/households.html",
        names=names, rows=rows, q=q, next_cursor=next_cursor, cursor=cursor
    )


def _community_choices(form: HouseholdForm) -> None:
    groups = ui_queries.communities_in_scope(get_session(), actor=me())
    form.community_code.choices = [
        SelectChoice(c.code, c.name, optgroup=street.name)
        for street, communities in groups
        for c in communities
    ]


@bp.route("/households/new", methods=["GET", "POST"])
@role_required(Role.HUB_STAFF)
def household_new() -> ResponseReturnValue:
    form = HouseholdForm()
    _community_choices(form)
    general: list[str] = []
    if form.validate_on_submit():
        try:
            data = parse(HouseholdIn, {k: v for k, v in form.data.items() if k != "csrf_token"})
            household = households.create_household(get_session(), actor=me(), data=data)
        except ServiceError as exc:
            if not exc.errors:
                raise
            general = attach_errors(form, exc.errors)
            return render_template(
                "hub/household_form.html", form=form, general=general
            ), exc.status
        flash(_("Household registered."), "success")
        return redirect(url_for("hub.household_detail", household_id=household.id))
    status = 422 if form.is_submitted() else 200
    return render_template("hub/household_form.html", form=form, general=general), status


@bp.get("/households/<int:household_id>")
@role_required(Role.HUB_STAFF)
def household_detail(household_id: int) -> ResponseReturnValue:
    db = get_session()
    household = households.view_household(db, actor=me(), household_id=household_id)
    happiness_url = url_for("household.happiness_page", token=household.token, _external=True)
    needs = households.needs_of_household(db, household.id or 0)
    return render_template(
        "hub/household_detail.html",
        h=household,
        needs=needs,
        claims=ui_queries.claims_of_need(db, actor=me(), need_ids=[n.id or 0 for n in needs]),
        community=db.get(Region, household.community_code),
        happiness_url=happiness_url,
        qr_svg=Markup(segno.make(happiness_url, error="m").svg_inline(scale=4, border=2, title=_("Happiness code (幸福码)"))),
        form=EmptyForm(),
        reason_form=ReasonForm(),
    )


def _item_choices(form: NeedForm) -> None:
    groups = ui_queries.taxonomy_groups(get_session())
    form.item.choices = [
        SelectChoice(
            i.code, f"{i.code} {i.name_zh}", optgroup=f"{first.category_code} {first.category_zh}"
        )
        for first, items in groups
        for i in items
    ]


@bp.route("/households/<int:household_id>/needs/new", methods=["GET", "POST"])
@role_required(Role.HUB_STAFF)
def need_new(household_id: int) -> ResponseReturnValue:
    db = get_session()
    household = get_household_for_staff(db, household_id, me())
    form = NeedForm()
    _item_choices(form)
    general: list[str] = []
    if form.validate_on_submit():
        try:
            data = parse(
                NeedIn,
                {
                    "household_id": household_id,
                    "kind": form.kind.data,
                    "item": form.item.data,
                    "title": form.title.data,
                    "description": form.description.data or "",
                    "value_yuan": form.value_yuan.data if form.value_yuan.data is not None else 0,
                    "deadline": form.deadline.data,
                },
            )
            households.create_need(db, actor=me(), data=data)
        except ServiceError as exc:
            if not exc.errors:
                raise
            general = attach_errors(form, exc.errors)
            return render_template(
                "hub/need_form.html", form=form, h=household, general=general
            ), exc.status
        flash(_("Need recorded; it is waiting for review."), "success")
        return redirect(url_for("hub.household_detail", household_id=household_id))
    status = 422 if form.is_submitted() else 200
    return render_template("hub/need_form.html", form=form, h=household, general=general), status


@bp.get("/review")
@role_required(Role.HUB_STAFF)
def review() -> ResponseReturnValue:
    rows = ui_queries.review_queue(get_session(), actor=me())
    return render_template("hub/review.html", rows=rows, form=EmptyForm(), reason_form=ReasonForm())


@bp.post("/needs/<int:need_id>/publish")
@role_required(Role.HUB_STAFF)
def publish(need_id: int) -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("hub.review"))
    need = households.publish_need(get_session(), actor=me(), need_id=need_id)
    flash(_("Published: %(title)s", title=need.title), "success")
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


@bp.get("/deliveries")
@role_required(Role.HUB_STAFF)
def deliveries() -> ResponseReturnValue:
    rows = ui_queries.deliveries_to_confirm(get_session(), actor=me())
    return render_template(
        "hub/deliveries.html", rows=rows, form=EmptyForm(), reason_form=ReasonForm()
    )


@bp.post("/needs/<int:need_id>/confirm")
@role_required(Role.HUB_STAFF)
def confirm(need_id: int) -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("hub.deliveries"))
    claims.confirm_delivery(get_session(), actor=me(), need_id=need_id)
    flash(_("Delivery confirmed."), "success")
    return redirect(back(url_for("hub.deliveries")))


@bp.post("/needs/<int:need_id>/reject")
@role_required(Role.HUB_STAFF)
def reject(need_id: int) -> ResponseReturnValue:
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for the rejection"), "error")
        return redirect(back(url_for("hub.deliveries")))
    try:
        claims.reject_delivery(
            get_session(), actor=me(), need_id=need_id, reason=form.reason.data or ""
        )
    except ServiceError as exc:
        if not exc.errors:
            raise
        flash(translate_message(next(iter(exc.errors.values()))), "error")
        return redirect(back(url_for("hub.deliveries")))
    flash(_("Delivery sent back to the deliverer."), "success")
    return redirect(back(url_for("hub.deliveries")))


@bp.get("/photos/<name>")
@role_required(Role.HUB_STAFF)
def photo(name: str) -> ResponseReturnValue:
    filename = ui_queries.photo_for_staff(get_session(), actor=me(), name=name)
    response = send_from_directory(upload_dir(), filename, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, no-store"
    return response
