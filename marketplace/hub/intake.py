"""Hub intake (登记): the hub home, households, their needs and the 幸福码 card."""

from __future__ import annotations

import functools

import segno
from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from marketplace.db import get_session
from marketplace.hub.blueprint import PAGE, bp
from marketplace.hub.care import care_panel
from marketplace.hub.casefile import case_file
from marketplace.hub.forms import HouseholdForm, HubContactForm, NeedForm, ReasonForm
from marketplace.hub.profile_forms import attach_profile_errors, by_dimension
from marketplace.hub.review import fairness_flags
from marketplace.models import NeedStatus, Role
from marketplace.schemas import HouseholdIn, HubContactIn, NeedIn
from marketplace.services import (
    campaigns,
    contacts,
    exports,
    happiness,
    households,
    hubs,
    listings,
    monitoring,
    regions,
    resilience,
    risk,
    suggestions,
)
from marketplace.services.access import get_household_for_staff
from marketplace.services.errors import ServiceError, parse
from marketplace.web.access import role_required
from marketplace.web.helpers import (
    EmptyForm,
    attach_errors,
    list_args,
    me,
    requested_page,
    xlsx_response,
)
from marketplace.web.labels import export_words
from marketplace.web.messages import render


@bp.get("/")
@role_required(Role.HUB_STAFF)
def index() -> ResponseReturnValue:
    return render_template(
        "hub/index.html", home=hubs.home(get_session(), actor=me()), statuses=list(NeedStatus)
    )


@bp.get("/households")
@role_required(Role.HUB_STAFF)
def households_list() -> ResponseReturnValue:
    db = get_session()
    f, sort = _household_filter()
    page = requested_page(listings.households_query(db, actor=me(), f=f, sort=sort), PAGE)
    rows = [h for (h,) in page.rows]
    return render_template(
        "hub/households.html",
        names=regions.region_names(db),
        rows=rows,
        page=page,
        f=f,
        sort=sort,
        args=list_args(),
        streets=[s for s, _c in hubs.communities(db, actor=me())],
    )


def _household_filter() -> tuple[listings.HouseholdFilter, listings.Sort]:
    level = request.args.get("level", type=int)
    f = listings.HouseholdFilter(
        q=request.args.get("q", "")[:64],
        hardship=request.args.get("hardship", "")[:16],
        level=level if level in risk.LEVELS else None,
        area=request.args.get("area", "")[:12],
    )
    return f, listings.parse_sort(request.args.get("sort"), listings.HOUSEHOLD_SORTS, "-id")


@bp.get("/households.xlsx")
@role_required(Role.HUB_STAFF)
def households_xlsx() -> ResponseReturnValue:
    f, sort = _household_filter()
    body = exports.households(get_session(), actor=me(), f=f, sort=sort, words=export_words())
    return xlsx_response(body, "households")


def _community_choices(form: HouseholdForm) -> None:
    groups = hubs.communities(get_session(), actor=me())
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
            general = attach_errors(form, attach_profile_errors(form, exc.errors, render))
            return render_template(
                "hub/household_form.html", form=form, general=general, groups=by_dimension(form)
            ), exc.status
        flash(_("Household registered."), "success")
        return redirect(url_for("hub.household_detail", household_id=household.id))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "hub/household_form.html", form=form, general=general, groups=by_dimension(form)
    ), status


@bp.get("/households/<int:household_id>")
@role_required(Role.HUB_STAFF)
def household_detail(household_id: int) -> ResponseReturnValue:
    record = households.household_record(get_session(), actor=me(), household_id=household_id)
    happiness_url = _happiness_url(record.household.token)
    return render_template(
        "hub/household_detail.html",
        record=record,
        h=record.household,
        happiness_url=happiness_url,
        qr_svg=_qr(happiness_url, error="m", scale=4),
        form=EmptyForm(),
        reason_form=ReasonForm(),
        monitoring=resilience.score_record(get_session(), record.household),
        suggestions=household_suggestions(household_id),
        events=monitoring.household_events(get_session(), household_id),
        item_names=regions.item_names(get_session()),
        cf=case_file(record.household),  # 一户一档: lifecycle, attachments, history
        **fairness_flags(get_session(), list(record.needs)),
        **care_panel(household_id),  # 探访关爱 and 结对帮扶 (hub/care.py)
    )


def household_suggestions(household_id: int) -> suggestions.Suggestions:
    """帮扶建议 for a household of the viewer's subtree (the warning page uses the same)."""
    return suggestions.for_household(
        get_session(),
        actor=me(),
        household_id=household_id,
        policy=suggestions.Policy.of(current_app.config),
    )


def _item_choices(form: NeedForm) -> None:
    groups = regions.taxonomy_groups(get_session())
    form.item.choices = [
        SelectChoice(
            i.code, f"{i.code} {i.name_zh}", optgroup=f"{first.category_code} {first.category_zh}"
        )
        for first, items in groups
        for i in items
    ]


def _campaign_choice(raw: str | None) -> int | None:
    """The chosen campaign's id; something else than an id fails the field's check (0 < 1)."""
    if not raw:
        return None
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


@bp.route("/households/<int:household_id>/needs/new", methods=["GET", "POST"])
@role_required(Role.HUB_STAFF)
def need_new(household_id: int) -> ResponseReturnValue:
    db = get_session()
    household = get_household_for_staff(db, household_id, me())
    form = NeedForm()
    _item_choices(form)
    form.campaign_id.choices = [("", "—")] + [
        (str(c.id), c.name) for c in campaigns.for_need(db, community_code=household.community_code)
    ]
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
                    "delivery_mode": form.delivery_mode.data,
                    "delivery_instructions": form.delivery_instructions.data or "",
                    "campaign_id": _campaign_choice(form.campaign_id.data),
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


# 本助联体联系方式 — the hub's own contact, edited by its staff ------------------------------------------


@bp.route("/contact", methods=["GET", "POST"])
@role_required(Role.HUB_STAFF)
def contact() -> ResponseReturnValue:
    db = get_session()
    hub = contacts.own_hub(db, actor=me())
    form = HubContactForm(obj=hub)
    general: list[str] = []
    if form.validate_on_submit():
        try:
            data = parse(
                HubContactIn,
                {name: getattr(form, name).data or "" for name in contacts.CONTACT_FIELDS},
            )
            contacts.update_contact(db, actor=me(), data=data)
        except ServiceError as exc:
            if not exc.errors:
                raise
            general = attach_errors(form, exc.errors)
            page = render_template("hub/contact.html", form=form, hub=hub, general=general)
            return page, exc.status
        flash(_("Contact saved. Helpers now see it with their claims and assignments."), "success")
        return redirect(url_for("hub.contact"))
    status = 422 if form.is_submitted() else 200
    return render_template("hub/contact.html", form=form, hub=hub, general=general), status


# 幸福码 card for the household's wall --------------------------------------------------------------


@bp.get("/households/<int:household_id>/card")
@role_required(Role.HUB_STAFF)
def household_card(household_id: int) -> ResponseReturnValue:
    card = hubs.wall_card(get_session(), actor=me(), household_id=household_id)
    url = _happiness_url(card.token)
    return render_template(
        "hub/card.html",
        card=card,
        url=url,
        qr_svg=_qr(url, error="q", scale=10),
    )


@bp.post("/households/<int:household_id>/code")
@role_required(Role.HUB_STAFF)
def reissue_code(household_id: int) -> ResponseReturnValue:
    """A new 幸福码 for a household whose card was lost or shared: the old link stops working."""
    if EmptyForm().validate_on_submit():
        happiness.reissue_token(get_session(), actor=me(), household_id=household_id)
        flash(_("A new happiness code was issued; the old link no longer works."), "success")
    return redirect(url_for("hub.household_detail", household_id=household_id))


def _happiness_url(token: str) -> str:
    return url_for("household.happiness_page", token=token, _external=True)


def _qr(url: str, *, error: str, scale: int) -> Markup:
    """The 幸福码 as inline SVG (segno escapes the title)."""
    return Markup(_qr_svg(url, error, scale, _("Happiness code (幸福码)")))


@functools.lru_cache(maxsize=512)
def _qr_svg(url: str, error: str, scale: int, title: str) -> str:
    """A household's code is the same on every view of its case file: drawn once (12 ms)."""
    return str(segno.make(url, error=error).svg_inline(scale=scale, border=2, title=title))
