"""Forms of sign-in and of the account: login, second factor, password, display name, 2FA."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from marketplace.web.helpers import choices
from marketplace.web.labels import ORG_TYPE_LABELS


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


class OrgRegisterForm(FlaskForm):
    name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(min=2, max=120)])
    type = SelectField(_l("Organisation type"), choices=choices(ORG_TYPE_LABELS.items()))
    credit_code = StringField(
        _l("Unified social credit code"),
        validators=[DataRequired(), Length(max=18)],
        description=_l("18 characters, printed on the registration certificate"),
    )
    display_name = StringField(_l("Contact person"), validators=[Length(max=64)])
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=3, max=64)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=256)],
        description=_l("At least 12 characters"),
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match"))],
    )


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32)],
        description=_l("The 6-digit code of your authenticator app, or one of your recovery codes"),
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True},
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=256)],
        description=_l("At least 12 characters"),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "new-password"},
    )


class DisplayNameForm(FlaskForm):
    display_name = StringField(
        _l("Display name"),
        validators=[Length(max=64)],
        description=_l("How pages greet you; your login name does not change"),
    )


class TotpConfirmForm(FlaskForm):
    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(), Length(max=16)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class PasswordConfirmForm(FlaskForm):
    password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
