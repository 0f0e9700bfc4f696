"""JSON API v1: 帮扶建议 — the live offers that could serve a household's need of one item now
(``services/suggestions.py``), for hub staff of the household's subtree."""

from __future__ import annotations

from flask import current_app, request
from flask.typing import ResponseReturnValue

from marketplace.api.blueprint import api_auth, bp, me
from marketplace.db import get_session
from marketplace.models import Role
from marketplace.services import suggestions
from marketplace.services.errors import ValidationFailed

__all__ = ["bp"]


@bp.get("/offers/suggest")
@api_auth(Role.HUB_STAFF)
def suggest_offers() -> ResponseReturnValue:
    """Eligible live offers nearest first, with distance; the item's others with the reason."""
    raw_id = request.args.get("household_id", "")
    item = request.args.get("item", "")
    errors: dict[str, str] = {}
    if not raw_id.isdigit() or not 0 < int(raw_id) < 2**31:
        errors["household_id"] = "field.required" if not raw_id else "field.invalid"
    if not item:
        errors["item"] = "field.required"
    if errors:
        raise ValidationFailed(errors)
    rows = suggestions.offers_for(
        get_session(),
        actor=me(),
        household_id=int(raw_id),
        item=item,
        policy=suggestions.Policy.of(current_app.config),
    )
    return {
        "household_id": int(raw_id),
        "item": item,
        "items": [
            {
                "offer_id": r.offer_id,
                "title": r.title,
                "organisation": r.org_name,
                "remaining": r.remaining,
                "distance_km": r.distance_km,
            }
            for r in rows
            if r.eligible
        ],
        "not_eligible": [
            {
                "offer_id": r.offer_id,
                "title": r.title,
                "distance_km": r.distance_km,
                "reason": r.reason,
            }
            for r in rows
            if not r.eligible
        ],
    }
