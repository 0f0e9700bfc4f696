"""Problem and result data of a matching round: frozen dataclasses, validated on construction.

Validation errors are plain ``ValueError`` whose message starts with the field name
(``field "lat": 95.0 is out of range -90..90``), so that :mod:`matching.io` can prefix the
record (``needs[17] (id "n42"): ...``) and show one clear line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from matching.taxonomy import item_index

__all__ = [
    "HANGZHOU_DISTRICTS",
    "HARDSHIP_CODES",
    "REASON_CODES",
    "TILT_DISTRICTS",
    "Assignment",
    "Held",
    "Id",
    "Need",
    "Offer",
    "Params",
    "Problem",
    "RecentHelp",
    "Result",
    "Unmatched",
    "id_sort_key",
]

Id = str | int
"""Record ids are kept exactly as given (JSON strings or integers)."""

HARDSHIP_CODES: tuple[str, ...] = ("bottom", "expense", "emergency", "development", "care")
"""五型: 兜底型 bottom, 支出型 expense, 急难型 emergency, 发展型 development, 关爱型 care."""

HANGZHOU_DISTRICTS: tuple[str, ...] = (
    "330102", "330105", "330106", "330108", "330109", "330110", "330111",
    "330112", "330113", "330114", "330122", "330127", "330182",
)  # fmt: skip

TILT_DISTRICTS: tuple[str, ...] = ("330122", "330127", "330182")
"""The western counties 桐庐, 淳安, 建德: the usual ``Params.tilt_regions`` (DESIGN §12)."""

REASON_CODES: tuple[str, ...] = (
    "no_offer_for_item",
    "out_of_area",
    "not_eligible",
    "recently_helped",
    "previously_rejected",
    "capacity_exhausted",
    "household_cap",
)
"""Why a need was not served, from 'nothing exists' to 'lost the competition'."""

REGION_LENGTHS = (6, 9, 12)  # NBS codes: district, street, community


def id_sort_key(value: Id) -> tuple[int, int, str]:
    """Total order over mixed int/str ids (ints first, numerically), for canonical sorting."""
    if isinstance(value, int):
        return (0, value, "")
    return (1, 0, value)


def _check_id(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f'field "{name}": {value!r} is not a string or integer id')
    if isinstance(value, str) and not value.strip():
        raise ValueError(f'field "{name}": must not be empty')


def _check_item(name: str, value: object) -> None:
    if not isinstance(value, str) or value not in item_index():
        raise ValueError(f'field "{name}": {value!r} is not a known taxonomy item (01-01 … 09-03)')


def _check_coord(name: str, value: object, bound: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f'field "{name}": {value!r} is not a number')
    if not math.isfinite(value) or not -bound <= value <= bound:
        raise ValueError(f'field "{name}": {value!r} is out of range {-bound:g}..{bound:g}')


def _check_region(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise ValueError(f'field "{name}": {value!r} is not an NBS region code (digits)')
    if len(value) not in REGION_LENGTHS:
        raise ValueError(
            f'field "{name}": {value!r} must have 6 (district), 9 (street) or 12 (community) digits'
        )


def _check_hardship(name: str, value: object) -> None:
    if value not in HARDSHIP_CODES:
        raise ValueError(
            f'field "{name}": {value!r} is not a hardship code ({", ".join(HARDSHIP_CODES)})'
        )


def _check_tuple(obj: object, name: str) -> None:
    if not isinstance(getattr(obj, name), tuple):
        raise ValueError(f'field "{name}": must be a tuple')


def _utc_naive(value: datetime) -> datetime:
    """Aware datetimes become naive UTC, so that all posted times compare with each other."""
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Need:
    """需求 — one open need of a household (a micro-wish or a service need).

    ``priority`` is 1 (most urgent) to 3; ``posted`` orders ties (older first);
    ``region`` is the NBS code of where the household lives (6, 9 or 12 digits).
    ``excluded_offers``: offers never to propose for this need (staff rejected the pair);
    their arcs are not built, so the optimum is computed without them.
    """

    id: Id
    household: Id
    item: str
    lat: float
    lon: float
    region: str
    priority: int
    posted: datetime | None = None
    hardship: str | None = None
    text: str | None = None
    excluded_offers: tuple[Id, ...] = ()

    def __post_init__(self) -> None:
        _check_id("id", self.id)
        _check_id("household", self.household)
        _check_item("item", self.item)
        _check_coord("lat", self.lat, 90.0)
        _check_coord("lon", self.lon, 180.0)
        _check_region("region", self.region)
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise ValueError(f'field "priority": {self.priority!r} is not an integer')
        if not 1 <= self.priority <= 3:
            raise ValueError(f'field "priority": {self.priority} is out of range 1..3')
        if self.posted is not None:
            if not isinstance(self.posted, datetime):
                raise ValueError(f'field "posted": {self.posted!r} is not a datetime')
            object.__setattr__(self, "posted", _utc_naive(self.posted))
        if self.hardship is not None:
            _check_hardship("hardship", self.hardship)
        if self.text is not None and not isinstance(self.text, str):
            raise ValueError(f'field "text": {self.text!r} is not a string')
        _check_tuple(self, "excluded_offers")
        for i, value in enumerate(self.excluded_offers):
            _check_id(f"excluded_offers[{i}]", value)


@dataclass(frozen=True, slots=True)
class Offer:
    """帮扶项目 — an assistance offer: items covered, service area, capacity, eligibility.

    The service area is the intersection of ``regions`` (NBS code prefixes; empty = anywhere)
    and ``radius_km`` around (lat, lon) (None = no radius limit).  ``hardship`` empty means
    open to every hardship type.  ``start``/``end`` bound the dates the offer is live
    (inclusive; None = open-ended).
    """

    id: Id
    items: tuple[str, ...]
    lat: float
    lon: float
    capacity: int
    radius_km: float | None = None
    regions: tuple[str, ...] = ()
    hardship: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        _check_id("id", self.id)
        for name in ("items", "regions", "hardship"):
            _check_tuple(self, name)
        if not self.items:
            raise ValueError('field "items": must list at least one item')
        for i, code in enumerate(self.items):
            _check_item(f"items[{i}]", code)
        _check_coord("lat", self.lat, 90.0)
        _check_coord("lon", self.lon, 180.0)
        if isinstance(self.capacity, bool) or not isinstance(self.capacity, int):
            raise ValueError(f'field "capacity": {self.capacity!r} is not an integer')
        if self.capacity < 0:
            raise ValueError(f'field "capacity": {self.capacity} must be >= 0')
        if self.radius_km is not None:
            r = self.radius_km
            if isinstance(r, bool) or not isinstance(r, int | float) or not math.isfinite(r):
                raise ValueError(f'field "radius_km": {r!r} is not a number')
            if r < 0:
                raise ValueError(f'field "radius_km": {r} must be >= 0')
        for i, region in enumerate(self.regions):
            _check_region(f"regions[{i}]", region)
        for i, code in enumerate(self.hardship):
            _check_hardship(f"hardship[{i}]", code)
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
                raise ValueError(f'field "{name}": {value!r} is not a date')
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(f'field "end": {self.end} is before start {self.start}')

    def live_on(self, day: date) -> bool:
        """Whether the offer's date window covers ``day``."""
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class Params:
    """Settings of one matching round.

    ``max_per_household``: at most this many needs of one household are served per round
    (None = no cap).  ``round_date``: the day whose offers are live (None = today).
    ``time_limit_s``: wall-clock budget; :func:`matching.solve` raises
    :class:`matching.SolveTimeout` when it is exceeded (checked between phases).
    ``max_km``: the service radius of offers that give none (None = no limit), so that no
    proposal is absurdly far.  ``tilt_regions`` / ``tilt_km``: regional tilt (DESIGN §12) —
    a served need whose region starts with one of ``tilt_regions`` counts as ``tilt_km``
    kilometres of distance saved; it never outweighs a priority class (0 = off).
    ``once_per_item``: a household is served at most one need per taxonomy item in the round
    (no double help within a round, e.g. from two duplicate wishes).
    """

    max_per_household: int | None = None
    round_date: date | None = None
    time_limit_s: float | None = None
    max_km: float | None = None
    tilt_regions: tuple[str, ...] = ()
    tilt_km: float = 0.0
    once_per_item: bool = False

    def __post_init__(self) -> None:
        cap = self.max_per_household
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
            raise ValueError(f'field "max_per_household": {cap!r} must be an integer >= 1')
        day = self.round_date
        if day is not None and (not isinstance(day, date) or isinstance(day, datetime)):
            raise ValueError(f'field "round_date": {day!r} is not a date')
        limit = self.time_limit_s
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int | float) or not limit > 0
        ):
            raise ValueError(f'field "time_limit_s": {limit!r} must be a number > 0')
        km = self.max_km
        if km is not None and (
            isinstance(km, bool) or not isinstance(km, int | float) or not 0 < km < math.inf
        ):
            raise ValueError(f'field "max_km": {km!r} must be a number > 0 (or null: no limit)')
        _check_tuple(self, "tilt_regions")
        for i, region in enumerate(self.tilt_regions):
            _check_region(f"tilt_regions[{i}]", region)
        tilt = self.tilt_km
        if isinstance(tilt, bool) or not isinstance(tilt, int | float) or not 0 <= tilt <= 1000:
            raise ValueError(f'field "tilt_km": {tilt!r} must be a number from 0 to 1000')
        if not isinstance(self.once_per_item, bool):
            raise ValueError(f'field "once_per_item": {self.once_per_item!r} is not true or false')


@dataclass(frozen=True, slots=True)
class RecentHelp:
    """Items a household received recently (any channel): none of its needs for these items
    is served — no double help within the repeat-help window (DESIGN §12)."""

    household: Id
    items: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_id("household", self.household)
        _check_tuple(self, "items")
        for i, code in enumerate(self.items):
            _check_item(f"items[{i}]", code)


@dataclass(frozen=True, slots=True)
class Held:
    """A proposal staff put on hold: it stays as it is.  If the need is in the problem it is
    not matched again; if the offer is, one unit of its capacity is reserved for it."""

    need: Id
    offer: Id

    def __post_init__(self) -> None:
        _check_id("need", self.need)
        _check_id("offer", self.offer)


@dataclass(frozen=True, slots=True)
class Problem:
    """One matching round: the open needs, the live offers and the round's settings, plus
    what earlier rounds and deliveries left: recently received items per household and
    held proposals."""

    needs: tuple[Need, ...]
    offers: tuple[Offer, ...]
    params: Params = field(default_factory=Params)
    recent: tuple[RecentHelp, ...] = ()
    held: tuple[Held, ...] = ()

    def __post_init__(self) -> None:
        for name in ("needs", "offers", "recent", "held"):
            if not isinstance(getattr(self, name), tuple):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        _check_unique("needs", self.needs)
        _check_unique("offers", self.offers)
        first: dict[Id, int] = {}
        for i, h in enumerate(self.held):
            if h.need in first:
                raise ValueError(
                    f"held[{i}] (need {_show_id(h.need)}): the need is held twice "
                    f"(first at held[{first[h.need]}])"
                )
            first[h.need] = i


def _check_unique(kind: str, records: Sequence[Need | Offer]) -> None:
    first: dict[Id, int] = {}
    for i, record in enumerate(records):
        key: Id = record.id  # 1 and "1" are different ids, as in JSON
        if key in first:
            raise ValueError(
                f"{kind}[{i}] (id {_show_id(key)}): duplicate id (first at {kind}[{first[key]}])"
            )
        first.setdefault(key, i)


def _show_id(value: Id) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


@dataclass(frozen=True, slots=True)
class Assignment:
    """A proposed need → offer pair, with the reasons it was chosen."""

    need: Id
    offer: Id
    distance_km: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A need left unserved this round, with one of :data:`REASON_CODES`."""

    need: Id
    reason: str


@dataclass(frozen=True, slots=True)
class Result:
    """Outcome of a round: assignments, unmatched needs, status and statistics.

    ``stats`` is JSON-ready: ``status``, ``seconds``, ``served_by_priority`` (keys "1", "2",
    "3"), ``total_distance_km``, counts, ``candidate_arcs``, ``timings`` per phase, …
    """

    assignments: tuple[Assignment, ...]
    unmatched: tuple[Unmatched, ...]
    status: str
    stats: Mapping[str, Any]

    @property
    def served_by_priority(self) -> tuple[int, int, int]:
        """Served counts for priorities 1, 2, 3 (compare lexicographically)."""
        s = self.stats["served_by_priority"]
        return (int(s["1"]), int(s["2"]), int(s["3"]))

    @property
    def total_distance_km(self) -> float:
        return float(self.stats["total_distance_km"])
