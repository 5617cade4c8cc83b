"""The December reminder: from the first day of the fiscal year's last month, while the
next year has no published targets, the director (administrators) and the managers get
a reminder (bell and push) every working Monday at their morning time.

A reminder kind and its scheduling rule, called by the reminder scheduler
(services/reminders.py `generate`) once per company and pass; one row per user and ISO
week (notify.enqueue's key), whatever the number of passes or workers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ...engine import WorkCalendar
from ...extensions import db
from ...models import Company, FiscalYear, OrgUnit, Role, User
from ..reminders import enqueue
from .status import PUBLISHED, company_years, name_list

NEXT_YEAR = "next_year"


def due_year(years: list[FiscalYear], today: date, cal: WorkCalendar) -> FiscalYear | None:
    """The current year when today calls for the reminder: a working Monday from the
    first day of its last month, and the next year not published."""
    if today.weekday() != 0 or not cal.is_working_day(today):
        return None
    current = next((y for y in years if y.start <= today <= y.end), None)
    if current is None or today < current.end.replace(day=1):
        return None
    nxt = next((y for y in years if y.year == current.year + 1), None)
    return current if nxt is None or nxt.status != PUBLISHED else None


def next_year_text(user: User, current: FiscalYear, draft: FiscalYear | None,
                   admins: list[str]) -> tuple[str, str, str]:
    """(title, body, url), in the recipient's language (the caller forces it)."""
    from ..reminders import _path

    year = current.year + 1
    title = _("Next year's targets are not published")
    if user.role == Role.ADMIN:
        if draft is None:
            body = _("Fiscal year %(year)s, from %(start)s, has no targets yet. Plan it "
                     "from %(this)s on Targets, then publish it.", year=year,
                     start=_next_start(current),
                     this=current.year)
            return title, body, _path("web.year_new", "/targets/years/new")
        body = _("The draft of %(year)s is not published yet: reps will have no targets "
                 "on %(start)s. Check it and publish it on Targets.", year=year,
                 start=_next_start(current))
    else:
        body = _("Fiscal year %(year)s, from %(start)s, has no published targets yet. "
                 "The director plans and publishes them (administrators: %(names)s).",
                 year=year, start=_next_start(current), names=name_list(admins))
    return title, body, _path("web.targets", "/targets", fy=year)


def _next_start(current: FiscalYear) -> str:
    return date.fromordinal(current.end.toordinal() + 1).isoformat()


def next_year_reminders(company: Company, local: datetime, cal: WorkCalendar,
                        only: Iterable[int] | None = None) -> int:
    """Queue the week's reminder for each administrator and manager whose morning time
    has come (up to the scheduler's MAX_LATE late). Returns how many were created."""
    from ..reminders import MAX_LATE, load_prefs, locale_of

    today = local.date()
    years = company_years(company.id)
    current = due_year(years, today, cal)
    if current is None:
        return 0
    draft = next((y for y in years if y.year == current.year + 1), None)
    users = list(db.session.scalars(
        select(User).join(OrgUnit, OrgUnit.id == User.unit_id)
        .where(OrgUnit.company_id == company.id, User.active.is_(True),
               User.role.in_([Role.ADMIN, Role.MANAGER]),
               User.id.in_(list(only)) if only is not None else User.id.is_not(None))
        .order_by(User.id)))
    admins = [u.display_name for u in users if u.role == Role.ADMIN]
    prefs = load_prefs(u.id for u in users)
    iso = today.isocalendar()
    when = f"{iso.year}-W{iso.week:02d}"
    made = 0
    for u in users:
        p = prefs[u.id]
        sched = datetime.combine(today, p.morning, tzinfo=local.tzinfo)
        if not (sched <= local < sched + MAX_LATE) or not p.wants(NEXT_YEAR):
            continue
        with force_locale(locale_of(u, p)):
            title, body, url = next_year_text(u, current, draft, admins)
        if enqueue(u.id, NEXT_YEAR, when, sched.astimezone(UTC), title=title, body=body,
                   url=url):
            made += 1
    return made
