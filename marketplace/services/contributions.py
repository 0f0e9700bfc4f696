"""志愿服务记录 — contribution records of confirmed help (DESIGN §11, issue 16 item 3).

Every confirmed delivery gives one record with the fields of the national volunteer service
record: volunteer, organisation, content, place (community), start and end, hours (declared by the
helper with the report, confirmed or corrected by the hub), recording unit (the confirming hub) and
a record number (ZF-<year>-<id>). The household appears only as its masked surname.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, col, select

from marketplace.models import (
    Claim,
    Contribution,
    Household,
    Hub,
    Need,
    Offer,
    Organisation,
    User,
    Visit,
    utcnow,
)
from marketplace.services import points
from marketplace.services.clock import BEIJING, beijing_date, beijing_today
from marketplace.services.errors import ValidationFailed
from marketplace.services.messages import Message
from marketplace.services.privacy import mask_name
from marketplace.services.wishes import public_title_of

MAX_HOURS = Decimal(24)
MAX_PERIOD_DAYS = 366 * 5
FIRST_YEAR, LAST_YEAR = 2000, 2099  # dates a period may name


def parse_hours(value: Any, *, field: str = "hours") -> Decimal | None:
    """Hours as typed (``"2.5"``, ``2``, empty → None): 0 to 24, kept to one decimal (0.1 h,
    six minutes; 1.25 → 1.3)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed({field: "hours.invalid"}) from None
    if not hours.is_finite() or hours < 0 or hours > MAX_HOURS:
        raise ValidationFailed({field: Message("hours.range", {"max": int(MAX_HOURS)})})
    return hours.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def record_no(year: int, record_id: int) -> str:
    return f"ZF-{year}-{record_id:06d}"


def record_delivery(
    session: Session,
    *,
    claim: Claim,
    need: Need,
    actor: User,
    hours: Decimal | None,
    now: datetime | None = None,
) -> Contribution:
    """The record of a delivery the hub just confirmed (``claims.confirm_delivery``), with its
    points. ``hours``: the hub's figure; None keeps what the helper declared (or 0)."""
    now = now or utcnow()
    household = session.get(Household, need.household_id)
    confirmed = hours if hours is not None else (claim.declared_hours or Decimal(0))
    member = session.get(User, claim.member_id) if claim.member_id is not None else None
    org_id: int | None = None
    org_name = ""
    # The branch of the member (党支部) and the project of the offer (项目), for their reports.
    branch_id = member.branch_id if member is not None else None
    project_offer = session.get(Offer, claim.offer_id) if claim.offer_id else None
    project_id = project_offer.project_id if project_offer is not None else None
    if member is not None:
        volunteer = member.display_name or member.username
        org_id = member.org_id
    else:  # an assignment: the offer's organisation
        offer = session.get(Offer, claim.offer_id) if claim.offer_id else None
        org = session.get(Organisation, offer.org_id) if offer else None
        org_id = org.id if org else None
        volunteer = org.name if org else ""
    if org_id is not None:
        org_row = session.get(Organisation, org_id)
        org_name = org_row.name if org_row else ""
    hub = session.get(Hub, actor.hub_id) if actor.hub_id else None
    ended = claim.delivered_at or now
    started = ended - timedelta(minutes=int(confirmed * 60))
    record = Contribution(
        record_no=f"P-{secrets.token_hex(8)}",  # replaced once the id is known
        claim_id=claim.id,
        need_id=need.id,
        member_id=claim.member_id,
        org_id=org_id,
        branch_id=branch_id,
        project_id=project_id,
        volunteer_name=volunteer[:120],
        organisation_name=org_name[:120],
        item_code=need.item_code,
        content=public_title_of(session, need)[:100],
        community_code=need.community_code,
        household_label=mask_name(household.name if household else ""),
        started_at=started,
        ended_at=ended,
        hours_declared=claim.declared_hours,
        hours=confirmed,
        hub_id=hub.id if hub else None,
        recording_unit=(hub.name if hub else "")[:80],
        confirmed_by=actor.id,
        confirmed_at=now,
    )
    session.add(record)
    session.flush()
    record.record_no = record_no(beijing_date(now).year, record.id or 0)
    points.award(session, record, level1=bool(household and household.risk_level == 1))
    session.flush()
    return record


def record_of_claim(session: Session, claim_id: int) -> Contribution | None:
    return session.exec(select(Contribution).where(Contribution.claim_id == claim_id)).first()


def parse_period(
    start: str | None, end: str | None, *, today: date | None = None
) -> tuple[date, date]:
    """A period of Beijing days from ``from``/``to`` (ISO dates): default the current year up to
    today; ``from`` after ``to`` or longer than five years is refused."""
    today = today or beijing_today()
    errors: dict[str, Message | str] = {}

    def one(value: str | None, name: str, default: date) -> date:
        if not value or not value.strip():
            return default
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            errors[name] = "period.bad_date"
            return default
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            errors[name] = Message("period.out_of_range", {"first": FIRST_YEAR, "last": LAST_YEAR})
            return default
        return day

    d_from = one(start, "from", date(today.year, 1, 1))
    d_to = one(end, "to", today)
    if not errors and d_from > d_to:
        errors["to"] = "period.reversed"
    if not errors and (d_to - d_from).days > MAX_PERIOD_DAYS:
        errors["to"] = Message("period.too_long", {"years": 5})
    if errors:
        raise ValidationFailed(errors)
    return d_from, d_to


def _utc_bounds(d_from: date, d_to: date) -> tuple[datetime, datetime]:
    """Beijing days [from, to] as UTC moments [start, end)."""
    start = datetime.combine(d_from, time.min, tzinfo=BEIJING)
    end = datetime.combine(d_to + timedelta(days=1), time.min, tzinfo=BEIJING)
    return start, end


def records_of_member(
    session: Session, *, member_id: int, d_from: date | None = None, d_to: date | None = None
) -> list[Contribution]:
    """A member's records, oldest first, ended within the period (Beijing days) if given."""
    stmt = select(Contribution).where(Contribution.member_id == member_id)
    if d_from is not None and d_to is not None:
        start, end = _utc_bounds(d_from, d_to)
        stmt = stmt.where(col(Contribution.ended_at) >= start, col(Contribution.ended_at) < end)
    return list(session.exec(stmt.order_by(col(Contribution.ended_at), col(Contribution.id))))


@dataclass(frozen=True)
class Totals:
    records: int
    hours: Decimal
    points: int
    by_month: list[tuple[str, int, Decimal]]  # ("2026-03", records, hours), newest first
    by_year: list[tuple[int, int, Decimal]]

    def as_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "hours": float(self.hours),
            "points": self.points,
            "by_month": [
                {"month": m, "records": n, "hours": float(h)} for m, n, h in self.by_month
            ],
            "by_year": [{"year": y, "records": n, "hours": float(h)} for y, n, h in self.by_year],
        }


def totals(records: list[Contribution]) -> Totals:
    months: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    years: dict[int, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for r in records:
        day = beijing_date(r.ended_at)
        for bucket in (months[f"{day.year}-{day.month:02d}"], years[day.year]):
            bucket[0] += 1
            bucket[1] += Decimal(r.hours)
    return Totals(
        records=len(records),
        hours=sum((Decimal(r.hours) for r in records), Decimal(0)),
        points=sum(r.points for r in records),
        by_month=[(k, v[0], v[1]) for k, v in sorted(months.items(), reverse=True)],
        by_year=[(k, v[0], v[1]) for k, v in sorted(years.items(), reverse=True)],
    )


def record_json(r: Contribution, *, place: str = "") -> dict[str, Any]:
    """A record for its own volunteer (API): the household masked."""
    return {
        "record_no": r.record_no,
        "volunteer": r.volunteer_name,
        "organisation": r.organisation_name,
        "item": r.item_code,
        "content": r.content,
        "community": r.community_code,
        "place": place,
        "household": r.household_label,
        "start": r.started_at.isoformat(),
        "end": r.ended_at.isoformat(),
        "hours_declared": float(r.hours_declared) if r.hours_declared is not None else None,
        "hours": float(r.hours),
        "recording_unit": r.recording_unit,
        "points": r.points,
        "branch_id": r.branch_id,
        "project_id": r.project_id,
    }


VISIT_ITEM = "02-01"  # 定期探访: the taxonomy item a visit's record counts as


def record_visit(
    session: Session,
    *,
    visit: Visit,
    household: Household,
    actor: User,
    hours: Decimal,
    now: datetime | None = None,
) -> Contribution:
    """The record of a paired helper's visit (探访关爱) the hub just confirmed
    (``visits.confirm_visit``), with its points: a member's, or an organisation's account."""
    now = now or utcnow()
    visitor = session.get(User, visit.visitor_id)
    org_id = visitor.org_id if visitor is not None else None
    org = session.get(Organisation, org_id) if org_id is not None else None
    is_member = visitor is not None and visitor.role == "member"
    hub = session.get(Hub, actor.hub_id) if actor.hub_id else None
    ended = datetime.combine(visit.visited_on, time(12), tzinfo=BEIJING)
    record = Contribution(
        record_no=f"P-{secrets.token_hex(8)}",  # replaced once the id is known
        member_id=visitor.id if is_member and visitor is not None else None,
        org_id=org_id,
        branch_id=visitor.branch_id if is_member and visitor is not None else None,
        volunteer_name=(
            (visitor.display_name or visitor.username)
            if is_member and visitor
            else org.name
            if org
            else ""
        )[:120],
        organisation_name=(org.name if org else "")[:120],
        item_code=VISIT_ITEM,
        content=("入户探访" if visit.mode == "home" else "电话探访"),
        community_code=household.community_code,
        household_label=mask_name(household.name),
        started_at=ended - timedelta(minutes=int(hours * 60)),
        ended_at=ended,
        hours_declared=None,
        hours=hours,
        hub_id=hub.id if hub else None,
        recording_unit=(hub.name if hub else "")[:80],
        confirmed_by=actor.id,
        confirmed_at=now,
    )
    session.add(record)
    session.flush()
    record.record_no = record_no(beijing_date(now).year, record.id or 0)
    points.award(session, record, level1=household.risk_level == 1)
    session.flush()
    return record
