"""Two-factor sign-in (services/twofactor.py) on a fixed clock: enrolment with a code from the new
secret, TOTP codes within one step of drift and each step once, single-use hashed recovery codes,
turning it off, and the roles that must use it. The sign-in pages are attacked in
tests/security/test_credentials.py."""

from __future__ import annotations

import pyotp
import pytest
from sqlmodel import select

from marketplace.models import RecoveryCode, Role, User
from marketplace.services import accounts, twofactor
from marketplace.services.errors import Forbidden, ValidationFailed

NOW = 1_800_000_000.0  # a fixed clock: step 60_000_000


def _code(secret: str, seconds_from_now: float = 0) -> str:
    return pyotp.TOTP(secret).at(NOW + seconds_from_now)


@pytest.fixture
def enrolled(db, make_user):
    """A hub staff account with two-factor sign-in, its secret and recovery codes."""
    user = make_user(Role.HUB_STAFF, hub="330102")
    secret = twofactor.new_secret()
    with db() as s:
        me = s.get(User, user.id)
        codes = twofactor.enable(s, user=me, secret=secret, code=_code(secret), now=NOW)
    return user, secret, codes


def test_enrolment_needs_a_code_from_the_new_secret_and_a_staff_role(db, make_user):
    staff, member = make_user(Role.HUB_STAFF, hub="330102"), make_user(Role.MEMBER)
    secret = twofactor.new_secret()
    with db() as s:
        me = s.get(User, staff.id)
        assert twofactor.can_enrol(me) and not twofactor.enabled(me)
        with pytest.raises(ValidationFailed):
            twofactor.enable(s, user=me, secret=secret, code=_code(secret, 120), now=NOW)
        with pytest.raises(Forbidden):
            twofactor.enable(
                s, user=s.get(User, member.id), secret=secret, code=_code(secret), now=NOW
            )
        codes = twofactor.enable(s, user=me, secret=secret, code=_code(secret), now=NOW)
        assert twofactor.enabled(me) and me.totp_last_step == int(NOW // 30)
        assert len(codes) == len(set(codes)) == twofactor.RECOVERY_CODES
        assert twofactor.recovery_codes_left(s, me) == 10
        stored = set(s.exec(select(RecoveryCode.code_hash)))
        assert not stored & set(codes) and not stored & {c.replace("-", "") for c in codes}
    uri = twofactor.provisioning_uri(secret, "xiaowang")
    assert uri.startswith("otpauth://totp/") and secret in uri and "xiaowang" in uri


def test_a_totp_code_passes_within_one_step_and_each_step_once(db, enrolled):
    user, secret, _codes = enrolled
    with db() as s:
        me = s.get(User, user.id)
        # The enrolment spent the current step.
        assert not twofactor.check_code(s, user=me, code=_code(secret), now=NOW).ok
        assert twofactor.check_code(s, user=me, code=_code(secret, 30), now=NOW).ok
        assert not twofactor.check_code(s, user=me, code=_code(secret, 30), now=NOW).ok  # replay
        later = NOW + 300
        assert not twofactor.check_code(s, user=me, code=_code(secret, 300 + 60), now=later).ok
        spaced = _code(secret, 300 - 30)
        assert twofactor.check_code(s, user=me, code=f"{spaced[:3]} {spaced[3:]}", now=later).ok
        assert not twofactor.check_code(s, user=me, code="", now=later).ok
        window = {_code(secret, 300 + d) for d in (-30, 0, 30)}
        wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in window)
        assert not twofactor.check_code(s, user=me, code=wrong, now=later).ok


def test_a_recovery_code_is_used_once_in_any_spelling(db, enrolled):
    user, _secret, codes = enrolled
    with db() as s:
        me = s.get(User, user.id)
        check = twofactor.check_code(s, user=me, code=codes[0].upper().replace("-", " - "))
        assert check == twofactor.Check(True, recovery_used=True, recovery_left=9)
        assert not twofactor.check_code(s, user=me, code=codes[0]).ok
        assert not twofactor.check_code(s, user=me, code="abcde-12345").ok
        fresh = twofactor.regenerate_recovery_codes(s, user=me)
        assert not twofactor.check_code(s, user=me, code=codes[1]).ok  # the old set is spent
        assert twofactor.recovery_codes_left(s, me) == 10
        assert twofactor.check_code(s, user=me, code=fresh[0]).recovery_left == 9


def test_turning_it_off_spends_the_codes_and_ends_api_tokens(db, enrolled, make_user):
    user, secret, codes = enrolled
    other, admin = make_user(Role.HUB_STAFF, hub="330102"), make_user(Role.ADMIN)
    with db() as s:
        me = s.get(User, user.id)
        token = accounts.issue_token(s, user=me, days=1)
        with pytest.raises(Forbidden):
            twofactor.disable(s, actor=s.get(User, other.id), user=me)
        twofactor.disable(s, actor=s.get(User, admin.id), user=me)  # a lost phone
        assert not twofactor.enabled(me) and me.totp_secret is None
        assert twofactor.recovery_codes_left(s, me) == 0
        assert accounts.user_for_token(s, token) is None
        assert not twofactor.check_code(s, user=me, code=codes[2]).ok
        assert not twofactor.check_code(s, user=me, code=_code(secret, 30), now=NOW).ok
        with pytest.raises(Forbidden):
            twofactor.regenerate_recovery_codes(s, user=me)


def test_the_administrator_chooses_the_roles_that_must_use_it(db, make_user):
    admin = make_user(Role.ADMIN)
    staff, member = make_user(Role.HUB_STAFF, hub="330102"), make_user(Role.MEMBER)
    with db() as s:
        actor = s.get(User, admin.id)
        assert twofactor.required_roles(s) == set()
        with pytest.raises(ValidationFailed):
            twofactor.set_required_roles(s, actor=actor, roles={"member"})
        with pytest.raises(Forbidden):
            twofactor.set_required_roles(s, actor=s.get(User, staff.id), roles=set())
        assert twofactor.set_required_roles(s, actor=actor, roles={"hub_staff"}) == {"hub_staff"}
        assert twofactor.is_required(s, s.get(User, staff.id))
        assert not twofactor.is_required(s, s.get(User, member.id))
        assert not twofactor.is_required(s, actor)
        twofactor.set_required_roles(s, actor=actor, roles={"admin", "hub_staff"})
        assert twofactor.required_roles(s) == {"admin", "hub_staff"}
        twofactor.set_required_roles(s, actor=actor, roles=set())
        assert twofactor.required_roles(s) == set()
