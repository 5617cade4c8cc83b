"""The company's rule for when a week's review is due, as the director sets it (the rule
itself: `services.company.review_due`)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ...extensions import db
from ...models import Company, Role, User
from ..company import REVIEW_DUE_DEFAULT, REVIEW_DUE_MAX
from .inputs import ReviewError, ReviewFieldErrors
from .weeks import _company

DAY_MINUTES = 24 * 60


def due_setting(company: Company) -> tuple[int, str]:
    """The company's rule as the form shows it: (days after the week's Sunday, 1 = the
    Monday after, and the time "HH:MM")."""
    minutes = company.review_due_minutes
    if minutes is None or not 0 <= minutes <= REVIEW_DUE_MAX:
        minutes = REVIEW_DUE_DEFAULT
    day, rest = divmod(minutes, DAY_MINUTES)
    return day + 1, f"{rest // 60:02d}:{rest % 60:02d}"


def set_due(actor: User, day: Any, at: Any) -> None:
    """The director sets when a week's review is due: `day` 1..7 (the Monday .. Sunday
    after the week), `at` "HH:MM" company time. Bad input: ReviewFieldErrors; the
    caller commits."""
    if actor.role != Role.ADMIN:
        raise ReviewError(403, _("Only the director sets when weekly reviews are due."))
    errors: dict[str, str] = {}
    try:
        days = int(str(day).strip())
    except ValueError:
        days = 0
    if not 1 <= days <= 7:
        errors["due_day"] = _("Choose a day of the week after the one reviewed.")
    text = str(at or "").strip()
    h, sep, m = text.partition(":")
    ok = sep and len(text) == 5 and h.isdigit() and m.isdigit() \
        and int(h) < 24 and int(m) < 60
    if not ok:
        errors["due_time"] = _("Enter a time as HH:MM, e.g. 08:30.")
    if errors:
        raise ReviewFieldErrors(errors)
    _company(actor).review_due_minutes = (days - 1) * DAY_MINUTES + int(h) * 60 + int(m)
    db.session.flush()
