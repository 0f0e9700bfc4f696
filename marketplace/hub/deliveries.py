"""Hub deliveries (确认完成): confirm or send back reported deliveries, their photos."""

from __future__ import annotations

from flask import (
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from marketplace.db import get_session
from marketplace.hub.blueprint import PAGE, bp
from marketplace.hub.forms import ReasonForm
from marketplace.models import Role
from marketplace.services import claims, deliveries, exports, listings
from marketplace.services.errors import ServiceError
from marketplace.uploads import upload_dir
from marketplace.web.access import role_required
from marketplace.web.helpers import EmptyForm, back, list_args, me, requested_page, xlsx_response
from marketplace.web.labels import export_words
from marketplace.web.messages import render


@bp.get("/deliveries", endpoint="deliveries")
@role_required(Role.HUB_STAFF)
def deliveries_list() -> ResponseReturnValue:
    db = get_session()
    sort = listings.parse_sort(request.args.get("sort"), listings.DELIVERY_SORTS, "delivered")
    page = requested_page(listings.deliveries_query(db, actor=me(), sort=sort), PAGE)
    return render_template(
        "hub/deliveries.html",
        rows=deliveries.rows(db, page.rows),
        page=page,
        sort=sort,
        args=list_args(),
        form=EmptyForm(),
        reason_form=ReasonForm(),
    )


@bp.get("/deliveries.xlsx")
@role_required(Role.HUB_STAFF)
def deliveries_xlsx() -> ResponseReturnValue:
    sort = listings.parse_sort(request.args.get("sort"), listings.DELIVERY_SORTS, "delivered")
    body = exports.deliveries(get_session(), actor=me(), sort=sort, words=export_words())
    return xlsx_response(body, "deliveries")


@bp.post("/needs/<int:need_id>/confirm")
@role_required(Role.HUB_STAFF)
def confirm(need_id: int) -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("hub.deliveries"))
    try:
        claims.confirm_delivery(
            get_session(), actor=me(), need_id=need_id, hours=request.form.get("hours")
        )
    except ServiceError as exc:
        if not exc.errors:
            raise
        flash(render(next(iter(exc.errors.values()))), "error")
        return redirect(back(url_for("hub.deliveries")))
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
        flash(render(next(iter(exc.errors.values()))), "error")
        return redirect(back(url_for("hub.deliveries")))
    flash(_("Delivery sent back to the deliverer."), "success")
    return redirect(back(url_for("hub.deliveries")))


@bp.get("/photos/<name>")
@role_required(Role.HUB_STAFF)
def photo(name: str) -> ResponseReturnValue:
    filename = deliveries.photo_for_staff(get_session(), actor=me(), name=name)
    response = send_from_directory(upload_dir(), filename, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, no-store"
    return response
