"""Administrator pages: users, exports, the audit log. (The account management pages are tested
in tests/web/test_accounts.py.)"""

from __future__ import annotations

from marketplace.models import User
from tests.factories import text, xlsx_rows


def test_admin_disables_a_user_and_reads_the_audit_log(as_role, users, db):
    admin = as_role("admin")
    admin.post(f"/admin/users/{users['member'].id}/active", data={"active": "0"})
    with db() as s:
        assert s.get(User, users["member"].id).active is False
    audit = text(admin.get("/admin/audit?action=user.disable&lang=en"))
    assert 'value="user.disable" selected' in audit
    assert 'Action">Account disabled</td>' in audit  # the action in words, not its code
    assert ">Account created</td>" not in audit


def test_admin_exports_and_lists(as_role, two_areas):
    client = as_role("admin")
    for url in ("/admin/users.xlsx", "/admin/audit.xlsx", "/staff/offers.xlsx"):
        assert len(xlsx_rows(client.get(url))) >= 1, url
    page = text(client.get("/admin/users?sort=username"))
    assert 'aria-sort="ascending"' in page
    assert client.get("/staff/offers").status_code == 200
    assert client.get("/admin/audit?sort=-at&page=2").status_code == 200


def test_audit_log_reads_in_words(as_role, two_areas):
    """Actions, objects and the kept fields are named by the pages' vocabulary, not as codes."""
    client = as_role("admin")
    page = text(client.get("/admin/audit?lang=en"))
    assert '">Household registered</td>' in page and ">household.create<" not in page
    assert "Hardship type: Basic guarantee" in page and '"hardship_type"' not in page
    assert '<option value="household.create">Household registered</option>' in page
    rows = xlsx_rows(client.get("/admin/audit.xlsx?lang=en"))
    assert "Household registered" in {r[3] for r in rows[1:]}
