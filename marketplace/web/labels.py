"""One vocabulary of labels for the domain codes, used by pages and exports alike.

Each table maps a code (as stored and as the API speaks it) to its English msgid, translated in the
reader's language when rendered.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from marketplace.db import get_session
from marketplace.models import Offer, Organisation
from marketplace.services import offers, regions
from marketplace.services.exports import Words
from marketplace.web.profile_labels import CHOICE_LABELS as PROFILE_CHOICE_LABELS
from marketplace.web.project_labels import FUNDING_LABELS, PROJECT_STATUS_LABELS

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
    "given_up": _l("Given back"),
}
# 配送方式 — how help reaches the household (a need's delivery mode).
DELIVERY_MODE_LABELS = {
    "handover": _l("Handover at the hub"),
    "home_delivery": _l("Home delivery"),
    "home_service": _l("Home service"),
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
    "rejected": _l("Not approved"),
}
ROLE_LABELS = {
    "admin": _l("Administrator"),
    "hub_staff": _l("Hub staff"),
    "member": _l("Party member / volunteer"),
    "org": _l("Organisation"),
}
OFFER_STATUS_LABELS = {"live": _l("Live"), "not_live": _l("Not live"), "closed": _l("Closed")}
# What an offer's capacity counts (matching.taxonomy.UNITS): 份 / 次 / 小时 / 人.
UNIT_LABELS = {
    "portion": _l("portions"),
    "session": _l("sessions"),
    "hour": _l("hours"),
    "person": _l("people"),
}
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
    "recently_helped": _l("Received recently"),
    "previously_rejected": _l("Offers rejected before"),
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
    "claim_given_up": _l("Claim given back"),
    "draw_won": _l("Drawn for a wish"),
    "draw_lost": _l("Draw result"),
    "help_request": _l("Help request"),
    "feedback": _l("Rating to review"),
    "thanks": _l("Thanks from a family"),
    "warning": _l("Warning to check"),
    "visit_finding": _l("Visit finding to check"),
    "pairing": _l("Pairing"),
    "paired_wish": _l("Wish of your paired household"),
}

# The audit log (审计日志): what was done, to what, and the fields an entry keeps.
AUDIT_ACTION_LABELS = {
    "visit.record": _l("Visit recorded"),
    "visit.confirm": _l("Helper's visit confirmed"),
    "pairing.create": _l("Household paired with a helper"),
    "pairing.end": _l("Pairing ended"),
    "claim.create": _l("Wish claimed"),
    "claim.deliver": _l("Delivery reported"),
    "claim.acknowledge": _l("Receipt acknowledged by the household"),
    "claim.expire": _l("Claim expired"),
    "claim.give_up": _l("Claim given back"),
    "claim.interest": _l("Interest registered in a wish"),
    "claim.interest_withdraw": _l("Interest in a wish withdrawn"),
    "claim.draw": _l("Claim-window draw held"),
    "user.home_community": _l("Home community changed"),
    "household.contact_view": _l("Household's address and phone viewed by the helper"),
    "hub.contact": _l("Hub contact changed"),
    "hub.share_ratings": _l("Sharing of ratings with helpers changed"),
    "feedback.create": _l("Help rated by the household"),
    "feedback.moderate": _l("Rating shown to the helper or held back"),
    "listitem.acknowledge": _l("Visit or benefit acknowledged by the household"),
    "lead.help_request": _l("Help requested from the happiness code"),
    "export.households": _l("Households exported"),
    "export.needs": _l("Needs exported"),
    "export.deliveries": _l("Deliveries exported"),
    "export.users": _l("Users exported"),
    "export.audit": _l("Audit log exported"),
    "household.create": _l("Household registered"),
    "household.view": _l("Household's personal data viewed"),
    "household.reissue_code": _l("Happiness code reissued"),
    "need.create": _l("Need recorded"),
    "need.edit_public": _l("Public version corrected"),
    "need.publish": _l("Need published"),
    "need.cancel": _l("Need cancelled"),
    "need.expire": _l("Need expired"),
    "need.confirm": _l("Delivery confirmed"),
    "need.reject_delivery": _l("Delivery not confirmed"),
    "offer.create": _l("Offer published"),
    "offer.close": _l("Offer closed"),
    "org.register": _l("Organisation registered"),
    "org.vet": _l("Organisation vetted"),
    "round.start": _l("Match round started"),
    "round.finish": _l("Match round finished"),
    "round.fail": _l("Match round failed"),
    "proposal.accept": _l("Proposal accepted"),
    "proposal.reject": _l("Proposal rejected"),
    "proposal.lock": _l("Proposal held"),
    "user.create": _l("Account created"),
    "user.update": _l("Account changed"),
    "user.enable": _l("Account enabled"),
    "user.disable": _l("Account disabled"),
    "user.login": _l("Signed in"),
    "user.logout": _l("Signed out"),
    "user.password_change": _l("Password changed"),
    "user.password_reset": _l("Password reset"),
    "user.2fa_enable": _l("Two-step sign-in turned on"),
    "user.2fa_disable": _l("Two-step sign-in turned off"),
    "user.2fa_recovery_codes": _l("Recovery codes issued"),
    "user.2fa_recovery_used": _l("Recovery code used"),
    "token.issue": _l("API token issued"),
    "token.revoke": _l("API token revoked"),
    "setting.update": _l("Setting changed"),
    "household.profile": _l("Household profile changed"),
    "resilience.load": _l("Score model loaded"),
    "certificate.issue": _l("Service certificate issued"),
    "project.create": _l("Project created"),
    "project.close": _l("Project closed"),
    "project.evaluate": _l("Project evaluated"),
    "branch.create": _l("Party branch created"),
    "branch.add_member": _l("Member added to the Party branch"),
    "monitoring.event": _l("Monitoring event recorded"),
    "warning.raise": _l("Warning raised"),
    "warning.check": _l("Warning checked"),
    "warning.close": _l("Warning closed"),
    "warning.escalate": _l("Overdue warning moved up the hub chain"),
    "lead.escalate": _l("Overdue lead moved up the hub chain"),
    "referral.create": _l("Referred to policy assistance"),
    "referral.update": _l("Policy referral updated"),
    "lead.open": _l("Lead opened for the street hub"),
    "lead.register": _l("Lead registered as a household"),
    "lead.close": _l("Lead closed"),
    # 一户一档 (services/casefile.py)
    "household.edit": _l("Household details corrected"),
    "household.stage": _l("Lifecycle stage changed"),
    "household.attach": _l("Attachment added"),
    "household.anonymise": _l("Personal data anonymised"),
    "attachment.view": _l("Attachment viewed"),
    "need.edit": _l("Need edited"),
    "offer.edit": _l("Offer edited"),
}
AUDIT_OBJECT_LABELS = {
    "household": _l("Household"),
    "need": _l("Need"),
    "claim": _l("Claim"),
    "offer": _l("Offer"),
    "organisation": _l("Organisation"),
    "user": _l("Account"),
    "matchround": _l("Match round"),
    "claiminterest": _l("Interest in a wish"),
    "claimdraw": _l("Claim-window draw"),
    "proposal": _l("Proposal"),
    "apitoken": _l("API token"),
    "setting": _l("Setting"),
    "resiliencemodel": _l("Score model"),
    "certificate": _l("Service certificate"),
    "feedback": _l("Rating and thanks"),
    "listacknowledgement": _l("Happiness list acknowledgement"),
    "project": _l("Project"),
    "branch": _l("Party branch"),
    "monitoringevent": _l("Monitoring event"),
    "riskwarning": _l("Warning"),
    "lead": _l("Lead"),
    "visit": _l("Visit"),
    "pairing": _l("Pairing"),
    "policyreferral": _l("Policy referral"),
    "householdattachment": _l("Attachment"),
}
AUDIT_FIELD_LABELS = {
    "record_no": _l("Record number"),
    "hours": _l("Hours"),
    "records": _l("Records"),
    "name": _l("Name"),
    "id_number": _l("Resident ID number"),
    "phone": _l("Phone"),
    "community_code": _l("Community"),  # shown by name (the audit log names regions)
    "hardship_type": _l("Hardship type"),
    "risk_score": _l("Resilience score"),
    "members": _l("Household members"),
    "tags": _l("Tags"),
    "household_id": _l("Household"),
    "need_id": _l("Need"),
    "claim_id": _l("Claim"),
    "fields": _l("Fields"),
    "contact_name": _l("Contact person"),
    "contact_phone": _l("Contact phone"),
    "handover_address": _l("Handover point"),
    "office_hours": _l("Office hours"),
    "kind": _l("Kind"),
    "item": _l("Item"),
    "items": _l("Items"),
    "title": _l("Title"),
    "public_title": _l("Public title"),
    "public_text": _l("Public description"),
    "value_yuan": _l("Value (yuan)"),
    "deadline": _l("Deadline"),
    "status": _l("Status"),
    "reason": _l("Reason"),
    "note": _l("Note"),
    "photo": _l("Photo"),
    "due_at": _l("Due"),
    "acknowledged": _l("Receipt acknowledged"),
    "type": _l("Type"),
    "credit_code": _l("Unified social credit code"),
    "capacity": _l("Capacity"),
    "username": _l("Username"),
    "display_name": _l("Display name"),
    "role": _l("Role"),
    "hub": _l("Hub"),
    "org": _l("Organisation"),
    "active": _l("Active"),
    "second_factor": _l("Second step"),
    "token": _l("API token"),
    "left": _l("Recovery codes left"),
    "value": _l("Value"),
    "scope": _l("Area"),
    "proposals": _l("Proposals"),
    "message": _l("Message"),
    "rows": _l("Rows"),
    "unit": _l("Unit"),
    "version": _l("Version"),
    "changes": _l("What changed"),
    "sha256": _l("File checksum"),
    "funding": _l("Funding source"),
    "project": _l("Project"),
    "budget_yuan": _l("Budget (yuan)"),
    "start": _l("Start"),
    "end": _l("End"),
    "target_households": _l("Target number of households"),
    "evaluation": _l("Evaluation"),
    "score": _l("Score"),
    "notes": _l("Notes"),
    "org_id": _l("Organisation"),
    "user": _l("Account"),
    "source": _l("Source"),
    "lead_id": _l("Lead"),
    "warning_id": _l("Warning"),
    "event_id": _l("Event"),
    "hub_id": _l("Hub"),
    "level": _l("Level"),
    "outcome": _l("Outcome"),
    "on_time": _l("On time"),
    "check_mode": _l("How checked"),
    "findings": _l("Findings"),
    "referrals": _l("Referrals"),
    "needs": _l("Needs"),
    "since": _l("Since"),
    "amount_yuan": _l("Amount (yuan)"),
    "service": _l("Service"),
    # 一户一档: the fields of the household, need and offer edits and of the lifecycle
    "address": _l("Address"),
    "description": _l("Description"),
    "delivery_mode": _l("Delivery mode"),
    "delivery_instructions": _l("Delivery instructions"),
    "stage": _l("Lifecycle stage"),
    "gradual_exit_until": _l("Gradual exit ends"),
    "needs_cancelled": _l("Needs cancelled"),
    "attachment": _l("Attachment"),
    "attachments": _l("Attachments"),
    "photos": _l("Photos"),
    "content_type": _l("File type"),
    "size": _l("Size (bytes)"),
    "regions": _l("Areas"),
    "lat": _l("Latitude"),
    "lon": _l("Longitude"),
    "radius_km": _l("Radius (km)"),
    "hardship": _l("Hardship types"),
}
# Who acted, when no account did (``audit.record``'s ``actor_label``).
AUDIT_ACTOR_LABELS = {
    "system": _l("System"),
    "matching": _l("Matching engine"),
    "household": _l("The household (happiness code)"),
}
SECOND_FACTOR_LABELS = {
    "totp": _l("Authenticator code"),
    "recovery": _l("Recovery code"),
}
# 预警 (DESIGN §9): levels, where the events came from, outcomes of a check, referral statuses.
WARNING_LEVEL_LABELS = {
    "important": _l("Important warning"),
    "general": _l("General warning"),
}
EVENT_SOURCE_LABELS = {
    "hub": _l("Hub staff"),
    "import": _l("Excel import"),
    "dept": _l("Other department"),
    "discovery": _l("Active discovery"),
    "happiness": _l("Happiness code help request"),
}
WARNING_OUTCOME_LABELS = {
    "refer_policy": _l("Referred to policy assistance"),
    "refer_hub": _l("Referred to the hub's social help"),
    "no_action": _l("No help needed"),
}
REFERRAL_STATUS_LABELS = {
    "referred": _l("Referred"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "declined": _l("Declined"),
}
# 预警核查方式: how the street checked a warning.
CHECK_MODE_LABELS = {
    "phone": _l("Phone call"),
    "home": _l("Home visit"),
}
# 监测数据变动 — the event kinds (models.EventKind, the codes of the API and files), and leads.
EVENT_KIND_LABELS = {
    "major_illness": _l("Major illness"),
    "birth": _l("Member born"),
    "death": _l("Member died"),
    "disability_change": _l("Disability level changed"),
    "job_loss": _l("Job lost"),
    "large_medical_expense": _l("Large medical expense"),
    "disaster": _l("Disaster or accident"),
    "assistance_exit": _l("Exited assistance"),
    "application_refused": _l("Application refused"),
    "temporary_assistance": _l("Temporary assistance granted"),
    "discovered": _l("Actively discovered"),
    "other_department": _l("Assisted by another department"),
}
# 一户一档 lifecycle (models.HouseholdStage)
STAGE_LABELS = {
    "monitored": _l("Monitored (监测对象)"),
    "registered": _l("Registered recipient (在册)"),
    "gradual_exit": _l("Gradual exit (渐退期)"),
    "exited": _l("Exited (退出)"),
}
# Pairings the system ended (services/pairings.py); staff's own reasons are shown as written.
PAIRING_END_LABELS = {
    "expired": _l("Period over"),
    "household exited": _l("Household exited (退出)"),
}
LEAD_STATUS_LABELS = {
    "open": _l("To check"),
    "registered": _l("Household registered"),
    "closed": _l("Closed"),
}


# The tables by vocabulary name, for code that names codes without templates (the Excel exports).
# 抽签 distance bands (services/draws.py): the member's home community against the household's.
DRAW_BAND_LABELS = {
    "community": _l("Same community"),
    "street": _l("Same street"),
    "district": _l("Same district"),
    "elsewhere": _l("Elsewhere or not given"),
}

VOCABULARIES: dict[str, dict[str, Any]] = {
    "draw_band": DRAW_BAND_LABELS,
    "hardship": HARDSHIP_LABELS,
    "source": PROFILE_CHOICE_LABELS["source"],  # 对象来源 (marketplace.profiles)
    "tag": TAG_LABELS,
    "need_status": NEED_STATUS_LABELS,
    "claim_status": CLAIM_STATUS_LABELS,
    "delivery_mode": DELIVERY_MODE_LABELS,
    "kind": KIND_LABELS,
    "org_type": ORG_TYPE_LABELS,
    "org_status": ORG_STATUS_LABELS,
    "role": ROLE_LABELS,
    "offer_status": OFFER_STATUS_LABELS,
    "unit": UNIT_LABELS,
    "round_status": ROUND_STATUS_LABELS,
    "proposal_status": PROPOSAL_STATUS_LABELS,
    "unmatched": UNMATCHED_LABELS,
    "audit_action": AUDIT_ACTION_LABELS,
    "audit_object": AUDIT_OBJECT_LABELS,
    "audit_field": AUDIT_FIELD_LABELS,
    "audit_actor": AUDIT_ACTOR_LABELS,
    "second_factor": SECOND_FACTOR_LABELS,
    "warning_level": WARNING_LEVEL_LABELS,
    "event_source": EVENT_SOURCE_LABELS,
    "warning_outcome": WARNING_OUTCOME_LABELS,
    "referral_status": REFERRAL_STATUS_LABELS,
    "check_mode": CHECK_MODE_LABELS,
    "event_kind": EVENT_KIND_LABELS,
    "lead_status": LEAD_STATUS_LABELS,
    "funding": FUNDING_LABELS,
    "project_status": PROJECT_STATUS_LABELS,
    "stage": STAGE_LABELS,
    "pairing_end": PAIRING_END_LABELS,
}


def item_name(code: str) -> str:
    """A taxonomy item's name in the reader's language (``01-01`` → 助餐 / Meals); an unknown code
    is shown as it is. Item names are data (editable by the administrator), not msgids."""
    for item in regions.active_items(get_session()):
        if item.code == code:
            return item.name_en if str(get_locale()).startswith("en") else item.name_zh
    return code


def label(vocabulary: str, code: str) -> str:
    """The reader's word for ``code`` in one vocabulary (an unknown code is shown as it is);
    ``item`` names taxonomy items, ``region`` regions (data, not msgids)."""
    if vocabulary == "item":
        return item_name(code)
    if vocabulary == "region":
        return regions.region_names(get_session()).get(code, code)
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
        "DELIVERY_MODE_LABELS": DELIVERY_MODE_LABELS,
        "KIND_LABELS": KIND_LABELS,
        "ORG_TYPE_LABELS": ORG_TYPE_LABELS,
        "ORG_STATUS_LABELS": ORG_STATUS_LABELS,
        "ROLE_LABELS": ROLE_LABELS,
        "OFFER_STATUS_LABELS": OFFER_STATUS_LABELS,
        "UNIT_LABELS": UNIT_LABELS,
        "NOTIFICATION_LABELS": NOTIFICATION_LABELS,
        "ROUND_STATUS_LABELS": ROUND_STATUS_LABELS,
        "PROPOSAL_STATUS_LABELS": PROPOSAL_STATUS_LABELS,
        "UNMATCHED_LABELS": UNMATCHED_LABELS,
        "AUDIT_ACTION_LABELS": AUDIT_ACTION_LABELS,
        "AUDIT_OBJECT_LABELS": AUDIT_OBJECT_LABELS,
        "AUDIT_ACTOR_LABELS": AUDIT_ACTOR_LABELS,
        "EVENT_KIND_LABELS": EVENT_KIND_LABELS,
        "EVENT_SOURCE_LABELS": EVENT_SOURCE_LABELS,
        "LEAD_STATUS_LABELS": LEAD_STATUS_LABELS,
        "WARNING_LEVEL_LABELS": WARNING_LEVEL_LABELS,
        "WARNING_OUTCOME_LABELS": WARNING_OUTCOME_LABELS,
        "REFERRAL_STATUS_LABELS": REFERRAL_STATUS_LABELS,
        "CHECK_MODE_LABELS": CHECK_MODE_LABELS,
        "STAGE_LABELS": STAGE_LABELS,
        "PAIRING_END_LABELS": PAIRING_END_LABELS,
        "nbsp": Markup("&nbsp;"),
    }


def _offer_state(offer: Offer, org: Organisation | None) -> str:
    """The offer's state by the one rule (``offers.state``), for its status pill."""
    return offers.state(offer, org)


def init_app(app: Flask) -> None:
    app.add_template_filter(_yuan, "yuan")
    app.add_template_filter(_offer_state, "offer_state")
    app.context_processor(_labels)
    app.add_template_global(item_name, "item_name")
