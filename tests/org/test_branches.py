"""Org pages (issue 16 items 1, 2, 7): a Party organisation's branches, members (one by one and
from Excel), activity and branch report; an organisation's projects, the project select of the
offer form, the report and its Excel; the administrator's projects and evaluation."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlmodel import select

from marketplace.models import Branch, Offer, Project, Role, User
from marketplace.services import branches
from tests.factories import text, xlsx_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _party(make_org, make_user) -> User:
    return make_user(Role.ORG, org_id=make_org(type="party_org").id)


def test_party_organisation_manages_branches_and_members(client, login_as, db, make_org, make_user):
    party = _party(make_org, make_user)
    web = login_as(party)
    assert web.get("/org/branches").status_code == 200
    r = web.post("/org/branches", data={"name": "社区第一党支部"})
    assert r.status_code in (302, 303)
    with db() as s:
        branch = s.exec(select(Branch)).one()
    page = web.get("/org/branches")
    assert "社区第一党支部" in text(page)
    assert web.post("/org/branches", data={"name": "社区第一党支部"}).status_code == 409
    created = web.post(
        f"/org/branches/{branch.id}/members", data={"username": "dy_web1", "display_name": "赵"}
    )
    assert created.status_code == 200
    body = text(created)
    assert "dy_web1" in body
    with db() as s:
        user = s.exec(select(User).where(User.username == "dy_web1")).one()
        assert user.branch_id == branch.id and user.role == "member" and user.must_change_password
    detail = web.get(f"/org/branches/{branch.id}")
    assert detail.status_code == 200 and "dy_web1" in text(detail)
    bad = web.post(f"/org/branches/{branch.id}/members", data={"username": "dy_web1"})
    assert bad.status_code == 409
    xlsx = web.get(f"/org/branches/{branch.id}/report.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype == XLSX
    assert ("服务家庭数", 0) in xlsx_rows(xlsx)


def test_members_from_excel(client, login_as, db, make_org, make_user):
    party = _party(make_org, make_user)
    with db() as s:
        branches.create_branch(s, actor=s.get(User, party.id), name="机关党支部")
    web = login_as(party)
    template = web.get("/org/branches/import-template.xlsx")
    assert template.status_code == 200
    wb = load_workbook(io.BytesIO(template.data))
    wb[branches.SHEET].append(["dy_x1", "孙", "机关党支部"])
    wb[branches.SHEET].append(["dy_x2", "周", "别的支部"])
    out = io.BytesIO()
    wb.save(out)
    r = web.post(
        "/org/branches/import",
        data={"file": (io.BytesIO(out.getvalue()), "m.xlsx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    with db() as s:
        assert s.exec(select(User).where(User.username == "dy_x1")).first() is None
    wb[branches.SHEET].delete_rows(3)
    out = io.BytesIO()
    wb.save(out)
    r = web.post(
        "/org/branches/import",
        data={"file": (io.BytesIO(out.getvalue()), "m.xlsx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200 and "dy_x1" in text(r)
    with db() as s:
        assert s.exec(select(User).where(User.username == "dy_x1")).one().branch_id is not None


def test_an_ngo_has_no_branch_pages(as_role):
    web = as_role("org")
    assert web.get("/org/branches").status_code == 403
    assert web.get("/org/branches/import").status_code == 403


def test_projects_pages_and_the_offer_form(as_role, users, db, make_org, make_user, login_as):
    web = as_role("org")
    assert web.get("/org/projects").status_code == 200
    r = web.post(
        "/org/projects/new",
        data={
            "title": "公益创投·助餐",
            "funding": "venture",
            "budget_yuan": "2000",
            "start": "2026-01-01",
            "end": "2026-12-31",
            "target_households": "20",
            "items": ["01-01"],
        },
    )
    assert r.status_code in (302, 303), text(r)[:500]
    with db() as s:
        project = s.exec(select(Project)).one()
    page = web.get(f"/org/projects/{project.id}")
    assert page.status_code == 200 and "公益创投·助餐" in text(page)
    assert web.get(f"/org/projects/{project.id}?from=2026-02-30").status_code == 200  # a note
    form = web.get("/org/offers/new")
    assert f'value="{project.id}"' in form.get_data(as_text=True)
    xlsx = web.get(f"/org/projects/{project.id}/report.xlsx")
    assert xlsx.status_code == 200 and ("预算（元）", 2000) in xlsx_rows(xlsx)
    # Another organisation: not found.
    other = make_user(Role.ORG, org_id=make_org().id)
    web.post("/auth/logout")
    login_as(other)
    assert web.get(f"/org/projects/{project.id}").status_code == 404
    assert web.get(f"/org/projects/{project.id}/report.xlsx").status_code == 404
    assert "公益创投·助餐" not in text(web.get("/org/projects"))
    with db() as s:
        assert s.exec(select(Offer)).all() == []


def test_administrator_sees_all_projects_and_evaluates(as_role, users, db, make_offer):
    make_offer(users["org"])
    with db() as s:
        project = s.exec(select(Project)).one()
    web = as_role("admin")
    listing = web.get("/admin/projects")
    assert listing.status_code == 200 and project.title in text(listing)
    assert web.post(f"/admin/projects/{project.id}", data={"score": "120"}).status_code == 422
    r = web.post(f"/admin/projects/{project.id}", data={"score": "88", "notes": "成效明显"})
    assert r.status_code in (302, 303)
    with db() as s:
        saved = s.get(Project, project.id)
        assert (saved.evaluation_score, saved.evaluation_notes) == (88, "成效明显")
    assert "成效明显" in text(web.get(f"/admin/projects/{project.id}"))


def test_the_administrator_adds_a_member_to_any_branch(as_role, db, make_org, make_user):
    party = _party(make_org, make_user)
    with db() as s:
        branch = branches.create_branch(s, actor=s.get(User, party.id), name="老干部党支部")
    web = as_role("admin")
    listing = web.get("/admin/branches")
    assert listing.status_code == 200 and "老干部党支部" in text(listing)
    assert web.post(f"/admin/branches/{branch.id}", data={"username": ""}).status_code == 422
    r = web.post(
        f"/admin/branches/{branch.id}", data={"username": "dy_admin1", "display_name": "吴"}
    )
    assert r.status_code == 200 and "dy_admin1" in text(r)
    with db() as s:
        user = s.exec(select(User).where(User.username == "dy_admin1")).one()
        assert (user.branch_id, user.role) == (branch.id, "member")
    assert web.get("/admin/branches/999999").status_code == 404
