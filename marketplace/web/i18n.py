"""Language of the pages: Chinese first, English on request; the catalogue looked up once per
request. Dates and times are shown in Beijing time (``|bjdate``, ``|bjtime``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, g, request, session
from flask_babel import format_decimal, get_locale, get_translations, gettext

from marketplace.services.clock import to_beijing

LANGUAGES = ("zh_CN", "en")


def select_locale() -> str:
    """Chinese first: zh_CN unless the user switched to English (``?lang=en`` or the switch)."""
    chosen = request.args.get("lang") or session.get("lang")
    return str(chosen) if chosen in LANGUAGES else "zh_CN"


def _request_translations() -> Any:
    """The request's catalogue, looked up once per request and locale. A table page calls
    ``_()`` a few hundred times; Flask-Babel resolves the domain, the locale and its cache key on
    every call. Keyed on the locale object, so ``force_locale`` and ``refresh`` still apply."""
    locale = get_locale()
    cached = g.get("_zf_translations")
    if cached is None or cached[0] is not locale:
        cached = g._zf_translations = (locale, get_translations())
    return cached[1]


def _moment(value: Any) -> date | datetime | None:
    """A stored moment (aware or naive UTC), a date, or an ISO string of either; else None."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return to_beijing(value)
    return value if isinstance(value, date) else None


def bjdate(value: Any) -> str:
    """The Beijing calendar day of a moment (``2026-12-02`` for 05:18 Beijing = 21:18 UTC the day
    before); a date stays as it is. Empty for no value."""
    moment = _moment(value)
    if moment is None:
        return "" if value in (None, "") else str(value)
    return (moment.date() if isinstance(moment, datetime) else moment).isoformat()


def bjtime(value: Any) -> str:
    """A moment in Beijing time, to the minute: ``2026-12-02 05:18``."""
    moment = _moment(value)
    if not isinstance(moment, datetime):
        return bjdate(value)
    return moment.strftime("%Y-%m-%d %H:%M")


# Below two days a time reads best in hours ("36 小时"); above, in days ("16 天", not "384 小时").
DAYS_FROM_HOURS = 48


def duration(hours: float | None) -> str:
    """A time span given in hours, in the unit a person reads best: hours below two days, else
    days, to one decimal."""
    if hours is None:
        return "—"
    if hours < DAYS_FROM_HOURS:
        return gettext("%(n)s hours", n=format_decimal(round(hours, 1), "#,##0.#"))
    return gettext("%(n)s days", n=format_decimal(round(hours / 24, 1), "#,##0.#"))


def colon() -> str:
    """What follows a label: the full-width "：" in Chinese ("排序：", never "排序:"), ": " in English."""
    return ": " if str(get_locale()).startswith("en") else "："


def init_app(app: Flask) -> None:
    app.add_template_global(colon, "colon")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(bjdate, "bjdate")
    app.add_template_filter(bjtime, "bjtime")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
