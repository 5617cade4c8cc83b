"""The history import: last year's monthly actuals per rep, metric and product line (what
the \"last year\" splits read)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select

from ....access import visible_users
from ....extensions import db
from ....models import Metric, MonthlyActual, ProductLine, Role, User
from .sheet import Result, _, amount, by_name, sheet_rows

MONTH_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})月?(?:[-/.]\d{1,2})?")


def import_history(viewer: User, cols: dict[str, int], head: list[str],
                    rows: list[list[Any]], result: Result, dry_run: bool) -> None:
    company_id = viewer.unit.company_id
    metrics = by_name(Metric, company_id)
    products = by_name(ProductLine, company_id)
    reps = {u.username.lower(): u for u in db.session.scalars(select(User).where(
        User.id.in_(visible_users(viewer)), User.role == Role.REP))}
    seen: dict[tuple[int, int, int | None, date], int] = {}
    values: dict[tuple[int, int, int | None, date], int] = {}
    for row in sheet_rows("history", cols, head, rows, result.errors):
        rep = reps.get(row.text("rep").lower())
        if rep is None:
            row.error("rep", _("No rep with this username in your unit."))
        metric = metrics.get(row.text("metric").lower())
        if metric is None:
            row.error("metric", _("No such metric."))
        product = None
        if row.text("product_line"):
            product = products.get(row.text("product_line").lower())
            if product is None:
                row.error("product_line", _("No such product line."))
        raw = row.get("month")
        month = None
        if isinstance(raw, date):
            month = date(raw.year, raw.month, 1)
        else:
            m = MONTH_RE.fullmatch(row.text("month"))
            if m and 1 <= int(m.group(2)) <= 12 and 1990 <= int(m.group(1)) <= 2100:
                month = date(int(m.group(1)), int(m.group(2)), 1)
            else:
                row.error("month", _("Use a month like 2025-03."))
        value = amount(row, "value", metric) if metric is not None else None
        if row.bad or rep is None or metric is None or month is None or value is None:
            continue
        key = (metric.id, rep.id, product.id if product else None, month)
        if key in seen:
            row.error("month", _("The same figure is on row %(n)d too.", n=seen[key]))
            continue
        seen[key] = row.n
        values[key] = value
    if result.errors or dry_run:
        return
    have = {(a.metric_id, a.user_id, a.product_line_id, a.month): a for a in db.session.scalars(
        select(MonthlyActual).where(MonthlyActual.source == "history",
                                    MonthlyActual.user_id.in_({k[1] for k in values})))}
    for key, value in values.items():
        got = have.get(key)
        if got is None:
            db.session.add(MonthlyActual(metric_id=key[0], user_id=key[1],
                                         product_line_id=key[2], month=key[3], value=value,
                                         source="history"))
        else:
            got.value = value
    db.session.flush()
    result.changed = len(values)
