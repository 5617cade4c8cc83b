"""What each reminder says, worded in the recipient's language (the caller sets the
locale): None when there is nothing to say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from ...extensions import db
from ...models import (
    Customer,
    ReviewStatus,
    Stage,
    User,
    Visit,
    WeeklyReview,
)
from ..company import review_due
from .preferences import BEHIND_FACTOR, BEHIND_MIN_DAYS


def previous_working_day(cal: Any, day: date) -> date:
    d = day - timedelta(days=1)
    for _i in range(30):
        if cal.is_working_day(d):
            return d
        d -= timedelta(days=1)
    return day - timedelta(days=1)


def _path(endpoint: str, fallback: str, **values: Any) -> str:
    """A local link built without a request (the worker has none)."""
    app = current_app
    if endpoint not in app.view_functions:
        return fallback
    return app.url_map.bind("localhost").build(endpoint, values)


def _sep(locale: str) -> str:
    return "、" if locale.startswith("zh") else ", "


def _join(locale: str, sentences: list[str]) -> str:
    return ("" if locale.startswith("zh") else " ").join(sentences)


@dataclass
class Text:
    title: str
    body: str
    url: str


def _fmt(value: int, metric: Any) -> str:
    """As Today's figure tiles show it (the app's one formatter, short style)."""
    from ... import fmt

    return fmt.value(value, getattr(metric, "unit", None), "short")


def _name(obj: Any) -> str:
    from ... import fmt

    return fmt.name(obj)


def morning_plan_text(user: User, day: date, locale: str) -> Text | None:
    from ..planned_visits import day_plan, follow_ups_due
    from ..rep_plan import rep_plan

    plan = rep_plan(user, day)
    run = [m for m in plan.metrics if m.run is not None and m.target > 0]
    dp = day_plan(user.id, day)
    planned = [i.customer.name for i in dp.items] if dp else []
    due = follow_ups_due(user.id, day)
    from ..years import year_notice  # a day with no published targets says why

    notice = year_notice(user, day) if not plan.metrics else None
    if not run and not planned and not due and notice is None:
        return None
    sep = _sep(locale)
    lines = [notice.text] if notice is not None else []
    if run:
        lines.append(_("Today's targets: %(targets)s.", targets=sep.join(
            f"{_name(m.metric)} {_fmt(m.today_target, m.metric)}" for m in run)))
    if planned:
        lines.append(_("Visits planned: %(n)s (%(names)s).", n=len(planned),
                       names=sep.join(planned[:5]) + ("…" if len(planned) > 5 else "")))
    else:
        lines.append(_("No visits planned yet."))
    if due:
        overdue = sum(1 for c in due if c.next_follow_up and c.next_follow_up < day)
        lines.append(_("Follow-ups due: %(n)s (%(overdue)s overdue).", n=len(due),
                       overdue=overdue))
    return Text(_("Today's plan"), _join(locale, lines), _path("web.today", "/today"))


def follow_up_text(user: User, day: date, locale: str) -> Text | None:
    from ..planned_visits import follow_ups_due

    due = follow_ups_due(user.id, day)
    if not due:
        return None
    overdue = [c for c in due if c.next_follow_up and c.next_follow_up < day]
    names = _sep(locale).join(c.name for c in due[:5]) + ("…" if len(due) > 5 else "")
    return Text(_("Follow-ups due"),
                _("%(today)s due today, %(overdue)s overdue: %(names)s.",
                  today=len(due) - len(overdue), overdue=len(overdue), names=names),
                _path("web.today", "/today"))


def end_of_day_text(user: User, day: date, locale: str) -> Text | None:
    from ..rep_plan import rep_plan

    logged = db.session.scalar(select(func.count(Visit.id)).where(
        Visit.user_id == user.id, Visit.local_date == day)) or 0
    if logged:
        return None
    plan = rep_plan(user, day)
    run = [m for m in plan.metrics if m.run is not None and m.remaining_today > 0]
    lines = [_("Nothing logged today yet.")]
    if run:
        lines.append(_("Still to go today: %(figures)s.", figures=_sep(locale).join(
            f"{_name(m.metric)} {_fmt(m.remaining_today, m.metric)}" for m in run)))
    lines.append(_("Log today's visits and plan tomorrow."))
    return Text(_("End of the day"), _join(locale, lines), _path("web.today", "/today"))


def weekly_review_text(user: User, day: date, locale: str) -> Text | None:
    monday = day - timedelta(days=day.weekday())
    done = db.session.scalar(select(WeeklyReview.id).where(
        WeeklyReview.user_id == user.id, WeeklyReview.week_start == monday,
        WeeklyReview.status.in_([ReviewStatus.SUBMITTED, ReviewStatus.APPROVED])))
    if done:
        return None
    visits = db.session.scalar(select(func.count(Visit.id)).where(
        Visit.user_id == user.id, Visit.local_date >= monday, Visit.local_date <= day)) or 0
    due = review_due(user.company, monday)  # the company's rule, as the review pages
    return Text(_("Weekly review due"),
                _("Your self-review of the week from %(start)s is due by %(due)s. "
                  "Visits logged this week: %(n)s.", start=monday.isoformat(),
                  due=due.strftime("%m-%d %H:%M"), n=visits),
                _path("web.reviews", "/plans/week"))


def behind(m: Any, cal: Any, day: date) -> tuple[int, float] | None:
    """(run rate now needed per working day, pace so far per working day) when the
    needed rate is more than BEHIND_FACTOR times the pace; None otherwise. Only after
    BEHIND_MIN_DAYS working days of the month have gone (before that the pace says
    little)."""
    if m.run is None or m.target <= 0 or m.run.working_days_left <= 0:
        return None
    gone = cal.count(m.period.start, day - timedelta(days=1)) if day > m.period.start else 0
    if gone < BEHIND_MIN_DAYS:
        return None
    before = m.achieved - m.achieved_today
    left = m.target - before
    if left <= 0:
        return None
    needed = left / m.run.working_days_left
    pace = before / gone
    if needed > BEHIND_FACTOR * pace:
        return m.run.today_target, pace
    return None


def _pace(pace: float, metric: Any) -> str:
    """Money to the fen; counts with one decimal (0.6 visits a day, not 1)."""
    if str(getattr(metric, "unit", "")) == "money":
        return _fmt(int(round(pace)), metric)
    from babel.numbers import format_decimal
    from flask_babel import get_locale

    return format_decimal(round(pace, 1), locale=str(get_locale() or "zh_Hans_CN"))


def behind_target_text(user: User, day: date, locale: str) -> Text | None:
    from ..calendar import company_calendar
    from ..rep_plan import rep_plan

    company = user.company
    cal = company_calendar(company)
    plan = rep_plan(user, day)
    for m in plan.metrics:
        hit = behind(m, cal, day)
        if hit is None or m.run is None:  # behind() is None without a run rate
            continue
        need, pace = hit
        return Text(
            _("Behind target: %(metric)s", metric=_name(m.metric)),
            ngettext("%(metric)s: %(achieved)s of %(target)s this month. You now need "
                     "%(need)s per working day for %(num)d day; your pace so far is %(pace)s "
                     "per day.",
                     "%(metric)s: %(achieved)s of %(target)s this month. You now need "
                     "%(need)s per working day for %(num)d days; your pace so far is %(pace)s "
                     "per day.",
                     m.run.working_days_left, metric=_name(m.metric),
                     achieved=_fmt(m.achieved - m.achieved_today, m.metric),
                     target=_fmt(m.target, m.metric), need=_fmt(need, m.metric),
                     pace=_pace(pace, m.metric)),
            _path("web.today", "/today"))
    return None


def team_digest_text(user: User, day: date, locale: str) -> Text | None:
    from ..calendar import company_calendar
    from ..tracking import team_progress

    tp = team_progress(user, day)
    if not tp.reps:
        return None
    company = user.company
    prev = previous_working_day(company_calendar(company), day)
    ids = [r.user.id for r in tp.reps if r.user is not None]
    visits = db.session.scalar(select(func.count(Visit.id)).where(
        Visit.user_id.in_(ids), Visit.local_date == prev)) or 0
    overdue = db.session.scalar(
        select(func.count(Customer.id)).join(Stage, Stage.id == Customer.stage_id)
        .where(Customer.owner_id.in_(ids), Customer.next_follow_up < day,
               Stage.is_lost.is_(False))) or 0
    lines = [ngettext("%(num)d rep. Visits on %(day)s: %(visits)s; follow-ups overdue: "
                      "%(overdue)s.",
                      "%(num)d reps. Visits on %(day)s: %(visits)s; follow-ups overdue: "
                      "%(overdue)s.",
                      len(ids), visits=visits, day=prev.isoformat(), overdue=overdue)]
    if tp.metrics:
        m = tp.metrics[0]
        behind_n = sum(1 for r in tp.reps if r.cells[m.code].target > 0
                       and r.cells[m.code].share + 0.0001 < tp.time_elapsed)
        total = tp.units[-1].cells.get(m.code) if tp.units else None
        lines.append(ngettext(
            "%(metric)s: %(achieved)s of %(target)s this month; %(num)d rep behind the "
            "share of working days gone (%(pct)s%%).",
            "%(metric)s: %(achieved)s of %(target)s this month; %(num)d reps behind the "
            "share of working days gone (%(pct)s%%).",
            behind_n, metric=_name(m), achieved=_fmt(total.achieved if total else 0, m),
            target=_fmt(total.target if total else 0, m),
            pct=int(round(tp.time_elapsed * 100))))
    return Text(_("Team digest"), _join(locale, lines), _path("web.team", "/team"))


