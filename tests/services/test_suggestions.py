"""帮扶建议 (services/suggestions.py): causes and items from the model file's rules, and the live
offers that could serve them now, decided by the solver's eligibility code."""

from __future__ import annotations

from datetime import date

from marketplace.models import Household, MonitoringEvent, Offer, RiskWarning, Role, User, utcnow
from marketplace.services import resilience, suggestions


def test_rules_pick_causes_by_indicator_or_event(db):
    with db() as s:
        model = resilience.active_model(s)
    causes, items = suggestions.causes_and_items(model, {"health.major_illness"}, set())
    assert [c.code for c in causes] == ["illness"]
    assert items[0] == "03-01" and len(items) == len(set(items))
    causes, items = suggestions.causes_and_items(model, set(), {"job_loss"})
    assert [c.code for c in causes] == ["unemployment"] and "06-02" in items
    assert suggestions.causes_and_items(model, set(), set()) == ((), ())


def test_household_and_warning_suggestions_with_offers(
    db, make_user, make_household, make_org, make_offer, client, login_as
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff, profile={"source": "dibian", "major_ill": 1})
    org = make_org()
    org_user = make_user(Role.ORG, org_id=org.id)
    escort = make_offer(org_user, title="陪诊服务", items=["03-01"])
    make_offer(org_user, title="外区陪诊", items=["03-01"], regions=["330106"])
    with db() as s:
        actor = s.get(User, staff.id)
        got = suggestions.for_household(s, actor=actor, household_id=household.id)
        codes = [c.code for c in got.causes]
        assert "illness" in codes and "low_income" in codes
        assert "03-01" in got.items
        assert [o.offer_id for o in got.offers["03-01"]] == [escort.id]
        assert got.offers["03-01"][0].distance_km is not None
        h = s.get(Household, household.id)
        event = MonitoringEvent(
            household_id=h.id,
            kind="job_loss",
            occurred_on=date.today(),
            source="staff",
            community_code=h.community_code,
        )
        s.add(event)
        s.flush()
        warning = RiskWarning(
            household_id=h.id,
            event_id=event.id,
            level="important",
            community_code=h.community_code,
            hub_id=actor.hub_id,
            due_at=utcnow(),
        )
        s.add(warning)
        s.commit()
        on_warning = suggestions.for_warning(s, actor=actor, warning=warning)
        assert "unemployment" in [c.code for c in on_warning.causes]
    page = login_as(staff).get(f"/hub/households/{household.id}").get_data(as_text=True)
    assert 'id="suggestions"' in page and "陪诊服务" in page


def test_the_read_of_live_offers_is_reused_until_an_offer_changes(
    db, make_user, make_household, make_org, make_offer
):
    """The live offers are read once per process: a new offer or a unit taken is seen at once
    (the stamp), an edited title after ``cache_s`` (or at once with 0)."""
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff)
    org_user = make_user(Role.ORG, org_id=make_org().id)
    first = make_offer(org_user, title="电饭煲一号")
    policy = suggestions.Policy(cache_s=3600)

    def titles(s, policy=policy):
        actor = s.get(User, staff.id)
        rows = suggestions.offers_for(
            s, actor=actor, household_id=household.id, item="07-02", policy=policy
        )
        return [(r.title, r.remaining, r.reason) for r in rows]

    with db() as s:
        assert titles(s) == [("电饭煲一号", 5, None)]
    second = make_offer(org_user, title="电饭煲二号", capacity=2)
    with db() as s:
        assert {t for t, *_ in titles(s)} == {"电饭煲一号", "电饭煲二号"}  # published: seen
        s.get(Offer, second.id).remaining = 0
        s.commit()
        assert ("电饭煲二号", 0, suggestions.CAPACITY_EXHAUSTED) in titles(s)  # taken: seen
        s.get(Offer, first.id).title = "电饭煲（改）"
        s.commit()
        assert ("电饭煲一号", 5, None) in titles(s)  # an edit: within cache_s, the old read
        fresh = suggestions.Policy(cache_s=0)
        assert ("电饭煲（改）", 5, None) in titles(s, fresh)
