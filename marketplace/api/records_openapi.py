"""OpenAPI paths of service records, certificates and their verification (issue 16)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PERIOD_DATE = {"type": "string", "format": "date"}


def record_paths(
    op: Callable[..., dict[str, Any]], query: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    period = [
        query(
            "from",
            PERIOD_DATE,
            "First Beijing day (default: 1 January of this year); years 2000-2099",
        ),
        query(
            "to",
            PERIOD_DATE,
            "Last Beijing day (default: today); not before from, at most five years after it",
        ),
    ]
    totals = {
        "type": "object",
        "properties": {
            "records": {"type": "integer"},
            "hours": {"type": "number"},
            "points": {"type": "integer"},
            "by_month": {"type": "array", "items": {"type": "object"}},
            "by_year": {"type": "array", "items": {"type": "object"}},
        },
    }
    contributions = {
        "type": "object",
        "required": ["from", "to", "items", "totals"],
        "properties": {
            "from": PERIOD_DATE,
            "to": PERIOD_DATE,
            "items": {"type": "array", "items": {"type": "object"}},
            "totals": totals,
            "points_balance": {"type": "integer"},
        },
    }
    verification = {
        "type": "object",
        "required": ["valid"],
        "properties": {
            "valid": {"type": "boolean"},
            "volunteer": {"type": "string", "description": "Masked: 张*"},
            "hours": {"type": "number"},
            "records": {"type": "integer"},
            "issued_at": {"type": ["string", "null"], "format": "date-time"},
            "period": {"type": "object"},
        },
    }
    certificate = op(
        "A 志愿服务记录证明 (PDF) of your records in the period: issued now, with a QR code to its "
        "public verification page; 422 when the period has no records",
        tag="records",
        params=period,
    )
    certificate["responses"]["200"] = {
        "description": "The certificate",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
    certificate["responses"]["503"] = {
        "description": "No Chinese font is installed on the server",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    return {
        "/me/contributions": {
            "get": op(
                "Your service records (志愿服务记录) in the period, with totals by month and year",
                tag="records",
                params=period,
                ok_schema=contributions,
            )
        },
        "/me/certificate.pdf": {"get": certificate},
        "/verify/{code}": {
            "get": {
                **op(
                    "Verify a certificate by its code (public): valid or not, the masked "
                    "volunteer and the totals fixed at issue",
                    auth=False,
                    tag="records",
                    ok_schema=verification,
                ),
                "parameters": [
                    {
                        "name": "code",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 64},
                    }
                ],
            }
        },
    }
