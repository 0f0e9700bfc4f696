"""The region picker's view half (district → street → community, or found by name), shared by
the forms that choose a hub or a community (the administrator's new account, a member's 主动发现
report). The form has ``district``, ``street`` and ``community`` selects and a ``hub_q`` search
box; the submit button's ``action`` says what happened: ``refresh`` (a level changed),
``find`` (search by name) or ``choose:<code>`` (a search result picked)."""

from __future__ import annotations

from typing import Any

from flask import request

from marketplace.db import get_session
from marketplace.services import region_picker


def fill_picker(form: Any) -> tuple[region_picker.Pick, list[tuple[str, str]]]:
    """The region chosen so far (its selects filled with the next levels' choices), and the
    regions found by name when the search button was pressed."""
    db = get_session()
    action = request.form.get("action", "")
    if action.startswith("choose:"):
        chosen = region_picker.pick_of(db, action.removeprefix("choose:"))
    else:
        chosen = region_picker.pick(
            db, form.district.data or "", form.street.data or "", form.community.data or ""
        )
    levels = region_picker.levels(db, chosen)
    for select, refs, chosen_code in (
        (form.district, levels.districts, chosen.district),
        (form.street, levels.streets, chosen.street),
        (form.community, levels.communities, chosen.community),
    ):
        select.choices = [("", "—")] + [(r.code, r.name) for r in refs]
        select.data = chosen_code
    found = region_picker.search(db, form.hub_q.data or "") if action == "find" else []
    return chosen, found
