"""The company's working-day calendar: the `holidays` package plus its own overrides."""

from __future__ import annotations

from ..engine import WorkCalendar
from ..models import Company
from .company import calendar_overrides


def company_calendar(company: Company) -> WorkCalendar:
    holidays, workdays = calendar_overrides(company.id)
    return WorkCalendar(
        country=company.country or "CN", extra_holidays=holidays, extra_workdays=workdays
    )
