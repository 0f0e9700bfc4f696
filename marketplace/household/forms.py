"""The 幸福码 page's forms: acknowledging, asking for help, rating (each with its CSRF token).

The services check the values again (``services/feedback.py``): these forms render the fields and
carry the token.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.services.feedback import CONTACT_MAX, HELP_MAX, WORDS_MAX
from marketplace.web.helpers import choices


class AcknowledgeForm(FlaskForm):
    """ "I received it" — one button per delivered item."""


class HelpForm(FlaskForm):
    """求助 — the household asks its street hub for help."""

    text = TextAreaField(
        _l("What do you need help with?"),
        validators=[DataRequired(), Length(max=HELP_MAX)],
        render_kw={"rows": 3, "maxlength": HELP_MAX},
    )
    contact = StringField(
        _l("How can the hub reach you? (optional)"),
        validators=[Optional(), Length(max=CONTACT_MAX)],
        render_kw={"maxlength": CONTACT_MAX},
        description=_l("Only the hub staff see it."),
    )


RATING_CHOICES = choices(
    [
        ("5", _l("5 · very satisfied")),
        ("4", _l("4 · satisfied")),
        ("3", _l("3 · all right")),
        ("2", _l("2 · not satisfied")),
        ("1", _l("1 · very unsatisfied")),
    ]
)


class RateForm(FlaskForm):
    """评价 — 1 to 5 and optional words of thanks for one delivered item."""

    rating = RadioField(
        _l("How satisfied are you?"), choices=RATING_CHOICES, validators=[DataRequired()]
    )
    words = TextAreaField(
        _l("A few words for the helper (optional)"),
        validators=[Optional(), Length(max=WORDS_MAX)],
        render_kw={"rows": 2, "maxlength": WORDS_MAX},
        description=_l("The hub reads them first; names and phone numbers are removed."),
    )
