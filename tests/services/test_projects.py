"""Projects (issue 16 item 2) and the project report (item 7): every offer in a project of its
organisation, another organisation sees none of them, the administrator's evaluation, and the
report's figures against hand counts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from marketplace.models import (
    AuditLog,
    Claim,
    ClaimStatus,
    Contribution,
    Need,
    NeedStatus,
    Offer,
    Project,
    Role,
    User,
    utcnow,
)
from marketplace.services import project_reports, projects
from marketplace.services.errors import Forbidden, NotFound, ValidationFailed
from tests.factories import confirm

GOOD = {
    "title": "春风助老公益创投",
    "funding": "venture",
    "budget_yuan": "1000",
    "start": "2026-01-01",
    "end": "2026-12-31",
    "target_households": 40,
    "items": ["07-02", "01-01"],
}


def _new(db, user: User, **overrides) -> Project:
    with db() as s:
        actor = s.get(User, user.id)
        return projects.create_project(s, actor=actor, data=GOOD | overrides)


def test_create_checks_every_field_and_stores_nothing_on_bad_input(db, users):
    with db() as s, pytest.raises(ValidationFailed) as exc:
        projects.create_project(
            s,
            actor=s.get(User, users["org"].id),
            data={
                "title": "",
                "funding": "lottery",
                "budget_yuan": "-1",
                "start": "2026-05-01",
                "end": "2026-04-01",
                "target_households": "many",
                "items": ["99-99"],
            },
        )
    assert set(exc.value.errors) == {
        "title",
        "funding",
        "budget_yuan",
        "end",
        "target_households",
        "items",
    }
    with db() as s:
        assert s.exec(select(Project)).all() == []
    project = _new(db, users["org"])
    assert project.budget_yuan == Decimal("1000.00") and project.items == ["01-01", "07-02"]
    with db() as s:
        assert s.exec(select(AuditLog).where(AuditLog.action == "project.create")).first()


def test_offers_belong_to_a_project_and_the_first_one_makes_it(db, users, make_offer):
    first = make_offer(users["org"])
    with db() as s:
        default = s.exec(select(Project).where(Project.org_id == users["org"].org_id)).one()
        assert s.get(Offer, first.id).project_id == default.id
    mine = _new(db, users["org"])
    second = make_offer(users["org"], project_id=mine.id)
    assert second.project_id == mine.id
    with db() as s:
        counts = projects.offer_counts(s, [default.id, mine.id])
    assert counts == {default.id: 1, mine.id: 1}


def test_another_organisation_cannot_see_or_use_ones_projects(
    db, users, make_org, make_user, make_offer
):
    other_org = make_org()
    other = make_user(Role.ORG, org_id=other_org.id)
    project = _new(db, users["org"])
    with db() as s:
        actor = s.get(User, other.id)
        assert projects.projects_of(s, actor) == []
        with pytest.raises(NotFound):
            projects.get_project(s, project.id, actor)
        with pytest.raises(Forbidden):
            projects.projects_of(s, s.get(User, users["member"].id))
    with pytest.raises(ValidationFailed) as exc:
        make_offer(other, project_id=project.id)
    assert "project_id" in exc.value.errors
    with db() as s:
        admin = s.get(User, users["admin"].id)
        assert [p.id for p in projects.projects_of(s, admin)] == [project.id]


def test_the_administrator_evaluates(db, users):
    project = _new(db, users["org"])
    with db() as s:
        with pytest.raises(Forbidden):
            projects.evaluate(
                s, actor=s.get(User, users["org"].id), project_id=project.id, score=90
            )
        with pytest.raises(ValidationFailed):
            projects.evaluate(
                s, actor=s.get(User, users["admin"].id), project_id=project.id, score=101
            )
    with db() as s:
        done = projects.evaluate(
            s,
            actor=s.get(User, users["admin"].id),
            project_id=project.id,
            score="85",
            notes="按期完成",
        )
        assert done.evaluation_score == 85 and done.evaluation_notes == "按期完成"
        assert projects.as_json(done)["evaluation"]["score"] == 85
    with db() as s:
        entry = s.exec(select(AuditLog).where(AuditLog.action == "project.evaluate")).one()
        assert entry.after == {"score": 85, "notes": "按期完成"}


def _assignment(app, db, staff, offer: Offer, household, make_need, hours: str) -> int:
    """A need of ``household`` assigned to ``offer`` and reported delivered with ``hours``."""
    need = make_need(staff, household)
    with db() as s:
        row = s.get(Need, need.id)
        row.status = NeedStatus.DELIVERED.value
        s.add(
            Claim(
                need_id=need.id,
                offer_id=offer.id,
                status=ClaimStatus.DELIVERED.value,
                due_at=utcnow() + timedelta(days=7),
                delivered_at=utcnow(),
                declared_hours=Decimal(hours),
            )
        )
    return need.id


def test_project_report_figures_match_hand_counts(
    app, db, users, make_household, make_need, make_offer
):
    staff = users["hub_staff"]
    other = make_offer(users["org"])  # in the default project: not in the report
    project = _new(db, users["org"], budget_yuan="900", start="2026-01-01")
    offer = make_offer(users["org"], project_id=project.id)
    a, b = make_household(staff), make_household(staff)
    n1 = _assignment(app, db, staff, offer, a, make_need, "2")
    n2 = _assignment(app, db, staff, offer, a, make_need, "1")
    n3 = _assignment(app, db, staff, offer, b, make_need, "4")
    n4 = _assignment(app, db, staff, offer, b, make_need, "1")  # delivered, not confirmed
    n5 = _assignment(app, db, staff, other, b, make_need, "5")
    confirm(app, staff, n1)
    confirm(app, staff, n2, hours="1.5")
    confirm(app, staff, n3)
    confirm(app, staff, n5)
    assert n4
    with db() as s:
        records = s.exec(select(Contribution).where(Contribution.project_id == project.id)).all()
        assert len(records) == 3
        d_from, d_to = project_reports.default_period()
        report = project_reports.project_report(s, s.get(Project, project.id), d_from, d_to)
    assert report.records == 3
    assert report.households == 2
    assert report.hours == Decimal("7.5")  # 2 + 1.5 (corrected) + 4
    assert (report.delivered, report.confirmed) == (4, 3)
    assert report.confirmation_rate == 0.75
    assert report.spend_per_household == Decimal("450.00")
    assert [(i.item, i.needs, i.records) for i in report.by_item] == [("07-02", 3, 3)]
    assert report.median_hours_to_confirm is not None and report.median_hours_to_confirm >= 0
    data = report.as_json()
    assert data["households_served"] == 2 and data["hours"] == 7.5
    # A period before the records: nothing.
    with db() as s:
        empty = project_reports.project_report(
            s, s.get(Project, project.id), date(2020, 1, 1), date(2020, 12, 31)
        )
    assert (empty.records, empty.households, empty.spend_per_household) == (0, 0, None)
    book = project_reports.report_workbook(report)
    assert book[:2] == b"PK"
