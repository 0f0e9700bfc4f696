"""A synthetic but realistic Hangzhou (``zhongfu seed --city``), bulk-loaded.

150,000 households over the 3,320 communities (urban districts denser, 桐庐/淳安/建德 sparser),
hardship types in the city's proportions (DESIGN §1), 400,000 needs over the 31 items, 2,600 offers
from 300 organisations, 100,000 member accounts. Rows are generated with numpy and written with
COPY on PostgreSQL (executemany on SQLite). Synthetic member accounts share one precomputed
password hash (``CITY_PASSWORD``): hashing 100,000 argon2id passwords would take hours and prove
nothing. Everything is fictitious; ID numbers have valid check digits.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from marketplace import profiles
from marketplace.bulk import bulk_insert
from marketplace.city_care import seed_care
from marketplace.city_records import seed_branches_and_records
from marketplace.demo import ROADS
from marketplace.models import (
    WARNING_DUE_DAYS,
    Household,
    Hub,
    MonitoringEvent,
    Need,
    Offer,
    Organisation,
    Region,
    RiskWarning,
    User,
    risk_level,
)
from marketplace.services import passwords, priority, resilience
from marketplace.services import warnings as warnings_service
from marketplace.services.clock import beijing_today
from matching import taxonomy

CITY_PASSWORD = "zhongfu-city-2026"
FULL = {
    "households": 150_000, "needs": 400_000, "offers": 2_600, "orgs": 300, "members": 100_000,
    # 监测数据变动 over the past year (one warning each) and, of those warnings, the open ones.
    "events": 60_000, "warnings": 20_000,
}  # fmt: skip
# Event kinds by how often a year of monitoring sees them (illness and medical bills lead).
EVENT_KINDS = {
    "major_illness": 12, "birth": 6, "death": 6, "disability_change": 6, "job_loss": 15,
    "large_medical_expense": 16, "disaster": 3, "assistance_exit": 8, "application_refused": 8,
    "temporary_assistance": 10, "discovered": 4, "other_department": 6,
}  # fmt: skip
# Where events enter: hub staff, Excel, departments' systems, 幸福码 help requests (a discovered
# person's event is always a member's discovery report).
EVENT_SOURCES = {"hub": 40, "import": 25, "dept": 30, "happiness": 5}
OVERDUE_SHARE = 0.07  # open warnings past their due time
LATE_SHARE = 0.04  # closed warnings checked after their due time
OUTCOMES = {"refer_policy": 0.3, "refer_hub": 0.4, "no_action": 0.3}
REFERRAL_STATUS = {"done": 0.5, "in_progress": 0.2, "referred": 0.15, "declined": 0.15}
# Relative density of households per community, by district (urban core high, western counties low).
DISTRICT_WEIGHT = {
    "330102": 3.0, "330105": 3.0, "330106": 2.6, "330108": 2.2, "330109": 1.4, "330110": 1.6,
    "330111": 0.9, "330112": 0.8, "330113": 1.6, "330114": 1.3, "330122": 0.6, "330127": 0.5, "330182": 0.5,
}  # fmt: skip
# DESIGN §1: ~90k 兜底, 27k 支出, 6k 急难, 280k 发展, 67k 关爱.
HARDSHIP = ("bottom", "expense", "emergency", "development", "care")
HARDSHIP_P = np.array([90, 27, 6, 280, 67], dtype=float) / 470
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏"
GIVEN = "秀英桂兰玉华建国强志明海燕丽金凤春梅德文杰晓东雪永福美玲淑珍子涵欣怡浩然梓轩雨桐宏伟"
INITIALS = {
    "王": "w", "李": "l", "张": "z", "刘": "l", "陈": "c", "杨": "y", "黄": "h", "赵": "z", "吴": "w", "周": "z",
}  # fmt: skip
# Service radii of radius-based projects: mostly a street or two around a hub; a few city-wide.
RADII_KM = (3.0, 5.0, 10.0, 20.0, 30.0)
RADII_P = (0.3, 0.3, 0.25, 0.1, 0.05)
TAGS = ("elderly", "disabled", "child", "serious_illness", "single", "unemployed")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class Scale:
    households: int
    needs: int
    offers: int
    orgs: int
    members: int
    events: int
    warnings: int

    @classmethod
    def of(cls, factor: float) -> Scale:
        return cls(**{k: max(1, round(v * factor)) for k, v in FULL.items()})


Progress = Callable[[str, int], None]


def _check_digits(bodies: np.ndarray) -> list[str]:
    """GB 11643 check characters of 17-digit bodies (uint8 array of shape (n, 17)), vectorised."""
    total = (bodies.astype(np.int64) * np.array(ID_WEIGHTS)).sum(axis=1) % 11
    return [ID_CHECK[t] for t in total]


def _id_numbers(
    rng: np.random.Generator, districts: Sequence[str], n: int, taken: set[str]
) -> list[str]:
    birth0 = date(1935, 1, 1).toordinal()
    births = rng.integers(0, 365 * 85, size=n) + birth0
    seqs = rng.integers(0, 1000, size=n)
    bodies = [
        f"{d}{date.fromordinal(int(b)):%Y%m%d}{int(s):03d}"
        for d, b, s in zip(districts, births, seqs, strict=True)
    ]
    digits = np.frombuffer("".join(bodies).encode(), dtype=np.uint8).reshape(n, 17) - 48
    out = []
    for body, check in zip(bodies, _check_digits(digits), strict=True):
        number = body + check
        while number in taken:  # rare collision: bump the sequence number
            body = body[:14] + f"{(int(body[14:]) + 1) % 1000:03d}"
            number = (
                body
                + _check_digits(np.frombuffer(body.encode(), dtype=np.uint8).reshape(1, 17) - 48)[0]
            )
        taken.add(number)
        out.append(number)
    return out


def _next_id(session: Session, model: Any) -> int:
    return int(session.exec(select(func.coalesce(func.max(model.id), 0))).one()) + 1


def _reset_sequences(session: Session, tables: Sequence[str]) -> None:
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE((SELECT MAX(id) FROM \"{table}\"), 1))"
            )
        )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def seed_city(
    engine: Engine, *, scale: Scale, seed: int = 2026, progress: Progress | None = None
) -> dict[str, int]:
    """Generate and load the city in one transaction per table group; returns the row counts."""
    report = progress or (lambda stage, n: None)
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    today = beijing_today(now)
    pw_hash = passwords.hash_password(CITY_PASSWORD)
    with Session(engine) as session:
        comm = session.exec(
            select(Region.code, Region.lat, Region.lon)
            .where(Region.level == "community")
            .order_by(Region.code)
        ).all()
        if not comm:
            raise RuntimeError("No regions loaded: run `zhongfu init-db` first")
        codes = [c for c, _, _ in comm]
        lat = np.array([la for _, la, _ in comm], dtype=float)
        lon = np.array([lo for _, _, lo in comm], dtype=float)
        weights = np.array([DISTRICT_WEIGHT.get(c[:6], 1.0) for c in codes])
        weights /= weights.sum()
        # Households and needs record a creator: the first administrator, if any.
        staff_id = session.exec(
            select(User.id).where(User.role == "admin").order_by(col(User.id))
        ).first()

        # Members ------------------------------------------------------------------------------------
        first_user = _next_id(session, User)
        start = first_user
        member_rows = (
            (
                start + i,
                f"m{start + i:07d}",
                pw_hash,
                "member",
                f"志愿者{start + i}",
                True,
                secrets.token_hex(16),
                0,
                0,
                now,
            )
            for i in range(scale.members)
        )
        n_members = bulk_insert(
            session, "user",
            ("id", "username", "password_hash", "role", "display_name", "active", "session_token", "failed_logins", "open_claims", "created_at"),
            member_rows,
        )  # fmt: skip
        report("members", n_members)

        # Organisations and their offers --------------------------------------------------------------
        from stdnum.cn import uscc

        first_org = _next_id(session, Organisation)
        org_types = rng.choice(
            ["party_org", "ngo", "enterprise", "trust"], size=scale.orgs, p=[0.35, 0.35, 0.22, 0.08]
        )
        org_rows = []
        for i in range(scale.orgs):
            body = f"9133{(first_org + i) % 10000:04d}MA2{rng.integers(10**6):06d}"[:17]
            org_rows.append(
                (
                    first_org + i,
                    f"城市帮扶组织{first_org + i}",
                    str(org_types[i]),
                    body + uscc.calc_check_digit(body),
                    "vetted",
                    now,
                )
            )
        bulk_insert(
            session,
            "organisation",
            ("id", "name", "type", "credit_code", "status", "created_at"),
            org_rows,
        )
        item_codes = sorted(taxonomy.item_codes())
        first_offer = _next_id(session, Offer)
        offer_rows = []
        for i in range(scale.offers):
            k = int(rng.integers(1, 4))
            items = sorted(rng.choice(item_codes, size=k, replace=False).tolist())
            centre = int(rng.choice(len(codes), p=weights))
            cap = int(rng.integers(1, 61))
            use_radius = rng.random() < 0.5
            regions = (
                []
                if use_radius
                else sorted(
                    {codes[centre][:6], codes[centre][:9]}
                    if rng.random() < 0.3
                    else {codes[centre][:6]}
                )
            )
            hardship = (
                []
                if rng.random() < 0.8
                else sorted(rng.choice(HARDSHIP, size=2, replace=False).tolist())
            )
            offer_rows.append((
                first_offer + i, first_org + int(rng.integers(scale.orgs)), f"帮扶项目{first_offer + i}", "",
                _json(items), _json(regions), float(lat[centre]), float(lon[centre]),
                float(rng.choice(RADII_KM, p=RADII_P)) if use_radius else None,
                cap, cap, today - timedelta(days=30), today + timedelta(days=int(rng.integers(30, 365))),
                _json(hardship), _json([]), "live", now,
            ))  # fmt: skip
        bulk_insert(
            session, "offer",
            ("id", "org_id", "title", "description", "items", "regions", "lat", "lon", "radius_km", "capacity", "remaining", "start", "end", "hardship", "tags", "status", "created_at"),
            offer_rows,
        )  # fmt: skip
        report("offers", len(offer_rows))

        # Households ----------------------------------------------------------------------------------
        first_hh = _next_id(session, Household)
        hh_comm = rng.choice(len(codes), size=scale.households, p=weights)
        hh_hardship = rng.choice(len(HARDSHIP), size=scale.households, p=HARDSHIP_P)
        # 家庭画像 and 抗风险能力赋分: a profile steered by the hardship type, scored by the model
        # in force (services/resilience.py), its explanation kept as the first score history row.
        model = resilience.active_model(session)
        profile_rng = random.Random(seed)
        hh_size = [int(1 + i % 5) for i in range(scale.households)]
        hh_profiles = [
            profiles.sample(profile_rng, hh_size[i], HARDSHIP[hh_hardship[i]])
            for i in range(scale.households)
        ]
        hh_scores = [model.score(p, hh_size[i]) for i, p in enumerate(hh_profiles)]
        surnames = rng.choice(list(SURNAMES), size=scale.households)
        given = rng.choice(list(GIVEN), size=(scale.households, 2))
        taken = set(session.exec(select(Household.id_number)).all())
        ids = _id_numbers(rng, [codes[c][:6] for c in hh_comm], scale.households, taken)
        phones = rng.integers(10**9, 10**10 - 1, size=scale.households)
        hh_rows = (
            (
                first_hh + i, f"{surnames[i]}{given[i, 0]}{given[i, 1] if i % 3 else ''}", ids[i], f"1{3 + i % 7}{phones[i] % 10**9:09d}",
                f"{ROADS[i % len(ROADS)]}{1 + i % 300}号{1 + i % 20}幢{1 + i % 6}0{1 + i % 3}室", codes[hh_comm[i]],
                HARDSHIP[hh_hardship[i]], hh_scores[i].score, hh_size[i],
                _json([TAGS[i % 6]] if i % 4 == 0 else []), INITIALS.get(str(surnames[i]), "x"), ids[i][-4:],
                secrets.token_urlsafe(24), staff_id, now, hh_profiles[i]["source"], _json(hh_profiles[i]),
            )
            for i in range(scale.households)
        )  # fmt: skip
        n_hh = bulk_insert(
            session, "household",
            ("id", "name", "id_number", "phone", "address", "community_code", "hardship_type", "risk_score", "members", "tags", "name_initials", "id_tail", "token", "created_by", "created_at", "source", "profile"),
            hh_rows,
        )  # fmt: skip
        report("households", n_hh)
        n_scores = bulk_insert(
            session, "householdscore",
            ("household_id", "score", "model_version", "contributions", "reason", "computed_at"),
            (
                (first_hh + i, sc.score, model.version, _json(sc.stored()), "create", now)
                for i, sc in enumerate(hh_scores)
            ),
        )  # fmt: skip
        report("household scores", n_scores)

        # Needs ---------------------------------------------------------------------------------------
        first_need = _next_id(session, Need)
        need_hh = rng.integers(0, scale.households, size=scale.needs)
        need_item = rng.choice(len(item_codes), size=scale.needs)
        is_wish = rng.random(scale.needs) < 0.45
        status = rng.choice(
            ["open", "pending_review", "confirmed"], size=scale.needs, p=[0.9, 0.05, 0.05]
        )
        age_days = rng.integers(0, 60, size=scale.needs)
        names = {c.code: c.name_zh for c in taxonomy.items()}

        def need_rows() -> Iterable[tuple[Any, ...]]:
            for i in range(scale.needs):
                h = int(need_hh[i])
                c = int(hh_comm[h])
                item = item_codes[need_item[i]]
                created = now - timedelta(days=int(age_days[i]))
                published = created if status[i] != "pending_review" else None
                yield (
                    first_need + i, first_hh + h, "wish" if is_wish[i] else "service", item, f"需要{names[item]}", "",
                    "", 0, today + timedelta(days=30 + int(age_days[i])), str(status[i]), codes[c],
                    float(lat[c]), float(lon[c]), staff_id, created, published,
                    priority.of(hh_scores[h].score, HARDSHIP[hh_hardship[h]]),
                )  # fmt: skip

        n_needs = bulk_insert(
            session, "need",
            ("id", "household_id", "kind", "item_code", "title", "description", "public_text", "value_yuan", "deadline", "status", "community_code", "lat", "lon", "created_by", "created_at", "published_at", "priority"),
            need_rows(),
        )  # fmt: skip
        report("needs", n_needs)
        monitoring = seed_monitoring(
            session,
            rng=rng,
            scale=scale,
            now=now,
            households=(first_hh, [codes[c] for c in hh_comm], [sc.score for sc in hh_scores]),
            pw_hash=pw_hash,
        )
        report("events", monitoring["events"])
        _reset_sequences(
            session,
            ("user", "organisation", "offer", "household", "need", "monitoringevent", "warning", "policyreferral"),
        )  # fmt: skip
        session.commit()
    # Fresh statistics (and, on PostgreSQL, the visibility map that index-only scans need), so
    # the planners pick the indexes for the new data distribution.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return {
        "members": n_members,
        "organisations": scale.orgs,
        "offers": scale.offers,
        "households": n_hh,
        "needs": n_needs,
        **monitoring,
        **seed_branches_and_records(engine, seed=seed),  # branches, projects, records
        **seed_care(engine, seed=seed),  # visits, pairings, visit schedules
    }


def _street_hubs(
    session: Session, communities: Sequence[str], pw_hash: str, now: datetime
) -> list[int]:
    """The hub each community's warnings go to (its street's, else its district's, as
    ``contacts.street_hub``), and one staff account for each such hub that has none, so that
    every warning is at a staffed hub (usernames ``street<code>``, the city password)."""
    hub_of = {str(c): int(i) for c, i in session.exec(select(Hub.region_code, Hub.id)).all() if i}
    chosen = {
        c: next((code for code in (c[:9], c[:6]) if code in hub_of), None) for c in set(communities)
    }
    missing = sorted(c for c, h in chosen.items() if h is None)
    if missing:
        raise RuntimeError(f"No street or district hub for {missing[:5]}: run `zhongfu init-db`")
    staffed = set(
        session.exec(
            select(User.hub_id).where(User.role == "hub_staff", col(User.active).is_(True))
        ).all()
    )
    first = _next_id(session, User)
    new_staff = sorted(
        {str(h) for h in chosen.values()} - {r for r, i in hub_of.items() if i in staffed}
    )
    bulk_insert(
        session, "user",
        ("id", "username", "password_hash", "role", "display_name", "active", "session_token", "failed_logins", "open_claims", "created_at", "hub_id"),
        (
            (first + i, f"street{code}", pw_hash, "hub_staff", f"街道工作人员{code}", True, secrets.token_hex(16), 0, 0, now, hub_of[code])
            for i, code in enumerate(new_staff)
        ),
    )  # fmt: skip
    return [hub_of[str(chosen[c])] for c in communities]


def seed_monitoring(
    session: Session,
    *,
    rng: np.random.Generator,
    scale: Scale,
    now: datetime,
    households: tuple[int, Sequence[str], Sequence[int]],
    pw_hash: str,
) -> dict[str, int]:
    """监测数据变动 and 预警 over the past year (DESIGN §9): ``scale.events`` events of households,
    the weakest most often; each raised a warning at its street hub, important (3 days) when the
    household is level 1 or the kind is severe, general (7 days) otherwise. The ``scale.warnings``
    most recent are open (mostly within their due window, some overdue); the others were checked
    and closed with an outcome, mostly on time; policy referrals for those referred. Then the
    needs' priorities follow the open important warnings (``priority.refresh_all``)."""
    first_hh, hh_codes, hh_scores = households
    n_events = max(scale.events, scale.warnings)
    n_open = scale.warnings
    scores = np.asarray(hh_scores, dtype=float)
    weight = (101.0 - scores) ** 2  # the weakest households see the most events
    open_hh = rng.choice(
        len(scores), size=n_open, replace=n_open > len(scores), p=weight / weight.sum()
    )
    closed_hh = rng.choice(len(scores), size=n_events - n_open, p=weight / weight.sum())
    hh = np.concatenate([open_hh, closed_hh])
    kinds = list(EVENT_KINDS)
    k_p = np.array(list(EVENT_KINDS.values()), dtype=float)
    kind = rng.choice(len(kinds), size=n_events, p=k_p / k_p.sum())
    sources = list(EVENT_SOURCES)
    s_p = np.array(list(EVENT_SOURCES.values()), dtype=float)
    source = rng.choice(len(sources), size=n_events, p=s_p / s_p.sum())
    severe = np.array([warnings_service.is_severe(session, k) for k in kinds])
    level1 = np.array([risk_level(int(sc)) == 1 for sc in hh_scores])
    important = severe[kind] | level1[hh]
    due_days = np.where(important, WARNING_DUE_DAYS["important"], WARNING_DUE_DAYS["general"])
    # Raised: open ones within their due window (some past it), closed ones over the year before.
    is_open = np.arange(n_events) < n_open
    overdue = is_open & (rng.random(n_events) < OVERDUE_SHARE)
    age_s = np.where(
        overdue,
        (due_days + rng.uniform(0.05, 6.0, n_events)) * 86400,
        np.where(
            is_open,
            rng.uniform(0.0, 1.0, n_events) * due_days * 86400,
            rng.uniform(8.0, 365.0, n_events) * 86400,
        ),
    ).astype(np.int64)
    late = ~is_open & (rng.random(n_events) < LATE_SHARE)
    took_s = np.where(
        late,
        (due_days + rng.uniform(0.1, 5.0, n_events)) * 86400,
        rng.uniform(0.02, 1.0, n_events) * due_days * 86400,
    ).astype(np.int64)
    outcome_names = list(OUTCOMES)
    outcome = rng.choice(len(outcome_names), size=n_events, p=list(OUTCOMES.values()))
    check = rng.random(n_events) < 0.55  # home visit, else phone
    codes = [hh_codes[int(h)] for h in hh]
    hub_ids = _street_hubs(session, codes, pw_hash, now)
    staff_of = {
        int(h): int(u)
        for h, u in session.exec(
            select(col(User.hub_id), func.min(col(User.id)))
            .where(User.role == "hub_staff")
            .group_by(col(User.hub_id))
        ).all()
        if h is not None and u is not None
    }
    first_event = _next_id(session, MonitoringEvent)
    first_warning = _next_id(session, RiskWarning)
    raised = [now - timedelta(seconds=int(a)) for a in age_s]
    n = bulk_insert(
        session, "monitoringevent",
        ("id", "household_id", "kind", "occurred_on", "note", "source", "community_code", "created_at"),
        (
            (
                first_event + i, first_hh + int(hh[i]), kinds[kind[i]],
                beijing_today(raised[i]) - timedelta(days=int(i % 4)), "",
                "discovery" if kinds[kind[i]] == "discovered" else sources[source[i]], codes[i], raised[i],
            )
            for i in range(n_events)
        ),
    )  # fmt: skip

    def warning_rows() -> Iterable[tuple[Any, ...]]:
        for i in range(n_events):
            due = raised[i] + timedelta(days=int(due_days[i]))
            level = "important" if important[i] else "general"
            if is_open[i]:
                yield (
                    first_warning + i, first_hh + int(hh[i]), first_event + i, level, "open", codes[i],
                    hub_ids[i], raised[i], due, 0, None, "", None, "", None, None, None,
                )  # fmt: skip
                continue
            closed = raised[i] + timedelta(seconds=int(took_s[i]))
            result = outcome_names[outcome[i]]
            yield (
                first_warning + i, first_hh + int(hh[i]), first_event + i, level, "closed", codes[i],
                hub_ids[i], raised[i], due, 0, "home" if check[i] else "phone",
                "已核查" if result != "no_action" else "已核查，家庭情况稳定", result,
                "暂无帮扶需求" if result == "no_action" else "", closed, staff_of.get(hub_ids[i]),
                closed <= due,
            )  # fmt: skip

    n_warnings = bulk_insert(
        session, "warning",
        ("id", "household_id", "event_id", "level", "status", "community_code", "hub_id", "raised_at", "due_at", "escalations", "check_mode", "findings", "outcome", "outcome_note", "closed_at", "closed_by", "on_time"),
        warning_rows(),
    )  # fmt: skip
    # 救助"一件事": one referral per warning referred to policy assistance.
    items = list(warnings_service.policy_items())
    statuses = list(REFERRAL_STATUS)
    referred = np.flatnonzero(~is_open & (outcome == outcome_names.index("refer_policy")))
    status = rng.choice(len(statuses), size=len(referred), p=list(REFERRAL_STATUS.values()))
    item = rng.integers(0, len(items), size=len(referred))

    def referral_rows() -> Iterable[tuple[Any, ...]]:
        for j, i in enumerate(referred):
            closed = raised[i] + timedelta(seconds=int(took_s[i]))
            st = statuses[status[j]]
            done = closed + timedelta(days=int(5 + j % 20)) if st in ("done", "declined") else None
            yield (
                first_hh + int(hh[i]), first_warning + int(i), items[item[j]], st, "", "", closed,
                staff_of.get(hub_ids[i]), done or closed, done,
                beijing_today(done) if st == "done" and done else None,
            )  # fmt: skip

    n_referrals = bulk_insert(
        session, "policyreferral",
        ("household_id", "warning_id", "item_code", "status", "note", "service", "created_at", "created_by", "updated_at", "done_at", "since"),
        referral_rows(),
    )  # fmt: skip
    session.flush()
    priority.refresh_all(session)  # an open important warning raises the household's needs
    return {
        "events": n,
        "warnings": n_warnings,
        "open warnings": int(is_open.sum()),
        "policy referrals": n_referrals,
    }
