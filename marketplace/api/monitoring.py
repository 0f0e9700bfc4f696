"""JSON API v1: 监测数据变动 — monitoring events pushed by hub staff and other departments'
systems (``dept``: API only), members' and organisations' discovery reports (主动发现), and the
street's leads (线索). Thin: parse, call one service (``services/monitoring.py``), serialise."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from sqlmodel import Session

from marketplace.api.blueprint import api_auth, body, bp, created, me
from marketplace.db import get_session
from marketplace.models import Lead, LeadStatus, MonitoringEvent, RiskWarning, Role
from marketplace.services import monitoring

__all__ = ["bp"]


@bp.post("/monitoring-events")
@api_auth(Role.HUB_STAFF, Role.DEPT)
def push_event() -> ResponseReturnValue:
    """One event: hub staff by household id (their area) or ID number; a department's system by
    resident ID number + community code. 201 with the event and the warning it raised, or, for
    a resident we do not know, the lead it became. A batch, ``{"events": [...]}`` (up to 1,000):
    all stored or none (422 with errors keyed ``events[<i>].<field>``); 201 with one such answer
    per event, in order, and the count."""
    data = body()
    session = get_session()
    if "events" in data:
        stored = monitoring.record_events(session, actor=me(), items=data["events"])
        answers = [_answer(session, event, warning) for event, warning in stored]
        return created({"events": answers, "count": len(answers)})
    event, warning = monitoring.record_event(
        session, actor=me(), **{k: data.get(k) for k in monitoring.EVENT_FIELDS}
    )
    return created(_answer(session, event, warning))


def _answer(
    session: Session, event: MonitoringEvent, warning: RiskWarning | None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event": monitoring.event_dict(event),
        "warning": monitoring.warning_dict(warning, event),
    }
    if event.lead_id is not None:  # created in this request: read from the session, no query
        payload["lead"] = monitoring.lead_receipt(session.get_one(Lead, event.lead_id))
    return payload


@bp.get("/monitoring-events/<int:event_id>")
@api_auth(Role.HUB_STAFF, Role.DEPT)
def event_status(event_id: int) -> ResponseReturnValue:
    """What became of an event, for the account that submitted it (others: 404)."""
    return monitoring.event_status(get_session(), actor=me(), event_id=event_id)


@bp.post("/discoveries")
@api_auth(Role.MEMBER, Role.ORG)
def report_discovery() -> ResponseReturnValue:
    """主动发现: someone in difficulty in a community; a lead for its street hub. The receipt
    says only the lead's number, status and due time."""
    data = body()
    lead = monitoring.report_discovery(
        get_session(),
        actor=me(),
        community_code=data.get("community_code"),
        description=data.get("description"),
        contact=data.get("contact", ""),
    )
    return created(monitoring.lead_receipt(lead))


@bp.get("/leads")
@api_auth(Role.HUB_STAFF)
def list_leads() -> ResponseReturnValue:
    """The leads of the caller's area: open ones oldest due first, others newest first."""
    status = request.args.get("status", LeadStatus.OPEN.value)[:16]
    page = request.args.get("page", 1, type=int) or 1
    found = monitoring.list_leads(get_session(), actor=me(), status=status, page=page)
    return {
        "items": [monitoring.lead_dict(lead, found.community_names) for lead in found.items],
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
    }


@bp.post("/leads/<int:lead_id>/register")
@api_auth(Role.HUB_STAFF)
def register_lead(lead_id: int) -> ResponseReturnValue:
    """The household of a lead is registered (its id): the lead is done, its events move to it."""
    lead = monitoring.register_lead(
        get_session(), actor=me(), lead_id=lead_id, household_id=body().get("household_id")
    )
    return monitoring.lead_dict(lead)


@bp.post("/leads/<int:lead_id>/close")
@api_auth(Role.HUB_STAFF)
def close_lead(lead_id: int) -> ResponseReturnValue:
    """Checked, nothing to register: closed with a note (a second close: 409)."""
    lead = monitoring.close_lead(
        get_session(), actor=me(), lead_id=lead_id, note=body().get("note")
    )
    return monitoring.lead_dict(lead)
