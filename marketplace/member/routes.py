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
from marketplace.member import care, discovery, leaderboard  # noqa: F401  (their routes)
from marketplace.member.blueprint import bp
from marketplace.member.forms import GiveUpForm, HomeCommunityForm
from marketplace.models import Role
from marketplace.schemas import GiveUpIn
from marketplace.services import (
    campaigns,
    certificates,
    claims,
    contributions,
    draws,
    feedback,
    mapdata,
    points,
    region_picker,
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
from marketplace.web.picker import fill_picker

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
            "campaign": f.campaign,
        },
        # 专项活动: the running campaigns, to filter the pool by (?campaign=<id>)
        campaigns=campaigns.visible_campaigns(db, me(), running_only=True),
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
    window = draws.window_state(db, member=me(), wish_id=wish_id)
    return render_template("member/wish.html", w=view, form=EmptyForm(), info=info, window=window)


@bp.post("/wishes/<int:wish_id>/claim")
@role_required(Role.MEMBER)
def claim(wish_id: int) -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("member.wish", wish_id=wish_id))
    cfg = current_app.config
    db = get_session()
    try:
        c = draws.claim_or_interest(
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
        window = draws.window_state(db, member=me(), wish_id=wish_id)
        return render_template(
            "member/wish.html",
            w=view,
            form=EmptyForm(),
            conflict=exc.message,
            info=None,
            window=window,
        ), 409
    if isinstance(c, draws.Interest):  # 认领意向登记: the draw at the window's close decides
        flash(render(c.message()), "success")
        return redirect(url_for("member.wish", wish_id=wish_id))
    flash(_("Claimed. Please deliver it before the due date."), "success")
    return redirect(url_for("member.claims_list", _anchor=f"claim-{c.id}"))


@bp.post("/wishes/<int:wish_id>/interest/withdraw")
@role_required(Role.MEMBER)
def withdraw_interest(wish_id: int) -> ResponseReturnValue:
    """撤回意向 — withdraw a registered interest while the wish's window is open."""
    if EmptyForm().validate_on_submit():
        draws.withdraw_interest(get_session(), member=me(), wish_id=wish_id)
        flash(_("Your interest is withdrawn."), "success")
    return redirect(url_for("member.wish", wish_id=wish_id))


@bp.route("/home", methods=["GET", "POST"])
@role_required(Role.MEMBER)
def home_community() -> ResponseReturnValue:
    """常住社区 — the member's home community, which the claim-window draws weigh."""
    db = get_session()
    form = HomeCommunityForm()
    home = me().community_code
    if request.method == "GET" and home:
        form.district.data, form.street.data, form.community.data = home[:6], home[:9], home
    chosen, found = fill_picker(form)
    general: list[str] = []
    status = 200
    action = request.form.get("action")
    if action in ("save", "clear") and form.validate_on_submit():
        try:
            draws.set_home_community(
                db, member=me(), community_code="" if action == "clear" else chosen.community
            )
        except ValidationFailed as exc:
            rollback_request()
            general = attach_errors(form, exc.errors)
            status = exc.status
        else:
            flash(_("Your home community is saved."), "success")
            return redirect(url_for("member.home_community"))
    current = me().community_code
    return render_template(
        "member/home.html",
        form=form,
        general=general,
        found=found,
        current=region_picker.path(db, current) if current else "",
        chosen_path=region_picker.path(db, chosen.code) if chosen.code else "",
    ), status


@bp.get("/claims")
@role_required(Role.MEMBER)
def claims_list() -> ResponseReturnValue:
    db = get_session()
    rows = claims.claims_with_wishes(db, actor=me())
    infos = claims.delivery_infos(db, [c for c, _w in rows])
    entered = draws.draws_of_member(db, member=me())
    entered_wishes = wishes.views_of(db, [d.need_id for d in entered])
    return render_template(
        "member/claims.html",
        rows=rows,
        infos=infos,
        draws=[(d, entered_wishes[d.need_id]) for d in entered if d.need_id in entered_wishes],
    )


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
