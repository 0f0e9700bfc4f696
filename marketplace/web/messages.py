"""The one catalogue of message codes: services return and store codes with parameters
(``marketplace.services.messages.Message``); this module renders them in the reader's language.

Each code maps to an English msgid with named placeholders, translated by the zh_CN catalogue. A
parameter that is itself a code (a status, a role) is rendered through ``marketplace.web.labels``;
a list parameter is joined. ``render`` is the ``tmsg`` template filter.

The zh_CN catalogue is kept with Babel (no fuzzy entries, every msgid translated)::

    pybabel extract -F babel.cfg -k _l -k lazy_gettext -o marketplace/translations/messages.pot .
    pybabel update -i marketplace/translations/messages.pot -d marketplace/translations
        -l zh_Hans_CN --no-fuzzy-matching --ignore-obsolete    (one line)
    pybabel compile -d marketplace/translations -l zh_Hans_CN
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import LazyString, get_locale, gettext
from flask_babel import lazy_gettext as _l

from marketplace.models import MatchRound
from marketplace.services.messages import RAW, Message
from marketplace.web.labels import (
    CLAIM_STATUS_LABELS,
    HARDSHIP_LABELS,
    NEED_STATUS_LABELS,
    PROPOSAL_STATUS_LABELS,
    REFERRAL_STATUS_LABELS,
    ROLE_LABELS,
    STAGE_LABELS,
    TAG_LABELS,
    WARNING_LEVEL_LABELS,
)

log = logging.getLogger("zhongfu")


def N_(msgid: str) -> str:
    """Marks a msgid for ``pybabel extract`` without translating it here."""
    return msgid


MESSAGES: dict[str, LazyString] = {
    # Any request
    "error.failed": _l("This could not be done"),
    "error.invalid_input": _l("Invalid input"),
    "error.not_found": _l("Not found"),
    "error.forbidden": _l("You may not do this"),
    "error.conflict": _l("This could not be done in the current state; reload and try again"),
    "error.bad_value": _l("A value is out of range or contains characters that cannot be stored"),
    "error.write_conflict": _l(
        "This conflicts with a change made at the same time; reload and try again"
    ),
    "error.unavailable": _l("The database is unavailable; try again shortly"),
    "error.internal": _l("Internal error (reference %(ref)s)"),
    # Fields (pydantic's checks and ours)
    "field.required": _l("Required"),
    "field.invalid": _l("Invalid value"),
    "field.too_short": _l("Must have at least %(min)s characters"),
    "field.too_long": _l("Must have at most %(max)s characters"),
    "field.too_few": _l("Choose at least %(min)s"),
    "field.too_many": _l("Choose at most %(max)s"),
    "field.min": _l("Must be at least %(min)s"),
    "field.above": _l("Must be more than %(min)s"),
    "field.max": _l("Must be at most %(max)s"),
    "field.below": _l("Must be less than %(max)s"),
    "field.between": _l("Must be between %(min)s and %(max)s"),
    "field.not_integer": _l("Must be a whole number"),
    "field.not_number": _l("Must be a number"),
    "field.decimal_places": _l("At most %(n)s decimal places"),
    "field.not_date": _l("Must be a date such as 2026-12-31"),
    "field.choice": _l("Not a valid choice"),
    "field.not_text": _l("Must be text"),
    "field.not_list": _l("Must be a list"),
    "field.not_boolean": _l("Must be true or false"),
    "field.control_characters": _l("Must not contain control characters"),
    "field.out_of_scope": _l("Outside your hub's area"),
    "field.already_registered": _l("Already registered"),
    "reason.required": _l("Give a reason"),
    "geo.lat_lon_both": _l("Give both lat and lon"),
    "geo.lat_lon_pair": _l("Give both lat and lon, or neither"),
    "id_number.length": _l("Resident ID number must have 18 characters"),
    "id_number.format": _l("Resident ID number must be 17 digits followed by a digit or X"),
    "id_number.birth_date": _l("Resident ID number has an impossible birth date"),
    "id_number.check_digit": _l("Resident ID number check digit is wrong"),
    "credit_code.length": _l("Unified social credit code must have 18 characters"),
    "credit_code.check_character": _l("Unified social credit code check character is wrong"),
    "credit_code.invalid": _l("Unified social credit code is not valid"),
    "phone.invalid": _l(
        "Phone must be an 11-digit mobile number or a landline such as 0571-8888888"
    ),
    "community.code_invalid": _l("Community code must be a 12-digit region code"),
    "community.unknown": _l("No such community code"),
    "community.out_of_scope": _l("That community is outside your hub's area"),
    "region.code_invalid": _l("Must be a 6-, 9- or 12-digit region code"),
    "region.codes_invalid": _l("Regions must be 6-, 9- or 12-digit region codes"),
    "region.unknown_codes": _l("Unknown region codes: %(codes)s"),
    "item.code_invalid": _l("Must be a taxonomy code such as 07-02"),
    "item.codes_invalid": _l("Items must be taxonomy codes such as 07-02"),
    "item.unknown": _l("Unknown taxonomy item"),
    "item.unknown_codes": _l("Unknown taxonomy items: %(codes)s"),
    # Accounts and access
    "account.password_too_short": _l("Password must have at least %(n)s characters"),
    "account.password_too_long": _l("Password is too long"),
    "account.username_invalid": _l("Username must be 3–64 letters, digits or . _ - @"),
    "account.username_taken": _l("Username is taken"),
    "account.role_invalid": _l("Choose a role: %(roles)s"),
    "account.hub_required": _l(
        "Hub staff need an existing hub region code (district, street or community)"
    ),
    "account.org_required": _l("Organisation accounts need an existing organisation id"),
    "account.not_found": _l("Account not found"),
    "account.cannot_disable_self": _l("You cannot disable your own account"),
    "auth.wrong_credentials": _l("Wrong username or password"),
    "auth.api_account": _l(
        "This is an API account of another department's system: it cannot sign in here. "
        "Ask for a token with POST /api/v1/tokens."
    ),
    # Sign-in, passwords, tokens, two-step sign-in, accounts from Excel (the "auth" helper)
    "auth.wait": _l("Too many failed attempts for this name; try again in %(seconds)s seconds"),
    "account.display_name_too_long": _l("The name may have at most 64 characters"),
    "account.current_password_wrong": _l("The current password is wrong"),
    "account.passwords_differ": _l("The two new passwords differ"),
    "account.password_unchanged": _l("Choose a password other than the current one"),
    "account.cannot_reset_self": _l("Change your own password on your account page"),
    "account.role_not_creatable": _l("Choose hub staff, Party member or administrator"),
    "account.change_password_first": _l(
        "This account has a temporary password: log in on the web and change it first"
    ),
    "token.not_found": _l("No such token of yours"),
    "twofactor.code_wrong": _l("The code is wrong or has been used; type the current one"),
    "twofactor.code_required": _l("This account uses two-step sign-in: send the code as otp"),
    "twofactor.enrol_first": _l(
        "Your role must use two-step sign-in: log in on the web and set it up first"
    ),
    "twofactor.role_invalid": _l(
        "Two-step sign-in can be required of hub staff and administrators"
    ),
    "twofactor.not_for_role": _l("Two-step sign-in is for hub staff and administrators"),
    "twofactor.not_enabled": _l("Two-step sign-in is off"),
    "account_import.no_sheet": _l("The workbook has no sheet named %(sheet)s"),
    "account_import.too_many_rows": _l("At most %(max)s accounts per workbook"),
    "account_import.empty": _l("The sheet has no accounts"),
    "account_import.role": _l("Choose a role: %(roles)s"),
    "account_import.region_mismatch": _l(
        "This region is not inside the one to its left; choose it from the drop-down list"
    ),
    "access.admin_only": _l("Only the administrator may do this"),
    "access.hub_staff_only": _l("Only hub staff may do this"),
    "access.member_only": _l("Only members can claim wishes"),
    "access.org_only": _l("Only organisation accounts publish offers"),
    "access.no_hub": _l("Your account has no hub"),
    "access.no_org": _l("Your account has no organisation"),
    "access.org_not_vetted": _l(
        "Your organisation has not been vetted yet: wishes can be read once it is approved"
    ),
    "dashboard.forbidden": _l("Only hub staff and the administrator see the dashboard"),
    "map.forbidden": _l("This map is for hub staff, the administrator and members"),
    "api.token_required": _l("Send a valid bearer token: Authorization: Bearer <token>"),
    "api.role_forbidden": _l("Your role may not do this"),
    "api.dept_events_only": _l(
        "A department's system may only submit monitoring events and read their status"
    ),
    "api.json_too_deep": _l("The JSON document is nested too deeply"),
    "api.json_object_required": _l("Send a JSON object (Content-Type: application/json)"),
    "api.wish_text_required": _l("Give the wish text"),
    # Households and needs
    "household.not_found": _l("Household not found"),
    "household.duplicate": _l("A household with this resident ID number is already registered"),
    "household.unknown_tags": _l("Unknown tag; choose from: %(tags)s"),
    "need.not_found": _l("Need not found"),
    "need.deadline_past": _l("Deadline must not be in the past"),
    "need.not_publishable": _l(
        "Only a need pending review can be published (this one is %(need_status)s)"
    ),
    "need.not_cancellable": _l("This need can no longer be cancelled (it is %(need_status)s)"),
    "need.not_editable": _l(
        "The public version can be corrected only before the need is taken (it is %(need_status)s)"
    ),
    "wish.not_found": _l("Wish not found"),
    "wish.taken": _l("This wish has already been claimed or is no longer open"),
    # 认领意向登记 and 抽签 — the claim window (services/draws.py)
    "claim.interest_recorded": _l(
        "Interest registered. The draw is in %(minutes)s minutes; you will be told the result"
    ),
    "claim.window_closed": _l("Registration for this wish has closed; the draw is being held"),
    "claim.window_open": _l("This wish is collecting interest until its draw: register yours"),
    "claim.draw_pending": _l("This wish's draw is being held; look again in a minute"),
    "claim.interest_not_found": _l("You have not registered interest in this wish"),
    "draw.not_found": _l("This wish has no recorded draw"),
    "notice.draw_won": _l(
        "You were drawn for a wish: %(title)s. Please deliver it before the due date"
    ),
    "notice.draw_lost": _l(
        "Another member was drawn for a wish you registered for (%(n)s took part): %(title)s"
    ),
    # 一户一档 — the case file (services/casefile.py)
    "field.not_editable": _l("This field cannot be changed here"),
    "household.anonymised": _l("This household's personal data has been anonymised"),
    "household.exited": _l(
        "This household has exited: move it back into care before adding needs, visits or a pairing"
    ),
    "household.stage_unknown": _l("Choose a stage: %(stages)s"),
    "household.stage_move": _l("A household cannot move from %(from_stage)s to %(to_stage)s"),
    "household.stage_changed": _l("The household's stage changed meanwhile; reload and try again"),
    "need.closed": _l("This need is closed (%(need_status)s) and can no longer be edited"),
    "need.locked": _l(
        "The need is %(need_status)s or proposed: only its wording may change, not what was agreed"
    ),
    "offer.closed": _l("This offer is closed and can no longer be edited"),
    "offer.capacity_below_taken": _l(
        "Capacity cannot be less than what is already taken (%(taken)s)"
    ),
    "attachment.not_found": _l("Attachment not found"),
    "attachment.type": _l("Attach a photo (JPEG, PNG, WebP) or a PDF document"),
    "attachment.pdf_invalid": _l("This PDF is incomplete or damaged"),
    "attachment.pdf_active": _l("PDFs with scripts, launch actions or embedded files are refused"),
    "error.gone": _l("No longer in service"),
    "happiness.closed": _l("This happiness code is no longer in service"),
    # Claims and deliveries
    "claim.not_found": _l("Claim not found"),
    "claim.cap_reached": _l("You already have %(n)s open claims; deliver one first"),
    "claim.not_active": _l(
        "Only an active claim can be reported as delivered (this one is %(claim_status)s)"
    ),
    "claim.nothing_delivered": _l("Nothing has been delivered yet"),
    "claim.give_up_reason_required": _l("Say why you are giving the claim back"),
    "claim.contact_not_home": _l(
        "This help is handed over at the hub: the household's address is not shared"
    ),
    "claim.contact_closed": _l(
        "The household's address and phone are shown only while the claim is in progress"
        " (this one is %(claim_status)s)"
    ),
    # Service records (志愿服务记录) and certificates
    "hours.invalid": _l("Enter the hours as a number, e.g. 1.5"),
    "hours.range": _l("Hours must be between 0 and %(max)s"),
    "period.bad_date": _l("Enter a date as YYYY-MM-DD"),
    "period.out_of_range": _l("Choose a date between the years %(first)s and %(last)s"),
    "period.reversed": _l("The end of the period is before its start"),
    "period.too_long": _l("The period may be at most %(years)s years"),
    "certificate.no_records": _l("There are no service records in this period"),
    "certificate.font_missing": _l(
        "Certificates cannot be made on this server: no Chinese font is installed (fonts-noto-cjk)"
    ),
    "delivery.empty": _l(
        "The report is empty: add a photo, or write at least %(n)s characters about what was"
        " delivered"
    ),
    "delivery.note_too_short": _l(
        "The note is too short (%(got)s characters): write at least %(n)s, or add a photo"
    ),
    "photo.pending_missing": _l(
        "The photo chosen for this report is no longer kept; please choose it again"
    ),
    "delivery.none_to_confirm": _l("There is no reported delivery to confirm for this need"),
    "delivery.none_to_reject": _l("There is no reported delivery to reject for this need"),
    "delivery.decided_elsewhere": _l(
        "This delivery was just confirmed or rejected by someone else"
    ),
    "delivery.reason_required": _l("Give a reason for the rejection"),
    "photo.empty": _l("The photo is empty"),
    "photo.too_large": _l("The photo is larger than %(mb)s MB"),
    "photo.type": _l("Only JPEG, PNG or WebP photos are accepted"),
    "photo.too_many_pixels": _l("The photo has too many pixels"),
    "photo.unreadable": _l("The file is not a readable image"),
    # Organisations and offers
    "org.not_found": _l("Organisation not found"),
    "org.register_forbidden": _l(
        "Only the administrator or an organisation account may register an organisation"
    ),
    "org.already_member": _l("Your account already belongs to an organisation"),
    "org.duplicate": _l("An organisation with this credit code is already registered"),
    "offer.not_found": _l("Offer not found"),
    "offer.area_required": _l(
        "Choose a service area: regions in the list and/or a circle on the map"
    ),
    "offer.centre_outside_city": _l(
        "The centre must be in Hangzhou: click the map inside the city"
    ),
    "offer.unit_invalid": _l("Choose a unit: portions, sessions, hours or people"),
    "offer.end_before_start": _l("End date must not be before the start date"),
    "offer.radius_needs_centre": _l("A radius needs a centre: click the map to set it"),
    # Match rounds
    "round.not_found": _l("Match round not found"),
    "round.scope_outside": _l("Choose an area inside your own"),
    "proposal.not_found": _l("Proposal not found"),
    "proposal.already_decided": _l("This proposal is already %(proposal_status)s"),
    "proposal.need_taken": _l(
        "The need is no longer open (claimed, matched or closed since the round)"
    ),
    "proposal.offer_full": _l("The offer has no capacity left"),
    "proposal.recently_helped": _l(
        "This household received the same item within the last %(days)s days; hub staff can "
        "allow this need with a reason"
    ),
    "claim.recently_helped": _l(
        "This household received the same item within the last %(days)s days, so the wish "
        "cannot be claimed now"
    ),
    "need.not_duplicate": _l("Needs #%(id)s and #%(other)s are not flagged as duplicates"),
    "duplicate.note_required": _l("Write a note on why both needs are kept"),
    "fairness.month_invalid": _l("Give a month as YYYY-MM, e.g. 2026-11"),
    "proposal.offer_not_live": _l(
        "The offer is no longer open (closed, outside its dates, or its organisation is not vetted)"
    ),
    "round.loading": _l("Loading the needs and offers"),
    "round.candidates": _l("Finding the possible pairs"),
    "round.model": _l("Building the model"),
    "round.solve": _l("Solving"),
    "round.result": _l("Reading the solution"),
    "round.storing": _l("Storing the proposals"),
    "round.running": _l("Running"),
    "round.done": _l("Finished"),
    "round.timeout": _l("The solver ran out of its time limit; nothing was stored"),
    "round.failed": _l("The round failed (reference %(ref)s); nothing was stored"),
    # Why a round paired a need with an offer (services/rounds.pair_reasons)
    "round.why.item": _l("%(org)s's offer “%(offer)s” provides %(item)s"),
    "round.why.priority": _l(
        "Priority %(priority)s: %(household)s's household is at risk level %(level)s"
        " (level 1, the highest risk, is served first)"
    ),
    "round.why.priority_emergency": _l(
        "Priority %(priority)s: %(household)s's household is at risk level %(level)s,"
        " raised one step for an emergency hardship (急难型)"
    ),
    "round.why.priority_warning": _l(
        "Priority %(priority)s: %(household)s's household is at risk level %(level)s,"
        " raised one step for an open important warning (重点预警)"
    ),
    "round.why.distance": _l("%(km)s km from the offer to the need in %(place)s"),
    "round.why.nearest": _l("The nearest offer for %(item)s that still had places"),
    "round.why.nearer_full": _l(
        "Nearer offers for %(item)s were full or went to needs of higher priority"
    ),
    # Why a round left a need unserved (services/rounds.UNMATCHED_MESSAGES)
    "round.unmatched.no_offer_for_item": _l("No live offer provides %(item)s"),
    "round.unmatched.out_of_area": _l(
        "Offers for %(item)s exist, but none of them serves %(place)s"
    ),
    "round.unmatched.not_eligible": _l(
        "The offers for %(item)s in %(place)s are for other hardship types than %(hardship)s"
    ),
    "round.unmatched.recently_helped": _l(
        "%(household)s's household received %(item)s recently: other households come first"
    ),
    "round.unmatched.previously_rejected": _l(
        "Staff rejected every offer that could serve it, in an earlier round"
    ),
    "round.unmatched.capacity_exhausted": _l(
        "Every offer that could serve it was full: needs of higher priority or nearer came first"
    ),
    "round.unmatched.household_cap": _l(
        "%(household)s's household already has %(max)s needs served in this round"
        " (the limit per household)"
    ),
    # Excel import
    "import.not_xlsx": _l("The file is not an Excel workbook (.xlsx)"),
    "import.empty": _l("The workbook has no rows to import"),
    "import.district_mismatch": _l("The district does not contain the community"),
    "import.street_mismatch": _l("The street does not contain the community"),
    "import.no_household": _l("No household with this resident ID number in your area"),
    "import.has_errors": _l("The file has errors; nothing was imported"),
    "import.failed": _l("The import failed; nothing was imported"),
    "import.too_many_rows": _l("At most %(max)s rows per workbook; split the file"),
    "import.formula": _l("Formulas are not accepted: type the value itself"),
    "import.duplicate_row": _l("The same resident ID number as row %(row)s"),
    "import.score_column": _l(
        "The resilience score is computed from the profile: empty or delete the score column"
        " (韧性评分) and fill in the profile columns"
    ),
    # 家庭画像 and 抗风险能力赋分 (services/resilience.py)
    "profile.more_than_members": _l("More than the %(members)s members of the household"),
    "profile.employed_over_able_bodied": _l("More members in work than members able to work"),
    "resilience.model_invalid": _l("The model file is invalid at %(where)s: %(detail)s"),
    "resilience.model_too_large": _l("The model file is larger than %(max_kb)s KB"),
    "resilience.version_loaded": _l("Model version %(version)s is already loaded"),
    "resilience.version_taken": _l(
        "Model version %(version)s is already loaded with other content: give the new model a"
        " new version"
    ),
    "resilience.version_unknown": _l("There is no model version %(version)s"),
    "workbook.not_xlsx": _l("The file is not an Excel workbook (.xlsx) or is damaged"),
    "workbook.too_large": _l("The workbook unpacks to more than %(mb)s MB; split the file"),
    "workbook.compression_ratio": _l(
        "The workbook is compressed more than %(max)s to 1, which real workbooks never are"
    ),
    "workbook.too_many_parts": _l("The workbook has more than %(max)s parts"),
    "workbook.too_many_rows": _l("A sheet has more than %(max)s rows; split the file"),
    "workbook.too_complex": _l(
        "The workbook has too many cells, strings or styles to be read safely; split the file"
    ),
    # Notifications (the heading of each kind is in labels.NOTIFICATION_LABELS)
    "notice.delivery_confirmed": _l("Delivery confirmed: %(title)s"),
    "notice.delivery_rejected": _l("Delivery not confirmed: %(title)s — %(reason)s"),
    "notice.claim_expired": _l("A claim expired and the wish went back to the pool"),
    "notice.assignment": _l("New assignment for %(offer)s: %(title)s"),
    "notice.claim_expiring": _l("Your claim is due within a day: %(title)s"),
    "notice.delivery_awaiting": _l("A delivery awaits your confirmation: %(title)s"),
    "notice.delivery_overdue": _l(
        "Overdue: a delivery waits past its confirmation deadline: %(title)s"
    ),
    # Projects and Party branches (services/projects.py, services/branches.py)
    "project.funding_invalid": _l("Choose a funding source"),
    "project.budget_invalid": _l("Enter a budget in yuan, 0 or more"),
    "project.target_invalid": _l("Enter a whole number of households, 0 or more"),
    "project.not_found": _l("Project not found"),
    "project.closed": _l("This project is closed: choose another"),
    "project.score_invalid": _l("Enter a score from 0 to 100"),
    "branch.party_org_only": _l("Only a Party organisation's account manages Party branches"),
    "branch.not_found": _l("Party branch not found"),
    "branch.duplicate": _l("Your organisation already has a branch of this name"),
    "branch.unknown": _l("Choose one of your organisation's branches from the list"),
    # 专项活动 — campaigns (services/campaigns.py)
    "campaign.create_forbidden": _l(
        "Only the administrator or a district hub's staff may create a campaign"
    ),
    "campaign.manage_forbidden": _l(
        "Only the administrator or the hub that created the campaign may close it"
    ),
    "campaign.forbidden": _l("Campaigns are not available to this account"),
    "campaign.not_found": _l("Campaign not found"),
    "campaign.closed": _l("This campaign is already closed"),
    "campaign.end_past": _l("The end of the campaign is already past"),
    "campaign.too_long": _l("A campaign lasts at most %(days)s days"),
    "campaign.regions_out_of_scope": _l("Outside your hub's area: %(codes)s"),
    "campaign.not_running": _l("This campaign is not running: wishes cannot join it now"),
    "campaign.not_targeted": _l("This campaign does not target the household's community"),
    "campaign.item_not_theme": _l("The need's item is not one of the campaign's theme items"),
    "campaign.wishes_not_eligible": _l(
        "These wishes cannot join the campaign (not open, outside its items or regions, or "
        "already in a campaign): %(ids)s"
    ),
    "campaign.wishes_changed": _l("Some wishes changed meanwhile; nothing was added. Try again."),
    "notice.claim_given_up": _l("A member gave back a claim: %(title)s — %(reason)s"),
    "notice.offer_low": _l("Offer nearly used up (%(remaining)s of %(capacity)s left): %(title)s"),
    # 幸福码 both ways: help requests, ratings and thanks (services/feedback.py)
    "feedback.rating_range": _l("Choose a rating from 1 to 5"),
    "feedback.not_delivered": _l("Only help you have received can be rated"),
    "feedback.already_rated": _l("You have already rated this"),
    "feedback.bad_status": _l("Show or hold back"),
    "feedback.already_moderated": _l("This rating has already been dealt with"),
    "help.no_hub": _l("No hub serves this community yet; please call your community office"),
    "notice.help_request": _l("A household asked for help from its happiness code (due %(due)s)"),
    "notice.feedback_pending": _l("A household rated the help it received (%(rating)s of 5)"),
    "notice.thanks": _l("%(household)s's family thanks you: %(words)s"),
    "notice.thanks_rated": _l("%(household)s's family thanks you (%(rating)s of 5): %(words)s"),
    # 监测数据变动 and 线索: monitoring events, leads, discovery reports (services/monitoring.py)
    "event.in_future": _l("The date is in the future"),
    "event.household_id_not_allowed": _l(
        "A department's system names the resident by ID number and community code"
    ),
    "event.one_target": _l("Give either the household or an ID number, not both"),
    "event.role_forbidden": _l("Only hub staff and departments' systems record events"),
    "event.not_found": _l("Event not found"),
    "event.batch_too_large": _l("Send at most %(max)s events at a time"),
    "lead.no_hub": _l("No hub serves this community yet"),
    "lead.not_found": _l("Lead not found"),
    "lead.not_open": _l("This lead has already been dealt with"),
    "lead.household_id_required": _l("Enter the number (#) of the registered household"),
    "discovery.role_forbidden": _l("Only members and organisations report discoveries"),
    "notice.lead_opened": _l("New lead for %(hub)s to check by %(due)s"),
    "notice.leads_opened": _l("%(count)s new leads for %(hub)s to check"),
    # 预警: the queue, the check, the close, referrals, escalation (services/warnings.py)
    "warning.raised": _l("New %(level)s for %(hub)s to check by %(due)s"),
    "warning.raised_many": _l(
        "%(count)s new warnings for %(hub)s to check, %(important)s of them important"
    ),
    "warning.escalated": _l("An overdue warning moved up to %(hub)s: please check it"),
    "warning.escalated_many": _l(
        "%(count)s overdue warnings moved up to %(hub)s: please check them"
    ),
    "lead.escalated": _l("An overdue lead moved up to %(hub)s: please check it"),
    "lead.escalated_many": _l("%(count)s overdue leads moved up to %(hub)s: please check them"),
    "warning.not_found": _l("Warning not found"),
    "warning.already_closed": _l("This warning has already been closed"),
    "warning.policy_items_required": _l("Choose at least one item of policy assistance"),
    "warning.policy_item_unknown": _l("Unknown item of policy assistance: %(code)s"),
    "warning.need_items_required": _l("Choose at least one item of help"),
    "warning.need_item_unknown": _l("Unknown item of help: %(code)s"),
    "warning.reason_required": _l("Say why no help is needed"),
    "referral.not_found": _l("Referral not found"),
    "referral.bad_move": _l("A referral that is %(referral_status)s cannot move to that status"),
    # 探访关爱 and 结对帮扶 (services/visits.py, services/pairings.py)
    "visit.in_future": _l("The visit date cannot be in the future"),
    "visit.before_pairing": _l("The visit date is before the pairing began"),
    "visit.not_found": _l("Visit not found"),
    "visit.not_by_helper": _l("Only a paired helper's visit is confirmed as a service record"),
    "visit.already_confirmed": _l("This visit has already been confirmed"),
    "notice.visit_finding": _l("A paired helper's visit to %(household)s found something to check"),
    "pairing.one_helper": _l("Choose either a member or an organisation"),
    "pairing.member_unknown": _l("No active member account has this number"),
    "pairing.org_unknown": _l("No vetted organisation has this number"),
    "pairing.end_before_start": _l("The end date is before the start date"),
    "pairing.too_long": _l("A pairing lasts at most %(years)s years"),
    "pairing.end_past": _l("The end date has already passed"),
    "pairing.exists": _l("This household already has an active pairing: end it first"),
    "pairing.not_found": _l("Pairing not found"),
    "pairing.ended": _l("This pairing has already ended"),
    "notice.paired": _l("You are paired with %(household)s of %(community)s until %(end)s"),
    "notice.pairing_ended": _l("Your pairing with %(household)s has ended"),
    "notice.paired_wish": _l(
        "Your paired household has a new wish: it is yours to claim first for %(hours)s hours"
    ),
    "wish.paired_first": _l(
        "This wish goes to the household's paired helper first; it joins the pool later"
    ),
}

# Parameters that are codes themselves, by parameter name.
PARAM_LABELS: dict[str, Mapping[str, LazyString]] = {
    "need_status": NEED_STATUS_LABELS,
    "claim_status": CLAIM_STATUS_LABELS,
    "proposal_status": PROPOSAL_STATUS_LABELS,
    "roles": ROLE_LABELS,
    "tags": TAG_LABELS,
    "hardship": HARDSHIP_LABELS,
    "level": WARNING_LEVEL_LABELS,  # a warning's level (important | general)
    "referral_status": REFERRAL_STATUS_LABELS,
    "stages": STAGE_LABELS,
    "from_stage": STAGE_LABELS,
    "to_stage": STAGE_LABELS,
}

# Messages of the form libraries (WTForms, Flask-WTF) that reach a page in English: listed so that
# the catalogue holds them; ``render`` translates exactly these and no other free text.
FRAMEWORK_MESSAGES = frozenset(
    (
        N_("The CSRF token is missing."),
        N_("The CSRF token is invalid."),
        N_("The CSRF token has expired."),
        N_("The CSRF session token is missing."),
        N_("The CSRF tokens do not match."),
        N_("Not a valid integer value."),
        N_("Not a valid decimal value."),
        N_("Not a valid date value."),
        N_("This field is required."),
        N_("Not a valid choice."),
    )
)

LIST_SEPARATOR = _l(", ")


class _Params(dict[str, Any]):
    """Formatting values: a placeholder the parameters lack renders empty, never an error."""

    def __missing__(self, key: str) -> str:
        log.warning("message parameter %r missing", key)
        return ""


def _value(name: str, value: Any) -> Any:
    labels = PARAM_LABELS.get(name)
    if isinstance(value, (list, tuple)):
        return str(LIST_SEPARATOR).join(str(_value(name, v)) for v in value)
    if labels is not None and isinstance(value, str):
        return str(labels.get(value, value))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping) and {"zh", "en"} <= value.keys():
        # A name in both languages (a taxonomy item): the reader's one.
        return value["en"] if _reading_english() else value["zh"]
    return value


def _reading_english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def render(message: Message | str | None, params: Mapping[str, Any] | None = None) -> str:
    """A message (or a bare code) in the reader's language, its parameters filled in.

    A string that is no code of the catalogue is returned as it is (a form library's message is
    translated): it is already text for the reader.
    """
    if message is None:
        return ""
    if isinstance(message, Message):
        code, values = message.code, dict(message.params)
    else:
        code, values = str(message), {}
    values.update(params or {})
    if code == RAW:
        return str(values.get("text", ""))
    msgid = MESSAGES.get(code)
    if msgid is None:
        return gettext(code) if code in FRAMEWORK_MESSAGES else code
    text = str(msgid)
    if "%(" not in text:
        return text
    return text % _Params({name: _value(name, value) for name, value in values.items()})


def round_message(match_round: MatchRound) -> str:
    """What a match round is doing, or how it ended (its message code), for the reader."""
    params = (match_round.stats or {}).get("message_params") or {}
    return render(Message(match_round.message, params))


def init_app(app: Flask) -> None:
    app.add_template_filter(render, "tmsg")
    app.add_template_global(round_message, "round_message")
