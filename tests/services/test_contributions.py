"""Service records (志愿服务记录), points (爱心积分) and certificates (志愿服务记录证明)."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import col, select

from marketplace.models import (
    AuditLog,
    Certificate,
    Claim,
    ClaimStatus,
    Contribution,
    Hub,
    Need,
    PointEntry,
    Role,
    User,
)
from marketplace.services import certificates, contributions, points
from marketplace.services.errors import ValidationFailed
from marketplace.services.exports import Words
from tests.factories import COMMUNITY, confirm, delivered_claim

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
_numbers = itertools.count(1)
WORDS = Words(t=lambda s: s, label=lambda vocabulary, code: code)


@pytest.fixture
def people(make_user):
    return make_user(Role.HUB_STAFF, hub="330102"), make_user(Role.MEMBER)


def _record(db, claim_id: int) -> Contribution:
    with db() as s:
        record = s.exec(select(Contribution).where(Contribution.claim_id == claim_id)).one()
        s.expunge(record)
        return record


def test_confirmation_keeps_the_declared_hours(app, db, people):
    staff, member = people
    claim = delivered_claim(app, staff, member, hours="2.5")
    assert claim.declared_hours == Decimal("2.5")
    confirm(app, staff, claim.need_id)
    r = _record(db, claim.id)
    assert r.hours == Decimal("2.5") and r.hours_declared == Decimal("2.5")
    assert re.fullmatch(r"ZF-\d{4}-\d{6}", r.record_no)
    assert r.record_no.endswith(f"{r.id:06d}")
    assert r.member_id == member.id and r.household_label == "张*"
    assert r.community_code == COMMUNITY
    with db() as s:
        hub = s.get(Hub, s.get(User, staff.id).hub_id)
        assert r.hub_id == hub.id and r.recording_unit == hub.name
    assert r.ended_at - r.started_at == timedelta(hours=2, minutes=30)


def test_the_hub_corrects_the_hours(app, db, people):
    staff, member = people
    claim = delivered_claim(app, staff, member, hours="3")
    confirm(app, staff, claim.need_id, hours="1.5")
    r = _record(db, claim.id)
    assert r.hours == Decimal("1.5") and r.hours_declared == Decimal("3.0")
    with db() as s:
        entry = s.exec(
            select(AuditLog).where(AuditLog.action == "need.confirm").order_by(col(AuditLog.id))
        ).all()[-1]
        assert entry.after["hours"] == "1.5" and entry.after["record_no"] == r.record_no


def test_no_hours_at_all_records_zero(app, db, people):
    staff, member = people
    claim = delivered_claim(app, staff, member)
    assert claim.declared_hours is None
    confirm(app, staff, claim.need_id)
    assert _record(db, claim.id).hours == Decimal(0)


@pytest.mark.parametrize(
    ("hours", "code"),
    [
        ("25", "hours.range"),
        ("-1", "hours.range"),
        ("abc", "hours.invalid"),
        ("NaN", "hours.range"),
    ],
)
def test_bad_hours_at_confirmation_change_nothing(app, db, people, hours, code):
    staff, member = people
    claim = delivered_claim(app, staff, member, hours="2")
    with pytest.raises(ValidationFailed) as exc:
        confirm(app, staff, claim.need_id, hours=hours)
    assert exc.value.errors["hours"].code == code
    with db() as s:
        assert s.get(Claim, claim.id).status == ClaimStatus.DELIVERED.value
        assert s.exec(select(Contribution)).all() == []
        assert s.exec(select(PointEntry)).all() == []


def test_bad_declared_hours_leave_the_claim_active(app, db, people, make_household, make_need):
    from marketplace.services import claims

    staff, member = people
    need = make_need(staff, make_household(staff))
    with db() as s:
        claim = claims.claim_wish(
            s, member=s.get(User, member.id), wish_id=need.id, policy=claims.ClaimPolicy(9, 7)
        )
        claim_id = claim.id
    with db() as s, pytest.raises(ValidationFailed) as exc:
        claims.report_delivery(
            s,
            actor=s.get(User, member.id),
            claim_id=claim_id,
            note="送到了，老人很满意。",
            hours="30",
        )
    assert exc.value.errors["hours"].code == "hours.range"
    with db() as s:
        claim = s.get(Claim, claim_id)
        assert claim.status == ClaimStatus.ACTIVE.value and claim.declared_hours is None


# Points ------------------------------------------------------------------------------------------


def test_points_follow_the_rules_file(app, db, people, make_household):
    staff, member = people
    rules = json.loads(points.RULES_FILE.read_text("utf-8"))
    level1 = make_household(staff, risk_score=45)
    level3 = make_household(staff, risk_score=95, name="李四")
    item_with_extra = next(iter(rules["items"]))
    a = delivered_claim(app, staff, member, hours="2.5", household=level1)
    b = delivered_claim(app, staff, member, hours="20", household=level3, item=item_with_extra)
    confirm(app, staff, a.need_id)
    confirm(app, staff, b.need_id)
    expect_a = rules["base"] + int(2.5 * rules["per_hour"]) + rules["level1_bonus"]
    expect_b = (
        rules["base"] + rules["items"][item_with_extra] + rules["max_hours"] * rules["per_hour"]
    )
    assert _record(db, a.id).points == expect_a
    assert _record(db, b.id).points == expect_b
    with db() as s:
        assert points.balance(s, member_id=member.id) == expect_a + expect_b
        history = points.history(s, member_id=member.id)
        assert [p.points for p, _r in history] == [expect_b, expect_a]
        newest = history[0][0]
        assert newest.rules_version == rules["version"]
        assert sum(line["points"] for line in newest.detail) == expect_b
        assert {line["rule"] for line in newest.detail} == {"base", "item", "hours"}


def test_points_for_custom_rules():
    rules = points.PointRules.from_json(
        {
            "version": "t",
            "base": 1,
            "per_hour": 3,
            "max_hours": 2,
            "level1_bonus": 7,
            "items": {"09-01": 4},
        }
    )
    assert points.points_for(rules, item_code="09-01", hours=Decimal("5"), level1=True)[0] == 18
    assert points.points_for(rules, item_code="01-01", hours=Decimal("0.5"), level1=False)[0] == 2
    with pytest.raises(ValueError, match="base"):
        points.PointRules.from_json({"base": -1})


# Totals and certificates -------------------------------------------------------------------------


def _add_records(db, member: User, n: int, *, start: datetime, hours: str = "1.5") -> None:
    with db() as s:
        for i in range(n):
            end = start + timedelta(days=i)
            s.add(
                Contribution(
                    record_no=f"ZF-T-{next(_numbers):06d}",
                    member_id=member.id,
                    volunteer_name=member.display_name or member.username,
                    item_code="07-02",
                    content=f"送电饭煲 {i}",
                    community_code=COMMUNITY,
                    household_label="张*",
                    started_at=end - timedelta(hours=1),
                    ended_at=end,
                    hours=Decimal(hours),
                    recording_unit="上城区助联体",
                    points=10,
                )
            )


def test_totals_by_month_and_year(db, make_user):
    member = make_user(Role.MEMBER)
    # 2025-12-31 17:00 UTC is 2026-01-01 01:00 in Beijing: counted in January 2026.
    _add_records(db, member, 3, start=datetime(2025, 12, 30, 17, 0, tzinfo=UTC))
    with db() as s:
        rows = contributions.records_of_member(s, member_id=member.id)
        t = contributions.totals(rows)
        in_2026 = contributions.records_of_member(
            s, member_id=member.id, d_from=date(2026, 1, 1), d_to=date(2026, 12, 31)
        )
    assert t.records == 3 and t.hours == Decimal("4.5") and t.points == 30
    assert t.by_year == [(2026, 2, Decimal("3.0")), (2025, 1, Decimal("1.5"))]
    assert t.by_month == [("2026-01", 2, Decimal("3.0")), ("2025-12", 1, Decimal("1.5"))]
    assert len(in_2026) == 2


def test_certificate_totals_equal_the_records_and_verify(db, make_user):
    member = make_user(Role.MEMBER)
    _add_records(db, member, 5, start=datetime(2026, 3, 1, 4, tzinfo=UTC), hours="2.5")
    _add_records(db, member, 0, start=datetime(2026, 3, 1, tzinfo=UTC))
    with db() as s:
        m = s.get(User, member.id)
        m.display_name = "王小明"
        cert, records = certificates.issue(
            s, member=m, d_from=date(2026, 3, 2), d_to=date(2026, 3, 4)
        )
        code = cert.code
        in_period = contributions.records_of_member(
            s, member_id=member.id, d_from=date(2026, 3, 2), d_to=date(2026, 3, 4)
        )
        assert cert.records == len(records) == len(in_period) == 3
        assert cert.hours == sum(r.hours for r in in_period) == Decimal("7.5")
        assert sorted(cert.record_ids) == sorted(r.id for r in in_period)
    # Totals are fixed at issue: a later record in the period does not change them.
    _add_records(db, member, 1, start=datetime(2026, 3, 3, 5, tzinfo=UTC))
    with db() as s:
        v = certificates.verify(s, code)
        assert v.valid and v.records == 3 and v.hours == Decimal("7.5")
        assert v.volunteer == "王*"
        body = v.as_json()
        assert set(body) == {"valid", "volunteer", "hours", "records", "issued_at", "period"}
        assert "张" not in json.dumps(body, ensure_ascii=False)
        for forged in (
            code[:-1] + ("A" if code[-1] != "A" else "B"),
            "x" * 32,
            "",
            "../etc",
            code + "x",
            "ZF-2026-000001",
        ):
            assert certificates.verify(s, forged).as_json() == {"valid": False}


def test_no_certificate_for_an_empty_period(db, make_user):
    member = make_user(Role.MEMBER)
    with db() as s, pytest.raises(ValidationFailed) as exc:
        certificates.issue(
            s, member=s.get(User, member.id), d_from=date(2026, 1, 1), d_to=date(2026, 1, 31)
        )
    assert exc.value.errors["from"].code == "certificate.no_records"
    with db() as s:
        assert s.exec(select(Certificate)).all() == []


@pytest.mark.parametrize(
    ("start", "end", "field", "code"),
    [
        ("2026-02-01", "2026-01-01", "to", "period.reversed"),
        ("2026-13-01", "", "from", "period.bad_date"),
        ("2010-01-01", "2026-01-01", "to", "period.too_long"),
        ("9999-12-31", "", "from", "period.out_of_range"),
    ],
)
def test_bad_periods(start, end, field, code):
    with pytest.raises(ValidationFailed) as exc:
        contributions.parse_period(start, end, today=date(2026, 6, 1))
    assert exc.value.errors[field].code == code


def test_hours_are_kept_to_a_tenth():
    assert contributions.parse_hours("1.25") == Decimal("1.3")
    assert contributions.parse_hours(" 2 ") == Decimal("2.0")
    assert contributions.parse_hours("") is None


def test_default_period_is_this_year_in_beijing():
    assert contributions.parse_period(None, "", today=date(2026, 6, 1)) == (
        date(2026, 1, 1),
        date(2026, 6, 1),
    )


def test_missing_font_is_a_clear_error(tmp_path):
    certificates.find_font.cache_clear()
    with pytest.raises(certificates.FontMissing) as exc:
        certificates.find_font(str(tmp_path / "none.ttc"))
    assert exc.value.status == 503 and exc.value.message.code == "certificate.font_missing"


# The PDF -----------------------------------------------------------------------------------------


def _font_or_skip() -> None:
    try:
        certificates.find_font("")
    except certificates.FontMissing:
        pytest.skip("no Chinese font installed (apt-get install fonts-noto-cjk)")


@pytest.mark.parametrize(("n", "pages"), [(20, 1), (21, 2), (41, 3)])
def test_certificate_pdf_has_a_page_per_20_records_in_chinese(db, make_user, n, pages):
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        pytest.skip("pdftoppm/pdftotext missing (apt-get install poppler-utils)")
    _font_or_skip()
    member = make_user(Role.MEMBER)
    _add_records(db, member, n, start=datetime(2026, 1, 2, 4, tzinfo=UTC))
    with db() as s:
        m = s.get(User, member.id)
        m.display_name = "王小明"
        cert, records = certificates.issue(
            s, member=m, d_from=date(2026, 1, 1), d_to=date(2026, 12, 31)
        )
        body = certificates.render_pdf(
            s,
            cert,
            member=m,
            records=records,
            words=WORDS,
            verify_url=lambda code: f"https://zhongfu.example/verify/{code}",
        )
        code = cert.code
    assert body.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / f"certificate-{n}.pdf"
    pdf.write_bytes(body)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert text.count("\f") == pages
    assert "王小明" in text and "上城区助联体" in text and "清波门社区" in text
    assert "送电饭煲" in text and code in text.replace("\n", "")
    assert re.search(r"[\u4e00-\u9fff]", text)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "yes" in fonts.splitlines()[-1].split()  # the font is embedded
    prefix = ARTIFACTS / f"certificate-{n}"
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(prefix)], check=True)
    images = sorted(ARTIFACTS.glob(f"certificate-{n}-*.png"))
    assert len(images) == pages
    assert all(p.stat().st_size > 5_000 for p in images)


def test_record_of_an_assignment_names_the_organisation(app, db, make_user, make_org, make_offer):
    from marketplace.services import claims

    staff = make_user(Role.HUB_STAFF, hub="330102")
    org = make_org()
    org_user = make_user(Role.ORG, org_id=org.id)
    offer = make_offer(org_user)
    claim = delivered_claim(app, staff, make_user(Role.MEMBER))
    # Turn the member's claim into an assignment of the offer (as an accepted proposal does).
    with db() as s:
        c = s.get(Claim, claim.id)
        c.member_id, c.offer_id = None, offer.id
    confirm(app, staff, claim.need_id, hours="4")
    r = _record(db, claim.id)
    assert r.member_id is None and r.org_id == org.id
    assert r.volunteer_name == org.name == r.organisation_name
    with db() as s:
        entry = s.exec(select(PointEntry)).one()
        assert entry.org_id == org.id and entry.member_id is None
        assert s.get(Need, claim.need_id).status == "confirmed"
    assert claims  # imported for the flow above


def test_common_characters_subset_and_the_whole_font_for_rare_ones(db, make_user):
    """The certificate draws with a cut-down font (kept in the cache folder) when it covers every
    character, and with the whole font otherwise: a rare character in a name is still printed."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext missing (apt-get install poppler-utils)")
    _font_or_skip()
    cache = str(Path(tempfile.gettempdir()) / "zhongfu-fonts")
    path, index = certificates.find_font("")
    subset = certificates.common_subset(path, index, cache)
    assert subset is not None
    small, covered = subset
    assert Path(small).stat().st_size < Path(path).stat().st_size / 4
    assert ord("王") in covered and ord("䶮") not in covered
    from fontTools.ttLib import TTFont

    with TTFont(small, lazy=True) as cut:  # TrueType outlines: fpdf2 subsets them fast
        assert "glyf" in cut and "CFF " not in cut
    member = make_user(Role.MEMBER)
    _add_records(db, member, 2, start=datetime(2026, 2, 2, 4, tzinfo=UTC))
    for name in ("王小明", "刘䶮"):
        with db() as s:
            m = s.get(User, member.id)
            m.display_name = name
            cert, records = certificates.issue(
                s, member=m, d_from=date(2026, 1, 1), d_to=date(2026, 12, 31)
            )
            body = certificates.render_pdf(
                s,
                cert,
                member=m,
                records=records,
                words=WORDS,
                verify_url=lambda code: f"https://zhongfu.example/verify/{code}",
                font_cache=cache,
            )
        pdf = ARTIFACTS / "certificate-font.pdf"
        ARTIFACTS.mkdir(exist_ok=True)
        pdf.write_bytes(body)
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True
        ).stdout
        assert name in text and "清波门社区" in text
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
        # The cut (TrueType) for common characters, the whole font (CFF) for a rare one.
        assert ("CID TrueType" in fonts) == (name == "王小明")


def test_the_shipped_rules_name_real_items():
    from matching import taxonomy

    rules = points.load_rules()
    assert rules.items and set(rules.items) <= set(taxonomy.item_codes())
    assert rules.version and rules.base > 0
