"""Blueprint ``main``: home page, language and large-text switches, notifications."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_required

from marketplace.db import get_session
from marketplace.models import Notification, Role
from marketplace.services import certificates, notifications, wishes
from marketplace.services.messages import Message
from marketplace.web.helpers import EmptyForm, back, me, safe_next
from marketplace.web.i18n import LANGUAGES
from marketplace.web.labels import NOTIFICATION_LABELS
from marketplace.web.messages import render

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("main/index.html", counters=wishes.public_counts(get_session()))


@bp.get("/lang/<code>")
def set_language(code: str) -> ResponseReturnValue:
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    return redirect(safe_next(request.args.get("next")) or url_for("main.index"))


@bp.post("/large-text")
def toggle_large_text() -> ResponseReturnValue:
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    session["large_text"] = not session.get("large_text", False)
    return redirect(back(url_for("main.index")))


@dataclass(frozen=True)
class NoticeView:
    """A notification as its reader sees it: heading, text and link in the reader's language."""

    notification: Notification
    heading: str
    text: str
    link: str | None


def _helper_blueprint() -> str:
    """A pairing's helper is a member or an organisation account: its own pages."""
    return "org" if current_user.role == Role.ORG else "member"


def _own_claims(n: Notification) -> str:
    """The deliverer's list: a member's claims (at this one), an organisation's assignments."""
    if me().role == Role.ORG:
        return url_for("org.assignments")
    return url_for("member.claims_list", _anchor=f"claim-{n.ref_id}" if n.ref_id else None)


def _claim_to_deliver(n: Notification) -> str:
    if n.ref_type == "claim" and n.ref_id:
        return url_for("member.deliver", claim_id=n.ref_id)
    return url_for("member.claims_list")


def _delivery_to_confirm(n: Notification) -> str:
    need = n.params.get("need")
    return url_for("hub.deliveries", _anchor=f"need-{need}" if need else None)


def _given_up(n: Notification) -> str:
    household = n.params.get("household")
    if household:
        return url_for("hub.household_detail", household_id=household)
    return url_for("hub.index")


def _warning(n: Notification) -> str:
    """A warning raised or escalated to the reader's hub; several at once: the queue."""
    if n.ref_type == "warning" and n.ref_id:
        return url_for("hub.warning_detail", warning_id=n.ref_id)
    return url_for("hub.warnings")


def _offer(n: Notification) -> str:
    return url_for("org.index", _anchor=f"offer-{n.ref_id}" if n.ref_id else None)


# Where each kind of notification leads its reader.
NOTICE_LINKS: dict[str, Callable[[Notification], str]] = {
    "delivery_confirmed": _own_claims,
    "delivery_rejected": _own_claims,
    "claim_expired": _own_claims,
    "assignment": lambda n: url_for("org.assignments"),
    "claim_expiring": _claim_to_deliver,
    "delivery_awaiting": _delivery_to_confirm,
    "delivery_overdue": _delivery_to_confirm,
    "offer_low": _offer,
    "claim_given_up": _given_up,
    "warning": _warning,
    "draw_won": _own_claims,
    "draw_lost": lambda n: url_for("member.claims_list", _anchor=f"draw-{n.ref_id}"),
    "pairing": lambda n: url_for(f"{_helper_blueprint()}.paired"),
    "paired_wish": lambda n: url_for("member.wish", wish_id=n.ref_id) if n.ref_id else "",
    "visit_finding": lambda n: url_for("hub.household_detail", household_id=n.ref_id),
}


def notice_view(n: Notification) -> NoticeView:
    link = NOTICE_LINKS.get(n.kind)
    return NoticeView(
        n,
        str(NOTIFICATION_LABELS.get(n.kind, "")),
        render(Message(n.code, n.params or {})),
        link(n) if link else None,
    )


@bp.get("/notifications")
@login_required
def notifications_list() -> ResponseReturnValue:
    rows = [notice_view(n) for n in notifications.recent(get_session(), current_user.id)]
    return render_template("main/notifications.html", rows=rows, form=EmptyForm())


@bp.post("/notifications/read")
@login_required
def notifications_read() -> ResponseReturnValue:
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    notifications.mark_all_read(get_session(), current_user.id)
    flash(gettext("All notifications marked as read."), "success")
    return redirect(url_for("main.notifications_list"))


@bp.get("/verify/<code>")
def verify(code: str) -> ResponseReturnValue:
    """Public: is this 志愿服务记录证明 genuine? Its fixed totals; nothing about households."""
    result = certificates.verify(get_session(), code)
    body = render_template("main/verify.html", v=result)
    return body, (200 if result.valid else 404), {"Cache-Control": "no-store"}
