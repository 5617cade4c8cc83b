"""Tracking (跟踪与调整), the use cases: targets against actuals at every level and for
any period, the burn-up, the pipeline funnel, the team's progress, and Excel in (the
imports). This package's ``__init__`` is the one door to it (the web, api, other services
and devtools import only ``planner.services.tracking``); the work lives in:

- ``view``: periods, scopes, the per-rep figures aggregated in SQL, the tracking view
  (every level adds up to its parent), by dimension, and the burn-up;
- ``funnel``: the pipeline funnel from the stage history;
- ``progress``: the Team page's month figures per rep;
- ``imports``: the target, customer and history imports, their templates and the target
  tree's export.
"""

from __future__ import annotations

from .funnel import Funnel, StageRow, funnel
from .imports import Result, RowError, columns_help, run_import, target_tree_table
from .imports import template as import_template
from .progress import TeamProgress, team_progress
from .view import (
    DIMENSIONS,
    PERIOD_KINDS,
    BurnPoint,
    Burnup,
    Line,
    Scope,
    Tracking,
    burnup,
    by_dimension,
    resolve_scope,
    top_scope,
    track,
    tracked_metrics,
)

__all__ = [
    "DIMENSIONS", "PERIOD_KINDS", "BurnPoint", "Burnup", "Funnel", "Line", "Result",
    "RowError", "Scope", "StageRow", "TeamProgress", "Tracking", "burnup", "by_dimension",
    "columns_help", "funnel", "import_template", "resolve_scope", "run_import",
    "target_tree_table", "team_progress", "top_scope", "track", "tracked_metrics",
]
