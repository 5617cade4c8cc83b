"""planner.refusal: the one shape of a refusal (no app, no database)."""

from __future__ import annotations

import pytest

from planner.money import MoneyError, parse_fen
from planner.refusal import Refused, refuse, refuse_fields
from planner.services.calendar_admin import CalendarError
from planner.services.reviews import ReviewError, ReviewFieldErrors
from planner.services.sheets import SheetError, sniff
from planner.services.targets.input import DecomposeError


def test_a_refusal_says_a_message_and_the_fields() -> None:
    e = Refused("Nothing was saved.", {"name": "Enter a name."})
    assert (e.message, e.fields, str(e)) == ("Nothing was saved.", {"name": "Enter a name."},
                                             "Nothing was saved.")
    # Without a message of its own it says its fields' messages, each once.
    e = Refused(fields={"a": "Too long.", "b": "Too long.", "c": "Enter a date."})
    assert e.message == "Too long. Enter a date."
    assert Refused("No.").fields == {}


def test_the_helpers_refuse_one_field_or_any_gathered() -> None:
    with pytest.raises(Refused) as one:
        refuse("stage", "That stage does not exist.")
    assert one.value.fields == {"stage": "That stage does not exist."}
    assert one.value.message == "That stage does not exist."
    refuse_fields({})  # nothing gathered: nothing refused
    with pytest.raises(Refused) as many:
        refuse_fields({"notes": "At most 5 characters."}, "Please correct the fields.")
    assert many.value.fields == {"notes": "At most 5 characters."}
    assert many.value.message == "Please correct the fields."


def test_the_services_own_errors_are_refusals_and_still_value_errors() -> None:
    for cls in (CalendarError, DecomposeError, MoneyError, SheetError):
        assert issubclass(cls, Refused) and issubclass(cls, ValueError)
    assert issubclass(ReviewFieldErrors, ReviewError) and issubclass(ReviewError, Refused)
    e = ReviewFieldErrors({"completed": "Write something."})
    assert (e.status, e.fields) == (422, {"completed": "Write something."})
    with pytest.raises(MoneyError) as money:
        parse_fen("1e5")
    assert money.value.message == str(money.value) and money.value.fields == {}


def test_a_sheet_error_keeps_its_code_and_says_it_for_people() -> None:
    with pytest.raises(SheetError) as empty:
        sniff(b"", "x.csv")
    assert empty.value.code == "empty" and empty.value.message == "The file is empty."
