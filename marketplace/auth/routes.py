"""Blueprint ``auth``: login, logout, organisation self-registration."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.auth.forms import LoginForm, OrgRegisterForm
from marketplace.db import get_session
from marketplace.extensions import limiter
from marketplace.models import Role, User
from marketplace.schemas import OrgIn, parse
from marketplace.services import accounts, offers
from marketplace.services.errors import ServiceError
from marketplace.web.helpers import EmptyForm, attach_errors, safe_next
from marketplace.web.messages import translate_message

bp = Blueprint("auth", __name__, url_prefix="/auth")

HOME_BY_ROLE = {
    Role.ADMIN.value: "admin.index",
    Role.HUB_STAFF.value: "hub.index",
    Role.MEMBER.value: "member.index",
    Role.ORG.value: "org.index",
}


def home_of(user: User) -> str:
    return url_for(HOME_BY_ROLE.get(user.role, "main.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if not form.is_submitted():
        form.next.data = safe_next(form.next.data) or ""
    if form.validate_on_submit():
        db = get_session()
        cfg = current_app.config
        policy = accounts.LockoutPolicy(cfg["LOGIN_LOCKOUT_FAILURES"], cfg["LOGIN_LOCKOUT_MINUTES"])
        try:
            user = accounts.authenticate(
                db,
                username=form.username.data or "",
                password=form.password.data or "",
                policy=policy,
            )
        except accounts.LoginFailed as exc:
            # Unavoidable mid-request commit: the 401 makes the request roll back at teardown,
            # and the failure count (the lockout) must stick.
            db.commit()
            return render_template(
                "auth/login.html", form=form, error=translate_message(exc.message)
            ), 401
        login_user(user)
        session["seen"] = int(time.time())
        flash(_("Welcome, %(name)s.", name=user.display_name or user.username), "success")
        return redirect(safe_next(form.next.data) or home_of(user))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form, error=None), status


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("main.index"))
    accounts.revoke_sessions(get_session(), current_user._get_current_object())
    logout_user()
    session.pop("seen", None)
    flash(_("You have logged out."), "success")
    return redirect(url_for("main.index"))


@bp.route("/register-org", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def register_org() -> ResponseReturnValue:
    """An organisation signs itself up: the organisation (pending vetting) and its first account."""
    if current_user.is_authenticated:
        return redirect(home_of(current_user))
    form = OrgRegisterForm()
    general: list[str] = []
    if form.validate_on_submit():
        db = get_session()
        try:
            data = parse(
                OrgIn,
                {
                    "name": form.name.data,
                    "type": form.type.data,
                    "credit_code": form.credit_code.data,
                },
            )
            org = offers.register_org(db, actor=None, data=data)
            accounts.create_user(
                db,
                actor=None,
                username=form.username.data or "",
                password=form.password.data or "",
                role=Role.ORG.value,
                display_name=form.display_name.data or form.name.data or "",
                org_id=org.id,
            )
        except ServiceError as exc:
            if not exc.errors:
                raise
            general = attach_errors(form, exc.errors)
            return render_template("auth/register_org.html", form=form, general=general), exc.status
        flash(
            _("Your organisation is registered. Log in now; your offers go live after vetting."),
            "success",
        )
        return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/register_org.html", form=form, general=general), status
