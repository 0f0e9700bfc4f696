"""Input schemas shared by the HTML forms, the JSON API and the services (one validation source).

Errors carry message codes (pydantic's error type is the code, its context the parameters); the
web layer renders them in the reader's language (``marketplace.web.messages``).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

from marketplace.models import (
    CITY_BOUNDS,
    HOUSEHOLD_TAGS,
    DeliveryMode,
    Hardship,
    NeedKind,
    OrgType,
)
from marketplace.profiles import Profile
from matching import taxonomy

REGION_CODE = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")
ITEM_CODE = re.compile(r"^\d{2}-\d{2}$")
PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
# C0 control characters other than tab and newlines (NUL cannot even be stored in PostgreSQL).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _invalid(code: str, **params: Any) -> PydanticCustomError:
    """An input error whose type is a message code and whose context is its parameters
    (``marketplace.services.errors.field_errors`` turns it into a ``Message``)."""
    return PydanticCustomError(code, code, params)


def validate_resident_id(value: str) -> str:
    """GB 11643 resident ID: 18 characters, a real birth date, ISO 7064 MOD 11-2 check digit.

    The 6-digit address code is not checked against a gazetteer: codes change over the years and
    an ID keeps the code of the day it was issued.
    """
    number = ric.compact(value).upper()
    if len(number) != 18:
        raise _invalid("id_number.length")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise _invalid("id_number.format")
    try:
        ric.get_birth_date(number)
    except (InvalidComponent, InvalidFormat, ValueError):
        raise _invalid("id_number.birth_date") from None
    if number[17] != ric.calc_check_digit(number):
        raise _invalid("id_number.check_digit")
    return number


def validate_credit_code(value: str) -> str:
    """GB 32100 unified social credit code: 18 characters with its check character."""
    value = value.strip().upper()
    try:
        return str(uscc.validate(value))
    except InvalidChecksum:
        raise _invalid("credit_code.check_character") from None
    except InvalidLength:
        raise _invalid("credit_code.length") from None
    except (InvalidFormat, InvalidComponent, StdnumError, KeyError, ValueError):
        raise _invalid("credit_code.invalid") from None


class _In(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and CONTROL.search(t) for t in texts):
            raise _invalid("field.control_characters")
        return value


Name = Annotated[str, Field(min_length=1, max_length=64)]


class HouseholdIn(_In):
    name: Name
    id_number: str
    phone: str
    address: str = Field(min_length=1, max_length=200)
    community_code: str
    hardship_type: Hardship
    members: int = Field(default=1, ge=1, le=30)
    tags: list[str] = Field(default_factory=list, max_length=len(HOUSEHOLD_TAGS))
    # 家庭画像: the resilience score is computed from it (services/resilience.py); a score sent
    # with the household is ignored, like any other unknown field.
    profile: Profile = Field(default_factory=Profile)

    @field_validator("profile")
    @classmethod
    def _profile_counts(cls, value: Profile, info: ValidationInfo) -> Profile:
        members = info.data.get("members")
        over = value.over_members(members) if isinstance(members, int) else []
        if over:
            raise _invalid("profile.more_than_members", members=members, fields=over)
        return value

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str) -> str:
        return validate_resident_id(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        value = value.replace(" ", "")
        if not PHONE.match(value):
            raise _invalid("phone.invalid")
        return value

    @field_validator("community_code")
    @classmethod
    def _community(cls, value: str) -> str:
        if not re.fullmatch(r"\d{12}", value):
            raise _invalid("community.code_invalid")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in HOUSEHOLD_TAGS]
        if unknown:
            raise _invalid("household.unknown_tags", tags=list(HOUSEHOLD_TAGS))
        return sorted(set(value))


class NeedIn(_In):
    household_id: int
    kind: NeedKind
    item: str
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    value_yuan: Decimal = Field(default=Decimal(0), ge=0, le=1_000_000, decimal_places=2)
    deadline: date | None = None
    delivery_mode: DeliveryMode = DeliveryMode.HANDOVER
    delivery_instructions: str = Field(default="", max_length=500)
    # 专项活动: the running campaign the need joins (services/campaigns.check_for_need).
    campaign_id: int | None = Field(default=None, ge=1, le=2**31 - 1)

    @field_validator("item")
    @classmethod
    def _item(cls, value: str) -> str:
        if not ITEM_CODE.match(value):
            raise _invalid("item.code_invalid")
        return value


class HubContactIn(_In):
    """A hub's contact as its staff give it: whom helpers call and where they hand help over."""

    contact_name: str = Field(min_length=1, max_length=64)
    contact_phone: str
    handover_address: str = Field(min_length=1, max_length=200)
    office_hours: str = Field(default="", max_length=100)

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        value = value.replace(" ", "")
        if not PHONE.match(value):
            raise _invalid("phone.invalid")
        return value


class GiveUpIn(_In):
    """放弃认领 — why a member gives a claim back."""

    reason: str = Field(min_length=1, max_length=500)


class OrgIn(_In):
    name: str = Field(min_length=2, max_length=120)
    type: OrgType
    credit_code: str

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, value: str) -> str:
        return validate_credit_code(value)


class OfferIn(_In):
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    items: list[str] = Field(min_length=1, max_length=31)
    regions: list[str] = Field(default_factory=list, max_length=200)
    # The centre must be in Hangzhou: declared here for the API's document, checked by the service
    # (offers.in_city) so that the refusal says so in words.
    lat: float | None = Field(
        default=None,
        allow_inf_nan=False,
        json_schema_extra={"minimum": CITY_BOUNDS[0][0], "maximum": CITY_BOUNDS[1][0]},
    )
    lon: float | None = Field(
        default=None,
        allow_inf_nan=False,
        json_schema_extra={"minimum": CITY_BOUNDS[0][1], "maximum": CITY_BOUNDS[1][1]},
    )
    radius_km: float | None = Field(default=None, gt=0, le=500)
    capacity: int = Field(ge=1, le=1_000_000)
    unit: str | None = None  # what capacity counts (taxonomy.UNITS); None: the items' default
    start: date
    end: date
    hardship: list[Hardship] = Field(default_factory=list)
    # 项目 — one of the organisation's active projects; None: its first (made if it has none).
    project_id: int | None = Field(default=None, ge=1, le=2**31 - 1)

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str | None) -> str | None:
        if value is not None and value not in taxonomy.UNITS:
            raise _invalid("offer.unit_invalid")
        return value

    @field_validator("items")
    @classmethod
    def _items(cls, value: list[str]) -> list[str]:
        if any(not ITEM_CODE.match(v) for v in value):
            raise _invalid("item.codes_invalid")
        return sorted(set(value))

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        if any(not REGION_CODE.match(v) for v in value):
            raise _invalid("region.codes_invalid")
        return sorted(set(value))

    @model_validator(mode="after")
    def _area_and_window(self) -> OfferIn:
        if self.end < self.start:
            raise _invalid("offer.end_before_start")
        if self.radius_km is not None and (self.lat is None or self.lon is None):
            raise _invalid("offer.radius_needs_centre")
        if (self.lat is None) != (self.lon is None):
            raise _invalid("geo.lat_lon_pair")
        return self


class DeliveryIn(_In):
    note: str = Field(default="", max_length=1000)
    # 服务时长 declared by the deliverer (at most one decimal; the hub confirms or corrects it).
    hours: float | None = Field(default=None, ge=0, le=24)


class DecisionIn(_In):
    reason: str = Field(default="", max_length=500)
