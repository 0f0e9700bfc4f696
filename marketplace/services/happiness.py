"""幸福码 / 幸福清单 — a household's own read-only list of help received and pending.

The page has no login: the opaque token in its URL is the credential, so the page holds no personal
data (titles are the public, scrubbed ones), the token is kept out of the access logs
(``marketplace/household/access_log.py``), and staff can reissue it when a card is lost or shared.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlmodel import Session, col, select

from marketplace.models import Claim, Household, Need, NeedStatus, TaxonomyItem, User
from marketplace.services import audit
from marketplace.services.access import get_household_for_staff
from marketplace.services.errors import NotFound
from marketplace.services.privacy import mask_name
from marketplace.services.wishes import public_title

VISIBLE = (
    NeedStatus.OPEN.value,
    NeedStatus.CLAIMED.value,
    NeedStatus.MATCHED.value,
    NeedStatus.DELIVERED.value,
    NeedStatus.CONFIRMED.value,
)


def household_by_token(session: Session, token: str) -> Household:
    if not token or len(token) > 64:
        raise NotFound()
    household = session.exec(select(Household).where(Household.token == token)).first()
    if household is None:
        raise NotFound()
    return household


def happiness_list(session: Session, token: str) -> dict[str, Any]:
    """The household sees its own needs (what was published) and who is helping; no one else's."""
    household = household_by_token(session, token)
    needs = list(
        session.exec(
            select(Need)
            .where(Need.household_id == household.id, col(Need.status).in_(VISIBLE))
            .order_by(col(Need.id).desc())
        )
    )
    ids = [n.id for n in needs]
    claims = {
        c.need_id: c
        for c in session.exec(
            select(Claim).where(col(Claim.need_id).in_(ids)).order_by(col(Claim.id))
        )
        if c.status in ("active", "delivered", "confirmed")
    }
    items = {i.code: i for i in session.exec(select(TaxonomyItem))}
    entries = []
    for n in needs:
        c = claims.get(n.id or 0)
        entries.append(
            {
                "need_id": n.id,
                "title": public_title(n, household.name),
                "item": n.item_code,
                "item_name": items[n.item_code].name_zh if n.item_code in items else n.item_code,
                "status": n.status,
                "claim_id": c.id if c else None,
                "delivered_at": c.delivered_at.isoformat() if c and c.delivered_at else None,
                "confirmed_at": c.confirmed_at.isoformat() if c and c.confirmed_at else None,
                "acknowledged": bool(c and c.acknowledged_at),
            }
        )
    return {
        "household": mask_name(household.name),
        "received": [e for e in entries if e["status"] in ("confirmed", "delivered")],
        "pending": [e for e in entries if e["status"] not in ("confirmed", "delivered")],
    }


def new_token() -> str:
    """192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def reissue_token(session: Session, *, actor: User, household_id: int) -> Household:
    """Hub staff give a household a new 幸福码; the old link answers 404 from now on."""
    household = get_household_for_staff(session, household_id, actor)
    household.token = new_token()
    session.add(household)
    session.flush()
    audit.record(session, actor, "household.reissue_code", household)
    return household
