"""Member forms: giving a claim back, the home community."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class GiveUpForm(FlaskForm):
    """放弃认领 — a member gives a claim back, saying why."""

    reason = TextAreaField(
        _l("Why are you giving it back?"),
        validators=[DataRequired(), Length(max=500)],
        render_kw={"rows": 3},
        description=_l("Hub staff read it; the wish goes back to the pool for someone else."),
    )


class HomeCommunityForm(FlaskForm):
    """常住社区 — where a member lives (the region picker: district → street → community)."""

    district = SelectField(_l("District"), validate_choice=False)
    street = SelectField(_l("Street"), validate_choice=False)
    community = SelectField(_l("Community"), validate_choice=False)
    hub_q = StringField(_l("Find the community by name"), validators=[Length(max=32)])
