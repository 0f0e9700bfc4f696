"""Accounts: creation, login, passwords (change, administrator reset), API tokens, sessions.

Logging in answers a wrong password, an unknown name and a disabled account alike, in the same
time (an unknown name is checked against a dummy hash). Repeated failures are slowed down by the
web layer (``services.throttle``), never by locking the account.
"""

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
MAX_DISPLAY_NAME = 64
# Roles the administrator creates accounts for (organisations sign up themselves; ``dept``
# accounts, API only, are created by the operator: ``zhongfu user create NAME --role dept``).
ADMIN_CREATES = (Role.HUB_STAFF.value, Role.MEMBER.value, Role.ADMIN.value)
TOKEN_TOUCH_SECONDS = 60  # ``last_used_at`` is written at most this often per token
# Temporary passwords: no look-alike characters (0/O, 1/l/I), read aloud or typed from paper.
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class LoginFailed(Exception):
    """Wrong username or password, or a disabled account: one answer, deliberately not saying
    which."""

    def __init__(self, code: str = "auth.wrong_credentials") -> None:
        super().__init__(code)
        self.message = Message(code)


@dataclass(frozen=True)
class TokenInfo:
    """An API token as its owner sees it (never the secret)."""

    id: int
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    current: bool


def new_session_token() -> str:
    return secrets.token_hex(16)


def temporary_password() -> str:
    """A password the administrator hands over; it must be changed at the first login."""
    raw = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            {"password": Message("account.password_too_short", {"n": MIN_PASSWORD})}
        )
    if len(password) > 256:
        raise ValidationFailed({"password": "account.password_too_long"})


def _display_name_error(display_name: str) -> str | None:
    if len(display_name) > MAX_DISPLAY_NAME:
        return "account.display_name_too_long"
    return None


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
    must_change_password: bool = False,
) -> User:
    errors: dict[str, Message | str] = {}
    if not USERNAME.match(username):
        errors["username"] = "account.username_invalid"
    display_name = display_name.strip()
    if problem := _display_name_error(display_name):
        errors["display_name"] = problem
    if role not in {r.value for r in Role}:
        errors["role"] = Message("account.role_invalid", {"roles": [r.value for r in Role]})
    hub_id = None
    # Without a name of their own, pages greet the account by its hub's or organisation's name.
    default_name = username
    if role == Role.HUB_STAFF:
        hub = session.exec(select(Hub).where(Hub.region_code == (hub_code or ""))).first()
        if hub is None:
            errors["hub"] = "account.hub_required"
        else:
            hub_id, default_name = hub.id, hub.name
    org = session.get(Organisation, org_id) if role == Role.ORG and org_id is not None else None
    if role == Role.ORG:
        if org is None:
            errors["org"] = "account.org_required"
        else:
            default_name = org.name
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
        display_name=display_name or default_name[:MAX_DISPLAY_NAME],
        hub_id=hub_id,
        org_id=org_id if role == Role.ORG else None,
        session_token=new_session_token(),
        must_change_password=must_change_password,
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


def authenticate(session: Session, *, username: str, password: str) -> User:
    """The account behind a name and password, or ``LoginFailed``.

    A wrong password, an unknown name and a disabled account get the same answer after the same
    work (one password hash check each); nothing is written for a failure.
    """
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        passwords.verify_password(passwords.dummy_hash(), password)
        raise LoginFailed()
    if not passwords.verify_password(user.password_hash, password) or not user.active:
        raise LoginFailed()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        session.flush()
    return user


def record_login(session: Session, user: User, *, second_factor: str | None = None) -> None:
    """A completed sign-in, in the audit log."""
    audit.record(session, user, "user.login", user, after={"second_factor": second_factor})


def revoke_sessions(session: Session, user: User) -> None:
    """Logout: every session cookie minted for this user stops working."""
    user.session_token = new_session_token()
    session.flush()
    audit.record(session, user, "user.logout", user)


def revoke_tokens(session: Session, user: User) -> int:
    """Every live API token of ``user`` stops working; returns how many there were."""
    result = session.exec(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    session.flush()
    return int(result.rowcount or 0)


def change_password(
    session: Session, *, user: User, current: str, new: str, confirm: str | None = None
) -> None:
    """The user replaces their password. Every other session and every API token stops working
    (the caller logs the current session in again with the new session token)."""
    errors: dict[str, Message | str] = {}
    if not passwords.verify_password(user.password_hash, current):
        errors["current"] = "account.current_password_wrong"
    try:
        validate_password(new)
    except ValidationFailed as exc:
        errors["new"] = exc.errors["password"]
    if confirm is not None and confirm != new:
        errors["confirm"] = "account.passwords_differ"
    if not errors and secrets.compare_digest(current.encode(), new.encode()):
        errors["new"] = "account.password_unchanged"
    if errors:
        raise ValidationFailed(errors)
    _set_password(session, user, new, temporary=False)
    audit.record(session, user, "user.password_change", user)


def reset_password(session: Session, *, actor: User, user_id: int) -> tuple[User, str]:
    """The administrator gives an account a temporary password (to be changed at the next login);
    its sessions and API tokens stop working. Returns the account and the password, to be shown
    once."""
    require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("account.not_found")
    if user.id == actor.id:
        raise Conflict("account.cannot_reset_self")
    password = temporary_password()
    _set_password(session, user, password, temporary=True)
    audit.record(session, actor, "user.password_reset", user)
    return user, password


def _set_password(session: Session, user: User, password: str, *, temporary: bool) -> None:
    user.password_hash = passwords.hash_password(password)
    user.must_change_password = temporary
    user.password_changed_at = utcnow()
    user.session_token = new_session_token()
    revoke_tokens(session, user)
    session.flush()


def create_account(
    session: Session,
    *,
    actor: User,
    username: str,
    role: str,
    display_name: str = "",
    hub_code: str | None = None,
) -> tuple[User, str]:
    """The administrator opens an account for hub staff (with their hub), a Party member or
    another administrator, with a temporary password (returned, to be shown once)."""
    require_admin(actor)
    if role not in ADMIN_CREATES:
        raise ValidationFailed({"role": "account.role_not_creatable"})
    password = temporary_password()
    user = create_user(
        session,
        actor=actor,
        username=username.strip(),
        password=password,
        role=role,
        display_name=display_name,
        hub_code=hub_code if role == Role.HUB_STAFF else None,
        must_change_password=True,
    )
    return user, password


def set_display_name(session: Session, *, user: User, display_name: str) -> None:
    """The name pages greet the user by (their login name when empty)."""
    display_name = display_name.strip()
    if problem := _display_name_error(display_name):
        raise ValidationFailed({"display_name": problem})
    before = {"display_name": user.display_name}
    user.display_name = display_name or user.username
    session.flush()
    audit.record(
        session, user, "user.update", user, before=before, after={"display_name": user.display_name}
    )


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
        revoke_tokens(session, user)
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


def token_owner(session: Session, token: str) -> tuple[User, ApiToken] | None:
    """The active account behind a live (unexpired, unrevoked) API token, and the token, in one
    query; notes when the token was used (at most once a minute)."""
    row = session.exec(
        select(User, ApiToken)
        .join(ApiToken, col(ApiToken.user_id) == User.id)
        .where(
            ApiToken.token_hash == _token_hash(token),
            col(ApiToken.revoked_at).is_(None),
            col(ApiToken.expires_at) > utcnow(),
            col(User.active).is_(True),
        )
    ).first()
    if row is None:
        return None
    user, api_token = row
    now = utcnow()
    last = api_token.last_used_at
    if last is None or (now - last).total_seconds() >= TOKEN_TOUCH_SECONDS:
        api_token.last_used_at = now
        session.flush()
    return user, api_token


def user_for_token(session: Session, token: str) -> User | None:
    found = token_owner(session, token)
    return found[0] if found else None


def list_tokens(session: Session, *, user: User, current_id: int | None = None) -> list[TokenInfo]:
    """The caller's live API tokens, newest first."""
    rows = session.exec(
        select(ApiToken)
        .where(
            ApiToken.user_id == user.id,
            col(ApiToken.revoked_at).is_(None),
            col(ApiToken.expires_at) > utcnow(),
        )
        .order_by(col(ApiToken.id).desc())
    ).all()
    return [
        TokenInfo(
            id=t.id or 0,
            created_at=t.created_at,
            expires_at=t.expires_at,
            last_used_at=t.last_used_at,
            current=t.id == current_id,
        )
        for t in rows
    ]


def revoke_token(session: Session, *, user: User, token_id: int) -> None:
    """The owner revokes one of their live tokens; another account's token is not found."""
    result = session.exec(
        update(ApiToken)
        .where(
            col(ApiToken.id) == token_id,
            col(ApiToken.user_id) == user.id,
            col(ApiToken.revoked_at).is_(None),
        )
        .values(revoked_at=utcnow())
    )
    if not result.rowcount:
        raise NotFound("token.not_found")
    session.flush()
    audit.record(session, user, "token.revoke", user, after={"token": token_id})


def load_session_user(session: Session, session_id: str) -> User | None:
    """Flask-Login's user loader: ``"<id>:<session_token>"``; a rotated token logs the session out."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    if user.role == Role.DEPT:  # API only: never a web session
        return None
    return user
