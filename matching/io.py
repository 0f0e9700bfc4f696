"""Problem and result files (JSON), see ``matching/README.md`` for the formats.

Reading validates everything through the model's ``__post_init__`` checks and reports the
first problem as one :class:`ProblemFileError` naming the record and field, e.g.
``needs[17] (id "n42"): field "lat": 95.0 is out of range -90..90``.  Writing is atomic
(temporary file in the same directory, then rename), so a failed run leaves no output.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from matching.model import Held, Need, Offer, Params, Problem, RecentHelp, Result

__all__ = [
    "ProblemFileError",
    "load_problem",
    "problem_from_json",
    "problem_to_json",
    "result_to_json",
    "write_json_atomic",
]

_NEED_REQUIRED = ("id", "household", "item", "lat", "lon", "region", "priority")
_NEED_FIELDS = (*_NEED_REQUIRED, "posted", "hardship", "text", "excluded_offers")
_OFFER_REQUIRED = ("id", "items", "lat", "lon", "capacity")
_OFFER_FIELDS = (*_OFFER_REQUIRED, "radius_km", "regions", "hardship", "start", "end")


_T = TypeVar("_T")


class ProblemFileError(ValueError):
    """A problem file is not valid; the message names the offending record and field."""


def _show_id(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _where(kind: str, index: int, raw: object) -> str:
    if isinstance(raw, Mapping) and "id" in raw:
        return f"{kind}[{index}] (id {_show_id(raw['id'])})"
    return f"{kind}[{index}]"


def _datetime(name: str, value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f'field "{name}": {value!r} is not an ISO date-time string')
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f'field "{name}": {value!r} is not an ISO date-time') from None


def _date(name: str, value: object) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f'field "{name}": {value!r} is not a "YYYY-MM-DD" string')
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f'field "{name}": {value!r} is not a date "YYYY-MM-DD"') from None


def _string_list(name: str, value: object) -> tuple[Any, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f'field "{name}": {value!r} is not a list')
    return tuple(value)


def _record(raw: object, required: tuple[str, ...], known: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ValueError(f"is not an object but {type(raw).__name__}")
    for name in required:
        if name not in raw:
            raise ValueError(f'field "{name}": missing')
        if raw[name] is None:
            raise ValueError(f'field "{name}": must not be null')
    return {k: raw[k] for k in known if k in raw}


def _need(raw: object) -> Need:
    r = _record(raw, _NEED_REQUIRED, _NEED_FIELDS)
    r["posted"] = _datetime("posted", r.get("posted"))
    r["excluded_offers"] = _string_list("excluded_offers", r.get("excluded_offers"))
    return Need(**r)


def _offer(raw: object) -> Offer:
    r = _record(raw, _OFFER_REQUIRED, _OFFER_FIELDS)
    r["items"] = _string_list("items", r["items"])
    r["regions"] = _string_list("regions", r.get("regions"))
    r["hardship"] = _string_list("hardship", r.get("hardship"))
    r["start"] = _date("start", r.get("start"))
    r["end"] = _date("end", r.get("end"))
    return Offer(**r)


def _recent(raw: object) -> RecentHelp:
    r = _record(raw, ("household", "items"), ("household", "items"))
    return RecentHelp(r["household"], _string_list("items", r["items"]))


def _held(raw: object) -> Held:
    r = _record(raw, ("need", "offer"), ("need", "offer"))
    return Held(r["need"], r["offer"])


def _params(raw: object) -> Params:
    if raw is None:
        return Params()
    if not isinstance(raw, Mapping):
        raise ValueError(f"is not an object but {type(raw).__name__}")
    tilt_km = raw.get("tilt_km")
    once = raw.get("once_per_item")
    return Params(
        max_per_household=raw.get("max_per_household"),
        round_date=_date("round_date", raw.get("round_date")),
        time_limit_s=raw.get("time_limit_s"),
        max_km=raw.get("max_km"),
        tilt_regions=_string_list("tilt_regions", raw.get("tilt_regions")),
        tilt_km=0.0 if tilt_km is None else tilt_km,
        once_per_item=False if once is None else once,
    )


def _records(
    data: Mapping[str, Any], kind: str, build: Callable[[object], _T], optional: bool = False
) -> list[_T]:
    raw = data.get(kind)
    if optional and raw is None:
        return []
    if not isinstance(raw, list):
        raise ProblemFileError(f'field "{kind}": {"not" if optional else "missing or not"} a list')
    out = []
    for i, item in enumerate(raw):
        try:
            out.append(build(item))
        except (ValueError, TypeError) as exc:
            raise ProblemFileError(f"{_where(kind, i, item)}: {exc}") from None
    return out


def problem_from_json(data: object) -> Problem:
    """Build a validated :class:`Problem` from parsed JSON; raises :class:`ProblemFileError`."""
    if not isinstance(data, Mapping):
        raise ProblemFileError("the file must hold a JSON object with needs, offers, params")
    needs = _records(data, "needs", _need)
    offers = _records(data, "offers", _offer)
    recent = _records(data, "recent", _recent, optional=True)
    held = _records(data, "held", _held, optional=True)
    try:
        params = _params(data.get("params"))
    except ValueError as exc:
        raise ProblemFileError(f"params: {exc}") from None
    try:
        return Problem(tuple(needs), tuple(offers), params, tuple(recent), tuple(held))
    except ValueError as exc:
        raise ProblemFileError(str(exc)) from None


def load_problem(path: str | os.PathLike[str]) -> Problem:
    """Read and validate a problem file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ProblemFileError(f"cannot read {os.fspath(path)}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ProblemFileError(f"{os.fspath(path)} is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProblemFileError(
            f"{os.fspath(path)} is not valid JSON: {exc.msg} (line {exc.lineno}, "
            f"column {exc.colno})"
        ) from None
    return problem_from_json(data)


def _opt(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def problem_to_json(problem: Problem) -> dict[str, Any]:
    """The inverse of :func:`problem_from_json` (omits empty optional fields)."""

    def need(n: Need) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(n, k) for k in _NEED_REQUIRED}
        for k in ("posted", "hardship", "text"):
            if getattr(n, k) is not None:
                out[k] = _opt(getattr(n, k))
        if n.excluded_offers:
            out["excluded_offers"] = list(n.excluded_offers)
        return out

    def offer(o: Offer) -> dict[str, Any]:
        out: dict[str, Any] = {"id": o.id, "items": list(o.items), "lat": o.lat, "lon": o.lon}
        out["capacity"] = o.capacity
        if o.radius_km is not None:
            out["radius_km"] = o.radius_km
        if o.regions:
            out["regions"] = list(o.regions)
        if o.hardship:
            out["hardship"] = list(o.hardship)
        for k in ("start", "end"):
            if getattr(o, k) is not None:
                out[k] = _opt(getattr(o, k))
        return out

    p = problem.params
    params: dict[str, Any] = {}
    if p.max_per_household is not None:
        params["max_per_household"] = p.max_per_household
    if p.round_date is not None:
        params["round_date"] = p.round_date.isoformat()
    if p.time_limit_s is not None:
        params["time_limit_s"] = p.time_limit_s
    if p.max_km is not None:
        params["max_km"] = p.max_km
    if p.tilt_regions:
        params["tilt_regions"] = list(p.tilt_regions)
    if p.tilt_km:
        params["tilt_km"] = p.tilt_km
    if p.once_per_item:
        params["once_per_item"] = True
    out: dict[str, Any] = {
        "needs": [need(n) for n in problem.needs],
        "offers": [offer(o) for o in problem.offers],
        "params": params,
    }
    if problem.recent:
        out["recent"] = [{"household": r.household, "items": list(r.items)} for r in problem.recent]
    if problem.held:
        out["held"] = [{"need": h.need, "offer": h.offer} for h in problem.held]
    return out


def result_to_json(result: Result) -> dict[str, Any]:
    """The result file's content; ids are written exactly as they were given."""
    return {
        "assignments": [
            {
                "need": a.need,
                "offer": a.offer,
                "distance_km": a.distance_km,
                "reasons": list(a.reasons),
            }
            for a in result.assignments
        ],
        "unmatched": [{"need": u.need, "reason": u.reason} for u in result.unmatched],
        "stats": dict(result.stats),
    }


def write_json_atomic(path: str | os.PathLike[str], data: object) -> None:
    """Write JSON to ``path`` via a temporary file and rename: all or nothing."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
            fh.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
