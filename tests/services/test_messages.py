"""Messages as data (services/messages.py): a code and its parameters, stored as a dict and read
back; a text stored before codes existed stays raw."""

from __future__ import annotations

from marketplace.services.messages import RAW, Message


def test_a_message_round_trips_through_its_dict():
    message = Message("claim.cap_reached", {"n": 3})
    assert message.as_dict() == {"code": "claim.cap_reached", "params": {"n": 3}}
    assert Message.from_dict(message.as_dict()) == message
    assert Message.from_dict({"code": "need.closed"}) == Message("need.closed", {})
    assert Message.from_dict({"code": "need.closed", "params": None}).params == {}


def test_a_plain_string_is_raw_text_and_a_code_is_a_message():
    assert Message.from_dict("New assignment for 张*") == Message(
        RAW, {"text": "New assignment for 张*"}
    )
    assert Message.of("need.not_found") == Message("need.not_found")
    given = Message("need.closed", {"status": "open"})
    assert Message.of(given) is given
    assert str(given) == "need.closed"


def test_as_dict_copies_the_parameters():
    params = {"n": 1}
    exported = Message("claim.cap_reached", params).as_dict()
    exported["params"]["n"] = 2
    assert params == {"n": 1}
