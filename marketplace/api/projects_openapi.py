"""OpenAPI paths of projects, their reports and Party branches' members (issue 16)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marketplace.services.projects import FUNDING
from matching import taxonomy

DATE = {"type": "string", "format": "date"}
PROJECT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "org_id": {"type": "integer"},
        "title": {"type": "string"},
        "funding": {"type": "string", "enum": list(FUNDING)},
        "budget_yuan": {"type": "number"},
        "start": DATE,
        "end": DATE,
        "target_households": {"type": "integer"},
        "items": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string", "enum": ["active", "closed"]},
        "evaluation": {"type": ["object", "null"]},
        "offers": {"type": "integer"},
    },
}
PROJECT_IN = {
    "type": "object",
    "required": ["title", "funding", "start", "end"],
    "properties": {
        "title": {"type": "string", "maxLength": 100},  # + a visible character: project_paths
        "funding": {
            "type": "string",
            "enum": list(FUNDING),
            "description": "venture 公益创投, trust 慈善信托, own 自有资金, government 政府购买服务",
        },
        "budget_yuan": {"type": "number", "minimum": 0, "maximum": 9999999999.99},
        "start": DATE,
        "end": {**DATE, "description": "On or after start"},
        "target_households": {"type": "integer", "minimum": 0, "maximum": 10000000},
        "items": {
            "type": "array",
            "items": {"type": "string", "enum": sorted(i.code for i in taxonomy.items())},
            "description": "Taxonomy codes",
        },
    },
}
REPORT = {
    "type": "object",
    "properties": {
        "from": DATE,
        "to": DATE,
        "records": {"type": "integer"},
        "households_served": {"type": "integer"},
        "hours": {"type": "number"},
        "claims_delivered": {"type": "integer"},
        "claims_confirmed": {"type": "integer"},
        "confirmation_rate": {"type": ["number", "null"]},
        "average_satisfaction": {"type": ["number", "null"]},
        "budget_yuan": {"type": ["number", "null"]},
        "spend_per_household_yuan": {"type": ["number", "null"]},
        "median_hours_publication_to_confirmation": {"type": ["number", "null"]},
        "needs_by_item": {"type": "array", "items": {"type": "object"}},
    },
}


def project_paths(
    op: Callable[..., dict[str, Any]],
    path_id: Callable[[str], dict[str, Any]],
    query: Callable[..., dict[str, Any]],
    text_pattern: Callable[[int], str],
) -> dict[str, Any]:
    period = [
        query(
            "from",
            DATE,
            "First Beijing day (default: 12 months before to); years 2000-2099, not after to",
        ),
        query("to", DATE, "Last Beijing day (default: today); at most five years after from"),
    ]
    listing = {"type": "object", "properties": {"items": {"type": "array", "items": PROJECT}}}
    project_in = {
        **PROJECT_IN,
        "properties": {
            **PROJECT_IN["properties"],  # type: ignore[dict-item]
            "title": {"type": "string", "maxLength": 100, "pattern": text_pattern(1)},
        },
    }
    body = {"required": True, "content": {"application/json": {"schema": project_in}}}
    return {
        "/projects": {
            "get": op(
                "Projects (项目): an organisation's own, the administrator's all",
                tag="projects",
                ok_schema=listing,
            ),
            "post": op(
                "Create a project of your organisation",
                201,
                body=body,
                tag="projects",
                ok_schema=PROJECT,
            ),
        },
        "/projects/{project_id}/report": {
            "get": op(
                "A project's report in the period: households served, needs by item, hours, "
                "confirmation rate, average satisfaction, spend per household served, median "
                "time from publication to confirmation",
                tag="projects",
                params=[path_id("project_id"), *period],
                ok_schema=REPORT,
            )
        },
        "/branches/{branch_id}/members": {
            "get": op(
                "The member accounts of a Party branch (党支部), for its Party organisation and "
                "the administrator",
                tag="projects",
                params=[path_id("branch_id")],
            )
        },
    }
