"""One representation for values stored in JSON columns (split and time parameters, audit
details, payloads): numbers typed by people arrive as ``Decimal`` and dates as ``date``,
neither of which the ``json`` module writes. A whole ``Decimal`` becomes an int, any other
its exact decimal text ("12.5"), a date its ISO text; readers take numbers back with
``Decimal(str(v))``, which accepts all of these."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def jsonable(value: Any) -> Any:
    """`value` with every Decimal, date, tuple and set made JSON-safe (recursive)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value!r} cannot be stored")
        if value == value.to_integral_value():
            return int(value)
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [jsonable(v) for v in items]
    raise TypeError(f"{type(value).__name__} is not stored in a JSON column")


def dumps(value: Any) -> str:
    """The JSON text of `value` (the engines' json_serializer: every JSON column)."""
    return json.dumps(jsonable(value))
