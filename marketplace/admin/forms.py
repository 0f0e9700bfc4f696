"""Administrator forms: vetting organisations, accounts, the two-step sign-in policy."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from marketplace.web.forms import MultiCheckboxField


class VetForm(FlaskForm):
    note = StringField(_l("Note"), validators=[Length(max=500)])
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Decline"))


class AccountForm(FlaskForm):
    """A new account (hub staff with their hub, a Party member, an administrator). The hub is
    chosen district → street → community (``services.region_picker``), or found by name."""

    role = SelectField(_l("Role"))
    username = StringField(
        _l("Login name"),
        validators=[DataRequired(), Length(min=3, max=64)],
        description=_l("3–64 letters, digits or . _ - @; the person logs in with it"),
    )
    display_name = StringField(
        _l("Name"), validators=[Length(max=64)], description=_l("How pages greet the person")
    )
    district = SelectField(_l("District"), validate_choice=False)
    street = SelectField(_l("Street"), validate_choice=False)
    community = SelectField(_l("Community"), validate_choice=False)
    hub_q = StringField(_l("Find a hub by name"), validators=[Length(max=32)])


class AccountImportForm(FlaskForm):
    file = FileField(
        _l("Workbook (.xlsx)"),
        validators=[FileRequired(), FileAllowed(["xlsx"], _l("Upload an .xlsx workbook"))],
    )


class TwoFactorPolicyForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles that must use two-step sign-in"))


class ModelUploadForm(FlaskForm):
    """A new version of the resilience score model (抗风险能力赋分模型), as a JSON file."""

    file = FileField(
        _l("Model file (.json)"),
        validators=[FileRequired(), FileAllowed(["json"], _l("Upload a .json model file."))],
        render_kw={"accept": ".json,application/json"},
    )
