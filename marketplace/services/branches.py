"""党支部 — Party branches of Party organisations and their members (DESIGN §11, issue 16 item 1).

A Party organisation's account (an ``org`` account whose organisation is of type 党组织) manages its
branches and their members; the administrator may act for any. Members do not sign themselves up:
the Party organisation or the administrator opens each account (one by one, or from an Excel sheet,
all or nothing with a row report), with a temporary password shown once. A member belongs to one
branch (``User.branch_id``). Branch activity: claims, confirmed records, hours and points per
branch in a period.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace.models import (
    Branch,
    Claim,
    Contribution,
    Organisation,
    OrgType,
    Role,
    User,
)
from marketplace.services import accounts, audit
from marketplace.services.contributions import _utc_bounds
from marketplace.services.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceError,
    ValidationFailed,
)
from marketplace.services.exports import (
    LIST_SHEET,
    column_heading,
    dropdown,
    header_row,
    list_column,
)
from marketplace.services.imports import RowError, _is_formula, _text
from marketplace.services.messages import Message
from marketplace.services.workbooks import WorkbookLimits, open_workbook

MAX_NAME = 80
SHEET = "党员"
MAX_ROWS = 200
READ_COLUMNS = 16
COLUMNS: list[tuple[str, str, str]] = [
    ("username", "登录名", "必填：3–64 个字母、数字或 . _ - @，不可与已有账号重复"),
    ("display_name", "姓名", "选填：页面上称呼此人的名字"),
    ("branch", "党支部", "从下拉列表选择本组织的党支部"),
]


def party_org_of(session: Session, actor: User) -> Organisation:
    """The Party organisation an organisation account acts for; other accounts are refused."""
    if actor.role != Role.ORG or actor.org_id is None:
        raise Forbidden("access.org_only")
    org = session.get(Organisation, actor.org_id)
    if org is None:
        raise Forbidden("access.no_org")
    if org.type != OrgType.PARTY_ORG.value:
        raise Forbidden("branch.party_org_only")
    return org


def is_party_account(session: Session, actor: User) -> bool:
    try:
        party_org_of(session, actor)
    except Forbidden:
        return False
    return True


def branches_of(session: Session, viewer: User) -> list[Branch]:
    """The Party organisation's own branches (by name); every branch for the administrator."""
    stmt = select(Branch)
    if viewer.role != Role.ADMIN:
        stmt = stmt.where(Branch.org_id == party_org_of(session, viewer).id)
    return list(session.exec(stmt.order_by(col(Branch.name), col(Branch.id))))


def get_branch(session: Session, branch_id: int, viewer: User) -> Branch:
    """One branch for its Party organisation or the administrator; anyone else: not found."""
    branch = session.get(Branch, branch_id)
    if viewer.role == Role.ADMIN:
        if branch is None:
            raise NotFound("branch.not_found")
        return branch
    org = party_org_of(session, viewer)
    if branch is None or branch.org_id != org.id:
        raise NotFound("branch.not_found")
    return branch


def create_branch(session: Session, *, actor: User, name: str) -> Branch:
    org = party_org_of(session, actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": "field.required"})
    if len(name) > MAX_NAME:
        raise ValidationFailed({"name": Message("field.too_long", {"max": MAX_NAME})})
    taken = session.exec(
        select(Branch.id).where(Branch.org_id == org.id, Branch.name == name)
    ).first()
    if taken is not None:
        raise Conflict("branch.duplicate", {"name": "branch.duplicate"})
    branch = Branch(org_id=org.id or 0, name=name, created_by=actor.id)
    session.add(branch)
    session.flush()  # the unique constraint is the backstop of a race
    audit.record(session, actor, "branch.create", branch, after={"name": name, "org": org.id})
    return branch


def add_member(
    session: Session, *, actor: User, branch_id: int, username: str, display_name: str = ""
) -> tuple[User, str]:
    """A member account in the branch with a temporary password (returned, shown once; changed
    at the first login)."""
    branch = get_branch(session, branch_id, actor)
    password = accounts.temporary_password()
    user = accounts.create_user(
        session,
        actor=actor,
        username=(username or "").strip(),
        password=password,
        role=Role.MEMBER.value,
        display_name=display_name or "",
        must_change_password=True,
    )
    user.branch_id = branch.id
    session.flush()
    audit.record(session, actor, "branch.add_member", branch, after={"user": user.id})
    return user, password


def members(session: Session, branch_id: int, viewer: User) -> list[User]:
    branch = get_branch(session, branch_id, viewer)
    return list(
        session.exec(
            select(User)
            .where(User.branch_id == branch.id, User.role == Role.MEMBER.value)
            .order_by(col(User.id))
        )
    )


def member_json(u: User) -> dict[str, Any]:
    """What the Party organisation sees of its member: the account, not personal data."""
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "active": u.active,
        "created_at": u.created_at.isoformat(),
    }


# Activity ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    branch: Branch
    members: int
    claims: int  # claims made by its members in the period
    records: int  # confirmed service records that ended in the period
    hours: Decimal
    points: int


def activity(session: Session, viewer: User, d_from: date, d_to: date) -> list[Activity]:
    """Per branch of the viewer: members, claims, confirmed records, hours and points."""
    branches = branches_of(session, viewer)
    ids = [b.id for b in branches if b.id is not None]
    if not ids:
        return []
    start, end = _utc_bounds(d_from, d_to)
    counts = dict(
        session.exec(
            select(User.branch_id, func.count())
            .where(col(User.branch_id).in_(ids), User.role == Role.MEMBER.value)
            .group_by(col(User.branch_id))
        ).all()
    )
    claims = dict(
        session.exec(
            select(User.branch_id, func.count())
            .join(Claim, col(Claim.member_id) == col(User.id))
            .where(
                col(User.branch_id).in_(ids),
                col(Claim.claimed_at) >= start,
                col(Claim.claimed_at) < end,
            )
            .group_by(col(User.branch_id))
        ).all()
    )
    records: dict[int, tuple[int, Decimal, int]] = {}
    for bid, n, hours, pts in session.exec(
        select(
            Contribution.branch_id,
            func.count(),
            func.coalesce(func.sum(Contribution.hours), 0),
            func.coalesce(func.sum(Contribution.points), 0),
        )
        .where(
            col(Contribution.branch_id).in_(ids),
            col(Contribution.ended_at) >= start,
            col(Contribution.ended_at) < end,
        )
        .group_by(col(Contribution.branch_id))
    ).all():
        if bid is not None:
            records[bid] = (int(n), Decimal(str(hours)), int(pts))
    out = []
    for b in branches:
        n, hours, pts = records.get(b.id or 0, (0, Decimal(0), 0))
        out.append(
            Activity(
                branch=b,
                members=int(counts.get(b.id, 0)),
                claims=int(claims.get(b.id, 0)),
                records=n,
                hours=hours,
                points=pts,
            )
        )
    return out


# Import from Excel ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewMember:
    row: int
    username: str
    display_name: str
    branch: str
    password: str


@dataclass
class MemberImportReport:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: list[NewMember] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def template(session: Session, *, actor: User) -> bytes:
    """The workbook to fill in: one member per row, the branch from a drop-down list."""
    names = [b.name for b in branches_of(session, actor)]
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    header_row(ws, COLUMNS, width=24)
    ws.column_dimensions["A"].number_format = "@"
    lists = wb.create_sheet(LIST_SHEET)
    lists.sheet_state = "hidden"
    list_column(wb, lists, 1, "zf_branches", "党支部", names)
    dropdown(ws, COLUMNS, "branch", "zf_branches", MAX_ROWS)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rows(
    data: bytes, limits: WorkbookLimits | None
) -> list[tuple[int, dict[str, str], list[str]]]:
    wb = open_workbook(data, limits)
    try:
        if SHEET not in wb.sheetnames:
            raise ValidationFailed({"file": Message("account_import.no_sheet", {"sheet": SHEET})})
        rows = wb[SHEET].iter_rows(values_only=True, max_col=READ_COLUMNS)
        index: dict[str, int] = {}
        for i, value in enumerate(next(rows, ())):
            index.setdefault(_text(value), i)
        wanted = [(f, index[h]) for f, h, _x in COLUMNS if h in index]
        out: list[tuple[int, dict[str, str], list[str]]] = []
        for n, values in enumerate(rows, start=2):
            raw = {f: values[i] if i < len(values) else None for f, i in wanted}
            cells = {f: "" for f, _h, _x in COLUMNS} | {f: _text(v) for f, v in raw.items()}
            if any(cells.values()):
                if len(out) >= MAX_ROWS:
                    raise ValidationFailed(
                        {"file": Message("account_import.too_many_rows", {"max": MAX_ROWS})}
                    )
                out.append((n, cells, [f for f, v in raw.items() if _is_formula(v)]))
        return out
    finally:
        wb.close()


def import_members(
    session: Session, *, actor: User, data: bytes, limits: WorkbookLimits | None = None
) -> MemberImportReport:
    """Check every row, then create every member in their branch, or none."""
    by_name = {b.name: b for b in branches_of(session, actor)}
    report = MemberImportReport()
    try:
        rows = _rows(data, limits)
    except ValidationFailed as exc:
        report.errors += [RowError("", 0, "", Message.of(m)) for m in exc.errors.values()]
        return report
    report.rows = len(rows)
    if not rows:
        report.errors.append(RowError("", 0, "", Message("account_import.empty")))
        return report

    def fail(row: int, field_name: str, message: Message | str) -> None:
        report.errors.append(
            RowError(SHEET, row, column_heading(COLUMNS, field_name), Message.of(message))
        )

    wanted = [c["username"] for _n, c, _f in rows if c["username"]]
    taken = {
        u.casefold()
        for u in session.exec(select(User.username).where(col(User.username).in_(wanted)))
    }
    seen: set[str] = set()
    for number, cells, formulas in rows:
        for f in formulas:
            fail(number, f, "import.formula")
        username = cells["username"]
        if not accounts.USERNAME.match(username):
            fail(number, "username", "account.username_invalid")
        elif username.casefold() in taken or username.casefold() in seen:
            fail(number, "username", "account.username_taken")
        seen.add(username.casefold())
        if len(cells["display_name"]) > accounts.MAX_DISPLAY_NAME:
            fail(number, "display_name", "account.display_name_too_long")
        if cells["branch"] not in by_name:
            fail(number, "branch", "branch.unknown")
    if not report.ok:
        return report
    savepoint = session.begin_nested()
    for number, cells, _f in rows:
        branch = by_name[cells["branch"]]
        try:
            user, password = add_member(
                session,
                actor=actor,
                branch_id=branch.id or 0,
                username=cells["username"],
                display_name=cells["display_name"],
            )
        except ServiceError as exc:
            for name, message in (exc.errors or {"username": exc.message}).items():
                known = name if name in {f for f, _h, _x in COLUMNS} else "username"
                fail(number, known, message)
            continue
        report.created.append(
            NewMember(number, user.username, user.display_name, branch.name, password)
        )
    if report.ok:
        savepoint.commit()
    else:
        savepoint.rollback()
        report.created.clear()
    return report
