"""JSON API v1: 探访关爱 visits and 结对帮扶 pairings (DESIGN §10, issue 14 items 4, 5, 9). Thin:
parse, call one service (``services/visits.py``, ``services/pairings.py``), serialise."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue

from marketplace.api.blueprint import api_auth, body, bp, created, me
from marketplace.db import get_session
from marketplace.models import Pairing, Role
from marketplace.services import pairings, schedules, visits

__all__ = ["bp"]


def _pairing_json(p: Pairing) -> dict[str, object]:
    return {
        "id": p.id,
        "household_id": p.household_id,
        "member_id": p.member_id,
        "org_id": p.org_id,
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "ended_at": p.ended_at.isoformat() if p.ended_at else None,
        "reason": p.reason,
    }


@bp.post("/visits")
@api_auth(Role.HUB_STAFF, Role.MEMBER, Role.ORG)
def record_visit() -> ResponseReturnValue:
    """A visit by hub staff (their subtree) or the household's paired helper (else 404)."""
    data = body()
    visit = visits.record_visit(
        get_session(),
        actor=me(),
        household_id=data.get("household_id"),
        visited_on=data.get("visited_on"),
        mode=data.get("mode"),
        note=data.get("note", ""),
        findings=data.get("findings", ""),
        event_kind=data.get("event_kind"),
        intervals=schedules.VisitIntervals.of(current_app.config),
    )
    return created(visits.visit_json(visit, staff=me().role == Role.HUB_STAFF))


@bp.get("/visits/due")
@api_auth(Role.HUB_STAFF)
def visits_due() -> ResponseReturnValue:
    """Households of the caller's area whose visit falls due within 7 days (or overdue only)."""
    found, rows = visits.visits_due(
        get_session(),
        actor=me(),
        scope=request.args.get("region", "")[:12] or None,
        overdue=request.args.get("overdue", "") in ("1", "true", "yes"),
        page=request.args.get("page", 1, type=int) or 1,
    )
    return jsonify(
        {
            "items": [visits.due_json(r) for r in rows],
            "total": found.total,
            "page": found.page,
            "pages": found.pages,
        }
    )


@bp.post("/pairings")
@api_auth(Role.HUB_STAFF)
def create_pairing() -> ResponseReturnValue:
    data = body()
    pairing = pairings.pair(
        get_session(),
        actor=me(),
        household_id=data.get("household_id"),
        member_id=data.get("member_id"),
        org_id=data.get("org_id"),
        start=data.get("start"),
        end=data.get("end"),
    )
    return created(_pairing_json(pairing))


@bp.delete("/pairings/<int:pairing_id>")
@api_auth(Role.HUB_STAFF)
def end_pairing(pairing_id: int) -> ResponseReturnValue:
    """End a pairing early; an optional reason in the body or ?reason=."""
    data = body() if request.get_data() else {}
    reason = data.get("reason", request.args.get("reason", ""))
    pairing = pairings.end_pairing(get_session(), actor=me(), pairing_id=pairing_id, reason=reason)
    return jsonify(_pairing_json(pairing))


@bp.get("/me/pairings")
@api_auth(Role.MEMBER, Role.ORG)
def my_pairings() -> ResponseReturnValue:
    """The caller's paired households, masked, with the hub to call and the next visit due."""
    return jsonify(
        {"items": [p.as_json() for p in pairings.my_pairings(get_session(), actor=me())]}
    )
