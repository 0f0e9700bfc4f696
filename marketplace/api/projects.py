"""JSON API v1: organisations' projects, their reports, and Party branches' members (issue 16)."""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from marketplace.api.blueprint import api_auth, body, bp, created, me
from marketplace.db import get_session
from marketplace.models import Role
from marketplace.services import branches, project_reports, projects


@bp.get("/projects")
@api_auth(Role.ORG, Role.ADMIN)
def list_projects() -> ResponseReturnValue:
    """An organisation's own projects; the administrator's: all."""
    session = get_session()
    rows = projects.projects_of(session, me())
    counts = projects.offer_counts(session, [p.id for p in rows if p.id is not None])
    return jsonify(items=[projects.as_json(p) | {"offers": counts.get(p.id or 0, 0)} for p in rows])


@bp.post("/projects")
@api_auth(Role.ORG)
def create_project() -> ResponseReturnValue:
    project = projects.create_project(get_session(), actor=me(), data=body())
    return created(projects.as_json(project))


@bp.get("/projects/<int:project_id>/report")
@api_auth(Role.ORG, Role.ADMIN)
def project_report(project_id: int) -> ResponseReturnValue:
    session = get_session()
    project = projects.get_project(session, project_id, me())
    d_from, d_to = project_reports.period(request.args.get("from"), request.args.get("to"))
    return jsonify(project_reports.project_report(session, project, d_from, d_to).as_json())


@bp.get("/branches/<int:branch_id>/members")
@api_auth(Role.ORG, Role.ADMIN)
def branch_members(branch_id: int) -> ResponseReturnValue:
    """The members of a branch, for its Party organisation and the administrator."""
    session = get_session()
    branch = branches.get_branch(session, branch_id, me())
    rows = branches.members(session, branch_id, me())
    return jsonify(
        branch={"id": branch.id, "name": branch.name, "org_id": branch.org_id},
        items=[branches.member_json(u) for u in rows],
    )
