"""Blueprint ``staff``: the pages hub staff and the administrator share — the dashboard (看板),
the map (地图) and the offers list. One set of views; the scope (the hub's subtree, or the city
for the administrator) comes from the services, from the acting user."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Response, current_app, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, format_percent, gettext

from marketplace.db import get_session
from marketplace.models import Role
from marketplace.services import (
    boundaries,
    dashboard,
    exports,
    listings,
    mapdata,
    priority_stats,
)
from marketplace.staff import campaigns  # noqa: F401  (their routes)
from marketplace.staff.blueprint import bp
from marketplace.staff.care import care_section
from marketplace.web.access import role_required
from marketplace.web.basemap import base_map
from marketplace.web.helpers import list_args, me, requested_page, xlsx_response
from marketplace.web.labels import NEED_STATUS_LABELS, export_words, label
from marketplace.web.security import csp_with_images_from

PAGE = 25  # rows per page of the staff tables
STAFF = (Role.HUB_STAFF, Role.ADMIN)


def _pct(value: float | None) -> str:
    return format_percent(value, "#,##0.0%") if value is not None else "—"


def _num(value: float | None) -> str:
    return format_decimal(value, "#,##0.#") if value is not None else "—"


def counts_max_age() -> float:
    """How old the snapshot of needs by status may be when a page reads it (services/tally.py)."""
    return float(current_app.config["DASHBOARD_COUNTS_MAX_AGE_S"])


def sla_band_label(row: dashboard.SlaRow) -> str:
    """ "Level 1 (3 days)": the band and its deadline, both from the one home of the rule."""
    if row.level == "1":
        return gettext("Level 1 (%(days)s days)", days=row.days)
    return gettext("Levels 2–3 (%(days)s days)", days=row.days)


def _dashboard() -> dashboard.Dashboard:
    return dashboard.build(get_session(), actor=me(), counts_max_age_s=counts_max_age())


@bp.get("/dashboard")
@role_required(*STAFF)
def dashboard_page() -> ResponseReturnValue:
    return render_template(
        "staff/dashboard.html",
        d=_dashboard(),
        prio_rows=priority_stats.dashboard_rows(get_session(), actor=me()),
        prio_round=False,
        sla_band_label=sla_band_label,
        label=label,
        pct=_pct,
        num=_num,
        data_url=url_for("staff.dashboard_json"),
        xlsx_url=url_for("staff.dashboard_xlsx"),
        **care_section(),  # 关爱指标 (staff/care.py)
    )


@bp.get("/dashboard.json")
@role_required(*STAFF)
def dashboard_json() -> ResponseReturnValue:
    d = _dashboard()
    body = d.as_dict()
    body["labels"] = {
        "statuses": {s: str(NEED_STATUS_LABELS.get(s, s)) for s in d.statuses},
        "needs": gettext("Needs"),
        "used": gettext("Used"),
        "remaining": gettext("Remaining"),
        "in_time": gettext("Confirmed in time"),
        "late": gettext("Confirmed late"),
        "overdue": gettext("Waiting past deadline"),
        "level1": sla_band_label(d.sla[0]),
        "level23": sla_band_label(d.sla[1]),
        "total_offers": gettext("All offers"),
    }
    return jsonify(body)


@bp.get("/dashboard.xlsx")
@role_required(*STAFF)
def dashboard_xlsx() -> ResponseReturnValue:
    return xlsx_response(exports.dashboard(_dashboard(), words=export_words()), "dashboard")


@bp.get("/map")
@role_required(*STAFF)
def map_page() -> ResponseReturnValue:
    session = get_session()
    has_outlines = boundaries.has_boundaries(session) or bool(
        current_app.config.get("MAP_BOUNDARIES_FILE")
    )
    layers, origins = base_map()
    page = render_template(
        "staff/map.html",
        data_url=url_for("staff.map_json"),
        boundaries_url=url_for("staff.map_boundaries") if has_outlines else "",
        base_map=layers,
    )
    response = Response(page, mimetype="text/html")
    if origins:
        # The tile servers are the only outside hosts a page may load anything from: images.
        response.headers["Content-Security-Policy"] = csp_with_images_from(origins)
    return response


@bp.get("/map.json")
@role_required(*STAFF)
def map_json() -> ResponseReturnValue:
    return jsonify(mapdata.map_data(get_session(), actor=me(), counts_max_age_s=counts_max_age()))


@bp.get("/map/boundaries.json")
@role_required(*STAFF)
def map_boundaries() -> ResponseReturnValue:
    """District and street outlines (GeoJSON, WGS-84) imported with ``zhongfu regions
    import-boundaries``; else the configured MAP_BOUNDARIES_FILE, if any. Private: cached by the
    browser only, and revalidated by ETag after a while."""
    session = get_session()
    if boundaries.has_boundaries(session):
        scope = mapdata.map_scope(session, me())
        response = Response(mimetype="application/geo+json")
        response.set_etag(boundaries.version(session, scope))
        if request.if_none_match.contains(response.get_etag()[0] or ""):
            response.status_code = 304
        else:
            response.set_data(boundaries.feature_collection(session, scope))
    else:
        response = jsonify(_boundaries_file())
    response.headers["Cache-Control"] = "private, max-age=600"
    return response


def _boundaries_file() -> Any:
    path = current_app.config.get("MAP_BOUNDARIES_FILE")
    empty = {"type": "FeatureCollection", "features": []}
    if not path or not Path(path).is_file():
        return empty
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return empty


def _offer_args() -> tuple[str, str, listings.Sort]:
    status = request.args.get("status", "")
    return (
        request.args.get("q", "")[:64],
        status if status in ("live", "not_live", "closed") else "",
        listings.parse_sort(request.args.get("sort"), listings.OFFER_SORTS, "-id"),
    )


@bp.get("/offers")
@role_required(*STAFF)
def offers_list() -> ResponseReturnValue:
    """The offers list (hub staff: offers reaching their area; admin: all), sortable, filterable."""
    db = get_session()
    q, status, sort = _offer_args()
    page = requested_page(
        listings.offers_query(db, actor=me(), q=q, status=status, sort=sort), PAGE
    )
    return render_template(
        "staff/offers.html",
        page=page,
        q=q,
        status=status,
        sort=sort,
        args=list_args(),
        list_endpoint="staff.offers_list",
        xlsx_endpoint="staff.offers_xlsx",
    )


@bp.get("/offers.xlsx")
@role_required(*STAFF)
def offers_xlsx() -> ResponseReturnValue:
    q, status, sort = _offer_args()
    body = exports.offers(
        get_session(), actor=me(), q=q, status=status, sort=sort, words=export_words()
    )
    return xlsx_response(body, "offers")
