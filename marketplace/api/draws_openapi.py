"""OpenAPI paths of the claim window (认领意向登记) and its draws (DESIGN §12, issue 15 item 2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_TIME = {"type": "string", "format": "date-time"}
INTEREST: dict[str, Any] = {
    "type": "object",
    "description": "202 while the wish's claim window is open: the interest is registered and a "
    "weighted draw at window_closes_at decides (the result comes as a notification)",
    "properties": {
        "interest": {
            "type": "object",
            "properties": {
                "wish_id": {"type": "integer"},
                "member_id": {"type": "integer"},
                "registered_at": _TIME,
                "window_closes_at": _TIME,
            },
        },
        "window_closes_at": _TIME,
        "message": {"type": "string"},
    },
    "required": ["interest", "window_closes_at"],
}
_CANDIDATE = {
    "type": "object",
    "properties": {
        "member_id": {"type": "integer"},
        "weight": {"type": "integer"},
        "band": {"type": "string", "enum": ["community", "street", "district", "elsewhere"]},
        "recent_claims": {"type": "integer"},
    },
}
DRAW: dict[str, Any] = {
    "type": "object",
    "properties": {
        "wish_id": {"type": "integer"},
        "seed": {"type": "string", "description": 'sha256 hex of "<wish id>:<closed_at ISO UTC>"'},
        "seed_ok": {"type": "boolean"},
        "closed_at": _TIME,
        "drawn_at": _TIME,
        "candidates": {"type": "array", "items": _CANDIDATE},
        "excluded": {"type": "array", "items": {"type": "object"}},
        "recorded_winner": {"type": ["integer", "null"]},
        "recomputed_winner": {"type": ["integer", "null"]},
        "claim_id": {"type": ["integer", "null"]},
        "ok": {"type": "boolean"},
    },
}


def claim_responses() -> dict[str, Any]:
    """The claim endpoint's extra answer: 202 with the registered interest."""
    return {
        "202": {
            "description": "Interest registered (the wish's claim window is open)",
            "content": {"application/json": {"schema": INTEREST}},
        }
    }


def draw_paths(
    op: Callable[..., dict[str, Any]], path_id: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    wid = path_id("wish_id")
    return {
        "/wishes/{wish_id}/interest": {
            "delete": {
                **op(
                    "Withdraw your interest while the wish's claim window is open (members)",
                    204,
                    tag="wishes",
                ),
                "parameters": [wid],
            }
        },
        "/wishes/{wish_id}/draw": {
            "get": {
                **op(
                    "A wish's recorded draw, re-run from its seed and candidates (administrator; "
                    "hub staff of the wish's area)",
                    ok_schema=DRAW,
                    tag="wishes",
                ),
                "parameters": [wid],
            }
        },
    }
