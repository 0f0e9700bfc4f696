"""The ``auth`` blueprint object and what its modules share: where a signed-in user goes next."""

from __future__ import annotations

import time

from flask import Blueprint, session, url_for
from flask_login import login_user

from marketplace.db import get_session
from marketplace.models import Role, User
from marketplace.services import accounts, twofactor

bp = Blueprint("auth", __name__, url_prefix="/auth")

HOME_BY_ROLE = {
    Role.ADMIN.value: "admin.index",
    Role.HUB_STAFF.value: "hub.index",
    Role.MEMBER.value: "member.index",
    Role.ORG.value: "org.index",
}
PENDING = "pending_2fa"  # session key: the account that passed the password step


def home_of(user: User) -> str:
    return url_for(HOME_BY_ROLE.get(user.role, "main.index"))


def pending_step(user: User) -> str | None:
    """The page a signed-in user must go through before any other: a temporary password is
    replaced first, then a role that requires two-factor sign-in enrols."""
    if user.must_change_password:
        return url_for("auth.change_password")
    if (
        twofactor.can_enrol(user)
        and not twofactor.enabled(user)
        and twofactor.is_required(get_session(), user)
    ):
        return url_for("auth.totp_setup")
    return None


def complete_login(user: User, *, second_factor: str | None = None) -> None:
    """Sign the user in: the session cookie, its login time (the absolute lifetime counts from
    it), and the audit entry."""
    session.pop(PENDING, None)
    login_user(user)
    now = int(time.time())
    session["seen"] = now
    session["login_at"] = now
    accounts.record_login(get_session(), user, second_factor=second_factor)
