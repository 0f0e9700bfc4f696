"""Language of the pages: Chinese first, English on request; the catalogue looked up once per
request."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request, session
from flask_babel import get_locale, get_translations

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


def init_app(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
