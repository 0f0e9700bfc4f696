"""一户一档 — the household's case file for hub staff: correct a household or a need, move the
household along its lifecycle, attach documents and photos, read the history of changes
(services/casefile.py)."""

from __future__ import annotations

from typing import Any

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from marketplace.db import get_session
from marketplace.hub.blueprint import bp
from marketplace.hub.forms import (
    AttachmentForm,
    HouseholdEditForm,
    NeedEditForm,
    StageForm,
)
from marketplace.models import Household, Role
from marketplace.services import casefile, hubs, regions
from marketplace.services.access import get_household_for_staff, get_need_for_staff
from marketplace.services.errors import ServiceError
from marketplace.uploads import attachment_dir, attachment_saver
from marketplace.web.access import role_required
from marketplace.web.audit import field_value
from marketplace.web.helpers import attach_errors, me
from marketplace.web.labels import STAGE_LABELS, label
from marketplace.web.messages import render

HISTORY_ON_PAGE = 20  # audit entries on the household page; the rest on the history page


def case_file(household: Household) -> dict[str, Any]:
    """What the household page shows of its case file (for ``hub.household_detail``)."""
    db = get_session()
    moves = sorted(casefile.MOVES.get(household.stage, frozenset()))
    form = StageForm(formdata=None)
    form.stage.choices = [SelectChoice(s, str(STAGE_LABELS[s])) for s in moves]
    return {
        "history": casefile.history(
            db, actor=me(), household_id=household.id or 0, limit=HISTORY_ON_PAGE
        ),
        "attachments": casefile.attachments(db, actor=me(), household_id=household.id or 0),
        "stage_form": form,
        "attachment_form": AttachmentForm(formdata=None),
        "field_value": field_value,
        "audit_label": label,
    }


@bp.route("/households/<int:household_id>/edit", methods=["GET", "POST"])
@role_required(Role.HUB_STAFF)
def household_edit(household_id: int) -> ResponseReturnValue:
    db = get_session()
    household = get_household_for_staff(db, household_id, me())
    form = HouseholdEditForm(obj=household)
    form.community_code.choices = [
        SelectChoice(c.code, c.name, optgroup=street.name)
        for street, communities in hubs.communities(db, actor=me())
        for c in communities
    ]
    general: list[str] = []
    if form.validate_on_submit():
        changes = {name: form[name].data for name in casefile.HOUSEHOLD_FIELDS}
        try:
            casefile.edit_household(db, actor=me(), household_id=household_id, changes=changes)
        except ServiceError as exc:
            if not exc.errors:
                raise
            general = attach_errors(form, exc.errors)
            page = render_template(
                "hub/household_edit.html", form=form, h=household, general=general
            )
            return page, exc.status
        flash(_("Household details saved; the change is in its history."), "success")
        return redirect(url_for("hub.household_detail", household_id=household_id))
    status = 422 if form.is_submitted() else 200
    page = render_template("hub/household_edit.html", form=form, h=household, general=general)
    return page, status


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@role_required(Role.HUB_STAFF)
def need_edit(need_id: int) -> ResponseReturnValue:
    db = get_session()
    need = get_need_for_staff(db, need_id, me())
    household = db.get_one(Household, need.household_id)
    committed = casefile.need_is_committed(db, need)
    form = NeedEditForm(
        data={
            "kind": need.kind,
            "item": need.item_code,
            "title": need.title,
            "description": need.description,
            "value_yuan": need.value_yuan,
            "deadline": need.deadline,
            "delivery_mode": need.delivery_mode,
            "delivery_instructions": need.delivery_instructions,
            "public_title": need.public_title or need.title,
            "public_text": need.public_text,
        }
        if request.method != "POST"
        else None
    )
    form.item.choices = [
        SelectChoice(
            i.code, f"{i.code} {i.name_zh}", optgroup=f"{first.category_code} {first.category_zh}"
        )
        for first, items in regions.taxonomy_groups(db)
        for i in items
    ]
    if committed:  # what was agreed is not on the form (services/casefile.NEED_DEAL)
        for name in ("kind", "item", "value_yuan", "deadline", "delivery_mode"):
            delattr(form, name)
    general: list[str] = []
    if form.validate_on_submit():
        changes = {
            name: form[name].data
            for name in casefile.NEED_FIELDS
            if name in form and name not in ("public_title", "public_text")
        }
        changes["description"] = changes.get("description") or ""
        changes["delivery_instructions"] = changes.get("delivery_instructions") or ""
        if "value_yuan" in changes and changes["value_yuan"] is None:
            changes["value_yuan"] = 0
        for name in ("public_title", "public_text"):
            if (form[name].data or "").strip():
                changes[name] = form[name].data
        try:
            casefile.edit_need(db, actor=me(), need_id=need_id, changes=changes)
        except ServiceError as exc:
            if not exc.errors:
                raise
            general = attach_errors(form, exc.errors)
            page = render_template(
                "hub/need_edit.html",
                form=form,
                h=household,
                need=need,
                committed=committed,
                general=general,
            )
            return page, exc.status
        flash(_("Need saved; the change is in the household's history."), "success")
        return redirect(url_for("hub.household_detail", household_id=household.id))
    status = 422 if form.is_submitted() else 200
    page = render_template(
        "hub/need_edit.html",
        form=form,
        h=household,
        need=need,
        committed=committed,
        general=general,
    )
    return page, status


@bp.post("/households/<int:household_id>/stage")
@role_required(Role.HUB_STAFF)
def household_stage(household_id: int) -> ResponseReturnValue:
    """Move the household along its lifecycle (监测对象 → 在册 → 渐退期 → 退出), with a reason."""
    db = get_session()
    get_household_for_staff(db, household_id, me())
    form = StageForm()
    form.stage.choices = [SelectChoice(s, str(STAGE_LABELS[s])) for s in casefile.STAGES]
    if form.validate_on_submit():
        household = casefile.move_stage(
            db,
            actor=me(),
            household_id=household_id,
            stage=form.stage.data,
            reason=form.reason.data,
            gradual_exit_days=int(current_app.config["GRADUAL_EXIT_DAYS"]),
        )
        flash(
            _("Stage changed to %(stage)s.", stage=STAGE_LABELS.get(household.stage, "")),
            "success",
        )
    else:
        flash(_("Choose the new stage and give a reason."), "error")
    return redirect(url_for("hub.household_detail", household_id=household_id) + "#lifecycle")


@bp.post("/households/<int:household_id>/attachments")
@role_required(Role.HUB_STAFF)
def attachment_add(household_id: int) -> ResponseReturnValue:
    db = get_session()
    get_household_for_staff(db, household_id, me())
    form = AttachmentForm()
    back = url_for("hub.household_detail", household_id=household_id) + "#attachments"
    if not form.validate_on_submit():
        flash(_("Choose a file to attach."), "error")
        return redirect(back)
    upload = form.file.data
    try:
        casefile.add_attachment(
            db,
            actor=me(),
            household_id=household_id,
            filename=upload.filename or "",
            save=attachment_saver(upload, db),
        )
    except ServiceError as exc:
        if not exc.errors:
            raise
        for message in exc.errors.values():
            flash(render(message), "error")
        return redirect(back)
    flash(_("Attachment added."), "success")
    return redirect(back)


@bp.get("/households/<int:household_id>/attachments/<int:attachment_id>")
@role_required(Role.HUB_STAFF)
def attachment_view(household_id: int, attachment_id: int) -> ResponseReturnValue:
    """An attachment, to hub staff of the household's subtree only; every view is audited. PDFs
    download (never rendered in the site's origin); photos are re-encoded JPEGs."""
    row = casefile.view_attachment(
        get_session(), actor=me(), household_id=household_id, attachment_id=attachment_id
    )
    is_pdf = row.content_type == "application/pdf"
    response = send_from_directory(
        attachment_dir(),
        row.stored_name,
        mimetype=row.content_type,
        as_attachment=is_pdf,
        download_name=row.filename if is_pdf else None,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/households/<int:household_id>/history")
@role_required(Role.HUB_STAFF)
def household_history(household_id: int) -> ResponseReturnValue:
    """变更记录 — the household's whole history of changes, a page at a time."""
    db = get_session()
    household = get_household_for_staff(db, household_id, me())
    page = casefile.history(
        db,
        actor=me(),
        household_id=household_id,
        cursor=request.args.get("cursor", type=int),
        limit=50,
    )
    return render_template(
        "hub/household_history.html",
        h=household,
        history=page,
        field_value=field_value,
        audit_label=label,
    )
