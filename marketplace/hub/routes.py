"""Blueprint ``hub``: hub staff register households and needs, review, confirm deliveries."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from marketplace.db import get_session
from marketplace.hub import import_job
from marketplace.hub.forms import HouseholdForm, ImportForm, NeedForm, ReasonForm
from marketplace.models import Hub, NeedStatus, Region, Role
from marketplace.schemas import HouseholdIn, NeedIn, parse
from marketplace.services import claims, exports, households, imports, listings, ui_queries
from marketplace.services.access import get_household_for_staff
from marketplace.services.errors import ServiceError
from marketplace.uploads import upload_dir
from marketplace.web.access import role_required
from marketplace.web.helpers import EmptyForm, attach_errors, back, list_args, me, xlsx_response
from marketplace.web.messages import translate_message

bp = Blueprint("hub", __name__, url_prefix="/hub")
PAGE = 25  # rows per page of the staff tables (each row carries its own action forms)
MAX_IMPORT_BYTES = 5 * 1024 * 1024


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
    db = get_session()
    f, sort = _household_filter()
    page = listings.paginate(
        db,
        listings.households_query(db, actor=me(), f=f, sort=sort),
        request.args.get("page", 1, type=int),
        PAGE,
    )
    rows = [h for (h,) in page.rows]
    names = ui_queries.region_names(db, {h.community_code for h in rows})
    return render_template(
        "hub/households.html",
        names=names,
        rows=rows,
        page=page,
        f=f,
        sort=sort,
        args=list_args(),
        streets=[s for s, _c in ui_queries.communities_in_scope(db, actor=me())],
    )


def _household_filter() -> tuple[listings.HouseholdFilter, listings.Sort]:
    level = request.args.get("level", type=int)
    f = listings.HouseholdFilter(
        q=request.args.get("q", "")[:64],
        hardship=request.args.get("hardship", "")[:16],
        level=level if level in (1, 2, 3) else None,
        area=request.args.get("area", "")[:12],
    )
    return f, listings.parse_sort(request.args.get("sort"), listings.HOUSEHOLD_SORTS, "-id")


@bp.get("/households.xlsx")
@role_required(Role.HUB_STAFF)
def households_xlsx() -> ResponseReturnValue:
    f, sort = _household_filter()
    body = exports.households(get_session(), actor=me(), f=f, sort=sort, t=_)
    return xlsx_response(body, "households")


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
        qr_svg=Markup(
            segno.make(happiness_url, error="m").svg_inline(
                scale=4, border=2, title=_("Happiness code (幸福码)")
            )
        ),
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
    db = get_session()
    f, sort = _need_filter()
    page = listings.paginate(
        db,
        listings.needs_query(db, actor=me(), f=f, sort=sort),
        request.args.get("page", 1, type=int),
        PAGE,
        count=listings.needs_count(db, actor=me(), f=f),
    )
    names = ui_queries.region_names(db, {n.community_code for n, _h in page.rows})
    items = {i.code: i for _first, group in ui_queries.taxonomy_groups(db) for i in group}
    return render_template(
        "hub/review.html",
        page=page,
        names=names,
        items=items,
        groups=ui_queries.taxonomy_groups(db),
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
    return xlsx_response(exports.needs(get_session(), actor=me(), f=f, sort=sort, t=_), "needs")


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


# Offers that served the subtree, dashboard, map ------------------------------------------------------


# 幸福码 card for the household's wall --------------------------------------------------------------


@bp.get("/households/<int:household_id>/card")
@role_required(Role.HUB_STAFF)
def household_card(household_id: int) -> ResponseReturnValue:
    db = get_session()
    household = get_household_for_staff(db, household_id, me())
    url = url_for("household.happiness_page", token=household.token, _external=True)
    hub = db.get(Hub, me().hub_id)
    phones = current_app.config.get("HUB_PHONES") or {}
    return render_template(
        "hub/card.html",
        surname=household.name[:1] + "*",
        community=db.get(Region, household.community_code),
        hub=hub,
        hub_phone=phones.get(hub.region_code) if hub else None,
        url=url,
        qr_svg=Markup(
            segno.make(url, error="q").svg_inline(
                scale=10, border=2, title=_("Happiness code (幸福码)")
            )
        ),
    )


# Excel import ------------------------------------------------------------------------------------


@bp.get("/import/template.xlsx")
@role_required(Role.HUB_STAFF)
def import_template() -> ResponseReturnValue:
    return xlsx_response(imports.template(get_session(), actor=me()), "import-template")


@bp.route("/import", methods=["GET", "POST"])
@role_required(Role.HUB_STAFF)
def import_page() -> ResponseReturnValue:
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(MAX_IMPORT_BYTES + 1)
        if len(data) > MAX_IMPORT_BYTES or not data.startswith(b"PK"):
            form.file.errors = [_("Upload an Excel workbook (.xlsx) of at most 5 MB.")]
            return render_template("hub/import.html", form=form, state=None, job=None), 422
        job_id = secrets.token_urlsafe(12)
        folder = Path(current_app.instance_path) / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{job_id}.xlsx"
        path.write_bytes(data)
        import_job.put_state(job_id, {"user": me().id, "state": "queued", "done": 0, "total": 0})
        from marketplace.jobs import run_import

        # The job opens its own unit of work; end this request's transaction first (it has
        # written nothing) so that, run in-process, the job does not wait on our write lock.
        get_session().commit()
        run_import(job_id, me().id or 0, str(path))
        return redirect(url_for("hub.import_page", job=job_id))
    job = request.args.get("job", "")[:40]
    state = _own_state(job) if job else None
    report = (
        imports.ImportReport.from_dict(state["report"]) if state and "report" in state else None
    )
    status = 422 if form.is_submitted() else 200
    return render_template(
        "hub/import.html", form=form, job=job if state else None, state=state, report=report
    ), status


def _own_state(job: str) -> dict[str, Any] | None:
    state = import_job.get_state(job)
    if state is None or state.get("user") != me().id:
        return None
    return state


@bp.get("/import/status")
@role_required(Role.HUB_STAFF)
def import_status() -> ResponseReturnValue:
    state = _own_state(request.args.get("job", "")[:40])
    if state is None:
        return jsonify(error="not_found"), 404
    return jsonify(
        state=state["state"],
        done=state.get("done", 0),
        total=state.get("total", 0),
        ok=bool(state.get("report") and not state["report"]["errors"]),
    )
