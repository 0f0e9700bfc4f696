"""JSON API v1: 一户一档 — edits of households, needs and offers, the history of a household's
changes, its lifecycle (services/casefile.py)."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue

from marketplace.api import serialise
from marketplace.api.blueprint import api_auth, body, bp, me
from marketplace.db import get_session
from marketplace.models import Role
from marketplace.services import casefile, offers
from marketplace.services.access import (
    get_household_for_staff,
    get_need_for_staff,
    get_offer_for_org,
)
from marketplace.services.errors import ValidationFailed

HISTORY_MAX = 200


@bp.patch("/households/<int:household_id>")
@api_auth(Role.HUB_STAFF)
def edit_household(household_id: int) -> ResponseReturnValue:
    """Correct a household (the fields of registration, checked the same way); the new state."""
    session = get_session()
    get_household_for_staff(session, household_id, me())  # out of scope: 404 before any 422
    household = casefile.edit_household(
        session, actor=me(), household_id=household_id, changes=body()
    )
    return jsonify(serialise.household_full(household))


@bp.get("/households/<int:household_id>/history")
@api_auth(Role.HUB_STAFF)
def household_history(household_id: int) -> ResponseReturnValue:
    """变更记录: one row per changed field, newest first, personal values masked. A page of
    ``limit`` audit entries; the next page's ``cursor`` is in the ``X-Next-Cursor`` header."""
    cursor = request.args.get("cursor", type=int)
    limit = request.args.get("limit", 50, type=int)
    if limit < 1 or limit > HISTORY_MAX:
        raise ValidationFailed({"limit": "field.invalid"})
    page = casefile.history(
        get_session(), actor=me(), household_id=household_id, cursor=cursor, limit=limit
    )
    response = jsonify([row.as_json() for row in page.rows])
    if page.next_cursor is not None:
        response.headers["X-Next-Cursor"] = str(page.next_cursor)
    return response


@bp.post("/households/<int:household_id>/lifecycle")
@api_auth(Role.HUB_STAFF)
def household_lifecycle(household_id: int) -> ResponseReturnValue:
    """Move the household to ``stage`` with a ``reason``; the new state."""
    session = get_session()
    get_household_for_staff(session, household_id, me())
    data = body()
    household = casefile.move_stage(
        session,
        actor=me(),
        household_id=household_id,
        stage=data.get("stage"),
        reason=data.get("reason"),
        gradual_exit_days=int(current_app.config["GRADUAL_EXIT_DAYS"]),
    )
    return jsonify(serialise.household_full(household))


@bp.patch("/needs/<int:need_id>")
@api_auth(Role.HUB_STAFF)
def edit_need(need_id: int) -> ResponseReturnValue:
    """Edit a need: all of it before it is claimed or proposed, its wording after (409)."""
    session = get_session()
    get_need_for_staff(session, need_id, me())
    need = casefile.edit_need(session, actor=me(), need_id=need_id, changes=body())
    return jsonify(serialise.need_staff(need))


@bp.patch("/offers/<int:offer_id>")
@api_auth(Role.ORG)
def edit_offer(offer_id: int) -> ResponseReturnValue:
    """Edit one of your offers; capacity not below what is taken (422 on ``capacity``)."""
    session = get_session()
    get_offer_for_org(session, offer_id, me())
    offer = casefile.edit_offer(session, actor=me(), offer_id=offer_id, changes=body())
    return jsonify(serialise.offer(offer, live=offers.is_live(session, offer)))
