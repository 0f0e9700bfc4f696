"""JSON API v1: 预警 — the warning queue of a hub's subtree, one warning with its suggestions, the
check and the close (``services/warnings.py``), and the policy referrals a close made. Thin:
parse, call one service, serialise."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue

from marketplace.api.blueprint import api_auth, body, bp, me
from marketplace.db import get_session
from marketplace.models import MonitoringEvent, Role
from marketplace.services import suggestions
from marketplace.services import warnings as warnings_service
from marketplace.services.errors import ValidationFailed

__all__ = ["bp"]

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


def _overdue(raw: str | None) -> bool | None:
    if raw in (None, ""):
        return None
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ValidationFailed({"overdue": "field.not_boolean"})


def _page() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        raise ValidationFailed({"page": "field.not_integer"})
    return int(raw)


def _causes(causes: Any) -> list[dict[str, str]]:
    return [{"code": c.code, "zh": c.zh, "en": c.en} for c in causes]


@bp.get("/warnings")
@api_auth(Role.HUB_STAFF, Role.ADMIN)
def list_warnings() -> ResponseReturnValue:
    """The warnings of the caller's area (the administrator: the city), open ones oldest due
    first; each with its event and the suggested items (no offer search in a list)."""
    found = warnings_service.queue(
        get_session(),
        actor=me(),
        status=request.args.get("status", "open"),
        level=request.args.get("level") or None,
        overdue=_overdue(request.args.get("overdue")),
        page=_page(),
    )
    return jsonify(
        items=[
            warnings_service.as_dict(
                row.warning, row.event, suggestions=[{"item": i} for i in row.items]
            )
            | {"causes": _causes(row.causes)}
            for row in found.rows
        ],
        total=found.total,
        page=found.page,
        pages=found.pages,
    )


def _full(warning: Any) -> dict[str, Any]:
    """One warning with its suggestions; for hub staff each item with its nearest eligible live
    offers (the administrator, who reads but does not work warnings: the items only)."""
    session = get_session()
    actor = me()
    event = session.get(MonitoringEvent, warning.event_id)
    if actor.role == Role.HUB_STAFF:
        found = suggestions.for_warning(
            session, actor=actor, warning=warning, policy=suggestions.Policy.of(current_app.config)
        )
        causes, items = (
            found.causes,
            [
                {
                    "item": item,
                    "offers": [
                        {
                            "offer_id": o.offer_id,
                            "title": o.title,
                            "organisation": o.org_name,
                            "remaining": o.remaining,
                            "distance_km": o.distance_km,
                        }
                        for o in found.offers.get(item, ())
                    ],
                }
                for item in found.items
            ],
        )
    else:
        row = warnings_service.queue_row(session, warning)
        causes, items = row.causes, [{"item": i} for i in row.items]
    referrals, needs = warnings_service.outcome_of(session, warning)
    return warnings_service.as_dict(warning, event, suggestions=items) | {
        "causes": _causes(causes),
        "findings": warning.findings,
        "outcome_note": warning.outcome_note,
        "referral_ids": [r.id for r in referrals],
        "need_ids": needs,
    }


@bp.get("/warnings/<int:warning_id>")
@api_auth(Role.HUB_STAFF, Role.ADMIN)
def get_warning(warning_id: int) -> ResponseReturnValue:
    warning = warnings_service.get_for_staff(get_session(), actor=me(), warning_id=warning_id)
    return jsonify(_full(warning))


@bp.post("/warnings/<int:warning_id>/check")
@api_auth(Role.HUB_STAFF)
def check_warning(warning_id: int) -> ResponseReturnValue:
    data = body()
    warning = warnings_service.record_check(
        get_session(),
        actor=me(),
        warning_id=warning_id,
        mode=data.get("check_mode"),
        findings=data.get("findings"),
    )
    return jsonify(_full(warning))


@bp.post("/warnings/<int:warning_id>/close")
@api_auth(Role.HUB_STAFF)
def close_warning(warning_id: int) -> ResponseReturnValue:
    """Close with an outcome; a second close: 409; bad input: 422 naming the field, nothing
    stored."""
    data = body()
    closed = warnings_service.close(
        get_session(),
        actor=me(),
        warning_id=warning_id,
        outcome=data.get("outcome"),
        policy_items=data.get("policy_items"),
        need_items=data.get("need_items"),
        note=data.get("note"),
        check_mode=data.get("check_mode"),
        findings=data.get("findings"),
    )
    event = get_session().get(MonitoringEvent, closed.warning.event_id)
    return jsonify(
        warnings_service.as_dict(closed.warning, event)
        | {
            "findings": closed.warning.findings,
            "outcome_note": closed.warning.outcome_note,
            "referral_ids": closed.referral_ids,
            "need_ids": closed.need_ids,
        }
    )


@bp.get("/referrals")
@api_auth(Role.HUB_STAFF)
def list_referrals() -> ResponseReturnValue:
    """The policy referrals of the caller's area, newest first (``status`` filters)."""
    found = warnings_service.referrals(
        get_session(), actor=me(), status=request.args.get("status") or None, page=_page()
    )
    return jsonify(
        items=[warnings_service.referral_dict(r.referral) for r in found.rows],
        total=found.total,
        page=found.page,
        pages=found.pages,
    )


@bp.patch("/referrals/<int:referral_id>")
@api_auth(Role.HUB_STAFF)
def update_referral(referral_id: int) -> ResponseReturnValue:
    """Move a referral on (referred → in_progress → done | declined); 409 for another move."""
    data = body() if request.content_length else {}  # no body: the service names ``status``
    referral = warnings_service.update_referral(
        get_session(),
        actor=me(),
        referral_id=referral_id,
        status=data.get("status"),
        note=data.get("note"),
        since=data.get("since"),
        amount_yuan=data.get("amount_yuan"),
        service=data.get("service"),
    )
    return jsonify(warnings_service.referral_dict(referral))
