"""OpenAPI path of 帮扶建议's offers (issue 13 item 5): GET /offers/suggest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_OFFER = {
    "type": "object",
    "properties": {
        "offer_id": {"type": "integer"},
        "title": {"type": "string"},
        "organisation": {"type": "string"},
        "remaining": {"type": "integer"},
        "distance_km": {"type": ["number", "null"]},
    },
}
_NOT_ELIGIBLE = {
    "type": "object",
    "properties": {
        "offer_id": {"type": "integer"},
        "title": {"type": "string"},
        "distance_km": {"type": ["number", "null"]},
        "reason": {
            "type": "string",
            "enum": [
                "no_offer_for_item",
                "out_of_area",
                "not_eligible",
                "recently_helped",
                "previously_rejected",
                "capacity_exhausted",
            ],
        },
    },
}


def suggest_paths(
    op: Callable[..., dict[str, Any]], query: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    params = [
        {**query("household_id", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "A household of your area"), "required": True},
        {**query("item", {"type": "string", "pattern": "^[0-9]{2}-[0-9]{2}$"}, "Taxonomy item code"), "required": True},
    ]  # fmt: skip
    return {
        "/offers/suggest": {
            "get": op(
                "帮扶建议: the live offers that could serve this household's need of the item now "
                "(the matching solver's eligibility: item, area, radius or ZHONGFU_MATCH_MAX_KM, "
                "hardship, dates; no repeat help; capacity left), nearest first with distance, "
                "and the item's other offers with the reason they do not qualify (hub staff, "
                "your subtree; 404 outside it, 422 naming the parameter)",
                tag="offers",
                params=params,
                ok_schema={
                    "type": "object",
                    "required": ["household_id", "item", "items", "not_eligible"],
                    "properties": {
                        "household_id": {"type": "integer"},
                        "item": {"type": "string"},
                        "items": {"type": "array", "items": _OFFER},
                        "not_eligible": {"type": "array", "items": _NOT_ELIGIBLE},
                    },
                },
            )
        }
    }
