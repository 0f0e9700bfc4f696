"""The household's own 幸福清单 page behind its 幸福码 (household/routes.py); its flow with a
claim is in tests/member/test_routes.py, its attacks in tests/security/test_happiness_code.py."""

from __future__ import annotations

from tests.factories import text


def test_unknown_happiness_token_is_404(client):
    response = client.get("/h/not-a-token")
    assert response.status_code == 404
    assert "找不到" in text(response)
