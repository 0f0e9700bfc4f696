"""One populated world for the scenario tests, built from the part a test asks for.

``World`` holds the accounts by name (``users``) and the ids of what a scenario created; two
builders fill it from the factories of tests/factories.py:

- ``build_attack_surface()`` (the ``world`` fixture's default, used by tests/security):
  households in 330102 with distinctive personal data, one account per role and attackers of
  another district and organisation, bearer tokens, a match round with a proposal, a photo.
- ``build_market()`` (``@pytest.mark.world("market")``, used by the dashboard, alert and tally
  tests): two districts, a street hub, claims in every state with shifted timelines.

Each test thus sees exactly the rows its assertions count. The ``world`` fixture is registered by
the root ``conftest.py`` (``pytest_plugins``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import insert
from sqlmodel import col, select, update

from marketplace.db import get_engine, session_scope
from marketplace.models import (
    Claim,
    Household,
    MatchRound,
    Need,
    Proposal,
    Role,
    RoundStatus,
    User,
    utcnow,
)
from marketplace.schemas import NeedIn
from marketplace.services import accounts, claims, households, monitoring
from tests.factories import (
    OTHER_DISTRICT_COMMUNITY,
    jpeg_bytes,
    make_household,
    make_need,
    make_offer,
    make_org,
    make_user,
    valid_id_number,
)

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

# The market's claims by state, and the household each one is for.
MARKET_CLAIMS = {
    "confirmed_fast": "risky",
    "confirmed_late": "risky",
    "delivered_overdue": "risky",
    "delivered_fresh": "steady",
    "active": "steady",
    "confirmed_other": "far",
}


@dataclass
class World:
    """Accounts by name and the ids of a scenario; see the module docstring for the scenarios.

    Account names shared by both: ``admin``; ``hub_owner`` (district hub 330102, where the
    scenario lives); ``hub_staff`` (district hub 330106, the other district); ``org_owner`` (the
    organisation whose offer it is). The attack surface adds the attackers ``member`` and ``org``
    and the claimer ``member_owner``; the market adds ``hub_street`` (street hub 330102001),
    ``member1``-``member3`` and ``org_colleague`` (who published the offer).
    """

    app: Flask
    users: dict[str, User] = field(default_factory=dict)
    offer_id: int = 0
    # build_market: need ids by the state of their claim (MARKET_CLAIMS).
    need_ids: dict[str, list[int]] = field(default_factory=dict)
    # build_attack_surface:
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    household_ids: list[int] = field(default_factory=list)
    household_tokens: list[str] = field(default_factory=list)
    wish_open: int = 0
    wish_claimed: int = 0
    wish_delivered: int = 0
    wish_leaky: int = 0
    service_need: int = 0
    claim_active: int = 0  # member "member_owner"'s claim on wish_claimed
    claim_delivered: int = 0
    claim_org: int = 0  # org_owner's assignment
    org_owner_id: int = 0
    org_other_id: int = 0
    round_id: int = 0
    proposal_id: int = 0
    photo_name: str = ""
    pii: list[str] = field(default_factory=list)
    # Monitoring (issue 13): hub_owner's event on the first household, and a member's lead
    # (主动发现) for the street of COMMUNITY (district 330102).
    event_id: int = 0
    lead_id: int = 0

    # -- the market tests' names for their accounts --------------------------------------------

    @property
    def admin(self) -> User:
        return self.users["admin"]

    @property
    def staff(self) -> User:
        """District hub 330102."""
        return self.users["hub_owner"]

    @property
    def street_staff(self) -> User:
        """Street hub 330102001 (the parent of COMMUNITY's hub)."""
        return self.users["hub_street"]

    @property
    def other_staff(self) -> User:
        """District hub 330106."""
        return self.users["hub_staff"]

    @property
    def members(self) -> list[User]:
        return [self.users[f"member{i}"] for i in (1, 2, 3)]

    @property
    def org_user(self) -> User:
        return self.users["org_owner"]

    # -- building ------------------------------------------------------------------------------

    def account(
        self, name: str, role: str, *, hub: str | None = None, org_id: int | None = None
    ) -> User:
        """The account called ``name`` in this world, created on first use."""
        if name not in self.users:
            self.users[name] = make_user(self.app, role, hub=hub, org_id=org_id)
        return self.users[name]

    def build_market(self) -> World:
        org = make_org(self.app, vetted=True)
        self.account("admin", Role.ADMIN)
        staff = self.account("hub_owner", Role.HUB_STAFF, hub="330102")
        self.account("hub_street", Role.HUB_STAFF, hub="330102001")
        other = self.account("hub_staff", Role.HUB_STAFF, hub="330106")
        for i in (1, 2, 3):
            self.account(f"member{i}", Role.MEMBER)
        self.account("org_owner", Role.ORG, org_id=org.id)
        colleague = self.account("org_colleague", Role.ORG, org_id=org.id)
        self.offer_id = make_offer(self.app, colleague, capacity=10).id or 0
        made: dict[str, Household] = {
            "risky": make_household(self.app, staff, risk_score=40),  # level 1: 3-day SLA
            "steady": make_household(self.app, staff, risk_score=75),  # level 2: 7-day SLA
            "far": make_household(
                self.app, other, community_code=OTHER_DISTRICT_COMMUNITY, risk_score=95
            ),
        }
        make_need(self.app, staff, made["risky"], publish=False)  # pending review
        make_need(self.app, staff, made["steady"])  # open
        make_need(self.app, other, made["far"])  # open, other district
        with self.app.app_context(), session_scope(get_engine(self.app)) as s:
            for i, (state, which) in enumerate(MARKET_CLAIMS.items()):
                hub_user = s.get(User, (other if which == "far" else staff).id)
                member = s.get(User, self.members[i % 3].id)
                assert hub_user is not None and member is not None
                need = households.create_need(
                    s,
                    actor=hub_user,
                    data=NeedIn(
                        household_id=made[which].id, kind="wish", item="07-02", title=f"心愿{state}"
                    ),
                )
                households.publish_need(s, actor=hub_user, need_id=need.id or 0)
                # Set-up history: one household gets the item several times (repeat help off).
                policy = claims.ClaimPolicy(max_open=10, repeat_help_days=0)
                claim = claims.claim_wish(s, member=member, wish_id=need.id or 0, policy=policy)
                if state != "active":
                    claims.report_delivery(
                        s, actor=member, claim_id=claim.id or 0, note="送到了，户主当面签收"
                    )
                if state.startswith("confirmed"):
                    claims.confirm_delivery(s, actor=hub_user, need_id=need.id or 0)
                self.need_ids.setdefault(state, []).append(need.id or 0)
            s.flush()
            claim_ids = {
                state: s.exec(select(Claim.id).where(Claim.need_id == ids[0])).one()
                for state, ids in self.need_ids.items()
            }
        # Timelines: published 2 days before confirmation (fast), 5 days late, 10 days overdue.
        with self.app.app_context(), session_scope(get_engine(self.app)) as s:
            shifts = {
                "confirmed_fast": {"delivered_at": 1, "claimed_at": 2},
                "confirmed_late": {"delivered_at": 5},
                "delivered_overdue": {"delivered_at": 10},
            }
            for state, deltas in shifts.items():
                claim = s.get(Claim, claim_ids[state])
                assert claim is not None
                for name, days in deltas.items():
                    setattr(claim, name, getattr(claim, name) - timedelta(days=days))
        with self.app.app_context(), session_scope(get_engine(self.app)) as s:
            for state, days in (
                ("confirmed_fast", 2),
                ("confirmed_late", 6),
                ("confirmed_other", 0),
            ):
                published = s.get(Need, self.need_ids[state][0])
                assert published is not None and published.published_at is not None
                published.published_at = published.published_at - timedelta(days=days)
        return self

    def build_attack_surface(self) -> World:
        """Everything belongs to district 330102 and to ``org_owner``; the attackers are
        ``member`` (not the claimer), ``org`` (another organisation), ``hub_staff`` of 330106 and
        ``admin`` (where admin is not allowed)."""
        app = self.app
        org_owner, org_other = make_org(app, vetted=True), make_org(app, vetted=True)
        self.account("admin", Role.ADMIN)
        staff = self.account("hub_owner", Role.HUB_STAFF, hub="330102")
        self.account("hub_staff", Role.HUB_STAFF, hub="330106")
        self.account("member_owner", Role.MEMBER)
        self.account("member", Role.MEMBER)
        self.account("org_owner", Role.ORG, org_id=org_owner.id)
        self.account("org", Role.ORG, org_id=org_other.id)
        self.account("dept", Role.DEPT)  # another department's system: API only
        hh = [make_household(app, staff, **data) for data in HOUSEHOLDS]
        wish_open = make_need(app, staff, hh[0], title="想要一个书包")
        wish_claimed = make_need(app, staff, hh[1], title="想要一台电风扇")
        wish_delivered = make_need(app, staff, hh[2], title="想要一床棉被")
        wish_leaky = make_need(app, staff, hh[0], title="想要电热毯", description=LEAKY_DESCRIPTION)
        service = make_need(
            app, staff, hh[1], kind="service", item="01-01", title="上门助浴", publish=True
        )
        offer = make_offer(app, self.users["org_owner"], items=["01-01", "07-02"], capacity=5)
        photo = "f" * 32 + ".jpg"
        with app.app_context(), session_scope(get_engine(app)) as s:
            owner = s.get(User, self.users["member_owner"].id)
            assert owner is not None
            policy = claims.ClaimPolicy(max_open=10, days=7)
            c_active = claims.claim_wish(s, member=owner, wish_id=wish_claimed.id, policy=policy)
            c_done = claims.claim_wish(s, member=owner, wish_id=wish_delivered.id, policy=policy)
            claims.report_delivery(
                s, actor=owner, claim_id=c_done.id, note="已送达，户主当面签收", photo_path=photo
            )
            round_ = MatchRound(
                scope_code="330102", started_by=staff.id, status=RoundStatus.DONE.value
            )
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
            self.proposal_id = s.exec(
                select(Proposal.id).where(Proposal.round_id == round_.id)
            ).one()
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
            event, _warning = monitoring.record_event(
                s,
                actor=hub_user,
                kind="job_loss",
                occurred_on=date.today(),
                household_id=hh[0].id,
            )
            self.event_id = event.id or 0
            self.lead_id = (
                monitoring.report_discovery(
                    s,
                    actor=owner,
                    community_code=hh[0].community_code,
                    description="一位老人需要帮助",
                ).id
                or 0
            )
            for name, user in self.users.items():
                bearer = accounts.issue_token(s, user=s.get(User, user.id), days=1)  # type: ignore[arg-type]
                self.tokens[name] = {"Authorization": "Bearer " + bearer}
            self.claim_active, self.claim_delivered = c_active.id or 0, c_done.id or 0
            self.claim_org, self.round_id = c_org.id or 0, round_.id or 0
        upload = Path(app.instance_path) / "uploads"
        upload.mkdir(parents=True, exist_ok=True)
        (upload / photo).write_bytes(jpeg_bytes())
        for data in HOUSEHOLDS:
            self.pii += [data["id_number"], data["phone"], data["address"], data["name"]]
        self.pii += ["13812345678", "330102198001011234", "解放路100号"]
        self.household_ids = [h.id or 0 for h in hh]
        self.household_tokens = [h.token for h in hh]
        self.wish_open, self.wish_claimed = wish_open.id or 0, wish_claimed.id or 0
        self.wish_delivered, self.wish_leaky = wish_delivered.id or 0, wish_leaky.id or 0
        self.service_need, self.offer_id = service.id or 0, offer.id or 0
        self.org_owner_id, self.org_other_id = org_owner.id or 0, org_other.id or 0
        self.photo_name = photo
        return self


SCENARIOS = {"attack_surface": World.build_attack_surface, "market": World.build_market}


@pytest.fixture
def world(request: pytest.FixtureRequest, app: Flask) -> World:
    """The attack surface, or the scenario named by ``@pytest.mark.world("market")``."""
    marker = request.node.get_closest_marker("world")
    (scenario,) = marker.args if marker else ("attack_surface",)
    return SCENARIOS[scenario](World(app))
