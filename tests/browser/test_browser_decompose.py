"""The director decomposes the demo year in the browser, down to every rep, exactly."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from conftest import log_in, page_errors, screenshot
from flask import Flask
from sqlalchemy import select

from planner.extensions import db
from planner.models import FiscalYear, Metric, Role, Target, TargetCell, Tier, User

pytestmark = pytest.mark.browser


def test_the_director_decomposes_a_company_target_to_every_rep_in_the_browser(
    app: Flask, phone: Any
) -> None:
    page = phone.new_page()
    errors = page_errors(page)
    log_in(page, "director", lands="/targets")
    page.goto("/targets?metric=new_customers&lang=en")
    root = page.locator(".tlist > .tnode").first
    root.locator("summary").first.click()
    form = root.locator("form", has_text="Decompose this target").first
    form.locator("select[name=dim1]").select_option("product_line")
    form.locator("select[name=dim2]").select_option("team")
    form.locator("select[name=dim3]").select_option("rep")
    form.locator("select[name=method]").select_option("equal")
    form.get_by_role("button", name="Preview").click()
    preview = root.locator(".tpreview").first
    preview.wait_for()
    # The product lines are new targets; the regions they replace are listed as removed,
    # each with the targets below it folded and counted.
    text = preview.inner_text()
    assert "new" in text and "removed" in text and "more changes below it" in text
    screenshot(page, "targets-decompose-preview")
    with page.expect_response(lambda r: "/decompose/apply" in r.url):
        preview.get_by_role("button", name="Apply").click()
    page.locator(".flash").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "targets-decompose-applied")
    assert errors == []

    with app.app_context():
        metric = db.session.scalar(select(Metric).where(Metric.code == "new_customers"))
        assert metric is not None
        fy = db.session.scalar(select(FiscalYear))
        assert fy is not None
        targets = db.session.scalars(
            select(Target).where(Target.fiscal_year_id == fy.id, Target.metric_id == metric.id,
                                 Target.tier == Tier.BASE)
        ).all()
        parents = {t.parent_id for t in targets}
        root_t = next(t for t in targets if t.parent_id is None)
        leaves = [t for t in targets if t.id not in parents]
        reps = {u.id for u in db.session.scalars(select(User).where(User.role == Role.REP))}
        assert {t.user_id for t in leaves} == reps  # every rep, and only reps, at the bottom
        assert {t.product_line_id for t in leaves} == {
            t.product_line_id for t in targets if t.depth == 1
        }
        assert len(leaves) == 24 * 5
        cells = db.session.execute(
            select(TargetCell.target_id, TargetCell.kind, TargetCell.start, TargetCell.value)
            .where(TargetCell.target_id.in_([t.id for t in targets]))
        ).all()
        by_target = {(c.target_id, c.kind, c.start): c.value for c in cells}
        sums: dict[tuple[str, Any], int] = defaultdict(int)
        leaf_ids = {t.id for t in leaves}
        for (tid, kind, start), value in by_target.items():
            if tid in leaf_ids:
                sums[(kind, start)] += value
        root_cells = {(k, s): v for (tid, k, s), v in by_target.items() if tid == root_t.id}
        assert len(root_cells) == 16  # 4 quarters and 12 months
        assert sums == root_cells  # to the unit, for every month and quarter
        assert sum(t.value for t in leaves) == root_t.value == 100
        db.session.remove()
