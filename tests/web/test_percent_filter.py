"""Percentages on the pages come from one filter, `percent` (planner/web/filters.py): a
share (0.853) shown as a whole percent (85), exactly as the templates' own
`(x * 100)|round|int` showed it; no template multiplies by 100 itself any more."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from flask import Flask

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SHARES = [0, 0.0, 1, 1.0, 0.5, 0.853, 0.005, 0.015, 0.125, 0.135, 0.145, 0.9949, 0.995,
          1.005, 2.675, 0.285, 0.575, 1 / 3, 2 / 3, 0.29, 0.57, 1.15, 12.345, -0.125,
          -0.333, 10.0, Fraction(1, 8), Fraction(7, 200)]


def test_the_percent_filter_shows_what_the_templates_showed(app: Flask) -> None:
    env = app.jinja_env
    old = env.from_string("{{ (x * 100)|round|int }}")
    new = env.from_string("{{ x|percent }}")
    for x in SHARES:
        assert new.render(x=x) == old.render(x=x), x
    assert env.from_string("{{ x|percent }}%").render(x=0.853) == "85%"


def test_no_template_computes_a_percentage_itself() -> None:
    found = [f"{p.relative_to(TEMPLATES)}:{n}: {line.strip()[:80]}"
             for p in sorted(TEMPLATES.rglob("*.html"))
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"\*\s*100\b|\b100\s*\*", line)]
    assert found == []
