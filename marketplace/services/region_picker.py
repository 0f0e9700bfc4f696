"""Choosing a hub (助联体) by its region: district → street → community, or by searching names.

Every district, street and community has a hub, so choosing a region chooses its hub. Works from the
cached region names (``regions.region_names``); comparisons are on codes in Python, so they do not
depend on the database's collation.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from marketplace.models import Region
from marketplace.services import regions
from marketplace.services.regions import RegionRef

DISTRICT, STREET, COMMUNITY = 6, 9, 12  # code lengths of the three levels
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class Pick:
    """A region chosen level by level; lower levels outside the higher ones are dropped."""

    district: str = ""
    street: str = ""
    community: str = ""

    @property
    def code(self) -> str:
        """The deepest region chosen (the hub), or empty."""
        return self.community or self.street or self.district


@dataclass(frozen=True)
class Levels:
    districts: list[RegionRef]
    streets: list[RegionRef]  # of the chosen district
    communities: list[RegionRef]  # of the chosen street


def _districts(session: Session) -> list[RegionRef]:
    return [RegionRef(r.code, r.name) for r in regions.districts(session)]


def pick(session: Session, district: str = "", street: str = "", community: str = "") -> Pick:
    """A consistent pick from submitted codes (unknown or mismatched codes are dropped)."""
    names = regions.region_names(session)
    if district not in {r.code for r in _districts(session)}:
        district = ""
    if not (len(street) == STREET and regions.is_within(street, district) and street in names):
        street = ""
    if not (len(community) == COMMUNITY and street and regions.is_within(community, street)):
        community = ""
    if community and community not in names:
        community = ""
    return Pick(district, street, community) if district else Pick()


def pick_of(session: Session, code: str) -> Pick:
    """The pick that leads to ``code`` (a district, street or community code)."""
    return pick(session, code[:DISTRICT], code[:STREET], code[:COMMUNITY])


def levels(session: Session, chosen: Pick) -> Levels:
    names = regions.region_names(session)
    streets: list[RegionRef] = []
    communities: list[RegionRef] = []
    if chosen.district:
        streets = [
            r
            for r in regions.subtree(session, chosen.district)
            if len(r.code) == STREET and r.code in names
        ]
    if chosen.street:
        communities = [
            r for r in regions.subtree(session, chosen.street) if len(r.code) == COMMUNITY
        ]
    return Levels(_districts(session), streets, communities)


def path(session: Session, code: str) -> str:
    """``上城区 › 清波街道 › 清波门社区`` for a community code."""
    names = regions.region_names(session)
    parts = [code[:n] for n in (DISTRICT, STREET, COMMUNITY) if len(code) >= n]
    return " › ".join(names.get(p, p) for p in parts)


def search(session: Session, q: str, limit: int = SEARCH_LIMIT) -> list[tuple[str, str]]:
    """Districts, streets and communities whose name contains ``q``: (code, path), districts
    first, at most ``limit``."""
    q = q.strip()
    if not q:
        return []
    district_codes = {r.code for r in _districts(session)}
    found = [
        code
        for code, name in regions.region_names(session).items()
        if q in name and (len(code) > DISTRICT or code in district_codes)
    ]
    found.sort(key=lambda c: (len(c), c))
    return [(code, path(session, code)) for code in found[:limit]]


# The whole tree, for pickers that choose several regions at once (an offer's service area) -----


@dataclass(frozen=True)
class StreetNode:
    code: str
    name: str
    communities: tuple[RegionRef, ...]


@dataclass(frozen=True)
class DistrictNode:
    code: str
    name: str
    streets: tuple[StreetNode, ...]


def tree(session: Session) -> tuple[DistrictNode, ...]:
    """District → street → community, in code order (~3,500 regions, ranges of the cached
    names)."""
    districts: list[DistrictNode] = []
    for d in _districts(session):
        streets: list[StreetNode] = []
        for s in regions.subtree(session, d.code):
            if len(s.code) != STREET:
                continue
            communities = tuple(r for r in regions.subtree(session, s.code) if r.code != s.code)
            streets.append(StreetNode(s.code, s.name, communities))
        districts.append(DistrictNode(d.code, d.name, tuple(streets)))
    return tuple(districts)


def tree_data(session: Session) -> list[list[object]]:
    """The tree as compact JSON for the browser: ``[[code, name, [[code, name, [[code, name],
    …]], …]], …]`` (districts, their streets, the streets' communities)."""
    return [
        [
            d.code,
            d.name,
            [[s.code, s.name, [[c.code, c.name] for c in s.communities]] for s in d.streets],
        ]
        for d in tree(session)
    ]


def chosen(session: Session, codes: list[str]) -> list[tuple[str, str]]:
    """Known codes among ``codes`` with their paths (``上城区 › 清波街道``), in code order."""
    names = regions.region_names(session)
    return [(c, path(session, c)) for c in sorted(set(codes)) if c in names]


def places(session: Session) -> list[list[object]]:
    """Districts and streets with their centres, for labelling a map that has no base map:
    ``[[code, name, lat, lon], …]`` in code order (about 210 rows)."""
    rows = session.exec(
        select(Region.code, Region.name, Region.lat, Region.lon)
        .where(
            col(Region.level).in_(["district", "street"]),
            col(Region.lat).is_not(None),
            col(Region.lon).is_not(None),
        )
        .order_by(Region.code)
    ).all()
    return [[code, name, lat, lon] for code, name, lat, lon in rows]
