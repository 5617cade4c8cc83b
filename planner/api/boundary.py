"""The API's boundary for a JSON payload: what no service should ever see.

Every item of POST /api/v1/sync (whatever its type) and every JSON body of the review
operations pass here before a service does. Refused, field by field:
- text that cannot be stored: a NUL or a lone UTF-16 surrogate (JSON's "\\ud800"), in a
  value or in a key (no database, hash or UTF-8 encoder takes it);
- text over MAX_TEXT characters (no field of any record is longer);
- values nested deeper than a field's object of plain values ({"fields": {"k": "v"}});
- a value of the wrong type for the item's shape (`Shape`: key -> the types it takes).

The answer is {field: message}, empty when the payload may go on. A field inside an
object (a review's "fields") is named by its own key, as the service names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from ..parsing import printable_key, unstorable

MAX_TEXT = 10_000  # characters; the longest field of any record is 5,000 (visit notes)
MAX_KEYS = 200  # fields in one payload (or one object inside it)
MAX_LIST = 200  # values in one list (a visit's product lines)

Shape = Mapping[str, tuple[type, ...]]


def unstorable_message() -> str:
    """The message of a field whose text cannot be stored (the visit form's too)."""
    return _("This field contains an invisible NUL character that cannot be saved; "
             "retype it.")


def _scalar_error(value: Any) -> str | None:
    if isinstance(value, str):
        if unstorable(value):
            return unstorable_message()
        if len(value) > MAX_TEXT:
            return _("At most %(n)s characters.", n=MAX_TEXT)
    return None  # numbers: each service parses its own (planner.parsing, planner.money)


def _value_error(value: Any, nested: bool) -> str | None:
    """What is wrong with one field's value (None: nothing the boundary refuses)."""
    if isinstance(value, list):
        if len(value) > MAX_LIST:
            return _("At most %(n)s values.", n=MAX_LIST)
        if any(isinstance(v, list | dict) for v in value):
            return _("This value is nested too deeply.")
        return next((e for e in map(_scalar_error, value) if e), None)
    if isinstance(value, dict):
        return _("This value is nested too deeply.") if nested else None
    return _scalar_error(value)


def _fields_errors(raw: Mapping[Any, Any], errors: dict[str, str], nested: bool) -> None:
    if len(raw) > MAX_KEYS:
        errors["payload"] = _("At most %(n)s fields.", n=MAX_KEYS)
        return
    for key, value in raw.items():
        name = printable_key(key) or "payload"
        if unstorable(key):
            errors[name] = unstorable_message()
            continue
        problem = _value_error(value, nested)
        if problem is not None:
            errors[name] = problem
        elif isinstance(value, dict):
            _fields_errors(value, errors, nested=True)


def _type_errors(raw: Mapping[str, Any], shape: Shape, errors: dict[str, str]) -> None:
    for key, types in shape.items():
        value = raw.get(key)
        if value is None or key in errors:
            continue
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            errors[key] = _type_message(types[0])


def _type_message(expected: type) -> str:
    if expected is str:
        return _("Enter text here.")
    if expected is dict:
        return _("Send an object of fields here.")
    return _("Send a whole number here.")


def payload_errors(raw: Mapping[Any, Any], shape: Shape | None = None) -> dict[str, str]:
    """{field: message} for what the boundary refuses in a JSON object (empty: go on)."""
    errors: dict[str, str] = {}
    _fields_errors(raw, errors, nested=False)
    if shape is not None:
        _type_errors(raw, shape, errors)
    return errors
