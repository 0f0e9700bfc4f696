"""A hub's contact (services/contacts.py): edited by its own staff and audited; the hub
responsible for a need is the nearest one up the region chain that can be reached."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace.models import AuditLog, Hub, Role, User
from marketplace.schemas import HubContactIn
from marketplace.services import contacts
from marketplace.services.errors import Forbidden
from tests.factories import COMMUNITY

CONTACT = HubContactIn(
    contact_name="王老师",
    contact_phone="0571-87001234",
    handover_address="清波街道社会救助服务联合体服务大厅",
    office_hours="周一至周五 9:00–17:00",
)


def test_staff_edit_their_own_hubs_contact_and_it_is_audited(db, make_user):
    street = make_user(Role.HUB_STAFF, hub="330102001")
    with db() as s:
        hub = contacts.update_contact(s, actor=s.get(User, street.id), data=CONTACT)
        assert hub.region_code == "330102001" and hub.contact_phone == "0571-87001234"
    with db() as s:
        entry = s.exec(select(AuditLog).where(AuditLog.action == "hub.contact")).one()
        assert entry.actor_id == street.id and entry.object_id == str(hub.id)
        assert entry.before["contact_phone"] == "" and entry.after["contact_name"] == "王老师"
        district = s.exec(select(Hub).where(Hub.region_code == "330102")).one()
        assert district.contact_phone == ""  # only their own hub changed


@pytest.mark.parametrize("role", [Role.MEMBER, Role.ADMIN])
def test_nobody_but_hub_staff_has_a_hub_to_edit(db, make_user, role):
    user = make_user(role)
    with db() as s, pytest.raises(Forbidden):
        contacts.update_contact(s, actor=s.get(User, user.id), data=CONTACT)


def test_a_bad_phone_is_refused_before_anything_is_stored():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        HubContactIn(contact_name="王", contact_phone="12345", handover_address="某处")


def test_the_responsible_hub_is_the_nearest_reachable_one_up_the_chain(db, make_user):
    with db() as s:
        # Nobody staffs or describes any hub of the chain: no responsible hub.
        assert contacts.responsible_hub(s, COMMUNITY) is None
    district = make_user(Role.HUB_STAFF, hub="330102")
    with db() as s:
        assert contacts.responsible_hub(s, COMMUNITY).region_code == "330102"
    street = make_user(Role.HUB_STAFF, hub="330102001")
    with db() as s:
        # Staffed and nearer, though without a contact yet.
        assert contacts.responsible_hub(s, COMMUNITY).region_code == "330102001"
        contacts.update_contact(s, actor=s.get(User, district.id), data=CONTACT)
    with db() as s:
        # A hub that can be reached (contact details) comes before a nearer one that cannot.
        assert contacts.responsible_hub(s, COMMUNITY).region_code == "330102"
        contacts.update_contact(s, actor=s.get(User, street.id), data=CONTACT)
    with db() as s:
        assert contacts.responsible_hub(s, COMMUNITY).region_code == "330102001"
        # Another district's community is not served by this chain.
        assert contacts.responsible_hub(s, "330106002051") is None
