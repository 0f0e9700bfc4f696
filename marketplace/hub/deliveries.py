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
from marketplace.services import claims, exports, listings, ui_queries
from marketplace.services.errors import ServiceError
from marketplace.uploads import upload_dir
from marketplace.web.access import role_required
from marketplace.web.helpers import EmptyForm, back, list_args, me, xlsx_response
from marketplace.web.messages import translate_message


@bp.get("/deliveries")
@role_required(Role.HUB_STAFF)
def deliveries() -> ResponseReturnValue:
    db = get_session()
    sort = listings.parse_sort(request.args.get("sort"), listings.DELIVERY_SORTS, "delivered")
    page = listings.paginate(
        db,
        listings.deliveries_query(db, actor=me(), sort=sort),
        request.args.get("page", 1, type=int),
        PAGE,
    )
    names = ui_queries.region_names(db, {n.community_code for n, _h, _c in page.rows})
    items = {i.code: i for _first, group in ui_queries.taxonomy_groups(db) for i in group}
    rows = [
        ui_queries.NeedRow(
            n,
            h,
            items[n.item_code].name_zh if n.item_code in items else n.item_code,
            names.get(n.community_code, ""),
            c,
            ui_queries.deliverer_label(db, c),
        )
        for n, h, c in page.rows
    ]
    return render_template(
        "hub/deliveries.html",
        rows=rows,
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
    body = exports.deliveries(get_session(), actor=me(), sort=sort, t=_)
    return xlsx_response(body, "deliveries")


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
