"""OpenAPI paths of 探访关爱 visits and 结对帮扶 pairings (DESIGN §10, issue 14 item 9)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marketplace.models import EventKind

_DATE = {"type": "string", "format": "date"}
VISIT_IN: dict[str, Any] = {
    "type": "object",
    "required": ["household_id", "visited_on", "mode"],
    "properties": {
        "household_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        "visited_on": {**_DATE, "description": "From 2000-01-01, not in the future (Beijing day)"},
        "mode": {"type": "string", "enum": ["home", "phone"]},
        "note": {"type": "string", "maxLength": 1000},
        "findings": {"type": "string", "maxLength": 1000},
        "event_kind": {
            "type": "string",
            "enum": [k.value for k in EventKind],
            "description": "Hub staff: the finding raises this monitoring event (监测数据变动). "
            "A paired helper's finding goes to the street hub's staff instead.",
        },
    },
}
VISIT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "household_id": {"type": "integer"},
        "visited_on": _DATE,
        "mode": {"type": "string", "enum": ["home", "phone"]},
        "note": {"type": "string", "description": "Staff: as written; a helper: scrubbed"},
        "findings": {"type": "string", "description": "Staff only"},
        "pairing_id": {"type": ["integer", "null"]},
        "event_id": {"type": ["integer", "null"]},
    },
    "required": ["id", "household_id", "visited_on", "mode"],
}
DUE = {
    "type": "object",
    "properties": {
        "household_id": {"type": "integer"},
        "name": {"type": "string"},
        "community": {"type": "string"},
        "community_code": {"type": "string"},
        "level": {"type": "integer", "enum": [1, 2, 3]},
        "due_on": _DATE,
        "last_visited_on": {"type": ["string", "null"], "format": "date"},
        "overdue": {"type": "boolean"},
        "helper": {"type": "string", "description": "The paired helper, if any"},
    },
}
PAIRING_IN = {
    "type": "object",
    "required": ["household_id", "end"],
    "properties": {
        "household_id": {"type": "integer", "minimum": 1},
        "member_id": {"type": "integer", "description": "A Party member's account (or org_id)"},
        "org_id": {"type": "integer", "description": "A vetted organisation (or member_id)"},
        "start": {**_DATE, "description": "Default: today"},
        "end": {**_DATE, "description": "Not before start nor today; at most 5 years"},
    },
}
PAIRING = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "household_id": {"type": "integer"},
        "member_id": {"type": ["integer", "null"]},
        "org_id": {"type": ["integer", "null"]},
        "start": _DATE,
        "end": _DATE,
        "ended_at": {"type": ["string", "null"], "format": "date-time"},
        "reason": {"type": "string"},
    },
}
PAIRED = {
    "type": "object",
    "properties": {
        "pairing_id": {"type": "integer"},
        "household_id": {"type": "integer"},
        "household": {"type": "string", "description": "Masked: 张*"},
        "community": {"type": "string"},
        "start": _DATE,
        "end": _DATE,
        "due_on": {"type": ["string", "null"], "format": "date"},
        "overdue": {"type": "boolean"},
        "last_visited_on": {"type": ["string", "null"], "format": "date"},
        "hub": {"type": ["object", "null"], "description": "The hub to call"},
    },
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def care_paths(
    op: Callable[..., dict[str, Any]],
    path_id: Callable[[str], dict[str, Any]],
    query: Callable[..., dict[str, Any]],
    text_pattern: Callable[[int], str],
) -> dict[str, Any]:
    props: dict[str, Any] = dict(VISIT_IN["properties"])
    for name in ("note", "findings"):  # text without control characters (the server's rule)
        props[name] = props[name] | {"pattern": text_pattern(0)}
    visit_in = {**VISIT_IN, "properties": props}

    def page(items: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": items},
                "total": {"type": "integer"},
                "page": {"type": "integer"},
                "pages": {"type": "integer"},
            },
        }

    return {
        "/visits": {
            "post": op(
                "探访关爱: record a visit (hub staff of the household's area, or its paired "
                "helper; anyone else 404). The household's next due date moves on from it. 422 "
                "naming the field; nothing stored on bad input",
                201,
                body=_json(visit_in),
                ok_schema=VISIT,
                tag="care",
            )
        },
        "/visits/due": {
            "get": op(
                "Visits due: households of your area whose visit by their risk level (level 1 "
                "every 30 days, 2 every 91, 3 every 182 by default) falls due within 7 days, "
                "overdue first",
                params=[
                    query("overdue", {"type": "boolean"}, "Only overdue visits"),
                    query("region", {"type": "string"}, "A region inside your area"),
                    query("page", {"type": "integer", "minimum": 1}),
                ],
                ok_schema=page(DUE),
                tag="care",
            )
        },
        "/pairings": {
            "post": op(
                "结对帮扶: pair a household of your area with a Party member or an organisation "
                "for a period; one active pairing per household (409 pairing.exists). The "
                "helper is notified; the household's new micro-wishes go to a paired member "
                "first for PAIRING_WINDOW_HOURS (default 48) before the pool",
                201,
                body=_json(PAIRING_IN),
                ok_schema=PAIRING,
                tag="care",
            )
        },
        "/pairings/{pairing_id}": {
            "delete": op(
                'End a pairing early (optional JSON body {"reason"}); a second end: 409',
                params=[path_id("pairing_id")],
                ok_schema=PAIRING,
                tag="care",
            )
        },
        "/me/pairings": {
            "get": op(
                "Your paired households (a member's, an organisation's): masked, the hub to "
                "call, the next visit due",
                ok_schema={
                    "type": "object",
                    "properties": {"items": {"type": "array", "items": PAIRED}},
                },
                tag="care",
            )
        },
    }
