"""Tracking: Excel/CSV exports of every tracking table and of the target tree, imports
(targets, customers, last year's history) with templates, the funnel, adjusting a rep's
target from tracking."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...extensions import db
from ...models import FiscalYear, Role
from ...services import sheets
from ...services import tracking as tk
from ...services.sheets import Column
from .. import bp, roles_required
from ..render import render
from .common import Params, file_response, in_english, period_name, tracking_for, viewer_today

FMTS = ("xlsx", "csv")
MANAGERS = (Role.MANAGER, Role.ADMIN)


def _kind(metric: Any) -> str:
    return "money" if str(metric.unit) == "money" else "count"


def _figure_columns(tr: tk.Tracking) -> list[Column]:
    cols: list[Column] = []
    for m in tr.metrics:
        name = m.name_en if in_english() and m.name_en else m.name
        k = _kind(m)
        cols += [Column(f"{m.code}.target", f"{name} · {_('Target')}", k),
                 Column(f"{m.code}.achieved", f"{name} · {_('Achieved')}", k),
                 Column(f"{m.code}.completion", f"{name} · {_('Completion')}", "percent"),
                 Column(f"{m.code}.gap", f"{name} · {_('Gap')}", k),
                 Column(f"{m.code}.needed", f"{name} · {_('Needed per working day')}", k),
                 Column(f"{m.code}.forecast", f"{name} · {_('Forecast')}", k)]
    return cols


def _figures(tr: tk.Tracking, ln: tk.Line) -> list[Any]:
    out: list[Any] = []
    for m in tr.metrics:
        f = ln.figs[m.code]
        out += [f.target, f.achieved, f.completion, f.gap, f.needed_per_day, f.forecast]
    return out


@bp.get("/tracking/export.<fmt>")
@login_required
def tracking_export(fmt: str) -> ResponseReturnValue:
    if fmt not in FMTS:
        abort(404)
    p = Params()
    tr = tracking_for(p)
    table = request.args.get("table", "levels")
    period = period_name(tr.period)
    head = [Column("period", _("Period")), Column("name", _("Name"))]
    rows: list[list[Any]]
    if table == "levels":
        cols = head + [Column("level", _("Level"))] + _figure_columns(tr)
        lines = [tr.total, *tr.children]
        rows = [[period, ln.label, _level(ln)] + _figures(tr, ln) for ln in lines]
    elif table == "reps":
        cols = head + _figure_columns(tr)
        rows = [[period, ln.label] + _figures(tr, ln) for ln in tr.reps]
    elif table == "teams":
        cols = head + _figure_columns(tr)
        rows = [[period, ln.label] + _figures(tr, ln) for ln in tr.teams]
    elif table == "ranking":
        metric = tr.metric(p.metric)
        cols = [Column("rank", _("Rank"), "count")] + head + _figure_columns(tr)
        rows = [[i, period, ln.label] + _figures(tr, ln)
                for i, ln in enumerate(tr.ranking(metric.code, p.rank), start=1)]
    elif table == "risk" and current_user.role != Role.REP:
        metric = tr.metric(p.metric)
        cols = head + _figure_columns(tr)
        rows = [[period, ln.label] + _figures(tr, ln) for ln in tr.at_risk(metric.code)]
    elif table == "dim" and p.dim:
        cols = head + _figure_columns(tr)
        rows = [[period, ln.label or _("Not set")] + _figures(tr, ln)
                for ln in tk.by_dimension(tr, p.dim, in_english())]
    elif table == "burnup":
        metric = tr.metric(p.metric)
        b = tk.burnup(tr, metric.code)
        k = _kind(metric)
        cols = [Column("day", _("Day"), "date"),
                Column("target", _("Target, cumulative"), k),
                Column("actual", _("Actual, cumulative"), k)]
        rows = [[pt.day, pt.target, pt.actual] for pt in b.points]
    elif table == "funnel":
        fn = tk.funnel(tr.scope, current_user.unit.company_id, tr.period.start, tr.day,
                       viewer_today())
        cols = [Column("period", _("Period")), Column("stage", _("Stage")),
                Column("reached", _("Reached"), "count"), Column("entered", _("Entered"), "count"),
                Column("conversion", _("To next"), "percent"),
                Column("avg_days", _("Avg. days"), "number"),
                Column("stays", _("Stays ended"), "count")]
        stage_rows = [*fn.rows, *([fn.lost] if fn.lost else [])]
        rows = [[period, r.stage.name_en if in_english() and r.stage.name_en else r.stage.name,
                 r.reached, r.entered, r.conversion,
                 round(r.avg_days, 1) if r.avg_days is not None else None, r.stays]
                for r in stage_rows]
    else:
        abort(404)
    data = sheets.export(fmt, _("Tracking"), cols, rows)
    return file_response(data, f"tracking-{table}-{tr.period.label}.{fmt}", fmt)


def _level(ln: tk.Line) -> str:
    if ln.scope is None:
        return ""
    return {"company": _("Company"), "region": _("Region"), "team": _("Team"),
            "rep": _("Rep")}.get(ln.scope.kind, ln.scope.kind)


def _fy() -> FiscalYear:
    years = list(db.session.scalars(db.select(FiscalYear).where(
        FiscalYear.company_id == current_user.unit.company_id).order_by(FiscalYear.year)))
    if not years:
        abort(404)
    want = request.args.get("fy", type=int)
    fy = next((y for y in years if y.year == want), None)
    if fy is None:
        today = viewer_today()
        fy = next((y for y in years if y.start <= today <= y.end), years[-1])
    return fy


@bp.get("/tracking/targets.<fmt>")
@roles_required(*MANAGERS)
def tracking_targets_export(fmt: str) -> ResponseReturnValue:
    """The target tree of a fiscal year, every metric and tier the viewer may see: one
    row per target (its year value; the months alongside, for reading)."""
    if fmt not in FMTS:
        abort(404)
    fy = _fy()
    cols, rows = tk.target_tree_table(current_user, fy)
    data = sheets.export(fmt, _("Targets"), cols, rows)
    return file_response(data, f"targets-{fy.year}.{fmt}", fmt)


# ------------------------------------------------------------------ imports


IMPORT_KINDS = ("targets", "customers", "history")


@bp.get("/tracking/import")
@roles_required(*MANAGERS)
def tracking_import() -> ResponseReturnValue:
    return render("tracking/import.html", kinds=IMPORT_KINDS, report=None, kind=None,
                  saved=None, error=None, columns=tk.columns_help())


@bp.get("/tracking/import/<kind>/template.<fmt>")
@roles_required(*MANAGERS)
def tracking_import_template(kind: str, fmt: str) -> ResponseReturnValue:
    if kind not in IMPORT_KINDS or fmt not in FMTS:
        abort(404)
    cols, rows = tk.import_template(kind, current_user)
    return file_response(sheets.export(fmt, kind, cols, rows), f"{kind}-template.{fmt}", fmt)


@bp.app_url_value_preprocessor
def _bigger_uploads(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Imports take files up to 5 MB (the app's limit is 2 MB); the service refuses
    anything above 5 MB with a message, so the body may be a little larger. (A URL value
    preprocessor runs before the CSRF check reads the form.)"""
    if endpoint == "web.tracking_import_post":
        request.max_content_length = sheets.MAX_BYTES + 256 * 1024


@bp.post("/tracking/import/<kind>")
@roles_required(*MANAGERS)
def tracking_import_post(kind: str) -> ResponseReturnValue:
    if kind not in IMPORT_KINDS:
        abort(404)
    upload = request.files.get("file")
    error = None
    report = None
    saved = None
    if upload is None or not upload.filename:
        error = _("Choose a file to import.")
    else:
        data = upload.stream.read(sheets.MAX_BYTES + 1)
        upload.close()
        check = request.form.get("check") == "1"
        try:
            result = tk.run_import(kind, data, upload.filename, current_user, dry_run=check)
        except sheets.SheetError as exc:
            db.session.rollback()
            error = exc.message
        except Exception:
            db.session.rollback()  # nothing of the import is saved
            raise
        else:
            if result.errors or check:
                db.session.rollback()
            else:
                db.session.commit()  # the whole import at once (every metric's targets)
            if result.errors:
                report = result.errors
            else:
                saved = result
    status = 422 if (error or report) else 200
    return render("tracking/import.html", status=status, kinds=IMPORT_KINDS, kind=kind,
                  report=report, saved=saved, error=error, columns=tk.columns_help())


@bp.app_template_global()
def review_url(user_id: int) -> str | None:
    """The latest weekly review of a rep, where the review pages exist."""
    views = current_app.view_functions
    if "web.reviews" in views:
        return url_for("web.reviews", user=user_id)
    return None
