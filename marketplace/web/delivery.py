"""Pages that members (their claims) and organisations (their assignments) share: the delivery
report (送达) and the household's address and phone for a home delivery or home service.

A report is sent in two steps: the deliverer writes a note and chooses a photo, sees what will be
sent (the note as hub staff will read it, the photo, the need it is about) and confirms it. The
photo is checked and kept at the preview (``uploads.stash_pending``), so it survives the step;
nothing is stored for the claim until the confirmation, and a refused step stores nothing.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from marketplace.db import get_session
from marketplace.schemas import DeliveryIn
from marketplace.services import claims
from marketplace.services.errors import ServiceError, ValidationFailed, parse
from marketplace.uploads import (
    pending_path,
    pending_saver,
    photo_saver,
    stash_pending,
    thumbnail_data_uri,
)
from marketplace.web.forms import DeliveryForm
from marketplace.web.helpers import attach_errors, me

STEPS = ("preview", "confirm", "edit")


def delivery_page(claim_id: int, *, done: str) -> ResponseReturnValue:
    """Report a delivery: form → preview → confirm. ``done`` is where the deliverer goes back to."""
    db = get_session()
    c, view = claims.claim_with_wish(db, actor=me(), claim_id=claim_id)
    info = claims.delivery_infos(db, [c]).get(c.id or 0)
    min_chars = int(current_app.config["DELIVERY_NOTE_MIN_CHARS"])
    form = DeliveryForm()
    step = request.form.get("step", "preview")
    if step not in STEPS:
        step = "preview"

    def page(
        status: int = 200, general: list[str] | None = None, **extra: object
    ) -> ResponseReturnValue:
        kept = pending_path(c.id or 0, form.pending.data)
        body = render_template(
            "deliver.html",
            form=form,
            c=c,
            w=view,
            info=info,
            done=done,
            min_chars=min_chars,
            general=general or [],
            kept_photo=thumbnail_data_uri(kept) if kept else None,
            **extra,
        )
        return body, status

    if not form.validate_on_submit():
        return page(422 if form.is_submitted() else 200)
    if step == "edit":
        return page()
    kept = pending_path(c.id or 0, form.pending.data) if form.pending.data else None
    upload = form.photo.data if isinstance(form.photo.data, FileStorage) else None
    if upload is not None and not upload.filename:
        upload = None
    try:
        if form.pending.data and kept is None:
            form.pending.data = ""
            raise ValidationFailed({"photo": "photo.pending_missing"})
        data = parse(DeliveryIn, {"note": form.note.data or ""})
        if step == "confirm":
            claims.report_delivery(
                db,
                actor=me(),
                claim_id=claim_id,
                note=data.note,
                save_photo=pending_saver(kept, db) if kept else photo_saver(upload, db),
                note_min_chars=min_chars,
                hours=form.hours.data,
            )
            flash(_("Thank you! The hub staff will confirm the delivery."), "success")
            return redirect(done)
        # Preview: the rule first (cheap), then the new photo is checked and kept.
        preview = claims.preview_delivery(
            db,
            actor=me(),
            claim_id=claim_id,
            note=data.note,
            has_photo=upload is not None or kept is not None,
            note_min_chars=min_chars,
            hours=form.hours.data,
        )
        if upload is not None:
            token = stash_pending(upload, c.id or 0)
            if kept is not None:
                kept.unlink(missing_ok=True)  # replaced by the new choice
            form.pending.data = token
    except ServiceError as exc:
        if not exc.errors:
            raise
        return page(exc.status, attach_errors(form, exc.errors))
    return page(preview=preview)


def household_contact_page(claim_id: int, *, back: str) -> ResponseReturnValue:
    """The household's address and phone for the helper of an active home delivery or home
    service (a POST: each view is audited by ``claims.household_contact``). Not cached."""
    contact = claims.household_contact(get_session(), actor=me(), claim_id=claim_id)
    body = render_template("delivery_contact.html", contact=contact, back=back)
    return body, 200, {"Cache-Control": "no-store"}
