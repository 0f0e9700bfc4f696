"""Blueprint ``main``: home page, language and large-text switches, notifications."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_required

from marketplace.db import get_session
from marketplace.services import notifications
from marketplace.services.ui_queries import home_counters
from marketplace.web.helpers import EmptyForm, back, safe_next
from marketplace.web.i18n import LANGUAGES

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("main/index.html", counters=home_counters(get_session()))


@bp.get("/lang/<code>")
def set_language(code: str) -> ResponseReturnValue:
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    return redirect(safe_next(request.args.get("next")) or url_for("main.index"))


@bp.post("/large-text")
def toggle_large_text() -> ResponseReturnValue:
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    session["large_text"] = not session.get("large_text", False)
    return redirect(back(url_for("main.index")))


@bp.get("/notifications")
@login_required
def notifications_list() -> ResponseReturnValue:
    rows = notifications.recent(get_session(), current_user.id)
    return render_template("main/notifications.html", rows=rows, form=EmptyForm())


@bp.post("/notifications/read")
@login_required
def notifications_read() -> ResponseReturnValue:
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    notifications.mark_all_read(get_session(), current_user.id)
    flash(gettext("All notifications marked as read."), "success")
    return redirect(url_for("main.notifications_list"))
