"""Table models (SQLModel). Codes follow DESIGN §4–§5; statuses follow DESIGN §3."""

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Aware UTC (what SQLModel stores); the UI converts to Asia/Shanghai."""
    return datetime.now(UTC)


class Role(enum.StrEnum):
    ADMIN = "admin"
    HUB_STAFF = "hub_staff"
    MEMBER = "member"
    ORG = "org"
    # 其他部门 — another department's system: API only; submits monitoring events and reads their
    # status, nothing else (DESIGN §9).
    DEPT = "dept"


class OrgType(enum.StrEnum):
    PARTY_ORG = "party_org"  # 党组织
    NGO = "ngo"  # 社会组织
    ENTERPRISE = "enterprise"  # 爱心企业
    TRUST = "trust"  # 慈善信托


class OrgStatus(enum.StrEnum):
    PENDING = "pending"
    VETTED = "vetted"
    REJECTED = "rejected"


class Hardship(enum.StrEnum):
    """五型 — the five hardship types."""

    BOTTOM = "bottom"  # 兜底型
    EXPENSE = "expense"  # 支出型
    EMERGENCY = "emergency"  # 急难型
    DEVELOPMENT = "development"  # 发展型
    CARE = "care"  # 关爱型


class NeedKind(enum.StrEnum):
    WISH = "wish"  # 微心愿
    SERVICE = "service"  # 服务需求


class NeedStatus(enum.StrEnum):
    PENDING_REVIEW = "pending_review"  # 待审核
    OPEN = "open"  # 已发布
    CLAIMED = "claimed"  # 已认领 (a member)
    MATCHED = "matched"  # 已匹配 (an offer, via an accepted proposal)
    DELIVERED = "delivered"  # 已送达, awaiting confirmation
    CONFIRMED = "confirmed"  # 已确认完成
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ClaimStatus(enum.StrEnum):
    ACTIVE = "active"
    DELIVERED = "delivered"
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    GIVEN_UP = "given_up"  # 放弃认领: the member gave the wish back to the pool


ACTIVE_CLAIM_STATUSES = (ClaimStatus.ACTIVE.value, ClaimStatus.DELIVERED.value)


class DeliveryMode(enum.StrEnum):
    """How help reaches the household (配送方式); the last two tell the helper where they live."""

    HANDOVER = "handover"  # 助联体交接点 — handed over at the hub's handover point
    HOME_DELIVERY = "home_delivery"  # 送货上门
    HOME_SERVICE = "home_service"  # 上门服务


# Modes for which the assigned helper may see the household's address and phone.
HOME_DELIVERY_MODES = (DeliveryMode.HOME_DELIVERY.value, DeliveryMode.HOME_SERVICE.value)


class OfferStatus(enum.StrEnum):
    LIVE = "live"
    CLOSED = "closed"


class RoundStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ProposalStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    LOCKED = "locked"


# Where an offer's centre may be: Hangzhou's extent (lat 29.19–30.57, lon 118.34–120.72) with a
# margin of a few kilometres, so a point on the city's edge is accepted and one elsewhere is not.
# The service checks it (offers.in_city) and the API's schema declares it.
CITY_BOUNDS = ((29.1, 118.2), (30.7, 120.9))  # (south, west), (north, east)

HOUSEHOLD_TAGS = ("elderly", "disabled", "child", "serious_illness", "single", "unemployed")


class Region(SQLModel, table=True):
    """行政区划 — a district (6-digit code), street (9) or community (12)."""

    code: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=64)
    level: str = Field(max_length=16)  # city | district | street | community
    parent_code: str | None = Field(default=None, max_length=12, index=True)
    lat: float | None = None
    lon: float | None = None
    coords_source: str | None = Field(default=None, max_length=16)  # approx | imported


class Hub(SQLModel, table=True):
    """助联体 — a hub at one of three levels; its staff see the region's whole subtree."""

    id: int | None = Field(default=None, primary_key=True)
    region_code: str = Field(foreign_key="region.code", unique=True, max_length=12)
    name: str = Field(max_length=80)
    level: str = Field(max_length=16)
    # 联系方式 — where helpers deliver to and whom they call; edited by the hub's own staff.
    contact_name: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    contact_phone: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
    handover_address: str = Field(
        default="", max_length=200, sa_column_kwargs={"server_default": ""}
    )
    office_hours: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    # Whether the helpers of this street's households see the households' ratings (masked, once
    # shown); the words of thanks reach them either way once shown (services/feedback.py).
    share_ratings: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})

    @property
    def has_contact(self) -> bool:
        return bool(self.contact_phone or self.handover_address)


class RegionBoundary(SQLModel, table=True):
    """区划边界 — a district's or street's outline for the map, imported from a GeoJSON file
    (``zhongfu regions import-boundaries``): WGS-84, simplified, with the point its name is
    written at."""

    region_code: str = Field(primary_key=True, foreign_key="region.code", max_length=12)
    level: str = Field(max_length=16)  # district | street
    geometry: str = Field(sa_column=Column(Text, nullable=False))  # GeoJSON (Multi)Polygon
    label_lat: float
    label_lon: float
    imported_at: datetime = Field(default_factory=utcnow)


class TaxonomyItem(SQLModel, table=True):
    """帮扶项目分类 — one of the 31 items; admin-editable data loaded from the shipped file."""

    code: str = Field(primary_key=True, max_length=5)
    category_code: str = Field(max_length=2, index=True)
    category_zh: str = Field(max_length=32)
    category_en: str = Field(max_length=64)
    name_zh: str = Field(max_length=32)
    name_en: str = Field(max_length=64)
    active: bool = True


class Organisation(SQLModel, table=True):
    """帮扶主体 — Party organisation, NGO, enterprise or charitable trust."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    type: str = Field(max_length=16)
    credit_code: str = Field(max_length=18, unique=True)
    status: str = Field(default=OrgStatus.PENDING.value, max_length=16, index=True)
    vetted_by: int | None = (
        None  # user id (no FK: user → organisation already points the other way)
    )
    vetted_at: datetime | None = None
    vet_note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __table_args__ = (CheckConstraint("open_claims >= 0", name="ck_user_open_claims"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16, index=True)
    display_name: str = Field(default="", max_length=64)
    hub_id: int | None = Field(default=None, foreign_key="hub.id", index=True)
    org_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    active: bool = True
    # Rotated on logout and on disabling: every session minted before is refused.
    session_token: str = Field(max_length=64)
    # Unused since login failures are throttled outside the database (services/throttle.py).
    failed_logins: int = 0
    locked_until: datetime | None = None
    open_claims: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    # A temporary password (new account, administrator reset) must be replaced at next login.
    must_change_password: bool = False
    password_changed_at: datetime | None = None
    # Two-factor sign-in (TOTP, RFC 6238): the base32 secret once enrolment is confirmed, and the
    # last time step used, so that a code is accepted once.
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled_at: datetime | None = None
    totp_last_step: int = 0
    # 党支部 — the Party branch a member belongs to (created by its Party organisation or the
    # administrator); None for everyone else.
    branch_id: int | None = Field(default=None, index=True)
    # 常住社区 — a member's home community, which they may give (member.home_community): the
    # claim-window draw weighs members nearer a wish's household higher (services/draws.py).
    community_code: str | None = Field(default=None, max_length=12)
    # 爱心积分 leaderboards show a member by name only if they opt in; otherwise masked (张*).
    show_name_on_boards: bool = Field(
        default=False, sa_column_kwargs={"server_default": text("false")}
    )

    # Flask-Login protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"


class ApiToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None  # updated at most once a minute


class RecoveryCode(SQLModel, table=True):
    """One-time codes that stand in for a TOTP code when the phone is lost (stored hashed)."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    used_at: datetime | None = None


class Setting(SQLModel, table=True):
    """A setting the administrator changes at run time (e.g. the roles that must use 2FA)."""

    key: str = Field(primary_key=True, max_length=64)
    value: Any = Field(default=None, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="user.id")


# 抗风险能力 — the resilience score (0–100) puts a household in one of three risk levels, level 1
# the weakest (DESIGN §5, §9). The one home of these numbers; services/risk.py holds the same rule
# as SQL and as deadlines.
RISK_LEVEL_FLOORS: dict[int, int] = {1: 0, 2: 60, 3: 90}  # level → lowest score of the level
# 确认时限 — how long a reported delivery may wait for the hub's confirmation, by the household's
# risk level (DESIGN §3 step 5): its own rule, no longer the warnings' deadlines.
DELIVERY_CONFIRM_DAYS: dict[int, int] = {1: 3, 2: 7, 3: 7}
# The older name, for the callers that still age needs by it (the priority work removes them).
SLA_DAYS = DELIVERY_CONFIRM_DAYS
# 预警核查时限 — days the street hub has to check a warning (DESIGN §9), by ``WarningLevel``:
# 重点预警 3 days, 一般预警 7 days.
WARNING_DUE_DAYS: dict[str, int] = {"important": 3, "general": 7}


def risk_level(score: int) -> int:
    """Resilience score → risk level: <60 → 1 (highest risk), 60–89 → 2, ≥90 → 3."""
    return max(level for level, floor in RISK_LEVEL_FLOORS.items() if score >= floor or level == 1)


class Household(SQLModel, table=True):
    """困难家庭 — registered by hub staff on the family's behalf."""

    __table_args__ = (
        CheckConstraint("risk_score >= 0 AND risk_score <= 100", name="ck_household_risk"),
        CheckConstraint("members >= 1", name="ck_household_members"),
        # Name search inside a subtree reads the names from the index, not the table.
        Index("ix_household_region_name", "community_code", "name"),
        # The dashboard counts households by area, hardship type and risk level from the index.
        Index("ix_household_counts", "community_code", "hardship_type", "risk_score"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    id_number: str = Field(max_length=18, unique=True)
    phone: str = Field(max_length=20)
    address: str = Field(max_length=200)
    community_code: str = Field(foreign_key="region.code", max_length=12, index=True)
    hardship_type: str = Field(max_length=16, index=True)
    risk_score: int
    members: int = 1
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    # 家庭画像 (DESIGN §9): the source (对象来源) as its own column for lists and counts, the other
    # indicators as the JSON of ``marketplace.profiles.Profile``; risk_score is computed from them
    # (services/resilience.py), never typed.
    source: str = Field(
        default="monitored",
        max_length=24,
        index=True,
        sa_column_kwargs={"server_default": "monitored"},
    )
    profile: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    name_initials: str = Field(default="", max_length=32, index=True)  # pinyin initials for search
    id_tail: str = Field(default="", max_length=4, index=True)  # last 4 characters, for search
    token: str = Field(max_length=64, unique=True)  # 幸福码 opaque token
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    # 一户一档 lifecycle (DESIGN §10, services/casefile.py): HouseholdStage, when it last moved,
    # the end of its gradual exit (渐退期), and when its personal data was anonymised.
    stage: str = Field(
        default="registered",
        max_length=16,
        index=True,
        sa_column_kwargs={"server_default": "registered"},
    )
    stage_changed_at: datetime | None = None
    gradual_exit_until: date | None = None
    anonymised_at: datetime | None = None

    @property
    def risk_level(self) -> int:
        return risk_level(self.risk_score)


class HouseholdStage(enum.StrEnum):
    """The household's lifecycle (DESIGN §10); the allowed moves live in services/casefile.py."""

    MONITORED = "monitored"  # 监测对象
    REGISTERED = "registered"  # 在册
    GRADUAL_EXIT = "gradual_exit"  # 渐退期
    EXITED = "exited"  # 退出


class HouseholdAttachment(SQLModel, table=True):
    """档案附件 — a document or photo of a household's case file (images re-encoded, PDFs checked),
    stored under a random name outside ``static``; only its hub subtree reads it, each view audited."""

    __table_args__ = (Index("ix_householdattachment_household", "household_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    stored_name: str = Field(max_length=64, unique=True)  # random, with the stored extension
    filename: str = Field(max_length=100)  # the uploaded name, cleaned, for display only
    content_type: str = Field(max_length=64)
    size: int
    uploaded_by: int | None = Field(default=None, foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=utcnow)


class ResilienceModel(SQLModel, table=True):
    """抗风险能力赋分模型 — one version of the scoring model (indicator → points). Versions are
    immutable; the latest loaded is the one in force (services/resilience.py)."""

    version: str = Field(primary_key=True, max_length=32)
    definition: dict[str, Any] = Field(sa_type=JSON)
    checksum: str = Field(max_length=64)  # SHA-256 of the canonical JSON
    loaded_at: datetime = Field(default_factory=utcnow, index=True)
    loaded_by: int | None = Field(default=None, foreign_key="user.id")


class HouseholdScore(SQLModel, table=True):
    """A computed resilience score with its explanation: each indicator's points, which add up
    exactly to the score. The latest row of a household is its current score
    (``Household.risk_score`` holds the same number for queries)."""

    __table_args__ = (Index("ix_householdscore_household", "household_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    score: int
    model_version: str = Field(max_length=32)
    contributions: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    reason: str = Field(max_length=32)  # create | profile | import | model | event:<id> …
    computed_at: datetime = Field(default_factory=utcnow)
    computed_by: int | None = Field(default=None, foreign_key="user.id")


class ProfileChange(SQLModel, table=True):
    """画像变更记录 — who changed which profile fields of a household, when, from what to what."""

    __table_args__ = (Index("ix_profilechange_household", "household_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    changed_by: int | None = Field(default=None, foreign_key="user.id")
    changed_at: datetime = Field(default_factory=utcnow)
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # field → [before, after]


class EventKind(enum.StrEnum):
    """监测数据变动 — what happened to a household (DESIGN §9). The codes of the API and files."""

    MAJOR_ILLNESS = "major_illness"  # 重大疾病
    BIRTH = "birth"  # 家庭成员出生
    DEATH = "death"  # 家庭成员死亡
    DISABILITY_CHANGE = "disability_change"  # 残疾等级变化
    JOB_LOSS = "job_loss"  # 失业
    LARGE_MEDICAL_EXPENSE = "large_medical_expense"  # 大额医疗支出
    DISASTER = "disaster"  # 灾害或意外
    ASSISTANCE_EXIT = "assistance_exit"  # 救助退出
    APPLICATION_REFUSED = "application_refused"  # 新申请未通过
    TEMPORARY_ASSISTANCE = "temporary_assistance"  # 临时救助
    DISCOVERED = "discovered"  # 主动发现
    OTHER_DEPARTMENT = "other_department"  # 其他部门救助


class EventSource(enum.StrEnum):
    """Where an event entered: hub staff's form, an Excel import, another department's system
    (``dept`` role), a member's discovery report, the household's own 幸福码 help request."""

    HUB = "hub"
    IMPORT = "import"
    DEPT = "dept"
    DISCOVERY = "discovery"
    HAPPINESS = "happiness"


class WarningLevel(enum.StrEnum):
    IMPORTANT = "important"  # 重点预警: checked within 3 days
    GENERAL = "general"  # 一般预警: checked within 7 days


class WarningStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class WarningOutcome(enum.StrEnum):
    REFER_POLICY = "refer_policy"  # 转介政策救助 (救助"一件事")
    REFER_HUB = "refer_hub"  # 转介助联体社会帮扶: needs created
    NO_ACTION = "no_action"  # 无需帮扶, with a reason


class LeadStatus(enum.StrEnum):
    OPEN = "open"
    REGISTERED = "registered"  # the street registered the household (household_id set)
    CLOSED = "closed"  # checked, nothing to register (close_note says why)


class ReferralStatus(enum.StrEnum):
    REFERRED = "referred"  # 已转介
    IN_PROGRESS = "in_progress"  # 办理中
    DONE = "done"  # 已办结 (granted)
    DECLINED = "declined"  # 未通过


class MonitoringEvent(SQLModel, table=True):
    """监测数据变动 — one event about a household, or about a person we do not know yet (then
    ``household_id`` is empty and ``lead_id`` names the lead it became)."""

    __table_args__ = (
        Index("ix_monitoringevent_household", "household_id", "id"),
        Index("ix_monitoringevent_source_created", "source", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    household_id: int | None = Field(default=None, foreign_key="household.id")
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True)
    kind: str = Field(max_length=32)
    occurred_on: date
    note: str = Field(default="", max_length=1000)
    source: str = Field(max_length=16)
    community_code: str = Field(foreign_key="region.code", max_length=12, index=True)
    reported_by: int | None = Field(default=None, foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Lead(SQLModel, table=True):
    """线索 — a person in difficulty who may not be registered: a member's discovery report (主动发现),
    another department's event for an unknown resident ID, or a 幸福码 help request. It goes to the
    street hub of its community with a due time, like a warning."""

    __table_args__ = (Index("ix_lead_status_hub_due", "status", "hub_id", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    community_code: str = Field(foreign_key="region.code", max_length=12, index=True)
    hub_id: int = Field(foreign_key="hub.id")  # responsible hub (the street's; escalates up)
    source: str = Field(max_length=16)  # EventSource
    description: str = Field(max_length=2000)  # scrubbed for anyone but the responsible staff
    contact: str = Field(default="", max_length=200)  # optional, personal: staff only
    id_number: str = Field(default="", max_length=18)  # from a department's event, if given
    status: str = Field(default=LeadStatus.OPEN.value, max_length=16)
    due_at: datetime
    escalations: int = 0  # how many times it moved up the hub chain
    reported_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    household_id: int | None = Field(default=None, foreign_key="household.id")
    closed_at: datetime | None = None
    closed_by: int | None = Field(default=None, foreign_key="user.id")
    close_note: str = Field(default="", max_length=1000)


class RiskWarning(SQLModel, table=True):
    """预警 — raised by an event: important (重点, 3 days) or general (一般, 7 days). The street hub
    checks it (phone or home visit) and closes it with an outcome; an overdue warning moves up to
    the nearest staffed hub (``hub_id`` is the hub responsible now)."""

    __tablename__ = "warning"
    __table_args__ = (
        Index("ix_warning_status_hub_due", "status", "hub_id", "due_at"),
        Index("ix_warning_status_community", "status", "community_code"),
        Index("ix_warning_household_status", "household_id", "status", "level"),
    )

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    event_id: int = Field(foreign_key="monitoringevent.id", index=True)
    level: str = Field(max_length=16)  # WarningLevel
    status: str = Field(default=WarningStatus.OPEN.value, max_length=16)
    community_code: str = Field(max_length=12)  # denormalised from the household for scoping
    hub_id: int = Field(foreign_key="hub.id")
    raised_at: datetime = Field(default_factory=utcnow)
    due_at: datetime
    escalations: int = 0
    escalated_at: datetime | None = None
    check_mode: str | None = Field(default=None, max_length=16)  # phone | home
    findings: str = Field(default="", max_length=2000)
    outcome: str | None = Field(default=None, max_length=16)  # WarningOutcome
    outcome_note: str = Field(default="", max_length=1000)
    closed_at: datetime | None = Field(default=None, index=True)
    closed_by: int | None = Field(default=None, foreign_key="user.id")
    on_time: bool | None = None  # closed by due_at (set when closed)


class PolicyReferral(SQLModel, table=True):
    """政策救助转介 — a referral to one item of policy assistance (救助"一件事",
    ``data/policy_items.json``) from a warning's check, with its status until done. A granted
    referral is a policy benefit on the household's 幸福清单 (what, since when, amount or service)."""

    __table_args__ = (Index("ix_policyreferral_household", "household_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    warning_id: int | None = Field(default=None, foreign_key="warning.id", index=True)
    item_code: str = Field(max_length=8)
    status: str = Field(default=ReferralStatus.REFERRED.value, max_length=16, index=True)
    note: str = Field(default="", max_length=1000)
    since: date | None = None  # the benefit runs from
    amount_yuan: Decimal | None = Field(default=None, sa_column=Column(Numeric(10, 2)))
    service: str = Field(default="", max_length=200)  # or the service granted
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    done_at: datetime | None = None


class Need(SQLModel, table=True):
    """需求 — a micro-wish (微心愿) or a service need of one household."""

    __table_args__ = (
        Index("ix_need_browse", "status", "kind", "item_code", "id"),
        # The wish pool, newest first, whole city or one area (keyset pagination on id).
        Index("ix_need_pool", "status", "kind", "id"),
        Index("ix_need_pool_region", "status", "kind", "community_code", "id"),
        Index("ix_need_region", "community_code", "status"),
        # Staff queues: the needs of one status in a subtree (counted for the pager).
        Index("ix_need_status_region", "status", "community_code"),
        Index("ix_need_status_published", "status", "published_at"),
        # 需求优先级 (services/priority.py): the wish pool by priority, then waiting time (oldest
        # first), then id — whole city, and one item.
        Index("ix_need_pool_priority", "status", "kind", "priority", "published_at", "id"),
        Index(
            "ix_need_pool_item_priority",
            "status",
            "kind",
            "item_code",
            "priority",
            "published_at",
            "id",
        ),
        CheckConstraint("value_yuan >= 0", name="ck_need_value"),
    )

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    kind: str = Field(max_length=8)
    item_code: str = Field(foreign_key="taxonomyitem.code", max_length=5)
    title: str = Field(max_length=100)
    description: str = Field(default="", max_length=2000)
    public_text: str = Field(default="", max_length=2000)  # description with personal data removed
    # The title members and organisations read: scrubbed at intake, correctable in review (the
    # original ``title`` stays for staff). Empty on needs written before it existed: ``title``.
    public_title: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    value_yuan: Decimal = Field(
        default=Decimal(0), sa_column=Column(Numeric(10, 2), nullable=False)
    )
    deadline: date | None = None
    status: str = Field(default=NeedStatus.PENDING_REVIEW.value, max_length=16)
    community_code: str = Field(max_length=12)  # denormalised from the household for scoping
    lat: float | None = None
    lon: float | None = None
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None
    closed_at: datetime | None = None
    close_reason: str | None = Field(default=None, max_length=500)
    # 需求优先级 1–3 (DESIGN §5), stored and refreshed by services/priority.py when its inputs change
    # (the household's risk level, 急难型, an open important warning).
    priority: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    # 配送说明 and 配送方式, written by staff for the helper ("送到社区服务中心", "上门，需先电话预约").
    delivery_mode: str = Field(
        default=DeliveryMode.HANDOVER.value,
        max_length=16,
        sa_column_kwargs={"server_default": DeliveryMode.HANDOVER.value},
    )
    delivery_instructions: str = Field(
        default="", max_length=500, sa_column_kwargs={"server_default": ""}
    )
    # 结对帮扶: a paired household's new wish goes to its paired helper first; it joins the pool
    # (members' lists) at this time (None: at publication). services/pairings.py sets it.
    pool_from: datetime | None = None
    # 认领意向登记 (DESIGN §12): while set, members register interest instead of claiming; at this
    # time housekeeping draws one of them (services/draws.py) and clears it. None: first come.
    window_closes_at: datetime | None = Field(default=None, index=True)
    # 专项活动 (春风行动, 节日慰问): the campaign a hub added the wish to (services/campaigns.py).
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)


class NeedTally(SQLModel, table=True):
    """需求统计快照 — needs counted by community, kind and status, for the dashboards and the map.

    Derived data, rebuilt whole (services/tally.py): readers sum a few thousand rows instead of
    counting every need of the city.
    """

    community_code: str = Field(primary_key=True, max_length=12)
    kind: str = Field(primary_key=True, max_length=8)
    status: str = Field(primary_key=True, max_length=16)
    n: int
    taken_at: datetime


class Offer(SQLModel, table=True):
    """帮扶项目 — an organisation's assistance project with items, area, capacity and dates."""

    __table_args__ = (
        CheckConstraint("capacity >= 0", name="ck_offer_capacity"),
        CheckConstraint("remaining >= 0 AND remaining <= capacity", name="ck_offer_remaining"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    title: str = Field(max_length=100)
    description: str = Field(default="", max_length=2000)
    items: list[str] = Field(default_factory=list, sa_type=JSON)
    regions: list[str] = Field(default_factory=list, sa_type=JSON)
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    capacity: int
    remaining: int
    # What capacity counts (matching.taxonomy.UNITS): 份 portion, 次 session, 小时 hour, 人 person.
    unit: str = Field(
        default="portion", max_length=16, sa_column_kwargs={"server_default": "portion"}
    )
    start: date
    end: date
    hardship: list[str] = Field(default_factory=list, sa_type=JSON)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    status: str = Field(default=OfferStatus.LIVE.value, max_length=16, index=True)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    # 项目 — the organisation's project the offer runs in (every new offer has one).
    project_id: int | None = Field(default=None, index=True)


class Claim(SQLModel, table=True):
    """认领 — a member's claim on a wish, or an offer's assignment to a need (from a proposal).

    At most one active claim per need: the partial unique index is the backstop behind the
    conditional update in ``services.claims``.
    """

    __table_args__ = (
        Index(
            "uq_claim_need_active",
            "need_id",
            unique=True,
            sqlite_where=text("status IN ('active', 'delivered')"),
            postgresql_where=text("status IN ('active', 'delivered')"),
        ),
        Index("ix_claim_member_status", "member_id", "status"),
        Index("ix_claim_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="user.id")
    offer_id: int | None = Field(default=None, foreign_key="offer.id", index=True)
    status: str = Field(default=ClaimStatus.ACTIVE.value, max_length=16)
    claimed_at: datetime = Field(default_factory=utcnow)
    due_at: datetime
    delivered_at: datetime | None = None
    delivery_note: str | None = Field(default=None, max_length=1000)
    photo_path: str | None = Field(default=None, max_length=200)
    confirmed_at: datetime | None = None
    confirmed_by: int | None = Field(default=None, foreign_key="user.id")
    reject_reason: str | None = Field(default=None, max_length=500)
    acknowledged_at: datetime | None = None  # the household's own acknowledgement (幸福码)
    # 放弃认领 — when and why the member gave the wish back (read by hub staff).
    given_up_at: datetime | None = None
    give_up_reason: str | None = Field(default=None, max_length=500)
    # 服务时长 the deliverer declares with the report (hours, one decimal); the hub confirms or
    # corrects it at confirmation, in the contribution record.
    declared_hours: Decimal | None = Field(default=None, sa_column=Column(Numeric(4, 1)))


class ClaimInterest(SQLModel, table=True):
    """认领意向 — a member's expression of interest in a wish while its claim window is open."""

    __table_args__ = (
        UniqueConstraint("need_id", "member_id", name="uq_claiminterest_need_member"),
        Index("ix_claiminterest_member", "member_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id")
    member_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class ClaimDraw(SQLModel, table=True):
    """抽签 — the recorded draw that closed a wish's claim window: the seed and the weighted
    candidates (member-id order) from which anyone with audit rights recomputes the winner."""

    __table_args__ = (Index("ix_claimdraw_drawn", "drawn_at"),)

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", unique=True)
    closed_at: datetime  # the window's close time, part of the seed
    seed: str = Field(max_length=64)  # sha256 hex
    # [{"member_id", "weight", "band", "recent_claims"}, …] in member-id order
    candidates: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # interested members not eligible at the close: [{"member_id", "reason", "band"}, …]
    excluded: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    winner_id: int | None = Field(default=None, foreign_key="user.id")
    claim_id: int | None = Field(default=None, foreign_key="claim.id")
    drawn_at: datetime = Field(default_factory=utcnow)


class MatchRound(SQLModel, table=True):
    """匹配轮次 — one background solve for a hub's subtree (or the city)."""

    id: int | None = Field(default=None, primary_key=True)
    scope_code: str | None = Field(default=None, max_length=12)  # None → city-wide
    started_by: int = Field(foreign_key="user.id")
    status: str = Field(default=RoundStatus.QUEUED.value, max_length=16)
    progress: float = 0.0
    message: str = Field(default="", max_length=500)
    stats: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class Proposal(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("round_id", "need_id", name="uq_proposal_round_need"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="matchround.id", index=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    offer_id: int = Field(foreign_key="offer.id", index=True)
    distance_km: float
    reasons: list[str] = Field(default_factory=list, sa_type=JSON)
    status: str = Field(default=ProposalStatus.PROPOSED.value, max_length=16)
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    decision_reason: str | None = Field(default=None, max_length=500)


class UnmatchedNeed(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="matchround.id", index=True)
    need_id: int = Field(foreign_key="need.id")
    reason: str = Field(max_length=32)


class Notification(SQLModel, table=True):
    """站内通知 — stored as data: what happened (``kind``), the message code and its parameters,
    and the object it is about; the web layer renders the text and the link for the reader."""

    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=32)
    code: str = Field(max_length=64)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    ref_type: str | None = Field(default=None, max_length=16)
    ref_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class AuditLog(SQLModel, table=True):
    """审计日志 — append-only (triggers refuse UPDATE and DELETE)."""

    # A case file's history reads one object's entries, newest first (services/casefile.py).
    __table_args__ = (Index("ix_auditlog_object", "object_type", "object_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, index=True)
    actor: str = Field(default="", max_length=64)
    action: str = Field(max_length=48, index=True)
    object_type: str = Field(max_length=32)
    object_id: str = Field(default="", sa_column=Column(String(32), nullable=False, index=True))
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class Contribution(SQLModel, table=True):
    """志愿服务记录 — what one confirmed delivery (later: visit, service) gave, with the fields of
    the national volunteer service record: volunteer, organisation, content, place (community),
    start and end, hours (confirmed by the hub), recording unit (the confirming hub). The household
    appears only masked. ``branch_id`` / ``project_id`` are for Party branches and projects."""

    __table_args__ = (
        UniqueConstraint("claim_id", name="uq_contribution_claim"),
        Index("ix_contribution_member_end", "member_id", "ended_at"),
        Index("ix_contribution_org_end", "org_id", "ended_at"),
        Index("ix_contribution_branch_end", "branch_id", "ended_at"),
        Index("ix_contribution_project_end", "project_id", "ended_at"),
        CheckConstraint("hours >= 0 AND hours <= 24", name="ck_contribution_hours"),
    )

    id: int | None = Field(default=None, primary_key=True)
    record_no: str = Field(max_length=20, unique=True)  # ZF-2026-000123
    claim_id: int | None = Field(default=None, foreign_key="claim.id")
    need_id: int | None = Field(default=None, foreign_key="need.id")
    member_id: int | None = Field(default=None, foreign_key="user.id")
    org_id: int | None = Field(default=None, foreign_key="organisation.id")
    branch_id: int | None = None  # 党支部 (later)
    project_id: int | None = None  # 项目 (later)
    volunteer_name: str = Field(max_length=120)
    organisation_name: str = Field(default="", max_length=120)
    item_code: str = Field(max_length=5)
    content: str = Field(max_length=100)
    community_code: str = Field(max_length=12)
    household_label: str = Field(max_length=16)  # masked: 张*
    started_at: datetime
    ended_at: datetime
    hours_declared: Decimal | None = Field(default=None, sa_column=Column(Numeric(4, 1)))
    hours: Decimal = Field(default=Decimal(0), sa_column=Column(Numeric(4, 1), nullable=False))
    hub_id: int | None = Field(default=None, foreign_key="hub.id")
    recording_unit: str = Field(max_length=80)
    confirmed_by: int | None = Field(default=None, foreign_key="user.id")
    confirmed_at: datetime = Field(default_factory=utcnow)
    points: int = 0


class PointEntry(SQLModel, table=True):
    """爱心积分 — one movement of a helper's points (per confirmed record, by the rules file), with
    the rule lines that made it up."""

    __table_args__ = (
        Index("ix_pointentry_member", "member_id", "id"),
        Index("ix_pointentry_org", "org_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int | None = Field(default=None, foreign_key="user.id")
    org_id: int | None = Field(default=None, foreign_key="organisation.id")
    contribution_id: int | None = Field(default=None, foreign_key="contribution.id")
    points: int
    reason: str = Field(max_length=32)  # record | …
    rules_version: str = Field(default="", max_length=32)
    detail: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)


class Certificate(SQLModel, table=True):
    """志愿服务记录证明 — an issued certificate: its totals fixed at issue, its code random and
    stored (unforgeable), checked on the public page /verify/<code>."""

    __table_args__ = (Index("ix_certificate_member", "member_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=43, unique=True)
    member_id: int = Field(foreign_key="user.id")
    volunteer: str = Field(max_length=16)  # masked name, as the verification page shows it
    period_from: date
    period_to: date
    records: int
    hours: Decimal = Field(sa_column=Column(Numeric(8, 1), nullable=False))
    record_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    issued_at: datetime = Field(default_factory=utcnow)


# Party branches and projects (DESIGN §11, issue 16 items 1, 2, 7) ----------------------------------


class FundingSource(enum.StrEnum):
    """A project's funding (资金来源)."""

    VENTURE = "venture"  # 公益创投
    TRUST = "trust"  # 慈善信托
    OWN = "own"  # 自有资金
    GOVERNMENT = "government"  # 政府购买服务


class ProjectStatus(enum.StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class Branch(SQLModel, table=True):
    """党支部 — a branch of a Party organisation; its members are member accounts."""

    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_branch_org_name"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=80)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Project(SQLModel, table=True):
    """项目 — what an organisation runs its offers in: funding, budget, period, targets, and the
    administrator's evaluation (评估)."""

    __table_args__ = (
        CheckConstraint("budget_yuan >= 0", name="ck_project_budget"),
        CheckConstraint("target_households >= 0", name="ck_project_target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    title: str = Field(max_length=100)
    funding: str = Field(default=FundingSource.OWN.value, max_length=16)
    budget_yuan: Decimal = Field(
        default=Decimal(0), sa_column=Column(Numeric(12, 2), nullable=False)
    )
    start: date
    end: date
    target_households: int = 0
    items: list[str] = Field(default_factory=list, sa_type=JSON)
    status: str = Field(default=ProjectStatus.ACTIVE.value, max_length=16)
    evaluation_score: int | None = None
    evaluation_notes: str | None = Field(default=None, max_length=2000)
    evaluated_by: int | None = Field(default=None, foreign_key="user.id")
    evaluated_at: datetime | None = None
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


# -- 幸福码 feedback: ratings and thanks, 幸福清单 acknowledgements (DESIGN §10, §11; 0021) --------


class ListItemKind(enum.StrEnum):
    """What one item of a household's 幸福清单 is: marketplace help (a member's claim or a round's
    assignment: a ``Claim`` row), a visit (探访关爱), a policy benefit (a granted ``PolicyReferral``)."""

    CLAIM = "claim"
    VISIT = "visit"
    BENEFIT = "benefit"


class FeedbackStatus(enum.StrEnum):
    """Hub staff moderate every rating: pending until they show it to the helper or hold it back."""

    PENDING = "pending"
    SHOWN = "shown"
    HELD = "held"


class Feedback(SQLModel, table=True):
    """评价与感谢 — the household's rating (1–5) of one delivered item of its 幸福清单, with optional
    words of thanks (scrubbed before they are stored). One per item, not editable. The helper
    (member or organisation) hears of it only once the hub shows it."""

    __table_args__ = (
        UniqueConstraint("item_kind", "item_id", name="uq_feedback_item"),
        CheckConstraint("rating >= 1 AND rating <= 5", name="ck_feedback_rating"),
        Index("ix_feedback_status_community", "status", "community_code"),
        Index("ix_feedback_community_created", "community_code", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    community_code: str = Field(max_length=12)  # denormalised for scoping and region figures
    item_kind: str = Field(max_length=16)  # ListItemKind
    item_id: int
    rating: int
    words: str = Field(default="", max_length=300)  # scrubbed
    status: str = Field(default=FeedbackStatus.PENDING.value, max_length=16)
    member_id: int | None = Field(default=None, foreign_key="user.id", index=True)  # the helper
    org_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    moderated_by: int | None = Field(default=None, foreign_key="user.id")
    moderated_at: datetime | None = None


class ListAcknowledgement(SQLModel, table=True):
    """幸福清单签收 — the household's "I received it" for an item that is not a claim (a visit, a
    policy benefit); a claim keeps its own ``acknowledged_at``."""

    __tablename__ = "listack"
    __table_args__ = (UniqueConstraint("item_kind", "item_id", name="uq_listack_item"),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    item_kind: str = Field(max_length=16)
    item_id: int
    acknowledged_at: datetime = Field(default_factory=utcnow)


# -- 探访关爱 and 结对帮扶: visits, pairings and the care indicators (DESIGN §10; services/visits.py,
# services/pairings.py, services/indicators.py) ------------------------------------------------


class VisitMode(enum.StrEnum):
    HOME = "home"  # 入户探访
    PHONE = "phone"  # 电话探访


class Visit(SQLModel, table=True):
    """探访关爱 — one visit to a household, at home or by phone, by hub staff or by the household's
    paired helper (``pairing_id`` set). ``note`` is what the visitor wrote (staff read it whole);
    ``public_note`` is the same text scrubbed, for anyone else (the helper's own list)."""

    __table_args__ = (Index("ix_visit_household", "household_id", "visited_on"),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    visited_on: date
    mode: str = Field(max_length=8)  # VisitMode
    note: str = Field(default="", max_length=1000)
    public_note: str = Field(default="", max_length=1000)
    findings: str = Field(default="", max_length=1000)
    visitor_id: int = Field(foreign_key="user.id", index=True)
    pairing_id: int | None = Field(default=None, foreign_key="pairing.id")
    event_id: int | None = Field(default=None, foreign_key="monitoringevent.id")
    contribution_id: int | None = Field(default=None, foreign_key="contribution.id")
    created_at: datetime = Field(default_factory=utcnow)


class VisitSchedule(SQLModel, table=True):
    """When a household's next visit falls due, for each risk level (the interval of the level
    from the last visit, or from registration), and ``due_on``, the date of its current level:
    the due list is an indexed read of (community, due_on), with no join (services/schedules.py)."""

    __table_args__ = (
        Index("ix_visitschedule_region", "community_code"),
        Index("ix_visitschedule_due", "community_code", "due_on"),
    )

    household_id: int = Field(primary_key=True, foreign_key="household.id")
    community_code: str = Field(max_length=12)
    last_visited_on: date | None = None
    due_1: date
    due_2: date
    due_3: date
    # The due date of the household's current level (services/schedules.relevel keeps it).
    due_on: date | None = None


class Pairing(SQLModel, table=True):
    """结对帮扶 — a household paired with a Party member (``member_id``) or an organisation
    (``org_id``) from ``start`` to ``end``; ended early with ``ended_at``/``ended_by``/``reason``.
    One active pairing per household: the partial unique index."""

    __table_args__ = (
        CheckConstraint("(member_id IS NULL) <> (org_id IS NULL)", name="ck_pairing_one_helper"),
        Index(
            "uq_pairing_household_active",
            "household_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_pairing_member", "member_id", "ended_at"),
        Index("ix_pairing_org", "org_id", "ended_at"),
        Index("ix_pairing_household", "household_id", "id"),  # the case file's history
    )

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    member_id: int | None = Field(default=None, foreign_key="user.id")
    org_id: int | None = Field(default=None, foreign_key="organisation.id")
    start: date
    end: date
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    ended_by: int | None = Field(default=None, foreign_key="user.id")
    reason: str = Field(default="", max_length=500)


class CareIndicator(SQLModel, table=True):
    """关爱指标快照 — visit rate, pairing coverage, 幸福清单 delivery rate and satisfaction by
    region (city, district, street, community). Derived data, rebuilt whole
    (services/indicators.py)."""

    region_code: str = Field(primary_key=True, max_length=12)  # "" for the city
    level: str = Field(max_length=16)
    households: int = 0
    visits_due: int = 0
    visits_on_time: int = 0
    paired: int = 0
    list_items: int = 0
    list_delivered: int = 0
    ratings: int = 0
    rating_sum: int = 0
    taken_at: datetime


# -- 专项活动: campaigns (春风行动, 节日慰问; DESIGN §11, issue 16 item 6; services/campaigns.py) ----


class CampaignStatus(enum.StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class Campaign(SQLModel, table=True):
    """专项活动 — a themed, time-boxed set of wishes (春风行动, 节日慰问): its theme items
    (``items``) and target regions (``regions``: communities, streets or districts), created by
    the administrator (``scope_code`` None: the city) or a district hub's staff (their hub's
    region). Hubs add wishes to it (``Need.campaign_id``)."""

    __table_args__ = (CheckConstraint('"end" >= start', name="ck_campaign_period"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    theme: str = Field(default="", max_length=1000)
    start: date
    end: date
    items: list[str] = Field(default_factory=list, sa_type=JSON)
    regions: list[str] = Field(default_factory=list, sa_type=JSON)
    scope_code: str | None = Field(default=None, max_length=12)
    status: str = Field(default=CampaignStatus.ACTIVE.value, max_length=16, index=True)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
