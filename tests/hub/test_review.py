"""Hub review pages (hub/review.py): the needs list and its filters."""

from __future__ import annotations

from tests.factories import text


def test_needs_list_filters_by_status(as_role, two_areas):
    client = as_role("hub_staff")
    assert text(client.get("/hub/review")).count('id="need-') == 1  # pending review only
    assert text(client.get("/hub/review?status=all&sort=-id")).count('id="need-') == 2
