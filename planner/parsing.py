"""Parsing untrusted values (query strings, form fields, JSON) without ever raising.

Every id, number and date a user or a phone sends goes through here first, so a huge,
negative, fractional, boolean or foreign value becomes None (then a 404 or a clear
message), never an OverflowError or a 500.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

# Every id column is INTEGER (32-bit on PostgreSQL; SQLite would take 64 bits): an id past
# it is no record anywhere, and PostgreSQL would answer "integer out of range" (a 500).
MAX_ID = 2**31 - 1
MIN_YEAR = 1990
MAX_YEAR = 2100


def parse_id(value: Any) -> int | None:
    """A database id: a positive int (not a bool) or a string of ASCII digits, <= MAX_ID."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        n = value
    elif isinstance(value, str):
        s = value.strip()
        if not s or len(s) > 19 or not (s.isascii() and s.isdigit()):
            return None
        n = int(s)
    else:
        return None
    return n if 1 <= n <= MAX_ID else None


def parse_int(value: Any, lo: int, hi: int) -> int | None:
    """An integer within [lo, hi] from an int or a string of ASCII digits (sign allowed)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        n = value
    elif isinstance(value, str):
        s = value.strip()
        body = s[1:] if s[:1] in "+-" else s
        if not body or len(body) > 19 or not (body.isascii() and body.isdigit()):
            return None
        n = int(s)
    else:
        return None
    return n if lo <= n <= hi else None


def parse_day(value: Any, lo_year: int = MIN_YEAR, hi_year: int = MAX_YEAR) -> date | None:
    """An ISO date (YYYY-MM-DD) between lo_year and hi_year, else None."""
    if isinstance(value, date):
        d = value
    elif isinstance(value, str):
        try:
            d = date.fromisoformat(value.strip()[:10]) if len(value.strip()) == 10 else None
        except ValueError:
            return None
        if d is None:
            return None
    else:
        return None
    return d if lo_year <= d.year <= hi_year else None


def has_nul(value: Any) -> bool:
    """PostgreSQL text cannot hold NUL bytes; SQLite can. Refuse them everywhere alike."""
    return isinstance(value, str) and "\x00" in value


# A NUL (PostgreSQL text cannot hold it) or a lone UTF-16 surrogate (JSON's "\ud800" decodes
# to one; no database, hash or UTF-8 encoder takes it).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(value: Any) -> bool:
    """True if `value` is text that no database can store as it is (a NUL byte or a lone
    surrogate); checked the same way on SQLite and PostgreSQL."""
    return isinstance(value, str) and _UNSTORABLE.search(value) is not None


def unstorable_in(value: Any) -> bool:
    """True if text that cannot be stored hides anywhere in a JSON value (keys included)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if unstorable(v):
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list | tuple):
            stack.extend(v)
    return False


def printable_key(value: Any) -> str:
    """A field name from untrusted input, safe to echo back (unstorable characters dropped)."""
    return _UNSTORABLE.sub("", str(value))


try:  # the URL converters need Werkzeug; the parsers above need nothing
    from werkzeug.routing import IntegerConverter, Map, PathConverter, UnicodeConverter
except ImportError:  # pragma: no cover
    IntegerConverter = PathConverter = UnicodeConverter = object  # type: ignore[misc,assignment]
    Map = object  # type: ignore[misc,assignment]


class IdConverter(IntegerConverter):  # type: ignore[misc,valid-type]
    """`<int:...>` in a URL: ASCII digits only and at most MAX_ID, so a huge number or a
    non-ASCII digit ("٣") matches no route (404) instead of reaching the database."""

    regex = r"[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        from werkzeug.routing import ValidationError

        n = parse_id(value)
        if n is None:
            raise ValidationError()
        return n


def _storable_path_value(value: str) -> str:
    """A path parameter that holds a NUL or a lone surrogate matches no route (404), so no
    view, file lookup (`/static/sw.js%00.css`) or hook ever sees it."""
    if unstorable(value):
        from werkzeug.routing import ValidationError

        raise ValidationError()
    return value


class TextConverter(UnicodeConverter):  # type: ignore[misc,valid-type]
    """`<name>` and `<string:name>`: any text without a slash, and storable."""

    def to_python(self, value: str) -> str:
        return _storable_path_value(value)


class TextPathConverter(PathConverter):  # type: ignore[misc,valid-type]
    """`<path:name>`: any text, slashes included, and storable."""

    def to_python(self, value: str) -> str:
        return _storable_path_value(value)


class RouteMap(Map):  # type: ignore[misc,valid-type]
    """The app's URL map (Flask's `url_map_class`): every path parameter goes through the
    converters above, the routes Flask adds itself (`/static/<path:filename>`) too."""

    default_converters = {**getattr(Map, "default_converters", {}), "default": TextConverter,
                          "string": TextConverter, "path": TextPathConverter,
                          "int": IdConverter}
