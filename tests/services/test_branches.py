"""Party branches (issue 16 item 1): a Party organisation's branches and members, the Excel import
(all or nothing, row report), branch activity, and the branch report's figures."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from marketplace.models import Branch, Contribution, Need, Role, User
from marketplace.services import branches, project_reports
from marketplace.services.errors import Conflict, Forbidden, NotFound
from tests.factories import confirm, delivered_claim


@pytest.fixture
def party(make_org, make_user) -> User:
    org = make_org(type="party_org")
    return make_user(Role.ORG, org_id=org.id)


def _branch(db, party: User, name: str = "第一党支部") -> Branch:
    with db() as s:
        return branches.create_branch(s, actor=s.get(User, party.id), name=name)


def test_only_a_party_organisation_manages_branches(db, users, party):
    branch = _branch(db, party)
    with db() as s:
        with pytest.raises(Forbidden):
            branches.create_branch(s, actor=s.get(User, users["org"].id), name="x")  # an NGO
        with pytest.raises(Conflict):
            branches.create_branch(s, actor=s.get(User, party.id), name="第一党支部")
        with pytest.raises(Forbidden):
            branches.get_branch(s, branch.id, s.get(User, users["org"].id))
        with pytest.raises(Forbidden):
            branches.branches_of(s, s.get(User, users["member"].id))
        assert branches.get_branch(s, branch.id, s.get(User, users["admin"].id)).id == branch.id


def test_another_party_organisation_does_not_see_ones_branch(db, party, make_org, make_user):
    other = make_user(Role.ORG, org_id=make_org(type="party_org").id)
    branch = _branch(db, party)
    with db() as s:
        actor = s.get(User, other.id)
        assert branches.branches_of(s, actor) == []
        with pytest.raises(NotFound):
            branches.members(s, branch.id, actor)


def test_add_member_creates_a_member_account_in_the_branch(db, party):
    branch = _branch(db, party)
    with db() as s:
        user, password = branches.add_member(
            s,
            actor=s.get(User, party.id),
            branch_id=branch.id,
            username="dy001",
            display_name="王党员",
        )
        assert user.role == Role.MEMBER and user.branch_id == branch.id
        assert user.must_change_password and len(password) >= 12
    with db() as s:
        rows = branches.members(s, branch.id, s.get(User, party.id))
        assert [u.username for u in rows] == ["dy001"]
        assert branches.member_json(rows[0])["display_name"] == "王党员"


def _sheet(template: bytes, rows: list[list[str]]) -> bytes:
    wb = load_workbook(io.BytesIO(template))
    for row in rows:
        wb[branches.SHEET].append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_import_is_all_or_nothing_with_a_row_report(db, party):
    _branch(db, party)
    _branch(db, party, "第二党支部")
    with db() as s:
        template = branches.template(s, actor=s.get(User, party.id))
    bad = _sheet(
        template,
        [
            ["dy100", "甲", "第一党支部"],
            ["dy100", "乙", "第二党支部"],  # duplicate login name
            ["dy102", "丙", "不存在的支部"],
        ],
    )
    with db() as s:
        report = branches.import_members(s, actor=s.get(User, party.id), data=bad)
    assert not report.ok and report.created == []
    assert sorted((e.row, e.column) for e in report.errors) == [(3, "登录名"), (4, "党支部")]
    with db() as s:
        assert s.exec(select(User).where(User.username == "dy100")).first() is None
    good = _sheet(template, [["dy100", "甲", "第一党支部"], ["dy101", "乙", "第二党支部"]])
    with db() as s:
        report = branches.import_members(s, actor=s.get(User, party.id), data=good)
    assert report.ok and [(m.username, m.branch) for m in report.created] == [
        ("dy100", "第一党支部"),
        ("dy101", "第二党支部"),
    ]
    with db() as s:
        by_name = {b.name: b.id for b in s.exec(select(Branch))}
        users = {u.username: u.branch_id for u in s.exec(select(User).where(User.role == "member"))}
    assert users["dy100"] == by_name["第一党支部"] and users["dy101"] == by_name["第二党支部"]


def test_records_carry_the_branch_and_the_branch_report_counts_them(app, db, users, party):
    branch = _branch(db, party)
    with db() as s:
        member, _password = branches.add_member(
            s, actor=s.get(User, party.id), branch_id=branch.id, username="dy200"
        )
    staff = users["hub_staff"]
    c1 = delivered_claim(app, staff, member, hours="2")
    c2 = delivered_claim(app, staff, member, hours="3")
    c3 = delivered_claim(app, staff, member, hours="1")
    outsider = delivered_claim(app, staff, users["member"], hours="5")  # no branch
    confirm(app, staff, c1.need_id)
    confirm(app, staff, c2.need_id, hours="2.5")
    confirm(app, staff, outsider.need_id)
    assert c3.id
    with db() as s:
        assert {r.branch_id for r in s.exec(select(Contribution))} == {branch.id, None}
        d_from, d_to = project_reports.default_period()
        report = project_reports.branch_report(s, s.get(Branch, branch.id), d_from, d_to)
        rows = branches.activity(s, s.get(User, party.id), d_from, d_to)
    assert (report.records, report.households, report.hours) == (2, 2, Decimal("4.5"))
    assert (report.delivered, report.confirmed) == (3, 2)
    assert report.spend_per_household is None
    [row] = rows
    assert (row.members, row.claims, row.records, row.hours) == (1, 3, 2, Decimal("4.5"))
    assert row.points == sum(r.points for r in _records(db) if r.branch_id == branch.id)


def _records(db) -> list[Contribution]:
    with db() as s:
        return list(s.exec(select(Contribution)))


def test_average_satisfaction_from_the_households_ratings(app, db, users, party):
    from marketplace import models

    feedback = getattr(models, "Feedback", None)
    if feedback is None:
        pytest.skip("the 幸福码 ratings (Feedback) are not in this build")
    branch = _branch(db, party)
    with db() as s:
        member, _password = branches.add_member(
            s, actor=s.get(User, party.id), branch_id=branch.id, username="dy300"
        )
    staff = users["hub_staff"]
    claims = [delivered_claim(app, staff, m, hours="1") for m in (member, member, users["member"])]
    for c in claims:
        confirm(app, staff, c.need_id)
    with db() as s:
        for claim, rating in zip(claims, (4, 5, 1), strict=True):
            need = s.get(Need, claim.need_id)
            s.add(
                feedback(
                    household_id=need.household_id,
                    community_code=need.community_code,
                    item_kind="claim",
                    item_id=claim.id,
                    rating=rating,
                )
            )
    with db() as s:
        d_from, d_to = project_reports.default_period()
        report = project_reports.branch_report(s, s.get(Branch, branch.id), d_from, d_to)
    assert report.satisfaction_available
    assert (report.ratings, report.satisfaction) == (2, 4.5)  # the outsider's 1 not counted
