"""The next fiscal year (issue 18 §4): the director plans it from this year (last
year's actuals and growth, or typed values), previews it, writes it as a draft that only
managers and the director see, and publishes it; reps see it from its first day once
published. Also: which years a person sees (the year switch), past years read-only,
what Today says on a day with no published targets, and the December reminder.

The door for views, the API and the CLI; the insides:

- ``growth``: growth rates parsed exactly (hundredths of a percent) and applied;
- ``history``: last year's actual per metric, rep and month (visits and history);
- ``planning``: the form's input and each metric's company target, in memory;
- ``build``: writing the year (the one module calling the target services);
- ``status``: years seen, drafts, publishing, read-only, the no-targets notice;
- ``reminder``: the December reminder's rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import FiscalYear, Metric, Role, User
from ...refusal import Refused
from ..calendar import company_calendar
from .build import RepShare, carried, fiscal_period, plan_all, write_year
from .growth import grow, growth_text, parse_growth
from .history import Actuals, last_year_actuals
from .planning import DIMS, SPLIT_METHODS, MetricPlan, YearInput, parse_input
from .reminder import NEXT_YEAR, next_year_reminders
from .status import (
    DRAFT,
    PUBLISHED,
    Notice,
    admins,
    can_plan,
    check_writable,
    company_years,
    is_past,
    name_list,
    pick_year,
    publish,
    sees_drafts,
    visible_years,
    year_notice,
)

__all__ = [
    "DIMS", "DRAFT", "NEXT_YEAR", "PUBLISHED", "SPLIT_METHODS", "Actuals", "MetricPlan",
    "NewYear", "Notice", "RepShare", "YearInput", "admins", "can_plan", "check_writable",
    "company_years", "create_year", "month_labels", "grow", "growth_text", "is_past", "name_list",
    "new_year", "next_year_reminders", "parse_growth", "pick_year", "preview_year",
    "publish", "publish_year", "sees_drafts", "visible_years", "year_notice",
]


@dataclass
class NewYear:
    """What the planning form shows: the year planned, the year it is planned from (None
    for a company's first year) and, per metric, last year's actual and the structure
    carried over."""

    year: int
    prev: FiscalYear | None
    metrics: list[Metric]
    actuals: dict[int, Actuals]
    carried: dict[int, tuple[list[str], str]] = field(default_factory=dict)
    blocked: str | None = None  # why no year can be planned now

    @property
    def first(self) -> bool:
        return self.prev is None

    def last_year(self, metric: Metric) -> int | None:
        a = self.actuals.get(metric.id)
        return a.total() if a is not None and metric.additive else None


def _metrics(company_id: int) -> list[Metric]:
    return list(db.session.scalars(select(Metric).where(
        Metric.company_id == company_id, Metric.active.is_(True)).order_by(Metric.sort)))


def new_year(user: User, today: date) -> NewYear:
    """The next year to plan: the one after the company's latest published year (from
    it), or, with no year at all, this calendar year (the company's first)."""
    if user.role != Role.ADMIN:
        raise Refused(_("Only the director (an administrator) plans a year."))
    company = user.unit.company
    years = company_years(company.id)
    published = [y for y in years if y.status == PUBLISHED]
    prev = published[-1] if published else None
    metrics = _metrics(company.id)
    year = prev.year + 1 if prev is not None else today.year
    ny = NewYear(year, prev, metrics, {})
    if prev is not None:
        months = _months(prev)
        ny.actuals = last_year_actuals(company.id, metrics, months)
        ny.carried = {m.id: carried(prev, m) for m in metrics}
    taken = next((y for y in years if y.year == year), None)
    if taken is not None:
        ny.blocked = _("%(year)s is already planned (a draft): open it on Targets and "
                       "publish it.", year=year)
    elif not metrics:
        ny.blocked = _("The company has no metrics yet: set up its metrics first.")
    return ny


def _months(fy: FiscalYear) -> list[Any]:
    from ... import engine

    return engine.months(fiscal_period(fy.year, fy.first_month))


def month_labels(fy: FiscalYear) -> list[str]:
    """The year's months as people read them: 2027-01 ... 2027-12."""
    return [p.start.strftime("%Y-%m") for p in _months(fy)]


def _planned(user: User, form: Mapping[str, Any], today: date
             ) -> tuple[NewYear, YearInput, list[MetricPlan]]:
    ny = new_year(user, today)
    if ny.blocked:
        raise Refused(ny.blocked)
    inp = parse_input(form, ny.metrics, ny.year, year_fixed=not ny.first)
    if any(y.year == inp.year for y in company_years(user.unit.company_id)):
        raise Refused(_("There is already a fiscal year %(year)s.", year=inp.year),
                      {"year": _("There is already a fiscal year %(year)s.", year=inp.year)})
    company = user.unit.company
    period = fiscal_period(inp.year, ny.prev.first_month if ny.prev else
                           (company.fiscal_first_month or 1))
    from ... import engine

    plans = plan_all(company, ny.prev, inp, ny.metrics, ny.actuals, engine.months(period),
                     company_calendar(company))
    return ny, inp, plans


def preview_year(user: User, form: Mapping[str, Any], today: date
                 ) -> tuple[NewYear, YearInput, list[MetricPlan], FiscalYear]:
    """Everything creating would write, written and flushed: the caller shows it and
    rolls back (a preview never writes)."""
    ny, inp, plans = _planned(user, form, today)
    fy = write_year(user.unit.company, user, inp, ny.prev, plans, ny.actuals)
    return ny, inp, plans, fy


def create_year(user: User, form: Mapping[str, Any], today: date) -> FiscalYear:
    """Write the planned year as a draft, with an audit row (the caller commits)."""
    return preview_year(user, form, today)[3]


def publish_year(user: User, year: int) -> FiscalYear:
    fy = next((y for y in company_years(user.unit.company_id) if y.year == year), None)
    if fy is None:
        raise Refused(_("There is no fiscal year %(year)s.", year=year))
    publish(fy, user)
    return fy
