"""Blueprint ``admin``: vet organisations, manage users, read the audit log."""

from __future__ import annotations

import secrets
from datetime import date

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from marketplace import jobs
from marketplace.admin import projects  # noqa: F401  (their routes)
from marketplace.admin.blueprint import bp
from marketplace.admin.forms import (
    AccountForm,
    AccountImportForm,
    ModelUploadForm,
    TwoFactorPolicyForm,
    VetForm,
)
from marketplace.db import get_session
from marketplace.models import Role, User
from marketplace.services import (
    account_import,
    accounts,
    exports,
    listings,
    offers,
    region_picker,
    resilience,
    twofactor,
)
from marketplace.services.errors import NotFound, ServiceError
from marketplace.services.workbooks import WorkbookLimits
from marketplace.web.access import role_required
from marketplace.web.audit import details as audit_details
from marketplace.web.helpers import (
    EmptyForm,
    attach_errors,
    list_args,
    me,
    requested_page,
    xlsx_response,
)
from marketplace.web.labels import ROLE_LABELS, export_words
from marketplace.web.messages import render
from marketplace.web.picker import fill_picker

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
    message = _("Approved: %(name)s") if approve else _("Not approved: %(name)s")
    flash(message % {"name": org.name}, "success")
    return redirect(url_for("admin.index"))


@bp.get("/users")
@role_required(Role.ADMIN)
def users() -> ResponseReturnValue:
    db = get_session()
    q, role, sort = _user_args()
    page = requested_page(listings.users_query(db, actor=me(), q=q, role=role, sort=sort), PAGE)
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


# Accounts: created one by one or from Excel, passwords reset, two-step sign-in ---------------------


def _picker(form: AccountForm) -> tuple[region_picker.Pick, list[tuple[str, str]]]:
    """The hub chosen so far, and the hubs found by name when the search button was pressed."""
    return fill_picker(form)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_new() -> ResponseReturnValue:
    form = AccountForm()
    form.role.choices = [(r, str(ROLE_LABELS[r])) for r in accounts.ADMIN_CREATES]
    chosen, found = _picker(form)
    general: list[str] = []
    creating = request.form.get("action") == "create"
    status = 422 if creating else 200
    if creating and form.validate_on_submit():
        db = get_session()
        try:
            user, password = accounts.create_account(
                db,
                actor=me(),
                username=form.username.data or "",
                role=form.role.data or "",
                display_name=form.display_name.data or "",
                hub_code=chosen.code or None,
            )
        except ServiceError as exc:
            if not exc.errors:
                raise
            general = attach_errors(form, exc.errors, aliases={"hub": "district"})
            status = exc.status
        else:
            return render_template(
                "admin/user_password.html",
                user=user,
                password=password,
                created=True,
                hub=region_picker.path(db, chosen.code) if user.hub_id else "",
            )
    return render_template(
        "admin/user_new.html",
        form=form,
        general=general,
        found=found,
        chosen_path=region_picker.path(get_session(), chosen.code) if chosen.code else "",
    ), status


@bp.post("/users/<int:user_id>/password")
@role_required(Role.ADMIN)
def user_reset_password(user_id: int) -> ResponseReturnValue:
    """A temporary password for a user who forgot theirs: shown once, changed at the next login."""
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("admin.users"))
    user, password = accounts.reset_password(get_session(), actor=me(), user_id=user_id)
    return render_template("admin/user_password.html", user=user, password=password, created=False)


@bp.post("/users/<int:user_id>/2fa-off")
@role_required(Role.ADMIN)
def user_totp_off(user_id: int) -> ResponseReturnValue:
    """Turn two-step sign-in off for a user who lost their phone and recovery codes."""
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("admin.users"))
    db = get_session()
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("account.not_found")
    twofactor.disable(db, actor=me(), user=user)
    flash(_("Two-step sign-in is off for %(name)s.", name=user.display_name), "success")
    return redirect(url_for("admin.users", q=request.form.get("q") or None))


@bp.route("/users/import", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def users_import() -> ResponseReturnValue:
    """Accounts from an Excel sheet, all or nothing, with a row report."""
    form = AccountImportForm()
    report = None
    if form.validate_on_submit():
        report = account_import.import_accounts(
            get_session(),
            actor=me(),
            data=form.file.data.read(),
            limits=WorkbookLimits.from_config(current_app.config),
        )
        if report.ok:
            return render_template("admin/users_imported.html", report=report)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/users_import.html", form=form, report=report), status


@bp.get("/users/import-template.xlsx")
@role_required(Role.ADMIN)
def users_import_template() -> ResponseReturnValue:
    return xlsx_response(account_import.template(get_session(), actor=me()), "accounts-template")


@bp.route("/security", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def security() -> ResponseReturnValue:
    """The roles whose accounts must sign in with a second factor."""
    db = get_session()
    form = TwoFactorPolicyForm()
    form.roles.choices = [(r, str(ROLE_LABELS[r])) for r in twofactor.ROLES]
    if form.validate_on_submit():
        twofactor.set_required_roles(db, actor=me(), roles=set(form.roles.data or []))
        flash(_("Saved."), "success")
        return redirect(url_for("admin.security"))
    if not form.is_submitted():
        form.roles.data = sorted(twofactor.required_roles(db))
    return render_template("admin/security.html", form=form), 422 if form.is_submitted() else 200


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


@bp.route("/resilience", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def resilience_model() -> ResponseReturnValue:
    """抗风险能力赋分模型: the versions, the one in force, loading a new one (which rescores the
    city in the background) and that job's progress and report."""
    db = get_session()
    form = ModelUploadForm()
    general: list[str] = []
    if form.validate_on_submit():
        data = form.file.data.read(resilience.MAX_MODEL_BYTES + 1)
        try:
            row = resilience.upload_model(db, actor=me(), data=data)
        except ServiceError as exc:
            if not exc.errors and exc.status != 409:
                raise
            general = attach_errors(form, exc.errors) or [render(exc.message)]
        else:
            job_id = secrets.token_urlsafe(12)
            jobs.enqueue_rescore(job_id, row.version, me().id)
            flash(
                _("Model %(v)s loaded; the city is being rescored under it.", v=row.version),
                "success",
            )
            return redirect(url_for("admin.resilience_model", job=job_id))
    job = request.args.get("job", "")[:40]
    found = (job, jobs.rescore_state(job)) if job else jobs.latest_rescore()
    job, state = found if found and found[1] else ("", None)
    return render_template(
        "admin/resilience.html",
        form=form,
        general=general,
        versions=resilience.model_versions(db),
        active=resilience.active_row(db).version,
        job=job,
        state=state,
    ), 422 if form.is_submitted() else 200


@bp.get("/resilience/status")
@role_required(Role.ADMIN)
def resilience_status() -> ResponseReturnValue:
    state = jobs.rescore_state(request.args.get("job", "")[:40])
    if state is None:
        return jsonify(error="not_found"), 404
    finished = state["state"] in ("done", "failed")
    return jsonify(
        state="done" if finished else state["state"],
        done=state.get("done", 0),
        total=state.get("total", 0),
    )


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit() -> ResponseReturnValue:
    db = get_session()
    f, sort = _audit_args()
    page = requested_page(listings.audit_query(db, actor=me(), f=f, sort=sort), PAGE)
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
