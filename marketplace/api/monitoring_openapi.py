"""OpenAPI paths and schemas of monitoring (谁该帮, DESIGN §9): the resilience score."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
    return {"Score": SCORE, "ProfileIn": PROFILE_IN}


def monitoring_paths(
    op: Callable[..., dict[str, Any]], path_id: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    return {
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
