"""幸福码 / 幸福清单 — a household's own read-only list of help received and pending.

The page has no login: the opaque token in its URL is the credential, so the page holds no personal
data (titles are the public, scrubbed ones), the token is kept out of the access logs
(``marketplace/household/access_log.py``), and staff can reissue it when a card is lost or shared.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, or_
from sqlmodel import Session, col, func, select

from marketplace.models import (
    Claim,
    ClaimStatus,
    Feedback,
    Household,
    HouseholdStage,
    ListAcknowledgement,
    ListItemKind,
    Need,
    NeedStatus,
    PolicyReferral,
    ReferralStatus,
    TaxonomyItem,
    User,
    Visit,
)
from marketplace.services import audit, feedback
from marketplace.services.access import get_household_for_staff
from marketplace.services.clock import beijing_date
from marketplace.services.errors import Gone, NotFound
from marketplace.services.privacy import mask_name
from marketplace.services.regions import in_subtree
from marketplace.services.wishes import public_title

VISIBLE = (
    NeedStatus.OPEN.value,
    NeedStatus.CLAIMED.value,
    NeedStatus.MATCHED.value,
    NeedStatus.DELIVERED.value,
    NeedStatus.CONFIRMED.value,
)
RECEIVED = (NeedStatus.DELIVERED.value, NeedStatus.CONFIRMED.value)
ON_THE_WAY = (NeedStatus.CLAIMED.value, NeedStatus.MATCHED.value)


def household_by_token(session: Session, token: str) -> Household:
    if not token or len(token) > 64:
        raise NotFound()
    household = session.exec(select(Household).where(Household.token == token)).first()
    if household is None:
        raise NotFound()
    if household.stage == HouseholdStage.EXITED.value:
        # An exited household's code stops answering (DESIGN §10): 410, a neutral page.
        raise Gone("happiness.closed")
    return household


def happiness_list(session: Session, token: str) -> dict[str, Any]:
    """The household sees its own needs (what was published) and who is helping; no one else's."""
    household = household_by_token(session, token)
    needs = list(
        session.exec(
            select(Need)
            .where(Need.household_id == household.id, col(Need.status).in_(VISIBLE))
            .order_by(col(Need.id).desc())
        )
    )
    ids = [n.id for n in needs]
    claims = {
        c.need_id: c
        for c in session.exec(
            select(Claim).where(col(Claim.need_id).in_(ids)).order_by(col(Claim.id))
        )
        if c.status in ("active", "delivered", "confirmed")
    }
    items = {i.code: i for i in session.exec(select(TaxonomyItem))}
    entries = []
    for n in needs:
        c = claims.get(n.id or 0)
        item = items.get(n.item_code)
        entries.append(
            {
                "need_id": n.id,
                "title": public_title(n, household.name),
                "item": n.item_code,
                "item_name": item.name_zh if item else n.item_code,
                "item_name_en": item.name_en if item else n.item_code,
                "status": n.status,
                "claim_id": c.id if c else None,
                "delivered_at": _utc_iso(c.delivered_at) if c else None,
                "delivered_on": _beijing_day(c.delivered_at) if c else None,
                "confirmed_at": _utc_iso(c.confirmed_at) if c else None,
                "acknowledged": bool(c and c.acknowledged_at),
            }
        )
    # 正在路上 (on the way): a helper has it (claimed, matched to an offer). A published need no
    # helper has taken yet is "waiting", never "on the way".
    on_the_way = [e for e in entries if e["status"] in ON_THE_WAY]
    waiting = [e for e in entries if e["status"] == NeedStatus.OPEN.value]
    ratings = feedback.ratings_of_household(session, household.id or 0)
    received = [e for e in entries if e["status"] in RECEIVED]
    for e in received:
        claim_id = e["claim_id"]
        key = feedback.item_key("claim", int(claim_id)) if claim_id else None
        _with_rating(e, key, ratings)
    benefits = _benefits(session, household, ratings)
    visits = _visits(session, household, ratings)
    return {
        "household": mask_name(household.name),
        "received": received,
        "on_the_way": on_the_way,
        "waiting": waiting,
        "pending": on_the_way + waiting,  # both, as the API has always answered
        "benefits": benefits,
        "visits": visits,
        "help_requests_open": feedback.open_help_requests(session, household.id or 0),
    }


def _with_rating(entry: dict[str, Any], key: str | None, ratings: dict[str, Any]) -> None:
    """An item's key (``claim-12``) and the household's own rating of it, if any."""
    rated = ratings.get(key) if key else None
    entry["key"] = key
    entry["rating"] = rated.rating if rated is not None else None
    entry["rated"] = rated is not None


def _benefits(
    session: Session, household: Household, ratings: dict[str, Any]
) -> list[dict[str, Any]]:
    """政策救助: the referrals staff recorded as granted (what, since when, amount or service)."""
    granted = list(
        session.exec(
            select(PolicyReferral)
            .where(
                PolicyReferral.household_id == household.id,
                PolicyReferral.status == ReferralStatus.DONE.value,
            )
            .order_by(col(PolicyReferral.id).desc())
        )
    )
    if not granted:
        return []
    # The policy items' names live with the warnings' referrals (services/warnings.py).
    from marketplace.services.warnings import policy_items

    names = policy_items()
    acked = feedback.acknowledged_keys(session, household.id or 0)
    out = []
    for r in granted:
        item = names.get(r.item_code)
        key = feedback.item_key("benefit", r.id or 0)
        entry: dict[str, Any] = {
            "benefit_id": r.id,
            "item": r.item_code,
            "item_name": item.name_zh if item else r.item_code,
            "item_name_en": item.name_en if item else r.item_code,
            "since": r.since.isoformat() if r.since else None,
            "amount_yuan": str(r.amount_yuan) if r.amount_yuan is not None else None,
            "service": r.service,
            "acknowledged": key in acked,
        }
        _with_rating(entry, key, ratings)
        out.append(entry)
    return out


def _visits(
    session: Session, household: Household, ratings: dict[str, Any]
) -> list[dict[str, Any]]:
    """探访关爱: the visits made to the household (when and how; the notes stay with staff)."""
    acked = feedback.acknowledged_keys(session, household.id or 0)
    out = []
    for v in session.exec(
        select(Visit)
        .where(Visit.household_id == household.id)
        .order_by(col(Visit.visited_on).desc(), col(Visit.id).desc())
        .limit(50)
    ):
        key = feedback.item_key("visit", v.id or 0)
        entry: dict[str, Any] = {
            "visit_id": v.id,
            "visited_on": v.visited_on.isoformat(),
            "mode": v.mode,
            "acknowledged": key in acked,
        }
        _with_rating(entry, key, ratings)
        out.append(entry)
    return out


def _utc_iso(value: datetime | None) -> str | None:
    """A stored moment as ISO 8601 with its UTC offset (SQLite hands back naive UTC)."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _beijing_day(value: datetime | None) -> str | None:
    """The Beijing calendar day of a stored moment: 05:18 in Beijing on 12-02 is 12-02."""
    return beijing_date(value).isoformat() if value is not None else None


def new_token() -> str:
    """192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def reissue_token(session: Session, *, actor: User, household_id: int) -> Household:
    """Hub staff give a household a new 幸福码; the old link answers 404 from now on."""
    household = get_household_for_staff(session, household_id, actor)
    household.token = new_token()
    session.add(household)
    session.flush()
    audit.record(session, actor, "household.reissue_code", household)
    return household


# -- indicators: 幸福清单送达率 and satisfaction, by region (issue 14 item 8) ----------------------

# A region level → the length of its codes (region codes are prefixes of their descendants).
LEVEL_LENGTHS = {"district": 6, "street": 9, "community": 12}
LISTED_CLAIMS = (ClaimStatus.ACTIVE.value, ClaimStatus.DELIVERED.value, ClaimStatus.CONFIRMED.value)


@dataclass(frozen=True)
class Share:
    """``done`` of ``total`` (the rate is None when there is nothing to count)."""

    done: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.done / self.total if self.total else None

    def __add__(self, other: Share) -> Share:
        return Share(self.done + other.done, self.total + other.total)


@dataclass(frozen=True)
class Satisfaction:
    """``ratings`` ratings (1–5) adding up to ``points``; the average is None without ratings."""

    ratings: int
    points: int

    @property
    def average(self) -> float | None:
        return self.points / self.ratings if self.ratings else None


def _level_length(level: str) -> int:
    if level not in LEVEL_LENGTHS:
        raise ValueError(f"level must be one of {sorted(LEVEL_LENGTHS)}: {level!r}")
    return LEVEL_LENGTHS[level]


def _in_period(column: Any, start: datetime | None, end: datetime | None) -> list[Any]:
    where = []
    if start is not None:
        where.append(col(column) >= start)
    if end is not None:
        where.append(col(column) < end)
    return where


def delivery_rate(
    session: Session,
    *,
    level: str = "district",
    within: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Share]:
    """幸福清单送达率 by region: items acknowledged by the household or confirmed delivered, of all
    the items on the households' lists, keyed by the region code at ``level`` (district, street,
    community), only inside ``within`` (a region code) if given.

    The items and when each counts as delivered:

    - marketplace help: claims and round assignments that are active, delivered or confirmed (not
      expired, cancelled or given back), in the period by ``claimed_at``; done when the hub
      confirmed the delivery or the household acknowledged it;
    - visits (探访关爱), by ``created_at``: done when staff made it, when the hub confirmed a paired
      helper's visit (its contribution record), or when the household acknowledged it;
    - policy benefits: referrals granted (``done``), by ``done_at``: staff recorded them as granted,
      so they count as confirmed delivered.
    """
    n = _level_length(level)
    totals: dict[str, Share] = {}

    def add(rows: Any) -> None:
        for code, total, done in rows:
            totals[code] = totals.get(code, Share(0, 0)) + Share(int(done or 0), int(total))

    # Marketplace help.
    region = func.substr(Need.community_code, 1, n)
    claim_done = case(
        (
            or_(
                col(Claim.status) == ClaimStatus.CONFIRMED.value,
                col(Claim.acknowledged_at).is_not(None),
            ),
            1,
        ),
        else_=0,
    )
    stmt = (
        select(region, func.count(), func.sum(claim_done))
        .select_from(Claim)
        .join(Need, col(Need.id) == Claim.need_id)
        .where(col(Claim.status).in_(LISTED_CLAIMS), *_in_period(Claim.claimed_at, start, end))
        .group_by(region)
    )
    if within:
        stmt = stmt.where(in_subtree(Need.community_code, within))
    add(session.exec(stmt))

    # Visits.
    h_region = func.substr(Household.community_code, 1, n)
    visit_done = case(
        (
            or_(
                col(Visit.pairing_id).is_(None),
                col(Visit.contribution_id).is_not(None),
                col(ListAcknowledgement.id).is_not(None),
            ),
            1,
        ),
        else_=0,
    )
    stmt = (
        select(h_region, func.count(), func.sum(visit_done))
        .select_from(Visit)
        .join(Household, col(Household.id) == Visit.household_id)
        .outerjoin(
            ListAcknowledgement,
            and_(
                col(ListAcknowledgement.item_kind) == ListItemKind.VISIT.value,
                col(ListAcknowledgement.item_id) == Visit.id,
            ),
        )
        .where(*_in_period(Visit.created_at, start, end))
        .group_by(h_region)
    )
    if within:
        stmt = stmt.where(in_subtree(Household.community_code, within))
    add(session.exec(stmt))

    # Policy benefits.
    stmt = (
        select(h_region, func.count(), func.count())
        .select_from(PolicyReferral)
        .join(Household, col(Household.id) == PolicyReferral.household_id)
        .where(
            PolicyReferral.status == ReferralStatus.DONE.value,
            *_in_period(PolicyReferral.done_at, start, end),
        )
        .group_by(h_region)
    )
    if within:
        stmt = stmt.where(in_subtree(Household.community_code, within))
    add(session.exec(stmt))
    return totals


def satisfaction(
    session: Session,
    *,
    level: str = "district",
    within: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Satisfaction]:
    """Satisfaction by region: the households' ratings (1–5) of delivered items, all of them
    (held ones too: holding keeps words from the helper, it does not change the figure), by the
    region code at ``level``, rated within the period if given."""
    n = _level_length(level)
    region = func.substr(Feedback.community_code, 1, n)
    stmt = (
        select(region, func.count(), func.sum(Feedback.rating))
        .where(*_in_period(Feedback.created_at, start, end))
        .group_by(region)
    )
    if within:
        stmt = stmt.where(in_subtree(Feedback.community_code, within))
    return {
        code: Satisfaction(int(count), int(points or 0))
        for code, count, points in session.exec(stmt)
    }
