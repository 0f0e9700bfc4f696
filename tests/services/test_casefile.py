"""一户一档 (services/casefile.py): edits with their audit entries and history, the lifecycle,
anonymisation after retention, attachments."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import String, Text, inspect
from sqlmodel import col, func, select

from marketplace.models import (
    AuditLog,
    Claim,
    Feedback,
    Household,
    HouseholdAttachment,
    MonitoringEvent,
    Need,
    NeedStatus,
    Notification,
    Offer,
    Pairing,
    Proposal,
    Role,
    User,
    Visit,
    VisitSchedule,
    utcnow,
)
from marketplace.schemas import NeedIn
from marketplace.services import (
    casefile,
    claims,
    clock,
    happiness,
    households,
    pairings,
    schedules,
    visits,
)
from marketplace.services.errors import Conflict, Gone, NotFound, ValidationFailed
from marketplace.uploads import sanitise_attachment
from tests.factories import OTHER_DISTRICT_COMMUNITY, jpeg_bytes, valid_id_number


def _staff(s: Any, user: User) -> User:
    return s.get_one(User, user.id)


def _entries(s: Any, action: str, object_id: int) -> list[AuditLog]:
    return list(
        s.exec(
            select(AuditLog)
            .where(AuditLog.action == action, AuditLog.object_id == str(object_id))
            .order_by(col(AuditLog.id))
        )
    )


# -- households ---------------------------------------------------------------------------------


def test_edit_household_audits_each_changed_field_masked(db, users, make_household):
    h = make_household(users["hub_staff"], phone="13812345678", address="解放路100号3幢201室")
    new_id = valid_id_number(991)
    with db() as s:
        casefile.edit_household(
            s,
            actor=_staff(s, users["hub_staff"]),
            household_id=h.id,
            changes={"phone": "13987654321", "id_number": new_id, "address": "庆春路8号"},
        )
    with db() as s:
        row = s.get_one(Household, h.id)
        assert (row.phone, row.id_number, row.address) == ("13987654321", new_id, "庆春路8号")
        assert row.id_tail == new_id[-4:]
        (entry,) = _entries(s, "household.edit", h.id)
        assert entry.before == {
            "phone": "138****5678",
            "id_number": h.id_number[:6] + "********" + h.id_number[-4:],
            "address": "解放路****",
        }
        assert entry.after["phone"] == "139****4321"
        assert entry.actor_id == users["hub_staff"].id
        # the log never holds the values whole
        text = str(entry.before) + str(entry.after)
        assert "13812345678" not in text and new_id not in text


def test_edit_household_rechecks_the_id_number_and_duplicates(db, users, make_household):
    a = make_household(users["hub_staff"])
    b = make_household(users["hub_staff"])
    bad = a.id_number[:-1] + ("0" if a.id_number[-1] != "0" else "1")
    with db() as s:
        staff = _staff(s, users["hub_staff"])
        with pytest.raises(ValidationFailed) as exc:
            casefile.edit_household(s, actor=staff, household_id=b.id, changes={"id_number": bad})
        assert "id_number" in exc.value.errors
        with pytest.raises(Conflict) as dup:
            casefile.edit_household(
                s, actor=staff, household_id=b.id, changes={"id_number": a.id_number}
            )
        assert "id_number" in dup.value.errors
        with pytest.raises(ValidationFailed) as unknown:
            casefile.edit_household(s, actor=staff, household_id=b.id, changes={"risk_score": 1})
        assert "risk_score" in unknown.value.errors
        # its own number is no duplicate: nothing changes, nothing is audited
        casefile.edit_household(
            s, actor=staff, household_id=b.id, changes={"id_number": b.id_number}
        )
    with db() as s:
        assert s.get_one(Household, b.id).id_number == b.id_number
        assert _entries(s, "household.edit", b.id) == []


def test_edit_household_out_of_scope_is_not_found(db, users, make_user, make_household):
    other = make_user(Role.HUB_STAFF, hub="330106")
    theirs = make_household(other, community_code=OTHER_DISTRICT_COMMUNITY)
    with db() as s, pytest.raises(NotFound):
        casefile.edit_household(
            s, actor=_staff(s, users["hub_staff"]), household_id=theirs.id, changes={"name": "x"}
        )


def test_members_change_goes_through_the_profile(db, users, make_household):
    h = make_household(users["hub_staff"], members=2)
    with db() as s:
        casefile.edit_household(
            s, actor=_staff(s, users["hub_staff"]), household_id=h.id, changes={"members": 3}
        )
    with db() as s:
        assert s.get_one(Household, h.id).members == 3
        (entry,) = _entries(s, "household.profile", h.id)
        assert entry.after == {"changes": {"members": [2, 3]}}


# -- needs --------------------------------------------------------------------------------------


def test_need_is_editable_before_it_is_claimed(db, users, make_household, make_need):
    h = make_household(users["hub_staff"], name="王小明")
    need = make_need(users["hub_staff"], h)
    with db() as s:
        casefile.edit_need(
            s,
            actor=_staff(s, users["hub_staff"]),
            need_id=need.id,
            changes={"value_yuan": "350", "item": "07-01", "description": "王小明 电话13900001111"},
        )
    with db() as s:
        row = s.get_one(Need, need.id)
        assert row.value_yuan == Decimal("350.00") and row.item_code == "07-01"
        # the public version is made again, scrubbed
        assert "13900001111" not in row.public_text and "王小明" not in row.public_text
        (entry,) = _entries(s, "need.edit", need.id)
        assert entry.before["value_yuan"] == "200.00" and entry.after["item"] == "07-01"
        assert "13900001111" not in str(entry.after)  # texts are kept scrubbed


def test_claimed_need_keeps_its_deal(db, users, make_household, make_need):
    h = make_household(users["hub_staff"])
    need = make_need(users["hub_staff"], h)
    with db() as s:
        claims.claim_wish(
            s,
            member=s.get_one(User, users["member"].id),
            wish_id=need.id,
            policy=claims.ClaimPolicy(),
        )
    with db() as s:
        staff = _staff(s, users["hub_staff"])
        for changes in ({"value_yuan": 999}, {"item": "07-01"}, {"deadline": None}):
            with pytest.raises(Conflict) as exc:
                casefile.edit_need(s, actor=staff, need_id=need.id, changes=changes)
            assert exc.value.message.code == "need.locked"
            assert set(exc.value.errors) == set(changes)
        casefile.edit_need(
            s, actor=staff, need_id=need.id, changes={"public_title": "一个电饭煲（已更正）"}
        )
    with db() as s:
        row = s.get_one(Need, need.id)
        assert row.public_title == "一个电饭煲（已更正）" and row.value_yuan == Decimal("200.00")
        assert len(_entries(s, "need.edit", need.id)) == 1


def test_proposed_need_keeps_its_deal(db, users, make_household, make_need, make_offer):
    from marketplace.models import MatchRound

    h = make_household(users["hub_staff"])
    need = make_need(users["hub_staff"], h)
    offer = make_offer(users["org"])
    with db() as s:
        r = MatchRound(started_by=users["hub_staff"].id)
        s.add(r)
        s.flush()
        s.add(Proposal(round_id=r.id, need_id=need.id, offer_id=offer.id, distance_km=1.0))
    with db() as s, pytest.raises(Conflict) as exc:
        casefile.edit_need(
            s, actor=_staff(s, users["hub_staff"]), need_id=need.id, changes={"kind": "service"}
        )
    assert "kind" in exc.value.errors


def test_need_edit_refuses_bad_values_and_closed_needs(db, users, make_household, make_need):
    h = make_household(users["hub_staff"])
    need = make_need(users["hub_staff"], h)
    with db() as s:
        staff = _staff(s, users["hub_staff"])
        with pytest.raises(ValidationFailed) as exc:
            casefile.edit_need(
                s,
                actor=staff,
                need_id=need.id,
                changes={"deadline": date.today() - timedelta(days=3)},
            )
        assert "deadline" in exc.value.errors
        with pytest.raises(ValidationFailed) as exc:
            casefile.edit_need(s, actor=staff, need_id=need.id, changes={"title": ""})
        assert "title" in exc.value.errors
    with db() as s:
        s.get_one(Need, need.id).status = NeedStatus.CANCELLED.value
    with db() as s, pytest.raises(Conflict):
        casefile.edit_need(
            s, actor=_staff(s, users["hub_staff"]), need_id=need.id, changes={"title": "x"}
        )


# -- offers -------------------------------------------------------------------------------------


def test_offer_capacity_never_below_taken(db, users, make_offer):
    offer = make_offer(users["org"], capacity=5)
    with db() as s:
        s.get_one(Offer, offer.id).remaining = 2  # 3 taken
    with db() as s:
        org = s.get_one(User, users["org"].id)
        with pytest.raises(ValidationFailed) as exc:
            casefile.edit_offer(s, actor=org, offer_id=offer.id, changes={"capacity": 2})
        assert exc.value.errors["capacity"].code == "offer.capacity_below_taken"
        assert exc.value.errors["capacity"].params == {"taken": 3}
        casefile.edit_offer(
            s, actor=org, offer_id=offer.id, changes={"capacity": 3, "title": "家电焕新二期"}
        )
    with db() as s:
        row = s.get_one(Offer, offer.id)
        assert (row.capacity, row.remaining, row.title) == (3, 0, "家电焕新二期")
        (entry,) = _entries(s, "offer.edit", offer.id)
        assert entry.before == {"title": "家电焕新", "capacity": 5}


def test_offer_edit_only_by_its_organisation(db, users, make_org, make_user, make_offer):
    offer = make_offer(users["org"])
    other = make_user(Role.ORG, org_id=make_org().id)
    with db() as s, pytest.raises(NotFound):
        casefile.edit_offer(
            s, actor=s.get_one(User, other.id), offer_id=offer.id, changes={"capacity": 9}
        )


# -- history ------------------------------------------------------------------------------------


def test_history_newest_first_masked_paginated(db, users, make_household, make_need):
    h = make_household(users["hub_staff"])
    need = make_need(users["hub_staff"], h)
    with db() as s:
        staff = _staff(s, users["hub_staff"])
        casefile.edit_household(s, actor=staff, household_id=h.id, changes={"phone": "13700001111"})
        casefile.edit_need(s, actor=staff, need_id=need.id, changes={"title": "新的标题"})
        casefile.history(s, actor=staff, household_id=h.id)  # reading is no change
    with db() as s:
        staff = _staff(s, users["hub_staff"])
        page = casefile.history(s, actor=staff, household_id=h.id)
        fields = [(r.action, r.field) for r in page.rows]
        assert fields.index(("need.edit", "title")) < fields.index(("household.edit", "phone"))
        assert ("household.view", "") not in fields
        phone = next(r for r in page.rows if r.field == "phone" and r.action == "household.edit")
        assert (phone.before, phone.after) == ("138****5678", "137****1111")
        assert phone.actor == users["hub_staff"].username
        first = casefile.history(s, actor=staff, household_id=h.id, limit=1)
        assert first.next_cursor is not None
        second = casefile.history(
            s, actor=staff, household_id=h.id, limit=1, cursor=first.next_cursor
        )
        assert second.rows[0].id < first.rows[0].id


# -- lifecycle ----------------------------------------------------------------------------------


def test_lifecycle_moves_and_refusals(db, users, make_household):
    h = make_household(users["hub_staff"])
    with db() as s:
        staff = _staff(s, users["hub_staff"])
        assert s.get_one(Household, h.id).stage == "registered"
        with pytest.raises(ValidationFailed) as exc:
            casefile.move_stage(s, actor=staff, household_id=h.id, stage="gradual_exit", reason=" ")
        assert "reason" in exc.value.errors
        with pytest.raises(ValidationFailed):
            casefile.move_stage(s, actor=staff, household_id=h.id, stage="gone", reason="x")
        moved = casefile.move_stage(
            s,
            actor=staff,
            household_id=h.id,
            stage="gradual_exit",
            reason="收入稳定",
            gradual_exit_days=365,
            today=date(2026, 1, 1),
        )
        assert moved.gradual_exit_until == date(2027, 1, 1)
        with pytest.raises(Conflict):  # not allowed: gradual exit → monitored
            casefile.move_stage(s, actor=staff, household_id=h.id, stage="monitored", reason="x")
    with db() as s:
        (entry,) = _entries(s, "household.stage", h.id)
        assert entry.before == {"stage": "registered"}
        assert entry.after["stage"] == "gradual_exit" and entry.after["reason"] == "收入稳定"
        rows = casefile.history(s, actor=_staff(s, users["hub_staff"]), household_id=h.id).rows
        assert any(r.field == "stage" and r.after == "gradual_exit" for r in rows)


def test_exit_closes_needs_and_the_code_stops_then_reentry(db, users, make_household, make_need):
    h = make_household(users["hub_staff"])
    open_need = make_need(users["hub_staff"], h)
    claimed = make_need(users["hub_staff"], h)
    with db() as s:
        claims.claim_wish(
            s,
            member=s.get_one(User, users["member"].id),
            wish_id=claimed.id,
            policy=claims.ClaimPolicy(),
        )
    with db() as s:
        casefile.move_stage(
            s, actor=_staff(s, users["hub_staff"]), household_id=h.id, stage="exited", reason="迁出"
        )
    with db() as s:
        for need_id in (open_need.id, claimed.id):
            row = s.get_one(Need, need_id)
            assert row.status == "cancelled" and row.close_reason == "迁出"
        claim = s.exec(select(Claim).where(Claim.need_id == claimed.id)).one()
        assert claim.status == "cancelled"
        with pytest.raises(Gone):
            happiness.happiness_list(s, h.token)
        casefile.move_stage(
            s,
            actor=_staff(s, users["hub_staff"]),
            household_id=h.id,
            stage="registered",
            reason="返贫",
        )
    with db() as s:
        assert happiness.happiness_list(s, h.token) is not None


def test_housekeeping_ends_gradual_exits(db, users, make_household):
    h = make_household(users["hub_staff"])
    with db() as s:
        casefile.move_stage(
            s,
            actor=_staff(s, users["hub_staff"]),
            household_id=h.id,
            stage="gradual_exit",
            reason="就业",
            gradual_exit_days=10,
            today=date(2026, 1, 1),
        )
    with db() as s:
        assert casefile.finish_gradual_exits(s, today=date(2026, 1, 11)) == 0  # its last day
        assert casefile.finish_gradual_exits(s, today=date(2026, 1, 12)) == 1
    with db() as s:
        assert s.get_one(Household, h.id).stage == "exited"
        entry = _entries(s, "household.stage", h.id)[-1]
        assert entry.actor == "system" and entry.after["reason"] == casefile.GRADUAL_EXIT_ENDED


# -- anonymisation ------------------------------------------------------------------------------


def _text_values(s: Any, table: Any, rows: list[Any]) -> str:
    columns = [
        c.key
        for c in inspect(table).columns
        if isinstance(c.type, (String, Text)) or c.type.__class__.__name__ == "AutoString"
    ]
    return " ".join(str(getattr(r, c) or "") for r in rows for c in columns)


def test_anonymisation_after_retention(db, users, make_household, make_need):
    name, phone = "欧阳秀兰", "13655554444"
    h = make_household(users["hub_staff"], name=name, phone=phone)
    need = make_need(
        users["hub_staff"], h, description=f"{name}家 电话{phone}", delivery_instructions="先打电话"
    )
    make_need(users["hub_staff"], h, publish=False, title=f"{name}的轮椅")
    with db() as s:
        claim = claims.claim_wish(
            s,
            member=s.get_one(User, users["member"].id),
            wish_id=need.id,
            policy=claims.ClaimPolicy(),
        )
        claim.delivery_note = f"交给{name}本人"
        s.add(
            Visit(
                household_id=h.id,
                visited_on=date.today(),
                mode="phone",
                note=f"{name} {phone}",
                findings=f"{name}身体不好",
                visitor_id=users["hub_staff"].id,
            )
        )
        s.add(
            MonitoringEvent(
                household_id=h.id,
                kind="illness",
                occurred_on=date.today(),
                note=f"{name}住院",
                source="hub",
                community_code=h.community_code,
            )
        )
        s.add(
            Feedback(
                household_id=h.id,
                community_code=h.community_code,
                item_kind="claim",
                item_id=claim.id,
                rating=5,
                words=f"谢谢，{name}",
            )
        )
        s.add(
            HouseholdAttachment(
                household_id=h.id,
                stored_name="a" * 32 + ".jpg",
                filename=f"{name}.jpg",
                content_type="image/jpeg",
                size=10,
            )
        )
    with db() as s:
        casefile.move_stage(
            s, actor=_staff(s, users["hub_staff"]), household_id=h.id, stage="exited", reason="迁出"
        )

    def counts(s: Any) -> list[int]:
        of_household = [
            s.exec(select(func.count()).select_from(t).where(t.household_id == h.id)).one()
            for t in (Need, Visit, Feedback, MonitoringEvent)
        ]
        needs = select(Need.id).where(Need.household_id == h.id)
        claimed = select(func.count()).select_from(Claim).where(col(Claim.need_id).in_(needs))
        return [*of_household, s.exec(claimed).one()]

    with db() as s:
        before = counts(s)
        # not yet: exited today, retention 30 days
        assert casefile.anonymise_expired(s, retention_days=30)[0] == 0
        n, files, _photos = casefile.anonymise_expired(
            s, retention_days=30, now=utcnow() + timedelta(days=31)
        )
        assert n == 1 and files == ["a" * 32 + ".jpg"]
    with db() as s:
        assert counts(s) == before
        household = s.get_one(Household, h.id)
        assert household.anonymised_at is not None and household.token != h.token
        texts = _text_values(s, Household, [household])
        for table in (Need, Visit, Feedback, MonitoringEvent):
            texts += _text_values(
                s, table, s.exec(select(table).where(table.household_id == h.id)).all()
            )
        texts += _text_values(
            s,
            Claim,
            s.exec(
                select(Claim).where(
                    col(Claim.need_id).in_(select(Need.id).where(Need.household_id == h.id))
                )
            ).all(),
        )
        for secret in (name, h.id_number, phone, "解放路100号"):
            assert secret not in texts, secret
        assert s.exec(select(HouseholdAttachment)).all() == []
        with pytest.raises(NotFound):
            happiness.happiness_list(s, h.token)
        with pytest.raises(Conflict):  # an anonymised household stays out
            casefile.move_stage(
                s,
                actor=_staff(s, users["hub_staff"]),
                household_id=h.id,
                stage="registered",
                reason="x",
            )


# -- attachments --------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_attachment_checks():
    data, kind = sanitise_attachment(PDF, max_bytes=10_000, max_pixels=10_000)
    assert (data, kind) == (PDF, "application/pdf")
    jpeg, kind = sanitise_attachment(jpeg_bytes(), max_bytes=100_000, max_pixels=10_000)
    assert kind == "image/jpeg" and jpeg[:2] == b"\xff\xd8"
    refused = {
        "script": b"%PDF-1.4\n<< /JavaScript (app.alert(1)) >>\n%%EOF",
        "truncated": b"%PDF-1.4\n1 0 obj",
        "html": b"<html><script>alert(1)</script></html>",
        "too_large": PDF + b"0" * 20_000,
    }
    for why, raw in refused.items():
        with pytest.raises(ValidationFailed) as exc:
            sanitise_attachment(raw, max_bytes=10_000, max_pixels=10_000)
        assert "file" in exc.value.errors, why
    big = io.BytesIO()
    Image.new("RGB", (200, 200)).save(big, format="PNG")
    with pytest.raises(ValidationFailed):  # more pixels than allowed: the bomb guard
        sanitise_attachment(big.getvalue(), max_bytes=100_000, max_pixels=10_000)


def test_attachment_scope_and_audit(db, users, make_user, make_household):
    h = make_household(users["hub_staff"])
    saved: list[str] = []

    def save() -> tuple[str, str, int]:
        saved.append("b" * 32 + ".pdf")
        return saved[-1], "application/pdf", len(PDF)

    other = make_user(Role.HUB_STAFF, hub="330106")
    with db() as s, pytest.raises(NotFound):
        casefile.add_attachment(
            s, actor=s.get_one(User, other.id), household_id=h.id, filename="x.pdf", save=save
        )
    assert saved == []  # nothing written for a refused request
    with db() as s:
        row = casefile.add_attachment(
            s,
            actor=_staff(s, users["hub_staff"]),
            household_id=h.id,
            filename="../../证明<script>.pdf",
            save=save,
        )
        assert row.filename == "证明script.pdf"
        attachment_id = row.id
    with db() as s:
        with pytest.raises(NotFound):
            casefile.view_attachment(
                s, actor=s.get_one(User, other.id), household_id=h.id, attachment_id=attachment_id
            )
        casefile.view_attachment(
            s, actor=_staff(s, users["hub_staff"]), household_id=h.id, attachment_id=attachment_id
        )
    with db() as s:
        assert len(_entries(s, "attachment.view", attachment_id)) == 1
        assert len(_entries(s, "household.attach", h.id)) == 1


def test_housekeeping_anonymises_past_retention_and_removes_the_files(
    app, db, users, make_household
):
    from pathlib import Path

    from marketplace.jobs import housekeeping

    h = make_household(users["hub_staff"], name="司马相如")
    stored = Path(app.instance_path) / "uploads" / "attachments"
    stored.mkdir(parents=True, exist_ok=True)
    (stored / ("c" * 32 + ".pdf")).write_bytes(PDF)
    with db() as s:
        s.add(
            HouseholdAttachment(
                household_id=h.id,
                stored_name="c" * 32 + ".pdf",
                filename="证明.pdf",
                content_type="application/pdf",
                size=len(PDF),
            )
        )
        casefile.move_stage(
            s, actor=_staff(s, users["hub_staff"]), household_id=h.id, stage="exited", reason="x"
        )
        s.get_one(Household, h.id).stage_changed_at = utcnow() - timedelta(days=11)
    app.config["RETENTION_DAYS"] = 10
    result = housekeeping.run(app)
    assert result["households_anonymised"] == 1
    assert not (stored / ("c" * 32 + ".pdf")).exists()
    with db() as s:
        assert s.get_one(Household, h.id).name == casefile.ANONYMOUS
    assert housekeeping.run(app)["households_anonymised"] == 0  # once


def test_an_exited_household_is_out_of_care_until_it_reenters(db, users, make_household):
    """Exit ends the pairing (the helper is told) and the visit schedule; no new need, visit or
    pairing is taken until the household re-enters, and then it falls due one interval on."""
    h = make_household(users["hub_staff"])
    member = users["member"]
    with db() as s:
        staff = _staff(s, users["hub_staff"])
        pairing = pairings.pair(
            s,
            actor=staff,
            household_id=h.id,
            member_id=member.id,
            end=(date.today() + timedelta(days=180)).isoformat(),
        )
        pairing_id = pairing.id
        assert s.get(VisitSchedule, h.id) is not None
    with db() as s:
        casefile.move_stage(
            s, actor=_staff(s, users["hub_staff"]), household_id=h.id, stage="exited", reason="迁出"
        )
    with db() as s:
        assert s.get(VisitSchedule, h.id) is None
        ended = s.get_one(Pairing, pairing_id)
        assert ended.ended_at is not None and ended.reason == pairings.EXIT_REASON
        codes = [
            n.code for n in s.exec(select(Notification).where(Notification.user_id == member.id))
        ]
        assert codes == ["notice.paired", "notice.pairing_ended"]
        [stage_entry] = _entries(s, "household.stage", h.id)
        assert stage_entry.after["pairings_ended"] == 1
        staff = _staff(s, users["hub_staff"])
        refusals = [
            lambda: visits.record_visit(
                s, actor=staff, household_id=h.id, visited_on=date.today().isoformat(), mode="home"
            ),
            lambda: pairings.pair(
                s,
                actor=staff,
                household_id=h.id,
                member_id=member.id,
                end=(date.today() + timedelta(days=30)).isoformat(),
            ),
            lambda: households.create_need(
                s,
                actor=staff,
                data=NeedIn(household_id=h.id, kind="wish", item="07-02", title="电饭煲"),
            ),
        ]
        for refused in refusals:
            with pytest.raises(Conflict) as exc:
                refused()
            assert exc.value.message.code == "household.exited"
        assert s.exec(select(func.count()).select_from(Visit)).one() == 0
    with db() as s:
        casefile.move_stage(
            s,
            actor=_staff(s, users["hub_staff"]),
            household_id=h.id,
            stage="registered",
            reason="返贫",
        )
    with db() as s:
        schedule = s.get_one(VisitSchedule, h.id)
        intervals = schedules.VisitIntervals()
        assert schedule.due_3 == clock.beijing_today() + timedelta(days=intervals.level3)
        assert schedule.due_on is not None and schedule.last_visited_on is None
