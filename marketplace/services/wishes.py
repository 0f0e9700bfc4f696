"""The member-facing wish pool (心愿池): browse open micro-wishes, masked (DESIGN §6)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, literal, or_, tuple_
from sqlmodel import Session, col, func, select

from marketplace.models import (
    Claim,
    ClaimStatus,
    Household,
    Need,
    NeedKind,
    NeedStatus,
    utcnow,
)
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.messages import Message
from marketplace.services.offers import live_offers_query
from marketplace.services.privacy import mask_name, scrub_text
from marketplace.services.regions import (
    code_in,
    communities_near,
    in_subtree,
    item_names,
    region_names,
)


@dataclass(frozen=True)
class WishView:
    """What a member or organisation may see of a wish: no full name, ID, phone or address."""

    id: int
    item: str
    item_name: str
    title: str
    text: str
    household: str  # 张*
    community: str
    street: str
    district: str
    value_yuan: Decimal
    deadline: date | None
    published_at: datetime | None
    status: str
    lat: float | None
    lon: float | None
    distance_km: float | None = None
    # 认领意向登记 (services/draws.py): while set, members register interest until this time.
    window_closes_at: datetime | None = None

    @property
    def window_minutes_left(self) -> int | None:
        """Minutes (rounded up) until the claim window's draw; None without an open window."""
        if self.window_closes_at is None:
            return None
        left = (self.window_closes_at - utcnow()).total_seconds()
        return int(-(-left // 60)) if left > 0 else None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "item": self.item,
            "item_name": self.item_name,
            "title": self.title,
            "text": self.text,
            "household": self.household,
            "community": self.community,
            "street": self.street,
            "district": self.district,
            "value_yuan": str(self.value_yuan),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "status": self.status,
            "distance_km": self.distance_km,
            "window_closes_at": (
                self.window_closes_at.isoformat() if self.window_closes_at else None
            ),
        }


@dataclass(frozen=True)
class WishFilter:
    item: str | None = None
    region: str | None = None  # district / street / community code prefix
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    campaign: int | None = None  # 专项活动 (services/campaigns.py): its wishes only


def parse_filter(args: Mapping[str, str]) -> WishFilter:
    """Query-string filters of the wish pool, validated."""
    errors: dict[str, Message | str] = {}

    def number(name: str, lo: float, hi: float) -> float | None:
        raw = args.get(name)
        if raw in (None, ""):
            return None
        try:
            value = float(raw)
        except ValueError:
            errors[name] = "field.not_number"
            return None
        if not lo <= value <= hi:
            errors[name] = Message("field.between", {"min": lo, "max": hi})
            return None
        return value

    lat, lon, radius = (
        number("lat", -90, 90),
        number("lon", -180, 180),
        number("radius_km", 0.1, 100),
    )
    if (lat is None) != (lon is None) and not errors:
        errors["lat"] = "geo.lat_lon_both"
    region = args.get("region") or None
    if region is not None and not (region.isdigit() and len(region) in (6, 9, 12)):
        errors["region"] = "region.code_invalid"
    item = args.get("item") or None
    if item is not None and not (len(item) == 5 and item[2] == "-"):
        errors["item"] = "item.code_invalid"
    campaign_raw = args.get("campaign") or None
    campaign = None
    if campaign_raw is not None:
        if not (campaign_raw.isdigit() and 0 < int(campaign_raw) < 2**31):
            errors["campaign"] = "field.not_integer"
        else:
            campaign = int(campaign_raw)
    if errors:
        raise ValidationFailed(errors)
    return WishFilter(
        item=item, region=region, lat=lat, lon=lon, radius_km=radius, campaign=campaign
    )


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0088 * 2 * math.asin(math.sqrt(a))


def public_title(need: Need, household_name: str) -> str:
    """The title members and organisations read: the public title staff reviewed (the title
    itself on needs written before there was one), scrubbed again with the household's name."""
    return scrub_text(need.public_title or need.title, names=[household_name])


def public_description(need: Need, household_name: str) -> str:
    """The description members and organisations read (``Need.public_text``), likewise."""
    return scrub_text(need.public_text, names=[household_name])


def public_title_of(session: Session, need: Need) -> str:
    """``public_title`` for one need whose household is not at hand (notifications)."""
    household = session.get(Household, need.household_id)
    return public_title(need, household.name if household is not None else "")


def scrub_about(session: Session, need_id: int, text: str) -> str:
    """Free text about a need that one party writes and another reads (a rejection or hold reason,
    a delivery note), without personal data and without the household's names."""
    name = session.exec(
        select(Household.name)
        .join(Need, col(Need.household_id) == Household.id)
        .where(Need.id == need_id)
    ).first()
    return scrub_text(text, names=[name] if name else [])


def to_views(
    session: Session, rows: list[tuple[Need, str]], near: tuple[float, float] | None = None
) -> list[WishView]:
    """Mask a batch of (need, household name) rows; names come from cached reference data."""
    names = region_names(session)
    items = item_names(session)
    out = []
    for need, hh_name in rows:
        dist = None
        if near is not None and need.lat is not None and need.lon is not None:
            dist = round(haversine_km(near[0], near[1], need.lat, need.lon), 2)
        out.append(
            WishView(
                id=need.id or 0,
                item=need.item_code,
                item_name=items.get(need.item_code, need.item_code),
                title=public_title(need, hh_name),
                text=public_description(need, hh_name),
                household=mask_name(hh_name),
                community=names.get(need.community_code, ""),
                street=names.get(need.community_code[:9], ""),
                district=names.get(need.community_code[:6], ""),
                value_yuan=need.value_yuan,
                deadline=need.deadline,
                published_at=need.published_at,
                status=need.status,
                lat=need.lat,
                lon=need.lon,
                distance_km=dist,
                window_closes_at=need.window_closes_at,
            )
        )
    return out


def _waiting_since() -> Any:
    """When a wish started waiting: its publication (migration 0016 gave older open rows their
    creation time), a plain column so the pool reads it from ``ix_need_pool_priority``."""
    return col(Need.published_at)


def _distance2(lat: float, lon: float) -> ColumnElement[float | None]:
    """SQL: the squared equirectangular distance (in degrees of latitude) from a point — exact
    enough to order a few kilometres, plain arithmetic for every database."""
    k = math.cos(math.radians(lat))
    dlat = col(Need.lat) - lat
    dlon = (col(Need.lon) - lon) * k
    return dlat * dlat + dlon * dlon


def _after(keys: list[ColumnElement[Any]], values: list[Any]) -> ColumnElement[bool]:
    """Keyset: the rows after ``values`` in the ascending order of ``keys`` (the last is the id),
    as a row-value comparison, which both databases answer from the index."""
    return tuple_(*keys) > tuple_(*(literal(v, k.type) for k, v in zip(keys, values, strict=True)))


def browse(
    session: Session,
    f: WishFilter,
    *,
    after_id: int | None = None,
    limit: int = 20,
    now: datetime | None = None,
) -> tuple[list[WishView], int | None]:
    """Open wishes by stored priority (DESIGN §5, §12: ``Need.priority``), then waiting time,
    oldest first (then id); "near me"
    narrows to the communities within the radius and sorts by distance within each priority.
    Keyset-paginated: the cursor is the id of the page's last wish, whose sort keys the next
    page reads back (so the cursor stays a plain id). Returns the page and the next cursor."""
    # The order does not depend on the time (waiting does not raise priority); a paired
    # household's wish joins the pool once its pairing window has passed (``Need.pool_from``).
    now = now or utcnow()
    priority = col(Need.priority)
    stmt = select(Need).where(
        Need.status == NeedStatus.OPEN.value,
        Need.kind == NeedKind.WISH.value,
        or_(col(Need.pool_from).is_(None), col(Need.pool_from) <= now),
    )
    if f.item:
        stmt = stmt.where(Need.item_code == f.item)
    if f.campaign is not None:
        stmt = stmt.where(Need.campaign_id == f.campaign)
    if f.region and len(f.region) == 6:
        stmt = stmt.where(func.substr(Need.community_code, 1, 6) == f.region)
    elif f.region:
        stmt = stmt.where(in_subtree(Need.community_code, f.region))
    near = None
    radius = f.radius_km or 5.0
    keys: list[Any]
    if f.lat is not None and f.lon is not None:
        near = (f.lat, f.lon)
        # "Near me": the communities whose centre lies within the radius (from a cached table of
        # 3,320 centres), then an indexed IN on the need's community.
        codes = communities_near(session, f.lat, f.lon, radius)
        if not codes:
            return [], None
        stmt = stmt.where(
            code_in(session, Need.community_code, codes),
            col(Need.lat).is_not(None),
            col(Need.lon).is_not(None),
        )
        keys = [priority, _distance2(f.lat, f.lon), col(Need.id)]
    else:
        keys = [priority, _waiting_since(), col(Need.id)]
    if after_id is not None:
        last = session.execute(select(*keys).where(col(Need.id) == after_id)).first()
        if last is not None:
            stmt = stmt.where(_after(keys, list(last)))
    if near is not None:
        # Near me sorts every open wish of the nearby communities (20,000 in the city centre):
        # the page's ids first, from the need table alone, then their rows and households'
        # names (joining before the sort had read a household per wish: 140 ms against 45).
        page = stmt.with_only_columns(col(Need.id)).order_by(*keys).limit(limit + 1).subquery()
        named: Any = select(Need, Household.name).join(page, page.c.id == Need.id)
    else:
        named = stmt.add_columns(col(Household.name))
    named = named.join(Household, col(Household.id) == Need.household_id)
    rows = [(n, name) for n, name in session.execute(named.order_by(*keys).limit(limit + 1))]
    next_cursor = rows[limit - 1][0].id if len(rows) > limit else None
    views = to_views(session, rows[:limit], near)
    if near is not None:
        views = [v for v in views if v.distance_km is not None and v.distance_km <= radius]
    return views, next_cursor


def wish_detail(session: Session, wish_id: int) -> WishView:
    row = session.exec(
        select(Need, Household.name)
        .join(Household, col(Household.id) == Need.household_id)
        .where(Need.id == wish_id)
    ).first()
    if (
        row is None
        or row[0].kind != NeedKind.WISH.value
        or row[0].status == NeedStatus.PENDING_REVIEW.value
    ):
        raise NotFound("wish.not_found")
    return to_views(session, [row])[0]


def views_of(session: Session, need_ids: list[int]) -> dict[int, WishView]:
    """The masked wishes of some needs (those a member or an organisation delivers), by need id."""
    if not need_ids:
        return {}
    rows = session.exec(
        select(Need, Household.name)
        .join(Household, col(Household.id) == Need.household_id)
        .where(col(Need.id).in_(need_ids))
    ).all()
    return {v.id: v for v in to_views(session, [(n, name) for n, name in rows])}


@dataclass(frozen=True)
class PublicCounts:
    """The figures anyone may see on the home page (no personal data)."""

    open_wishes: int
    live_offers: int
    confirmed: int


def public_counts(session: Session) -> PublicCounts:
    open_wishes = session.exec(
        select(func.count())
        .select_from(Need)
        .where(Need.status == NeedStatus.OPEN.value, Need.kind == NeedKind.WISH.value)
    ).one()
    live = session.exec(select(func.count()).select_from(live_offers_query().subquery())).one()
    confirmed = session.exec(
        select(func.count()).select_from(Claim).where(Claim.status == ClaimStatus.CONFIRMED.value)
    ).one()
    return PublicCounts(int(open_wishes), int(live), int(confirmed))


# Micro-cache of wish-pool pages. Browsing is most of the traffic and every member sees the same
# masked page for the same filters, so a page is reused for a couple of seconds per process.
# "Near me" pages (a point per member) are not cached. A page may show a wish claimed within that
# window; claiming it then answers "already claimed", exactly as when two members race.
_POOL_CACHE_MAX = 2048
_pool_cache: dict[
    tuple[str, str | None, str | None, int | None, int | None, int],
    tuple[float, tuple[list[WishView], int | None]],
] = {}
_pool_lock = threading.Lock()


def browse_page(
    session: Session,
    f: WishFilter,
    *,
    after_id: int | None = None,
    limit: int = 20,
    max_age_s: float = 2.0,
) -> tuple[list[WishView], int | None]:
    """``browse``, served from the micro-cache when the same page was built < ``max_age_s`` ago."""
    if f.lat is not None or max_age_s <= 0:
        return browse(session, f, after_id=after_id, limit=limit)
    key = (str(session.get_bind().engine.url), f.item, f.region, f.campaign, after_id, limit)
    now = time.monotonic()
    hit = _pool_cache.get(key)
    if hit is not None and now - hit[0] < max_age_s:
        return hit[1]
    page = browse(session, f, after_id=after_id, limit=limit)
    with _pool_lock:
        if len(_pool_cache) >= _POOL_CACHE_MAX:
            _pool_cache.clear()
        _pool_cache[key] = (now, page)
    return page
