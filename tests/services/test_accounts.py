"""Accounts (services/accounts.py): creation with every error at once, one answer for every failed
login, passwords (change, temporary ones from the administrator), disabling, API tokens and the
session loader. The pages and API around them are attacked in tests/security/test_credentials.py."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import col, select

from marketplace.models import ApiToken, AuditLog, Role, User, utcnow
from marketplace.services import accounts
from marketplace.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.services.messages import Message
from tests.factories import PASSWORD

NEW = "another-long-password"


def _actions(s, user_id):
    return list(
        s.exec(
            select(AuditLog.action)
            .where(AuditLog.object_type == "user", AuditLog.object_id == str(user_id))
            .order_by(col(AuditLog.id))
        )
    )


def test_create_user_reports_every_error_at_once(db):
    with db() as s:
        with pytest.raises(ValidationFailed) as caught:
            accounts.create_user(
                s,
                actor=None,
                username="a b",
                password="short",
                role="hub_staff",
                display_name="名" * 65,
                hub_code="999999",
            )
        assert caught.value.errors == {
            "username": Message("account.username_invalid"),
            "display_name": Message("account.display_name_too_long"),
            "hub": Message("account.hub_required"),
            "password": Message("account.password_too_short", {"n": 12}),
        }
        with pytest.raises(ValidationFailed) as caught:
            accounts.create_user(s, actor=None, username="org1", password=PASSWORD, role="org")
        assert caught.value.errors == {"org": Message("account.org_required")}
        with pytest.raises(ValidationFailed) as caught:
            accounts.create_user(s, actor=None, username="x" * 3, password=PASSWORD, role="root")
        assert set(caught.value.errors) == {"role"}


def test_names_are_unique_and_accounts_are_greeted_by_their_hub_or_organisation(db, make_org):
    org = make_org()
    with db() as s:
        staff = accounts.create_user(
            s,
            actor=None,
            username="清波街道小王",
            password=PASSWORD,
            role="hub_staff",
            hub_code="330102001",
        )
        assert staff.display_name == "清波街道助联站"  # its hub's name
        assert staff.hub_id is not None and staff.org_id is None
        org_user = accounts.create_user(
            s, actor=None, username="org.user", password=PASSWORD, role="org", org_id=org.id
        )
        assert org_user.display_name == org.name and org_user.org_id == org.id
        member = accounts.create_user(
            s, actor=None, username="member-1", password=PASSWORD, role="member", org_id=org.id
        )
        assert member.display_name == "member-1" and member.org_id is None
        assert member.password_hash != PASSWORD and member.session_token
        with pytest.raises(Conflict) as caught:
            accounts.create_user(
                s, actor=None, username="member-1", password=PASSWORD, role="member"
            )
        assert caught.value.errors == {"username": Message("account.username_taken")}


def test_every_failed_login_gets_one_answer(db, make_user):
    user = make_user(Role.MEMBER)
    disabled = make_user(Role.MEMBER)
    with db() as s:
        s.get(User, disabled.id).active = False
    with db() as s:
        assert accounts.authenticate(s, username=user.username, password=PASSWORD).id == user.id
        answers = []
        for name, password in (
            (user.username, "wrong-password!"),
            ("nobody-at-all", PASSWORD),
            (disabled.username, PASSWORD),
        ):
            with pytest.raises(accounts.LoginFailed) as caught:
                accounts.authenticate(s, username=name, password=password)
            answers.append(caught.value.message)
        assert answers == [Message("auth.wrong_credentials")] * 3
        assert s.exec(select(AuditLog).where(AuditLog.action == "user.login")).first() is None


def test_temporary_passwords_are_long_enough_and_easy_to_read():
    made = {accounts.temporary_password() for _ in range(50)}
    assert len(made) == 50
    for password in made:
        assert re.fullmatch(
            r"[a-hj-km-np-z2-9]{4}-[a-hj-km-np-z2-9]{4}-[a-hj-km-np-z2-9]{4}", password
        )
        accounts.validate_password(password)  # long enough
    with pytest.raises(ValidationFailed):
        accounts.validate_password("x" * 257)


def test_changing_the_password_checks_it_and_ends_sessions_and_tokens(db, make_user):
    user = make_user(Role.MEMBER)
    with db() as s:
        me = s.get(User, user.id)
        token = accounts.issue_token(s, user=me, days=1)
        session_token = me.session_token
        with pytest.raises(ValidationFailed) as caught:
            accounts.change_password(s, user=me, current="wrong", new="short", confirm="other")
        assert set(caught.value.errors) == {"current", "new", "confirm"}
        with pytest.raises(ValidationFailed) as caught:
            accounts.change_password(s, user=me, current=PASSWORD, new=PASSWORD)
        assert caught.value.errors == {"new": Message("account.password_unchanged")}
        accounts.change_password(s, user=me, current=PASSWORD, new=NEW, confirm=NEW)
        assert me.session_token != session_token and not me.must_change_password
        assert accounts.user_for_token(s, token) is None
        assert accounts.authenticate(s, username=me.username, password=NEW) is me
        assert "user.password_change" in _actions(s, user.id)


def test_the_administrator_resets_a_password_to_a_temporary_one(db, make_user):
    admin, staff = make_user(Role.ADMIN), make_user(Role.HUB_STAFF, hub="330102")
    with db() as s:
        with pytest.raises(Forbidden):
            accounts.reset_password(s, actor=s.get(User, staff.id), user_id=admin.id)
        actor = s.get(User, admin.id)
        with pytest.raises(Conflict):
            accounts.reset_password(s, actor=actor, user_id=admin.id)
        with pytest.raises(NotFound):
            accounts.reset_password(s, actor=actor, user_id=999_999)
        user, password = accounts.reset_password(s, actor=actor, user_id=staff.id)
        assert user.must_change_password and accounts.authenticate(
            s, username=user.username, password=password
        )
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(s, username=user.username, password=PASSWORD)


def test_the_administrator_creates_staff_members_and_administrators_only(db, make_user):
    admin, member = make_user(Role.ADMIN), make_user(Role.MEMBER)
    with db() as s:
        actor = s.get(User, admin.id)
        with pytest.raises(Forbidden):
            accounts.create_account(s, actor=s.get(User, member.id), username="xyz", role="member")
        with pytest.raises(ValidationFailed) as caught:
            accounts.create_account(s, actor=actor, username="someorg", role="org")
        assert caught.value.errors == {"role": Message("account.role_not_creatable")}
        staff, password = accounts.create_account(
            s, actor=actor, username=" xiaowang ", role="hub_staff", hub_code="330102"
        )
        assert staff.username == "xiaowang" and staff.must_change_password and staff.hub_id
        assert accounts.authenticate(s, username="xiaowang", password=password) is staff
        party, _ = accounts.create_account(
            s, actor=actor, username="dangyuan", role="member", hub_code="330102"
        )
        assert party.hub_id is None  # a hub only for hub staff
        (entry,) = s.exec(
            select(AuditLog).where(
                AuditLog.action == "user.create", AuditLog.object_id == str(staff.id)
            )
        )
        assert entry.actor_id == admin.id and password not in str(entry.after)


def test_display_name(db, make_user):
    user = make_user(Role.MEMBER)
    with db() as s:
        me = s.get(User, user.id)
        accounts.set_display_name(s, user=me, display_name="  小李 ")
        assert me.display_name == "小李"
        accounts.set_display_name(s, user=me, display_name=" ")
        assert me.display_name == me.username
        with pytest.raises(ValidationFailed):
            accounts.set_display_name(s, user=me, display_name="名" * 65)


def test_disabling_ends_sessions_and_tokens_and_enabling_restores_login(db, make_user):
    admin, user = make_user(Role.ADMIN), make_user(Role.MEMBER)
    with db() as s:
        actor, target = s.get(User, admin.id), s.get(User, user.id)
        token = accounts.issue_token(s, user=target, days=1)
        before = target.session_token
        with pytest.raises(Conflict):
            accounts.set_active(s, actor=actor, user_id=admin.id, active=False)
        accounts.set_active(s, actor=actor, user_id=user.id, active=False)
        assert target.session_token != before and accounts.user_for_token(s, token) is None
        assert accounts.load_session_user(s, f"{user.id}:{target.session_token}") is None
        accounts.set_active(s, actor=actor, user_id=user.id, active=True)
        assert accounts.authenticate(s, username=user.username, password=PASSWORD) is target
        assert _actions(s, user.id)[-2:] == ["user.disable", "user.enable"]


def test_tokens_live_until_they_expire_or_are_revoked(db, make_user):
    user, other = make_user(Role.MEMBER), make_user(Role.MEMBER)
    with db() as s:
        me = s.get(User, user.id)
        first = accounts.issue_token(s, user=me, days=1)
        second = accounts.issue_token(s, user=me, days=1)
        expired = accounts.issue_token(s, user=me, days=1)
        assert first.startswith("zf_") and len({first, second, expired}) == 3
        stored = s.exec(select(ApiToken).where(ApiToken.user_id == user.id)).all()
        assert not {first, second, expired} & {t.token_hash for t in stored}  # only hashes kept
        stored[2].expires_at = utcnow() - timedelta(seconds=1)
        owner, second_row = accounts.token_owner(s, second)
        assert owner is me and second_row.last_used_at is not None
        assert accounts.user_for_token(s, expired) is None
        assert accounts.user_for_token(s, "zf_not-a-token") is None
        listed = accounts.list_tokens(s, user=me, current_id=second_row.id)
        assert [(t.id, t.current) for t in listed] == [(second_row.id, True), (stored[0].id, False)]
        with pytest.raises(NotFound):  # another account's token
            accounts.revoke_token(s, user=s.get(User, other.id), token_id=second_row.id)
        accounts.revoke_token(s, user=me, token_id=second_row.id)
        assert accounts.user_for_token(s, second) is None
        with pytest.raises(NotFound):  # already revoked
            accounts.revoke_token(s, user=me, token_id=second_row.id)
        assert accounts.revoke_tokens(s, me) == 2  # the first one and the expired one
        assert accounts.list_tokens(s, user=me) == []


def test_a_token_notes_its_use_at_most_once_a_minute(db, make_user):
    user = make_user(Role.MEMBER)
    with db() as s:
        token = accounts.issue_token(s, user=s.get(User, user.id), days=1)
        _, row = accounts.token_owner(s, token)
        first_use = row.last_used_at
        accounts.token_owner(s, token)
        assert row.last_used_at == first_use
        row.last_used_at = first_use - timedelta(seconds=accounts.TOKEN_TOUCH_SECONDS)
        accounts.token_owner(s, token)
        assert row.last_used_at > first_use - timedelta(seconds=1)


@pytest.mark.parametrize("shape", ["", "12", ":abc", "x:abc", "{id}:", "{id}:wrong"])
def test_the_session_loader_refuses_malformed_or_stale_ids(db, make_user, shape):
    user = make_user(Role.MEMBER)
    with db() as s:
        me = s.get(User, user.id)
        assert accounts.load_session_user(s, f"{user.id}:{me.session_token}") is me
        assert accounts.load_session_user(s, shape.format(id=user.id)) is None
        accounts.revoke_sessions(s, me)
        assert accounts.load_session_user(s, f"{user.id}:{me.session_token}") is me
