"""Choosing a hub (助联体) by its region: district → street → community, or by searching names.

Every district, street and community has a hub, so choosing a region chooses its hub. Works from the
cached region names (``regions.region_names``); comparisons are on codes in Python, so they do not
depend on the database's collation.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

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
