"""结对帮扶 — the pages a paired helper shares, member or organisation account: my paired
households (masked, the hub to call, the next visit due) and recording a visit from the phone
(探访关爱). Each blueprint routes ``paired`` and ``paired_visit`` to these."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from marketplace.db import get_session
from marketplace.services import pairings
from marketplace.services.clock import beijing_today
from marketplace.web.helpers import me
from marketplace.web.visit_form import VisitForm, save_visit


def paired_page(blueprint: str) -> ResponseReturnValue:
    """The helper's active pairings (``blueprint``: ``member`` or ``org``, for the links)."""
    rows = pairings.my_pairings(get_session(), actor=me())
    return render_template("paired.html", rows=rows, bp=blueprint)


def paired_visit_page(blueprint: str, household_id: int) -> ResponseReturnValue:
    """Record a visit to one of the helper's paired households (anyone else's: 404)."""
    db = get_session()
    row = pairings.paired_household(db, actor=me(), household_id=household_id)
    form = VisitForm()
    if request.method == "GET":
        form.visited_on.data = beijing_today()
    general: list[str] = []
    if form.validate_on_submit():
        refused = save_visit(form, household_id)
        if refused is None:
            flash(_("Visit recorded. Thank you!"), "success")
            return redirect(url_for(f"{blueprint}.paired"))
        general = refused
    status = 422 if form.is_submitted() else 200
    return render_template(
        "paired_visit.html", form=form, row=row, general=general, bp=blueprint
    ), status
