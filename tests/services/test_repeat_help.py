"""No double help (services/repeat_help.py): which claims make an item "recently received" by a
household, for how long, and through which channel (a member's claim, an accepted proposal)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.models import Claim, Need, Role, utcnow
from marketplace.services import repeat_help


@pytest.fixture
def home(make_user, make_household, make_need, make_org, make_offer):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff)
    neighbour = make_household(staff)
    org_user = make_user(Role.ORG, org_id=make_org().id)
    return {
        "household": household,
        "neighbour": neighbour,
        "member": make_user(Role.MEMBER),
        "offer": make_offer(org_user, items=["01-01"]),
        "wish": make_need(staff, household, item="07-02"),
        "service": make_need(staff, household, kind="service", item="01-01", title="助浴"),
        "again": make_need(staff, household, item="07-02", title="又一个电饭煲"),
        "other": make_need(staff, neighbour, item="07-02"),
    }


def _claim(s, need, *, status, days_ago, member=None, offer=None):
    at = utcnow() - timedelta(days=days_ago)
    s.add(
        Claim(
            need_id=need.id,
            member_id=member.id if member else None,
            offer_id=offer.id if offer else None,
            status=status,
            claimed_at=at,
            due_at=at + timedelta(days=7),
            delivered_at=at if status in ("delivered", "confirmed") else None,
            confirmed_at=at if status == "confirmed" else None,
        )
    )
    s.get(Need, need.id).status = "claimed"
    s.flush()


@pytest.mark.parametrize(
    ("status", "days_ago", "recent"),
    [
        ("active", 1, True),  # being given
        ("delivered", 30, True),
        ("confirmed", 89, True),
        ("confirmed", 91, False),  # the window is over
        ("expired", 5, False),
        ("cancelled", 5, False),
        ("given_up", 5, False),  # handed back: nothing was received
    ],
)
def test_which_claims_count(db, home, status, days_ago, recent):
    now = utcnow()
    with db() as s:
        _claim(s, home["wish"], status=status, days_ago=days_ago, member=home["member"])
        household = home["household"].id
        got = repeat_help.received_recently(s, household, "07-02", days=90, now=now)
        assert got is recent
        items = repeat_help.received_items(s, {household}, days=90, now=now)
        assert items == ({household: {"07-02"}} if recent else {})


def test_both_channels_count_and_only_for_the_household_and_item(db, home):
    now = utcnow()
    household, neighbour = home["household"].id, home["neighbour"].id
    with db() as s:
        _claim(s, home["wish"], status="confirmed", days_ago=10, member=home["member"])
        _claim(s, home["service"], status="active", days_ago=2, offer=home["offer"])  # a round's
        assert repeat_help.received_recently(s, household, "01-01", days=90, now=now)
        assert not repeat_help.received_recently(s, household, "03-01", days=90, now=now)
        assert not repeat_help.received_recently(s, neighbour, "07-02", days=90, now=now)
        # the need being decided on does not count against itself
        assert not repeat_help.received_recently(
            s, household, "01-01", days=90, now=now, except_need=home["service"].id
        )
        assert repeat_help.received_items(s, None, days=90, now=now) == {
            household: {"07-02", "01-01"}
        }
        assert repeat_help.received_items(s, {neighbour}, days=90, now=now) == {}
        # a large set of households is filtered in Python, with the same answer
        many = {household, *range(10_000, 11_000)}
        assert repeat_help.received_items(s, many, days=90, now=now) == {
            household: {"07-02", "01-01"}
        }


def test_zero_days_turns_the_rule_off(db, home):
    with db() as s:
        _claim(s, home["wish"], status="active", days_ago=0, member=home["member"])
        household = home["household"].id
        assert not repeat_help.received_recently(s, household, "07-02", days=0, now=utcnow())
        assert repeat_help.received_items(s, None, days=0, now=utcnow()) == {}
