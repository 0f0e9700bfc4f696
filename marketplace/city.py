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
from marketplace.city_records import seed_branches_and_records
from marketplace.demo import ROADS
from marketplace.models import Household, Need, Offer, Organisation, Region, User
from marketplace.services import passwords, priority, resilience
from marketplace.services.clock import beijing_today
from matching import taxonomy

CITY_PASSWORD = "zhongfu-city-2026"
FULL = {"households": 150_000, "needs": 400_000, "offers": 2_600, "orgs": 300, "members": 100_000}
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
        _reset_sequences(session, ("user", "organisation", "offer", "household", "need"))
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
        **seed_branches_and_records(engine, seed=seed),  # branches, projects, records
    }
