"""Services' messages in the reader's language."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask_babel import gettext

from marketplace.web.labels import CLAIM_STATUS_LABELS, NEED_STATUS_LABELS

# Service messages with a variable part: (pattern, msgid with named placeholders).
_DYNAMIC_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^You already have (?P<n>\d+) open claims; deliver one first$"),
        "You already have %(n)s open claims; deliver one first",
    ),
    (
        re.compile(
            r"^Only a need pending review can be published \(this one is (?P<status>\w+)\)$"
        ),
        "Only a need pending review can be published (this one is %(status)s)",
    ),
    (
        re.compile(r"^This need can no longer be cancelled \(it is (?P<status>\w+)\)$"),
        "This need can no longer be cancelled (it is %(status)s)",
    ),
    (
        re.compile(
            r"^Only an active claim can be reported as delivered \(this one is (?P<status>\w+)\)$"
        ),
        "Only an active claim can be reported as delivered (this one is %(status)s)",
    ),
    (
        re.compile(r"^Password must have at least (?P<n>\d+) characters$"),
        "Password must have at least %(n)s characters",
    ),
    (re.compile(r"^The photo is larger than (?P<n>\d+) MB$"), "The photo is larger than %(n)s MB"),
    (re.compile(r"^Unknown taxonomy items: (?P<codes>.+)$"), "Unknown taxonomy items: %(codes)s"),
    (re.compile(r"^Unknown region codes: (?P<codes>.+)$"), "Unknown region codes: %(codes)s"),
    (re.compile(r"^Delivery confirmed: (?P<title>.+)$"), "Delivery confirmed: %(title)s"),
    (re.compile(r"^Delivery not confirmed: (?P<title>.+)$"), "Delivery not confirmed: %(title)s"),
    (
        re.compile(r"^Your claim is due within a day: (?P<title>.+)$"),
        "Your claim is due within a day: %(title)s",
    ),
    (
        re.compile(r"^A delivery awaits your confirmation: (?P<title>.+)$"),
        "A delivery awaits your confirmation: %(title)s",
    ),
    (
        re.compile(r"^Overdue: a delivery waits past its confirmation deadline: (?P<title>.+)$"),
        "Overdue: a delivery waits past its confirmation deadline: %(title)s",
    ),
    (
        re.compile(r"^Offer nearly used up \((?P<r>\d+) of (?P<c>\d+) left\): (?P<title>.+)$"),
        "Offer nearly used up (%(r)s of %(c)s left): %(title)s",
    ),
)
_STATUS_WORDS = NEED_STATUS_LABELS | CLAIM_STATUS_LABELS


def translate_message(message: Any) -> str:
    """A service's English message in the user's language (constant or with a variable part)."""
    if message is None:
        return ""
    text = str(message)
    translated = gettext(text)
    if translated != text:
        return translated
    for pattern, msgid in _DYNAMIC_MESSAGES:
        match = pattern.match(text)
        if match:
            values = {
                k: str(_STATUS_WORDS.get(v, v)) if k == "status" else v
                for k, v in match.groupdict().items()
            }
            return gettext(msgid, **values)
    return text


def init_app(app: Flask) -> None:
    app.add_template_filter(translate_message, "tmsg")
