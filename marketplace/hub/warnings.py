"""Blueprint ``hub``: 预警 — the street's warning queue (oldest due first), one warning with its
event, household and suggestions (帮扶建议), the check (phone or home visit) and the close with
one of three outcomes; and the policy referrals (政策救助转介) with their status moves."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from marketplace.db import get_session
from marketplace.hub.blueprint import bp
from marketplace.models import (
    Household,
    MonitoringEvent,
    ReferralStatus,
    Role,
    WarningLevel,
    WarningOutcome,
)
from marketplace.services import regions, suggestions
from marketplace.services import warnings as warnings_service
from marketplace.services.errors import ServiceError
from marketplace.web.access import role_required
from marketplace.web.helpers import EmptyForm, me
from marketplace.web.messages import render


def _flag(raw: str | None) -> bool | None:
    return {"1": True, "0": False}.get(raw or "")


@bp.get("/warnings")
@role_required(Role.HUB_STAFF)
def warnings() -> ResponseReturnValue:
    """The queue: open warnings oldest due first (or closed ones, newest first), by level and
    overdue."""
    status = request.args.get("status", "open")
    if status not in ("open", "closed"):
        status = "open"
    level = request.args.get("level", "")
    if level not in {lv.value for lv in WarningLevel}:
        level = ""
    overdue = _flag(request.args.get("overdue"))
    page = warnings_service.queue(
        get_session(),
        actor=me(),
        status=status,
        level=level or None,
        overdue=overdue,
        page=request.args.get("page", 1, type=int) or 1,
    )
    args = {
        k: v
        for k, v in (("status", status), ("level", level), ("overdue", request.args.get("overdue")))
        if v
    }
    return render_template(
        "hub/warnings.html",
        page=page,
        status=status,
        level=level,
        overdue=overdue,
        args=args,
        item_names=regions.item_names(get_session()),
    )


def _detail(warning_id: int, *, errors: dict[str, str] | None = None, posted: Any = None) -> str:
    db = get_session()
    warning = warnings_service.get_for_staff(db, actor=me(), warning_id=warning_id)
    found = suggestions.for_warning(
        db, actor=me(), warning=warning, policy=suggestions.Policy.of(current_app.config)
    )
    referrals, need_ids = warnings_service.outcome_of(db, warning)
    if posted is not None:
        checked_needs = set(posted.getlist("need_items"))
        checked_policies = set(posted.getlist("policy_items"))
    else:
        checked_needs, checked_policies = set(found.items), set()
    return render_template(
        "hub/warning_detail.html",
        w=warning,
        event=db.get(MonitoringEvent, warning.event_id),
        h=db.get(Household, warning.household_id),
        suggestions=found,
        item_names=regions.item_names(db),
        groups=regions.taxonomy_groups(db),
        policy_categories=warnings_service.policy_categories(),
        policy_names={c: i for c, i in warnings_service.policy_items().items()},
        referrals=referrals,
        need_ids=need_ids,
        checked_needs=checked_needs,
        checked_policies=checked_policies,
        errors=errors or {},
        posted=posted,
        overdue=warnings_service.is_overdue(warning),
        form=EmptyForm(),
    )


@bp.get("/warnings/<int:warning_id>")
@role_required(Role.HUB_STAFF)
def warning_detail(warning_id: int) -> ResponseReturnValue:
    return _detail(warning_id)


def _invalid(warning_id: int, exc: ServiceError) -> ResponseReturnValue:
    if not exc.errors:
        raise exc
    errors = {name: render(m) for name, m in exc.errors.items()}
    return _detail(warning_id, errors=errors, posted=request.form), exc.status


@bp.post("/warnings/<int:warning_id>/check")
@role_required(Role.HUB_STAFF)
def warning_check(warning_id: int) -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("hub.warning_detail", warning_id=warning_id))
    try:
        warnings_service.record_check(
            get_session(),
            actor=me(),
            warning_id=warning_id,
            mode=request.form.get("check_mode"),
            findings=request.form.get("findings", ""),
        )
    except ServiceError as exc:
        return _invalid(warning_id, exc)
    flash(_("Check recorded."), "success")
    return redirect(url_for("hub.warning_detail", warning_id=warning_id))


@bp.post("/warnings/<int:warning_id>/close")
@role_required(Role.HUB_STAFF)
def warning_close(warning_id: int) -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("hub.warning_detail", warning_id=warning_id))
    outcome = request.form.get("outcome", "")
    try:
        closed = warnings_service.close(
            get_session(),
            actor=me(),
            warning_id=warning_id,
            outcome=outcome,
            # Only the chosen outcome's boxes count (the others may stay ticked in the form).
            policy_items=request.form.getlist("policy_items")
            if outcome == WarningOutcome.REFER_POLICY.value
            else [],
            need_items=request.form.getlist("need_items")
            if outcome == WarningOutcome.REFER_HUB.value
            else [],
            note=request.form.get("note", ""),
            check_mode=request.form.get("check_mode") or None,
            findings=request.form.get("findings") if request.form.get("check_mode") else None,
        )
    except ServiceError as exc:
        return _invalid(warning_id, exc)
    if closed.need_ids:
        flash(
            ngettext(
                "Warning closed: %(num)s need was created and awaits review.",
                "Warning closed: %(num)s needs were created and await review.",
                len(closed.need_ids),
            ),
            "success",
        )
    elif closed.referral_ids:
        flash(
            ngettext(
                "Warning closed: %(num)s referral to policy assistance.",
                "Warning closed: %(num)s referrals to policy assistance.",
                len(closed.referral_ids),
            ),
            "success",
        )
    else:
        flash(_("Warning closed."), "success")
    return redirect(url_for("hub.warning_detail", warning_id=warning_id, _anchor="outcome"))


@bp.get("/referrals")
@role_required(Role.HUB_STAFF)
def referrals() -> ResponseReturnValue:
    status = request.args.get("status", "")
    if status not in {s.value for s in ReferralStatus}:
        status = ""
    page = warnings_service.referrals(
        get_session(),
        actor=me(),
        status=status or None,
        page=request.args.get("page", 1, type=int) or 1,
    )
    return render_template(
        "hub/referrals.html",
        page=page,
        status=status,
        args={"status": status} if status else {},
        policy_names=warnings_service.policy_items(),
        moves=warnings_service.REFERRAL_MOVES,
        form=EmptyForm(),
    )


@bp.post("/referrals/<int:referral_id>")
@role_required(Role.HUB_STAFF)
def referral_update(referral_id: int) -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("hub.referrals"))
    try:
        warnings_service.update_referral(
            get_session(),
            actor=me(),
            referral_id=referral_id,
            status=request.form.get("status"),
            note=request.form.get("note", ""),
            since=request.form.get("since"),
            amount_yuan=request.form.get("amount_yuan"),
            service=request.form.get("service", ""),
        )
    except ServiceError as exc:
        if not exc.errors:
            raise
        for message in exc.errors.values():
            flash(render(message), "error")
        return redirect(url_for("hub.referrals", _anchor=f"referral-{referral_id}"))
    flash(_("Referral updated."), "success")
    return redirect(url_for("hub.referrals", _anchor=f"referral-{referral_id}"))
