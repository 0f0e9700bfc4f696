"""Masking (services/privacy.py): names, ID numbers and phones as others may see them, and the
places that show a household to someone who may not read its name."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from sqlmodel import Session, select

from marketplace.models import AuditLog, Household, Role, User
from marketplace.services.privacy import mask_id_number, mask_name, mask_phone

DbUnit = Callable[[], AbstractContextManager[Session]]


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("", ""),
        ("张", "张*"),
        ("张三", "张*"),
        ("张三丰", "张*"),
        ("李小龙凤", "李*"),
        # Compound surnames keep only their first character too: the mask never shows more
        # than one character of a name.
        ("欧阳娜", "欧*"),
        ("欧阳秀兰", "欧*"),
        ("司马建国", "司*"),
        ("Li", "L*"),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_mask_id_number_and_phone() -> None:
    assert mask_id_number("330106198001011234") == "330106********1234"
    assert mask_id_number("12345") == "*****"
    assert mask_phone("138-1234-5678") == "138****5678"
    assert mask_phone("12345") == "*****"


def test_the_audit_of_a_new_household_holds_the_masked_name(
    db: DbUnit, make_user: Callable[..., User], make_household: Callable[..., Household]
) -> None:
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff, name="欧阳秀兰")
    with db() as s:
        entry = s.exec(
            select(AuditLog).where(
                AuditLog.action == "household.create", AuditLog.object_id == str(household.id)
            )
        ).one()
    assert entry.after is not None and entry.after["name"] == "欧*"
    assert "欧阳秀兰" not in str(entry.after)
