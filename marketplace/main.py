"""Blueprint ``main``: home page, language and large-text switches, notifications.

Also the small helpers every page blueprint shares: Chinese/English labels of the domain codes,
translation of the services' English messages, attaching service errors to form fields.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Form
from wtforms.fields.choices import SelectChoice

from marketplace.db import get_session
from marketplace.services import notifications
from marketplace.services.ui_queries import home_counters

bp = Blueprint("main", __name__)

LANGUAGES = ("zh_CN", "en")

HARDSHIP_LABELS = {
    "bottom": _l("Basic guarantee"),
    "expense": _l("Expenditure-driven"),
    "emergency": _l("Emergency"),
    "development": _l("Developmental"),
    "care": _l("Care-needing"),
}
TAG_LABELS = {
    "elderly": _l("Elderly"),
    "disabled": _l("Has a disability"),
    "child": _l("Child"),
    "serious_illness": _l("Serious illness"),
    "single": _l("Living alone"),
    "unemployed": _l("Unemployed"),
}
NEED_STATUS_LABELS = {
    "pending_review": _l("Pending review"),
    "open": _l("Published"),
    "claimed": _l("Claimed"),
    "matched": _l("Matched"),
    "delivered": _l("Delivered, awaiting confirmation"),
    "confirmed": _l("Confirmed"),
    "cancelled": _l("Cancelled"),
    "expired": _l("Expired"),
}
CLAIM_STATUS_LABELS = {
    "active": _l("In progress"),
    "delivered": _l("Delivered, awaiting confirmation"),
    "confirmed": _l("Confirmed"),
    "expired": _l("Expired"),
    "cancelled": _l("Cancelled"),
}
KIND_LABELS = {"wish": _l("Micro-wish"), "service": _l("Service need")}
ORG_TYPE_LABELS = {
    "party_org": _l("Party organisation"),
    "ngo": _l("Social organisation"),
    "enterprise": _l("Caring enterprise"),
    "trust": _l("Charitable trust"),
}
ORG_STATUS_LABELS = {
    "pending": _l("Pending vetting"),
    "vetted": _l("Vetted"),
    "rejected": _l("Rejected"),
}
ROLE_LABELS = {
    "admin": _l("Administrator"),
    "hub_staff": _l("Hub staff"),
    "member": _l("Party member / volunteer"),
    "org": _l("Organisation"),
}
OFFER_STATUS_LABELS = {"live": _l("Live"), "closed": _l("Closed")}
ROUND_STATUS_LABELS = {
    "queued": _l("Queued"),
    "running": _l("Running"),
    "done": _l("Done"),
    "failed": _l("Failed"),
}
PROPOSAL_STATUS_LABELS = {
    "proposed": _l("Proposed"),
    "accepted": _l("Accepted"),
    "rejected": _l("Rejected"),
    "locked": _l("On hold"),
}
UNMATCHED_LABELS = {
    "no_offer_for_item": _l("No offer for the item"),
    "out_of_area": _l("Outside every offer's area"),
    "capacity_exhausted": _l("Offers full"),
    "household_cap": _l("Household's limit this round"),
    "not_eligible": _l("Not eligible"),
}
NOTIFICATION_LABELS = {
    "delivery_confirmed": _l("Delivery confirmed"),
    "delivery_rejected": _l("Delivery not confirmed"),
    "claim_expired": _l("Claim expired"),
    "assignment": _l("New assignment"),
    "claim_expiring": _l("Claim due soon"),
    "delivery_awaiting": _l("Delivery to confirm"),
    "delivery_overdue": _l("Overdue confirmation"),
    "offer_low": _l("Offer nearly used up"),
}

# Service messages with a variable part: (pattern, msgid with named placeholders).
_DYNAMIC_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^You already have (?P<n>\d+) open claims; deliver one first$"),
        "You already have %(n)s open claims; deliver one first",
    ),
    (
        re.compile(
            r"^Only a need pending review can be published \(this one is (?P<status>\w+)\)$"
        ),
        "Only a need pending review can be published (this one is %(status)s)",
    ),
    (
        re.compile(r"^This need can no longer be cancelled \(it is (?P<status>\w+)\)$"),
        "This need can no longer be cancelled (it is %(status)s)",
    ),
    (
        re.compile(
            r"^Only an active claim can be reported as delivered \(this one is (?P<status>\w+)\)$"
        ),
        "Only an active claim can be reported as delivered (this one is %(status)s)",
    ),
    (
        re.compile(r"^Password must have at least (?P<n>\d+) characters$"),
        "Password must have at least %(n)s characters",
    ),
    (re.compile(r"^The photo is larger than (?P<n>\d+) MB$"), "The photo is larger than %(n)s MB"),
    (re.compile(r"^Unknown taxonomy items: (?P<codes>.+)$"), "Unknown taxonomy items: %(codes)s"),
    (re.compile(r"^Unknown region codes: (?P<codes>.+)$"), "Unknown region codes: %(codes)s"),
    (re.compile(r"^Delivery confirmed: (?P<title>.+)$"), "Delivery confirmed: %(title)s"),
    (re.compile(r"^Delivery not confirmed: (?P<title>.+)$"), "Delivery not confirmed: %(title)s"),
    (
        re.compile(r"^Your claim is due within a day: (?P<title>.+)$"),
        "Your claim is due within a day: %(title)s",
    ),
    (
        re.compile(r"^A delivery awaits your confirmation: (?P<title>.+)$"),
        "A delivery awaits your confirmation: %(title)s",
    ),
    (
        re.compile(r"^Overdue: a delivery waits past its confirmation deadline: (?P<title>.+)$"),
        "Overdue: a delivery waits past its confirmation deadline: %(title)s",
    ),
    (
        re.compile(r"^Offer nearly used up \((?P<r>\d+) of (?P<c>\d+) left\): (?P<title>.+)$"),
        "Offer nearly used up (%(r)s of %(c)s left): %(title)s",
    ),
)
_STATUS_WORDS = NEED_STATUS_LABELS | CLAIM_STATUS_LABELS


def translate_message(message: Any) -> str:
    """A service's English message in the user's language (constant or with a variable part)."""
    if message is None:
        return ""
    text = str(message)
    translated = gettext(text)
    if translated != text:
        return translated
    for pattern, msgid in _DYNAMIC_MESSAGES:
        match = pattern.match(text)
        if match:
            values = {
                k: str(_STATUS_WORDS.get(v, v)) if k == "status" else v
                for k, v in match.groupdict().items()
            }
            return gettext(msgid, **values)
    return text


def attach_errors(
    form: Form, errors: dict[str, str], aliases: dict[str, str] | None = None
) -> list[str]:
    """Put a service's per-field messages on the form's fields; return those that fit no field."""
    aliases = aliases or {}
    general: list[str] = []
    for name, message in errors.items():
        field = getattr(form, aliases.get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), translate_message(message)]
        else:
            general.append(translate_message(message))
    return general


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parsed = urlparse(target)
    return target if not parsed.scheme and not parsed.netloc else None


def back(default: str) -> str:
    return safe_next(request.form.get("next")) or default


def choices(pairs: Any, optgroup: str | None = None) -> list[SelectChoice]:
    """WTForms options from (value, label) pairs (a dict's items, or a list)."""
    return [SelectChoice(str(value), label, optgroup=optgroup) for value, label in pairs]


class EmptyForm(FlaskForm):
    """A button that changes state: CSRF token only."""


@bp.app_template_filter("tmsg")
def _tmsg_filter(message: Any) -> str:
    return translate_message(message)


@bp.app_template_filter("yuan")
def _yuan_filter(value: Any) -> str:
    try:
        return f"¥{float(value):,.2f}".replace(".00", "")
    except (TypeError, ValueError):
        return ""


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "HARDSHIP_LABELS": HARDSHIP_LABELS,
        "TAG_LABELS": TAG_LABELS,
        "NEED_STATUS_LABELS": NEED_STATUS_LABELS,
        "CLAIM_STATUS_LABELS": CLAIM_STATUS_LABELS,
        "KIND_LABELS": KIND_LABELS,
        "ORG_TYPE_LABELS": ORG_TYPE_LABELS,
        "ORG_STATUS_LABELS": ORG_STATUS_LABELS,
        "ROLE_LABELS": ROLE_LABELS,
        "OFFER_STATUS_LABELS": OFFER_STATUS_LABELS,
        "NOTIFICATION_LABELS": NOTIFICATION_LABELS,
        "ROUND_STATUS_LABELS": ROUND_STATUS_LABELS,
        "PROPOSAL_STATUS_LABELS": PROPOSAL_STATUS_LABELS,
        "UNMATCHED_LABELS": UNMATCHED_LABELS,
        "switch_form": EmptyForm(),
        "nbsp": Markup("&nbsp;"),
    }


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("main/index.html", counters=home_counters(get_session()))


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


@bp.get("/notifications")
@login_required
def notifications_list() -> ResponseReturnValue:
    rows = notifications.recent(get_session(), current_user.id)
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
