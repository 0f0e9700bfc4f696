"""The signed-in user's own account: display name, password, two-factor sign-in."""

from __future__ import annotations

from typing import Any

import segno
from flask import current_app, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required, login_user
from markupsafe import Markup

from marketplace.auth.blueprint import bp, home_of, pending_step
from marketplace.auth.forms import (
    DisplayNameForm,
    PasswordChangeForm,
    PasswordConfirmForm,
    TotpConfirmForm,
)
from marketplace.db import get_session
from marketplace.services import accounts, passwords, twofactor
from marketplace.services.errors import ValidationFailed
from marketplace.web import login_throttle
from marketplace.web.helpers import attach_errors, me

SETUP = "totp_setup"  # session key: the secret being enrolled, until a code confirms it


def _page(template: str, status: int = 200, **context: Any) -> Any:
    return current_app.make_response((render_template(template, **context), status))


@bp.get("/account")
@login_required
def account() -> ResponseReturnValue:
    user = me()
    form = DisplayNameForm(data={"display_name": user.display_name})
    return _account_page(form)


def _account_page(form: DisplayNameForm, status: int = 200) -> Any:
    user = me()
    db = get_session()
    return _page(
        "auth/account.html",
        status,
        form=form,
        confirm_form=PasswordConfirmForm(),
        can_enrol=twofactor.can_enrol(user),
        totp_enabled=twofactor.enabled(user),
        totp_required=twofactor.is_required(db, user),
        codes_left=twofactor.recovery_codes_left(db, user) if twofactor.enabled(user) else 0,
    )


@bp.post("/account")
@login_required
def account_update() -> ResponseReturnValue:
    form = DisplayNameForm()
    if not form.validate_on_submit():
        return _account_page(form, 422)
    try:
        accounts.set_display_name(
            get_session(), user=me(), display_name=form.display_name.data or ""
        )
    except ValidationFailed as exc:
        attach_errors(form, exc.errors)
        return _account_page(form, 422)
    flash(_("Saved."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@login_throttle.address_limit
def change_password() -> ResponseReturnValue:
    """Everyone changes their own password; a temporary one must be changed before anything else.
    Other sessions and every API token of the account stop working."""
    user = me()
    form = PasswordChangeForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            accounts.change_password(
                get_session(),
                user=user,
                current=form.current.data or "",
                new=form.new.data or "",
                confirm=form.confirm.data or "",
            )
        except ValidationFailed as exc:
            general = attach_errors(form, exc.errors)
        else:
            login_user(user)  # this session carries on with the new session token
            flash(
                _(
                    "Your password is changed. Your other sessions are signed out and your API tokens revoked."
                ),
                "success",
            )
            return redirect(pending_step(user) or home_of(user))
    status = 422 if form.is_submitted() else 200
    return _page(
        "auth/password.html",
        status,
        form=form,
        general=general,
        forced=user.must_change_password,
    )


def _qr(uri: str) -> Markup:
    return Markup(segno.make(uri, error="m").svg_inline(scale=4, border=2, title=_("QR code")))


@bp.route("/2fa/setup", methods=["GET", "POST"])
@login_required
def totp_setup() -> ResponseReturnValue:
    """Enrol an authenticator app: scan the QR code, type a code it shows; the recovery codes are
    shown once."""
    user = me()
    if not twofactor.can_enrol(user):
        return redirect(url_for("auth.account"))
    if twofactor.enabled(user):
        flash(_("Two-step sign-in is already on."), "info")
        return redirect(url_for("auth.account"))
    secret = session.get(SETUP)
    if not isinstance(secret, str) or not secret:
        secret = twofactor.new_secret()
        session[SETUP] = secret
    form = TotpConfirmForm()
    if form.validate_on_submit():
        try:
            codes = twofactor.enable(
                get_session(), user=user, secret=secret, code=form.code.data or ""
            )
        except ValidationFailed as exc:
            attach_errors(form, exc.errors)
        else:
            session.pop(SETUP, None)
            return _page(
                "auth/recovery_codes.html",
                codes=codes,
                next_url=pending_step(user) or home_of(user),
            )
    uri = twofactor.provisioning_uri(secret, user.username)
    return _page(
        "auth/totp_setup.html",
        422 if form.is_submitted() else 200,
        form=form,
        qr_svg=_qr(uri),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        required=twofactor.is_required(get_session(), user),
    )


def _confirm_password() -> bool:
    form = PasswordConfirmForm()
    if form.validate_on_submit() and passwords.verify_password(
        me().password_hash, form.password.data or ""
    ):
        return True
    flash(_("The password is wrong."), "error")
    return False


@bp.post("/2fa/disable")
@login_required
@login_throttle.address_limit
def totp_disable() -> ResponseReturnValue:
    user = me()
    if not _confirm_password():
        return redirect(url_for("auth.account"))
    twofactor.disable(get_session(), actor=user, user=user)
    flash(_("Two-step sign-in is off. Your API tokens were revoked."), "success")
    return redirect(pending_step(user) or url_for("auth.account"))


@bp.post("/2fa/recovery-codes")
@login_required
@login_throttle.address_limit
def recovery_codes() -> ResponseReturnValue:
    if not _confirm_password():
        return redirect(url_for("auth.account"))
    codes = twofactor.regenerate_recovery_codes(get_session(), user=me())
    return _page("auth/recovery_codes.html", codes=codes, next_url=url_for("auth.account"))
