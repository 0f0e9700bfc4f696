"""Blueprint ``member``: the 爱心积分 leaderboards (members, Party branches, organisations; this
month, this year or all time) and the member's choice to appear on them by name
(services/leaderboards.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from marketplace.db import get_session
from marketplace.member.blueprint import bp
from marketplace.models import Branch, Role
from marketplace.services import leaderboards
from marketplace.web.access import role_required
from marketplace.web.helpers import EmptyForm, board_period, me

__all__ = ["bp"]


@bp.get("/leaderboard")
@role_required(Role.MEMBER)
def leaderboard() -> ResponseReturnValue:
    db = get_session()
    user = me()
    period, cache = board_period()
    branch = db.get(Branch, user.branch_id) if user.branch_id is not None else None
    return render_template(
        "member/leaderboard.html",
        period=period,
        periods=leaderboards.PERIODS,
        mine=leaderboards.totals(db, member_id=user.id, period=period),
        members=leaderboards.member_board(db, period=period, viewer_id=user.id, max_age_s=cache),
        branch=branch,
        branch_members=(
            leaderboards.member_board(
                db, period=period, branch_id=branch.id, viewer_id=user.id, limit=20
            )
            if branch is not None
            else []
        ),
        branches=leaderboards.branch_board(
            db, period=period, mine={branch.id} if branch and branch.id else set(), max_age_s=cache
        ),
        orgs=leaderboards.org_board(db, period=period, max_age_s=cache),
        show_name=user.show_name_on_boards,
        form=EmptyForm(),
        endpoint="member.leaderboard",
    )


@bp.post("/leaderboard/name")
@role_required(Role.MEMBER)
def board_name() -> ResponseReturnValue:
    """Show my name on the leaderboards, or not (a checkbox)."""
    if EmptyForm().validate_on_submit():
        show = request.form.get("show_name") in ("1", "on", "y")
        leaderboards.set_show_name(get_session(), actor=me(), show=show)
        flash(
            _("Your name now shows on the leaderboards.")
            if show
            else _("You now show on the leaderboards as your masked name."),
            "success",
        )
    back = request.form.get("next", "")
    target = url_for("member.records") if back == "records" else url_for("member.leaderboard")
    return redirect(target)
