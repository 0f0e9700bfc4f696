"""Two-factor sign-in: TOTP codes (RFC 6238, pyotp) with hashed one-time recovery codes.

Enrolment is two steps: ``new_secret`` gives a secret that the web layer keeps in the (signed)
session and shows as a QR code; ``enable`` stores it once the user has typed a code it produced.
``check_code`` accepts a TOTP code of the current time step or the one before or after (clock
drift), never a step already used, or an unused recovery code, which is then spent.

The administrator chooses the roles that must use it (``required_roles``, a ``Setting`` row);
only staff roles that see personal data can enrol (``ROLES``).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import pyotp
from sqlmodel import Session, col, select, update

from marketplace.models import ApiToken, RecoveryCode, Role, Setting, User, utcnow
from marketplace.services import audit
from marketplace.services.access import require_admin
from marketplace.services.errors import Forbidden, ValidationFailed

ROLES = (Role.ADMIN.value, Role.HUB_STAFF.value)  # accounts that may (and may be made to) enrol
REQUIRED_ROLES_KEY = "totp_required_roles"
ISSUER = "Zhongfu 众扶"
RECOVERY_CODES = 10
DRIFT_STEPS = 1  # a code of the previous or next 30-second step is still accepted


@dataclass(frozen=True)
class Check:
    ok: bool
    recovery_used: bool = False
    recovery_left: int = 0


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def can_enrol(user: User) -> bool:
    return user.role in ROLES


def enabled(user: User) -> bool:
    return user.totp_secret is not None and user.totp_enabled_at is not None


def required_roles(session: Session) -> set[str]:
    row = session.get(Setting, REQUIRED_ROLES_KEY)
    if row is None or not isinstance(row.value, list):
        return set()
    return {str(r) for r in row.value if r in ROLES}


def set_required_roles(session: Session, *, actor: User, roles: set[str]) -> set[str]:
    """The administrator chooses the roles whose accounts must sign in with a second factor."""
    require_admin(actor)
    unknown = roles - set(ROLES)
    if unknown:
        raise ValidationFailed({"roles": "twofactor.role_invalid"})
    before = sorted(required_roles(session))
    row = session.get(Setting, REQUIRED_ROLES_KEY)
    value = sorted(roles)
    if row is None:
        row = Setting(key=REQUIRED_ROLES_KEY, value=value, updated_by=actor.id)
        session.add(row)
    else:
        row.value = value
        row.updated_at = utcnow()
        row.updated_by = actor.id
    session.flush()
    audit.record(
        session, actor, "setting.update", row, before={"value": before}, after={"value": value}
    )
    return set(value)


def is_required(session: Session, user: User) -> bool:
    return user.role in required_roles(session)


def _step(for_time: float) -> int:
    return int(for_time // 30)


def _matching_step(secret: str, code: str, last_step: int, now: float) -> int | None:
    """The time step whose code is ``code`` (within the drift), if not used before."""
    totp = pyotp.TOTP(secret)
    current = _step(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > last_step and secrets.compare_digest(totp.at(step * 30), code):
            return step
    return None


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.exec(
        update(RecoveryCode)
        .where(col(RecoveryCode.user_id) == user.id, col(RecoveryCode.used_at).is_(None))
        .values(used_at=utcnow())
    )
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 40 bits each, 10 hex digits
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id or 0, code_hash=_hash(raw)))
    session.flush()
    return codes


def enable(
    session: Session, *, user: User, secret: str, code: str, now: float | None = None
) -> list[str]:
    """Confirm enrolment with a code from the new secret; return the recovery codes (shown once)."""
    if not can_enrol(user):
        raise Forbidden("twofactor.not_for_role")
    step = _matching_step(secret, _normalise(code), 0, now if now is not None else time.time())
    if step is None:
        raise ValidationFailed({"code": "twofactor.code_wrong"})
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(session, user)
    audit.record(session, user, "user.2fa_enable", user)
    return codes


def regenerate_recovery_codes(session: Session, *, user: User) -> list[str]:
    if not enabled(user):
        raise Forbidden("twofactor.not_enabled")
    codes = _new_recovery_codes(session, user)
    audit.record(session, user, "user.2fa_recovery_codes", user)
    return codes


def disable(session: Session, *, actor: User, user: User) -> None:
    """Turn two-factor sign-in off (the user, or the administrator for a lost phone). A role that
    requires it makes the user enrol again at the next sign-in."""
    if actor.id != user.id and actor.role != Role.ADMIN:
        raise Forbidden("access.admin_only")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = 0
    session.exec(
        update(RecoveryCode)
        .where(col(RecoveryCode.user_id) == user.id, col(RecoveryCode.used_at).is_(None))
        .values(used_at=utcnow())
    )
    # An API token was issued under the second factor; it goes with it.
    session.exec(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    session.flush()
    audit.record(session, actor, "user.2fa_disable", user)


def recovery_codes_left(session: Session, user: User) -> int:
    return len(
        session.exec(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, col(RecoveryCode.used_at).is_(None)
            )
        ).all()
    )


def check_code(session: Session, *, user: User, code: str, now: float | None = None) -> Check:
    """A second factor at sign-in: a TOTP code (each time step once) or an unused recovery code."""
    if not enabled(user) or not code:
        return Check(False)
    normal = _normalise(code)
    if normal.isdigit() and len(normal) == 6:
        step = _matching_step(
            user.totp_secret or "",
            normal,
            user.totp_last_step,
            now if now is not None else time.time(),
        )
        if step is None:
            return Check(False)
        # Conditional, so that two requests with the same code cannot both pass.
        taken = session.exec(
            update(User)
            .where(col(User.id) == user.id, col(User.totp_last_step) < step)
            .values(totp_last_step=step)
        )
        if not taken.rowcount:
            return Check(False)
        session.refresh(user, ["totp_last_step"])
        return Check(True)
    # A recovery code: spent by a conditional update, so two requests cannot both use it.
    spent = session.exec(
        update(RecoveryCode)
        .where(
            col(RecoveryCode.user_id) == user.id,
            col(RecoveryCode.code_hash) == _hash(normal),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=utcnow())
    )
    if not spent.rowcount:
        return Check(False)
    session.flush()
    left = recovery_codes_left(session, user)
    audit.record(session, user, "user.2fa_recovery_used", user, after={"left": left})
    return Check(True, recovery_used=True, recovery_left=left)
