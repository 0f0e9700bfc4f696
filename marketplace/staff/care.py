"""关爱指标 on the dashboard: visit rate, 幸福清单 delivery rate, pairing coverage and satisfaction,
district → street → community (``?care_region=``), and their Excel export (services/indicators.py)."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from marketplace.db import get_session
from marketplace.models import Role
from marketplace.services import exports, indicators
from marketplace.staff.blueprint import bp
from marketplace.web.access import role_required
from marketplace.web.helpers import me, xlsx_response


def care_section() -> dict[str, object]:
    """The dashboard's 关爱指标 section (``staff/_care_indicators.html``)."""
    region = request.args.get("care_region", "")[:12]
    return {"care": indicators.drilldown(get_session(), actor=me(), region=region)}


def _ratio(value: float | None) -> float | str:
    return round(value, 4) if value is not None else ""


@bp.get("/dashboard/care.xlsx")
@role_required(Role.HUB_STAFF, Role.ADMIN)
def care_xlsx() -> ResponseReturnValue:
    rows = indicators.export_rows(get_session(), actor=me())
    headers = [
        _("Region code"),
        _("Region"),
        _("Households"),
        _("Visits due"),
        _("Visited on time"),
        _("Visit rate"),
        _("Paired households"),
        _("Pairing coverage"),
        _("List items"),
        _("Delivered"),
        _("Delivery rate"),
        _("Ratings"),
        _("Average rating"),
    ]
    body = exports.workbook(
        [
            (
                _("Care indicators"),
                headers,
                (
                    [
                        r.code,
                        r.name or _("Hangzhou"),
                        r.households,
                        r.visits_due,
                        r.visits_on_time,
                        _ratio(r.visit_rate),
                        r.paired,
                        _ratio(r.pairing_coverage),
                        r.list_items,
                        r.list_delivered,
                        _ratio(r.delivery_rate),
                        r.ratings,
                        _ratio(r.satisfaction),
                    ]
                    for r in rows
                ),
            )
        ]
    )
    return xlsx_response(body, "care-indicators")
