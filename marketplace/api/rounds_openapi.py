"""OpenAPI paths of match rounds (issue: matching engine)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


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
