"""Organisations and their offers (services/offers.py): registration pending vetting, vetting,
offers with a known area and items, closing, and the one rule of a live offer (SQL and Python)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from marketplace.models import AuditLog, Offer, Organisation, Role, User
from marketplace.schemas import OfferIn, OrgIn
from marketplace.services import offers
from marketplace.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.services.messages import Message
from tests.factories import PASSWORD, valid_credit_code


def _org(n: int, name: str = "爱心助老服务中心") -> OrgIn:
    return OrgIn(name=name, type="ngo", credit_code=valid_credit_code(n))


def _offer(**overrides) -> OfferIn:
    data = {
        "title": "家电焕新",
        "items": ["07-02"],
        "regions": ["330102"],
        "capacity": 4,
        "start": date.today(),
        "end": date.today() + timedelta(days=10),
    } | overrides
    return OfferIn(**data)


def test_an_organisation_signs_up_pending_and_its_account_may_log_in(db):
    with db() as s:
        user = offers.sign_up_org(s, data=_org(801), username="aixin", password=PASSWORD)
        org = s.get(Organisation, user.org_id)
        assert org.status == "pending" and user.role == "org"
        assert user.display_name == "爱心助老服务中心"  # the organisation's name by default
        with pytest.raises(Conflict) as caught:
            offers.register_org(s, actor=None, data=_org(801, name="另一个名字"))
        assert caught.value.errors == {"credit_code": Message("field.already_registered")}


def test_who_may_register_an_organisation(db, make_user, make_org):
    member = make_user(Role.MEMBER)
    loose = make_user(Role.ORG, org_id=make_org().id)
    with db() as s:
        s.get(User, loose.id).org_id = None  # an organisation account without its organisation
    with db() as s:
        with pytest.raises(Forbidden):
            offers.register_org(s, actor=s.get(User, member.id), data=_org(802))
        actor = s.get(User, loose.id)
        org = offers.register_org(s, actor=actor, data=_org(803))
        assert actor.org_id == org.id  # the account now acts for it
        with pytest.raises(Conflict):
            offers.register_org(s, actor=actor, data=_org(804))


def test_the_administrator_vets_or_rejects_with_a_note(db, make_user, make_org):
    admin, staff = make_user(Role.ADMIN), make_user(Role.HUB_STAFF, hub="330102")
    one, two = make_org(vetted=False), make_org(vetted=False)
    with db() as s:
        with pytest.raises(Forbidden):
            offers.vet_org(s, actor=s.get(User, staff.id), org_id=one.id, approve=True)
        actor = s.get(User, admin.id)
        vetted = offers.vet_org(s, actor=actor, org_id=one.id, approve=True, note=" 材料齐全 ")
        assert (vetted.status, vetted.vetted_by, vetted.vet_note) == (
            "vetted",
            admin.id,
            "材料齐全",
        )
        rejected = offers.vet_org(s, actor=actor, org_id=two.id, approve=False)
        assert rejected.status == "rejected" and rejected.vet_note is None
        with pytest.raises(NotFound):
            offers.vet_org(s, actor=actor, org_id=999_999, approve=True)
    with db() as s:
        entry = s.exec(select(AuditLog).where(AuditLog.action == "org.vet")).first()
        assert entry.before == {"status": "pending"} and entry.after["status"] == "vetted"


def test_an_offer_needs_known_items_and_regions_and_an_area(db, make_user, make_org):
    org_user = make_user(Role.ORG, org_id=make_org().id)
    member = make_user(Role.MEMBER)
    with db() as s:
        actor = s.get(User, org_user.id)
        with pytest.raises(ValidationFailed) as caught:
            offers.create_offer(
                s, actor=actor, data=_offer(items=["07-02", "99-99"], regions=["330199"])
            )
        assert caught.value.errors == {
            "items": Message("item.unknown_codes", {"codes": ["99-99"]}),
            "regions": Message("region.unknown_codes", {"codes": ["330199"]}),
        }
        with pytest.raises(ValidationFailed) as caught:
            offers.create_offer(s, actor=actor, data=_offer(regions=[]))
        assert caught.value.errors == {"regions": Message("offer.area_required")}
        circle = offers.create_offer(
            s, actor=actor, data=_offer(regions=[], lat=30.25, lon=120.16, radius_km=3)
        )
        assert circle.remaining == circle.capacity == 4 and circle.created_by == org_user.id
        with pytest.raises(Forbidden):
            offers.create_offer(s, actor=s.get(User, member.id), data=_offer())


def test_only_the_organisation_closes_its_offer(db, make_user, make_org, make_offer):
    owner = make_user(Role.ORG, org_id=make_org().id)
    stranger = make_user(Role.ORG, org_id=make_org().id)
    offer = make_offer(owner)
    with db() as s:
        with pytest.raises(NotFound):
            offers.close_offer(s, actor=s.get(User, stranger.id), offer_id=offer.id)
        closed = offers.close_offer(s, actor=s.get(User, owner.id), offer_id=offer.id)
        assert closed.status == "closed"


def test_live_is_one_rule_in_sql_and_in_python(db, make_user, make_org, make_offer):
    """Live: published, of a vetted organisation, within its dates, not used up."""
    vetted = make_user(Role.ORG, org_id=make_org(vetted=True).id)
    pending = make_user(Role.ORG, org_id=make_org(vetted=False).id)
    today = date.today()
    made = {
        "live": make_offer(vetted),
        "pending_org": make_offer(pending),
        "closed": make_offer(vetted),
        "used_up": make_offer(vetted),
        "not_yet": make_offer(vetted, start=today + timedelta(days=1)),
        "ended": make_offer(vetted, start=today - timedelta(days=9), end=today - timedelta(days=1)),
        "last_day": make_offer(vetted, end=today),
    }
    with db() as s:
        s.get(Offer, made["closed"].id).status = "closed"
        s.get(Offer, made["used_up"].id).remaining = 0
    with db() as s:
        in_sql = {o.id for o in s.exec(offers.live_offers_query(today))}
        in_python = {o.id for o in s.exec(select(Offer)) if offers.is_live(s, o, today)}
        assert in_sql == in_python == {made["live"].id, made["last_day"].id}
        tomorrow = {o.id for o in s.exec(offers.live_offers_query(today + timedelta(days=1)))}
        assert tomorrow == {made["live"].id, made["not_yet"].id}


def test_an_organisation_sees_its_offers_newest_first_with_whether_they_are_live(
    db, make_user, make_org, make_offer
):
    owner = make_user(Role.ORG, org_id=make_org().id)
    first, second = make_offer(owner), make_offer(owner, start=date.today() + timedelta(days=3))
    make_offer(make_user(Role.ORG, org_id=make_org().id))  # another organisation's
    admin = make_user(Role.ADMIN)
    with db() as s:
        mine = offers.org_offers(s, s.get(User, owner.id))
        assert mine.org.id == owner.org_id
        assert [(o.id, live) for o, live in mine.offers] == [(second.id, False), (first.id, True)]
        with pytest.raises(Forbidden):
            offers.org_of(s, s.get(User, admin.id))


def test_an_offer_counts_in_the_unit_chosen_or_its_items_default(db, make_user, make_org):
    org_user = make_user(Role.ORG, org_id=make_org().id)
    with db() as s:
        actor = s.get(User, org_user.id)
        meals = offers.create_offer(s, actor=actor, data=_offer(items=["01-01"]))
        talks = offers.create_offer(s, actor=actor, data=_offer(items=["02-02", "09-01"]))
        chosen = offers.create_offer(s, actor=actor, data=_offer(items=["01-01"], unit="person"))
        assert (meals.unit, talks.unit, chosen.unit) == ("portion", "hour", "person")
    with pytest.raises(ValueError):
        _offer(unit="kg")


def test_a_region_inside_another_chosen_one_is_not_stored_twice(db, make_user, make_org):
    org_user = make_user(Role.ORG, org_id=make_org().id)
    with db() as s:
        actor = s.get(User, org_user.id)
        offer = offers.create_offer(
            s,
            actor=actor,
            data=_offer(regions=["330102001", "330102001051", "330106", "330106002051"]),
        )
        assert offer.regions == ["330102001", "330106"]
        # The city itself is not an area to choose (its code is not a district, street or community).
        with pytest.raises(ValidationFailed) as caught:
            offers.create_offer(s, actor=actor, data=_offer(regions=["330100"]))
        assert caught.value.errors == {
            "regions": Message("region.unknown_codes", {"codes": ["330100"]})
        }


def test_the_centre_of_a_circle_is_in_hangzhou(db, make_user, make_org):
    org_user = make_user(Role.ORG, org_id=make_org().id)
    with db() as s:
        actor = s.get(User, org_user.id)
        with pytest.raises(ValidationFailed) as caught:  # Beijing
            offers.create_offer(
                s, actor=actor, data=_offer(regions=[], lat=39.9, lon=116.4, radius_km=3)
            )
        assert caught.value.errors == {"lat": Message("offer.centre_outside_city")}
        assert s.exec(select(Offer)).all() == []
        # 淳安 in the far west and 临平 in the north-east are in the city.
        for lat, lon in ((29.6, 118.9), (30.42, 120.3)):
            assert offers.create_offer(
                s, actor=actor, data=_offer(regions=[], lat=lat, lon=lon, radius_km=5)
            )
