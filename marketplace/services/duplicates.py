"""Duplicate and similar open needs of one household (DESIGN §12, no double help): flagged for
hub staff in the review queue and on the household page; staff merge them (one closes as a
duplicate of the other) or keep both with a note.

Detection has one home, ``households.possible_duplicates`` (the API's create answer uses it too);
this module adds the staff decisions. A decision is an audit entry — the log is append-only, so
what was decided, by whom and why stays readable — and a pair kept with a note is not flagged
again.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from marketplace.models import AuditLog, Need, User
from marketplace.services import audit, households
from marketplace.services.access import get_need_for_staff
from marketplace.services.errors import Conflict, ValidationFailed
from marketplace.services.messages import Message

__all__ = ["KEEP_ACTION", "MERGE_ACTION", "flags", "keep_both", "kept_pairs", "merge"]

KEEP_ACTION = "need.duplicate_keep"
MERGE_ACTION = "need.duplicate_merge"
NOTE_MAX = 500


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def kept_pairs(session: Session, need_ids: Iterable[int]) -> set[tuple[int, int]]:
    """The pairs (smaller id first) among these needs' flags that staff chose to keep."""
    ids = [str(i) for i in need_ids]
    if not ids:
        return set()
    out: set[tuple[int, int]] = set()
    for object_id, after in session.exec(
        select(AuditLog.object_id, AuditLog.after).where(
            AuditLog.action == KEEP_ACTION,
            AuditLog.object_type == "need",
            col(AuditLog.object_id).in_(ids),
        )
    ):
        other = (after or {}).get("other")
        if isinstance(other, int):
            out.add(_pair(int(object_id), other))
    return out


def flags(session: Session, need_ids: list[int]) -> dict[int, list[int]]:
    """For each given need, the other open needs of its household that look like the same need
    (``households.possible_duplicates``), without the pairs staff kept."""
    found = households.possible_duplicates(session, need_ids)
    if not found:
        return {}
    # a pair is kept by an entry on either of its needs
    kept = kept_pairs(session, {i for need_id, others in found.items() for i in (need_id, *others)})
    out: dict[int, list[int]] = {}
    for need_id, others in found.items():
        left = [o for o in others if _pair(need_id, o) not in kept]
        if left:
            out[need_id] = left
    return out


def _flagged_pair(session: Session, actor: User, need_id: int, other_id: int) -> tuple[Need, Need]:
    """Both needs in the actor's area (else not found), and flagged as a pair now."""
    need = get_need_for_staff(session, need_id, actor)
    other = get_need_for_staff(session, other_id, actor)
    if other_id not in flags(session, [need_id]).get(need_id, []):
        raise Conflict(Message("need.not_duplicate", {"id": need_id, "other": other_id}))
    return need, other


def merge(session: Session, *, actor: User, need_id: int, into_id: int, reason: str) -> Need:
    """Close ``need_id`` as a duplicate of ``into_id`` (cancelled with ``reason``, which the web
    layer words, e.g. "重复，见需求 #12"); the other need stays as it is. Audited."""
    if not reason.strip():
        raise ValidationFailed({"reason": "reason.required"})
    _flagged_pair(session, actor, need_id, into_id)
    need = households.cancel_need(session, actor=actor, need_id=need_id, reason=reason)
    audit.record(session, actor, MERGE_ACTION, need, after={"into": into_id})
    return need


def keep_both(session: Session, *, actor: User, need_id: int, other_id: int, note: str) -> None:
    """Staff keep both needs (e.g. two rice cookers for two flats): a note is required, and the
    pair is not flagged again. Audited."""
    note = note.strip()
    if not note:
        raise ValidationFailed({"note": "duplicate.note_required"})
    if len(note) > NOTE_MAX:
        raise ValidationFailed({"note": Message("field.too_long", {"max": NOTE_MAX})})
    need, _other = _flagged_pair(session, actor, need_id, other_id)
    audit.record(session, actor, KEEP_ACTION, need, after={"other": other_id, "note": note})
