"""Blueprint ``rounds``: hub staff (their area) and the administrator (the city) run match rounds
and accept, reject or lock the proposals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

import matching
from marketplace import jobs
from marketplace.db import get_session
from marketplace.models import ProposalStatus, Role
from marketplace.rounds.forms import DecisionForm
from marketplace.services import exports, fairness, priority_stats, rounds
from marketplace.web.access import role_required
from marketplace.web.helpers import EmptyForm, me, xlsx_response
from marketplace.web.labels import DRAW_BAND_LABELS, HARDSHIP_LABELS, export_words
from marketplace.web.messages import render, round_message

bp = Blueprint("rounds", __name__, url_prefix="/rounds")
PAGE = 50
UNMATCHED_SHOWN = 50  # the unserved needs listed with their reasons


@bp.get("/")
@role_required(Role.HUB_STAFF, Role.ADMIN)
def index() -> ResponseReturnValue:
    session = get_session()
    listed = rounds.rounds_in_scope(session, actor=me())
    settings = rounds.settings_from_config(current_app.config)
    choices = rounds.scope_choices(session, me())
    scope = request.args.get("scope", "")[:12] or None
    if scope not in {code for code, _name in choices}:
        scope = None  # an area not offered here: the actor's own
    return render_template(
        "rounds/index.html",
        rounds=listed,
        scope_names=rounds.scope_names(session, listed),
        preview=rounds.preview(session, actor=me(), settings=settings, scope_code=scope),
        scope=scope,
        scope_choices=choices,
        form=EmptyForm(),
    )


@bp.post("/start")
@role_required(Role.HUB_STAFF, Role.ADMIN)
def start() -> ResponseReturnValue:
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("rounds.index"))
    session = get_session()
    match_round = rounds.start_round(
        session, actor=me(), scope_code=request.form.get("scope", "")[:12] or None
    )
    jobs.enqueue_round(match_round.id or 0)
    flash(_("The match round has started; this page shows its progress."), "success")
    return redirect(url_for("rounds.detail", round_id=match_round.id))


@bp.get("/<int:round_id>")
@role_required(Role.HUB_STAFF, Role.ADMIN)
def detail(round_id: int) -> ResponseReturnValue:
    session = get_session()
    match_round = rounds.get_round(session, actor=me(), round_id=round_id)
    status = request.args.get("status") or None
    if status not in {s.value for s in ProposalStatus}:
        status = None
    cursor = request.args.get("cursor", type=int)
    rows = rounds.proposal_rows(
        session, actor=me(), round_id=round_id, status=status, after_id=cursor, limit=PAGE
    )
    settings = rounds.settings_from_config(current_app.config)
    unmatched_filter = _unmatched_filter()
    return render_template(
        "rounds/detail.html",
        round=match_round,
        scope_names=rounds.scope_names(session, [match_round]),
        prio_rows=priority_stats.round_rows(session, match_round),
        rows=rows,
        unmatched=rounds.unmatched_summary(session, actor=me(), round_id=round_id),
        unmatched_rows=rounds.unmatched_rows(
            session,
            actor=me(),
            round_id=round_id,
            settings=settings,
            limit=UNMATCHED_SHOWN,
            f=unmatched_filter,
        ),
        unmatched_shown=UNMATCHED_SHOWN,
        unmatched_filter=unmatched_filter,
        unmatched_total=rounds.unmatched_count(
            session, actor=me(), round_id=round_id, f=unmatched_filter
        ),
        unmatched_choices=rounds.unmatched_choices(session, actor=me(), round_id=round_id),
        status=status,
        statuses=list(ProposalStatus),
        next_cursor=rows[-1].proposal.id if len(rows) == PAGE else None,
        form=EmptyForm(),
        decision_form=DecisionForm(),
    )


def _unmatched_filter() -> rounds.UnmatchedFilter:
    """The unserved needs' filter from the query string (``reason``, ``district``, ``item``);
    a value of the wrong shape is ignored."""
    reason = request.args.get("reason", "")
    district = request.args.get("district", "")
    item = request.args.get("item", "")
    return rounds.UnmatchedFilter(
        reason=reason if reason in matching.REASON_CODES else "",
        district=district if district.isdigit() and len(district) == 6 else "",
        item=item if len(item) == 5 and item[2] == "-" else "",
    )


@bp.get("/<int:round_id>/unmatched.xlsx")
@role_required(Role.HUB_STAFF, Role.ADMIN)
def unmatched_xlsx(round_id: int) -> ResponseReturnValue:
    """The round's unserved needs (with the page's filter) as an Excel workbook."""
    return xlsx_response(
        exports.round_unmatched(
            get_session(),
            actor=me(),
            round_id=round_id,
            f=_unmatched_filter(),
            settings=rounds.settings_from_config(current_app.config),
            words=export_words(),
            explain=render,
        ),
        f"round-{round_id}-unserved",
    )


@bp.get("/<int:round_id>/status.json")
@role_required(Role.HUB_STAFF, Role.ADMIN)
def status_json(round_id: int) -> ResponseReturnValue:
    match_round = rounds.get_round(get_session(), actor=me(), round_id=round_id)
    return jsonify(
        status=match_round.status,
        progress=match_round.progress,
        message=round_message(match_round),
    )


@bp.post("/proposals/<int:proposal_id>/<any(accept, reject, lock):action>")
@role_required(Role.HUB_STAFF, Role.ADMIN)
def decide(proposal_id: int, action: str) -> ResponseReturnValue:
    form = DecisionForm()
    session = get_session()
    round_id = request.form.get("round_id", type=int)
    if not form.validate_on_submit():
        flash(_("The form expired; please try again."), "error")
    elif action == "accept":
        rounds.accept_proposal(
            session,
            actor=me(),
            proposal_id=proposal_id,
            settings=rounds.settings_from_config(current_app.config),
        )
        flash(_("Accepted: the organisation has been notified."), "success")
    elif action == "reject":
        rounds.reject_proposal(
            session, actor=me(), proposal_id=proposal_id, reason=form.reason.data or ""
        )
        flash(_("Proposal rejected."), "success")
    else:
        rounds.lock_proposal(
            session, actor=me(), proposal_id=proposal_id, reason=form.reason.data or ""
        )
        flash(_("Proposal held for later."), "success")
    if round_id:
        return redirect(url_for("rounds.detail", round_id=round_id) + f"#proposal-{proposal_id}")
    return redirect(url_for("rounds.index"))


# The fairness report (DESIGN §12): per round, and per month for the viewer's area ---------------


def _chart_data(report: fairness.FairnessReport) -> dict[str, Any]:
    """The report's breakdowns as the page's charts read them (names in the reader's language;
    the same figures are in the page's tables)."""

    def rows(groups: list[fairness.Group], name: Callable[[fairness.Group], str]) -> list[Any]:
        return [
            {
                "name": name(g),
                "needs": g.needs,
                "served": g.served,
                "share": None if g.share is None else round(g.share * 100, 1),
                "wait": g.median_wait_days,
            }
            for g in groups
        ]

    return {
        "labels": {
            "share": _("Served share"),
            "wait": _("Median wait of the served (days)"),
        },
        "by_level": rows(report.by_level, lambda g: _("Level %(n)s", n=g.key)),
        "by_district": rows(report.by_district, lambda g: g.name),
        "by_hardship": rows(report.by_hardship, lambda g: str(HARDSHIP_LABELS.get(g.key, g.key))),
    }


def _fairness_page(report: fairness.FairnessReport) -> ResponseReturnValue:
    return render_template(
        "rounds/fairness.html",
        report=report,
        chart=_chart_data(report),
        level_name=lambda g: _("Level %(n)s", n=g.key),
        hardship_name=lambda g: str(HARDSHIP_LABELS.get(g.key, g.key)),
        district_name=lambda g: g.name,
        draw_band_name=lambda band: str(DRAW_BAND_LABELS.get(band, band)),
        xlsx_url=(
            url_for("rounds.round_fairness_xlsx", round_id=report.round_id)
            if report.round_id
            else url_for("rounds.month_fairness_xlsx", month=report.month)
        ),
    )


@bp.get("/<int:round_id>/fairness")
@role_required(Role.HUB_STAFF, Role.ADMIN)
def round_fairness(round_id: int) -> ResponseReturnValue:
    return _fairness_page(fairness.round_report(get_session(), actor=me(), round_id=round_id))


@bp.get("/fairness")
@role_required(Role.HUB_STAFF, Role.ADMIN)
def month_fairness() -> ResponseReturnValue:
    month = fairness.parse_month(request.args.get("month", "")[:16])
    return _fairness_page(fairness.month_report(get_session(), actor=me(), month=month))


@bp.get("/<int:round_id>/fairness.xlsx")
@role_required(Role.HUB_STAFF, Role.ADMIN)
def round_fairness_xlsx(round_id: int) -> ResponseReturnValue:
    session = get_session()
    report = fairness.round_report(session, actor=me(), round_id=round_id)
    body = exports.fairness(session, report, actor=me(), words=export_words())
    return xlsx_response(body, f"round-{round_id}-fairness")


@bp.get("/fairness.xlsx")
@role_required(Role.HUB_STAFF, Role.ADMIN)
def month_fairness_xlsx() -> ResponseReturnValue:
    session = get_session()
    month = fairness.parse_month(request.args.get("month", "")[:16])
    report = fairness.month_report(session, actor=me(), month=month)
    body = exports.fairness(session, report, actor=me(), words=export_words())
    return xlsx_response(body, f"fairness-{month}")
