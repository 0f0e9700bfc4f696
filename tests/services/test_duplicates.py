"""Duplicate and similar open needs (services/duplicates.py): flagged from the one detection
(``households.possible_duplicates``), merged (one closed as a duplicate of the other) or kept
with a note, after which the pair is no longer flagged; both decisions audited and scoped."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace.models import AuditLog, Need, Role, User
from marketplace.services import duplicates
from marketplace.services.errors import Conflict, NotFound, ValidationFailed
from marketplace.services.messages import Message


@pytest.fixture
def family(make_user, make_household, make_need):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    home = make_household(staff)
    other_home = make_household(staff)
    return {
        "staff": staff,
        "first": make_need(staff, home, item="09-01", title="春节想要一份慰问品", description=""),
        "second": make_need(staff, home, item="09-01", title="春节想要一份慰问品", description=""),
        "similar": make_need(
            staff, home, item="07-02", title="想要一个电饭煲", description="", publish=False
        ),
        "similar_text": make_need(
            staff, home, item="07-03", title="想要一个电饭煲。", description=""
        ),
        "neighbour": make_need(
            staff, other_home, item="09-01", title="春节想要一份慰问品", description=""
        ),
    }


def _ids(family, *names):
    return [family[n].id for n in names]


def test_same_item_and_similar_text_are_flagged_within_the_household(db, family):
    first, second, similar, similar_text, neighbour = _ids(
        family, "first", "second", "similar", "similar_text", "neighbour"
    )
    with db() as s:
        flags = duplicates.flags(s, [first, similar, neighbour])
    assert flags == {first: [second], similar: [similar_text]}


def test_merge_closes_one_as_a_duplicate_of_the_other(db, family):
    first, second = _ids(family, "first", "second")
    with db() as s:
        staff = s.get(User, family["staff"].id)
        with pytest.raises(ValidationFailed):
            duplicates.merge(s, actor=staff, need_id=second, into_id=first, reason=" ")
        duplicates.merge(s, actor=staff, need_id=second, into_id=first, reason="重复，见需求 #1")
    with db() as s:
        closed = s.get(Need, second)
        assert closed.status == "cancelled" and closed.close_reason == "重复，见需求 #1"
        assert s.get(Need, first).status == "open"
        assert duplicates.flags(s, [first]) == {}
        entry = s.exec(select(AuditLog).where(AuditLog.action == duplicates.MERGE_ACTION)).one()
        assert (entry.object_id, entry.after) == (str(second), {"into": first})


def test_keep_both_needs_a_note_and_unflags_the_pair(db, family):
    first, second = _ids(family, "first", "second")
    with db() as s:
        staff = s.get(User, family["staff"].id)
        with pytest.raises(ValidationFailed) as caught:
            duplicates.keep_both(s, actor=staff, need_id=first, other_id=second, note="  ")
        assert caught.value.errors == {"note": Message("duplicate.note_required")}
        with pytest.raises(ValidationFailed):
            duplicates.keep_both(s, actor=staff, need_id=first, other_id=second, note="x" * 501)
        duplicates.keep_both(s, actor=staff, need_id=first, other_id=second, note="两位老人各一份")
    with db() as s:
        assert duplicates.flags(s, [first, second]) == {}
        assert duplicates.kept_pairs(s, [second, first]) == {(first, second)}
        staff = s.get(User, family["staff"].id)
        # no longer a flagged pair: merging it now is refused
        with pytest.raises(Conflict):
            duplicates.merge(s, actor=staff, need_id=second, into_id=first, reason="重复")


def test_pairs_that_are_not_flagged_and_other_areas_are_refused(db, family, make_user):
    first, neighbour = _ids(family, "first", "neighbour")
    stranger = make_user(Role.HUB_STAFF, hub="330106")
    with db() as s:
        staff = s.get(User, family["staff"].id)
        with pytest.raises(Conflict) as caught:
            duplicates.merge(s, actor=staff, need_id=neighbour, into_id=first, reason="重复")
        assert caught.value.message == Message(
            "need.not_duplicate", {"id": neighbour, "other": first}
        )
        with pytest.raises(NotFound):
            duplicates.keep_both(
                s, actor=s.get(User, stranger.id), need_id=first, other_id=neighbour, note="n"
            )
    with db() as s:
        assert s.get(Need, neighbour).status == "open"
