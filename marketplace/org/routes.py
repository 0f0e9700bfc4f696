"""Blueprint ``org``: an organisation's offers (帮扶项目) and its assignments."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from marketplace.db import get_session
from marketplace.models import OrgStatus, Role
from marketplace.org.forms import OfferForm
from marketplace.schemas import OfferIn
from marketplace.services import claims, offers, regions
from marketplace.services.clock import beijing_today
from marketplace.services.errors import ServiceError, parse
from marketplace.services.regions import ItemRef
from marketplace.uploads import delivery_limit
from marketplace.web.access import role_required
from marketplace.web.delivery import delivery_page
from marketplace.web.helpers import EmptyForm, attach_errors, me

bp = Blueprint("org", __name__, url_prefix="/org")


@bp.get("/")
@role_required(Role.ORG)
def index() -> ResponseReturnValue:
    db = get_session()
    mine = offers.org_offers(db, me())
    return render_template(
        "org/index.html",
        org=mine.org,
        rows=mine.offers,
        item_names=regions.item_names(db),
        pending=mine.org.status == OrgStatus.PENDING.value,
        form=EmptyForm(),
    )


def _choices(form: OfferForm) -> list[tuple[ItemRef, list[ItemRef]]]:
    db = get_session()
    groups = regions.taxonomy_groups(db)
    form.items.choices = [
        SelectChoice(i.code, f"{i.code} {i.name_zh}") for _first, items in groups for i in items
    ]
    form.districts.choices = [SelectChoice(r.code, r.name) for r in regions.districts(db)]
    return groups


@bp.route("/offers/new", methods=["GET", "POST"])
@role_required(Role.ORG)
def offer_new() -> ResponseReturnValue:
    db = get_session()
    org = offers.org_of(db, me())
    form = OfferForm()
    groups = _choices(form)
    if not form.is_submitted():
        form.start.data = beijing_today()
    general: list[str] = []
    if form.validate_on_submit():
        extra = [c for c in re.split(r"[\s,，;；]+", form.regions_text.data or "") if c]

        def num(value: object) -> float | None:
            return float(value) if value is not None else None  # type: ignore[arg-type]

        try:
            data = parse(
                OfferIn,
                {
                    "title": form.title.data,
                    "description": form.description.data or "",
                    "items": form.items.data or [],
                    "regions": [*(form.districts.data or []), *extra],
                    "lat": num(form.lat.data),
                    "lon": num(form.lon.data),
                    "radius_km": num(form.radius_km.data),
                    "capacity": form.capacity.data,
                    "start": form.start.data,
                    "end": form.end.data,
                    "hardship": form.hardship.data or [],
                },
            )
            offer = offers.create_offer(db, actor=me(), data=data)
        except ServiceError as exc:
            if not exc.errors:
                raise
            general = attach_errors(form, exc.errors, aliases={"regions": "regions_text"})
            page = render_template(
                "org/offer_form.html", form=form, groups=groups, org=org, general=general
            )
            return page, exc.status
        if offers.is_live(db, offer):
            flash(_("Offer published."), "success")
        else:
            flash(_("Offer saved. It goes live after vetting and within its dates."), "success")
        return redirect(url_for("org.index"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "org/offer_form.html", form=form, groups=groups, org=org, general=general
    ), status


@bp.post("/offers/<int:offer_id>/close")
@role_required(Role.ORG)
def offer_close(offer_id: int) -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("org.index"))
    offer = offers.close_offer(get_session(), actor=me(), offer_id=offer_id)
    flash(_("Offer closed: %(title)s", title=offer.title), "success")
    return redirect(url_for("org.index"))


@bp.get("/assignments")
@role_required(Role.ORG)
def assignments() -> ResponseReturnValue:
    rows = claims.assignments_of_org(get_session(), actor=me())
    return render_template("org/assignments.html", rows=rows)


@bp.route("/assignments/<int:claim_id>/deliver", methods=["GET", "POST"])
@role_required(Role.ORG)
@delivery_limit
def deliver(claim_id: int) -> ResponseReturnValue:
    return delivery_page(claim_id, done=url_for("org.assignments"))
