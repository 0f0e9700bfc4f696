"""The map's layers (services/mapdata.py), scoped by role and never a household's identity: open
needs counted per community, hubs and live offers of the viewer's area."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from marketplace.models import Offer, Role, User
from marketplace.services import mapdata
from marketplace.services.errors import Forbidden
from tests.factories import COMMUNITY, OTHER_DISTRICT_COMMUNITY


@pytest.fixture
def area(make_user, make_household, make_need, make_org, make_offer):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    other = make_user(Role.HUB_STAFF, hub="330106")
    mine = make_household(staff, name="赵一")
    make_need(staff, mine)  # an open wish
    make_need(staff, mine, kind="service", item="01-01", title="助浴")  # an open service
    make_need(staff, make_household(staff), publish=False)  # pending review: never counted
    make_need(other, make_household(other, community_code=OTHER_DISTRICT_COMMUNITY))
    org_user = make_user(Role.ORG, org_id=make_org(vetted=True).id)
    return {
        "staff": staff,
        "other": other,
        "member": make_user(Role.MEMBER),
        "admin": make_user(Role.ADMIN),
        "org_user": org_user,
        "region_offer": make_offer(org_user, regions=["330102"], title="上城区"),
        "far_offer": make_offer(org_user, regions=["330106"], title="西湖区"),
        "circle": make_offer(org_user, regions=[], lat=30.25, lon=120.16, radius_km=3),
    }


def _get(s, user):
    return s.get(User, user.id)


def test_scope_by_role(db, area):
    with db() as s:
        assert mapdata.map_scope(s, _get(s, area["member"])) is None  # the whole masked pool
        assert mapdata.map_scope(s, _get(s, area["admin"])) is None
        assert mapdata.map_scope(s, _get(s, area["staff"])) == "330102"
        with pytest.raises(Forbidden):
            mapdata.map_scope(s, _get(s, area["org_user"]))


def test_needs_are_counted_per_community_without_names(db, area):
    with db() as s:
        staff = mapdata.map_data(s, actor=_get(s, area["staff"]))
        assert [(w["code"], w["count"]) for w in staff["wishes"]] == [(COMMUNITY, 2)]
        assert staff["wishes"][0]["name"] == "清波门社区" and staff["centre"] is not None
        member = mapdata.map_data(s, actor=_get(s, area["member"]))
        # Members count wishes only, in the whole city; they see no hubs or offers.
        assert {w["code"]: w["count"] for w in member["wishes"]} == {
            COMMUNITY: 1,
            OTHER_DISTRICT_COMMUNITY: 1,
        }
        assert member["hubs"] == member["offers"] == [] and member["centre"] is None
        assert set(member["wishes"][0]) == {"code", "name", "lat", "lon", "count"}
        assert "赵一" not in str(staff) + str(member)


def test_hubs_and_offers_of_the_scope(db, area):
    with db() as s:
        data = mapdata.map_data(s, actor=_get(s, area["staff"]))
        assert data["hubs"] and all(h["code"].startswith("330102") for h in data["hubs"])
        shapes = {(o["id"], o["shape"]) for o in data["offers"]}
        assert shapes == {(area["region_offer"].id, "region"), (area["circle"].id, "circle")}
        region = next(o for o in data["offers"] if o["shape"] == "region")
        assert region["region"] == "上城区" and region["remaining"] == region["capacity"] == 5
        city = mapdata.map_data(s, actor=_get(s, area["admin"]))
        assert area["far_offer"].id in {o["id"] for o in city["offers"]}


def test_only_live_offers_of_vetted_organisations_are_shown(
    db, area, make_org, make_user, make_offer
):
    unvetted = make_user(Role.ORG, org_id=make_org(vetted=False).id)
    hidden = make_offer(unvetted, regions=["330102"], title="未审核")
    with db() as s:
        s.get(Offer, area["circle"].id).end = date.today() - timedelta(days=1)  # ended
    with db() as s:
        shown = {o["id"] for o in mapdata.offers(s, None)}
        assert area["region_offer"].id in shown
        assert hidden.id not in shown and area["circle"].id not in shown
        tomorrow = date.today() + timedelta(days=1)
        assert area["region_offer"].id in {o["id"] for o in mapdata.offers(s, None, tomorrow)}
        assert mapdata.offers(s, None, date.today() + timedelta(days=365)) == []


def _open_warning(s, household_id, community, level, status="open"):
    from sqlmodel import select

    from marketplace.models import Hub, MonitoringEvent, RiskWarning

    event = MonitoringEvent(
        household_id=household_id,
        kind="major_illness",
        occurred_on=date(2026, 12, 1),
        source="hub",
        community_code=community,
    )
    s.add(event)
    s.flush()
    hub = s.exec(select(Hub).where(Hub.region_code == community[:9])).one()
    s.add(
        RiskWarning(
            household_id=household_id,
            event_id=event.id,
            level=level,
            status=status,
            community_code=community,
            hub_id=hub.id,
            due_at=datetime.now(UTC) + timedelta(days=3),
        )
    )


def test_open_warnings_are_counted_per_community_without_household_data(db, area, make_household):
    mine = make_household(area["staff"], name="钱二宝", phone="13912345678")
    far = make_household(area["other"], community_code=OTHER_DISTRICT_COMMUNITY, name="孙三")
    with db() as s:
        _open_warning(s, mine.id, COMMUNITY, "important")
        _open_warning(s, mine.id, COMMUNITY, "general")
        _open_warning(s, mine.id, COMMUNITY, "important", status="closed")  # not counted
        _open_warning(s, far.id, OTHER_DISTRICT_COMMUNITY, "general")
        s.commit()
    with db() as s:
        staff = mapdata.map_data(s, actor=_get(s, area["staff"]))
        city = mapdata.map_data(s, actor=_get(s, area["admin"]))
        member = mapdata.map_data(s, actor=_get(s, area["member"]))
    assert [(w["code"], w["count"], w["important"]) for w in staff["warnings"]] == [
        (COMMUNITY, 2, 1)
    ]
    assert {w["code"]: w["count"] for w in city["warnings"]} == {
        COMMUNITY: 2,
        OTHER_DISTRICT_COMMUNITY: 1,
    }
    # Counts on the community's centre only: no household's point, id, name or phone.
    assert set(staff["warnings"][0]) == {"code", "name", "lat", "lon", "count", "important"}
    assert staff["warnings"][0]["name"] == "清波门社区"
    text = str(staff["warnings"]) + str(city["warnings"])
    assert "钱二宝" not in text and "13912345678" not in text and mine.id_number not in text
    assert member["warnings"] == []  # members never see warnings
