"""抗风险能力赋分 — the resilience score (0–100) computed from the household's profile by a
versioned, data-driven model (DESIGN §9).

A model is a JSON document (``marketplace/data/resilience/v1.json`` is the first): a base value
and indicators, each a set of conditions on profile fields with its points and the reason for
them. A household's score is the base plus the points of every indicator that holds; the
explanation lists each of them (the base too), so the contributions add up exactly to the score —
when the sum leaves 0–100 a ``floor``/``ceiling`` contribution brings it back and says so.

Model versions are immutable rows of ``ResilienceModel``; the latest loaded is in force (the
bundled file is loaded the first time a score is needed). ``rescore`` scores one household (on a
profile change now; on a monitoring event later), ``rescore_all`` the whole city in bulk under a
new version (the background job in ``marketplace.jobs.resilience``). Bands are
``models.RISK_LEVEL_FLOORS``.

The model file also holds the severe-event and suggestion rules of the monitoring loop
(``events``, ``suggestions``): the events are validated here (``_parse_events``; v2 on).
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from marketplace import profiles
from marketplace.bulk import insert_rows
from marketplace.models import (
    RISK_LEVEL_FLOORS,
    EventKind,
    Household,
    HouseholdScore,
    ProfileChange,
    ResilienceModel,
    User,
    risk_level,
    utcnow,
)
from marketplace.profiles import Profile
from marketplace.services import audit, priority, schedules
from marketplace.services.access import (
    get_household_for_staff,
    in_scope,
    require_admin,
    viewer_scope,
)
from marketplace.services.errors import Conflict, NotFound, ValidationFailed
from marketplace.services.messages import Message

MODELS_DIR = Path(__file__).resolve().parent.parent / "data" / "resilience"
VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
MAX_MODEL_BYTES = 256 * 1024
MAX_INDICATORS = 500
MIN_SCORE, MAX_SCORE = 0, 100
RESERVED = ("events", "suggestions")  # rules of the monitoring loop, validated where they are used
TOP_LEVEL = {"version", "title", "description", "base", "indicators", *RESERVED}

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
    "in": lambda a, b: a in b,
}
# The fields a condition may read: the profile's, and the household's size.
_FIELD_KINDS: dict[str, str] = {f.name: str(f.kind) for f in profiles.FIELDS} | {"members": "count"}


# The model ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    code: str
    dimension: str
    conditions: tuple[tuple[str, Callable[[Any, Any], bool], Any], ...]
    points: int
    why: str
    per: str | None = None  # points per unit of this count field
    cap: int | None = None  # the most (in absolute value) a ``per`` indicator may give
    why_zh: str = ""  # the reason in Chinese, for pages read in Chinese

    def points_for(self, p: dict[str, Any]) -> int:
        for name, op, value in self.conditions:
            if not op(p[name], value):
                return 0
        if self.per is None:
            return self.points
        pts = self.points * int(p[self.per])
        if self.cap is not None:
            pts = max(pts, self.cap) if self.points < 0 else min(pts, self.cap)
        return pts


@dataclass(frozen=True)
class Model:
    version: str
    base: int
    base_why: str
    indicators: tuple[Indicator, ...]
    definition: dict[str, Any] = field(repr=False)
    base_why_zh: str = ""
    events: dict[str, EventRule] = field(default_factory=dict)  # kind → rule (v2 on)

    def event_rule(self, kind: str) -> EventRule:
        """The rule of an event kind; a kind the model does not name is not severe and changes
        nothing in the profile (models before v2 have no rules)."""
        return self.events.get(kind, NO_RULE)

    def reasons(self) -> dict[str, tuple[str, str]]:
        """Indicator code → (why, why_zh), the base, floor and ceiling included."""
        out = {i.code: (i.why, i.why_zh) for i in self.indicators}
        out["base"] = (self.base_why, self.base_why_zh)
        out["floor"] = (FLOOR_WHY, FLOOR_WHY_ZH)
        out["ceiling"] = (CEILING_WHY, CEILING_WHY_ZH)
        return out

    def score(self, profile: Profile | dict[str, Any], members: int) -> Score:
        """The score of one household and its explanation."""
        p = profile.model_dump() if isinstance(profile, Profile) else profile
        p = p | {"members": members}
        parts = [Contribution("base", self.base, self.base_why, self.base_why_zh)]
        total = self.base
        for ind in self.indicators:
            pts = ind.points_for(p)
            if pts:
                parts.append(Contribution(ind.code, pts, ind.why, ind.why_zh))
                total += pts
        if total < MIN_SCORE:
            parts.append(Contribution("floor", MIN_SCORE - total, FLOOR_WHY, FLOOR_WHY_ZH))
            total = MIN_SCORE
        elif total > MAX_SCORE:
            parts.append(Contribution("ceiling", MAX_SCORE - total, CEILING_WHY, CEILING_WHY_ZH))
            total = MAX_SCORE
        return Score(total, tuple(parts))


EFFECT_OPS = ("set", "add", "step")


@dataclass(frozen=True)
class Effect:
    """One change an event makes to a profile: ``set`` a value (only when the current one is
    in ``from_``, if given), ``add`` to a count (or to ``members``), ``step`` a choice one place
    along ``order`` (towards its end)."""

    field: str
    op: str
    value: Any = None
    from_: tuple[Any, ...] | None = None
    order: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventRule:
    """监测数据变动's rule in the model file: whether the kind is severe (an important warning
    whatever the level) and how it changes the household's profile."""

    severe: bool
    effects: tuple[Effect, ...]
    why: str = ""
    why_zh: str = ""


NO_RULE = EventRule(False, ())
MAX_MEMBERS = 30


def apply_effects(
    rule: EventRule, stored: dict[str, Any], members: int
) -> tuple[dict[str, Any], int]:
    """The profile (stored form, all fields) and household size after an event: counts stay
    within 0–members (and employed ≤ able_bodied), the size within 1–30. Pure, so the city seed
    applies a year of events in bulk with it."""
    p = dict(stored)
    for e in rule.effects:
        if e.field == "members":
            members = min(MAX_MEMBERS, max(1, members + int(e.value)))
        elif e.op == "add":
            p[e.field] = max(0, int(p.get(e.field, 0)) + int(e.value))
        elif e.op == "set":
            if e.from_ is None or p.get(e.field) in e.from_:
                p[e.field] = e.value
        elif e.op == "step":
            current = p.get(e.field)
            at = e.order.index(current) if current in e.order else 0
            p[e.field] = e.order[min(at + 1, len(e.order) - 1)]
    for name in profiles.COUNT_FIELDS:
        p[name] = min(int(p.get(name, 0)), members)
    p["employed"] = min(int(p.get("employed", 0)), int(p.get("able_bodied", 0)))
    return p, members


FLOOR_WHY = "The deductions exceed the base: the score stops at 0, the lowest possible."
CEILING_WHY = "The points exceed 100: the score stops at 100, the highest possible."
FLOOR_WHY_ZH = "扣分超过基础分：评分最低为0分。"
CEILING_WHY_ZH = "加分超过100分：评分最高为100分。"


@dataclass(frozen=True)
class Contribution:
    indicator: str
    points: int
    why: str
    why_zh: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"indicator": self.indicator, "points": self.points, "why": self.why}
        if self.why_zh:
            out["why_zh"] = self.why_zh
        return out


@dataclass(frozen=True)
class Score:
    score: int
    contributions: tuple[Contribution, ...]

    @property
    def level(self) -> int:
        return _level(self.score)

    def explanation(self) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.contributions]

    def stored(self) -> list[dict[str, Any]]:
        """The explanation as the score history keeps it: each indicator and its points. The
        reasons are the model version's (immutable), added back when read (``explain``): a
        city's history stays small."""
        return [{"indicator": c.indicator, "points": c.points} for c in self.contributions]


def _bad(where: str, detail: str) -> ValidationFailed:
    """A model file error; ``where`` is a JSON pointer (RFC 6901) into the document."""
    return ValidationFailed(
        {"model": Message("resilience.model_invalid", {"where": where, "detail": detail})}
    )


def _check_value(where: str, name: str, value: Any, op: str) -> None:
    kind = _FIELD_KINDS[name]
    values = value if op == "in" else [value]
    if op == "in" and not isinstance(value, list):
        raise _bad(where, "'in' needs a list of values")
    for v in values:
        if kind == "flag" and not isinstance(v, bool):
            raise _bad(where, f"{name} is true or false")
        if kind == "count" and (isinstance(v, bool) or not isinstance(v, int)):
            raise _bad(where, f"{name} is a whole number")
        if kind == "choice":
            choices = profiles.BY_NAME[name].choices or {}
            if v not in choices:
                raise _bad(where, f"{name} is one of {', '.join(choices)}")
        if kind == "text":
            raise _bad(where, f"{name} is free text and cannot be scored")
    if op in ("gt", "ge", "lt", "le") and kind != "count":
        raise _bad(where, f"{op} compares numbers; {name} is not a number")


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(where, "a whole number")
    return value


def _text(value: Any, where: str, *, max_length: int = 500) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise _bad(where, f"a text of 1–{max_length} characters")
    return value.strip()


def parse_model(definition: Any) -> Model:
    """Validate a model document; the first problem names where it is (ValidationFailed)."""
    if not isinstance(definition, dict):
        raise _bad("/", "a JSON object")
    unknown = sorted(set(definition) - TOP_LEVEL)
    if unknown:
        raise _bad("/" + unknown[0], f"unknown key; the keys are {', '.join(sorted(TOP_LEVEL))}")
    version = definition.get("version")
    if not isinstance(version, str) or not VERSION.match(version):
        raise _bad("/version", "1–32 letters, digits, '.', '_' or '-'")
    base = definition.get("base")
    if not isinstance(base, dict):
        raise _bad("/base", "an object with points and why")
    base_points = _int(base.get("points"), "/base/points")
    if not MIN_SCORE <= base_points <= MAX_SCORE:
        raise _bad("/base/points", "between 0 and 100")
    base_why = _text(base.get("why"), "/base/why")
    extra_base = sorted(set(base) - {"points", "why", "why_zh"})
    if extra_base:
        raise _bad(f"/base/{extra_base[0]}", "unknown key")
    base_why_zh = _text(base["why_zh"], "/base/why_zh") if "why_zh" in base else ""
    raw = definition.get("indicators")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_INDICATORS:
        raise _bad("/indicators", f"a list of 1–{MAX_INDICATORS} indicators")
    seen: set[str] = set()
    indicators = []
    for i, item in enumerate(raw):
        at = f"/indicators/{i}"
        if not isinstance(item, dict):
            raise _bad(at, "an object")
        extra = sorted(
            set(item) - {"code", "dimension", "when", "points", "why", "why_zh", "per", "cap"}
        )
        if extra:
            raise _bad(f"{at}/{extra[0]}", "unknown key")
        code = _text(item.get("code"), f"{at}/code", max_length=64)
        if code in seen or code in ("base", "floor", "ceiling"):
            raise _bad(f"{at}/code", f"'{code}' is used twice or reserved")
        seen.add(code)
        dimension = item.get("dimension")
        if dimension not in profiles.DIMENSIONS:
            raise _bad(f"{at}/dimension", f"one of {', '.join(profiles.DIMENSIONS)}")
        when = item.get("when")
        if not isinstance(when, list) or not when:
            raise _bad(f"{at}/when", "a list of one or more conditions")
        conditions = []
        for j, cond in enumerate(when):
            cat = f"{at}/when/{j}"
            if not isinstance(cond, dict) or set(cond) != {"field", "op", "value"}:
                raise _bad(cat, "an object with field, op and value")
            name, op = cond["field"], cond["op"]
            if name not in _FIELD_KINDS:
                raise _bad(f"{cat}/field", f"one of {', '.join(_FIELD_KINDS)}")
            if op not in _OPS:
                raise _bad(f"{cat}/op", f"one of {', '.join(_OPS)}")
            _check_value(cat, name, cond["value"], op)
            value = tuple(cond["value"]) if op == "in" else cond["value"]
            conditions.append((name, _OPS[op], value))
        points = _int(item.get("points"), f"{at}/points")
        if not points or abs(points) > MAX_SCORE:
            raise _bad(f"{at}/points", "a whole number from -100 to 100, not 0")
        per = item.get("per")
        if per is not None and _FIELD_KINDS.get(per) != "count":
            raise _bad(f"{at}/per", "a count field of the profile")
        cap = item.get("cap")
        if cap is not None:
            cap = _int(cap, f"{at}/cap")
            if per is None or (cap < 0) != (points < 0) or abs(cap) < abs(points):
                raise _bad(f"{at}/cap", "only with per, same sign as points and at least as large")
        indicators.append(
            Indicator(
                code,
                str(dimension),
                tuple(conditions),
                points,
                _text(item.get("why"), f"{at}/why"),
                per,
                cap,
                _text(item["why_zh"], f"{at}/why_zh") if "why_zh" in item else "",
            )
        )
    for key in RESERVED:
        if not isinstance(definition.get(key, {}), dict):
            raise _bad("/" + key, "an object")
    events = _parse_events(definition.get("events", {}))
    _parse_suggestions(definition.get("suggestions", {}), {i.code for i in indicators})
    return Model(version, base_points, base_why, tuple(indicators), definition, base_why_zh, events)


def _parse_suggestions(raw: dict[str, Any], indicator_codes: set[str]) -> None:
    """The ``suggestions`` section (帮扶建议, services/suggestions.py): cause code (致困原因) →
    ``{"zh", "en", "indicators": [indicator codes], "events": [event kinds], "items": [taxonomy
    item codes]}``; a cause applies when one of its indicators counts in the household's score or
    the event is of one of its kinds."""
    from matching import taxonomy

    items = {i.code for i in taxonomy.items()}
    kinds = {k.value for k in EventKind}
    for code, rule in raw.items():
        where = f"/suggestions/{code}"
        if not re.fullmatch(r"[a-z_]{1,32}", code):
            raise _bad(where, "a cause code of a-z and _")
        if not isinstance(rule, dict):
            raise _bad(where, "an object")
        for key in ("zh", "en"):
            if not isinstance(rule.get(key), str) or not rule[key].strip():
                raise _bad(f"{where}/{key}", "a non-empty text")
        for key, known in (("indicators", indicator_codes), ("events", kinds), ("items", items)):
            values = rule.get(key, [])
            if not isinstance(values, list):
                raise _bad(f"{where}/{key}", "a list")
            for i, value in enumerate(values):
                if value not in known:
                    raise _bad(f"{where}/{key}/{i}", f"unknown: {value!r}")
        if not rule.get("items"):
            raise _bad(f"{where}/items", "at least one item of help")


def _parse_events(raw: dict[str, Any]) -> dict[str, EventRule]:
    """The ``events`` section: event kind (``models.EventKind``) → ``{"severe", "effects",
    "why", "why_zh"?}``; each effect ``{"field", "op": set|add|step, "value"?, "from"?,
    "order"?}`` on a profile field or ``members``."""
    kinds = {k.value for k in EventKind}
    out: dict[str, EventRule] = {}
    for kind, rule in raw.items():
        at = f"/events/{kind}"
        if kind not in kinds:
            raise _bad(at, f"an event kind: {', '.join(sorted(kinds))}")
        if not isinstance(rule, dict):
            raise _bad(at, "an object with severe, effects and why")
        extra = sorted(set(rule) - {"severe", "effects", "why", "why_zh"})
        if extra:
            raise _bad(f"{at}/{extra[0]}", "unknown key")
        if not isinstance(rule.get("severe"), bool):
            raise _bad(f"{at}/severe", "true or false")
        effects_raw = rule.get("effects", [])
        if not isinstance(effects_raw, list):
            raise _bad(f"{at}/effects", "a list of profile changes")
        effects = tuple(_parse_effect(e, f"{at}/effects/{j}") for j, e in enumerate(effects_raw))
        out[kind] = EventRule(
            rule["severe"],
            effects,
            _text(rule.get("why"), f"{at}/why"),
            _text(rule["why_zh"], f"{at}/why_zh") if "why_zh" in rule else "",
        )
    return out


def _parse_effect(e: Any, at: str) -> Effect:
    if not isinstance(e, dict):
        raise _bad(at, "an object with field and op")
    extra = sorted(set(e) - {"field", "op", "value", "from", "order"})
    if extra:
        raise _bad(f"{at}/{extra[0]}", "unknown key")
    name, op = e.get("field"), e.get("op")
    if name not in _FIELD_KINDS or _FIELD_KINDS[name] == "text":
        raise _bad(f"{at}/field", "a scored profile field or members")
    if op not in EFFECT_OPS:
        raise _bad(f"{at}/op", f"one of {', '.join(EFFECT_OPS)}")
    kind = _FIELD_KINDS[name]
    if op == "add":
        if kind != "count":
            raise _bad(f"{at}/op", f"add changes a count; {name} is not one")
        value = _int(e.get("value"), f"{at}/value")
        if not value or abs(value) > MAX_MEMBERS:
            raise _bad(f"{at}/value", "a whole number from -30 to 30, not 0")
        return Effect(name, op, value)
    if op == "step":
        order = e.get("order")
        choices = profiles.BY_NAME[name].choices if name in profiles.BY_NAME else None
        if kind != "choice" or not choices:
            raise _bad(f"{at}/op", f"step moves a choice; {name} is not one")
        if (
            not isinstance(order, list)
            or len(order) < 2
            or len(set(order)) != len(order)
            or any(v not in choices for v in order)
        ):
            raise _bad(f"{at}/order", f"a list of distinct values of {name}")
        return Effect(name, op, order=tuple(order))
    if name == "members":
        raise _bad(f"{at}/op", "members changes by add")
    _check_value(at + "/value", name, e.get("value"), "eq")
    from_ = e.get("from")
    if from_ is not None:
        _check_value(at + "/from", name, from_, "in")
    return Effect(name, op, e["value"], tuple(from_) if from_ is not None else None)


def parse_model_bytes(data: bytes) -> Model:
    """A model file as uploaded: UTF-8 JSON of at most ``MAX_MODEL_BYTES``."""
    if len(data) > MAX_MODEL_BYTES:
        raise ValidationFailed(
            {"model": Message("resilience.model_too_large", {"max_kb": MAX_MODEL_BYTES // 1024})}
        )
    try:
        definition = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad("/", f"not JSON: {exc}") from None
    return parse_model(definition)


def checksum(definition: dict[str, Any]) -> str:
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def bundled_files() -> list[Path]:
    """The model files shipped in the repository, oldest version first."""
    return sorted(MODELS_DIR.glob("*.json"), key=lambda p: _version_key(p.stem))


def _version_key(version: str) -> tuple[Any, ...]:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", version))


_cache: dict[tuple[str, str], Model] = {}


def _compiled(row: ResilienceModel) -> Model:
    key = (row.version, row.checksum)
    if key not in _cache:
        _cache[key] = parse_model(row.definition)
    return _cache[key]


def load_model(
    session: Session, definition: dict[str, Any], *, actor: User | None = None
) -> ResilienceModel:
    """Store a new model version and put it in force. The same version loaded again with the
    same content is refused as already loaded, with other content as a conflict: versions are
    immutable. Rescoring the city under it is the caller's next step (a background job)."""
    model = parse_model(definition)
    digest = checksum(definition)
    existing = session.get(ResilienceModel, model.version)
    if existing is not None and existing.checksum == digest:
        raise Conflict(Message("resilience.version_loaded", {"version": model.version}))
    if existing is not None:
        raise Conflict(Message("resilience.version_taken", {"version": model.version}))
    row = ResilienceModel(
        version=model.version,
        definition=definition,
        checksum=digest,
        loaded_at=utcnow(),
        loaded_by=actor.id if actor is not None else None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor, "resilience.load", row, after={"version": row.version, "sha256": digest}
    )
    return row


def upload_model(session: Session, *, actor: User, data: bytes) -> ResilienceModel:
    """The administrator loads a model file (admin page): validated, stored, put in force."""
    require_admin(actor)
    model = parse_model_bytes(data)
    active_row(session)  # the bundled version counts as loaded once anything is scored
    return load_model(session, model.definition, actor=actor)


def active_row(session: Session) -> ResilienceModel:
    """The version in force (the latest loaded); the newest bundled file when none was loaded."""
    row = session.exec(
        select(ResilienceModel).order_by(col(ResilienceModel.loaded_at).desc()).limit(1)
    ).first()
    if row is not None:
        return row
    newest = bundled_files()[-1]
    return load_model(session, json.loads(newest.read_text(encoding="utf-8")))


def active_model(session: Session) -> Model:
    """The compiled model in force. Asked per event (a 10,000-event push): when the version in
    force is compiled already, only its key is read, not its JSON definition."""
    key = session.exec(
        select(ResilienceModel.version, ResilienceModel.checksum)
        .order_by(col(ResilienceModel.loaded_at).desc())
        .limit(1)
    ).first()
    if key is not None and (key[0], key[1]) in _cache:
        return _cache[(key[0], key[1])]
    return _compiled(active_row(session))


def model_versions(session: Session) -> list[ResilienceModel]:
    """Every loaded version, newest first."""
    active_row(session)
    return list(
        session.exec(select(ResilienceModel).order_by(col(ResilienceModel.loaded_at).desc()))
    )


# Scoring households -------------------------------------------------------------------------------


def score_household(model: Model, household: Household) -> Score:
    return model.score(profiles.load(household.profile, source=household.source), household.members)


def record_scores(
    session: Session,
    rows: Sequence[tuple[int, Score]],
    *,
    model_version: str,
    reason: str,
    actor: User | None = None,
    at: datetime | None = None,
    compact: bool = True,
    reasons: Sequence[str] | None = None,
) -> None:
    """Append score history rows (bulk: COPY on PostgreSQL for many). ``compact``: the
    contributions without their reasons, which come back from the model version when read;
    a score of no stored model version (a test's) keeps them. ``reasons``: one per row, instead
    of ``reason`` for all."""
    at = at or utcnow()
    why = list(reasons) if reasons is not None else [reason] * len(rows)
    insert_rows(
        session,
        HouseholdScore,
        [
            {
                "household_id": household_id,
                "score": s.score,
                "model_version": model_version,
                "contributions": s.stored() if compact else s.explanation(),
                "reason": r[:32],
                "computed_at": at,
                "computed_by": actor.id if actor is not None else None,
            }
            for (household_id, s), r in zip(rows, why, strict=True)
        ],
    )


def rescore(
    session: Session, household: Household, *, reason: str, actor: User | None = None
) -> Score:
    """Recompute one household's score under the model in force, keep it in the history and in
    ``Household.risk_score``. Called on every profile change (``rescore_many`` of one)."""
    return rescore_many(session, [household], [reason], actor=actor)[0]


def rescore_many(
    session: Session,
    households: Sequence[Household],
    reasons: Sequence[str],
    actor: User | None = None,
    *,
    refresh: bool = True,
    model: Model | None = None,
) -> list[Score]:
    """Recompute these households' scores under the model in force (each with its reason, in
    the same order), keep them in ``Household.risk_score`` and add the history rows in one
    insert (a batch of monitoring events). ``refresh``: recompute the stored priority of their
    needs (one statement; the caller may do it once for everything it changed). A household
    listed twice gets two history rows of its current state: score a sequence of changes one
    step at a time. ``model``: the model in force, when the caller has read it already."""
    if len(households) != len(reasons):
        raise ValueError("one reason per household")
    if not households:
        return []
    model = model or active_model(session)
    results = [score_household(model, household) for household in households]
    for household, result in zip(households, results, strict=True):
        household.risk_score = result.score
        session.add(household)
    session.flush()
    schedules.relevel(session, [h.id or 0 for h in households])  # the visit due by the level
    if refresh:  # the needs' stored priority
        priority.refresh_households(session, [h.id or 0 for h in households])
    record_scores(
        session,
        [(h.id or 0, r) for h, r in zip(households, results, strict=True)],
        model_version=model.version,
        reason="",
        actor=actor,
        reasons=reasons,
    )
    return results


def update_profile(
    session: Session,
    *,
    actor: User,
    household_id: int,
    profile: Profile,
    members: int | None = None,
) -> Household:
    """Hub staff of the household's subtree edit its profile (and size): the change is kept
    (``ProfileChange``: who, when, each field before and after), audited, and the household is
    rescored. An edit that changes nothing stores nothing."""
    household = get_household_for_staff(session, household_id, actor)
    members = household.members if members is None else members
    if members < 1:
        raise ValidationFailed({"members": Message("field.min", {"min": 1})})
    if members > 30:
        raise ValidationFailed({"members": Message("field.max", {"max": 30})})
    over = profile.over_members(members)
    if over:
        raise ValidationFailed(
            {name: Message("profile.more_than_members", {"members": members}) for name in over}
        )
    before = profiles.load(household.profile, source=household.source)
    changed: dict[str, list[Any]] = profiles.changes(before, profile)
    if members != household.members:
        changed["members"] = [household.members, members]
    if not changed:
        return household
    household.profile = profile.stored()
    household.source = profile.source
    household.members = members
    session.add(household)
    session.add(ProfileChange(household_id=household.id or 0, changed_by=actor.id, changes=changed))
    audit.record(session, actor, "household.profile", household, after={"changes": changed})
    rescore(session, household, reason="profile", actor=actor)
    return household


def initial_scores(
    session: Session, rows: Sequence[tuple[Profile, int]]
) -> tuple[str, list[Score]]:
    """The scores of households about to be registered (their profile and size), and the model
    version: ``households.add_households`` stores them with the rows."""
    model = active_model(session)
    return model.version, [model.score(p, m) for p, m in rows]


# Reading ------------------------------------------------------------------------------------------


def current_score(session: Session, household_id: int) -> HouseholdScore | None:
    return session.exec(
        select(HouseholdScore)
        .where(HouseholdScore.household_id == household_id)
        .order_by(col(HouseholdScore.id).desc())
        .limit(1)
    ).first()


def score_history(session: Session, household_id: int, limit: int = 20) -> list[HouseholdScore]:
    return list(
        session.exec(
            select(HouseholdScore)
            .where(HouseholdScore.household_id == household_id)
            .order_by(col(HouseholdScore.id).desc())
            .limit(limit)
        )
    )


def profile_history(session: Session, household_id: int, limit: int = 50) -> list[ProfileChange]:
    return list(
        session.exec(
            select(ProfileChange)
            .where(ProfileChange.household_id == household_id)
            .order_by(col(ProfileChange.id).desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class ScoreRecord:
    """What the household's case file shows of its monitoring: the profile, the current score
    (with its explanation), the score history and the profile's edits, newest first."""

    profile: Profile
    current: HouseholdScore
    history: list[HouseholdScore]
    changes: list[ProfileChange]
    editors: dict[int, str]  # user id → username, of the edits and scores shown


def score_record(session: Session, household: Household) -> ScoreRecord:
    """The monitoring part of a household's case file (the caller checked the scope)."""
    hid = household.id or 0
    history = score_history(session, hid)
    changes = profile_history(session, hid)
    ids = {c.changed_by for c in changes} | {h.computed_by for h in history}
    ids.discard(None)
    editors = (
        dict(session.exec(select(User.id, User.username).where(col(User.id).in_(ids))).all())
        if ids
        else {}
    )
    return ScoreRecord(
        profile=profiles.load(household.profile, source=household.source),
        current=explain(session, history[0]) if history else legacy_score(household),
        history=history,
        changes=changes,
        editors={int(k): v for k, v in editors.items() if k is not None},
    )


def household_score(session: Session, *, actor: User, household_id: int) -> HouseholdScore:
    """The current score of a household the actor oversees (staff: their subtree; the
    administrator: the city); out of scope reads as not found."""
    scope = viewer_scope(session, actor)
    household = session.get(Household, household_id)
    if household is None or not in_scope(scope, household.community_code):
        raise NotFound("household.not_found")
    score = current_score(session, household_id)
    if score is not None:
        return explain(session, score)
    if not household.profile:
        return legacy_score(household)
    rescore(session, household, reason="first")
    score = current_score(session, household_id)
    assert score is not None
    return explain(session, score)


def explain(session: Session, row: HouseholdScore) -> HouseholdScore:
    """A stored score with the reasons of its model version put back on each contribution
    (a copy, not part of the session)."""
    found = session.get(ResilienceModel, row.model_version)
    reasons = _compiled(found).reasons() if found is not None else {}
    full = []
    for c in row.contributions:
        why, why_zh = reasons.get(c["indicator"], (c.get("why", ""), c.get("why_zh", "")))
        full.append(
            {"indicator": c["indicator"], "points": c["points"], "why": why}
            | ({"why_zh": why_zh} if why_zh else {})
        )
    return HouseholdScore(
        id=row.id,
        household_id=row.household_id,
        score=row.score,
        model_version=row.model_version,
        contributions=full,
        reason=row.reason,
        computed_at=row.computed_at,
        computed_by=row.computed_by,
    )


LEGACY_VERSION = "legacy"
LEGACY_WHY = (
    "Typed by hub staff before scores were computed from the profile; it is replaced by a"
    " computed score as soon as the household's profile is recorded."
)


def legacy_score(household: Household) -> HouseholdScore:
    """The score of a household registered before profiles existed (its profile is empty): the
    number staff typed, explained as such, not stored. Rescoring the city leaves such households
    alone — an empty profile is unknown, not resilient."""
    return HouseholdScore(
        household_id=household.id or 0,
        score=household.risk_score,
        model_version=LEGACY_VERSION,
        contributions=[{"indicator": "legacy", "points": household.risk_score, "why": LEGACY_WHY}],
        reason="legacy",
        computed_at=household.created_at,
    )


# The whole city -----------------------------------------------------------------------------------

Progress = Callable[[int, int], None]


@dataclass
class RescoreReport:
    model_version: str
    households: int = 0
    changed_score: int = 0
    changed_level: int = 0
    unprofiled: int = 0  # households without a profile, left with their typed score
    # "old→new" level → count, for the households that changed level
    transitions: dict[str, int] = field(default_factory=dict)
    by_level: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version,
            "households": self.households,
            "changed_score": self.changed_score,
            "changed_level": self.changed_level,
            "unprofiled": self.unprofiled,
            "transitions": dict(self.transitions),
            "by_level": {str(k): v for k, v in sorted(self.by_level.items())},
            "seconds": round(self.seconds, 2),
        }


BATCH = 20_000


def rescore_all(
    session: Session,
    *,
    version: str | None = None,
    reason: str = "model",
    actor: User | None = None,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> RescoreReport:
    """Rescore every household under ``version`` (default: the model in force), in bulk: the
    profiles are read a batch at a time (keyset on id), scored in Python, the changed scores
    written with one statement per batch and the history loaded with COPY on PostgreSQL."""
    started = time.perf_counter()
    if version is None:
        model = active_model(session)
    else:
        row = session.get(ResilienceModel, version)
        if row is None:
            raise NotFound(Message("resilience.version_unknown", {"version": version}))
        model = _compiled(row)
    count = session.exec(select(func.count()).select_from(Household)).one()
    report = RescoreReport(model.version)
    transitions: Counter[str] = Counter()
    levels: Counter[int] = Counter()
    at = utcnow()
    last_id = 0
    if progress:
        progress(0, count)
    while True:
        rows = session.execute(
            sa_select(
                col(Household.id),
                col(Household.members),
                col(Household.source),
                col(Household.profile),
                col(Household.risk_score),
            )
            .where(col(Household.id) > last_id)
            .order_by(col(Household.id))
            .limit(batch)
        ).all()
        if not rows:
            break
        last_id = rows[-1][0] or 0
        scored: list[tuple[int, Score]] = []
        changed: list[dict[str, int]] = []
        relevelled: list[int] = []  # their needs' stored priority follows (services/priority.py)
        for hid, members, source, stored, old in rows:
            if not stored:  # never profiled: its typed score stays (see ``legacy_score``)
                report.unprofiled += 1
                continue
            result = model.score(_profile_dict(stored, source), members)
            scored.append((hid or 0, result))
            levels[result.level] += 1
            if result.score != old:
                changed.append({"i": hid or 0, "s": result.score})
                report.changed_score += 1
                old_level = _level(old)
                if old_level != result.level:
                    report.changed_level += 1
                    transitions[f"{old_level}→{result.level}"] += 1
                    relevelled.append(hid or 0)
        _write_scores(session, changed)
        priority.refresh_households(session, relevelled)
        schedules.relevel(session, relevelled)  # the visit due by the level
        record_scores(
            session, scored, model_version=model.version, reason=reason, actor=actor, at=at
        )
        report.households += len(rows)
        if progress:
            progress(report.households, count)
    report.transitions = dict(sorted(transitions.items()))
    report.by_level = dict(sorted(levels.items()))
    report.seconds = time.perf_counter() - started
    return report


_DEFAULTS = Profile().model_dump()
_FLOORS = sorted(RISK_LEVEL_FLOORS.values())
_LEVEL_AT = [level for _floor, level in sorted((f, lv) for lv, f in RISK_LEVEL_FLOORS.items())]


def _level(score: int) -> int:
    """``models.risk_level`` for the hot path (the same bands, by bisection)."""
    return _LEVEL_AT[max(0, bisect_right(_FLOORS, score) - 1)]


def _profile_dict(stored: dict[str, Any] | None, source: str) -> dict[str, Any]:
    """A stored profile as scoring reads it, without pydantic on the hot path (stored profiles
    were validated when written; defaults fill what older rows lack)."""
    return _DEFAULTS | (stored or {}) | {"source": source}


def _write_scores(session: Session, changed: list[dict[str, int]]) -> None:
    if not changed:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "UPDATE household AS h SET risk_score = v.s FROM "
                "(SELECT unnest(CAST(:ids AS integer[])) AS i, "
                "unnest(CAST(:scores AS integer[])) AS s) AS v WHERE h.id = v.i"
            ),
            {"ids": [c["i"] for c in changed], "scores": [c["s"] for c in changed]},
        )
    else:
        conn.execute(
            text("UPDATE household SET risk_score = :s WHERE id = :i").bindparams(
                bindparam("s"), bindparam("i")
            ),
            changed,
        )


def levels_of(scores: Iterable[int]) -> dict[int, int]:
    return dict(sorted(Counter(risk_level(s) for s in scores).items()))
