"""Checks of typed fields shared by the administration forms and imports: each returns
the clean value or records a message for the field in `errors` (nothing is written)."""

from __future__ import annotations

import re
from typing import Any

from ...i18n import gettext
from ...parsing import unstorable

_ = gettext  # translated in a request, plain English without one (planner.i18n)

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,79}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{4,24}$")
NAME_MAX = 120
PASSWORD_MIN = 10
PASSWORD_MAX = 200


def name(errors: dict[str, str], field: str, value: Any, required: bool = True,
         max_len: int = NAME_MAX) -> str:
    text = str(value or "").strip()
    if unstorable(text):
        errors[field] = _("This text contains a character that cannot be stored.")
    elif required and not text:
        errors[field] = _("Enter a name.")
    elif len(text) > max_len:
        errors[field] = _("At most %(n)d characters.", n=max_len)
    return text


def code(errors: dict[str, str], field: str, value: Any) -> str:
    text = str(value or "").strip()
    if not CODE_RE.match(text):
        errors[field] = _("A code is 1-40 letters, digits, '.', '_' or '-' (no spaces), "
                          "starting with a letter or digit.")
    return text


def username(errors: dict[str, str], field: str, value: Any) -> str:
    text = str(value or "").strip()
    if not USERNAME_RE.match(text):
        errors[field] = _("A username is 3-80 letters, digits, '.', '_' or '-', starting "
                          "with a letter or digit.")
    return text


def phone(errors: dict[str, str], field: str, value: Any) -> str:
    text = str(value or "").strip()
    if text and not PHONE_RE.match(text):
        errors[field] = _("Enter a phone number: digits, spaces or '-', an optional '+' "
                          "first (e.g. 138 0013 8000).")
    return text


def capability(errors: dict[str, str], field: str, value: Any) -> int:
    text = str(value if value is not None else "").strip()
    if not text:
        return 50
    if not text.isascii() or not text.isdigit() or not 0 <= int(text) <= 100:
        errors[field] = _("Enter a whole number from 0 to 100.")
        return 50
    return int(text)


def password(errors: dict[str, str], field: str, value: Any, again: Any,
             login: str) -> str:
    """The password rules: 10-200 characters, not the username, typed the same twice."""
    text = str(value or "")
    if len(text) < PASSWORD_MIN:
        errors[field] = _("The password is too short: the minimum length is %(n)d.", n=PASSWORD_MIN)
    elif len(text) > PASSWORD_MAX:
        errors[field] = _("At most %(n)d characters.", n=PASSWORD_MAX)
    elif unstorable(text):
        errors[field] = _("This text contains a character that cannot be stored.")
    elif text.strip().lower() == login.lower():
        errors[field] = _("The password cannot be your username.")
    elif text != str(again or ""):
        errors[field + "2"] = _("The two passwords are not the same.")
    return text
