"""Tracking (跟踪与调整), the use cases: targets against actuals at every level and for
any period, the burn-up, the pipeline funnel, the team's progress, and Excel in (the
imports). This package's ``__init__`` is the one door to it (the web, api, other services
and devtools import only ``planner.services.tracking``); the work lives in:

- ``periods``: the period of a kind that holds a day;
- ``scopes``: whose figures (company, region, team, rep), checked against the viewer;
- ``figures``: the per-rep targets and actuals, aggregated in SQL;
- ``view``: the tracking view (every level adds up to its parent) and by dimension;
- ``burnup``: cumulative target against cumulative actual;
- ``funnel``: the pipeline funnel from the stage history;
- ``progress``: the Team page's month figures per rep;
- ``imports``: the target, customer and history imports, their templates and the target
  tree's export.
"""

from __future__ import annotations

from .burnup import BurnPoint, Burnup, burnup
from .figures import actual_rows, tracked_metrics
from .funnel import Funnel, StageRow, funnel
from .imports import Result, RowError, columns_help, run_import, target_tree_table
from .imports import template as import_template
from .periods import PERIOD_KINDS
from .progress import TeamProgress, team_progress
from .scopes import Scope, resolve_scope, top_scope
from .view import DIMENSIONS, Line, Tracking, by_dimension, track

__all__ = [
    "actual_rows",
    "DIMENSIONS", "PERIOD_KINDS", "BurnPoint", "Burnup", "Funnel", "Line", "Result",
    "RowError", "Scope", "StageRow", "TeamProgress", "Tracking", "burnup", "by_dimension",
    "columns_help", "funnel", "import_template", "resolve_scope", "run_import",
    "target_tree_table", "team_progress", "top_scope", "track", "tracked_metrics",
]
