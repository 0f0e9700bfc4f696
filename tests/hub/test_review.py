"""Hub review pages (hub/review.py): the needs list and its filters; duplicates and recent help
flagged, merged, kept or allowed (DESIGN §12)."""

from __future__ import annotations

from datetime import timedelta

from marketplace.models import Claim, Need, utcnow
from marketplace.services import repeat_help
from tests.factories import text


def test_needs_list_filters_by_status(as_role, two_areas):
    client = as_role("hub_staff")
    assert text(client.get("/hub/review")).count('id="need-') == 1  # pending review only
    assert text(client.get("/hub/review?status=all&sort=-id")).count('id="need-') == 2


def test_duplicates_are_flagged_merged_or_kept(as_role, users, make_household, make_need, db):
    """DESIGN §12: two identical wishes of one household are flagged in the review queue and on
    the household page; merging closes one as a duplicate; keeping both needs a note."""
    staff = users["hub_staff"]
    home = make_household(staff)
    first = make_need(staff, home, item="09-01", title="春节想要一份慰问品", publish=False)
    second = make_need(staff, home, item="09-01", title="春节想要一份慰问品", publish=False)
    third = make_need(staff, home, item="09-01", title="春节想要慰问品", publish=False)
    client = as_role("hub_staff")
    page = text(client.get("/hub/review"))
    assert page.count('data-flag="duplicate"') == 3
    assert f'name="into" value="{second.id}"' in page
    assert 'data-flag="duplicate"' in text(client.get(f"/hub/households/{home.id}"))
    response = client.post(
        f"/hub/needs/{second.id}/merge", data={"into": first.id, "note": "同一份"}
    )
    assert response.status_code == 302
    refused = client.post(f"/hub/needs/{third.id}/keep", data={"other": first.id, "note": ""})
    assert refused.status_code == 422
    kept = client.post(f"/hub/needs/{third.id}/keep", data={"other": first.id, "note": "两份"})
    assert kept.status_code == 302
    with db() as s:
        closed = s.get(Need, second.id)
        assert closed.status == "cancelled"
        assert closed.close_reason == f"与需求 #{first.id} 重复 — 同一份"
    assert 'data-flag="duplicate"' not in text(client.get("/hub/review"))


def test_recent_help_is_flagged_and_allowed_with_a_reason(
    as_role, users, make_household, make_need, db
):
    staff = users["hub_staff"]
    home = make_household(staff)
    given = make_need(staff, home, item="07-02", title="电饭煲")
    again = make_need(staff, home, item="07-02", title="想要电饭锅", publish=False)
    with db() as s:
        s.add(
            Claim(
                need_id=given.id,
                member_id=users["member"].id,
                claimed_at=utcnow(),
                due_at=utcnow() + timedelta(days=7),
            )
        )
        s.get(Need, given.id).status = "claimed"
    client = as_role("hub_staff")
    assert 'data-flag="recently-helped"' in text(client.get("/hub/review"))
    assert (
        client.post(f"/hub/needs/{again.id}/allow-repeat", data={"reason": ""}).status_code == 302
    )
    with db() as s:
        assert not repeat_help.allowed(s, again.id)
    response = client.post(f"/hub/needs/{again.id}/allow-repeat", data={"reason": "旧的坏了"})
    assert response.status_code == 302
    with db() as s:
        assert repeat_help.allowed(s, again.id)
    assert 'data-flag="recently-helped"' not in text(client.get("/hub/review"))
