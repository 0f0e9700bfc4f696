"""认领意向登记与抽签 — the claim window and its recorded, verifiable draw (DESIGN §12).

No millisecond races: a wish published while ``CLAIM_WINDOW_MINUTES`` > 0 first collects
expressions of interest until ``Need.window_closes_at``. A member's "认领" in that time registers
interest (``express_interest``: the same checks as a claim — a member, an open published wish,
under the cap of open claims, not refused as repeat help); it can be withdrawn while the window is
open. When the window has closed, housekeeping (``close_due_windows``) draws one member:

* **Candidates**: the interested members still eligible at the close (a member, active, under the
  cap — won draws are claims, so they count —, the wish not refused as repeat help), in member-id
  order. When or how fast a member registered plays no part.
* **Weight** = band factor × 60 // (1 + the member's claims in the last 90 days), where the band
  compares the member's home community (``User.community_code``, 常住社区, which a member may give)
  with the household's: same community 4, same street 3, same district 2, elsewhere (or no home
  community given) 1. 60 is divisible by 1…6, so up to 5 recent claims divide it exactly.
* **Seed** = sha256 of ``"<need id>:<close time, ISO 8601 UTC>"`` (hex), recorded with the
  candidates and their weights. **Pick**: ``int(sha256("<seed>:0"), 16) mod total weight``, walked
  along the cumulative weights in member-id order. ``verify`` recomputes it from the record.

The winner's claim is made by ``claims.claim_wish`` (the one code path of a claim), every
interested member is notified (won / not won), and the draw is audited. With no eligible interest
the window is simply cleared: the wish falls back to first come, first served.

Race safety: the close is one conditional ``UPDATE need SET window_closes_at = NULL WHERE …
window_closes_at = <due>`` (the row lock on PostgreSQL), so of two concurrent closes exactly one
draws; ``claimdraw.need_id`` is unique as the backstop. Registering interest reads the need ``FOR
SHARE`` while the window is open, so an interest is either seen by the close or refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from marketplace.models import (
    Claim,
    ClaimDraw,
    ClaimInterest,
    Household,
    Need,
    NeedKind,
    NeedStatus,
    Region,
    Role,
    User,
    utcnow,
)
from marketplace.services import audit, claims
from marketplace.services.access import get_need_for_staff, require_admin
from marketplace.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.services.messages import Message
from marketplace.services.notifications import Ref, notify
from marketplace.services.repeat_help import refuses as refused_as_repeat_help
from marketplace.services.wishes import public_title_of

__all__ = [
    "BANDS",
    "BAND_FACTORS",
    "Interest",
    "band_of",
    "claim_or_interest",
    "close_due_windows",
    "express_interest",
    "pick",
    "seed_of",
    "verify",
    "weight_of",
    "withdraw_interest",
]

# Distance bands, nearest first, and their factors in the weight (documented in docs/fairness.md).
BANDS = ("community", "street", "district", "elsewhere")
BAND_FACTORS = {"community": 4, "street": 3, "district": 2, "elsewhere": 1}
WEIGHT_SCALE = 60
RECENT_CLAIMS_DAYS = 90


# The draw itself: pure functions -----------------------------------------------------------------


def band_of(member_community: str | None, household_community: str) -> str:
    """How near a member lives to a household, by their region codes (12-digit communities)."""
    if not member_community:
        return "elsewhere"
    if member_community == household_community:
        return "community"
    if member_community[:9] == household_community[:9]:
        return "street"
    if member_community[:6] == household_community[:6]:
        return "district"
    return "elsewhere"


def weight_of(band: str, recent_claims: int) -> int:
    """Nearer members and members with fewer claims in the last 90 days weigh more."""
    return BAND_FACTORS[band] * WEIGHT_SCALE // (1 + max(0, recent_claims))


def _utc(value: datetime) -> datetime:
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(UTC)


def seed_of(need_id: int, closed_at: datetime) -> str:
    """The draw's seed: from the wish and its window's close time only (nothing anyone chooses)."""
    return hashlib.sha256(f"{need_id}:{_utc(closed_at).isoformat()}".encode()).hexdigest()


def pick(seed: str, candidates: Sequence[tuple[int, int]]) -> int | None:
    """The winner among ``(member_id, weight)`` candidates (sorted by member id here, whatever
    the order given): a member is drawn with probability weight / total. None without weight."""
    ordered = sorted((m, w) for m, w in candidates if w > 0)
    total = sum(w for _m, w in ordered)
    if total <= 0:
        return None
    ticket = int(hashlib.sha256(f"{seed}:0".encode()).hexdigest(), 16) % total
    for member_id, weight in ordered:
        if ticket < weight:
            return member_id
        ticket -= weight
    raise AssertionError("unreachable: the ticket is below the total weight")


# Interest while the window is open -------------------------------------------------------------


@dataclass(frozen=True)
class Interest:
    """A registered interest: the wish's window closes (and the draw is held) at ``closes_at``."""

    need_id: int
    member_id: int
    registered_at: datetime
    closes_at: datetime
    created: bool  # False: it was registered before (registering is idempotent)

    def message(self, now: datetime | None = None) -> Message:
        left = (_utc(self.closes_at) - _utc(now or utcnow())).total_seconds()
        return Message(
            "claim.interest_recorded",
            {"minutes": max(1, int(-(-left // 60))), "closes_at": _utc(self.closes_at).isoformat()},
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "wish_id": self.need_id,
            "member_id": self.member_id,
            "registered_at": _utc(self.registered_at).isoformat(),
            "window_closes_at": _utc(self.closes_at).isoformat(),
        }


def _open_window(session: Session, wish_id: int, now: datetime) -> Need | None:
    """The wish, read FOR SHARE, when it is an open wish whose window is still open at ``now``.
    The share lock makes a concurrent close wait for this unit of work (and vice versa)."""
    return session.exec(
        select(Need)
        .where(
            col(Need.id) == wish_id,
            col(Need.kind) == NeedKind.WISH.value,
            col(Need.status) == NeedStatus.OPEN.value,
            col(Need.window_closes_at).is_not(None),
            col(Need.window_closes_at) > now,
        )
        .with_for_update(read=True)
    ).first()


def _window_state_error(session: Session, wish_id: int) -> Conflict | NotFound:
    need = session.get(Need, wish_id)
    if (
        need is None
        or need.kind != NeedKind.WISH.value
        or need.status in (NeedStatus.PENDING_REVIEW.value,)
    ):
        return NotFound("wish.not_found")
    if need.status != NeedStatus.OPEN.value:
        return Conflict("wish.taken")
    return Conflict("claim.window_closed")


def express_interest(
    session: Session,
    *,
    member: User,
    wish_id: int,
    policy: claims.ClaimPolicy,
    now: datetime | None = None,
) -> Interest:
    """登记认领意向 — register a member's interest in a wish whose window is open (idempotent)."""
    if member.role != Role.MEMBER:
        raise Forbidden("access.member_only")
    now = now or utcnow()
    need = _open_window(session, wish_id, now)
    if need is None:
        raise _window_state_error(session, wish_id)
    closes_at = need.window_closes_at
    assert closes_at is not None
    existing = _interest(session, wish_id, member.id or 0)
    if existing is not None:
        return Interest(wish_id, member.id or 0, existing.created_at, closes_at, False)
    # The checks of a claim, so nobody registers for a draw they could not win.
    session.refresh(member)
    if member.open_claims >= policy.max_open:
        raise Conflict(Message("claim.cap_reached", {"n": policy.max_open}))
    if policy.repeat_help_days > 0 and refused_as_repeat_help(
        session, need, days=policy.repeat_help_days, now=now
    ):
        raise Conflict(Message("claim.recently_helped", {"days": policy.repeat_help_days}))
    row = ClaimInterest(need_id=wish_id, member_id=member.id or 0, created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the unique (need, member) backstop: a double submit raced this one
        again = _interest(session, wish_id, member.id or 0)
        if again is None:
            raise
        return Interest(wish_id, member.id or 0, again.created_at, closes_at, False)
    audit.record(
        session, member, "claim.interest", row, after={"need_id": wish_id, "closes_at": closes_at}
    )
    return Interest(wish_id, member.id or 0, now, closes_at, True)


def withdraw_interest(
    session: Session, *, member: User, wish_id: int, now: datetime | None = None
) -> None:
    """撤回意向 — withdraw a registered interest while the window is open."""
    if member.role != Role.MEMBER:
        raise Forbidden("access.member_only")
    now = now or utcnow()
    if _open_window(session, wish_id, now) is None:
        raise _window_state_error(session, wish_id)
    row = _interest(session, wish_id, member.id or 0)
    if row is None:
        raise NotFound("claim.interest_not_found")
    session.exec(delete(ClaimInterest).where(col(ClaimInterest.id) == row.id))
    audit.record(session, member, "claim.interest_withdraw", row, before={"need_id": wish_id})


def claim_or_interest(
    session: Session,
    *,
    member: User,
    wish_id: int,
    policy: claims.ClaimPolicy,
    now: datetime | None = None,
) -> Claim | Interest:
    """A member's "认领": interest while the wish's window is open, otherwise a claim (which
    ``claims.claim_wish`` refuses while a closed window awaits its draw)."""
    now = now or utcnow()
    closes_at = session.exec(select(Need.window_closes_at).where(col(Need.id) == wish_id)).first()
    if closes_at is not None and _utc(closes_at) > now:
        try:
            return express_interest(session, member=member, wish_id=wish_id, policy=policy, now=now)
        except Conflict as exc:
            if exc.message.code != "claim.window_closed":
                raise
            # It closed (and was drawn) meanwhile: a claim now answers as it should.
    return claims.claim_wish(session, member=member, wish_id=wish_id, policy=policy, now=now)


def _interest(session: Session, need_id: int, member_id: int) -> ClaimInterest | None:
    return session.exec(
        select(ClaimInterest).where(
            ClaimInterest.need_id == need_id, ClaimInterest.member_id == member_id
        )
    ).first()


def window_closes_at(now: datetime, minutes: int) -> datetime | None:
    """When a wish published ``now`` closes its window (None: no window, first come)."""
    return now + timedelta(minutes=minutes) if minutes > 0 else None


# The close: one draw per wish ------------------------------------------------------------------


@dataclass(frozen=True)
class CloseSummary:
    windows_closed: int
    draws: int  # draws with a winner
    fallbacks: int  # closed with no eligible interest: first come, first served

    def as_json(self) -> dict[str, int]:
        return {
            "windows_closed": self.windows_closed,
            "draws": self.draws,
            "fallbacks": self.fallbacks,
        }


def close_due_windows(
    session: Session, *, policy: claims.ClaimPolicy, now: datetime | None = None, limit: int = 500
) -> CloseSummary:
    """Close every window due at ``now`` (oldest first), one draw each; the run's claims count
    in the later draws of the same run (cap and recent claims)."""
    now = now or utcnow()
    due = list(
        session.exec(
            select(Need.id, Need.window_closes_at)
            .where(col(Need.window_closes_at).is_not(None), col(Need.window_closes_at) <= now)
            .order_by(col(Need.window_closes_at), col(Need.id))
            .limit(limit)
        )
    )
    closed = won = fell_back = 0
    for need_id, closes_at in due:
        if need_id is None or closes_at is None:
            continue
        outcome = _close_one(session, need_id, closes_at, policy=policy, now=now)
        if outcome is None:
            continue
        closed += 1
        won += outcome
        fell_back += not outcome
    session.flush()
    return CloseSummary(closed, won, fell_back)


def _close_one(
    session: Session,
    need_id: int,
    closes_at: datetime,
    *,
    policy: claims.ClaimPolicy,
    now: datetime,
) -> bool | None:
    """Close one window; True when a member won it, False when it fell back, None when another
    close got there first."""
    # The arbiter: exactly one close clears the window (the row stays locked until commit).
    cleared = session.exec(
        update(Need)
        .where(col(Need.id) == need_id, col(Need.window_closes_at) == closes_at)
        .values(window_closes_at=None)
    ).rowcount
    if cleared != 1:
        return None
    need = session.get_one(Need, need_id)
    session.refresh(need)
    # Lock order as a claim's: the household, then the members (id order) — so a concurrent
    # claim of another need of the household cannot deadlock with this draw.
    session.exec(
        select(Household.id).where(col(Household.id) == need.household_id).with_for_update()
    ).first()
    interested = list(
        session.exec(
            select(ClaimInterest.member_id)
            .where(ClaimInterest.need_id == need_id)
            .order_by(col(ClaimInterest.member_id))
        )
    )
    members = (
        list(
            session.exec(
                select(User)
                .where(col(User.id).in_(interested))
                .order_by(col(User.id))
                .with_for_update()
            )
        )
        if interested
        else []
    )
    for m in members:
        session.refresh(m)
    recent = _recent_claims(session, [m.id or 0 for m in members], now)
    refused = (
        need.status == NeedStatus.OPEN.value
        and policy.repeat_help_days > 0
        and refused_as_repeat_help(session, need, days=policy.repeat_help_days, now=now)
    )
    candidates: list[dict[str, Any]] = []
    excluded: list[dict[str, Any]] = []
    for m in members:
        band = band_of(m.community_code, need.community_code)
        reason = None
        if need.status != NeedStatus.OPEN.value:
            reason = "wish_not_open"
        elif m.role != Role.MEMBER or not m.active:
            reason = "not_member"
        elif m.open_claims >= policy.max_open:
            reason = "cap_reached"
        elif refused:
            reason = "recently_helped"
        if reason is not None:
            excluded.append({"member_id": m.id, "reason": reason, "band": band})
            continue
        n_recent = recent.get(m.id or 0, 0)
        candidates.append(
            {
                "member_id": m.id,
                "weight": weight_of(band, n_recent),
                "band": band,
                "recent_claims": n_recent,
            }
        )
    seed = seed_of(need_id, closes_at)
    winner_id = pick(seed, [(c["member_id"], c["weight"]) for c in candidates])
    claim: Claim | None = None
    if winner_id is not None:
        winner = next(m for m in members if m.id == winner_id)
        claim = claims.claim_wish(session, member=winner, wish_id=need_id, policy=policy, now=now)
    draw = ClaimDraw(
        need_id=need_id,
        closed_at=closes_at,
        seed=seed,
        candidates=candidates,
        excluded=excluded,
        winner_id=winner_id,
        claim_id=claim.id if claim is not None else None,
        drawn_at=now,
    )
    session.add(draw)
    session.flush()  # the unique need_id: never two draws of one wish
    title = public_title_of(session, need)
    for m in members:
        if claim is not None and m.id == winner_id:
            notify(
                session,
                m.id or 0,
                "draw_won",
                Message("notice.draw_won", {"title": title}),
                Ref("claim", claim.id or 0),
            )
        else:
            notify(
                session,
                m.id or 0,
                "draw_lost",
                Message("notice.draw_lost", {"title": title, "n": len(members)}),
                Ref("need", need_id),
            )
    audit.record(
        session,
        None,
        "claim.draw",
        draw,
        after={
            "need_id": need_id,
            "seed": seed,
            "candidates": len(candidates),
            "excluded": len(excluded),
            "winner_id": winner_id,
            "claim_id": draw.claim_id,
        },
        actor_label="system",
    )
    return winner_id is not None


def _recent_claims(session: Session, member_ids: list[int], now: datetime) -> dict[int, int]:
    """Claims each member made in the last ``RECENT_CLAIMS_DAYS`` (any outcome: giving a claim
    back does not make a member look new)."""
    if not member_ids:
        return {}
    since = now - timedelta(days=RECENT_CLAIMS_DAYS)
    rows = session.exec(
        select(Claim.member_id, func.count())
        .where(col(Claim.member_id).in_(member_ids), col(Claim.claimed_at) >= since)
        .group_by(col(Claim.member_id))
    ).all()
    return {int(m): int(n) for m, n in rows if m is not None}


# Verification (anyone with audit rights) -------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    need_id: int
    seed: str
    expected_seed: str  # recomputed from the wish and the recorded close time
    candidates: list[dict[str, Any]]
    excluded: list[dict[str, Any]]
    recorded_winner: int | None
    recomputed_winner: int | None
    claim_id: int | None
    closed_at: datetime
    drawn_at: datetime

    @property
    def ok(self) -> bool:
        return self.seed == self.expected_seed and self.recorded_winner == self.recomputed_winner

    def as_json(self) -> dict[str, Any]:
        return {
            "wish_id": self.need_id,
            "seed": self.seed,
            "seed_ok": self.seed == self.expected_seed,
            "closed_at": _utc(self.closed_at).isoformat(),
            "drawn_at": _utc(self.drawn_at).isoformat(),
            "candidates": self.candidates,
            "excluded": self.excluded,
            "recorded_winner": self.recorded_winner,
            "recomputed_winner": self.recomputed_winner,
            "claim_id": self.claim_id,
            "ok": self.ok,
        }


def draw_of(session: Session, need_id: int) -> ClaimDraw:
    draw = session.exec(select(ClaimDraw).where(ClaimDraw.need_id == need_id)).first()
    if draw is None:
        raise NotFound("draw.not_found")
    return draw


def verify(session: Session, need_id: int, *, actor: User | None = None) -> Verification:
    """Re-run a wish's draw from its recorded seed and candidates. ``actor``: checked for audit
    rights (the administrator, or hub staff of the wish's subtree); None for the CLI."""
    if actor is not None:
        if actor.role == Role.ADMIN:
            require_admin(actor)
        else:
            get_need_for_staff(session, need_id, actor)
    draw = draw_of(session, need_id)
    recomputed = pick(draw.seed, [(int(c["member_id"]), int(c["weight"])) for c in draw.candidates])
    return Verification(
        need_id=need_id,
        seed=draw.seed,
        expected_seed=seed_of(need_id, draw.closed_at),
        candidates=list(draw.candidates),
        excluded=list(draw.excluded or []),
        recorded_winner=draw.winner_id,
        recomputed_winner=recomputed,
        claim_id=draw.claim_id,
        closed_at=draw.closed_at,
        drawn_at=draw.drawn_at,
    )


# What members see ------------------------------------------------------------------------------


def set_home_community(session: Session, *, member: User, community_code: str) -> User:
    """常住社区 — the member's home community, which the draws' nearness weight reads (empty:
    none given, counted as elsewhere). Audited."""
    if member.role != Role.MEMBER:
        raise Forbidden("access.member_only")
    code = community_code.strip()
    if code and not (code.isdigit() and len(code) == 12):
        raise ValidationFailed({"community": "community.code_invalid"})
    if code and session.get(Region, code) is None:
        raise ValidationFailed({"community": "community.unknown"})
    before = member.community_code
    member.community_code = code or None
    session.add(member)
    session.flush()
    audit.record(
        session,
        member,
        "user.home_community",
        member,
        before={"community_code": before},
        after={"community_code": member.community_code},
    )
    return member


@dataclass(frozen=True)
class WindowState:
    """A wish's window as one member sees it (the wish page)."""

    closes_at: datetime
    registered: bool
    interested: int
    minutes_left: int  # rounded up: "X 分钟后抽签" (0: closed, the draw is due)

    @property
    def drawing(self) -> bool:
        """Closed, waiting for housekeeping's draw (within a minute)."""
        return self.minutes_left == 0


def window_state(
    session: Session, *, member: User, wish_id: int, now: datetime | None = None
) -> WindowState | None:
    """The wish's window (None: no window, or its draw has been held)."""
    now = now or utcnow()
    closes_at = session.exec(select(Need.window_closes_at).where(col(Need.id) == wish_id)).first()
    if closes_at is None:
        return None
    registered = _interest(session, wish_id, member.id or 0) is not None
    n = session.exec(
        select(func.count()).select_from(ClaimInterest).where(ClaimInterest.need_id == wish_id)
    ).one()
    left = (_utc(closes_at) - now).total_seconds()
    return WindowState(
        closes_at, registered, int(n), max(1, int(-(-left // 60))) if left > 0 else 0
    )


@dataclass(frozen=True)
class MemberDraw:
    """One wish a member registered for: waiting for its draw, won or not won."""

    need_id: int
    registered_at: datetime
    closes_at: datetime | None  # while waiting
    outcome: str  # "waiting" | "won" | "not_won"
    candidates: int
    weight: int | None  # the member's weight in the draw (None: excluded or waiting)
    total_weight: int
    claim_id: int | None


def draws_of_member(session: Session, *, member: User, limit: int = 50) -> list[MemberDraw]:
    """The member's registered interests, newest first, with their draws' results."""
    if member.role != Role.MEMBER:
        raise Forbidden("access.member_only")
    rows = session.exec(
        select(ClaimInterest, Need.window_closes_at, ClaimDraw)
        .join(Need, col(Need.id) == ClaimInterest.need_id)
        .outerjoin(ClaimDraw, col(ClaimDraw.need_id) == ClaimInterest.need_id)
        .where(ClaimInterest.member_id == member.id)
        .order_by(col(ClaimInterest.id).desc())
        .limit(limit)
    ).all()
    out = []
    for interest, closes_at, draw in rows:
        if draw is None:
            out.append(
                MemberDraw(
                    interest.need_id, interest.created_at, closes_at, "waiting", 0, None, 0, None
                )
            )
            continue
        mine = next((c for c in draw.candidates if c["member_id"] == member.id), None)
        won = draw.winner_id == member.id
        out.append(
            MemberDraw(
                interest.need_id,
                interest.created_at,
                None,
                "won" if won else "not_won",
                len(draw.candidates),
                int(mine["weight"]) if mine else None,
                sum(int(c["weight"]) for c in draw.candidates),
                draw.claim_id if won else None,
            )
        )
    return out
