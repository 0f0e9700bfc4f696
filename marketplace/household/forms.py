"""The household's acknowledgement button (CSRF token only)."""

from __future__ import annotations

from flask_wtf import FlaskForm


class AcknowledgeForm(FlaskForm):
    """ "I received it" — one button per delivered item."""
