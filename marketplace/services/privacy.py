"""Masking and scrubbing of personal data (DESIGN §6)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from marketplace.models import Household
from marketplace.services import scrubber

REDACTED = scrubber.REDACTED


def mask_name(name: str) -> str:
    """A name as others may see it, the one home of this rule: its first character and a star
    (张三 → 张*; compound surnames too: 欧阳秀兰 → 欧*)."""
    return (name[:1] + "*") if name else ""


def mask_id_number(id_number: str) -> str:
    """330106********1234."""
    if len(id_number) < 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_phone(phone: str) -> str:
    """138****5678."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_address(address: str) -> str:
    """解放路100号3幢201室 → 解放路****: the first three characters (a road or a community)."""
    return (address[:3] + "****") if address else ""


def scrub_text(text: str, *, names: Iterable[str] = ()) -> str:
    """Remove phones, ID numbers, bank cards, e-mails, WeChat/QQ ids, addresses and ``names`` from
    free text that one party wrote and another reads (``services/scrubber.py``)."""
    return scrubber.scrub_text(text, names)


def household_names(household: Household | None) -> list[str]:
    """The names ``scrub_text`` removes from a text about this household (its head's name: the
    register holds no other member's name)."""
    return [household.name] if household is not None and household.name else []
