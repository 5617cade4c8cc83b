"""The one shape of a refusal: a service that will not do what it was asked raises
Refused (or a subclass: CalendarError, DecomposeError, ReviewError, SheetError,
MoneyError, NotFound), and nothing was changed. `message` is a sentence for the person; `fields`
says which input fields were wrong ({field: message}, empty when the refusal is not about
a field). The entry points (planner/web, planner/api) catch it and answer: a form shown
again with the field messages, or the API's error body (planner.errors.error_body)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NoReturn


class Refused(Exception):
    """A refused request: nothing was changed. Without a message of its own, the message
    is the fields' messages (as the API's error body says them)."""

    def __init__(self, message: str = "", fields: Mapping[str, str] | None = None) -> None:
        self.fields: dict[str, str] = {k: str(v) for k, v in (fields or {}).items()}
        self.message: str = str(message) if message else " ".join(
            dict.fromkeys(self.fields.values()))
        super().__init__(self.message)


class NotFound(Refused):
    """What was asked for does not exist, or the asker may not see it: one answer for
    both, so that a refusal tells nothing about what exists. The web answers 404."""


def refuse(field: str, message: str) -> NoReturn:
    """Refuse because of one field."""
    raise Refused(message, {field: message})


def refuse_fields(fields: Mapping[str, str], message: str = "") -> None:
    """Refuse if any field has a message (the checks gather them in a dict first)."""
    if fields:
        raise Refused(message, fields)
