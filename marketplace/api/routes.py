"""JSON API v1 (bearer tokens). Thin: parse, call one service, serialise."""

from __future__ import annotations

from flask import current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from marketplace import jobs
from marketplace.api import (  # noqa: F401  (each registers its routes)
    campaigns,
    care,
    casefile,
    monitoring,
    projects,
    serialise,
    suggest,
    warnings,
)
from marketplace.api.blueprint import Unauthenticated, api_auth, body, bp, created, me
from marketplace.api.openapi import build_spec
from marketplace.db import get_session
from marketplace.extensions import limiter
from marketplace.models import Role
from marketplace.profiles import Profile
from marketplace.schemas import DecisionIn, DeliveryIn, HouseholdIn, NeedIn, OfferIn, OrgIn
from marketplace.services import (
    accounts,
    certificates,
    claims,
    contributions,
    draws,
    fairness,
    feedback,
    fields,
    happiness,
    households,
    offers,
    points,
    resilience,
    rounds,
    twofactor,
    wishes,
)
from marketplace.services.access import (
    get_household_for_staff,
    get_need_for_staff,
    get_offer_for_org,
    require_wish_reader,
)
from marketplace.services.errors import Forbidden, ValidationFailed, parse
from marketplace.services.messages import Message
from marketplace.services.regions import region_names
from marketplace.uploads import delivery_limit, photo_saver
from marketplace.web import login_throttle
from marketplace.web.certificates import certificate_pdf, pdf_response
from marketplace.web.messages import render


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(build_spec())


@bp.post("/tokens")
@login_throttle.login_limits
def create_token() -> ResponseReturnValue:
    """Username and password (and the code of an account with two-step sign-in) for a token.

    Throttled like the login form, in the same buckets."""
    data = body()
    username, password, code = data.get("username"), data.get("password"), data.get("otp")
    errors = {
        k: "field.required"
        for k, v in (("username", username), ("password", password))
        if not isinstance(v, str) or not v
    }
    if code is not None and not isinstance(code, str):
        errors["otp"] = "field.not_text"
    if errors:
        raise ValidationFailed(errors)
    session = get_session()
    name = str(username)
    try:
        user = login_throttle.check_password(session, name, str(password))
    except login_throttle.TooManyAttempts as exc:
        response = current_app.make_response(current_app.handle_user_exception(exc))
        response.headers["Retry-After"] = str(exc.seconds)
        return response
    except accounts.LoginFailed as exc:
        raise Unauthenticated(exc.message) from None
    if twofactor.enabled(user):
        if not code:
            raise Unauthenticated("twofactor.code_required")
        if not twofactor.check_code(session, user=user, code=str(code)).ok:
            login_throttle.failed(name)
            raise Unauthenticated("twofactor.code_wrong")
    elif twofactor.can_enrol(user) and twofactor.is_required(session, user):
        raise Forbidden("twofactor.enrol_first")
    if user.must_change_password:
        raise Forbidden("account.change_password_first")
    login_throttle.succeeded(name)
    token = accounts.issue_token(session, user=user, days=current_app.config["API_TOKEN_DAYS"])
    return created(
        {"token": token, "role": user.role, "expires_in_days": current_app.config["API_TOKEN_DAYS"]}
    )


@bp.get("/tokens")
@api_auth(own_tokens=True)
def list_tokens() -> ResponseReturnValue:
    """The caller's live tokens (never their secrets); ``current`` marks the one in use."""
    rows = accounts.list_tokens(get_session(), user=me(), current_id=g.api_token_id)
    return jsonify(tokens=[serialise.api_token(t) for t in rows])


@bp.delete("/tokens/current")
@api_auth(own_tokens=True)
def revoke_current_token() -> ResponseReturnValue:
    accounts.revoke_token(get_session(), user=me(), token_id=g.api_token_id)
    return "", 204


@bp.delete("/tokens/<int:token_id>")
@api_auth(own_tokens=True)
def revoke_token(token_id: int) -> ResponseReturnValue:
    accounts.revoke_token(get_session(), user=me(), token_id=token_id)
    return "", 204


# Households and needs (hub staff) -------------------------------------------------------------


@bp.post("/households")
@api_auth(Role.HUB_STAFF)
def create_household() -> ResponseReturnValue:
    data = parse(HouseholdIn, body())
    household = households.create_household(get_session(), actor=me(), data=data)
    return created(serialise.household_full(household))


@bp.get("/households")
@api_auth(Role.HUB_STAFF)
def search_households() -> ResponseReturnValue:
    after = request.args.get("cursor", type=int)
    rows = households.search_households(
        get_session(), actor=me(), q=request.args.get("q", ""), after_id=after
    )
    return jsonify(
        items=[serialise.household_summary(h) for h in rows],
        next_cursor=rows[-1].id if len(rows) == 20 else None,
    )


@bp.get("/households/<int:household_id>")
@api_auth(Role.HUB_STAFF)
def get_household(household_id: int) -> ResponseReturnValue:
    session = get_session()
    household = households.view_household(session, actor=me(), household_id=household_id)
    payload = serialise.household_full(household)
    payload["needs"] = [
        serialise.need_staff(n) for n in households.needs_of_household(session, household.id or 0)
    ]
    return jsonify(payload)


@bp.get("/households/<int:household_id>/score")
@api_auth(Role.HUB_STAFF, Role.ADMIN)
def household_score(household_id: int) -> ResponseReturnValue:
    """抗风险能力赋分 with its explanation (hub staff: their subtree; admin: the city)."""
    score = resilience.household_score(get_session(), actor=me(), household_id=household_id)
    return jsonify(serialise.score(score))


@bp.put("/households/<int:household_id>/profile")
@api_auth(Role.HUB_STAFF)
def update_profile(household_id: int) -> ResponseReturnValue:
    """家庭画像: replace the profile (and optionally the size); kept with who/when/what and
    rescored at once. Answers the new score."""
    session = get_session()
    get_household_for_staff(session, household_id, me())  # out of scope: 404 before any 422
    data = body()
    given = data.get("profile")
    if not isinstance(given, dict):
        raise ValidationFailed({"profile": "field.required"})
    profile = parse(Profile, given)
    errors: dict[str, Message | str] = {}
    members = fields.whole_number(data.get("members"), "members", errors)
    if errors:
        raise ValidationFailed(errors)
    resilience.update_profile(
        session, actor=me(), household_id=household_id, profile=profile, members=members
    )
    score = resilience.household_score(session, actor=me(), household_id=household_id)
    return jsonify(serialise.score(score))


@bp.post("/needs")
@api_auth(Role.HUB_STAFF)
def create_need() -> ResponseReturnValue:
    data = parse(NeedIn, body())
    session = get_session()
    need = households.create_need(session, actor=me(), data=data)
    payload = serialise.need_staff(need)
    payload["possible_duplicates"] = households.possible_duplicates(session, [need.id or 0]).get(
        need.id or 0, []
    )
    return created(payload)


@bp.get("/items/suggest")
@api_auth(Role.HUB_STAFF)
def suggest_items() -> ResponseReturnValue:
    text = request.args.get("text", "").strip()
    if not text:
        raise ValidationFailed({"text": "api.wish_text_required"})
    return jsonify(items=households.suggest_items(get_session(), text))


@bp.get("/needs/<int:need_id>")
@api_auth(Role.HUB_STAFF)
def get_need(need_id: int) -> ResponseReturnValue:
    session = get_session()
    need = get_need_for_staff(session, need_id, me())
    payload = serialise.need_staff(need)
    claim = claims.active_claim(session, need_id)
    payload["claim"] = serialise.claim(claim) if claim else None
    return jsonify(payload)


@bp.post("/needs/<int:need_id>/publish")
@api_auth(Role.HUB_STAFF)
def publish_need(need_id: int) -> ResponseReturnValue:
    return jsonify(
        serialise.need_staff(
            households.publish_need(
                get_session(),
                actor=me(),
                need_id=need_id,
                pairing_window_hours=current_app.config["PAIRING_WINDOW_HOURS"],
                claim_window_minutes=current_app.config["CLAIM_WINDOW_MINUTES"],
            )
        )
    )


@bp.post("/needs/<int:need_id>/cancel")
@api_auth(Role.HUB_STAFF)
def cancel_need(need_id: int) -> ResponseReturnValue:
    reason = parse(DecisionIn, body()).reason
    return jsonify(
        serialise.need_staff(
            households.cancel_need(get_session(), actor=me(), need_id=need_id, reason=reason)
        )
    )


@bp.post("/needs/<int:need_id>/confirm")
@api_auth(Role.HUB_STAFF)
def confirm_need(need_id: int) -> ResponseReturnValue:
    hours = body().get("hours") if (request.is_json or request.form) else None
    session = get_session()
    claim = claims.confirm_delivery(session, actor=me(), need_id=need_id, hours=hours)
    record = contributions.record_of_claim(session, claim.id or 0)
    return jsonify(
        serialise.claim(claim)
        | {
            "need_status": "confirmed",
            "record": None
            if record is None
            else {
                "record_no": record.record_no,
                "hours": float(record.hours),
                "points": record.points,
            },
        }
    )


@bp.post("/needs/<int:need_id>/reject")
@api_auth(Role.HUB_STAFF)
def reject_need_delivery(need_id: int) -> ResponseReturnValue:
    reason = parse(DecisionIn, body()).reason
    claim = claims.reject_delivery(get_session(), actor=me(), need_id=need_id, reason=reason)
    return jsonify(serialise.claim(claim))


# Wishes and claims (members) ------------------------------------------------------------------


@bp.get("/wishes")
@api_auth()
def list_wishes() -> ResponseReturnValue:
    require_wish_reader(get_session(), me())
    f = wishes.parse_filter(request.args)
    limit = max(1, min(100, request.args.get("limit", 20, type=int) or 20))
    views, cursor = wishes.browse_page(
        get_session(),
        f,
        after_id=request.args.get("cursor", type=int),
        limit=limit,
        max_age_s=current_app.config["WISH_POOL_CACHE_S"],
    )
    return jsonify(items=[v.as_json() for v in views], next_cursor=cursor)


@bp.get("/wishes/<int:wish_id>")
@api_auth()
def get_wish(wish_id: int) -> ResponseReturnValue:
    require_wish_reader(get_session(), me())
    return jsonify(wishes.wish_detail(get_session(), wish_id).as_json())


@bp.post("/wishes/<int:wish_id>/claim")
@api_auth(Role.MEMBER)
@limiter.limit(
    "30 per minute", key_func=lambda: f"claim:{request.headers.get('Authorization', '')[-16:]}"
)
def claim_wish(wish_id: int) -> ResponseReturnValue:
    """201 with the claim; 202 with the registered interest while the wish's claim window is
    open (认领意向登记: the draw at its close decides, services/draws.py)."""
    cfg = current_app.config
    outcome = draws.claim_or_interest(
        get_session(),
        member=me(),
        wish_id=wish_id,
        policy=claims.ClaimPolicy(
            cfg["MAX_OPEN_CLAIMS"], cfg["CLAIM_DAYS"], cfg["REPEAT_HELP_DAYS"]
        ),
    )
    if isinstance(outcome, draws.Interest):
        return jsonify(
            interest=outcome.as_json(),
            window_closes_at=outcome.as_json()["window_closes_at"],
            message=render(outcome.message()),
        ), 202
    return created(serialise.claim(outcome))


@bp.delete("/wishes/<int:wish_id>/interest")
@api_auth(Role.MEMBER)
def withdraw_interest(wish_id: int) -> ResponseReturnValue:
    """撤回意向 — withdraw a registered interest while the window is open."""
    draws.withdraw_interest(get_session(), member=me(), wish_id=wish_id)
    return "", 204


@bp.get("/wishes/<int:wish_id>/draw")
@api_auth(Role.ADMIN, Role.HUB_STAFF)
def wish_draw(wish_id: int) -> ResponseReturnValue:
    """A wish's recorded draw, re-run from its seed and candidates (audit rights)."""
    return jsonify(draws.verify(get_session(), wish_id, actor=me()).as_json())


@bp.get("/claims")
@api_auth(Role.MEMBER)
def my_claims() -> ResponseReturnValue:
    return jsonify(items=[serialise.claim(c) for c in claims.claims_of_member(get_session(), me())])


@bp.post("/claims/<int:claim_id>/deliver")
@api_auth(Role.MEMBER, Role.ORG)
@delivery_limit
def deliver(claim_id: int) -> ResponseReturnValue:
    data = parse(DeliveryIn, body() if (request.is_json or request.form) else {})
    session = get_session()
    claim = claims.report_delivery(
        session,
        actor=me(),
        claim_id=claim_id,
        note=data.note,
        save_photo=photo_saver(request.files.get("photo"), session),
        note_min_chars=int(current_app.config["DELIVERY_NOTE_MIN_CHARS"]),
        hours=None if data.hours is None else str(data.hours),
    )
    return jsonify(serialise.claim(claim))


# Service records (志愿服务记录), certificates and their verification ------------------------------


@bp.get("/me/contributions")
@api_auth(Role.MEMBER)
def my_contributions() -> ResponseReturnValue:
    db = get_session()
    d_from, d_to = contributions.parse_period(request.args.get("from"), request.args.get("to"))
    rows = contributions.records_of_member(db, member_id=me().id or 0, d_from=d_from, d_to=d_to)
    names = region_names(db)
    thanks = feedback.thanks_for_records(db, rows)  # shown ones only, the household masked
    return jsonify(
        {
            "from": d_from.isoformat(),
            "to": d_to.isoformat(),
            "items": [
                contributions.record_json(r, place=names.get(r.community_code, ""))
                | {"thanks": thanks[r.id].as_json() if r.id in thanks else None}
                for r in rows
            ],
            "totals": contributions.totals(rows).as_json(),
            "points_balance": points.balance(db, member_id=me().id or 0),
        }
    )


@bp.get("/me/certificate.pdf")
@api_auth(Role.MEMBER)
def my_certificate() -> ResponseReturnValue:
    d_from, d_to = contributions.parse_period(request.args.get("from"), request.args.get("to"))
    body_pdf, cert = certificate_pdf(get_session(), me(), d_from, d_to)
    return pdf_response(body_pdf, cert)


@bp.get("/verify/<code>")
def verify_certificate(code: str) -> ResponseReturnValue:
    """Public: a certificate's fixed totals by its code; nothing about households."""
    return jsonify(certificates.verify(get_session(), code).as_json())


# Organisations and offers -----------------------------------------------------------------------


@bp.post("/orgs")
@api_auth(Role.ADMIN, Role.ORG)
def register_org() -> ResponseReturnValue:
    data = parse(OrgIn, body())
    return created(serialise.org(offers.register_org(get_session(), actor=me(), data=data)))


@bp.post("/orgs/<int:org_id>/vet")
@api_auth(Role.ADMIN)
def vet_org(org_id: int) -> ResponseReturnValue:
    data = body() if request.get_data() else {}
    approve = data.get("approve", True)
    if not isinstance(approve, bool):
        raise ValidationFailed({"approve": "field.not_boolean"})
    org = offers.vet_org(
        get_session(),
        actor=me(),
        org_id=org_id,
        approve=approve,
        note=str(data.get("note", ""))[:500],
    )
    return jsonify(serialise.org(org))


@bp.post("/offers")
@api_auth(Role.ORG)
def create_offer() -> ResponseReturnValue:
    data = parse(OfferIn, body())
    session = get_session()
    offer = offers.create_offer(session, actor=me(), data=data)
    return created(serialise.offer(offer, live=offers.is_live(session, offer)))


@bp.get("/offers")
@api_auth(Role.ORG)
def my_offers() -> ResponseReturnValue:
    session = get_session()
    return jsonify(
        items=[
            serialise.offer(o, live=offers.is_live(session, o))
            for o in offers.offers_of_org(session, me())
        ]
    )


@bp.get("/offers/<int:offer_id>")
@api_auth(Role.ORG)
def get_offer(offer_id: int) -> ResponseReturnValue:
    session = get_session()
    offer = get_offer_for_org(session, offer_id, me())
    return jsonify(serialise.offer(offer, live=offers.is_live(session, offer)))


# The household's own page, as JSON (no login: the opaque token is the credential) --------------


@bp.get("/happiness/<token>")
def happiness_json(token: str) -> ResponseReturnValue:
    return jsonify(happiness.happiness_list(get_session(), token))


# Match rounds (hub staff for their area, admin for the city) ----------------------------------


@bp.post("/match-rounds")
@api_auth(Role.HUB_STAFF, Role.ADMIN)
def start_round() -> ResponseReturnValue:
    match_round = rounds.start_round(get_session(), actor=me())
    jobs.enqueue_round(match_round.id or 0)
    return jsonify(serialise.match_round(match_round)), 202


@bp.get("/match-rounds/<int:round_id>")
@api_auth(Role.HUB_STAFF, Role.ADMIN)
def get_round(round_id: int) -> ResponseReturnValue:
    session = get_session()
    match_round = rounds.get_round(session, actor=me(), round_id=round_id)
    payload = serialise.match_round(match_round)
    payload["unmatched_by_reason"] = rounds.unmatched_summary(
        session, actor=me(), round_id=round_id
    )
    return jsonify(payload)


@bp.get("/match-rounds/<int:round_id>/proposals")
@api_auth(Role.HUB_STAFF, Role.ADMIN)
def list_proposals(round_id: int) -> ResponseReturnValue:
    limit = max(1, min(500, request.args.get("limit", 100, type=int) or 100))
    rows = rounds.proposals_of(
        get_session(),
        actor=me(),
        round_id=round_id,
        after_id=request.args.get("cursor", type=int),
        limit=limit,
    )
    return jsonify(
        items=[serialise.proposal(p) for p in rows],
        next_cursor=rows[-1].id if len(rows) == limit else None,
    )


@bp.get("/match-rounds/<int:round_id>/fairness")
@api_auth(Role.HUB_STAFF, Role.ADMIN)
def round_fairness(round_id: int) -> ResponseReturnValue:
    """The fairness figures of a round (DESIGN §12)."""
    return jsonify(fairness.round_report(get_session(), actor=me(), round_id=round_id).as_json())


@bp.get("/fairness")
@api_auth(Role.HUB_STAFF, Role.ADMIN)
def month_fairness() -> ResponseReturnValue:
    """The fairness figures of a Beijing month (``month=YYYY-MM``; default the current one) for
    the caller's area (hub staff: their subtree; the administrator: the city)."""
    month = fairness.parse_month(request.args.get("month", "")[:16])
    return jsonify(fairness.month_report(get_session(), actor=me(), month=month).as_json())


@bp.post("/proposals/<int:proposal_id>/<any(accept, reject, lock):action>")
@api_auth(Role.HUB_STAFF, Role.ADMIN)
def decide_proposal(proposal_id: int, action: str) -> ResponseReturnValue:
    session = get_session()
    if action == "accept":
        claim = rounds.accept_proposal(
            session,
            actor=me(),
            proposal_id=proposal_id,
            settings=rounds.settings_from_config(current_app.config),
        )
        return jsonify(serialise.claim(claim) | {"proposal_id": proposal_id, "status": "accepted"})
    reason = parse(DecisionIn, body()).reason
    decide = rounds.reject_proposal if action == "reject" else rounds.lock_proposal
    return jsonify(
        serialise.proposal(decide(session, actor=me(), proposal_id=proposal_id, reason=reason))
    )
