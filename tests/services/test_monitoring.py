"""services/monitoring.py: events from hub staff and departments, their profile effects and
warnings, leads for unknown residents and members' discoveries."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace.models import (
    AuditLog,
    Household,
    HouseholdScore,
    Hub,
    Lead,
    MonitoringEvent,
    Notification,
    ProfileChange,
    RiskWarning,
    Role,
    User,
)
from marketplace.services import clock, monitoring
from marketplace.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.factories import COMMUNITY, OTHER_DISTRICT_COMMUNITY, valid_id_number

STREET = COMMUNITY[:9]


@pytest.fixture
def staff(make_user):
    return make_user(Role.HUB_STAFF, hub="330102")


@pytest.fixture
def street_staff(make_user):
    return make_user(Role.HUB_STAFF, hub=STREET)


@pytest.fixture
def dept(make_user):
    return make_user(Role.DEPT)


def _bad_check_digit() -> str:
    good = valid_id_number(4)
    return good[:17] + ("0" if good[17] != "0" else "1")


def _today():
    return clock.beijing_today().isoformat()


def _counts(s):
    return (
        len(s.exec(select(MonitoringEvent)).all()),
        len(s.exec(select(Lead)).all()),
        len(s.exec(select(RiskWarning)).all()),
    )


def test_a_staff_event_changes_the_profile_and_the_score_with_history(db, staff, make_household):
    household = make_household(staff, profile={"source": "monitored"}, members=3)
    with db() as s:
        actor = s.get_one(User, staff.id)
        event, warning = monitoring.record_event(
            s,
            actor=actor,
            kind="major_illness",
            occurred_on=_today(),
            note="住院治疗",
            household_id=household.id,
        )
        assert event.source == "hub" and event.household_id == household.id
        h = s.get_one(Household, household.id)
        assert h.profile["major_ill"] == 1 and h.risk_score == 100 - 12
        scores = s.exec(
            select(HouseholdScore).where(HouseholdScore.household_id == household.id)
        ).all()
        assert [sc.reason for sc in scores] == ["create", f"event:{event.id}"]
        change = s.exec(select(ProfileChange)).one()
        assert change.changes["major_ill"] == [0, 1] and change.changes["event"] == [None, event.id]
        # severe kind → an important warning, due in 3 days, at the hub of the household
        assert warning is not None and warning.level == "important"
        assert (warning.due_at - warning.raised_at).days == 3
        assert s.exec(select(AuditLog).where(AuditLog.action == "monitoring.event")).one()


def test_a_general_event_on_a_strong_household_raises_a_general_warning(db, staff, make_household):
    household = make_household(staff, profile={"source": "monitored"}, members=2)
    with db() as s:
        _, warning = monitoring.record_event(
            s,
            actor=s.get_one(User, staff.id),
            kind="birth",
            occurred_on=_today(),
            household_id=household.id,
        )
        h = s.get_one(Household, household.id)
        assert h.members == 3 and h.profile["dependants"] == 1 and h.risk_score == 96
        assert warning is not None and warning.level == "general"
        assert (warning.due_at - warning.raised_at).days == 7


def test_a_department_finds_the_household_by_id_number_anywhere(
    db, dept, make_user, make_household
):
    other = make_user(Role.HUB_STAFF, hub="330106")
    number = valid_id_number(991, district="330106")
    household = make_household(
        other,
        profile={"source": "monitored"},
        id_number=number,
        community_code=OTHER_DISTRICT_COMMUNITY,
    )
    with db() as s:
        event, warning = monitoring.record_event(
            s,
            actor=s.get_one(User, dept.id),
            kind="job_loss",
            occurred_on=_today(),
            id_number=number,
            community_code=COMMUNITY,  # the department's community may be out of date
        )
        assert event.source == "dept" and event.household_id == household.id
        assert event.community_code == OTHER_DISTRICT_COMMUNITY and warning is not None
        assert s.get_one(Household, household.id).profile["employed"] == 0


def test_an_unknown_id_number_becomes_a_lead_for_the_street(db, dept, staff, street_staff):
    with db() as s:
        event, warning = monitoring.record_event(
            s,
            actor=s.get_one(User, dept.id),
            kind="disaster",
            occurred_on=_today(),
            note="房屋受损",
            id_number=valid_id_number(777),
            community_code=COMMUNITY,
        )
        assert warning is None and event.household_id is None and event.lead_id
        lead = s.get_one(Lead, event.lead_id)
        street_hub = s.exec(select(Hub).where(Hub.region_code == STREET)).one()
        assert lead.hub_id == street_hub.id and lead.source == "dept"
        assert lead.id_number == valid_id_number(777)
        assert (lead.due_at - lead.created_at).days == 3  # disaster is severe
        notified = s.exec(select(Notification.user_id).where(Notification.kind == "lead")).all()
        assert notified == [street_staff.id]  # the street's staff, not the district's


def test_a_department_cannot_name_a_household_by_id(db, dept, staff, make_household):
    household = make_household(staff, profile={"source": "monitored"})
    with db() as s:
        with pytest.raises(ValidationFailed) as caught:
            monitoring.record_event(
                s,
                actor=s.get_one(User, dept.id),
                kind="death",
                occurred_on=_today(),
                household_id=household.id,
            )
        assert "household_id" in caught.value.errors
        assert _counts(s) == (0, 0, 0)


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"kind": "flood"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"occurred_on": "2026-13-01"}, "occurred_on"),
        ({"occurred_on": "2999-01-01"}, "occurred_on"),
        ({"note": "x" * 1001}, "note"),
        ({"note": "bad\x00"}, "note"),
        (
            {"household_id": None, "id_number": _bad_check_digit(), "community_code": COMMUNITY},
            "id_number",
        ),
        ({"household_id": None, "id_number": None}, "household_id"),
        (
            {"household_id": None, "id_number": valid_id_number(5), "community_code": "33"},
            "community_code",
        ),
        (
            {
                "household_id": None,
                "id_number": valid_id_number(5),
                "community_code": "330102999999",
            },
            "community_code",
        ),
        ({"household_id": 999999}, "household_id"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(db, staff, make_household, fields, bad):
    household = make_household(staff, profile={"source": "monitored"})
    data = {
        "kind": "job_loss",
        "occurred_on": _today(),
        "note": "",
        "household_id": household.id,
    } | fields
    with db() as s:
        before = s.get_one(Household, household.id).risk_score
        with pytest.raises(ValidationFailed) as caught:
            monitoring.record_event(s, actor=s.get_one(User, staff.id), **data)
        assert bad in caught.value.errors
        assert _counts(s) == (0, 0, 0)
        assert s.get_one(Household, household.id).risk_score == before


def test_staff_record_only_in_their_subtree(db, make_user, make_household):
    mine = make_user(Role.HUB_STAFF, hub="330102")
    other = make_user(Role.HUB_STAFF, hub="330106")
    household = make_household(mine, profile={"source": "monitored"})
    with db() as s:
        with pytest.raises(ValidationFailed) as caught:
            monitoring.record_event(
                s,
                actor=s.get_one(User, other.id),
                kind="job_loss",
                occurred_on=_today(),
                household_id=household.id,
            )
        assert caught.value.errors["household_id"].code == "household.not_found"


def test_members_and_organisations_cannot_record_events(db, users, make_household):
    household = make_household(users["hub_staff"], profile={"source": "monitored"})
    with db() as s:
        for role in ("member", "org", "admin"):
            with pytest.raises(Forbidden):
                monitoring.record_event(
                    s,
                    actor=s.get_one(User, users[role].id),
                    kind="job_loss",
                    occurred_on=_today(),
                    household_id=household.id,
                )


def test_a_discovery_becomes_a_scrubbed_lead_and_the_contact_stays_staff_only(
    db, users, street_staff
):
    with db() as s:
        lead = monitoring.report_discovery(
            s,
            actor=s.get_one(User, users["member"].id),
            community_code=COMMUNITY,
            description="楼下独居老人好几天没出门，电话13812345678",
            contact="李阿姨 13900001111",
        )
        assert lead.source == "discovery" and "13812345678" not in lead.description
        assert lead.contact == "李阿姨 13900001111"
        assert (lead.due_at - lead.created_at).days == 7
        with pytest.raises(ValidationFailed) as caught:
            monitoring.report_discovery(
                s, actor=s.get_one(User, users["member"].id), community_code="1", description=""
            )
        assert set(caught.value.errors) == {"community_code", "description"}
        with pytest.raises(Forbidden):
            monitoring.report_discovery(
                s,
                actor=s.get_one(User, street_staff.id),
                community_code=COMMUNITY,
                description="有人需要帮助",
            )


def test_leads_are_listed_registered_and_closed_once(db, users, street_staff, make_household):
    staff = users["hub_staff"]
    with db() as s:
        member = s.get_one(User, users["member"].id)
        first = monitoring.report_discovery(
            s, actor=member, community_code=COMMUNITY, description="一位老人需要帮助"
        )
        second = monitoring.report_discovery(
            s, actor=member, community_code=COMMUNITY, description="一家人房屋漏雨"
        )
        first_id, second_id = first.id, second.id
    household = make_household(staff, profile={"source": "discovered"})
    with db() as s:
        actor = s.get_one(User, street_staff.id)
        page = monitoring.list_leads(s, actor=actor)
        assert [lead.id for lead in page.items] == [first_id, second_id] and page.total == 2
        lead = monitoring.register_lead(s, actor=actor, lead_id=first_id, household_id=household.id)
        assert lead.status == "registered" and lead.household_id == household.id
        with pytest.raises(Conflict):
            monitoring.close_lead(s, actor=actor, lead_id=first_id, note="重复")
        with pytest.raises(ValidationFailed):
            monitoring.close_lead(s, actor=actor, lead_id=second_id, note="")
        closed = monitoring.close_lead(s, actor=actor, lead_id=second_id, note="已核实，无需帮扶")
        assert closed.status == "closed" and closed.close_note
        assert monitoring.list_leads(s, actor=actor).total == 0
        other = s.get_one(User, users["admin"].id)
        with pytest.raises(Forbidden):
            monitoring.list_leads(s, actor=other)


def test_a_department_reads_only_its_own_events_status(db, make_user, staff, make_household):
    household = make_household(staff, profile={"source": "monitored"})
    with db() as s:
        number = s.get_one(Household, household.id).id_number
    first, second = make_user(Role.DEPT), make_user(Role.DEPT)
    with db() as s:
        event, _ = monitoring.record_event(
            s,
            actor=s.get_one(User, first.id),
            kind="large_medical_expense",
            occurred_on=_today(),
            id_number=number,
            community_code=COMMUNITY,
        )
        event_id = event.id
    with db() as s:
        status = monitoring.event_status(s, actor=s.get_one(User, first.id), event_id=event_id)
        assert status["status"] == "warning_open" and status["warning"]["level"] in (
            "important",
            "general",
        )
        assert "name" not in str(status) and number not in str(status)
        with pytest.raises(NotFound):
            monitoring.event_status(s, actor=s.get_one(User, second.id), event_id=event_id)


# Many events at once (store_events / record_events) ---------------------------------------------


def _scores(s, household_id):
    return [
        (sc.reason.split(":")[0], sc.score)
        for sc in s.exec(
            select(HouseholdScore)
            .where(HouseholdScore.household_id == household_id)
            .order_by(HouseholdScore.id)
        )
    ]


def test_a_batch_applies_a_households_events_in_order_as_single_events_would(
    db, staff, street_staff, make_household
):
    """Three identical households: A gets birth then major_illness in one batch (with B's event
    between them), C gets the same two events one request at a time: the same profile, score
    history and warning levels and deadlines."""
    a, b, c = (
        make_household(
            staff, profile={"source": "monitored"}, members=2, id_number=valid_id_number(n)
        )
        for n in (61, 62, 63)
    )
    with db() as s:
        actor = s.get_one(User, staff.id)
        for kind in ("birth", "major_illness"):
            monitoring.record_event(
                s, actor=actor, kind=kind, occurred_on=_today(), household_id=c.id
            )
        stored = monitoring.record_events(
            s,
            actor=actor,
            items=[
                {"household_id": a.id, "kind": "birth", "occurred_on": _today()},
                {"household_id": b.id, "kind": "job_loss", "occurred_on": _today()},
                {"household_id": a.id, "kind": "major_illness", "occurred_on": _today()},
            ],
        )
        s.commit()
        assert [e.kind for e, _ in stored] == ["birth", "job_loss", "major_illness"]
        ha, hc = s.get_one(Household, a.id), s.get_one(Household, c.id)
        assert ha.profile == hc.profile and ha.members == hc.members == 3
        assert ha.risk_score == hc.risk_score
        assert _scores(s, a.id) == _scores(s, c.id)  # create, then one row per event, in order
        assert len(_scores(s, a.id)) == 3
        first, last = (e.id for e, _ in stored if e.household_id == a.id)
        reasons = [
            sc.reason
            for sc in s.exec(
                select(HouseholdScore)
                .where(HouseholdScore.household_id == a.id)
                .order_by(HouseholdScore.id)
            )
        ]
        assert reasons[1:] == [f"event:{first}", f"event:{last}"]
        changes = s.exec(
            select(ProfileChange)
            .where(ProfileChange.household_id == a.id)
            .order_by(ProfileChange.id)
        ).all()
        assert [ch.changes["event"][1] for ch in changes] == [first, last]
        singles = s.exec(
            select(RiskWarning).where(RiskWarning.household_id == c.id).order_by(RiskWarning.id)
        ).all()
        batch = [w for _, w in stored if w is not None and w.household_id == a.id]
        assert [w.level for w in batch] == [w.level for w in singles] == ["general", "important"]
        for w in batch:
            assert (w.due_at - w.raised_at).days == (3 if w.level == "important" else 7)
        assert (
            s.exec(
                select(AuditLog).where(
                    AuditLog.action == "monitoring.event", AuditLog.object_id == str(last)
                )
            )
            .one()
            .after["warning_id"]
            == batch[1].id
        )


def test_a_batch_tells_each_hubs_staff_once(db, staff, street_staff, make_user, make_household):
    colleague = make_user(Role.HUB_STAFF, hub=STREET)
    homes = [
        make_household(staff, profile={"source": "monitored"}, id_number=valid_id_number(70 + n))
        for n in range(3)
    ]
    with db() as s:
        actor = s.get_one(User, staff.id)
        stored = monitoring.record_events(
            s,
            actor=actor,
            items=[
                {"household_id": h.id, "kind": kind, "occurred_on": _today()}
                for h, kind in zip(homes, ("death", "birth", "job_loss"), strict=True)
            ],
        )
        s.commit()
        raised = [w for _, w in stored if w is not None]
        assert len(raised) == 3
        notices = s.exec(select(Notification).where(Notification.kind == "warning")).all()
        assert sorted(n.user_id for n in notices) == sorted([street_staff.id, colleague.id])
        important = sum(w.level == "important" for w in raised)
        for notice in notices:
            assert notice.code == "warning.raised_many" and notice.ref_id is None
            assert notice.params["count"] == 3 and notice.params["important"] == important
        # One event alone: the usual notice, with its link.
        _, warning = monitoring.record_events(
            s,
            actor=actor,
            items=[{"household_id": homes[0].id, "kind": "birth", "occurred_on": _today()}],
        )[0]
        single = s.exec(select(Notification).where(Notification.code == "warning.raised")).all()
        assert len(single) == 2 and {n.ref_id for n in single} == {warning.id}


def test_a_batch_turns_unknown_id_numbers_into_leads(db, dept, staff, street_staff, make_household):
    known = make_household(staff, profile={"source": "monitored"}, id_number=valid_id_number(81))
    with db() as s:
        stored = monitoring.record_events(
            s,
            actor=s.get_one(User, dept.id),
            items=[
                {
                    "id_number": number,
                    "community_code": COMMUNITY,
                    "kind": "disaster",
                    "occurred_on": _today(),
                }
                for number in (valid_id_number(82), known.id_number, valid_id_number(83))
            ],
        )
        s.commit()
        (e1, w1), (e2, w2), (e3, w3) = stored
        assert e2.household_id == known.id and w2 is not None and e2.lead_id is None
        assert w1 is None and w3 is None and e1.lead_id and e3.lead_id and e1.lead_id != e3.lead_id
        leads = {lead.id: lead for lead in s.exec(select(Lead))}
        assert leads[e1.lead_id].id_number == valid_id_number(82)
        assert leads[e3.lead_id].source == "dept"
        notices = s.exec(select(Notification).where(Notification.kind == "lead")).all()
        assert [(n.user_id, n.code, n.params["count"]) for n in notices] == [
            (street_staff.id, "notice.leads_opened", 2)
        ]


def test_one_bad_item_stores_nothing_of_the_batch(db, dept, staff, street_staff, make_household):
    known = make_household(staff, profile={"source": "monitored"}, id_number=valid_id_number(91))
    good = {
        "id_number": known.id_number,
        "community_code": COMMUNITY,
        "kind": "job_loss",
        "occurred_on": _today(),
    }
    with db() as s:
        before = _counts(s), s.get_one(Household, known.id).risk_score
        with pytest.raises(ValidationFailed) as caught:
            monitoring.record_events(
                s,
                actor=s.get_one(User, dept.id),
                items=[good, good | {"kind": "flood"}, good, good | {"occurred_on": "tomorrow"}],
            )
        assert set(caught.value.errors) == {"events[1].kind", "events[3].occurred_on"}
        s.rollback()
        assert (_counts(s), s.get_one(Household, known.id).risk_score) == before
        with pytest.raises(ValidationFailed) as caught:
            monitoring.record_events(s, actor=s.get_one(User, dept.id), items=[good] * 1001)
        assert caught.value.errors["events"].code == "event.batch_too_large"
        assert _counts(s) == before[0]
