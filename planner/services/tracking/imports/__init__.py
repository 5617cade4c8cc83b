"""Imports from Excel or CSV (targets, customers, last year's history) and the target-tree
export they round-trip with.

An import is checked whole before anything is saved: every bad row is reported (row
number as Excel shows it, the column, the value, what is wrong) and nothing is saved when
any row is wrong. Headers may be in zh-CN or English. Imported targets go through the
decomposition's own rules (``targets.plan_edit``: the unlocked siblings rebalance so the
parent still adds up; a conflict with a lock is an error row) and are written with the
same audit rows as an edit on /targets.

One module per kind (``targets``, ``customers``, ``history``); ``sheet`` holds what they
share (headers, reading, the row and its errors).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from ....access import visible_users
from ....extensions import db
from ....models import FiscalYear, Role, User
from ...company import local_today
from ...sheets import Column
from .customers import import_customers
from .history import import_history
from .sheet import HEADERS, Result, RowError, columns_help, header, in_chinese, read_sheet
from .targets import import_targets, target_tree_table


def template(kind: str, viewer: User) -> tuple[list[Column], list[list[Any]]]:
    if kind == "targets":
        cols, rows = target_tree_table(viewer, _current_fy(viewer))
        return cols, rows[:3]
    keys = list(HEADERS[kind])
    cols = [Column(k, header(kind, k)) for k in keys]
    rep = db.session.scalar(select(User.username).where(
        User.id.in_(visible_users(viewer)), User.role == Role.REP).order_by(User.username))
    if kind == "customers":
        example = {"name": "浦江物业" if in_chinese() else "Pujiang Property", "type": "enterprise",
                   "region": "", "contact": "王经理" if in_chinese() else "Mr Wang",
                   "phone": "13800000000", "owner": rep or "", "stage": "lead",
                   "channel": "direct"}
    else:
        example = {"rep": rep or "", "metric": "revenue", "product_line": "",
                   "month": f"{date.today().year - 1}-01", "value": "120000"}
    return cols, [[example.get(k, "") for k in keys]]


def _current_fy(viewer: User) -> FiscalYear:
    company = viewer.company
    today = local_today(company)
    years = list(db.session.scalars(select(FiscalYear).where(
        FiscalYear.company_id == company.id).order_by(FiscalYear.year)))
    if not years:
        raise LookupError("no fiscal year")
    return next((y for y in years if y.start <= today <= y.end), years[-1])


def run_import(kind: str, data: bytes, filename: str, viewer: User,
               dry_run: bool = False) -> Result:
    """Check every row; write only when none is wrong (and not `dry_run`). The caller
    commits once for the whole import (every metric's targets together) or rolls back."""
    from ...sheets import SheetError

    if len(data) > 5 * 1024 * 1024:
        raise SheetError("too_large")
    cols, head, rows, errors = read_sheet(kind, data, filename)
    result = Result(kind, rows=len(rows), errors=errors)
    if errors:
        return result
    fn = {"targets": import_targets, "customers": import_customers,
          "history": import_history}[kind]
    fn(viewer, cols, head, rows, result, dry_run)
    return result


__all__ = ["Result", "RowError", "columns_help", "run_import", "target_tree_table", "template"]
