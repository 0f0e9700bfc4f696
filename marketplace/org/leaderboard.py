"""Blueprint ``org``: the 爱心积分 leaderboards an organisation sees — organisations city-wide and,
for a Party organisation, its own branches and their members (services/leaderboards.py)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from marketplace.db import get_session
from marketplace.models import Role
from marketplace.org.blueprint import bp
from marketplace.services import branches, leaderboards
from marketplace.web.access import role_required
from marketplace.web.helpers import board_period, me

__all__ = ["bp"]


@bp.get("/leaderboard")
@role_required(Role.ORG)
def leaderboard() -> ResponseReturnValue:
    db = get_session()
    user = me()
    period, cache = board_period()
    party = branches.is_party_account(db, user)
    org_id = user.org_id
    return render_template(
        "org/leaderboard.html",
        period=period,
        periods=leaderboards.PERIODS,
        mine=leaderboards.totals(db, org_id=org_id, period=period) if org_id else None,
        orgs=leaderboards.org_board(
            db, period=period, mine={org_id} if org_id else set(), max_age_s=cache
        ),
        party=party,
        branches=(
            leaderboards.branch_board(db, period=period, org_id=org_id, limit=50)
            if party and org_id
            else []
        ),
        members=(
            leaderboards.member_board(db, period=period, org_id=org_id, limit=20)
            if party and org_id
            else []
        ),
        endpoint="org.leaderboard",
    )
