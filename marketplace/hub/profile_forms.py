"""Hub staff forms of the household profile (家庭画像, seven dimensions): the profile's fields are
built from ``marketplace.profiles`` so that the form, the API and the Excel template never differ."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, Form, FormField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace import profiles
from marketplace.web.helpers import choices
from marketplace.web.profile_labels import CHOICE_LABELS, FIELD_LABELS


def _profile_field(f: profiles.ProfileField) -> Field:
    default = profiles.Profile().model_dump()[f.name]
    label = FIELD_LABELS[f.name]
    if f.kind == "choice":
        options = list(CHOICE_LABELS[f.name].items())
        if f.name == "source":  # chosen on purpose, never left at a default
            return SelectField(
                label,
                choices=[SelectChoice("", _l("Choose…")), *choices(options)],
                validators=[DataRequired()],
                description=_l(
                    "The last five are the high-risk sources: exited assistance, refused"
                    " application, temporary assistance, actively discovered, another department"
                ),
            )
        return SelectField(label, choices=choices(options), default=default)
    if f.kind == "count":
        return IntegerField(
            label,
            default=default,
            # A count left out keeps its default (nothing to report): Optional, not required.
            validators=[Optional(), NumberRange(min=0, max=30)],
            render_kw={"inputmode": "numeric", "min": 0, "max": 30},
        )
    if f.kind == "flag":
        return BooleanField(label, default=default)
    return StringField(label, default="", validators=[Length(max=200)])


class ProfileForm(Form):
    """The profile's fields, nested in the household forms as ``profile`` (no CSRF token of its
    own: the outer form has one)."""


for _f in profiles.FIELDS:
    setattr(ProfileForm, _f.name, _profile_field(_f))


def profile_field() -> Any:
    return FormField(ProfileForm, separator="-")


class ProfileEditForm(FlaskForm):
    """编辑家庭画像 — the household's size and profile; every change is kept and rescored."""

    members = IntegerField(
        _l("Household members"), validators=[InputRequired(), NumberRange(min=1, max=30)]
    )
    profile = profile_field()


def by_dimension(form: Any) -> list[tuple[str, list[Any]]]:
    """The bound fields of ``form.profile`` grouped by dimension, in the model's order."""
    groups: dict[str, list[Any]] = {d: [] for d in profiles.DIMENSIONS}
    for f in profiles.FIELDS:
        groups[f.dimension].append(form.profile[f.name])
    return list(groups.items())


def attach_profile_errors(form: Any, errors: dict[str, Any], render: Any) -> dict[str, Any]:
    """Put a service's profile errors on the profile's fields: ``profile`` (a rule across fields,
    naming its fields or not) and the fields' own names; the rest is returned."""
    rest = dict(errors)
    for name in list(rest):
        message = rest[name]
        if name in ("profile", "_"):
            targets = list(message.params.get("fields") or []) or ["employed"]
        elif name in profiles.BY_NAME:
            targets = [name]
        else:
            continue
        del rest[name]
        for target in targets:
            sub = form.profile[target]
            sub.errors = [*list(sub.errors), render(message)]
    return rest
