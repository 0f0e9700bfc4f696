"""JSON shapes of the API. Staff shapes carry personal data; member-facing ones never do."""

from __future__ import annotations

from typing import Any

from marketplace.models import (
    Claim,
    Household,
    HouseholdScore,
    MatchRound,
    Need,
    Offer,
    Organisation,
    Proposal,
    risk_level,
)
from marketplace.services.accounts import TokenInfo
from marketplace.services.privacy import scrub_text


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _scrubbed(text: str | None) -> str | None:
    """Text one party wrote and another reads (DESIGN §6)."""
    return scrub_text(text) if text else text


def household_full(h: Household) -> dict[str, Any]:
    return {
        "id": h.id,
        "name": h.name,
        "id_number": h.id_number,
        "phone": h.phone,
        "address": h.address,
        "community_code": h.community_code,
        "hardship_type": h.hardship_type,
        "risk_score": h.risk_score,
        "risk_level": h.risk_level,
        "members": h.members,
        "tags": h.tags,
        "source": h.source,
        "profile": h.profile,  # {} for a household registered before profiles
        "happiness_url": f"/h/{h.token}",
        "created_at": _iso(h.created_at),
        "stage": h.stage,  # 一户一档 lifecycle (services/casefile.py)
        "gradual_exit_until": _iso(h.gradual_exit_until),
    }


def score(s: HouseholdScore) -> dict[str, Any]:
    """抗风险能力赋分: the contributions' points add up to the score (the base is one of them)."""
    return {
        "household_id": s.household_id,
        "score": s.score,
        "level": risk_level(s.score),
        "model_version": s.model_version,
        "computed_at": _iso(s.computed_at),
        "reason": s.reason,
        "contributions": [
            {"indicator": c["indicator"], "points": c["points"], "why": c["why"]}
            for c in s.contributions
        ],
    }


def household_summary(h: Household) -> dict[str, Any]:
    return {
        "id": h.id,
        "name": h.name,
        "community_code": h.community_code,
        "risk_level": h.risk_level,
        "hardship_type": h.hardship_type,
    }


def need_staff(n: Need) -> dict[str, Any]:
    return {
        "id": n.id,
        "household_id": n.household_id,
        "kind": n.kind,
        "item": n.item_code,
        "title": n.title,
        "description": n.description,
        "public_text": n.public_text,
        "value_yuan": str(n.value_yuan),
        "deadline": _iso(n.deadline),
        "status": n.status,
        "community_code": n.community_code,
        "created_at": _iso(n.created_at),
        "published_at": _iso(n.published_at),
        "window_closes_at": _iso(n.window_closes_at),
    }


def claim(c: Claim) -> dict[str, Any]:
    return {
        "id": c.id,
        "need_id": c.need_id,
        "wish_id": c.need_id,
        "status": c.status,
        "claimed_at": _iso(c.claimed_at),
        "due_at": _iso(c.due_at),
        "delivered_at": _iso(c.delivered_at),
        # Stored scrubbed with the household's names (services/claims.py); scrubbed again here
        # for rows written before that.
        "delivery_note": _scrubbed(c.delivery_note),
        "has_photo": bool(c.photo_path),
        "confirmed_at": _iso(c.confirmed_at),
        "reject_reason": _scrubbed(c.reject_reason),
        "offer_id": c.offer_id,
        "declared_hours": float(c.declared_hours) if c.declared_hours is not None else None,
    }


def org(o: Organisation) -> dict[str, Any]:
    return {
        "id": o.id,
        "name": o.name,
        "type": o.type,
        "credit_code": o.credit_code,
        "status": o.status,
        "vetted_at": _iso(o.vetted_at),
    }


def offer(o: Offer, *, live: bool) -> dict[str, Any]:
    return {
        "id": o.id,
        "org_id": o.org_id,
        "title": o.title,
        "description": o.description,
        "items": o.items,
        "regions": o.regions,
        "lat": o.lat,
        "lon": o.lon,
        "radius_km": o.radius_km,
        "capacity": o.capacity,
        "remaining": o.remaining,
        "unit": o.unit,
        "start": _iso(o.start),
        "end": _iso(o.end),
        "hardship": o.hardship,
        "status": o.status,
        "live": live,
        "project_id": o.project_id,
    }


def match_round(r: MatchRound) -> dict[str, Any]:
    return {
        "id": r.id,
        "scope": r.scope_code,
        "status": r.status,
        "progress": r.progress,
        "message": r.message,
        "statistics": r.stats,
        "created_at": _iso(r.created_at),
        "finished_at": _iso(r.finished_at),
    }


def proposal(p: Proposal) -> dict[str, Any]:
    return {
        "id": p.id,
        "round_id": p.round_id,
        "need_id": p.need_id,
        "offer_id": p.offer_id,
        "distance_km": p.distance_km,
        "reasons": p.reasons,
        "status": p.status,
        "decision_reason": _scrubbed(p.decision_reason),
    }


def api_token(t: TokenInfo) -> dict[str, Any]:
    return {
        "id": t.id,
        "created_at": _iso(t.created_at),
        "expires_at": _iso(t.expires_at),
        "last_used_at": _iso(t.last_used_at),
        "current": t.current,
    }
