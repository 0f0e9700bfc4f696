"""Fixtures of the attack tests: a populated world (households in 330102 with distinctive personal
data, one account per role, actors of *another* district / organisation), bearer tokens, and a live
HTTP server on 127.0.0.1 for the race tests."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import insert
from sqlmodel import col, select, update
from werkzeug.serving import make_server

from marketplace.db import get_engine, session_scope
from marketplace.models import Claim, MatchRound, Need, Proposal, RoundStatus, User, utcnow
from marketplace.schemas import NeedIn
from marketplace.services import accounts, claims, households
from tests.conftest import COMMUNITY, valid_id_number

# Distinctive personal data: if any of these strings reaches a member/org page, an API response
# or a log record, the test names it.
HOUSEHOLDS = [
    {
        "name": "欧阳秀兰",
        "id_number": valid_id_number(9001),
        "phone": "13987654321",
        "address": "望江路777号9幢1203室",
    },
    {
        "name": "司马建国",
        "id_number": valid_id_number(9002),
        "phone": "15811112222",
        "address": "凤起路818弄6号",
    },
    {
        "name": "诸葛丽华",
        "id_number": valid_id_number(9003),
        "phone": "18666665555",
        "address": "清泰街999号2单元301室",
    },
]
LEAKY_DESCRIPTION = "联系电话13812345678，身份证330102198001011234，住解放路100号3幢201室"


def jpeg_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


@dataclass
class World:
    users: dict[str, User]
    tokens: dict[str, dict[str, str]]
    household_ids: list[int]
    household_tokens: list[str]
    wish_open: int
    wish_claimed: int
    wish_delivered: int
    wish_leaky: int
    service_need: int
    claim_active: int  # member "member_owner"'s claim on wish_claimed
    claim_delivered: int
    claim_org: int  # org_owner's assignment
    offer_id: int
    org_owner_id: int
    org_other_id: int
    round_id: int
    proposal_id: int
    photo_name: str
    pii: list[str] = field(default_factory=list)


def _token(session: Any, user: User) -> dict[str, str]:
    return {"Authorization": "Bearer " + accounts.issue_token(session, user=user, days=1)}


@pytest.fixture
def world(
    app: Flask,
    make_user: Callable[..., User],
    make_household: Callable[..., Any],
    make_need: Callable[..., Any],
    make_org: Callable[..., Any],
    make_offer: Callable[..., Any],
) -> World:
    """Everything belongs to district 330102 and to ``org_owner``; the attackers are
    ``member`` (not the claimer), ``org`` (another organisation), ``hub_staff`` of 330106 and
    ``admin`` (where admin is not allowed)."""
    org_owner, org_other = make_org(vetted=True), make_org(vetted=True)
    users = {
        "admin": make_user("admin"),
        "hub_owner": make_user("hub_staff", hub="330102"),
        "hub_staff": make_user("hub_staff", hub="330106"),
        "member_owner": make_user("member"),
        "member": make_user("member"),
        "org_owner": make_user("org", org_id=org_owner.id),
        "org": make_user("org", org_id=org_other.id),
    }
    staff = users["hub_owner"]
    hh = [make_household(staff, **data) for data in HOUSEHOLDS]
    wish_open = make_need(staff, hh[0], title="想要一个书包")
    wish_claimed = make_need(staff, hh[1], title="想要一台电风扇")
    wish_delivered = make_need(staff, hh[2], title="想要一床棉被")
    wish_leaky = make_need(staff, hh[0], title="想要电热毯", description=LEAKY_DESCRIPTION)
    service = make_need(staff, hh[1], kind="service", item="01-01", title="上门助浴", publish=True)
    offer = make_offer(users["org_owner"], items=["01-01", "07-02"], capacity=5)
    photo = "f" * 32 + ".jpg"
    with app.app_context(), session_scope(get_engine(app)) as s:
        owner = s.get(User, users["member_owner"].id)
        assert owner is not None
        policy = claims.ClaimPolicy(max_open=10, days=7)
        c_active = claims.claim_wish(s, member=owner, wish_id=wish_claimed.id, policy=policy)
        c_done = claims.claim_wish(s, member=owner, wish_id=wish_delivered.id, policy=policy)
        claims.report_delivery(s, actor=owner, claim_id=c_done.id, note="已送达", photo_path=photo)
        round_ = MatchRound(scope_code="330102", started_by=staff.id, status=RoundStatus.DONE.value)
        s.add(round_)
        s.flush()
        # A proposal still open (on the open service need) and one accepted (the org assignment).
        s.execute(
            insert(Proposal),
            [
                {
                    "round_id": round_.id,
                    "need_id": service.id,
                    "offer_id": offer.id,
                    "distance_km": 1.0,
                    "reasons": ["item"],
                    "status": "proposed",
                }
            ],
        )
        proposal_id = s.exec(select(Proposal.id).where(Proposal.round_id == round_.id)).one()
        # An assignment of the owner organisation (a claim with offer_id) on another service need.
        hub_user = s.get(User, staff.id)
        assert hub_user is not None
        svc2 = households.create_need(
            s,
            actor=hub_user,
            data=NeedIn(
                household_id=hh[2].id,
                kind="service",
                item="01-01",
                title="助餐",
                value_yuan=Decimal(0),
                deadline=date.today() + timedelta(days=20),
            ),
        )
        households.publish_need(s, actor=hub_user, need_id=svc2.id)
        s.exec(update(Need).where(col(Need.id) == svc2.id).values(status="matched"))
        c_org = Claim(need_id=svc2.id, offer_id=offer.id, due_at=utcnow() + timedelta(days=7))
        s.add(c_org)
        s.flush()
        tokens = {role: _token(s, s.get(User, u.id)) for role, u in users.items()}  # type: ignore[arg-type]
        ids = (c_active.id, c_done.id, c_org.id, round_.id)
    upload = Path(app.instance_path) / "uploads"
    upload.mkdir(parents=True, exist_ok=True)
    (upload / photo).write_bytes(jpeg_bytes())
    pii = []
    for data in HOUSEHOLDS:
        pii += [data["id_number"], data["phone"], data["address"], data["name"]]
    pii += ["13812345678", "330102198001011234", "解放路100号"]
    return World(
        users=users,
        tokens=tokens,
        household_ids=[h.id for h in hh],
        household_tokens=[h.token for h in hh],
        wish_open=wish_open.id,
        wish_claimed=wish_claimed.id,
        wish_delivered=wish_delivered.id,
        wish_leaky=wish_leaky.id,
        service_need=service.id,
        claim_active=ids[0],
        claim_delivered=ids[1],
        claim_org=ids[2],
        offer_id=offer.id,
        org_owner_id=org_owner.id,
        org_other_id=org_other.id,
        round_id=ids[3],
        proposal_id=proposal_id,
        photo_name=photo,
        pii=pii,
    )


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
    server.thread.join(5)


__all__ = ["COMMUNITY", "HOUSEHOLDS", "LEAKY_DESCRIPTION", "World", "jpeg_bytes"]
