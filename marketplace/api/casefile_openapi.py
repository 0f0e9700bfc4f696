"""OpenAPI paths of 一户一档: household, need and offer edits, the history, the lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marketplace.models import HOUSEHOLD_TAGS, Hardship
from marketplace.services.casefile import STAGES

DATE = {"type": "string", "format": "date"}
HOUSEHOLD_PATCH: dict[str, Any] = {
    "type": "object",
    "description": "Any of the registration fields; each is checked as at registration (the "
    "resident ID number's check digit, not another household's). Other fields: 422.",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 64},
        "id_number": {"type": "string", "description": "Resident ID number (GB 11643)"},
        "phone": {"type": "string"},
        "address": {"type": "string", "minLength": 1, "maxLength": 200},
        "community_code": {"type": "string", "pattern": r"^\d{12}$"},
        "hardship_type": {"type": "string", "enum": [h.value for h in Hardship]},
        "members": {"type": "integer", "minimum": 1, "maximum": 30},
        "tags": {"type": "array", "items": {"type": "string", "enum": list(HOUSEHOLD_TAGS)}},
    },
    "additionalProperties": False,
}
NEED_PATCH: dict[str, Any] = {
    "type": "object",
    "description": "Before the need is claimed or proposed, any field; after, only title, "
    "description, public_title, public_text and delivery_instructions (409 naming the others).",
    "properties": {
        "kind": {"type": "string", "enum": ["wish", "service"]},
        "item": {"type": "string", "pattern": r"^\d{2}-\d{2}$"},
        "title": {"type": "string", "minLength": 1, "maxLength": 100},
        "description": {"type": "string", "maxLength": 2000},
        "public_title": {"type": "string", "minLength": 1, "maxLength": 100},
        "public_text": {"type": "string", "maxLength": 2000},
        "value_yuan": {"type": "number", "minimum": 0, "maximum": 1000000},
        "deadline": {"type": ["string", "null"], "format": "date"},
        "delivery_mode": {"type": "string"},
        "delivery_instructions": {"type": "string", "maxLength": 500},
    },
    "additionalProperties": False,
}
OFFER_PATCH: dict[str, Any] = {
    "type": "object",
    "description": "Any of the offer's fields, checked as for a new offer; capacity not below "
    "what is already taken (422 on capacity).",
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 100},
        "description": {"type": "string", "maxLength": 2000},
        "items": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "regions": {"type": "array", "items": {"type": "string"}},
        "lat": {"type": ["number", "null"]},
        "lon": {"type": ["number", "null"]},
        "radius_km": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 500},
        "capacity": {"type": "integer", "minimum": 1, "maximum": 1000000},
        "unit": {"type": "string"},
        "start": DATE,
        "end": DATE,
        "hardship": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}
LIFECYCLE_IN = {
    "type": "object",
    "required": ["stage", "reason"],
    "properties": {
        "stage": {
            "type": "string",
            "enum": list(STAGES),
            "description": "monitored 监测对象, registered 在册, gradual_exit 渐退期 (ends after "
            "GRADUAL_EXIT_DAYS), exited 退出 (open needs cancelled, the 幸福码 answers 410). "
            "Allowed moves: monitored → registered | exited; registered → monitored | "
            "gradual_exit | exited; gradual_exit → registered | exited; exited → monitored | "
            "registered (re-entry). Another move: 409.",
        },
        "reason": {"type": "string", "minLength": 1, "maxLength": 500},
    },
}
HISTORY_ROW = {
    "type": "object",
    "required": ["at", "actor", "field", "before", "after"],
    "properties": {
        "at": {"type": "string", "format": "date-time"},
        "actor": {"type": "string"},
        "action": {"type": "string"},
        "object": {"type": "string", "enum": ["household", "need"]},
        "object_id": {"type": "integer"},
        "field": {"type": "string"},
        "before": {"description": "Personal values (name, ID number, phone, address) masked"},
        "after": {"description": "Personal values (name, ID number, phone, address) masked"},
    },
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def casefile_paths(
    op: Callable[..., dict[str, Any]],
    path_id: Callable[[str], dict[str, Any]],
    query: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """The operations by path; paths that exist already get them added (``build_spec``)."""
    hid = path_id("household_id")
    history = op(
        "变更记录: a household's history of changes (its own, its profile's, its lifecycle's "
        "and its needs'), one row per field, newest first, personal values masked; the "
        "next page's cursor in the X-Next-Cursor header",
        tag="households",
        params=[
            query("cursor", {"type": "integer", "minimum": 1}, "X-Next-Cursor of the page before"),
            query("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "Entries a page"),
        ],
        ok_schema={"type": "array", "items": HISTORY_ROW},
    )
    history["responses"]["200"]["headers"] = {
        "X-Next-Cursor": {
            "schema": {"type": "integer"},
            "description": "Present when older entries exist",
        }
    }
    return {
        "/households/{household_id}": {
            "patch": {
                **op(
                    "Correct a household (hub staff of its area); every changed field is audited "
                    "with before and after. Answers the new state; 422 names the field",
                    body=_json({"$ref": "#/components/schemas/HouseholdPatch"}),
                    tag="households",
                ),
                "parameters": [hid],
            }
        },
        "/households/{household_id}/history": {"get": {**history, "parameters": [hid]}},
        "/households/{household_id}/lifecycle": {
            "post": {
                **op(
                    "Move a household along its lifecycle with a reason; answers the new state",
                    body=_json(LIFECYCLE_IN),
                    tag="households",
                ),
                "parameters": [hid],
            }
        },
        "/needs/{need_id}": {
            "patch": {
                **op(
                    "Edit a need: any field before it is claimed or proposed, its wording after "
                    "(409 need.locked naming the fields of the deal)",
                    body=_json({"$ref": "#/components/schemas/NeedPatch"}),
                    tag="needs",
                ),
                "parameters": [path_id("need_id")],
            }
        },
        "/offers/{offer_id}": {
            "patch": {
                **op(
                    "Edit one of your offers (organisation accounts); capacity not below what is "
                    "taken (422 offer.capacity_below_taken on capacity)",
                    body=_json({"$ref": "#/components/schemas/OfferPatch"}),
                    tag="offers",
                ),
                "parameters": [path_id("offer_id")],
            }
        },
    }
