"""Signing in and out: password, second factor, the steps a new password or 2FA enrolment forces,
and organisation self-registration."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from marketplace.auth.blueprint import PENDING, bp, complete_login, home_of, pending_step
from marketplace.auth.forms import LoginForm, OrgRegisterForm, SecondFactorForm
from marketplace.db import get_session
from marketplace.extensions import limiter
from marketplace.models import Role, User
from marketplace.schemas import OrgIn
from marketplace.services import accounts, offers, twofactor
from marketplace.services.errors import ServiceError, parse
from marketplace.services.messages import Message
from marketplace.web import login_throttle
from marketplace.web.helpers import EmptyForm, attach_errors, safe_next
from marketplace.web.messages import render
from marketplace.web.security import is_api_request

# Pages a user with a pending step may still open (besides the step itself): switching the
# language or the text size on the step's page works.
_OPEN_DURING_STEP = {
    "auth.logout",
    "auth.change_password",
    "auth.totp_setup",
    "main.set_language",
    "main.toggle_large_text",
    "static",
}


def _login_page(form: LoginForm, error: str | None, status: int, wait: int = 0) -> Any:
    response = current_app.make_response(
        (render_template("auth/login.html", form=form, error=error), status)
    )
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/login", methods=["GET", "POST"])
@login_throttle.login_limits
def login() -> ResponseReturnValue:
    form = LoginForm()
    if not form.is_submitted():
        form.next.data = safe_next(form.next.data) or ""
    if form.validate_on_submit():
        username = form.username.data or ""
        db = get_session()
        try:
            user = login_throttle.check_password(db, username, form.password.data or "")
        except login_throttle.TooManyAttempts as exc:
            return _login_page(form, render(exc.message), 429, exc.seconds)
        except accounts.LoginFailed as exc:
            return _login_page(form, render(exc.message), 401)
        if user.role == Role.DEPT:  # another department's system: API tokens only
            return _login_page(form, render(Message("auth.api_account")), 403)
        if twofactor.enabled(user):
            session[PENDING] = {
                "uid": user.id,
                "tok": user.session_token,
                "at": int(time.time()),
                "name": username,
                "next": safe_next(form.next.data) or "",
            }
            return redirect(url_for("auth.second_factor"))
        login_throttle.succeeded(username)
        complete_login(user)
        return _after_login(user, safe_next(form.next.data), username)
    status = 422 if form.is_submitted() else 200
    return _login_page(form, None, status)


def _after_login(user: User, target: str | None, typed_name: str) -> ResponseReturnValue:
    flash(_("Welcome, %(name)s.", name=user.display_name or user.username), "success")
    response = redirect(pending_step(user) or target or home_of(user))
    return login_throttle.remember_device(response, typed_name)


def _pending_user() -> tuple[User, dict[str, Any]] | None:
    """The account that passed the password step, if that was recently and nothing changed since
    (a password change or a disabled account ends the pending sign-in)."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if int(time.time()) - int(pending.get("at", 0)) > current_app.config["TOTP_LOGIN_SECONDS"]:
        session.pop(PENDING, None)
        return None
    user = get_session().get(User, int(pending.get("uid") or 0))
    if user is None or not user.active or user.session_token != pending.get("tok"):
        session.pop(PENDING, None)
        return None
    return user, pending


@bp.route("/2fa", methods=["GET", "POST"])
@login_throttle.address_limit
def second_factor() -> ResponseReturnValue:
    found = _pending_user()
    if found is None:
        flash(_("Please log in again."), "info")
        return redirect(url_for("auth.login"))
    user, pending = found
    form = SecondFactorForm()
    error, status, wait = None, 200, 0
    if form.validate_on_submit():
        name = str(pending.get("name", ""))
        wait = login_throttle.wait_before_attempt(name)
        if wait:
            error, status = render("auth.wait", {"seconds": wait}), 429
        else:
            check = twofactor.check_code(get_session(), user=user, code=form.code.data or "")
            if check.ok:
                login_throttle.succeeded(name)
                complete_login(user, second_factor="recovery" if check.recovery_used else "totp")
                if check.recovery_used:
                    flash(
                        _(
                            "You signed in with a recovery code; %(n)s are left. Make new ones on your account page.",
                            n=check.recovery_left,
                        ),
                        "info",
                    )
                return _after_login(user, safe_next(str(pending.get("next") or "")), name)
            login_throttle.failed(name)
            error, status = render("twofactor.code_wrong"), 401
    elif form.is_submitted():
        status = 422
    response = current_app.make_response(
        (render_template("auth/second_factor.html", form=form, error=error), status)
    )
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("main.index"))
    user = current_user._get_current_object()
    accounts.revoke_sessions(get_session(), user)
    logout_user()
    session.pop("seen", None)
    session.pop("login_at", None)
    flash(_("You have logged out."), "success")
    return redirect(url_for("main.index"))


@bp.before_app_request
def _pending_steps() -> ResponseReturnValue | None:
    """A signed-in user with a temporary password, or without the 2FA their role requires, sees
    only the page that fixes it (and may log out)."""
    if request.endpoint in _OPEN_DURING_STEP or request.endpoint is None or is_api_request():
        return None
    if not current_user.is_authenticated:
        return None
    target = pending_step(current_user._get_current_object())
    if target is None:
        return None
    return redirect(target)


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
            offers.sign_up_org(
                db,
                data=data,
                username=form.username.data or "",
                password=form.password.data or "",
                display_name=form.display_name.data or "",
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
