"""SVG charts drawn on the server (no chart library on the phone): the numbers are turned
into coordinates here and the templates write the SVG elements (no inline styles: CSP)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..services.tracking import Burnup

W, H = 320, 180  # the viewBox; the SVG scales to the card's width
PAD_L, PAD_R, PAD_T, PAD_B = 4, 4, 10, 18


@dataclass
class BurnChart:
    width: int
    height: int
    target_path: str
    actual_path: str
    forecast_path: str
    today_x: float | None
    ticks: list[tuple[float, str]]  # x, label (month / day numbers along the bottom)
    max_value: int
    rows: list[tuple[date, int, int | None]] = field(default_factory=list)  # text alternative
    end_actual: tuple[float, float] | None = None


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def burn_chart(b: Burnup) -> BurnChart:
    pts = b.points
    n = max(1, len(pts) - 1)
    top = max([b.target, b.achieved, b.forecast or 0, 1]
              + [p.actual or 0 for p in pts])
    inner_w, inner_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B

    def xy(i: int, v: int) -> tuple[float, float]:
        return PAD_L + inner_w * i / n, PAD_T + inner_h * (1 - v / top)

    target_path = " ".join(("M" if i == 0 else "L") + "{},{}".format(*map(_fmt, xy(i, p.target)))
                           for i, p in enumerate(pts))
    actual = [(i, p.actual) for i, p in enumerate(pts) if p.actual is not None]
    actual_path = " ".join(("M" if k == 0 else "L") + "{},{}".format(*map(_fmt, xy(i, v)))
                           for k, (i, v) in enumerate(actual))
    forecast_path = ""
    today_x = None
    end_actual = None
    if actual:
        i, v = actual[-1]
        end_actual = xy(i, v)
        today_x = end_actual[0]
        if b.forecast is not None and i < len(pts) - 1:
            ex, ey = xy(len(pts) - 1, b.forecast)
            forecast_path = f"M{_fmt(end_actual[0])},{_fmt(end_actual[1])} L{_fmt(ex)},{_fmt(ey)}"
    ticks: list[tuple[float, str]] = []
    if len(pts) > 62:  # a quarter or a year: month starts
        for i, p in enumerate(pts):
            if p.day.day == 1:
                ticks.append((xy(i, 0)[0], str(p.day.month)))
    else:
        step = 1 if len(pts) <= 12 else 5
        for i, p in enumerate(pts):
            if i % step == 0:
                ticks.append((xy(i, 0)[0], str(p.day.day)))
    return BurnChart(W, H, target_path, actual_path, forecast_path, today_x, ticks, top,
                     _rows(b), end_actual)


def _rows(b: Burnup) -> list[tuple[date, int, int | None]]:
    """The chart's numbers for screen readers: month ends for a quarter or a year, else
    every day; always the as-of day and the period's last day."""
    pts = b.points
    long = len(pts) > 62
    out = []
    for i, p in enumerate(pts):
        last_of_month = i + 1 < len(pts) and pts[i + 1].day.day == 1
        if (not long) or last_of_month or p.day == b.day or i == len(pts) - 1:
            out.append((p.day, p.target, p.actual))
    return out


@dataclass
class Bar:
    label: str
    share: float  # completion, 0.. (capped at 1.5 for drawing)
    width: float
    href: str | None
    achieved: int
    target: int
    behind: bool


@dataclass
class BarChart:
    width: int
    row_h: int
    height: int
    label_w: int
    bar_w: int
    mark_x: float  # the time-elapsed mark
    bars: list[Bar]


def bar_chart(rows: list[tuple[str, int, int, str | None]], elapsed: float) -> BarChart:
    """Completion bars (achieved / target, 100% = full width) with the time-elapsed mark."""
    row_h, label_w = 48, 0  # a row is a link: 44 px tall or more at 360 px (scaled 0.95)
    bar_w = W - 48
    bars = []
    for label, achieved, target, href in rows:
        share = achieved / target if target > 0 else 0.0
        bars.append(Bar(label, share, bar_w * min(share, 1.0), href, achieved, target,
                        share + 1e-9 < elapsed))
    return BarChart(W, row_h, row_h * len(bars) + 4, label_w, bar_w, bar_w * min(elapsed, 1.0),
                    bars)
