"""Accounts, login with lockout, API tokens, session revocation."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from marketplace.models import ApiToken, Hub, Organisation, Role, User, utcnow
from marketplace.services import audit, passwords
from marketplace.services.access import require_admin
from marketplace.services.errors import Conflict, NotFound, ValidationFailed
from marketplace.services.messages import Message

USERNAME = re.compile(r"^[A-Za-z0-9_.\-@\u4e00-\u9fa5]{3,64}$")
MIN_PASSWORD = 12


@dataclass(frozen=True)
class LockoutPolicy:
    failures: int = 10
    minutes: int = 15


class LoginFailed(Exception):
    """Wrong username or password (deliberately not saying which), or a locked/disabled account."""

    def __init__(self, code: str, locked_until: datetime | None = None) -> None:
        super().__init__(code)
        self.message = Message(code)
        self.locked_until = locked_until


def new_session_token() -> str:
    return secrets.token_hex(16)


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            {"password": Message("account.password_too_short", {"n": MIN_PASSWORD})}
        )
    if len(password) > 256:
        raise ValidationFailed({"password": "account.password_too_long"})


def create_user(
    session: Session,
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    hub_code: str | None = None,
    org_id: int | None = None,
) -> User:
    errors: dict[str, Message | str] = {}
    if not USERNAME.match(username):
        errors["username"] = "account.username_invalid"
    if role not in {r.value for r in Role}:
        errors["role"] = Message("account.role_invalid", {"roles": [r.value for r in Role]})
    hub_id = None
    if role == Role.HUB_STAFF:
        hub = session.exec(select(Hub).where(Hub.region_code == (hub_code or ""))).first()
        if hub is None:
            errors["hub"] = "account.hub_required"
        else:
            hub_id = hub.id
    if role == Role.ORG and (org_id is None or session.get(Organisation, org_id) is None):
        errors["org"] = "account.org_required"
    try:
        validate_password(password)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    if session.exec(select(User.id).where(User.username == username)).first() is not None:
        raise Conflict("account.username_taken", {"username": "account.username_taken"})
    user = User(
        username=username,
        password_hash=passwords.hash_password(password),
        role=role,
        display_name=display_name or username,
        hub_id=hub_id,
        org_id=org_id if role == Role.ORG else None,
        session_token=new_session_token(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        user,
        after={"username": username, "role": role, "hub": hub_code, "org": org_id},
    )
    return user


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    policy: LockoutPolicy,
    now: datetime | None = None,
) -> User:
    """Check a password; count failures and lock the account after ``policy.failures`` in a row.

    The caller commits even on failure so the failure counter sticks.
    """
    now = now or utcnow()
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        passwords.verify_password(passwords.dummy_hash(), password)
        raise LoginFailed("auth.wrong_credentials")
    if user.locked_until is not None and user.locked_until > now:
        raise LoginFailed("auth.locked", user.locked_until)
    if not passwords.verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= policy.failures:
            user.locked_until = now + timedelta(minutes=policy.minutes)
            user.failed_logins = 0
            audit.record(
                session, None, "user.lock", user, after={"locked_until": user.locked_until}
            )
        session.flush()
        raise LoginFailed("auth.wrong_credentials")
    if not user.active:
        raise LoginFailed("auth.disabled")
    user.failed_logins = 0
    user.locked_until = None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    session.flush()
    return user


def revoke_sessions(session: Session, user: User) -> None:
    """Logout: every session cookie minted for this user stops working."""
    user.session_token = new_session_token()
    session.flush()


def set_active(session: Session, *, actor: User, user_id: int, active: bool) -> User:
    """Enable or disable an account (administrator); disabling ends its sessions and tokens."""
    require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("account.not_found")
    if user.id == actor.id:
        raise Conflict("account.cannot_disable_self")
    before = {"active": user.active}
    user.active = active
    if not active:
        user.session_token = new_session_token()
        session.exec(
            update(ApiToken)
            .where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        )
    session.flush()
    audit.record(
        session,
        actor,
        "user.enable" if active else "user.disable",
        user,
        before=before,
        after={"active": active},
    )
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, *, user: User, days: int) -> str:
    token = "zf_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id or 0,
            token_hash=_token_hash(token),
            expires_at=utcnow() + timedelta(days=days),
        )
    )
    session.flush()
    audit.record(session, user, "token.issue", user)
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active account behind a live (unexpired, unrevoked) API token, in one query."""
    return session.exec(
        select(User)
        .join(ApiToken, col(ApiToken.user_id) == User.id)
        .where(
            ApiToken.token_hash == _token_hash(token),
            col(ApiToken.revoked_at).is_(None),
            col(ApiToken.expires_at) > utcnow(),
            col(User.active).is_(True),
        )
    ).first()


def load_session_user(session: Session, session_id: str) -> User | None:
    """Flask-Login's user loader: ``"<id>:<session_token>"``; a rotated token logs the session out."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user
