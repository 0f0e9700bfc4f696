"""Input schemas shared by the HTML forms, the JSON API and the services (one validation source).

Messages are constant English strings so the UI can translate them (zh_CN catalogue).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

from marketplace.models import HOUSEHOLD_TAGS, Hardship, NeedKind, OrgType

REGION_CODE = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")
ITEM_CODE = re.compile(r"^\d{2}-\d{2}$")
PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
# C0 control characters other than tab and newlines (NUL cannot even be stored in PostgreSQL).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def validate_resident_id(value: str) -> str:
    """GB 11643 resident ID: 18 characters, a real birth date, ISO 7064 MOD 11-2 check digit.

    The 6-digit address code is not checked against a gazetteer: codes change over the years and
    an ID keeps the code of the day it was issued.
    """
    number = ric.compact(value).upper()
    if len(number) != 18:
        raise ValueError("Resident ID number must have 18 characters")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValueError("Resident ID number must be 17 digits followed by a digit or X")
    try:
        ric.get_birth_date(number)
    except (InvalidComponent, InvalidFormat, ValueError):
        raise ValueError("Resident ID number has an impossible birth date") from None
    if number[17] != ric.calc_check_digit(number):
        raise ValueError("Resident ID number check digit is wrong")
    return number


def validate_credit_code(value: str) -> str:
    """GB 32100 unified social credit code: 18 characters with its check character."""
    value = value.strip().upper()
    try:
        return str(uscc.validate(value))
    except InvalidChecksum:
        raise ValueError("Unified social credit code check character is wrong") from None
    except InvalidLength:
        raise ValueError("Unified social credit code must have 18 characters") from None
    except (InvalidFormat, InvalidComponent, StdnumError, KeyError, ValueError):
        raise ValueError("Unified social credit code is not valid") from None


class _In(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and CONTROL.search(t) for t in texts):
            raise ValueError("Must not contain control characters")
        return value


Name = Annotated[str, Field(min_length=1, max_length=64)]


class HouseholdIn(_In):
    name: Name
    id_number: str
    phone: str
    address: str = Field(min_length=1, max_length=200)
    community_code: str
    hardship_type: Hardship
    risk_score: int = Field(ge=0, le=100)
    members: int = Field(default=1, ge=1, le=30)
    tags: list[str] = Field(default_factory=list, max_length=len(HOUSEHOLD_TAGS))

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str) -> str:
        return validate_resident_id(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        value = value.replace(" ", "")
        if not PHONE.match(value):
            raise ValueError(
                "Phone must be an 11-digit mobile number or a landline such as 0571-8888888"
            )
        return value

    @field_validator("community_code")
    @classmethod
    def _community(cls, value: str) -> str:
        if not re.fullmatch(r"\d{12}", value):
            raise ValueError("Community code must be a 12-digit region code")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in HOUSEHOLD_TAGS]
        if unknown:
            raise ValueError("Unknown tag; allowed: " + ", ".join(HOUSEHOLD_TAGS))
        return sorted(set(value))


class NeedIn(_In):
    household_id: int
    kind: NeedKind
    item: str
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    value_yuan: Decimal = Field(default=Decimal(0), ge=0, le=1_000_000, decimal_places=2)
    deadline: date | None = None

    @field_validator("item")
    @classmethod
    def _item(cls, value: str) -> str:
        if not ITEM_CODE.match(value):
            raise ValueError("Item must be a taxonomy code such as 07-02")
        return value


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
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    radius_km: float | None = Field(default=None, gt=0, le=500)
    capacity: int = Field(ge=1, le=1_000_000)
    start: date
    end: date
    hardship: list[Hardship] = Field(default_factory=list)

    @field_validator("items")
    @classmethod
    def _items(cls, value: list[str]) -> list[str]:
        if any(not ITEM_CODE.match(v) for v in value):
            raise ValueError("Items must be taxonomy codes such as 07-02")
        return sorted(set(value))

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        if any(not REGION_CODE.match(v) for v in value):
            raise ValueError("Regions must be 6-, 9- or 12-digit region codes")
        return sorted(set(value))

    @model_validator(mode="after")
    def _area_and_window(self) -> OfferIn:
        if self.end < self.start:
            raise ValueError("End date must not be before the start date")
        if self.radius_km is not None and (self.lat is None or self.lon is None):
            raise ValueError("A radius needs a centre point (lat and lon)")
        if (self.lat is None) != (self.lon is None):
            raise ValueError("Give both lat and lon, or neither")
        return self


class DeliveryIn(_In):
    note: str = Field(default="", max_length=1000)


class DecisionIn(_In):
    reason: str = Field(default="", max_length=500)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic errors → {field: message}; model-level errors go under ``_``."""
    out: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "_"
        message = str(err["msg"]).removeprefix("Value error, ")
        out.setdefault(field, message)
    return out


def parse(model: type[_In], data: dict[str, Any]) -> Any:
    """Validate ``data`` against ``model``; raise ValidationFailed with a message per field."""
    from marketplace.services.errors import ValidationFailed

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None
