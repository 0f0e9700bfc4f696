"""Forms of the ``staff`` blueprint: a new campaign (专项活动)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from marketplace.web.forms import MultiCheckboxField


class CampaignForm(FlaskForm):
    """专项活动 — name, theme, period, theme items and target regions (choices set by the view:
    the districts and streets of the creator's area; communities by code)."""

    name = StringField(_l("Campaign name"), validators=[DataRequired(), Length(max=80)])
    theme = TextAreaField(_l("Theme"), validators=[Length(max=1000)], render_kw={"rows": 3})
    start = DateField(_l("Start"), validators=[DataRequired()])
    end = DateField(_l("End"), validators=[DataRequired()])
    items = MultiCheckboxField(_l("Theme items"), choices=[], validate_choice=False)
    regions = MultiCheckboxField(_l("Target regions"), choices=[], validate_choice=False)
    communities = StringField(
        _l("Target communities (codes)"),
        validators=[Length(max=2000)],
        description=_l("12-digit community codes, separated by spaces or commas."),
    )
