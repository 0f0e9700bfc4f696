"""JSON API v1: campaigns (专项活动: 春风行动, 节日慰问) with their progress and branch leaderboard
(issue 16 items 6 and 8; services/campaigns.py)."""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from marketplace.api.blueprint import api_auth, body, bp, created, me
from marketplace.db import get_session
from marketplace.models import Role
from marketplace.services import campaigns

__all__ = ["bp"]


@bp.get("/campaigns")
@api_auth()
def list_campaigns() -> ResponseReturnValue:
    """Campaigns, newest first (hub staff: those reaching their area); ``running=1``: only
    those wishes may join now."""
    running = request.args.get("running", "") in ("1", "true")
    rows = campaigns.visible_campaigns(get_session(), me(), running_only=running)
    return jsonify(
        items=[campaigns.as_json(c) | {"running": campaigns.is_running(c)} for c in rows]
    )


@bp.post("/campaigns")
@api_auth(Role.ADMIN, Role.HUB_STAFF)
def create_campaign() -> ResponseReturnValue:
    campaign = campaigns.create_campaign(get_session(), actor=me(), data=body())
    return created(campaigns.as_json(campaign) | {"running": campaigns.is_running(campaign)})


@bp.get("/campaigns/<int:campaign_id>")
@api_auth()
def get_campaign(campaign_id: int) -> ResponseReturnValue:
    return jsonify(campaigns.page(get_session(), campaign_id, me()).as_json())


@bp.post("/campaigns/<int:campaign_id>/wishes")
@api_auth(Role.HUB_STAFF)
def tag_campaign_wishes(campaign_id: int) -> ResponseReturnValue:
    """Add open wishes of the caller's area to a running campaign: all of them or none."""
    added = campaigns.tag_wishes(
        get_session(), actor=me(), campaign_id=campaign_id, need_ids=body().get("need_ids")
    )
    return jsonify(added=added, progress=campaigns.progress(get_session(), campaign_id).as_json())
