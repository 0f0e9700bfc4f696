"""Hub pages of 探访关爱 and 结对帮扶: the visits-due list, recording a visit, pairing from the
case file and ending it, confirming a helper's visit; in Chinese and English."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from marketplace.models import Contribution, Pairing, Role, Visit, VisitSchedule
from marketplace.services import clock, schedules
from tests.factories import text


def test_hub_visits_pages(client, db, make_user, make_household, login_as):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    member = make_user(Role.MEMBER)
    h = make_household(staff, name="李四")
    with db() as s:
        s.get(VisitSchedule, h.id).due_1 = clock.beijing_today() - timedelta(days=2)
        s.flush()
        schedules.relevel(s)  # (moved by hand)
    login_as(staff)
    page = client.get("/hub/visits")
    assert page.status_code == 200
    body = text(page)
    assert "到期探访" in body and "李四" in body and "row-overdue" in body
    assert "/hub/visits" in text(client.get("/hub/"))  # in the navigation
    en = text(client.get("/hub/visits?lang=en"))
    assert "Visits due" in en and "Overdue" in en

    detail = text(client.get(f"/hub/households/{h.id}"))
    assert 'id="care"' in detail and f"/hub/households/{h.id}/visit" in detail

    r = client.post(
        f"/hub/households/{h.id}/visit",
        data={"visited_on": clock.beijing_today().isoformat(), "mode": "home", "note": "很好"},
    )
    assert r.status_code == 302
    r = client.post(
        f"/hub/households/{h.id}/visit",
        data={
            "visited_on": (clock.beijing_today() + timedelta(days=2)).isoformat(),
            "mode": "home",
        },
    )
    assert r.status_code == 422
    with db() as s:
        assert len(s.exec(select(Visit)).all()) == 1

    end = (clock.beijing_today() + timedelta(days=60)).isoformat()
    r = client.post(f"/hub/households/{h.id}/pairing", data={"member_id": member.id, "end": end})
    assert r.status_code == 302
    with db() as s:
        pairing = s.exec(select(Pairing)).one()
        assert pairing.member_id == member.id
    assert f"/hub/pairings/{pairing.id}/end" in text(client.get(f"/hub/households/{h.id}"))
    r = client.post(f"/hub/pairings/{pairing.id}/end", data={"reason": "结束"})
    assert r.status_code == 302
    with db() as s:
        assert s.get(Pairing, pairing.id).ended_at is not None


def test_member_records_a_visit_from_the_phone_and_the_hub_confirms_it(
    client, db, make_user, make_household, login_as
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    member = make_user(Role.MEMBER)
    h = make_household(staff, name="王五")
    with db() as s:
        s.add(
            Pairing(
                household_id=h.id,
                member_id=member.id,
                start=clock.beijing_today(),
                end=clock.beijing_today() + timedelta(days=30),
            )
        )
    login_as(member)
    page = text(client.get("/member/paired"))
    assert "王*" in page and "王五" not in page and f"/member/paired/{h.id}/visit" in page
    assert "/member/paired" in text(client.get("/member/"))
    assert "My paired households" in text(client.get("/member/paired?lang=en"))
    form = client.get(f"/member/paired/{h.id}/visit")
    assert form.status_code == 200
    r = client.post(
        f"/member/paired/{h.id}/visit",
        data={"visited_on": clock.beijing_today().isoformat(), "mode": "phone", "note": "聊天"},
    )
    assert r.status_code == 302
    client.get("/auth/logout")
    login_as(staff)
    with db() as s:
        visit = s.exec(select(Visit)).one()
    assert f"visit-{visit.id}" in text(client.get("/hub/visits"))
    assert client.post(f"/hub/visits/{visit.id}/confirm", data={"hours": "2"}).status_code == 302
    with db() as s:
        assert str(s.exec(select(Contribution)).one().hours) == "2.0"


def test_an_organisation_sees_its_paired_households_and_records_a_visit(
    client, db, make_user, make_org, make_household, login_as
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    org = make_org()
    account = make_user(Role.ORG, org_id=org.id)
    other = make_user(Role.ORG, org_id=make_org().id)
    h = make_household(staff, name="赵六")
    login_as(staff)
    end = (clock.beijing_today() + timedelta(days=90)).isoformat()
    r = client.post(f"/hub/households/{h.id}/pairing", data={"org_id": org.id, "end": end})
    assert r.status_code == 302
    client.get("/auth/logout")

    login_as(account)
    home = text(client.get("/org/"))
    assert "/org/paired" in home  # in the navigation
    notices = text(client.get("/notifications"))
    assert "/org/paired" in notices and "/member/paired" not in notices
    page = text(client.get("/org/paired"))
    assert "赵*" in page and "赵六" not in page and f"/org/paired/{h.id}/visit" in page
    assert "Our paired households" in text(client.get("/org/paired?lang=en"))
    assert client.get(f"/org/paired/{h.id}/visit").status_code == 200
    bad = client.post(f"/org/paired/{h.id}/visit", data={"visited_on": "", "mode": "home"})
    assert bad.status_code == 422
    r = client.post(
        f"/org/paired/{h.id}/visit",
        data={"visited_on": clock.beijing_today().isoformat(), "mode": "home", "findings": "漏水"},
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("/org/paired")
    with db() as s:
        visit = s.exec(select(Visit)).one()
        assert visit.visitor_id == account.id and visit.pairing_id is not None
    client.get("/auth/logout")

    login_as(other)  # another organisation: nothing to see, no visit to record
    assert "赵*" not in text(client.get("/org/paired"))
    assert client.get(f"/org/paired/{h.id}/visit").status_code == 404
    client.get("/auth/logout")

    login_as(staff)  # the household exits: its pairing ends, named in the reader's language
    client.post(f"/hub/households/{h.id}/stage", data={"stage": "exited", "reason": "迁出"})
    page = text(client.get(f"/hub/households/{h.id}"))
    assert "(该户已退出)" in page and "household exited" not in page
    assert "(Household exited" in text(client.get(f"/hub/households/{h.id}?lang=en"))
