"""Validation of the problem dataclasses and the taxonomy loader."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from matching import Held, Need, Offer, Params, Problem, RecentHelp
from matching.taxonomy import categories, item_codes, items
from tests.matching.helpers import need, offer


def test_taxonomy_has_9_categories_and_31_items() -> None:
    assert len(categories()) == 9
    assert len(items()) == 31
    assert item_codes()[0] == "01-01" and item_codes()[-1] == "09-03"
    assert all(i.code.startswith(i.category + "-") for i in items())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("lat", 95.0, 'field "lat": 95.0 is out of range -90..90'),
        ("lon", -181, 'field "lon": -181 is out of range -180..180'),
        ("lat", float("nan"), 'field "lat"'),
        ("lat", "30.2", "field \"lat\": '30.2' is not a number"),
        ("priority", 4, 'field "priority": 4 is out of range 1..3'),
        ("priority", True, 'field "priority"'),
        ("item", "10-01", "field \"item\": '10-01' is not a known taxonomy item"),
        ("region", "33010", 'field "region"'),
        ("region", "33010600100x", 'field "region"'),
        ("hardship", "poor", "field \"hardship\": 'poor' is not a hardship code"),
        ("household", "", 'field "household": must not be empty'),
    ],
)
def test_need_rejects_bad_fields(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError) as err:
        need(**{field: value})
    assert message in str(err.value)


def test_need_normalises_aware_posted_time_to_utc() -> None:
    n = need(posted=datetime(2025, 1, 1, 8, 0, tzinfo=UTC))
    assert n.posted == datetime(2025, 1, 1, 8, 0)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"capacity": -1}, 'field "capacity": -1 must be >= 0'),
        ({"items": ()}, 'field "items": must list at least one item'),
        ({"items": ("07-02", "99-99")}, 'field "items[1]"'),
        ({"regions": ("3301",)}, 'field "regions[0]"'),
        ({"hardship": ("bottom", "rich")}, 'field "hardship[1]"'),
        ({"radius_km": -2.0}, 'field "radius_km"'),
        ({"start": date(2025, 2, 1), "end": date(2025, 1, 1)}, 'field "end"'),
        ({"items": ["07-02"]}, 'field "items": must be a tuple'),
    ],
)
def test_offer_rejects_bad_fields(kw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as err:
        offer(**kw)
    assert message in str(err.value)


def test_params_validation() -> None:
    with pytest.raises(ValueError, match="max_per_household"):
        Params(max_per_household=0)
    with pytest.raises(ValueError, match="time_limit_s"):
        Params(time_limit_s=0)
    with pytest.raises(ValueError, match="round_date"):
        Params(round_date=datetime(2025, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_km"):
        Params(max_km=-5.0)
    with pytest.raises(ValueError, match="max_km"):
        Params(max_km=float("inf"))
    with pytest.raises(ValueError, match=r"tilt_regions\[1\]"):
        Params(tilt_regions=("330127", "3301"))
    with pytest.raises(ValueError, match="tilt_regions"):
        Params(tilt_regions=["330127"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tilt_km"):
        Params(tilt_km=float("nan"))
    assert Params().max_km is None and Params().tilt_km == 0.0


def test_recent_and_held_validation() -> None:
    with pytest.raises(ValueError, match=r'field "items\[0\]"'):
        RecentHelp("h1", ("10-10",))
    with pytest.raises(ValueError, match='field "household"'):
        RecentHelp(None, ("07-02",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match='field "offer"'):
        Held("n1", 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match='field "excluded_offers"'):
        need(excluded_offers=["o1"])
    with pytest.raises(ValueError, match=r"held\[1\] \(need 7\): the need is held twice"):
        Problem((), (), held=(Held(7, "a"), Held(7, "b")))


def test_problem_rejects_duplicate_ids_naming_the_record() -> None:
    with pytest.raises(
        ValueError, match=r'needs\[2\] \(id "a"\): duplicate id \(first at needs\[0\]\)'
    ):
        Problem((need("a"), need("b"), need("a")), ())
    with pytest.raises(ValueError, match=r"offers\[1\] \(id 7\): duplicate id"):
        Problem((), (offer(7), offer(7)))  # type: ignore[arg-type]
    # 7 and "7" are different ids, as in JSON
    Problem((), (offer(7), offer("7")))  # type: ignore[arg-type]


def test_records_are_frozen() -> None:
    n = need()
    with pytest.raises(AttributeError):
        n.lat = 1.0  # type: ignore[misc]
    assert isinstance(n, Need) and isinstance(offer(), Offer)
