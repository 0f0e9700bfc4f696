"""OpenAPI paths and schemas of monitoring (谁该帮, DESIGN §9): the resilience score, events
pushed by hub staff and departments, discoveries and leads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marketplace.api.patterns import text_pattern
from marketplace.models import EventKind

SCORE = {
    "type": "object",
    "description": "抗风险能力赋分: the household's current resilience score, its risk level "
    "(score ≥90 → 3, 60–89 → 2, <60 → 1), the model version that computed it and its "
    "explanation. The contributions' points add up exactly to the score; the model's base "
    "value is the first contribution (indicator 'base'). A household registered before scores "
    "were computed, whose profile is not yet recorded, has model_version 'legacy' and one "
    "contribution: the score staff typed.",
    "properties": {
        "household_id": {"type": "integer"},
        "score": {"type": "integer", "minimum": 0, "maximum": 100},
        "level": {"type": "integer", "enum": [1, 2, 3]},
        "model_version": {"type": "string"},
        "computed_at": {"type": "string", "format": "date-time"},
        "reason": {
            "type": "string",
            "description": "What caused the computation: create, profile, import, model, …",
        },
        "contributions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "indicator": {"type": "string"},
                    "points": {"type": "integer"},
                    "why": {"type": "string"},
                },
                "required": ["indicator", "points", "why"],
            },
        },
    },
    "required": ["score", "level", "model_version", "computed_at", "contributions"],
}


PROFILE_IN = {
    "type": "object",
    "properties": {
        "members": {"type": "integer", "minimum": 1, "maximum": 30},
        "profile": {"$ref": "#/components/schemas/Profile"},
    },
    "required": ["profile"],
    "description": "The whole profile (fields left out take their defaults) and, optionally, the "
    "household's size. Each count is of the household's members: none may exceed members, and "
    "no more members are employed than able-bodied.",
}


def monitoring_schemas() -> dict[str, Any]:
    return {"Score": SCORE, "ProfileIn": PROFILE_IN} | event_schemas()


def monitoring_paths(
    op: Callable[..., dict[str, Any]], path_id: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    return event_paths(op, path_id) | {
        "/households/{household_id}/score": {
            "get": {
                **op(
                    "A household's resilience score with its model version and explanation "
                    "(hub staff: their area; admin: the city)",
                    ok_schema={"$ref": "#/components/schemas/Score"},
                    tag="monitoring",
                ),
                "parameters": [path_id("household_id")],
            }
        },
        "/households/{household_id}/profile": {
            "put": {
                **op(
                    "Replace a household's profile (家庭画像; hub staff of its area): the change "
                    "is kept with who and when, and the household rescored; answers the new score",
                    body={
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ProfileIn"}
                            }
                        },
                    },
                    ok_schema={"$ref": "#/components/schemas/Score"},
                    tag="monitoring",
                ),
                "parameters": [path_id("household_id")],
            }
        },
    }


# 监测数据变动: events pushed by hub staff and departments' systems, discoveries, leads -------------

EVENT_KINDS = [k.value for k in EventKind]
_ID_NUMBER = {
    "type": "string",
    "pattern": "^[0-9]{17}[0-9Xx]$",
    "description": "Resident ID number (GB 11643, checked by its check digit)",
}
_COMMUNITY = {"$ref": "#/components/schemas/CommunityCode"}
EVENT_IN = {
    "type": "object",
    "description": "监测数据变动: about a household by its id (hub staff, their area) or by a "
    "resident's ID number with the community where it was reported (the only way for a "
    "department's system, role dept: household_id is refused). An ID number we do not know "
    "becomes a lead (线索) for the street hub of the community.",
    "properties": {
        "household_id": {"type": "integer", "minimum": 1},
        "id_number": _ID_NUMBER,
        "community_code": _COMMUNITY,
        "kind": {"type": "string", "enum": EVENT_KINDS},
        "occurred_on": {"type": "string", "format": "date", "description": "Not in the future"},
        "note": {"type": "string", "maxLength": 1000, "pattern": text_pattern(0)},
    },
    "required": ["kind", "occurred_on"],
}
EVENT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "household_id": {"type": ["integer", "null"]},
        "kind": {"type": "string", "enum": EVENT_KINDS},
        "occurred_on": {"type": "string", "format": "date"},
        "source": {"type": "string", "enum": ["hub", "import", "dept", "discovery", "happiness"]},
        "community_code": {"type": "string"},
        "note": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "matched": {"type": "boolean", "description": "A registered household was found"},
        "lead": {"type": "boolean", "description": "It became a lead (unknown resident)"},
        "lead_id": {"type": ["integer", "null"]},
    },
}
LEAD_RECEIPT = {
    "type": "object",
    "description": "A lead's receipt: its number, status and when the street hub must have "
    "checked it (3 days for a severe event, else 7). No household data.",
    "properties": {
        "id": {"type": "integer"},
        "status": {"type": "string", "enum": ["open", "registered", "closed"]},
        "community_code": {"type": "string"},
        "due_at": {"type": "string", "format": "date-time"},
        "created_at": {"type": "string", "format": "date-time"},
    },
    "required": ["id", "status", "due_at"],
}
LEAD = {
    "type": "object",
    "description": "A lead as the responsible hub staff read it",
    "allOf": [{"$ref": "#/components/schemas/LeadReceipt"}],
    "properties": {
        "community_name": {"type": "string"},
        "source": {"type": "string", "enum": ["dept", "discovery", "happiness", "hub", "import"]},
        "description": {"type": "string"},
        "contact": {"type": "string"},
        "id_number": {"type": "string"},
        "hub_id": {"type": "integer"},
        "escalations": {"type": "integer"},
        "household_id": {"type": ["integer", "null"]},
        "closed_at": {"type": ["string", "null"], "format": "date-time"},
        "close_note": {"type": "string"},
    },
}
EVENT_PUSHED = {
    "type": "object",
    "properties": {
        "event": {"$ref": "#/components/schemas/MonitoringEvent"},
        "warning": {
            "type": ["object", "null"],
            "description": "The warning the event raised (the shape of GET /warnings' items), "
            "null for a lead",
        },
        "lead": {"$ref": "#/components/schemas/LeadReceipt"},
    },
    "required": ["event", "warning"],
}
EVENT_BATCH_IN = {
    "type": "object",
    "description": "Up to 1,000 events in one request, all stored or none: every item is "
    "checked first; any bad item → 422 with errors keyed events[<i>].<field> (i from 0, e.g. "
    '"events[3].occurred_on"), nothing stored; more than 1,000, an empty or non-list "events" → '
    '422 naming "events"',
    "properties": {
        "events": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1000,
            "items": {"$ref": "#/components/schemas/MonitoringEventIn"},
        }
    },
    "required": ["events"],
}
EVENT_BATCH_PUSHED = {
    "type": "object",
    "description": "One answer per event, in the order sent (each as for a single event)",
    "properties": {
        "events": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/MonitoringEventPushed"},
        },
        "count": {"type": "integer"},
    },
    "required": ["events", "count"],
}
EVENT_STATUS = {
    "type": "object",
    "description": "The event and what became of it: status recorded | warning_open | "
    "warning_closed | lead_open | lead_registered | lead_closed, with the warning's level, "
    "status, due time and outcome",
    "allOf": [{"$ref": "#/components/schemas/MonitoringEvent"}],
    "properties": {
        "status": {"type": "string"},
        "warning": {"type": ["object", "null"]},
        "lead_status": {"type": "string"},
    },
}


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def event_schemas() -> dict[str, Any]:
    return {
        "MonitoringEventIn": EVENT_IN,
        "MonitoringEvent": EVENT,
        "MonitoringEventPushed": EVENT_PUSHED,
        "MonitoringEventBatchIn": EVENT_BATCH_IN,
        "MonitoringEventBatchPushed": EVENT_BATCH_PUSHED,
        "MonitoringEventStatus": EVENT_STATUS,
        "LeadReceipt": LEAD_RECEIPT,
        "Lead": LEAD,
    }


def event_paths(
    op: Callable[..., dict[str, Any]], path_id: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Lead"}
    status_param = {
        "name": "status",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["open", "registered", "closed"], "default": "open"},
    }
    page_param = {"name": "page", "in": "query", "required": False, "schema": {"type": "integer"}}
    return {
        "/monitoring-events": {
            "post": op(
                "Push a monitoring event (监测数据变动; hub staff: their area; role dept: another "
                "department's system, by ID number + community). 201 with the event and the "
                "warning it raised, or the lead an unknown resident became; 422 naming the "
                'field, nothing stored. Or a batch, {"events": [...]} of up to 1,000: all '
                "or nothing, 422 errors keyed events[<i>].<field>; 201 with one answer per "
                "event in order and the count",
                201,
                body=_json_body(
                    {
                        "oneOf": [
                            {"$ref": "#/components/schemas/MonitoringEventIn"},
                            {"$ref": "#/components/schemas/MonitoringEventBatchIn"},
                        ]
                    }
                ),
                ok_schema={
                    "oneOf": [
                        {"$ref": "#/components/schemas/MonitoringEventPushed"},
                        {"$ref": "#/components/schemas/MonitoringEventBatchPushed"},
                    ]
                },
                tag="monitoring",
            )
        },
        "/monitoring-events/{event_id}": {
            "get": {
                **op(
                    "What became of an event you pushed (its submitter only; others: 404)",
                    ok_schema={"$ref": "#/components/schemas/MonitoringEventStatus"},
                    tag="monitoring",
                ),
                "parameters": [path_id("event_id")],
            }
        },
        "/discoveries": {
            "post": op(
                "主动发现: report someone in difficulty who may not be registered (members and "
                "organisations). It becomes a lead for the community's street hub; the answer "
                "is its receipt",
                201,
                body=_json_body(
                    {
                        "type": "object",
                        "properties": {
                            "community_code": _COMMUNITY,
                            "description": {
                                "type": "string",
                                "minLength": 5,
                                "maxLength": 2000,
                                "pattern": text_pattern(5),
                            },
                            "contact": {
                                "type": "string",
                                "maxLength": 200,
                                "pattern": text_pattern(0),
                            },
                        },
                        "required": ["community_code", "description"],
                    }
                ),
                ok_schema={"$ref": "#/components/schemas/LeadReceipt"},
                tag="monitoring",
            )
        },
        "/leads": {
            "get": op(
                "The leads (线索) of your area (hub staff): open ones oldest due first",
                params=[status_param, page_param],
                ok_schema={
                    "type": "object",
                    "properties": {
                        "items": {"type": "array", "items": ref},
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "pages": {"type": "integer"},
                    },
                },
                tag="monitoring",
            )
        },
        "/leads/{lead_id}/register": {
            "post": {
                **op(
                    "The lead's household is registered: link it (its events move to the "
                    "household). A lead already dealt with: 409",
                    body=_json_body(
                        {
                            "type": "object",
                            "properties": {"household_id": {"type": "integer", "minimum": 1}},
                            "required": ["household_id"],
                        }
                    ),
                    ok_schema=ref,
                    tag="monitoring",
                ),
                "parameters": [path_id("lead_id")],
            }
        },
        "/leads/{lead_id}/close": {
            "post": {
                **op(
                    "Close a lead with a note saying why nothing is registered. A second "
                    "close: 409",
                    body=_json_body(
                        {
                            "type": "object",
                            "properties": {"note": {"type": "string", "maxLength": 1000}},
                            "required": ["note"],
                        }
                    ),
                    ok_schema=ref,
                    tag="monitoring",
                ),
                "parameters": [path_id("lead_id")],
            }
        },
    }
