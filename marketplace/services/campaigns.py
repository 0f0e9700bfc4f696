"""专项活动 — campaigns such as 春风行动 and 节日慰问: a themed, time-boxed set of wishes with its own
page, progress and branch leaderboard (DESIGN §11, issue 16 item 6).

The administrator (for the city) or a district hub's staff (for their district) create a campaign:
a name, a theme, a period, theme items (taxonomy codes) and target regions (communities, streets or
districts inside the creator's area). Hub staff add wishes to a running campaign: when they record
a need (``households.create_need`` checks it here) or by tagging open wishes of their area whose
item is a theme item and whose community is targeted. Members filter the wish pool by campaign.

Progress is a funnel counted in SQL over the campaign's wishes: published, claimed (or matched),
delivered, confirmed. The branch leaderboard ranks Party branches by the points of their members'
confirmed records on the campaign's wishes (services/leaderboards.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from marketplace.models import (
    Campaign,
    CampaignStatus,
    Household,
    Need,
    NeedKind,
    NeedStatus,
    Region,
    Role,
    TaxonomyItem,
    User,
)
from marketplace.services import audit, leaderboards
from marketplace.services.access import staff_scope
from marketplace.services.clock import beijing_today
from marketplace.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.services.messages import Message
from marketplace.services.regions import in_subtree, is_within

MAX_NAME, MAX_THEME = 80, 1000
MAX_DAYS = 366  # a campaign is time-boxed: at most a year
MAX_REGIONS = 500
MAX_TAG = 200  # wishes tagged in one request
CLAIMED_STATUSES = (
    NeedStatus.CLAIMED.value,
    NeedStatus.MATCHED.value,
    NeedStatus.DELIVERED.value,
    NeedStatus.CONFIRMED.value,
)
DELIVERED_STATUSES = (NeedStatus.DELIVERED.value, NeedStatus.CONFIRMED.value)


@dataclass(frozen=True)
class CampaignIn:
    """A campaign as typed (web form or API body), checked by ``check``."""

    name: str
    theme: str
    start: date
    end: date
    items: list[str]
    regions: list[str]


def creator_scope(session: Session, actor: User) -> str | None:
    """Who may create a campaign, and for what area: the administrator for the city (None), a
    district hub's staff for their district; anyone else is refused."""
    if actor.role == Role.ADMIN:
        return None
    if actor.role == Role.HUB_STAFF:
        scope = staff_scope(session, actor)
        if len(scope) == 6:
            return scope
    raise Forbidden("campaign.create_forbidden")


def _codes(data: dict[str, Any], name: str, errors: dict[str, Message | str]) -> list[str]:
    raw = data.get(name)
    if raw in (None, "", []):
        errors[name] = Message("field.too_few", {"min": 1})
        return []
    if isinstance(raw, str):
        raw = [c for c in raw.replace(",", " ").split() if c]
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        errors[name] = "field.not_list"
        return []
    return sorted({c.strip() for c in raw if c.strip()})


def check(
    session: Session, data: dict[str, Any], *, scope: str | None, today: date | None = None
) -> CampaignIn:
    """Every field checked at once, each error naming its field; nothing stored."""
    today = today or beijing_today()
    errors: dict[str, Message | str] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = "field.required"
    elif len(name) > MAX_NAME:
        errors["name"] = Message("field.too_long", {"max": MAX_NAME})
    theme = str(data.get("theme") or "").strip()
    if len(theme) > MAX_THEME:
        errors["theme"] = Message("field.too_long", {"max": MAX_THEME})
    days: dict[str, date] = {}
    for field in ("start", "end"):
        value = data.get(field)
        if isinstance(value, date):
            days[field] = value
            continue
        try:
            days[field] = date.fromisoformat(str(value or "").strip())
        except ValueError:
            errors[field] = "period.bad_date"
    if "start" in days and "end" in days:
        if days["end"] < days["start"]:
            errors["end"] = "period.reversed"
        elif days["end"] < today:
            errors["end"] = "campaign.end_past"
        elif (days["end"] - days["start"]).days >= MAX_DAYS:
            errors["end"] = Message("campaign.too_long", {"days": MAX_DAYS})
    items = _codes(data, "items", errors)
    if items:
        known = set(
            session.exec(
                select(TaxonomyItem.code).where(
                    col(TaxonomyItem.code).in_(items), col(TaxonomyItem.active).is_(True)
                )
            )
        )
        if missing := sorted(set(items) - known):
            errors["items"] = Message("item.unknown_codes", {"codes": missing})
    regions = _codes(data, "regions", errors)
    if len(regions) > MAX_REGIONS:
        errors["regions"] = Message("field.too_many", {"max": MAX_REGIONS})
    elif regions:
        if any(not (c.isdigit() and len(c) in (6, 9, 12)) for c in regions):
            errors["regions"] = "region.codes_invalid"
        else:
            known = set(session.exec(select(Region.code).where(col(Region.code).in_(regions))))
            if missing := sorted(set(regions) - known):
                errors["regions"] = Message("region.unknown_codes", {"codes": missing})
            elif scope is not None and (outside := [c for c in regions if not is_within(c, scope)]):
                errors["regions"] = Message("campaign.regions_out_of_scope", {"codes": outside})
    if errors:
        raise ValidationFailed(errors)
    # A region inside another listed one adds nothing.
    regions = [c for c in regions if not any(o != c and is_within(c, o) for o in regions)]
    return CampaignIn(name, theme, days["start"], days["end"], items, regions)


def as_json(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "theme": c.theme,
        "start": c.start.isoformat(),
        "end": c.end.isoformat(),
        "items": list(c.items),
        "regions": list(c.regions),
        "scope": c.scope_code,
        "status": c.status,
        "created_at": c.created_at.isoformat(),
    }


def create_campaign(
    session: Session, *, actor: User, data: dict[str, Any], today: date | None = None
) -> Campaign:
    scope = creator_scope(session, actor)
    checked = check(session, data, scope=scope, today=today)
    campaign = Campaign(
        name=checked.name,
        theme=checked.theme,
        start=checked.start,
        end=checked.end,
        items=checked.items,
        regions=checked.regions,
        scope_code=scope,
        created_by=actor.id,
    )
    session.add(campaign)
    session.flush()
    audit.record(session, actor, "campaign.create", campaign, after=as_json(campaign))
    return campaign


def _manages(session: Session, actor: User, campaign: Campaign) -> bool:
    """The administrator, or staff of the hub whose area the campaign was made for."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.HUB_STAFF or campaign.scope_code is None:
        return False
    return staff_scope(session, actor) == campaign.scope_code


def close_campaign(session: Session, *, actor: User, campaign_id: int) -> Campaign:
    """End a campaign early (its wishes keep their tag; no more are added)."""
    campaign = get_campaign(session, campaign_id, actor)
    if not _manages(session, actor, campaign):
        raise Forbidden("campaign.manage_forbidden")
    result = session.exec(
        update(Campaign)
        .where(col(Campaign.id) == campaign_id, col(Campaign.status) == CampaignStatus.ACTIVE.value)
        .values(status=CampaignStatus.CLOSED.value)
    )
    if result.rowcount != 1:
        raise Conflict("campaign.closed")
    session.refresh(campaign)
    audit.record(
        session,
        actor,
        "campaign.close",
        campaign,
        before={"status": "active"},
        after={"status": "closed"},
    )
    return campaign


def is_running(c: Campaign, today: date | None = None) -> bool:
    """Active and within its period (Beijing days): wishes may be added to it."""
    today = today or beijing_today()
    return c.status == CampaignStatus.ACTIVE.value and c.start <= today <= c.end


def targets(c: Campaign, community_code: str) -> bool:
    return any(is_within(community_code, r) for r in c.regions)


def _touches(c: Campaign, scope: str) -> bool:
    """A target region of the campaign overlaps a hub's area."""
    return any(is_within(r, scope) or is_within(scope, r) for r in c.regions)


def visible_campaigns(
    session: Session, viewer: User, *, running_only: bool = False, today: date | None = None
) -> list[Campaign]:
    """Campaigns, newest first: hub staff those reaching their area; members, organisations and
    the administrator all of them (members filter the pool by any). Departments: none."""
    if viewer.role not in (Role.ADMIN, Role.HUB_STAFF, Role.MEMBER, Role.ORG):
        raise Forbidden("campaign.forbidden")
    rows = list(session.exec(select(Campaign).order_by(col(Campaign.id).desc())))
    if viewer.role == Role.HUB_STAFF:
        scope = staff_scope(session, viewer)
        rows = [c for c in rows if _touches(c, scope)]
    if running_only:
        rows = [c for c in rows if is_running(c, today)]
    return rows


def get_campaign(session: Session, campaign_id: int, viewer: User) -> Campaign:
    """One campaign the viewer may see; otherwise not found."""
    if viewer.role not in (Role.ADMIN, Role.HUB_STAFF, Role.MEMBER, Role.ORG):
        raise Forbidden("campaign.forbidden")
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or (
        viewer.role == Role.HUB_STAFF and not _touches(campaign, staff_scope(session, viewer))
    ):
        raise NotFound("campaign.not_found")
    return campaign


def for_need(session: Session, *, community_code: str, today: date | None = None) -> list[Campaign]:
    """Running campaigns that target a household's community (the need form's choices)."""
    rows = session.exec(
        select(Campaign)
        .where(Campaign.status == CampaignStatus.ACTIVE.value)
        .order_by(col(Campaign.id).desc())
    )
    return [c for c in rows if is_running(c, today) and targets(c, community_code)]


def check_for_need(
    session: Session,
    campaign_id: int,
    *,
    community_code: str,
    item_code: str,
    today: date | None = None,
) -> Campaign:
    """The campaign a new need joins: running, targeting its community, with its item a theme
    item; otherwise an error on the ``campaign_id`` field."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise ValidationFailed({"campaign_id": "campaign.not_found"})
    if not is_running(campaign, today):
        raise ValidationFailed({"campaign_id": "campaign.not_running"})
    if not targets(campaign, community_code):
        raise ValidationFailed({"campaign_id": "campaign.not_targeted"})
    if item_code not in campaign.items:
        raise ValidationFailed({"campaign_id": "campaign.item_not_theme"})
    return campaign


def _taggable(session: Session, campaign: Campaign, scope: str) -> Any:
    """SQL condition: open wishes of the staff's area, not in a campaign yet, of a theme item,
    in a targeted community."""
    return (
        (col(Need.status) == NeedStatus.OPEN.value)
        & (col(Need.kind) == NeedKind.WISH.value)
        & col(Need.campaign_id).is_(None)
        & col(Need.item_code).in_(list(campaign.items))
        & in_subtree(Need.community_code, scope)
        & or_(*(in_subtree(Need.community_code, r) for r in campaign.regions))
    )


def candidates(
    session: Session, *, actor: User, campaign_id: int, limit: int = 100
) -> list[tuple[Need, str]]:
    """Open wishes the staff may add to the campaign, oldest first, with the household's name
    (staff of the area see it whole)."""
    scope = staff_scope(session, actor)
    campaign = get_campaign(session, campaign_id, actor)
    if not is_running(campaign):
        return []
    rows = session.exec(
        select(Need, Household.name)
        .join(Household, col(Household.id) == col(Need.household_id))
        .where(_taggable(session, campaign, scope))
        .order_by(col(Need.published_at), col(Need.id))
        .limit(limit)
    ).all()
    return [(n, name) for n, name in rows]


def tag_wishes(session: Session, *, actor: User, campaign_id: int, need_ids: Any) -> int:
    """Add open wishes of the staff's area to a running campaign: all of them or none (a wish
    that does not qualify is named in the error). Returns how many were added."""
    scope = staff_scope(session, actor)
    campaign = get_campaign(session, campaign_id, actor)
    if not is_running(campaign):
        raise Conflict("campaign.not_running")
    if not isinstance(need_ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in need_ids
    ):
        raise ValidationFailed({"need_ids": "field.not_list"})
    ids = sorted(set(need_ids))
    if not ids:
        raise ValidationFailed({"need_ids": Message("field.too_few", {"min": 1})})
    if len(ids) > MAX_TAG:
        raise ValidationFailed({"need_ids": Message("field.too_many", {"max": MAX_TAG})})
    condition = _taggable(session, campaign, scope) & col(Need.id).in_(ids)
    eligible = set(session.exec(select(Need.id).where(condition)))
    if refused := [i for i in ids if i not in eligible]:
        raise ValidationFailed(
            {"need_ids": Message("campaign.wishes_not_eligible", {"ids": refused})}
        )
    # Conditional update: a wish claimed or tagged since the check is not changed, and then the
    # whole request fails (the request rolls back).
    result = session.exec(update(Need).where(condition).values(campaign_id=campaign.id))
    if result.rowcount != len(ids):
        raise Conflict("campaign.wishes_changed")
    audit.record_many(
        session, actor, "need.campaign", "need", ((i, {"campaign_id": campaign.id}) for i in ids)
    )
    return len(ids)


@dataclass(frozen=True)
class Progress:
    """The campaign's funnel: wishes in it, published, claimed (or matched), delivered,
    confirmed (each stage counts the wishes that reached it)."""

    wishes: int
    published: int
    claimed: int
    delivered: int
    confirmed: int

    def as_json(self) -> dict[str, int]:
        return {
            "wishes": self.wishes,
            "published": self.published,
            "claimed": self.claimed,
            "delivered": self.delivered,
            "confirmed": self.confirmed,
        }


def progress(session: Session, campaign_id: int) -> Progress:
    def n(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    status = col(Need.status)
    row = session.execute(
        sa_select(
            func.count(col(Need.id)),
            n(col(Need.published_at).is_not(None)),
            n(status.in_(CLAIMED_STATUSES)),
            n(status.in_(DELIVERED_STATUSES)),
            n(status == NeedStatus.CONFIRMED.value),
        ).where(col(Need.campaign_id) == campaign_id)
    ).one()
    return Progress(*(int(v or 0) for v in row))


@dataclass(frozen=True)
class CampaignPage:
    campaign: Campaign
    progress: Progress
    board: list[leaderboards.BoardRow]

    def as_json(self) -> dict[str, Any]:
        return as_json(self.campaign) | {
            "running": is_running(self.campaign),
            "progress": self.progress.as_json(),
            "leaderboard": [r.as_json() for r in self.board],
        }


def page(session: Session, campaign_id: int, viewer: User, *, limit: int = 10) -> CampaignPage:
    """A campaign with its progress and branch leaderboard (all time on its wishes)."""
    campaign = get_campaign(session, campaign_id, viewer)
    return CampaignPage(
        campaign,
        progress(session, campaign_id),
        leaderboards.branch_board(session, campaign_id=campaign_id, limit=limit),
    )
