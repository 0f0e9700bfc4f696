"""One vocabulary of labels for the domain codes, used by pages and exports alike.

Each table maps a code (as stored and as the API speaks it) to its English msgid, translated in the
reader's language when rendered.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from marketplace.services.exports import Words

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

# The tables by vocabulary name, for code that names codes without templates (the Excel exports).
VOCABULARIES: dict[str, dict[str, Any]] = {
    "hardship": HARDSHIP_LABELS,
    "tag": TAG_LABELS,
    "need_status": NEED_STATUS_LABELS,
    "claim_status": CLAIM_STATUS_LABELS,
    "kind": KIND_LABELS,
    "org_type": ORG_TYPE_LABELS,
    "org_status": ORG_STATUS_LABELS,
    "role": ROLE_LABELS,
    "offer_status": OFFER_STATUS_LABELS,
    "round_status": ROUND_STATUS_LABELS,
    "proposal_status": PROPOSAL_STATUS_LABELS,
    "unmatched": UNMATCHED_LABELS,
}


def label(vocabulary: str, code: str) -> str:
    """The reader's word for ``code`` in one vocabulary (an unknown code is shown as it is)."""
    table = VOCABULARIES[vocabulary]
    return str(table[code]) if code in table else code


def export_words() -> Words:
    """What the Excel exports write: headings in the reader's language, codes named as on pages."""
    return Words(t=gettext, label=label)


def _yuan(value: Any) -> str:
    try:
        return f"¥{float(value):,.2f}".replace(".00", "")
    except (TypeError, ValueError):
        return ""


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
        "nbsp": Markup("&nbsp;"),
    }


def init_app(app: Flask) -> None:
    app.add_template_filter(_yuan, "yuan")
    app.context_processor(_labels)
