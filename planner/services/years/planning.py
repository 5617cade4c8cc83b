"""The next year's company targets, computed before anything is written: what the
director typed (growth for the year or per quarter, or a value per metric, and the
structure), checked field by field, and per metric the year value with its split over
quarters and months, exact to the fen.

Rules (additive metrics; "last year" = the actual of the year planned from,
services/years/history.py):

- growth for the year g: value = last year x (1 + g), rounded half up once; the months
  share it as last year's months did (engine.allocate; by working days when last year
  has no figures);
- growth per quarter g1..g4: each quarter = last year's quarter x (1 + gi), rounded half
  up; the year is their sum; a quarter's months share it as last year's months did;
- a typed value: shared over the quarters in proportion to last year's quarters grown by
  the quarter growths (with growth for the year: as last year's months), or, without
  last year's figures, in proportion to (1 + gi), or by working days;
- a level metric (share, satisfaction) keeps this year's levels unless a value is typed;
- with values typed and no growth for the year, only the typed metrics are planned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from ... import engine
from ...engine import Period, WorkCalendar
from ...models import Metric
from ...parsing import MAX_YEAR, MIN_YEAR, parse_int
from ...refusal import Refused
from .growth import grow, growth_text, parse_growth
from .history import Actuals

MODES = ("year", "quarters")
SPLIT_METHODS = ("carry", "last_year", "capability", "equal")
DIMS = ("product_line", "channel", "customer_type", "region", "team", "rep")


@dataclass
class YearInput:
    """What the director typed, parsed."""

    year: int
    mode: str = "year"
    growth: int | None = None  # hundredths of a percent
    quarters: list[int] | None = None
    values: dict[str, str] = field(default_factory=dict)  # metric code -> typed text
    dims: list[str] | None = None  # None: as this year
    method: str = "carry"

    def growth_label(self) -> str:
        if self.mode == "quarters" and self.quarters:
            return " / ".join(growth_text(g) for g in self.quarters)
        return growth_text(self.growth or 0)

    def record(self) -> dict[str, Any]:
        """The inputs, JSON-safe, for the audit row."""
        return {"year": self.year, "mode": self.mode, "growth": self.growth,
                "quarters": self.quarters, "values": self.values, "dims": self.dims,
                "method": self.method}


@dataclass
class MetricPlan:
    """One metric's company target in the planned year."""

    metric: Metric
    last_year: int | None  # None: a level, or nothing to measure it by
    value: int
    quarters: list[int]
    months: list[int]
    basis: str  # growth | typed | kept
    dims: list[str] = field(default_factory=list)
    method: str = "equal"
    reps: list[Any] = field(default_factory=list)  # RepShare, once built
    estimated: list[str] = field(default_factory=list)  # reps given a share by capability
    tiers: list[Any] = field(default_factory=list)  # (tier, percent, value) carried over


def _field_error(errors: dict[str, str], name: str, exc: Refused) -> None:
    errors[name] = exc.fields.get(name) or exc.message


def parse_input(form: Mapping[str, Any], metrics: list[Metric], default_year: int,
                year_fixed: bool) -> YearInput:
    """The form -> YearInput; every bad field gets its message (Refused.fields)."""
    errors: dict[str, str] = {}
    year = default_year
    if not year_fixed:
        got = parse_int(form.get("year"), MIN_YEAR, MAX_YEAR)
        if got is None:
            errors["year"] = _("Type a year from %(lo)d to %(hi)d.", lo=MIN_YEAR, hi=MAX_YEAR)
        else:
            year = got
    mode = form.get("mode") or "year"
    if mode not in MODES:
        errors["mode"] = _("Choose growth for the year or per quarter.")
    inp = YearInput(year=year, mode=mode)
    if mode == "quarters":
        qs = []
        for i in range(1, 5):
            try:
                qs.append(parse_growth(form.get(f"growth_q{i}"), f"growth_q{i}"))
            except Refused as exc:
                _field_error(errors, f"growth_q{i}", exc)
        inp.quarters = qs if len(qs) == 4 else None
    elif (form.get("growth") or "").strip() or not _any_value(form, metrics):
        try:
            inp.growth = parse_growth(form.get("growth"), "growth")
        except Refused as exc:
            _field_error(errors, "growth", exc)
    inp.values = {m.code: str(form.get(f"value_{m.code}")).strip() for m in metrics
                  if str(form.get(f"value_{m.code}") or "").strip()}
    dims = [d for d in (form.get("dim1"), form.get("dim2"), form.get("dim3")) if d]
    if dims:
        if any(d not in DIMS for d in dims) or len(set(dims)) != len(dims):
            errors["dims"] = _("Choose each dimension once.")
        inp.dims = dims
    inp.method = form.get("method") or "carry"
    if inp.method not in SPLIT_METHODS:
        errors["method"] = _("Choose how the targets are split.")
    if errors:
        raise Refused(_("Check the fields marked below."), errors)
    return inp


def _any_value(form: Mapping[str, Any], metrics: list[Metric]) -> bool:
    return any(str(form.get(f"value_{m.code}") or "").strip() for m in metrics)


def _weights_or_days(weights: list[int], months: list[Period], cal: WorkCalendar) -> list[int]:
    if sum(weights) > 0:
        return weights
    return [cal.count(p.start, p.end) or 1 for p in months]


def split_additive(inp: YearInput, ly_months: list[int], typed: int | None,
                   months: list[Period], cal: WorkCalendar) -> tuple[int, list[int]]:
    """(year value, 12 month values) of an additive metric by the rules above."""
    ly_q = [sum(ly_months[q * 3:q * 3 + 3]) for q in range(4)]
    if inp.mode == "quarters" and inp.quarters is not None:
        if typed is None:
            q_vals = [grow(v, g) for v, g in zip(ly_q, inp.quarters, strict=True)]
        else:
            base = ly_q if sum(ly_q) > 0 else [1, 1, 1, 1]
            q_vals = engine.allocate(typed, [b * (10_000 + g) for b, g in zip(
                base, inp.quarters, strict=True)])
        out: list[int] = []
        for q in range(4):
            span = months[q * 3:q * 3 + 3]
            out += engine.allocate(q_vals[q], _weights_or_days(ly_months[q * 3:q * 3 + 3],
                                                               span, cal))
        return sum(q_vals), out
    value = typed if typed is not None else grow(sum(ly_months), inp.growth or 0)
    return value, engine.allocate(value, _weights_or_days(ly_months, months, cal))


def plan_metric(inp: YearInput, metric: Metric, actuals: Actuals | None, typed: int | None,
                kept: tuple[int, list[int]] | None, months: list[Period],
                cal: WorkCalendar) -> MetricPlan | None:
    """One metric's plan, or None when there is nothing to plan it from (no actual, no
    target this year and no value typed)."""
    if not metric.additive:
        if typed is not None:
            return MetricPlan(metric, None, typed, [typed] * 4, [typed] * 12, "typed")
        if kept is None:
            return None
        value, q_levels = kept
        return MetricPlan(metric, None, value, q_levels, [q_levels[i // 3] for i in range(12)],
                          "kept")
    ly = actuals.company_months() if actuals is not None else [0] * 12
    no_growth = inp.mode == "year" and inp.growth is None
    if typed is None and (sum(ly) == 0 or no_growth):
        return None  # nothing to grow, or no growth typed: only the typed metrics
    value, month_vals = split_additive(inp, ly, typed, months, cal)
    return MetricPlan(metric, sum(ly), value, engine.quarters_of(month_vals, True), month_vals,
                      "typed" if typed is not None else "growth")
