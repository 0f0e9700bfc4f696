"""The 爱心积分 leaderboard pages (issue 16 item 4): members' (linked from their nav, with the
name opt-in also on the records page) and organisations' (a Party organisation sees its
branches' board)."""

from __future__ import annotations

from sqlmodel import select

from marketplace.models import AuditLog, Role, User
from marketplace.services import branches
from tests.factories import confirm, delivered_claim, text


def _board(html: str, board_id: str) -> str:
    """The table of one board."""
    start = html.index(f'id="{board_id}"')
    return html[start : html.index("</table>", start)]


def _party_member(db, party, member, name="一支部"):
    with db() as s:
        branch = branches.create_branch(s, actor=s.get(User, party.id), name=name)
        row = s.get(User, member.id)
        row.branch_id, row.display_name = branch.id, "王小明"
        return branch


def test_member_sees_the_boards_masked_until_they_opt_in(
    app, client, login_as, db, users, make_org, make_user
):
    party = make_user(Role.ORG, org_id=make_org(type="party_org").id)
    member = users["member"]
    _party_member(db, party, member)
    claim = delivered_claim(app, users["hub_staff"], member, hours="2")
    confirm(app, users["hub_staff"], claim.need_id)
    web = login_as(member)
    assert 'href="/member/leaderboard"' in web.get("/member/").get_data(as_text=True)
    page = web.get("/member/leaderboard")
    assert page.status_code == 200
    board = _board(page.get_data(as_text=True), "board-members")
    assert "王*" in board and "王小明" not in board and "一支部" in text(page)
    assert 'data-total="points">30<' in page.get_data(as_text=True)
    r = web.post("/member/leaderboard/name", data={"show_name": "1", "next": "records"})
    assert r.status_code in (302, 303) and r.headers["Location"].endswith("/member/records")
    shown = _board(
        web.get("/member/leaderboard?period=all").get_data(as_text=True), "board-members"
    )
    assert "王小明" in shown and "王*" not in shown
    records = web.get("/member/records").get_data(as_text=True)
    assert 'name="show_name" value="1" checked' in records
    web.post("/member/leaderboard/name", data={})
    with db() as s:
        assert s.get(User, member.id).show_name_on_boards is False
        assert (
            len(s.exec(select(AuditLog).where(AuditLog.action == "user.show_name_on_boards")).all())
            == 2
        )
    # an unknown period falls back to this month
    assert web.get("/member/leaderboard?period=week").status_code == 200


def test_party_organisation_sees_its_branches_board(
    app, client, login_as, db, users, make_org, make_user
):
    party = make_user(Role.ORG, org_id=make_org(type="party_org").id)
    _party_member(db, party, users["member"], name="社区党支部")
    claim = delivered_claim(app, users["hub_staff"], users["member"], hours="1")
    confirm(app, users["hub_staff"], claim.need_id)
    web = login_as(party)
    assert 'href="/org/leaderboard"' in web.get("/org/projects").get_data(as_text=True)
    page = web.get("/org/leaderboard?period=year")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="board-branches"' in body and "社区党支部" in body
    assert 'data-total="points">25<' in body  # 10 + 1 h × 5 + 10 (level-1 household)
    web.get("/auth/logout")
    ngo = login_as(users["org"]).get("/org/leaderboard").get_data(as_text=True)
    assert 'id="board-branches"' not in ngo and 'id="board-orgs"' in ngo
