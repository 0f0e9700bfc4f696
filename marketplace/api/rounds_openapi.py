"""OpenAPI paths of match rounds (issue: matching engine)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_GROUP = {
    "type": "object",
    "properties": {
        "key": {"type": "string"},
        "name": {"type": "string"},
        "needs": {"type": "integer"},
        "served": {"type": "integer"},
        "served_share": {"type": ["number", "null"]},
        "median_wait_days": {"type": ["number", "null"]},
    },
}
FAIRNESS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": ["round", "month"]},
        "round_id": {"type": ["integer", "null"]},
        "month": {"type": ["string", "null"]},
        "scope": {"type": ["string", "null"]},
        "scope_name": {"type": ["string", "null"]},
        "needs": {"type": "integer"},
        "served": {"type": "integer"},
        "served_share": {"type": ["number", "null"]},
        "median_wait_days": {"type": ["number", "null"]},
        "by_risk_level": {"type": "array", "items": _GROUP},
        "by_district": {"type": "array", "items": _GROUP},
        "by_hardship": {"type": "array", "items": _GROUP},
        "repeat_help": {
            "type": "object",
            "properties": {"refused": {"type": "integer"}, "allowed": {"type": "integer"}},
        },
        "draws": {
            "type": "object",
            "description": "Claim-window draws held in the period (认领抽签): with a winner, gone "
            "to first come, and per distance band the interested, eligible, expected and won",
            "properties": {
                "held": {"type": "integer"},
                "fallback": {"type": "integer"},
                "by_band": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "band": {"type": "string"},
                            "interested": {"type": "integer"},
                            "eligible": {"type": "integer"},
                            "expected_wins": {"type": "number"},
                            "won": {"type": "integer"},
                            "win_share": {"type": ["number", "null"]},
                        },
                    },
                },
            },
        },
        "omitted": {"type": "array", "items": {"type": "string"}},
    },
}
"""A fairness report (``services.fairness.FairnessReport.as_json``)."""


def round_paths(
    op: Callable[..., dict[str, Any]], path_id: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    # Rejecting and holding need a reason (the ``ReasonIn`` schema of ``openapi.build_spec``).
    reason = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReasonIn"}}},
    }
    rid, pid = path_id("round_id"), path_id("proposal_id")
    return {
        "/match-rounds": {
            "post": op(
                "Start a match round for your area (admin: the city); runs in the background",
                202,
                tag="matching",
            )
        },
        "/match-rounds/{round_id}": {
            "get": {
                **op("A round's status, progress and statistics", tag="matching"),
                "parameters": [rid],
            }
        },
        "/match-rounds/{round_id}/proposals": {
            "get": {
                **op("A round's proposals with their reasons", tag="matching"),
                "parameters": [rid],
            }
        },
        "/match-rounds/{round_id}/fairness": {
            "get": {
                **op(
                    "A round's fairness figures: needs, served and served share, median wait of "
                    "the served, by risk level, district and hardship type; repeat-help refusals",
                    ok_schema=FAIRNESS,
                    tag="matching",
                ),
                "parameters": [rid],
            }
        },
        "/fairness": {
            "get": op(
                "A month's fairness figures (Beijing calendar month) for your area (admin: the "
                "city): the needs waiting in it, served by a claim or an accepted proposal in it",
                params=[
                    {
                        "name": "month",
                        "in": "query",
                        "required": False,
                        "description": "YYYY-MM, 2000-01 to 2100-12 (default: the current month)",
                        "schema": {
                            "type": "string",
                            "pattern": r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$",
                        },
                    }
                ],
                ok_schema=FAIRNESS,
                tag="matching",
            )
        },
        "/proposals/{proposal_id}/accept": {
            "post": {
                **op(
                    "Accept a proposal: capacity is taken, the organisation notified",
                    tag="matching",
                ),
                "parameters": [pid],
            }
        },
        "/proposals/{proposal_id}/reject": {
            "post": {
                **op("Reject a proposal with a reason", body=reason, tag="matching"),
                "parameters": [pid],
            }
        },
        "/proposals/{proposal_id}/lock": {
            "post": {
                **op("Hold a proposal with a reason", body=reason, tag="matching"),
                "parameters": [pid],
            }
        },
    }
