"""幸福码 both ways (services/feedback.py) and the 幸福清单 indicators (services/happiness.py):
help requests reaching the street hub with their due time, ratings and thanks (scrubbed, one per
delivered item, moderated: a held thank-you never reaches the helper, a shown one notifies them),
and the delivery rate and satisfaction against hand counts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import col, select, update

from marketplace.models import (
    AuditLog,
    Claim,
    Feedback,
    Household,
    Hub,
    Lead,
    Notification,
    Pairing,
    PolicyReferral,
    Role,
    User,
    Visit,
    utcnow,
)
from marketplace.services import claims, contributions, feedback, happiness
from marketplace.services.errors import Conflict, NotFound, ValidationFailed
from tests.factories import COMMUNITY, OTHER_DISTRICT_COMMUNITY, confirm, delivered_claim

STREET = COMMUNITY[:9]


@pytest.fixture
def people(app, make_user, make_org):
    district = make_user(Role.HUB_STAFF, hub="330102")
    street = make_user(Role.HUB_STAFF, hub=STREET)
    other = make_user(Role.HUB_STAFF, hub="330106")
    member = make_user(Role.MEMBER)
    return {"district": district, "street": street, "other": other, "member": member}


def _household(db, household_id) -> Household:
    with db() as s:
        return s.get(Household, household_id)


# -- help requests ------------------------------------------------------------------------------


def test_a_help_request_is_a_lead_for_the_street_hub_due_like_a_warning(db, people, make_household):
    level1 = make_household(people["district"], name="欧阳秀兰", risk_score=45)
    level2 = make_household(people["district"], name="司马建国", risk_score=75)
    with db() as s:
        before = utcnow()
        urgent = feedback.request_help(
            s,
            household=s.get(Household, level1.id),
            text="家里断电了，老人需要帮忙",
            contact="白天打电话",
        )
        calm = feedback.request_help(s, household=s.get(Household, level2.id), text="想咨询助餐")
        street_hub = s.exec(select(Hub).where(Hub.region_code == STREET)).one()
        for lead in (urgent, calm):
            assert lead.hub_id == street_hub.id and lead.source == "happiness"
            assert lead.community_code == COMMUNITY and lead.status == "open"
        assert urgent.household_id == level1.id and urgent.contact == "白天打电话"
        # Level 1: important, 3 days; otherwise general, 7 days.
        assert timedelta(days=3) <= urgent.due_at - before < timedelta(days=3, minutes=1)
        assert timedelta(days=7) <= calm.due_at - before < timedelta(days=7, minutes=1)
        # The street's staff are told (not the district's, not another district's).
        notes = s.exec(select(Notification).where(Notification.kind == "help_request")).all()
        assert {n.user_id for n in notes} == {people["street"].id}
        assert {n.ref_id for n in notes} == {urgent.id, calm.id}
        assert s.exec(select(AuditLog).where(AuditLog.action == "lead.help_request")).all()
        assert feedback.open_help_requests(s, level1.id) == 1


@pytest.mark.parametrize(
    ("text", "contact", "field"),
    [("", "", "text"), ("x" * 501, "", "text"), ("需要帮助", "1" * 101, "contact")],
)
def test_a_bad_help_request_stores_nothing(db, people, make_household, text, contact, field):
    household = make_household(people["district"])
    with db() as s:
        with pytest.raises(ValidationFailed) as err:
            feedback.request_help(
                s, household=s.get(Household, household.id), text=text, contact=contact
            )
        assert field in err.value.errors
        assert s.exec(select(Lead)).all() == []


# -- ratings and thanks --------------------------------------------------------------------------


def test_a_rating_is_scrubbed_pending_and_acknowledges_the_item(app, db, people, make_household):
    household = make_household(people["district"], name="欧阳秀兰")
    claim = delivered_claim(app, people["district"], people["member"], household=household)
    key = f"claim-{claim.id}"
    with db() as s:
        hh = s.get(Household, household.id)
        row = feedback.rate(
            s, household=hh, key=key, rating="5", words="谢谢！欧阳秀兰 电话13812345678"
        )
        assert row.rating == 5 and row.status == "pending"
        assert "13812345678" not in row.words and "欧阳秀兰" not in row.words
        assert "谢谢" in row.words
        assert row.member_id == people["member"].id and row.community_code == COMMUNITY
        assert s.get(Claim, claim.id).acknowledged_at is not None
        # One rating per item: a second one is a conflict (the first may have reached the helper).
        with pytest.raises(Conflict):
            feedback.rate(s, household=hh, key=key, rating=1)
        # The street's staff hear of it.
        (note,) = s.exec(select(Notification).where(Notification.kind == "feedback")).all()
        assert note.user_id == people["street"].id


@pytest.mark.parametrize("rating", ["0", "6", "abc", "", None, "3.5"])
def test_a_rating_outside_1_to_5_is_refused(app, db, people, make_household, rating):
    household = make_household(people["district"])
    claim = delivered_claim(app, people["district"], people["member"], household=household)
    with db() as s:
        with pytest.raises(ValidationFailed) as err:
            feedback.rate(
                s, household=s.get(Household, household.id), key=f"claim-{claim.id}", rating=rating
            )
        assert "rating" in err.value.errors
        assert s.exec(select(Feedback)).all() == []


def test_only_delivered_items_of_this_household_can_be_rated(
    app, db, people, make_household, make_need
):
    household = make_household(people["district"])
    other = make_household(people["district"])
    theirs = delivered_claim(app, people["district"], people["member"], household=other)
    need = make_need(people["district"], household)
    with db() as s:
        active = claims.claim_wish(
            s,
            member=s.get(User, people["member"].id),
            wish_id=need.id,
            policy=claims.ClaimPolicy(100, 7),
        )
        hh = s.get(Household, household.id)
        with pytest.raises(Conflict):
            feedback.rate(s, household=hh, key=f"claim-{active.id}", rating=4)
        for key in (f"claim-{theirs.id}", "claim-999999", "visit-1", "benefit-1", "x-1", "claim-0"):
            with pytest.raises(NotFound):
                feedback.rate(s, household=hh, key=key, rating=4)
        assert s.exec(select(Feedback)).all() == []


def _rated(app, db, people, make_household, words="谢谢你送来的电风扇"):
    household = make_household(people["district"], name="欧阳秀兰")
    claim = delivered_claim(app, people["district"], people["member"], household=household)
    confirm(app, people["district"], _need_id(db, claim.id), hours="1.5")
    with db() as s:
        row = feedback.rate(
            s,
            household=s.get(Household, household.id),
            key=f"claim-{claim.id}",
            rating=4,
            words=words,
        )
    return claim, row


def _need_id(db, claim_id):
    with db() as s:
        return s.get(Claim, claim_id).need_id


def _thanks_notes(s, user_id):
    return s.exec(
        select(Notification).where(Notification.user_id == user_id, Notification.kind == "thanks")
    ).all()


def test_a_held_thank_you_never_reaches_the_helper(app, db, people, make_household):
    claim, row = _rated(app, db, people, make_household)
    with db() as s:
        # Pending: not yet on the record, no notification.
        record = contributions.record_of_claim(s, claim.id)
        assert feedback.thanks_for_records(s, [record]) == {}
        held = feedback.moderate(
            s, actor=s.get(User, people["street"].id), feedback_id=row.id, status="held"
        )
        assert held.status == "held" and held.moderated_by == people["street"].id
        assert feedback.thanks_for_records(s, [record]) == {}
        assert feedback.thanks_for_claims(s, [claim.id]) == {}
        assert _thanks_notes(s, people["member"].id) == []
        # Holding twice is a conflict; another district's staff do not find it.
        with pytest.raises(Conflict):
            feedback.moderate(
                s, actor=s.get(User, people["street"].id), feedback_id=row.id, status="held"
            )
        with pytest.raises(NotFound):
            feedback.moderate(
                s, actor=s.get(User, people["other"].id), feedback_id=row.id, status="shown"
            )
        assert _thanks_notes(s, people["member"].id) == []


def test_a_shown_thank_you_notifies_the_helper_and_is_on_the_record(
    app, db, people, make_household
):
    claim, row = _rated(app, db, people, make_household)
    with db() as s:
        feedback.moderate(
            s, actor=s.get(User, people["district"].id), feedback_id=row.id, status="shown"
        )
        (note,) = _thanks_notes(s, people["member"].id)
        assert note.code == "notice.thanks" and note.params["household"] == "欧*"
        assert "rating" not in note.params  # the hub does not share ratings by default
        record = contributions.record_of_claim(s, claim.id)
        thanks = feedback.thanks_for_records(s, [record])[record.id]
        assert thanks.household == "欧*" and thanks.words == "谢谢你送来的电风扇"
        assert thanks.rating is None
        assert "欧阳秀兰" not in str(thanks.as_json())
        audit = s.exec(select(AuditLog).where(AuditLog.action == "feedback.moderate")).one()
        assert audit.before == {"status": "pending"} and audit.after == {"status": "shown"}
        # A shown one stays shown.
        with pytest.raises(Conflict):
            feedback.moderate(
                s, actor=s.get(User, people["district"].id), feedback_id=row.id, status="held"
            )


def test_the_rating_reaches_the_helper_only_if_the_street_hub_shares_it(
    app, db, people, make_household
):
    claim, row = _rated(app, db, people, make_household)
    with db() as s:
        # The district's staff cannot decide for the street: their own hub's flag is theirs.
        feedback.set_share_ratings(s, actor=s.get(User, people["district"].id), value=True)
        assert feedback.share_ratings(s, COMMUNITY) is False
        feedback.set_share_ratings(s, actor=s.get(User, people["street"].id), value=True)
        assert feedback.share_ratings(s, COMMUNITY) is True
        feedback.moderate(
            s, actor=s.get(User, people["street"].id), feedback_id=row.id, status="shown"
        )
        (note,) = _thanks_notes(s, people["member"].id)
        assert note.code == "notice.thanks_rated" and note.params["rating"] == 4
        assert feedback.thanks_for_claims(s, [claim.id])[claim.id].rating == 4


def test_an_organisations_thanks_reach_its_accounts(
    db, people, make_household, make_org, make_user, make_need, make_offer
):
    org = make_org()
    org_user = make_user(Role.ORG, org_id=org.id)
    offer = make_offer(org_user, items=["01-01"], capacity=3)
    household = make_household(people["district"])
    need = make_need(people["district"], household, kind="service", item="01-01", title="助餐")
    with db() as s:
        claim = Claim(
            need_id=need.id,
            offer_id=offer.id,
            due_at=utcnow() + timedelta(days=7),
            status="delivered",
            delivered_at=utcnow(),
        )
        s.add(claim)
        s.flush()
        hh = s.get(Household, household.id)
        row = feedback.rate(s, household=hh, key=f"claim-{claim.id}", rating=5, words="很好")
        assert row.org_id == org.id and row.member_id is None
        street = s.get(User, people["street"].id)
        feedback.moderate(s, actor=street, feedback_id=row.id, status="shown")
        assert len(_thanks_notes(s, org_user.id)) == 1


# -- the list's other items ------------------------------------------------------------------------


def test_benefits_and_visits_are_on_the_list_and_can_be_acknowledged_and_rated(
    db, people, make_household
):
    household = make_household(people["district"])
    with db() as s:
        granted = PolicyReferral(
            household_id=household.id,
            item_code="P1-01",
            status="done",
            since=date(2026, 11, 1),
            amount_yuan=Decimal("1120.00"),
            done_at=utcnow(),
        )
        waiting = PolicyReferral(household_id=household.id, item_code="P1-03", status="referred")
        visit = Visit(
            household_id=household.id,
            visited_on=date(2026, 12, 1),
            mode="home",
            visitor_id=people["street"].id,
        )
        s.add_all([granted, waiting, visit])
        s.flush()
        hh = s.get(Household, household.id)
        data = happiness.happiness_list(s, hh.token)
        (benefit,) = data["benefits"]
        assert benefit["key"] == f"benefit-{granted.id}" and benefit["amount_yuan"] == "1120.00"
        assert benefit["since"] == "2026-11-01" and benefit["acknowledged"] is False
        (seen,) = data["visits"]
        assert seen["key"] == f"visit-{visit.id}" and seen["mode"] == "home"
        with pytest.raises(NotFound):  # not granted: not on the list
            feedback.acknowledge_item(s, household=hh, key=f"benefit-{waiting.id}")
        feedback.acknowledge_item(s, household=hh, key=f"benefit-{granted.id}")
        feedback.acknowledge_item(s, household=hh, key=f"benefit-{granted.id}")  # idempotent
        feedback.rate(s, household=hh, key=f"visit-{visit.id}", rating=3)
        data = happiness.happiness_list(s, hh.token)
        assert data["benefits"][0]["acknowledged"] is True
        assert data["visits"][0]["acknowledged"] is True and data["visits"][0]["rating"] == 3


# -- indicators against hand counts ----------------------------------------------------------------


def test_delivery_rate_and_satisfaction_against_hand_counts(
    app, db, people, make_household, make_need
):
    staff, member = people["district"], people["member"]
    a = make_household(staff)
    b = make_household(people["other"], community_code=OTHER_DISTRICT_COMMUNITY)
    acked = delivered_claim(app, staff, member, household=a, item="07-01")  # done: acknowledged
    confirmed = delivered_claim(app, staff, member, household=a, item="07-02")  # done: confirmed
    confirm(app, staff, _need_id(db, confirmed.id))
    plain = delivered_claim(
        app, staff, member, household=a, item="07-03"
    )  # delivered only: not done
    active_need = make_need(staff, a, item="03-04")
    expired_need = make_need(staff, a, item="01-04")
    other_staff = people["other"]
    far = delivered_claim(app, other_staff, member, household=b)  # 330106: not done
    with db() as s:
        m = s.get(User, member.id)
        claims.claim_wish(s, member=m, wish_id=active_need.id, policy=claims.ClaimPolicy(100, 7))
        gone = claims.claim_wish(
            s, member=m, wish_id=expired_need.id, policy=claims.ClaimPolicy(100, 7)
        )
        s.exec(update(Claim).where(col(Claim.id) == gone.id).values(status="expired"))
        hh_a = s.get(Household, a.id)
        feedback.acknowledge_item(s, household=hh_a, key=f"claim-{acked.id}")
        s.add(PolicyReferral(household_id=a.id, item_code="P1-01", status="done", done_at=utcnow()))
        s.add(PolicyReferral(household_id=a.id, item_code="P1-02", status="in_progress"))
        pairing = Pairing(
            household_id=a.id, member_id=member.id, start=date(2026, 1, 1), end=date(2027, 1, 1)
        )
        s.add(pairing)
        s.flush()
        s.add(
            Visit(household_id=a.id, visited_on=date(2026, 12, 1), mode="home", visitor_id=staff.id)
        )
        helper_visit = Visit(
            household_id=a.id,
            visited_on=date(2026, 12, 2),
            mode="phone",
            visitor_id=member.id,
            pairing_id=pairing.id,
        )
        s.add(helper_visit)
        s.flush()
        # 330102: claims acked, confirmed, plain, active (4; 2 done) + 1 benefit (done) + 2 visits
        # (the staff's done, the helper's not yet) = 7 items, 4 done. 330106: 1 item, 0 done.
        by_district = happiness.delivery_rate(s, level="district")
        assert by_district["330102"] == happiness.Share(4, 7)
        assert by_district["330106"] == happiness.Share(0, 1)
        assert by_district["330102"].rate == pytest.approx(4 / 7)
        # The household acknowledges the helper's visit: one more done.
        feedback.acknowledge_item(s, household=hh_a, key=f"visit-{helper_visit.id}")
        assert happiness.delivery_rate(s, level="community")[COMMUNITY] == happiness.Share(5, 7)
        assert happiness.delivery_rate(s, level="street", within="330106") == {
            OTHER_DISTRICT_COMMUNITY[:9]: happiness.Share(0, 1)
        }
        # Satisfaction: ratings 5 and 2 in 330102, 4 in 330106 (held ones count too).
        r1 = feedback.rate(s, household=hh_a, key=f"claim-{acked.id}", rating=5)
        feedback.rate(s, household=hh_a, key=f"claim-{plain.id}", rating=2)
        feedback.rate(s, household=s.get(Household, b.id), key=f"claim-{far.id}", rating=4)
        feedback.moderate(s, actor=s.get(User, staff.id), feedback_id=r1.id, status="held")
        sat = happiness.satisfaction(s, level="district")
        assert sat["330102"] == happiness.Satisfaction(2, 7) and sat["330102"].average == 3.5
        assert sat["330106"].average == 4.0
        assert happiness.satisfaction(s, level="district", within="330106").keys() == {"330106"}
        assert happiness.satisfaction(s, start=utcnow() + timedelta(days=1)) == {}
        # Rating the plain delivery acknowledged it: one more done.
        assert happiness.delivery_rate(s)["330102"] == happiness.Share(6, 7)
        with pytest.raises(ValueError):
            happiness.delivery_rate(s, level="city")
