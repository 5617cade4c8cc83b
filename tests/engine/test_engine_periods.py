"""Periods: fiscal years, quarters, months, dekads, ISO weeks, days."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from planner.engine import (
    Period,
    days,
    dekad_periods,
    dekads,
    fiscal_year,
    iso_weeks,
    month_period,
    months,
    quarters,
)

years = st.integers(2000, 2100)
month_numbers = st.integers(1, 12)


def contiguous(parts: list[Period], whole: Period) -> bool:
    if not parts or parts[0].start != whole.start or parts[-1].end != whole.end:
        return False
    return all(a.end + timedelta(days=1) == b.start for a, b in zip(parts, parts[1:], strict=False))


@given(years, month_numbers)
def test_dekads_cover_the_month_contiguously(year: int, month: int) -> None:
    parts = dekads(year, month)
    m = month_period(year, month)
    assert len(parts) == 3
    assert parts[0] == (date(year, month, 1), date(year, month, 10))
    assert parts[1] == (date(year, month, 11), date(year, month, 20))
    assert parts[2][0] == date(year, month, 21) and parts[2][1] == m.end
    assert contiguous(dekad_periods(m), m)


@given(years, month_numbers)
def test_fiscal_year_splits_into_quarters_months_and_days_without_gaps(
    year: int, first_month: int
) -> None:
    fy = fiscal_year(year, first_month)
    qs = quarters(fy)
    assert len(qs) == 4 and contiguous(qs, fy)
    ms = months(fy)
    assert len(ms) == 12 and contiguous(ms, fy)
    for q in qs:
        assert len(months(q)) == 3 and contiguous(months(q), q)
    assert sum(p.length for p in days(fy)) == fy.length in (365, 366)


@given(st.dates(date(2000, 1, 1), date(2100, 1, 1)), st.integers(0, 400))
def test_iso_weeks_cover_a_period_and_start_on_mondays(start: date, span: int) -> None:
    p = Period("month", start, start + timedelta(days=span), "x")
    weeks = iso_weeks(p)
    assert contiguous(weeks, p)
    for w in weeks[1:]:
        assert w.start.weekday() == 0
    for w in weeks:
        assert w.length <= 7 and w.kind == "week"
        iy, iw, _ = w.start.isocalendar()
        assert w.label == f"{iy}-W{iw:02d}"


def test_labels() -> None:
    fy = fiscal_year(2026)
    assert fy.label == "2026" and fy.kind == "year"
    assert [q.label for q in quarters(fy)] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    apr = fiscal_year(2026, 4)
    assert apr.label == "FY2026" and apr.end == date(2027, 3, 31)
    assert quarters(apr)[3].start == date(2027, 1, 1)
    oct26 = month_period(2026, 10)
    assert oct26.label == "2026-10"
    assert iso_weeks(oct26)[0].label == "2026-W40"
    assert [p.label for p in dekad_periods(oct26)] == ["2026-10-D1", "2026-10-D2", "2026-10-D3"]
    assert days(oct26)[0].label == "2026-10-01"
    assert date(2026, 10, 5) in oct26


def test_february_late_dekad_is_short() -> None:
    assert dekads(2026, 2)[2] == (date(2026, 2, 21), date(2026, 2, 28))
    assert dekads(2028, 2)[2] == (date(2028, 2, 21), date(2028, 2, 29))
