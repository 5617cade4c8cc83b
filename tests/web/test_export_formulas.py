"""Formula injection (OWASP "CSV injection"): names that people type (a stage, a unit, a
rep, a product line, a metric, a unit code) reach the exports. Every text cell that
begins with =, +, -, @, tab or CR goes out as a string in .xlsx (never a formula) and
with a leading ' in CSV, in every export: the tracking tables, the funnel, the target
tree and the import templates."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import csrf_token, login
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from planner.extensions import db
from planner.models import Metric, OrgUnit, ProductLine, Stage, User

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
STAGE = '=HYPERLINK("http://x","阶段")'
HOSTILE = {
    "stage": STAGE,
    "region": "+SUM(1,2)",
    "team": "-2+3",
    "rep": "@SUM(1,1)",
    "product line": "\t=1+1",
    "metric": "\r=1+1",
    "unit code": "=1+2",
}
TABLES = ("levels", "reps", "teams", "ranking", "risk", "dim", "burnup", "funnel")


def _exports() -> list[str]:
    urls = []
    for fmt in ("xlsx", "csv"):
        urls += [f"/tracking/export.{fmt}?period=year&table={t}&dim=product_line"
                 for t in TABLES]
        urls.append(f"/tracking/targets.{fmt}")
        urls += [f"/tracking/import/{kind}/template.{fmt}"
                 for kind in ("targets", "customers", "history")]
    return urls


@pytest.fixture
def hostile_names(app: Flask) -> Iterator[None]:
    """The names of the first stage, rep01's region and team, rep01, a product line and
    every metric set to formulas (and rep01's team code); put back afterwards."""
    with app.app_context():
        rep = db.session.scalar(select(User).where(User.username == "rep01"))
        assert rep is not None
        company_id = rep.unit.company_id
        team = rep.unit
        region = db.session.get(OrgUnit, team.parent_id)
        stage = db.session.scalar(select(Stage).where(Stage.company_id == company_id)
                                  .order_by(Stage.sort))
        line = db.session.scalar(select(ProductLine).where(
            ProductLine.company_id == company_id).order_by(ProductLine.sort))
        metrics = list(db.session.scalars(select(Metric).where(
            Metric.company_id == company_id)))
        assert region is not None and stage is not None and line is not None
        changes: list[tuple[Any, str, str]] = [
            (stage, "name", HOSTILE["stage"]), (stage, "name_en", HOSTILE["stage"]),
            (region, "name", HOSTILE["region"]), (region, "name_en", HOSTILE["region"]),
            (team, "name", HOSTILE["team"]), (team, "name_en", HOSTILE["team"]),
            (team, "code", HOSTILE["unit code"]),
            (rep, "display_name", HOSTILE["rep"]),
            (line, "name", HOSTILE["product line"]),
            (line, "name_en", HOSTILE["product line"]),
        ]
        for m in metrics:
            changes += [(m, "name", HOSTILE["metric"] + m.code),
                        (m, "name_en", HOSTILE["metric"] + m.code)]
        saved = [(obj, attr, getattr(obj, attr)) for obj, attr, _v in changes]
        for obj, attr, value in changes:
            setattr(obj, attr, value)
        db.session.commit()
    try:
        yield
    finally:
        with app.app_context():
            for obj, attr, value in saved:
                setattr(db.session.merge(obj, load=True), attr, value)
            db.session.commit()


def _xlsx_cells(data: bytes) -> list[tuple[Any, str]]:
    """(value, data type) of every cell of every sheet."""
    wb = load_workbook(io.BytesIO(data))
    return [(cell.value, cell.data_type) for ws in wb.worksheets
            for row in ws.iter_rows() for cell in row if cell.value is not None]


def _a_number(text: str) -> bool:
    try:
        float(text.rstrip("%").replace(",", ""))
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("lang", ["en", "zh_Hans_CN"])
def test_no_export_carries_a_formula(app: Flask, hostile_names: None, lang: str) -> None:
    c = app.test_client()
    assert login(c, "director").status_code == 302
    carried: dict[str, set[str]] = {}
    for url in _exports():
        resp = c.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
        assert resp.status_code == 200, url
        data = resp.get_data()
        seen = carried.setdefault(url, set())
        if ".xlsx" in url:
            for value, kind in _xlsx_cells(data):
                assert kind != "f", (url, value)
                if isinstance(value, str) and value.startswith(TRIGGERS):
                    assert kind == "s", (url, value)
                    seen.update(k for k, h in HOSTILE.items() if value.startswith(h))
        else:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
            for cell in (cell for row in rows for cell in row):
                assert not cell.startswith(TRIGGERS) or (
                    cell.startswith("-") and _a_number(cell)), (url, cell)
                if cell.startswith("'"):
                    seen.update(k for k, h in HOSTILE.items() if cell[1:].startswith(h))
    for fmt in ("xlsx", "csv"):
        # The hostile names did reach the exports (so the checks above saw them).
        assert "stage" in carried[f"/tracking/export.{fmt}?period=year&table=funnel"
                                  "&dim=product_line"]
        levels = carried[f"/tracking/export.{fmt}?period=year&table=levels&dim=product_line"]
        assert {"region", "metric"} <= levels
        assert "rep" in carried[f"/tracking/export.{fmt}?period=year&table=reps"
                                "&dim=product_line"]
        assert "team" in carried[f"/tracking/export.{fmt}?period=year&table=teams"
                                 "&dim=product_line"]
        assert "product line" in carried[f"/tracking/export.{fmt}?period=year&table=dim"
                                         "&dim=product_line"]
        assert "unit code" in carried[f"/tracking/targets.{fmt}"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_target_tree_with_formula_like_codes_reimports_with_no_change(
        app: Flask, hostile_names: None, fmt: str) -> None:
    """The CSV's escaped unit code reads back as the code (the export round-trips)."""
    c = app.test_client()
    assert login(c, "director").status_code == 302
    token = csrf_token(c, "/tracking/import")
    data = c.get(f"/tracking/targets.{fmt}?lang=en").get_data()
    assert ("'" + HOSTILE["unit code"]).encode() in data or fmt == "xlsx"
    resp = c.post("/tracking/import/targets?lang=en", data={
        "csrf_token": token, "check": "1", "file": (io.BytesIO(data), f"targets.{fmt}")},
        content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)[-2000:]
