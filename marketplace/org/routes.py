"""Blueprint ``org``: an organisation's offers (帮扶项目) and its assignments."""

from __future__ import annotations

import hashlib
import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from marketplace.db import get_session
from marketplace.models import CITY_BOUNDS, Organisation, OrgStatus, Role
from marketplace.org import branches, care, discovery, leaderboard, projects  # noqa: F401
from marketplace.org.blueprint import bp
from marketplace.org.forms import OfferEditForm, OfferForm
from marketplace.schemas import OfferIn
from marketplace.services import boundaries, casefile, claims, offers, region_picker, regions
from marketplace.services import projects as project_service
from marketplace.services.access import get_offer_for_org
from marketplace.services.clock import beijing_today
from marketplace.services.errors import ServiceError, parse
from marketplace.services.regions import ItemRef
from marketplace.uploads import delivery_limit
from marketplace.web.access import role_required
from marketplace.web.basemap import base_map
from marketplace.web.delivery import delivery_page, household_contact_page
from marketplace.web.helpers import EmptyForm, attach_errors, me
from marketplace.web.security import csp_with_images_from
from matching import taxonomy


@bp.get("/")
@role_required(Role.ORG)
def index() -> ResponseReturnValue:
    db = get_session()
    mine = offers.org_offers(db, me())
    return render_template(
        "org/index.html",
        org=mine.org,
        rows=mine.offers,
        names=regions.region_names(db),
        pending=mine.org.status == OrgStatus.PENDING.value,
        form=EmptyForm(),
    )


def _choices(form: OfferForm) -> list[tuple[ItemRef, list[ItemRef]]]:
    db = get_session()
    groups = regions.taxonomy_groups(db)
    form.items.choices = [
        SelectChoice(i.code, f"{i.code} {i.name_zh}") for _first, items in groups for i in items
    ]
    form.project_id.choices = [SelectChoice("", _("The organisation's first project"))] + [
        SelectChoice(str(p.id), p.title)
        for p in project_service.projects_of(db, me())
        if p.status == "active"
    ]
    return groups


def _offer_page(form: OfferForm, org: Organisation, general: list[str]) -> Response:
    """The offer form: items with their default units, the region tree (districts and streets;
    region_tree.js adds communities and search from ``org.regions_json``), the map picker."""
    db = get_session()
    chosen = form.regions.data or []
    found = region_picker.search(db, form.region_q.data or "") if form.region_q.data else []
    layers, origins = base_map()
    page = render_template(
        "org/offer_form.html",
        base_map=layers,
        form=form,
        groups=_choices(form),
        org=org,
        general=general,
        units={i.code: i.unit for i in taxonomy.items()},
        tree=region_picker.tree(db),
        chosen=set(chosen),
        open_districts={c[: region_picker.DISTRICT] for c in chosen},
        chosen_paths=region_picker.chosen(db, chosen),
        found=found,
        searched=form.region_q.data or "",
        bounds=CITY_BOUNDS,
        places=json.dumps(region_picker.places(db), ensure_ascii=False, separators=(",", ":")),
        boundaries_url=url_for("org.map_boundaries") if boundaries.has_boundaries(db) else "",
    )
    response = Response(page, mimetype="text/html")
    if origins:  # the tile servers may send the map's images
        response.headers["Content-Security-Policy"] = csp_with_images_from(origins)
    return response


@bp.route("/offers/new", methods=["GET", "POST"])
@role_required(Role.ORG)
def offer_new() -> ResponseReturnValue:
    db = get_session()
    org = offers.org_of(db, me())
    form = OfferForm()
    _choices(form)
    if not form.is_submitted():
        form.start.data = beijing_today()
    if request.form.get("action") == "find_region":
        # Without JavaScript the region search is a round trip: the form comes back as it was,
        # with the regions whose names match as more boxes to tick.
        form.validate()
        for f in form:
            f.errors = []
        return _offer_page(form, org, [])
    general: list[str] = []
    if form.validate_on_submit():

        def num(value: object) -> float | None:
            return float(value) if value is not None else None  # type: ignore[arg-type]

        try:
            data = parse(
                OfferIn,
                {
                    "title": form.title.data,
                    "description": form.description.data or "",
                    "items": form.items.data or [],
                    "regions": form.regions.data or [],
                    "lat": num(form.lat.data),
                    "lon": num(form.lon.data),
                    "radius_km": num(form.radius_km.data),
                    "capacity": form.capacity.data,
                    "unit": form.unit.data or None,
                    "start": form.start.data,
                    "end": form.end.data,
                    "hardship": form.hardship.data or [],
                    "project_id": int(form.project_id.data) if form.project_id.data else None,
                },
            )
            offer = offers.create_offer(db, actor=me(), data=data)
        except ServiceError as exc:
            if not exc.errors:
                raise
            general = attach_errors(
                form, exc.errors, aliases={"lat": "radius_km", "lon": "radius_km"}
            )
            return _offer_page(form, org, general), exc.status
        if offers.is_live(db, offer):
            flash(_("Offer published."), "success")
        else:
            flash(_("Offer saved. It goes live after vetting and within its dates."), "success")
        return redirect(url_for("org.index"))
    status = 422 if form.is_submitted() else 200
    return _offer_page(form, org, general), status


@bp.get("/regions.json")
@role_required(Role.ORG)
def regions_json() -> ResponseReturnValue:
    """The district → street → community tree of the offer form (~3,500 names, ~100 kB before
    compression). Reference data: the browser keeps it a day and revalidates by ETag."""
    body = json.dumps(
        region_picker.tree_data(get_session()), ensure_ascii=False, separators=(",", ":")
    )
    response = Response(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response.make_conditional(request)


@bp.get("/map/boundaries.json")
@role_required(Role.ORG)
def map_boundaries() -> ResponseReturnValue:
    """District and street outlines for the offer form's map (the whole city; GeoJSON, WGS-84)."""
    session = get_session()
    response = Response(mimetype="application/geo+json")
    response.set_etag(boundaries.version(session, None))
    if request.if_none_match.contains(response.get_etag()[0] or ""):
        response.status_code = 304
    else:
        response.set_data(boundaries.feature_collection(session, None))
    response.headers["Cache-Control"] = "private, max-age=600"
    return response


@bp.post("/offers/<int:offer_id>/close")
@role_required(Role.ORG)
def offer_close(offer_id: int) -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("org.index"))
    offer = offers.close_offer(get_session(), actor=me(), offer_id=offer_id)
    flash(_("Offer closed: %(title)s", title=offer.title), "success")
    return redirect(url_for("org.index"))


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@role_required(Role.ORG)
def offer_edit(offer_id: int) -> ResponseReturnValue:
    """Edit an offer's wording, capacity (never below what is taken) and dates."""
    db = get_session()
    offer = get_offer_for_org(db, offer_id, me())
    form = OfferEditForm(obj=offer)
    general: list[str] = []
    if form.validate_on_submit():
        changes = {
            "title": form.title.data,
            "description": form.description.data or "",
            "capacity": form.capacity.data,
            "start": form.start.data,
            "end": form.end.data,
        }
        try:
            casefile.edit_offer(db, actor=me(), offer_id=offer_id, changes=changes)
        except ServiceError as exc:
            if not exc.errors:
                raise
            general = attach_errors(form, exc.errors)
            page = render_template("org/offer_edit.html", form=form, offer=offer, general=general)
            return page, exc.status
        flash(_("Offer saved."), "success")
        return redirect(url_for("org.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("org/offer_edit.html", form=form, offer=offer, general=general), status


@bp.get("/assignments")
@role_required(Role.ORG)
def assignments() -> ResponseReturnValue:
    db = get_session()
    rows = claims.assignments_of_org(db, actor=me())
    infos = claims.delivery_infos(db, [c for c, _o, _w in rows])
    return render_template("org/assignments.html", rows=rows, infos=infos)


@bp.post("/assignments/<int:claim_id>/household")
@role_required(Role.ORG)
def household_contact(claim_id: int) -> ResponseReturnValue:
    """The household's address and phone for a home delivery or service (audited reveal)."""
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("org.assignments"))
    return household_contact_page(claim_id, back=url_for("org.assignments"))


@bp.route("/assignments/<int:claim_id>/deliver", methods=["GET", "POST"])
@role_required(Role.ORG)
@delivery_limit
def deliver(claim_id: int) -> ResponseReturnValue:
    return delivery_page(claim_id, done=url_for("org.assignments"))
