"""Pages shared by the hub and admin blueprints: the dashboard (看板) and the map (地图).

Each blueprint adds thin routes that call these with its own endpoint names; the scope (city or
the hub's subtree) comes from the services, from the logged-in account.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from flask import Response, current_app, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, format_percent, gettext
from flask_login import current_user

from marketplace.db import get_session
from marketplace.main import NEED_STATUS_LABELS
from marketplace.models import User
from marketplace.services import dashboard, exports, listings, mapdata
from marketplace.web import CSP


def me() -> User:
    user: User = current_user._get_current_object()
    return user


def _pct(value: float | None) -> str:
    return format_percent(value, "#,##0.0%") if value is not None else "—"


def _num(value: float | None) -> str:
    return format_decimal(value, "#,##0.#") if value is not None else "—"


def _counts_max_age() -> float:
    """How old the snapshot of needs by status may be when a page reads it (services/tally.py)."""
    return float(current_app.config["DASHBOARD_COUNTS_MAX_AGE_S"])


def _dashboard() -> dashboard.Dashboard:
    return dashboard.build(get_session(), actor=me(), counts_max_age_s=_counts_max_age())


def dashboard_page(prefix: str) -> ResponseReturnValue:
    d = _dashboard()
    return render_template(
        "staff/dashboard.html",
        d=d,
        pct=_pct,
        num=_num,
        data_url=url_for(f"{prefix}.dashboard_json"),
        xlsx_url=url_for(f"{prefix}.dashboard_xlsx"),
    )


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
        "level1": gettext("Level 1 (3 days)"),
        "level23": gettext("Levels 2–3 (7 days)"),
        "total_offers": gettext("All offers"),
    }
    return jsonify(body)


def dashboard_xlsx() -> ResponseReturnValue:
    d = _dashboard()
    return xlsx_response(exports.dashboard(d, t=gettext), "dashboard")


def xlsx_response(body: bytes, stem: str) -> Response:
    response = Response(body, mimetype=exports.XLSX_MIME)
    response.headers["Content-Disposition"] = f'attachment; filename="{exports.filename(stem)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _tile_origin() -> str | None:
    url = str(current_app.config.get("MAP_TILE_URL") or "")
    parsed = urlparse(url.replace("{", "").replace("}", ""))
    if parsed.scheme in ("http", "https") and parsed.netloc:
        return f"{parsed.scheme}://{parsed.netloc}"
    return None


def map_page(prefix: str) -> ResponseReturnValue:
    has_boundaries = bool(current_app.config.get("MAP_BOUNDARIES_FILE"))
    page = render_template(
        "staff/map.html",
        data_url=url_for(f"{prefix}.map_json"),
        boundaries_url=url_for(f"{prefix}.map_boundaries") if has_boundaries else "",
        tile_url=current_app.config.get("MAP_TILE_URL") or "",
    )
    response = Response(page, mimetype="text/html")
    origin = _tile_origin()
    if origin:
        # A configured tile server is the only outside host a page may load images from.
        response.headers["Content-Security-Policy"] = CSP.replace(
            "img-src 'self'", f"img-src 'self' {origin}"
        )
    return response


def map_json() -> ResponseReturnValue:
    return jsonify(
        mapdata.map_data(get_session(), actor=me(), counts_max_age_s=_counts_max_age())
    )


def map_boundaries() -> ResponseReturnValue:
    """District boundaries (GeoJSON) from the configured file, if any."""
    path = current_app.config.get("MAP_BOUNDARIES_FILE")
    if not path or not Path(path).is_file():
        return jsonify({"type": "FeatureCollection", "features": []})
    try:
        data: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {"type": "FeatureCollection", "features": []}
    response = jsonify(data)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def list_args() -> dict[str, str]:
    """A staff list's query arguments except the page (for sort links and the export link)."""
    return {k: v for k, v in request.args.items() if k != "page" and v}


def _offer_args() -> tuple[str, str, listings.Sort]:
    status = request.args.get("status", "")
    return (
        request.args.get("q", "")[:64],
        status if status in ("live", "closed") else "",
        listings.parse_sort(request.args.get("sort"), listings.OFFER_SORTS, "-id"),
    )


def offers_page(prefix: str, per_page: int) -> ResponseReturnValue:
    """The offers list (hub staff: offers reaching their area; admin: all), sortable, filterable."""
    db = get_session()
    q, status, sort = _offer_args()
    page = listings.paginate(
        db,
        listings.offers_query(db, actor=me(), q=q, status=status, sort=sort),
        request.args.get("page", 1, type=int),
        per_page,
    )
    return render_template(
        "staff/offers.html",
        page=page,
        q=q,
        status=status,
        sort=sort,
        args=list_args(),
        list_endpoint=f"{prefix}.offers_list",
        xlsx_endpoint=f"{prefix}.offers_xlsx",
    )


def offers_xlsx() -> ResponseReturnValue:
    q, status, sort = _offer_args()
    body = exports.offers(get_session(), actor=me(), q=q, status=status, sort=sort, t=gettext)
    return xlsx_response(body, "offers")
