"""Every page renders for its role and is refused to the others (web/access.py role_required)."""

from __future__ import annotations

import pytest

from tests.factories import text

ROLE_PAGES = {
    "hub_staff": [
        "/hub/",
        "/hub/households",
        "/hub/households/new",
        "/hub/review",
        "/hub/deliveries",
    ],
    "member": ["/member/", "/member/claims"],
    "org": ["/org/", "/org/offers/new", "/org/assignments"],
    "admin": ["/admin/", "/admin/users", "/admin/audit"],
}


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_pages_render_for_their_role(as_role, role):
    client = as_role(role)
    for url in ROLE_PAGES[role]:
        response = client.get(url)
        assert response.status_code == 200, (url, text(response)[:300])
        assert 'style="' not in text(response) and "<script>" not in text(response)
    assert client.get("/notifications").status_code == 200


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_other_roles_are_refused(as_role, role):
    client = as_role(role)
    for other, urls in ROLE_PAGES.items():
        if other == role:
            continue
        for url in urls:
            assert client.get(url).status_code == 403, (role, url)


def test_anonymous_is_sent_to_login(client):
    for urls in ROLE_PAGES.values():
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302
            assert "/auth/login" in response.headers["Location"]
    assert client.get("/notifications").status_code == 302
