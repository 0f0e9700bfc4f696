"""Domain errors (services/errors.py): each class's status and code, and pydantic's errors turned
into one message code per field (``field_errors``, ``parse``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import BaseModel, Field, ValidationError

from marketplace.schemas import NeedIn, OrgIn
from marketplace.services.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceError,
    ValidationFailed,
    field_errors,
    parse,
)
from marketplace.services.messages import Message


class Sample(BaseModel):
    name: str = Field(min_length=1, max_length=5)
    code: str = Field(min_length=3)
    count: int = Field(ge=1, le=10)
    price: Decimal = Field(default=Decimal(0), ge=0, decimal_places=2)
    when: date | None = None


def _errors(data: dict[str, object]) -> dict[str, Message]:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(data)
    return field_errors(caught.value)


@pytest.mark.parametrize(
    ("error", "status", "code", "message"),
    [
        (ServiceError(), 400, "error", "error.failed"),
        (ValidationFailed({}), 422, "invalid", "error.invalid_input"),
        (NotFound(), 404, "not_found", "error.not_found"),
        (Forbidden(), 403, "forbidden", "error.forbidden"),
        (Conflict(), 409, "conflict", "error.conflict"),
    ],
)
def test_each_error_has_its_status_code_and_default_message(error, status, code, message):
    assert (error.status, error.code, error.message) == (status, code, Message(message))
    assert str(error) == message


def test_an_error_carries_a_code_with_parameters_and_field_messages():
    error = Conflict("claim.cap_reached", params={"n": 3})
    assert error.message == Message("claim.cap_reached", {"n": 3})
    given = Message("need.closed", {"status": "confirmed"})
    assert NotFound(given).message is given
    failed = ValidationFailed({"title": "field.required", "deadline": given})
    assert failed.errors == {"title": Message("field.required"), "deadline": given}


def test_pydantic_errors_become_field_codes_with_parameters():
    errors = _errors({"name": "", "code": "ab", "count": 11, "price": "1.234", "when": "soon"})
    assert errors == {
        "name": Message("field.required"),  # an empty text is missing, not "too short (1)"
        "code": Message("field.too_short", {"min": 3}),
        "count": Message("field.max", {"max": 10}),
        "price": Message("field.decimal_places", {"n": 2}),
        "when": Message("field.not_date"),
    }
    assert _errors({"name": "abcdef", "code": "abc", "count": "x"}) == {
        "name": Message("field.too_long", {"max": 5}),
        "count": Message("field.not_integer"),
    }
    assert _errors({"code": "abc", "count": 0}) == {
        "name": Message("field.required"),
        "count": Message("field.min", {"min": 1}),
    }


def test_parameters_are_plain_json_values():
    class Money(BaseModel):
        amount: Decimal = Field(le=Decimal("1000000"))
        share: Decimal = Field(le=Decimal("0.5"))

    with pytest.raises(ValidationError) as caught:
        Money.model_validate({"amount": "2000000", "share": "0.75"})
    errors = field_errors(caught.value)
    assert errors["amount"].params == {"max": 1_000_000}
    assert type(errors["amount"].params["max"]) is int
    assert errors["share"].params == {"max": 0.5}


def test_our_validators_codes_pass_through_and_unknown_types_are_invalid():
    with pytest.raises(ValidationError) as caught:
        OrgIn.model_validate({"name": "某组织", "type": "ngo", "credit_code": "123"})
    assert field_errors(caught.value)["credit_code"].code.startswith("credit_code.")
    with pytest.raises(ValidationError) as caught:
        NeedIn.model_validate({"household_id": 1, "kind": "wish", "item": "x", "title": "t"})
    assert field_errors(caught.value) == {"item": Message("item.code_invalid")}

    class Strict(BaseModel):
        url: dict[str, int]

    with pytest.raises(ValidationError) as caught:
        Strict.model_validate({"url": "not a mapping"})
    assert field_errors(caught.value) == {"url": Message("field.invalid")}


def test_parse_returns_the_model_or_raises_validation_failed():
    assert parse(Sample, {"name": "a", "code": "abc", "count": "3"}).count == 3
    with pytest.raises(ValidationFailed) as caught:
        parse(Sample, {"name": "a", "code": "abc"})
    assert caught.value.errors == {"count": Message("field.required")}
    assert caught.value.status == 422
