"""Blueprint ``admin``: vet organisations, manage users, read the audit log."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.admin.forms import VetForm
from marketplace.auth.decorators import role_required
from marketplace.db import get_session
from marketplace.main import EmptyForm
from marketplace.models import Role, User
from marketplace.services import accounts, offers, ui_queries
from marketplace.services.errors import Conflict

bp = Blueprint("admin", __name__, url_prefix="/admin")


def me() -> User:
    user: User = current_user._get_current_object()
    return user


@bp.get("/")
@role_required(Role.ADMIN)
def index() -> ResponseReturnValue:
    orgs = ui_queries.organisations(get_session(), actor=me())
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
    q = request.args.get("q", "")[:64]
    role = request.args.get("role", "")
    if role not in {r.value for r in Role}:
        role = ""
    rows, cursor = ui_queries.users_page(
        get_session(), actor=me(), q=q, role=role, after_id=request.args.get("cursor", type=int)
    )
    return render_template(
        "admin/users.html", rows=rows, next_cursor=cursor, q=q, role=role, form=EmptyForm()
    )


@bp.post("/users/<int:user_id>/active")
@role_required(Role.ADMIN)
def set_active(user_id: int) -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("admin.users"))
    db = get_session()
    user = ui_queries.user_for_admin(db, actor=me(), user_id=user_id)
    if user.id == me().id:
        raise Conflict("You cannot disable your own account")
    active = request.form.get("active") == "1"
    accounts.set_active(db, actor=me(), user=user, active=active)
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


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit() -> ResponseReturnValue:
    db = get_session()
    f = ui_queries.AuditFilter(
        action=request.args.get("action", "")[:48],
        object_type=request.args.get("object_type", "")[:32],
        actor=request.args.get("actor", "")[:64],
        day_from=_day("from"),
        day_to=_day("to"),
    )
    rows, cursor = ui_queries.audit_page(
        db, actor=me(), f=f, after_id=request.args.get("cursor", type=int)
    )
    more_args = {k: v for k, v in request.args.items() if k != "cursor" and v}
    return render_template(
        "admin/audit.html",
        rows=rows,
        next_cursor=cursor,
        f=f,
        more_args=more_args,
        choices=ui_queries.audit_choices(db, actor=me()),
    )
