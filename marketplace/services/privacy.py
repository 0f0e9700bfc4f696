"""Masking and scrubbing of personal data (DESIGN §6)."""

from __future__ import annotations

import re

# 18-digit resident ID (last may be X), 11-digit mobile, landlines, and street addresses.
ID_PATTERN = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)|(?<!\d)\d{15}(?!\d)")
PHONE_PATTERN = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
LANDLINE_PATTERN = re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)")
ADDRESS_PATTERN = re.compile(
    r"[\u4e00-\u9fa5A-Za-z0-9]{0,12}(?:路|街|巷|弄|大道|小区|苑|村)\s*\d+\s*(?:号|弄|幢|栋)"
    r"(?:\s*\d+\s*(?:号|幢|栋|单元|室|楼))*"
    r"|\d+\s*(?:幢|栋|号楼)\s*\d*\s*(?:单元)?\s*\d*\s*室?"
    r"|\d{2,4}\s*室"
)
# Any other long run of digits (IDs and phones written together, bank cards): personal, too.
LONG_DIGITS = re.compile(r"\d{11,}[Xx]?")
REDACTED = "***"


def mask_name(name: str) -> str:
    """张三 → 张*; keeps only the surname."""
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


def scrub_text(text: str) -> str:
    """Remove ID numbers, phone numbers and street addresses from free text shown to others."""
    text = ID_PATTERN.sub(REDACTED, text)
    text = PHONE_PATTERN.sub(REDACTED, text)
    text = LANDLINE_PATTERN.sub(REDACTED, text)
    text = LONG_DIGITS.sub(REDACTED, text)
    return ADDRESS_PATTERN.sub(REDACTED, text)
