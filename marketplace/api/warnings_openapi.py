"""OpenAPI paths and schemas of 预警 (issue 13 item 4, API item 8): the warning queue, one warning,
its check and close, and the policy referrals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marketplace.models import ReferralStatus, WarningOutcome
from marketplace.services.warnings import CHECK_MODES, MAX_ITEMS, policy_items

_CAUSE = {
    "type": "object",
    "description": "致困原因: a likely cause from the score model's suggestion rules",
    "properties": {"code": {"type": "string"}, "zh": {"type": "string"}, "en": {"type": "string"}},
}
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
WARNING = {
    "type": "object",
    "description": "预警: important (重点, checked within 3 days) or general (一般, 7 days). "
    "``hub_id`` is the hub responsible now (overdue warnings move up the hub chain to the "
    "nearest staffed hub: ``escalations``). ``on_time``: closed by ``due_at``. ``suggestions``: "
    "the items of help suggested for it (in a list: the item codes; for one warning, read by hub "
    "staff: each with its nearest eligible live offers)",
    "properties": {
        "id": {"type": "integer"},
        "household_id": {"type": "integer"},
        "level": {"type": "string", "enum": ["important", "general"]},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "raised_at": {"type": "string", "format": "date-time"},
        "due_at": {"type": "string", "format": "date-time"},
        "overdue": {"type": "boolean"},
        "hub_id": {"type": "integer"},
        "community_code": {"type": "string"},
        "escalations": {"type": "integer"},
        "check_mode": {"type": ["string", "null"], "enum": [*CHECK_MODES, None]},
        "outcome": {"type": ["string", "null"], "enum": [*(o.value for o in WarningOutcome), None]},
        "closed_at": {"type": ["string", "null"], "format": "date-time"},
        "on_time": {"type": ["boolean", "null"]},
        "event": {"$ref": "#/components/schemas/MonitoringEvent"},
        "suggestions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "item": {"type": "string", "pattern": "^[0-9]{2}-[0-9]{2}$"},
                    "offers": {"type": "array", "items": _OFFER},
                },
                "required": ["item"],
            },
        },
        "causes": {"type": "array", "items": _CAUSE},
    },
    "required": ["id", "household_id", "level", "status", "due_at", "event", "suggestions"],
}
WARNING_FULL = {
    "type": "object",
    "allOf": [{"$ref": "#/components/schemas/Warning"}],
    "properties": {
        "findings": {"type": "string"},
        "outcome_note": {"type": "string"},
        "referral_ids": {"type": "array", "items": {"type": "integer"}},
        "need_ids": {
            "type": "array",
            "items": {"type": "integer"},
            "description": "Needs created by a refer_hub close (pending review)",
        },
    },
}
_POLICY_CODES = list(policy_items())
CLOSE_IN = {
    "type": "object",
    "description": "The outcome of the check. refer_policy: at least one item of policy "
    'assistance (救助"一件事", one referral each); refer_hub: at least one taxonomy item (a need '
    "each, pending review like any other); no_action: ``note`` says why. ``check_mode`` and "
    "``findings`` record the check in the same step. Everything is checked before anything is "
    "stored.",
    "properties": {
        "outcome": {"type": "string", "enum": [o.value for o in WarningOutcome]},
        "policy_items": {
            "type": "array",
            "items": {"type": "string", "enum": _POLICY_CODES},
            "maxItems": MAX_ITEMS,
        },
        "need_items": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/ItemCode"},
            "maxItems": MAX_ITEMS,
        },
        "note": {"type": "string", "maxLength": 1000, "pattern": "TEXT"},
        "check_mode": {"type": "string", "enum": list(CHECK_MODES)},
        "findings": {"type": "string", "maxLength": 2000, "pattern": "TEXT"},
    },
    "required": ["outcome"],
}
CHECK_IN = {
    "type": "object",
    "description": "核查: how the household was checked and what was found (while open)",
    "properties": {
        "check_mode": {"type": "string", "enum": list(CHECK_MODES)},
        "findings": {"type": "string", "maxLength": 2000, "pattern": "TEXT"},
    },
    "required": ["check_mode"],
}
_STATUSES = [s.value for s in ReferralStatus]
REFERRAL = {
    "type": "object",
    "description": "政策救助转介: one item of policy assistance, with its status until done",
    "properties": {
        "id": {"type": "integer"},
        "household_id": {"type": "integer"},
        "warning_id": {"type": ["integer", "null"]},
        "item": {"type": "string", "enum": _POLICY_CODES},
        "item_name": {"type": ["object", "null"]},
        "status": {"type": "string", "enum": _STATUSES},
        "note": {"type": "string"},
        "since": {"type": ["string", "null"], "format": "date"},
        "amount_yuan": {"type": ["string", "null"]},
        "service": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "done_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
REFERRAL_IN = {
    "type": "object",
    "description": "Move a referral on: referred → in_progress → done | declined (in_progress "
    "may be skipped; done and declined are final: another move is a 409). A granted one (done) "
    "may say since when, the amount in yuan or the service.",
    "properties": {
        "status": {"type": "string", "enum": _STATUSES[1:]},
        "note": {"type": "string", "maxLength": 1000, "pattern": "TEXT"},
        "since": {"type": "string", "format": "date"},
        "amount_yuan": {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 1_000_000},
                {"type": "string", "pattern": r"^[0-9]{1,7}(\.[0-9]{1,2})?$"},
            ]
        },
        "service": {"type": "string", "maxLength": 200, "pattern": "TEXT"},
    },
    "required": ["status"],
}


def _with_text(schema: dict[str, Any], pattern: str) -> dict[str, Any]:
    """The input schema with its free texts' pattern (no control characters) filled in."""
    props = {
        name: prop | {"pattern": pattern} if prop.get("pattern") == "TEXT" else prop
        for name, prop in schema["properties"].items()
    }
    return schema | {"properties": props}


def warning_schemas(text_pattern: Callable[[int], str]) -> dict[str, Any]:
    text = text_pattern(0)
    return {
        "Warning": WARNING,
        "WarningFull": WARNING_FULL,
        "WarningCloseIn": _with_text(CLOSE_IN, text),
        "WarningCheckIn": _with_text(CHECK_IN, text),
        "PolicyReferral": REFERRAL,
        "PolicyReferralIn": _with_text(REFERRAL_IN, text),
    }


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _page_of(ref: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": ref}},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "pages": {"type": "integer"},
        },
        "required": ["items", "total", "page", "pages"],
    }


def warning_paths(
    op: Callable[..., dict[str, Any]],
    path_id: Callable[[str], dict[str, Any]],
    query: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    full = {"$ref": "#/components/schemas/WarningFull"}
    page = query(
        "page", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "Page number (50 a page)"
    )
    return {
        "/warnings": {
            "get": op(
                "The warnings of your area (hub staff: your subtree; admin: the city): open "
                "ones oldest due first, closed ones newest closed first; 50 a page",
                params=[
                    query(
                        "status", {"type": "string", "enum": ["open", "closed"], "default": "open"}
                    ),
                    query("level", {"type": "string", "enum": ["important", "general"]}),
                    query(
                        "overdue",
                        {"type": "boolean"},
                        "Only warnings past (true) or within (false) their due time",
                    ),
                    page,
                ],
                ok_schema=_page_of("#/components/schemas/Warning"),
                tag="warnings",
            )
        },
        "/warnings/{warning_id}": {
            "get": {
                **op(
                    "One warning with its event, likely causes and suggested items (hub staff: "
                    "with the nearest eligible live offers), and what its close led to",
                    ok_schema=full,
                    tag="warnings",
                ),
                "parameters": [path_id("warning_id")],
            }
        },
        "/warnings/{warning_id}/check": {
            "post": {
                **op(
                    "Record the check (phone or home visit, findings) of an open warning (hub "
                    "staff); a closed one: 409",
                    body=_json({"$ref": "#/components/schemas/WarningCheckIn"}),
                    ok_schema=full,
                    tag="warnings",
                ),
                "parameters": [path_id("warning_id")],
            }
        },
        "/warnings/{warning_id}/close": {
            "post": {
                **op(
                    "Close a warning with its outcome (hub staff of its area). 200 with the "
                    "warning and the referral / need ids it created; a second close: 409; bad "
                    "input: 422 naming the field, nothing stored",
                    body=_json({"$ref": "#/components/schemas/WarningCloseIn"}),
                    ok_schema=full,
                    tag="warnings",
                ),
                "parameters": [path_id("warning_id")],
            }
        },
        "/referrals": {
            "get": op(
                "The policy referrals of your area (hub staff), newest first",
                params=[query("status", {"type": "string", "enum": _STATUSES}), page],
                ok_schema=_page_of("#/components/schemas/PolicyReferral"),
                tag="warnings",
            )
        },
        "/referrals/{referral_id}": {
            "patch": {
                **op(
                    "Move a referral on (hub staff of the household's area); another move: 409",
                    body=_json({"$ref": "#/components/schemas/PolicyReferralIn"}),
                    ok_schema={"$ref": "#/components/schemas/PolicyReferral"},
                    tag="warnings",
                ),
                "parameters": [path_id("referral_id")],
            }
        },
    }
