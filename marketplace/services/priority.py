"""需求优先级 — a need's priority (DESIGN §5): from its household's risk level, raised one step for
急难型 needs and for households with an open important warning. Stored on the need so the pool and
the rounds read it from an index; refreshed here whenever one of its inputs changes.

Reserved: filled in by the priority work (issue 13). Callers (rescoring, warnings opened or
closed) already call ``refresh_households``.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session


def refresh_households(session: Session, household_ids: Iterable[int]) -> None:
    """Recompute the stored priority of the open needs of these households (no-op until the
    stored priority exists)."""
    del session, household_ids
