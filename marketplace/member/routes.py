"""Blueprint ``member``: the wish pool (masked), claims and delivery reports."""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.db import get_session, rollback_request
from marketplace.member import care, discovery  # noqa: F401  (their routes)
from marketplace.member.blueprint import bp
from marketplace.member.forms import GiveUpForm
from marketplace.models import Role
from marketplace.schemas import GiveUpIn
from marketplace.services import (
    certificates,
    claims,
    contributions,
    feedback,
    mapdata,
    points,
    regions,
    wishes,
)
from marketplace.services.errors import Conflict, ServiceError, ValidationFailed, parse
from marketplace.services.messages import Message
from marketplace.uploads import delivery_limit
from marketplace.web.access import role_required
from marketplace.web.certificates import certificate_pdf, pdf_response
from marketplace.web.delivery import delivery_page, household_contact_page
from marketplace.web.helpers import EmptyForm, attach_errors, me, xlsx_response
from marketplace.web.labels import export_words
from marketplace.web.messages import render

PAGE = 20
# The lines of a points movement (services/points.py), as the history names them.
POINT_RULE_LABELS = {
    "base": _l("Base"),
    "item": _l("Item"),
    "hours": _l("Hours"),
    "level1": _l("Level-1 household"),
}


@bp.get("/")
@role_required(Role.MEMBER)
def index() -> ResponseReturnValue:
    """心愿池 — open micro-wishes, filtered by item, district/street or near the member."""
    db = get_session()
    args = request.args.copy()
    district = args.get("district", "")
    street = args.get("street", "")
    if street and not regions.is_within(street, district):
        street = ""
    args["region"] = street or district
    errors: dict[str, Message] = {}
    try:
        f = wishes.parse_filter(args)
    except ValidationFailed as exc:
        errors = exc.errors
        f = wishes.WishFilter()
    views, cursor = wishes.browse_page(
        db,
        f,
        after_id=request.args.get("cursor", type=int),
        limit=PAGE,
        max_age_s=current_app.config["WISH_POOL_CACHE_S"],
    )
    more_args = {k: v for k, v in request.args.items() if k != "cursor" and v}
    return render_template(
        "member/index.html",
        views=views,
        next_cursor=cursor,
        more_args=more_args,
        errors=errors,
        groups=regions.taxonomy_groups(db),
        districts=regions.districts(db),
        streets=regions.children(db, district) if district else [],
        sel={
            "item": f.item or "",
            "district": district,
            "street": street,
            "near": f.lat is not None,
        },
        lat=request.args.get("lat", ""),
        lon=request.args.get("lon", ""),
        radius=request.args.get("radius_km", "5"),
    )


@bp.get("/wishes/<int:wish_id>")
@role_required(Role.MEMBER)
def wish(wish_id: int) -> ResponseReturnValue:
    db = get_session()
    view = wishes.wish_detail(db, wish_id)
    info = claims.wish_delivery_info(db, wish_id)
    return render_template("member/wish.html", w=view, form=EmptyForm(), info=info)


@bp.post("/wishes/<int:wish_id>/claim")
@role_required(Role.MEMBER)
def claim(wish_id: int) -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("member.wish", wish_id=wish_id))
    cfg = current_app.config
    db = get_session()
    try:
        c = claims.claim_wish(
            db,
            member=me(),
            wish_id=wish_id,
            policy=claims.ClaimPolicy(
                cfg["MAX_OPEN_CLAIMS"], cfg["CLAIM_DAYS"], cfg["REPEAT_HELP_DAYS"]
            ),
        )
    except Conflict as exc:
        rollback_request()  # a refused claim leaves nothing half-done, also on this page
        view = wishes.wish_detail(db, wish_id)
        return render_template(
            "member/wish.html", w=view, form=EmptyForm(), conflict=exc.message, info=None
        ), 409
    flash(_("Claimed. Please deliver it before the due date."), "success")
    return redirect(url_for("member.claims_list", _anchor=f"claim-{c.id}"))


@bp.get("/claims")
@role_required(Role.MEMBER)
def claims_list() -> ResponseReturnValue:
    db = get_session()
    rows = claims.claims_with_wishes(db, actor=me())
    infos = claims.delivery_infos(db, [c for c, _w in rows])
    return render_template("member/claims.html", rows=rows, infos=infos)


@bp.post("/claims/<int:claim_id>/household")
@role_required(Role.MEMBER)
def household_contact(claim_id: int) -> ResponseReturnValue:
    """The household's address and phone for a home delivery (audited reveal)."""
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("member.claims_list"))
    return household_contact_page(claim_id, back=url_for("member.claims_list"))


@bp.route("/claims/<int:claim_id>/give-up", methods=["GET", "POST"])
@role_required(Role.MEMBER)
def give_up(claim_id: int) -> ResponseReturnValue:
    """放弃认领 — give a claim back with a reason; the wish returns to the pool."""
    db = get_session()
    c, view = claims.claim_with_wish(db, actor=me(), claim_id=claim_id)
    form = GiveUpForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            data = parse(GiveUpIn, {"reason": form.reason.data or ""})
            claims.give_up_claim(db, actor=me(), claim_id=claim_id, reason=data.reason)
        except ServiceError as exc:
            rollback_request()
            general = attach_errors(form, exc.errors) if exc.errors else [render(exc.message)]
            page = render_template("member/give_up.html", form=form, c=c, w=view, general=general)
            return page, exc.status
        flash(_("You gave the claim back; the wish is in the pool again."), "success")
        return redirect(url_for("member.claims_list"))
    status = 422 if form.is_submitted() else 200
    return render_template("member/give_up.html", form=form, c=c, w=view, general=general), status


@bp.route("/claims/<int:claim_id>/deliver", methods=["GET", "POST"])
@role_required(Role.MEMBER)
@delivery_limit
def deliver(claim_id: int) -> ResponseReturnValue:
    return delivery_page(claim_id, done=url_for("member.claims_list"))


@bp.get("/map.json")
@role_required(Role.MEMBER)
def map_json() -> ResponseReturnValue:
    """Open wishes counted per community (masked), for the wish pool's small map."""
    return jsonify(
        mapdata.map_data(
            get_session(),
            actor=me(),
            counts_max_age_s=float(current_app.config["DASHBOARD_COUNTS_MAX_AGE_S"]),
        )
    )


@bp.route("/records", methods=["GET", "POST"])
@role_required(Role.MEMBER)
def records() -> ResponseReturnValue:
    """我的志愿服务记录 — records with totals by month and year, points, Excel and the
    certificate (POST: issues a certificate for the period and downloads it)."""
    db = get_session()
    src = request.form if request.method == "POST" else request.args
    raw = (src.get("from", ""), src.get("to", ""))
    errors: dict[str, Message] = {}
    status = 200
    try:
        d_from, d_to = contributions.parse_period(*raw)
    except ValidationFailed as exc:
        errors, status = exc.errors, exc.status
        d_from, d_to = contributions.parse_period(None, None)
    if request.method == "POST" and not errors:
        if not EmptyForm().validate_on_submit():
            return redirect(url_for("member.records"))
        try:
            body, cert = certificate_pdf(db, me(), d_from, d_to)
        except ServiceError as exc:
            rollback_request()
            errors, status = exc.errors or {"_": exc.message}, exc.status
        else:
            return pdf_response(body, cert)
    mine = me().id or 0
    rows = contributions.records_of_member(db, member_id=mine, d_from=d_from, d_to=d_to)
    everything = contributions.records_of_member(db, member_id=mine)
    page = render_template(
        "member/records.html",
        rows=list(reversed(rows)),
        period_totals=contributions.totals(rows),
        all_totals=contributions.totals(everything),
        balance=points.balance(db, member_id=mine),
        history=points.history(db, member_id=mine, limit=50),
        thanks=feedback.thanks_for_records(db, rows),
        names=regions.region_names(db),
        d_from=d_from,
        d_to=d_to,
        raw=raw,
        errors=errors,
        form=EmptyForm(),
        POINT_RULE_LABELS=POINT_RULE_LABELS,
    )
    return page, status


@bp.get("/records.xlsx")
@role_required(Role.MEMBER)
def records_xlsx() -> ResponseReturnValue:
    db = get_session()
    d_from, d_to = contributions.parse_period(request.args.get("from"), request.args.get("to"))
    rows = contributions.records_of_member(db, member_id=me().id or 0, d_from=d_from, d_to=d_to)
    return xlsx_response(
        certificates.records_workbook(db, rows, words=export_words()), "service-records"
    )
