"""The vectorised candidate generation agrees with the plain-Python eligibility rule."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from matching import Problem
from matching.candidates import encode_needs, encode_offers, generate_candidates, haversine_km
from matching.solver import _canonical
from tests.matching.helpers import ROUND, dist_m, eligible
from tests.matching.helpers import haversine_km as plain_haversine
from tests.matching.test_properties import markets


def test_haversine_matches_plain_formula() -> None:
    d = haversine_km(30.27, 120.16, np.array([29.61, 30.42]), np.array([119.04, 120.30]))
    assert np.allclose(d, [plain_haversine(30.27, 120.16, 29.61, 119.04),
                           plain_haversine(30.27, 120.16, 30.42, 120.30)])  # fmt: skip
    assert 100 < d[0] < 140  # 淳安 is ~120 km from the centre


@settings(max_examples=60, deadline=None)
@given(markets(max_needs=30, max_offers=6))
def test_candidates_equal_naive_eligibility(p: Problem) -> None:
    needs, offers = _canonical(p)
    cands = generate_candidates(encode_needs(needs), encode_offers(offers, ROUND))
    got = {
        (int(n), int(o)): d
        for n, o, d in zip(cands.need, cands.offer, cands.distance_km, strict=True)
    }
    want = {
        (i, j): dist_m(n, o)
        for i, n in enumerate(needs)
        for j, o in enumerate(offers)
        if eligible(n, o)
    }
    assert set(got) == set(want)
    for key, d in got.items():
        assert abs(d * 1000 - want[key]) <= 1
    # grouped by need, then offer
    order = np.lexsort((cands.offer, cands.need))
    assert (order == np.arange(len(order))).all()
    assert ((cands.why_none < 0) == np.isin(np.arange(len(needs)), cands.need)).all()
