"""API: GET/POST /api/v1/projects, GET /api/v1/projects/{id}/report,
GET /api/v1/branches/{id}/members (issue 16 item 8)."""

from __future__ import annotations

from sqlmodel import select

from marketplace.models import Branch, Project, Role, User
from marketplace.services import branches

BODY = {
    "title": "慈善信托助学",
    "funding": "trust",
    "budget_yuan": 5000,
    "start": "2026-01-01",
    "end": "2026-12-31",
    "target_households": 10,
    "items": ["07-02"],
}


def test_an_organisation_creates_and_lists_only_its_projects(
    client, users, api_token, make_org, make_user, make_offer
):
    mine = api_token(users["org"])
    r = client.post("/api/v1/projects", json=BODY, headers=mine)
    assert r.status_code == 201, r.get_json()
    project = r.get_json()
    assert project["funding"] == "trust" and project["budget_yuan"] == 5000
    offer = client.post(
        "/api/v1/offers",
        json={
            "title": "助学",
            "items": ["07-02"],
            "regions": ["330102"],
            "capacity": 3,
            "start": "2026-01-01",
            "end": "2030-01-01",
            "project_id": project["id"],
        },
        headers=mine,
    )
    assert offer.status_code == 201 and offer.get_json()["project_id"] == project["id"]
    listed = client.get("/api/v1/projects", headers=mine).get_json()["items"]
    assert [(p["id"], p["offers"]) for p in listed] == [(project["id"], 1)]

    other = make_user(Role.ORG, org_id=make_org().id)
    theirs = api_token(other)
    assert client.get("/api/v1/projects", headers=theirs).get_json()["items"] == []
    assert client.get(f"/api/v1/projects/{project['id']}/report", headers=theirs).status_code == 404
    admin = api_token(users["admin"])
    assert [p["id"] for p in client.get("/api/v1/projects", headers=admin).get_json()["items"]] == [
        project["id"]
    ]
    assert client.post("/api/v1/projects", json=BODY, headers=admin).status_code == 403
    assert client.get("/api/v1/projects", headers=api_token(users["member"])).status_code == 403


def test_bad_project_names_each_field(client, users, api_token, db):
    r = client.post(
        "/api/v1/projects",
        json=BODY | {"funding": "x", "end": "2025-01-01"},
        headers=api_token(users["org"]),
    )
    assert r.status_code == 422
    assert set(r.get_json()["errors"]) == {"funding", "end"}
    with db() as s:
        assert s.exec(select(Project)).all() == []


def test_report_json(client, users, api_token):
    headers = api_token(users["org"])
    project = client.post("/api/v1/projects", json=BODY, headers=headers).get_json()
    r = client.get(
        f"/api/v1/projects/{project['id']}/report?from=2026-01-01&to=2026-06-30", headers=headers
    )
    data = r.get_json()
    assert r.status_code == 200, data
    assert data["from"] == "2026-01-01" and data["records"] == 0
    assert data["households_served"] == 0 and data["spend_per_household_yuan"] is None
    bad = client.get(f"/api/v1/projects/{project['id']}/report?from=2026-13-01", headers=headers)
    assert bad.status_code == 422


def test_branch_members_for_the_party_organisation_and_the_administrator(
    client, users, api_token, db, make_org, make_user
):
    party = make_user(Role.ORG, org_id=make_org(type="party_org").id)
    with db() as s:
        actor = s.get(User, party.id)
        branch = branches.create_branch(s, actor=actor, name="机关党支部")
        branches.add_member(s, actor=actor, branch_id=branch.id, username="dy9", display_name="李")
    url = f"/api/v1/branches/{branch.id}/members"
    r = client.get(url, headers=api_token(party))
    assert r.status_code == 200
    assert [m["username"] for m in r.get_json()["items"]] == ["dy9"]
    assert client.get(url, headers=api_token(users["admin"])).status_code == 200
    assert client.get(url, headers=api_token(users["org"])).status_code == 403  # not a Party org
    other_party = make_user(Role.ORG, org_id=make_org(type="party_org").id)
    assert client.get(url, headers=api_token(other_party)).status_code == 404
    assert client.get(url, headers=api_token(users["member"])).status_code == 403
    with db() as s:
        assert s.get(Branch, branch.id) is not None


def test_the_openapi_document_declares_the_paths(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/projects"])
    assert "get" in paths["/projects/{project_id}/report"]
    assert "get" in paths["/branches/{branch_id}/members"]
