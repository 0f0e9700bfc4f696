"""Blueprint ``admin``: vet organisations, manage users, read the audit log."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from marketplace.admin.forms import VetForm
from marketplace.db import get_session
from marketplace.models import Role
from marketplace.services import accounts, exports, listings, offers
from marketplace.web.access import role_required
from marketplace.web.audit import details as audit_details
from marketplace.web.helpers import EmptyForm, list_args, me, xlsx_response
from marketplace.web.labels import export_words

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE = 50


@bp.get("/")
@role_required(Role.ADMIN)
def index() -> ResponseReturnValue:
    orgs = listings.organisations(get_session(), actor=me())
    return render_template("admin/orgs.html", orgs=orgs, vet_form=VetForm())


@bp.post("/orgs/<int:org_id>/vet")
@role_required(Role.ADMIN)
def vet(org_id: int) -> ResponseReturnValue:
    form = VetForm()
    if not form.validate_on_submit():
        flash(_("The note is too long."), "error")
        return redirect(url_for("admin.index"))
    approve = bool(form.approve.data) and not form.reject.data
    org = offers.vet_org(
        get_session(), actor=me(), org_id=org_id, approve=approve, note=form.note.data or ""
    )
    message = _("Approved: %(name)s") if approve else _("Rejected: %(name)s")
    flash(message % {"name": org.name}, "success")
    return redirect(url_for("admin.index"))


@bp.get("/users")
@role_required(Role.ADMIN)
def users() -> ResponseReturnValue:
    db = get_session()
    q, role, sort = _user_args()
    page = listings.paginate(
        db,
        listings.users_query(db, actor=me(), q=q, role=role, sort=sort),
        request.args.get("page", 1, type=int),
        PAGE,
    )
    return render_template(
        "admin/users.html",
        rows=[u for (u,) in page.rows],
        page=page,
        sort=sort,
        args=list_args(),
        q=q,
        role=role,
        form=EmptyForm(),
    )


def _user_args() -> tuple[str, str, listings.Sort]:
    role = request.args.get("role", "")
    if role not in {r.value for r in Role}:
        role = ""
    sort = listings.parse_sort(request.args.get("sort"), listings.USER_SORTS, "-id")
    return request.args.get("q", "")[:64], role, sort


@bp.get("/users.xlsx")
@role_required(Role.ADMIN)
def users_xlsx() -> ResponseReturnValue:
    q, role, sort = _user_args()
    body = exports.users(get_session(), actor=me(), q=q, role=role, sort=sort, words=export_words())
    return xlsx_response(body, "users")


@bp.post("/users/<int:user_id>/active")
@role_required(Role.ADMIN)
def set_active(user_id: int) -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("admin.users"))
    active = request.form.get("active") == "1"
    user = accounts.set_active(get_session(), actor=me(), user_id=user_id, active=active)
    flash(
        (_("Enabled: %(name)s") if active else _("Disabled: %(name)s")) % {"name": user.username},
        "success",
    )
    return redirect(url_for("admin.users", q=request.form.get("q") or None))


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _audit_args() -> tuple[listings.AuditFilter, listings.Sort]:
    f = listings.AuditFilter(
        action=request.args.get("action", "")[:48],
        object_type=request.args.get("object_type", "")[:32],
        actor=request.args.get("actor", "")[:64],
        day_from=_day("from"),
        day_to=_day("to"),
    )
    return f, listings.parse_sort(request.args.get("sort"), listings.AUDIT_SORTS, "-at")


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit() -> ResponseReturnValue:
    db = get_session()
    f, sort = _audit_args()
    page = listings.paginate(
        db,
        listings.audit_query(db, actor=me(), f=f, sort=sort),
        request.args.get("page", 1, type=int),
        PAGE,
    )
    return render_template(
        "admin/audit.html",
        rows=[a for (a,) in page.rows],
        page=page,
        sort=sort,
        args=list_args(),
        f=f,
        choices=listings.audit_choices(db, actor=me()),
        details=audit_details,
    )


@bp.get("/audit.xlsx")
@role_required(Role.ADMIN)
def audit_xlsx() -> ResponseReturnValue:
    f, sort = _audit_args()
    body = exports.audit_log(get_session(), actor=me(), f=f, sort=sort, words=export_words())
    return xlsx_response(body, "audit")
