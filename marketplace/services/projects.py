"""项目 — the projects organisations run their offers in (DESIGN §11, issue 16 item 2).

An organisation account manages its own projects (公益创投 / 慈善信托 / 自有资金 / 政府购买服务, a
budget, a period, a target number of households and the items covered); every offer belongs to one
of them (an organisation without a project gets one when it publishes its first offer). Another
organisation never sees them (not found); the administrator sees all and records an evaluation
(评估: a score 0–100 and notes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, col, select

from marketplace.models import (
    FundingSource,
    Offer,
    Organisation,
    Project,
    ProjectStatus,
    Role,
    TaxonomyItem,
    User,
    utcnow,
)
from marketplace.services import audit
from marketplace.services.access import require_admin
from marketplace.services.clock import beijing_today
from marketplace.services.errors import Forbidden, NotFound, ValidationFailed
from marketplace.services.messages import Message

FUNDING = tuple(f.value for f in FundingSource)
FUNDING_ZH = {
    FundingSource.VENTURE.value: "公益创投",
    FundingSource.TRUST.value: "慈善信托",
    FundingSource.OWN.value: "自有资金",
    FundingSource.GOVERNMENT.value: "政府购买服务",
}
MAX_BUDGET = Decimal("9999999999.99")
MAX_TARGET = 10_000_000
MAX_TITLE, MAX_NOTES = 100, 2000


@dataclass(frozen=True)
class ProjectIn:
    """A project as typed (web form or API body), checked by ``check``."""

    title: str
    funding: str
    budget_yuan: Decimal
    start: date
    end: date
    target_households: int
    items: list[str]


def _org_of(session: Session, actor: User) -> Organisation:
    if actor.role != Role.ORG or actor.org_id is None:
        raise Forbidden("access.org_only")
    org = session.get(Organisation, actor.org_id)
    if org is None:
        raise Forbidden("access.no_org")
    return org


def check(session: Session, data: dict[str, Any]) -> ProjectIn:
    """Every field checked at once: a message per wrong field, nothing stored."""
    errors: dict[str, Message | str] = {}
    title = str(data.get("title") or "").strip()
    if not title:
        errors["title"] = "field.required"
    elif len(title) > MAX_TITLE:
        errors["title"] = Message("field.too_long", {"max": MAX_TITLE})
    funding = str(data.get("funding") or "")
    if funding not in FUNDING:
        errors["funding"] = Message("project.funding_invalid", {"codes": list(FUNDING)})
    budget = Decimal(0)
    try:
        raw = data.get("budget_yuan", 0)
        budget = Decimal(str(raw if raw not in (None, "") else 0))
        if not budget.is_finite() or budget < 0 or budget > MAX_BUDGET:
            raise InvalidOperation
        budget = budget.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors["budget_yuan"] = "project.budget_invalid"
    days: dict[str, date] = {}
    for name in ("start", "end"):
        value = data.get(name)
        if isinstance(value, date):
            days[name] = value
            continue
        try:
            days[name] = date.fromisoformat(str(value or "").strip())
        except ValueError:
            errors[name] = "period.bad_date"
    if "start" in days and "end" in days and days["end"] < days["start"]:
        errors["end"] = "period.reversed"
    target = 0
    try:
        raw_target = data.get("target_households", 0)
        if isinstance(raw_target, bool):
            raise ValueError
        target = int(raw_target if raw_target not in (None, "") else 0)
        if not 0 <= target <= MAX_TARGET:
            raise ValueError
    except (TypeError, ValueError):
        errors["target_households"] = "project.target_invalid"
    items_raw = data.get("items") or []
    items = [str(i) for i in items_raw] if isinstance(items_raw, list) else []
    if not isinstance(items_raw, list):
        errors["items"] = "field.not_list"
    elif items:
        known = set(
            session.exec(select(TaxonomyItem.code).where(col(TaxonomyItem.code).in_(items)))
        )
        if missing := sorted(set(items) - known):
            errors["items"] = Message("item.unknown_codes", {"codes": missing})
    if errors:
        raise ValidationFailed(errors)
    return ProjectIn(
        title=title,
        funding=funding,
        budget_yuan=budget,
        start=days["start"],
        end=days["end"],
        target_households=target,
        items=sorted(set(items)),
    )


def create_project(session: Session, *, actor: User, data: dict[str, Any]) -> Project:
    org = _org_of(session, actor)
    checked = check(session, data)
    project = Project(
        org_id=org.id or 0,
        title=checked.title,
        funding=checked.funding,
        budget_yuan=checked.budget_yuan,
        start=checked.start,
        end=checked.end,
        target_households=checked.target_households,
        items=checked.items,
        created_by=actor.id,
    )
    session.add(project)
    session.flush()
    audit.record(session, actor, "project.create", project, after=as_json(project))
    return project


def default_project(session: Session, *, org: Organisation, actor: User | None) -> Project:
    """The organisation's first project, made when it has none (its first offer needs one)."""
    found = session.exec(
        select(Project).where(Project.org_id == org.id).order_by(col(Project.id))
    ).first()
    if found is not None:
        return found
    today = beijing_today()
    project = Project(
        org_id=org.id or 0,
        title=f"{org.name}帮扶项目"[:MAX_TITLE],
        funding=FundingSource.OWN.value,
        start=today,
        end=today + timedelta(days=365),
        created_by=actor.id if actor else None,
    )
    session.add(project)
    session.flush()
    audit.record(session, actor, "project.create", project, after=as_json(project))
    return project


def project_for_offer(
    session: Session, *, org: Organisation, actor: User, project_id: int | None
) -> Project:
    """The project a new offer goes in: the one named (the organisation's own, still active), or
    the organisation's default project."""
    if project_id is None:
        return default_project(session, org=org, actor=actor)
    project = session.get(Project, project_id)
    if project is None or project.org_id != org.id:
        raise ValidationFailed({"project_id": "project.not_found"})
    if project.status != ProjectStatus.ACTIVE.value:
        raise ValidationFailed({"project_id": "project.closed"})
    return project


def projects_of(session: Session, viewer: User) -> list[Project]:
    """An organisation's own projects; every project for the administrator. Newest first."""
    stmt = select(Project)
    if viewer.role == Role.ORG:
        stmt = stmt.where(Project.org_id == _org_of(session, viewer).id)
    elif viewer.role != Role.ADMIN:
        raise Forbidden("access.org_only")
    return list(session.exec(stmt.order_by(col(Project.id).desc())))


def get_project(session: Session, project_id: int, viewer: User) -> Project:
    """One project for its organisation or the administrator; anyone else: not found."""
    project = session.get(Project, project_id)
    if viewer.role == Role.ADMIN:
        if project is None:
            raise NotFound("project.not_found")
        return project
    org = _org_of(session, viewer)
    if project is None or project.org_id != org.id:
        raise NotFound("project.not_found")
    return project


def close_project(session: Session, *, actor: User, project_id: int) -> Project:
    project = get_project(session, project_id, actor)
    if actor.role != Role.ORG:
        raise Forbidden("access.org_only")
    before = project.status
    project.status = ProjectStatus.CLOSED.value
    session.flush()
    audit.record(
        session,
        actor,
        "project.close",
        project,
        before={"status": before},
        after={"status": project.status},
    )
    return project


def evaluate(
    session: Session, *, actor: User, project_id: int, score: Any, notes: str = ""
) -> Project:
    """评估 — the administrator's score (0–100) and notes; a later evaluation replaces it (the
    audit log keeps both)."""
    require_admin(actor)
    project = get_project(session, project_id, actor)
    errors: dict[str, Message | str] = {}
    value = 0
    try:
        if isinstance(score, bool):
            raise ValueError
        value = int(str(score).strip())
        if not 0 <= value <= 100:
            raise ValueError
    except (TypeError, ValueError):
        errors["score"] = "project.score_invalid"
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES:
        errors["notes"] = Message("field.too_long", {"max": MAX_NOTES})
    if errors:
        raise ValidationFailed(errors)
    before = {"score": project.evaluation_score, "notes": project.evaluation_notes}
    project.evaluation_score = value
    project.evaluation_notes = notes or None
    project.evaluated_by = actor.id
    project.evaluated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "project.evaluate",
        project,
        before=before,
        after={"score": value, "notes": project.evaluation_notes},
    )
    return project


def offer_counts(session: Session, project_ids: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    if project_ids:
        for pid in session.exec(
            select(Offer.project_id).where(col(Offer.project_id).in_(project_ids))
        ):
            if pid is not None:
                counts[pid] = counts.get(pid, 0) + 1
    return counts


def org_names(session: Session, org_ids: list[int]) -> dict[int, str]:
    if not org_ids:
        return {}
    rows = session.exec(
        select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(org_ids))
    )
    return {i: n for i, n in rows if i is not None}


def as_json(p: Project) -> dict[str, Any]:
    return {
        "id": p.id,
        "org_id": p.org_id,
        "title": p.title,
        "funding": p.funding,
        "budget_yuan": float(p.budget_yuan),
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "target_households": p.target_households,
        "items": list(p.items),
        "status": p.status,
        "evaluation": (
            {
                "score": p.evaluation_score,
                "notes": p.evaluation_notes or "",
                "at": p.evaluated_at.isoformat() if p.evaluated_at else None,
            }
            if p.evaluation_score is not None
            else None
        ),
    }
