"""Text that one party writes and another reads (issue 11, DESIGN §6): wish titles and texts, the
public version staff correct in review, rejection and hold reasons, delivery notes and
notifications reach members, organisations and other staff scrubbed — personal data written in any
notation, and the household's own names, are gone."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlmodel import select

from marketplace.db import get_engine, session_scope
from marketplace.models import AuditLog, Claim, Household, Need, Proposal, User
from marketplace.services.scrubber import normalise
from tests.factories import PASSWORD, valid_id_number
from tests.world import HOUSEHOLDS, World

NAME = "欧阳秀兰"
ID_NUMBER = valid_id_number(4242)
GROUPED_ID = " ".join(ID_NUMBER[i : i + 4] for i in range(0, 18, 4))
LEAKY_TITLE = f"给{NAME}买电饭煲 电话一三九 八七六五 四三二一"
LEAKY_TEXT = f"身份证 {GROUPED_ID}，住望江路777号9幢1203室，微信 oyxl_1950，卡号6222 0212 3456 7890"
SECRETS = [
    NAME,
    "秀兰",
    "13987654321",
    ID_NUMBER,
    "望江路777号",
    "1203室",
    "oyxl_1950",
    "6222021234567890",
]


def leaks(body: str, secrets: list[str] = SECRETS) -> list[str]:
    """The secrets found in a body, however their digits are written (grouped, Chinese, full-width)."""
    flat = normalise(body).text
    return [s for s in secrets if s in body or normalise(s).text in flat]


def _login(app: Flask, user: User) -> Any:
    client = app.test_client()
    r = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 302
    return client


def _get(app: Flask, world: World, who: str, url: str) -> str:
    """A JSON answer as text, its non-ASCII characters unescaped."""
    r = app.test_client().get(url, headers=world.tokens[who])
    assert r.status_code == 200, (url, r.status_code)
    return json.dumps(r.get_json(), ensure_ascii=False)


def _household(app: Flask, household_id: int) -> Household:
    with session_scope(get_engine(app)) as s:
        household = s.get(Household, household_id)
        assert household is not None
        return household


@pytest.fixture
def leaky_wish(world: World, make_need: Callable[..., Need], app: Flask) -> int:
    """A wish of household 0 (欧阳秀兰) whose title and text carry personal data."""
    need = make_need(
        world.users["hub_owner"],
        _household(app, world.household_ids[0]),
        title=LEAKY_TITLE,
        description=LEAKY_TEXT,
    )
    return need.id or 0


def test_wish_title_and_text_reach_members_and_orgs_scrubbed(
    app: Flask, world: World, leaky_wish: int
) -> None:
    for who in ("member", "org"):
        detail = _get(app, world, who, f"/api/v1/wishes/{leaky_wish}")
        assert not leaks(detail), (who, leaks(detail))
        assert "电饭煲" in detail and "***" in detail
        pool = _get(app, world, who, "/api/v1/wishes?limit=100")
        assert f'"id": {leaky_wish},' in pool and not leaks(pool), leaks(pool)
    page = _login(app, world.users["member"]).get(f"/member/wishes/{leaky_wish}")
    assert page.status_code == 200 and not leaks(page.get_data(as_text=True))
    # Staff of the household's area still read the original.
    staff = app.test_client().get(f"/api/v1/needs/{leaky_wish}", headers=world.tokens["hub_owner"])
    assert (
        staff.get_json()["title"] == LEAKY_TITLE and staff.get_json()["description"] == LEAKY_TEXT
    )


def test_notifications_carry_the_public_title(app: Flask, world: World, leaky_wish: int) -> None:
    member = _login(app, world.users["member"])
    r = member.post(f"/member/wishes/{leaky_wish}/claim")
    assert r.status_code in (302, 303), r.status_code
    with session_scope(get_engine(app)) as s:
        claim = s.exec(select(Claim).where(Claim.need_id == leaky_wish)).one()
    headers = world.tokens["member"]
    r = app.test_client().post(
        f"/api/v1/claims/{claim.id}/deliver", json={"note": "已送达，户主当面签收"}, headers=headers
    )
    assert r.status_code == 200, r.get_json()
    hub = app.test_client()
    r = hub.post(f"/api/v1/needs/{leaky_wish}/confirm", headers=world.tokens["hub_owner"])
    assert r.status_code == 200, r.get_json()
    body = member.get("/notifications").get_data(as_text=True)
    assert "电饭煲" in body and not leaks(body), leaks(body)
    claims_page = member.get("/member/claims").get_data(as_text=True)
    assert not leaks(claims_page)


def test_review_shows_the_public_version_and_staff_correct_it(
    app: Flask, world: World, make_need: Callable[..., Need]
) -> None:
    staff = world.users["hub_owner"]
    need = make_need(
        staff, _household(app, world.household_ids[0]), title=LEAKY_TITLE, description=LEAKY_TEXT,
        publish=False,
    )  # fmt: skip
    client = _login(app, staff)
    review = client.get("/hub/review").get_data(as_text=True)
    # The original for staff, and what members will read.
    assert LEAKY_TITLE in review and "给***买电饭煲 电话***" in review
    assert f"/hub/needs/{need.id}/public" in review
    r = client.post(
        f"/hub/needs/{need.id}/public",
        data={"public_title": "为一位老人买电饭煲", "public_text": "家里的电饭煲坏了"},
    )
    assert r.status_code == 302
    assert client.post(f"/hub/needs/{need.id}/publish").status_code == 302
    wish = app.test_client().get(f"/api/v1/wishes/{need.id}", headers=world.tokens["member"])
    assert wish.get_json()["title"] == "为一位老人买电饭煲"
    assert wish.get_json()["text"] == "家里的电饭煲坏了"
    with session_scope(get_engine(app)) as s:
        stored = s.get(Need, need.id)
        assert stored is not None and stored.title == LEAKY_TITLE
        assert stored.description == LEAKY_TEXT
        actions = s.exec(select(AuditLog.action).where(AuditLog.object_id == str(need.id))).all()
        assert "need.edit_public" in actions
    # A correction that still holds personal data is scrubbed on the way out.
    r = client.post(
        f"/hub/needs/{need.id}/public",
        data={"public_title": f"{NAME}的电饭煲", "public_text": "电话139-8765-4321"},
    )
    assert r.status_code == 302
    wish = _get(app, world, "member", f"/api/v1/wishes/{need.id}")
    assert not leaks(wish) and "电饭煲" in wish
    # An empty title is refused; another district's staff cannot touch it.
    r = client.post(f"/hub/needs/{need.id}/public", data={"public_title": " ", "public_text": ""})
    assert r.status_code == 422
    other = _login(app, world.users["hub_staff"])
    r = other.post(f"/hub/needs/{need.id}/public", data={"public_title": "x", "public_text": "y"})
    assert r.status_code == 404


def test_rejection_reason_reaches_the_deliverer_scrubbed(app: Flask, world: World) -> None:
    name, phone, address = (HOUSEHOLDS[2][k] for k in ("name", "phone", "address"))
    id_number = HOUSEHOLDS[2]["id_number"]
    spaced_phone = f"{phone[:3]} {phone[3:7]} {phone[7:]}"
    reason = f"照片看不清。请联系{name}，电话{spaced_phone}，身份证{id_number[:6]}-{id_number[6:]}，{address}"
    r = app.test_client().post(
        f"/api/v1/needs/{world.wish_delivered}/reject",
        json={"reason": reason},
        headers=world.tokens["hub_owner"],
    )
    assert r.status_code == 200, r.get_json()
    secrets = [name, name[2:], phone, id_number, address, "999号", "301室"]
    member = _login(app, world.users["member_owner"])
    for url in ("/member/claims", "/notifications"):
        body = member.get(url).get_data(as_text=True)
        assert "照片看不清" in body and not leaks(body, secrets), (url, leaks(body, secrets))
    api = _get(app, world, "member_owner", "/api/v1/claims")
    assert "照片看不清" in api and not leaks(api, secrets), leaks(api, secrets)
    # The audit log keeps what staff wrote.
    with session_scope(get_engine(app)) as s:
        after = s.exec(
            select(AuditLog.after).where(AuditLog.action == "need.reject_delivery")
        ).one()
        assert after is not None and after["reason"] == reason


def test_proposal_hold_reason_reaches_the_administrator_scrubbed(app: Flask, world: World) -> None:
    name, phone = HOUSEHOLDS[1]["name"], HOUSEHOLDS[1]["phone"]
    reason = f"先等等：{name}说电话改成{phone[:3]}.{phone[3:7]}.{phone[7:]}，地址凤起路818弄6号"
    r = app.test_client().post(
        f"/api/v1/proposals/{world.proposal_id}/lock",
        json={"reason": reason},
        headers=world.tokens["hub_owner"],
    )
    assert r.status_code == 200, r.get_json()
    secrets = [name, phone, "凤起路818弄"]
    body = _get(app, world, "admin", f"/api/v1/match-rounds/{world.round_id}/proposals")
    assert "先等等" in body and not leaks(body, secrets), leaks(body, secrets)
    page = _login(app, world.users["admin"]).get(f"/rounds/{world.round_id}?status=locked")
    assert page.status_code == 200
    assert not leaks(page.get_data(as_text=True), secrets)
    with session_scope(get_engine(app)) as s:
        proposal = s.get(Proposal, world.proposal_id)
        assert proposal is not None and proposal.decision_reason is not None
        assert not leaks(proposal.decision_reason, secrets)


def test_delivery_note_is_stored_scrubbed(app: Flask, world: World) -> None:
    name, phone = HOUSEHOLDS[1]["name"], HOUSEHOLDS[1]["phone"]
    note = f"已送到{name}家，电话{phone[:3]}-{phone[3:7]}-{phone[7:]}，邮箱 smjg@qq.com"
    r = app.test_client().post(
        f"/api/v1/claims/{world.claim_active}/deliver",
        json={"note": note},
        headers=world.tokens["member_owner"],
    )
    assert r.status_code == 200, r.get_json()
    secrets = [name, phone, "smjg@qq.com"]
    assert "已送到" in r.get_json()["delivery_note"]
    assert not leaks(str(r.get_json()), secrets)
    with session_scope(get_engine(app)) as s:
        claim = s.get(Claim, world.claim_active)
        assert claim is not None and not leaks(claim.delivery_note or "", secrets)
