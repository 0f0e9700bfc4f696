"""The city seed's visits, pairings and schedules (issue 14 item 10), at a tiny scale; the
indicators rebuilt from them."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from marketplace.db import get_engine
from marketplace.models import CareIndicator, Household, Pairing, Visit, VisitSchedule
from marketplace.services import indicators


@pytest.mark.slow
def test_city_seed_gives_visits_pairings_and_schedules(app, db):
    from marketplace.city import Scale, seed_city

    counts = seed_city(get_engine(app), scale=Scale.of(0.02), seed=7)
    assert counts["visits"] > counts["households"] and counts["pairings"] > 0
    with db() as s:
        households = s.exec(select(func.count()).select_from(Household)).one()
        assert s.exec(select(func.count()).select_from(VisitSchedule)).one() == households
        assert s.exec(select(func.count()).select_from(Visit)).one() == counts["visits"]
        paired = s.exec(select(func.count()).select_from(Pairing)).one()
        assert 0.3 < paired / households < 0.5
        indicators.rebuild(s)
    with db() as s:
        city = s.get(CareIndicator, "")
        assert city.households == households and city.paired == paired
        assert 0 < city.visits_on_time < city.visits_due <= households
