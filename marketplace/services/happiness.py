"""幸福码 / 幸福清单 — a household's own read-only list of help received and pending.

The page has no login: the opaque token in its URL is the credential, so the page holds no personal
data (titles are the public, scrubbed ones), the token is kept out of the access logs
(``marketplace/household/access_log.py``), and staff can reissue it when a card is lost or shared.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from marketplace.models import Claim, Household, Need, NeedStatus, TaxonomyItem, User
from marketplace.services import audit
from marketplace.services.access import get_household_for_staff
from marketplace.services.clock import beijing_date
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
RECEIVED = (NeedStatus.DELIVERED.value, NeedStatus.CONFIRMED.value)
ON_THE_WAY = (NeedStatus.CLAIMED.value, NeedStatus.MATCHED.value)


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
        item = items.get(n.item_code)
        entries.append(
            {
                "need_id": n.id,
                "title": public_title(n, household.name),
                "item": n.item_code,
                "item_name": item.name_zh if item else n.item_code,
                "item_name_en": item.name_en if item else n.item_code,
                "status": n.status,
                "claim_id": c.id if c else None,
                "delivered_at": _utc_iso(c.delivered_at) if c else None,
                "delivered_on": _beijing_day(c.delivered_at) if c else None,
                "confirmed_at": _utc_iso(c.confirmed_at) if c else None,
                "acknowledged": bool(c and c.acknowledged_at),
            }
        )
    # 正在路上 (on the way): a helper has it (claimed, matched to an offer). A published need no
    # helper has taken yet is "waiting", never "on the way".
    on_the_way = [e for e in entries if e["status"] in ON_THE_WAY]
    waiting = [e for e in entries if e["status"] == NeedStatus.OPEN.value]
    return {
        "household": mask_name(household.name),
        "received": [e for e in entries if e["status"] in RECEIVED],
        "on_the_way": on_the_way,
        "waiting": waiting,
        "pending": on_the_way + waiting,  # both, as the API has always answered
    }


def _utc_iso(value: datetime | None) -> str | None:
    """A stored moment as ISO 8601 with its UTC offset (SQLite hands back naive UTC)."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _beijing_day(value: datetime | None) -> str | None:
    """The Beijing calendar day of a stored moment: 05:18 in Beijing on 12-02 is 12-02."""
    return beijing_date(value).isoformat() if value is not None else None


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
