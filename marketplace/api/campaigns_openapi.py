"""OpenAPI paths of campaigns (专项活动: 春风行动, 节日慰问; issue 16 items 6 and 8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marketplace.services.campaigns import MAX_NAME, MAX_REGIONS, MAX_TAG, MAX_THEME
from matching import taxonomy

DATE = {"type": "string", "format": "date"}
CAMPAIGN = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "theme": {"type": "string"},
        "start": DATE,
        "end": DATE,
        "items": {"type": "array", "items": {"type": "string"}},
        "regions": {"type": "array", "items": {"type": "string"}},
        "scope": {
            "type": ["string", "null"],
            "description": "The creating district hub's region; null: the city (administrator)",
        },
        "status": {"type": "string", "enum": ["active", "closed"]},
        "running": {
            "type": "boolean",
            "description": "Active and within its period: wishes may join it now",
        },
        "created_at": {"type": "string", "format": "date-time"},
    },
    "required": ["id", "name", "start", "end", "items", "regions", "status"],
}
PROGRESS = {
    "type": "object",
    "description": "Wishes of the campaign that reached each stage",
    "properties": {
        k: {"type": "integer", "minimum": 0}
        for k in ("wishes", "published", "claimed", "delivered", "confirmed")
    },
}
BOARD_ROW = {
    "type": "object",
    "properties": {
        "rank": {"type": "integer"},
        "id": {"type": "integer", "description": "The branch (党支部)"},
        "name": {"type": "string"},
        "records": {"type": "integer"},
        "hours": {"type": "number"},
        "points": {"type": "integer"},
    },
}


def campaign_paths(
    op: Callable[..., dict[str, Any]],
    path_id: Callable[[str], dict[str, Any]],
    query: Callable[..., dict[str, Any]],
    text_pattern: Callable[[int], str],
) -> dict[str, Any]:
    codes = {"type": "array", "minItems": 1, "uniqueItems": True}
    campaign_in = {
        "type": "object",
        "required": ["name", "start", "end", "items", "regions"],
        "properties": {
            "name": {"type": "string", "maxLength": MAX_NAME, "pattern": text_pattern(1)},
            "theme": {"type": "string", "maxLength": MAX_THEME, "pattern": text_pattern(0)},
            "start": DATE,
            "end": {
                **DATE,
                "description": "On or after start and today (Beijing); at most 366 days after start",
            },
            "items": {
                **codes,
                "items": {"type": "string", "enum": sorted(i.code for i in taxonomy.items())},
                "description": "Theme items (taxonomy codes)",
            },
            "regions": {
                **codes,
                "maxItems": MAX_REGIONS,
                "items": {"$ref": "#/components/schemas/RegionCode"},
                "description": "Target communities, streets or districts; a district hub's "
                "inside its district",
            },
        },
    }
    detail = {
        **CAMPAIGN,
        "properties": {
            **CAMPAIGN["properties"],  # type: ignore[dict-item]
            "progress": PROGRESS,
            "leaderboard": {
                "type": "array",
                "items": BOARD_ROW,
                "description": "Party branches by points of confirmed records on its wishes",
            },
        },
    }
    listing = {"type": "object", "properties": {"items": {"type": "array", "items": CAMPAIGN}}}
    tag_in = {
        "type": "object",
        "required": ["need_ids"],
        "properties": {
            "need_ids": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_TAG,
                "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            }
        },
    }
    body = {"required": True, "content": {"application/json": {"schema": campaign_in}}}
    return {
        "/campaigns": {
            "get": op(
                "Campaigns (专项活动: 春风行动, 节日慰问), newest first; hub staff see those "
                "reaching their area. Any account but a department's",
                tag="campaigns",
                params=[
                    query(
                        "running",
                        {"type": "string", "enum": ["0", "1", "true", "false"]},
                        "1: only campaigns wishes may join now",
                    )
                ],
                ok_schema=listing,
            ),
            "post": op(
                "Create a campaign: the administrator (city) or a district hub's staff (their "
                "district)",
                201,
                body=body,
                tag="campaigns",
                ok_schema=CAMPAIGN,
            ),
        },
        "/campaigns/{campaign_id}/wishes": {
            "post": op(
                "Add open wishes of your area to a running campaign (hub staff): each must be "
                "open, of a theme item, in a targeted community and in no campaign yet; all of "
                "them or none (422 names the others)",
                body={"required": True, "content": {"application/json": {"schema": tag_in}}},
                tag="campaigns",
                params=[path_id("campaign_id")],
                ok_schema={
                    "type": "object",
                    "properties": {"added": {"type": "integer"}, "progress": PROGRESS},
                },
            )
        },
        "/campaigns/{campaign_id}": {
            "get": op(
                "A campaign with its progress (wishes published, claimed, delivered, confirmed) "
                "and its branch leaderboard",
                tag="campaigns",
                params=[path_id("campaign_id")],
                ok_schema=detail,
            )
        },
    }
